/* Large WRITEV requests received in place (wstream.c): the data of their large elements goes from
 * the socket straight into object buffers instead of through the frame reader. */
#ifndef FARMEMD_WSTREAM_H
#define FARMEMD_WSTREAM_H

#include <sys/types.h>
#include "conn.h"

/* Frames from this size on are received in place (smaller ones are not worth the extra calls). */
#define WSTREAM_MIN_FRAME (256u << 10)

/* Takes over the frame at the reader's start when it is a large WRITEV that has not fully arrived
 * (after hello only). 1: taken over (c->ws set); 0: not such a frame; -1: out of memory. */
int wstream_begin(conn *c);
/* Consumes the bytes of the frame that the reader holds. 1: the frame is complete and answered
 * (c->ws is NULL again); 0: more bytes are needed; -1: malformed or out of memory (*why says
 * which): close the connection. */
int wstream_feed(conn *c, const char **why);
/* Reads more of the frame from the socket: the current element's data straight into its buffer,
 * what follows it into the reader. The byte count (> 0), 0 when the socket has nothing now, or -1
 * (*why set) when the peer closed or the socket failed. *asked: the bytes asked for. */
ssize_t wstream_recv(conn *c, size_t *asked, const char **why);
/* Frees what a connection closed in the middle of such a frame holds. */
void wstream_free(conn *c);

#endif
