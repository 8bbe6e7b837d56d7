/* The runtime's network client: connections to one or more farmemd servers, pipelined and batched
 * requests, and replies waited for by spinning briefly before sleeping (on this kind of VM waking a
 * sleeping thread costs far more than a loopback round trip, so the wait strategy sets miss latency).
 * Objects are sharded across servers by (class, id). Every call is thread-safe. */
#ifndef FAR_NET_H
#define FAR_NET_H

#include <stddef.h>
#include <stdint.h>
#include "far/wire.h"

typedef struct far_net far_net;

typedef struct far_net_config {
  const char *servers;       /* "host:port[,host:port...]" ("[v6addr]:port" too), at most 64 */
  const char *token;         /* NULL: none */
  unsigned conns_per_server; /* 0: default (2); at most 64 */
  unsigned spin_us;          /* how long a waiter polls the sockets before sleeping; 0: default (100) */
} far_net_config;

/* Connects to every server and says hello (all connections share one random session key, hence one
 * namespace per server). On failure returns NULL and writes a message naming the server into err. */
far_net *far_net_open(const far_net_config *cfg, char *err, size_t errlen);
/* Waits for what is in flight, says bye, closes. */
void far_net_close(far_net *net);

/* One object in a batch. For reads buf receives 2^cls bytes (zeros where never written); for writes
 * len bytes of buf are stored (len <= 2^cls). status is filled in on completion. */
typedef struct far_io {
  uint8_t cls;
  uint64_t id;
  void *buf;
  uint32_t len;
  int status;
} far_io;

/* Synchronous forms; they return a far_status. */
int far_net_read(far_net *net, unsigned cls, uint64_t id, void *buf);
int far_net_write(far_net *net, unsigned cls, uint64_t id, const void *buf, uint32_t len);
int far_net_free(far_net *net, unsigned cls, uint64_t id, uint64_t count);

/* Asynchronous batches. The ticket is caller-owned storage; ios and their buffers must stay valid
 * until the ticket completes. Every element's status is set before completion. done (may be NULL)
 * runs once on completion, on whichever thread received the last reply: keep it short and
 * non-blocking. The ticket counts as complete (far_ticket_done) just before done runs, and the client
 * never touches the ticket after done returns, so done may free it. */
typedef struct far_ticket far_ticket;
typedef void (*far_done_fn)(far_ticket *t, void *arg);
struct far_ticket {
  /* private to the client */
  far_done_fn done;
  void *arg;
  int _Atomic pending;        /* requests not yet answered, +1 while the batch is being submitted */
  int _Atomic status;         /* first failing element's status, else FAR_OK */
  unsigned _Atomic state;     /* 0 in flight, 1 in flight with a sleeping waiter, 2 complete */
};
/* They return FAR_OK once the batch is submitted (failures are reported through the ticket), or
 * an error without touching the ticket when the arguments are invalid. */
int far_net_readv(far_net *net, far_io *ios, size_t n, far_ticket *t, far_done_fn done, void *arg);
int far_net_writev(far_net *net, far_io *ios, size_t n, far_ticket *t, far_done_fn done, void *arg);
/* 1 when complete, 0 when still in flight. */
int far_ticket_done(const far_ticket *t);
/* Waits (spin, then sleep) and returns the ticket's status. */
int far_ticket_wait(far_net *net, far_ticket *t);

/* How many servers the client is connected to. */
unsigned far_net_server_count(const far_net *net);
/* Calls an offload function on the first server; *result is malloc'd (free it). */
int far_net_offload(far_net *net, const char *name, const void *args, size_t args_len,
                    void **result, size_t *result_len);
/* Server statistics as "name=value" lines in a malloc'd string; with several servers each server's
 * lines follow a "server=host:port" line. */
int far_net_stats(far_net *net, char **text);

/* The last connection error, naming the server ("farmemd at host:port: connection lost (...)"),
 * or "" when none happened; copied into buf. */
void far_net_error(far_net *net, char *buf, size_t len);

#endif
