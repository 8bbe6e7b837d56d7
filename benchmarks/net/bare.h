/* The bare-TCP baseline of the net benchmark: what two processes on loopback achieve with nothing but
 * sockets, so the client's figures can be read as ratios against the machine itself. */
#ifndef BARE_H
#define BARE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { BARE_RTT_BYTES = 64, BARE_STREAM_MSG = 4096, BARE_STREAM_MAX_PER_SEND = 64 };

/* Forks a process serving bare connections on 127.0.0.1, one at a time (so an idle baseline never
 * spins while the client is measured); returns its pid and sets *port. */
pid_t bare_server_start(uint16_t *port);
/* A connection whose peer echoes BARE_RTT_BYTES messages, busy-polling until the caller closes it. */
int bare_echo_connect(uint16_t port);
/* One busy-polled round trip of BARE_RTT_BYTES; returns its time in microseconds, < 0 on error. */
double bare_echo_once(int fd);
/* Receives count messages of BARE_STREAM_MSG bytes that the peer sends per_send at a time
 * (1..BARE_STREAM_MAX_PER_SEND); returns GB/s, < 0 on error. */
double bare_stream_gbps(uint16_t port, uint32_t count, uint32_t per_send);

#endif
