/* The bare baseline of the miss benchmark: the round trip a read miss cannot beat on this machine. A
 * forked process answers each 16-byte request with a reply of the requested size; both sides
 * busy-poll non-blocking sockets while requests keep coming (the fastest loopback TCP round trip
 * here; the server sleeps after 2 ms of silence, or at once when told its block is over, so it
 * leaves the CPU to the rest of the benchmark),
 * and the shape matches a read: small request, object-sized reply. (benchmarks/net/bare.c echoes a fixed 64-byte message,
 * which does not give the 4 KiB case.) */
#ifndef REPLY_SERVER_H
#define REPLY_SERVER_H

#include <stdint.h>
#include <sys/types.h>

/* Starts the server on 127.0.0.1; returns a connected socket, or -1. */
int reply_server_connect(void);
/* One round trip asking for size bytes; returns its time in ns, < 0 on error. */
double reply_round_trip(int fd, uint32_t size);
/* Tells the server that no request follows soon: it sleeps at once instead of busy-polling (which
 * would take a core from the far side's samples that come next). 0, or -1 on error. */
int reply_server_idle(int fd);

#endif
