/* One client connection: its input frame reader, its queued replies, its namespace after hello,
 * and the timers that drop peers which stall. */
#ifndef FARMEMD_CONN_H
#define FARMEMD_CONN_H

#include <stdint.h>
#include <sys/socket.h>
#include "far/wire_codec.h"
#include "log.h"
#include "server.h"

typedef struct conn {
  int fd;
  char peer[64];
  worker *w;
  ns *ns; /* NULL until a successful hello */
  far_frame_reader in;
  far_wbuf out;
  size_t out_sent;           /* bytes of out already written to the socket */
  uint32_t events;           /* epoll interest currently registered */
  uint64_t opened_ns;
  uint64_t frame_started_ns; /* when the partial frame now buffered began arriving; 0: none */
  uint64_t out_stalled_ns;   /* since when the peer has taken none of the waiting replies; 0: not stalled */
  int close_after_flush;     /* set by a request whose reply ends the connection */
  enum log_level close_level;
  const char *close_reason;
  struct wstream *ws;         /* a large WRITEV being received in place (wstream.c), or NULL */
  struct conn *prev, *next;
} conn;

/* Takes over an accepted socket; NULL (socket closed) when out of memory. */
conn *conn_open(worker *w, int fd, const struct sockaddr *addr);
/* Handles readiness: reads and answers requests, writes replies. May close (and free) c.
 * Returns 1 when bytes arrived (or c was closed), 0 when there was nothing to read. */
int conn_service(conn *c);
/* Closes c if it stalled for longer than the idle timeout. */
void conn_check_idle(conn *c, uint64_t now, uint64_t idle_ns);
/* Shutdown: sends what is queued (waiting at most a moment) and closes. */
void conn_drain(conn *c);
/* Logs one line "PEER: closed: REASON" at the given level, then closes and frees c. */
void conn_close(conn *c, enum log_level level, const char *reason);

#endif
