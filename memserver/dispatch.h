/* Request dispatch: one validated request in, its reply appended to the connection's output. */
#ifndef FARMEMD_DISPATCH_H
#define FARMEMD_DISPATCH_H

#include "conn.h"

/* Handles one frame body. 0: done (c->close_after_flush may now be set); -1: the connection must
 * be closed at once without a reply, *why says why. */
int dispatch(conn *c, const uint8_t *body, uint32_t len, const char **why);
/* Counts one request served (STATS "requests"), for requests that do not pass through dispatch. */
void dispatch_count(conn *c);

#endif
