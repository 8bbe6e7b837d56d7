/* Internal structures of the network client (far/net.h), shared by its files:
 *   net_open.c    servers list, connect, hello, far_net_open / far_net_close
 *   net_send.c    request ids, encoding, batching of queued frames into one send
 *   net_recv.c    reading a connection and completing requests from their replies
 *   net_direct.c  large READV replies received straight into the objects' buffers
 *   net_wait.c    waiting for a ticket: poll the sockets ourselves, then sleep
 *   net_poller.c  the background thread that reads replies when no waiter is polling
 *   net_ops.c     the public synchronous and batched operations
 *   net_spin.c    how long a synchronous waiter spins (adapts to a server sharing its CPU)
 *   net_error.c   connection failure: fail every pending request, keep the message
 *
 * Concurrency in brief: a connection's send side (slots, frame buffer) is guarded by `lock`; its
 * receive side (frame reader) by `rx_busy`, a try-lock held by whichever thread is reading: a waiting
 * thread or the poller. A connection with requests in flight is always read by someone: a spinning
 * waiter (net->spinners > 0), a waiter asleep in poll() on it (c->sleepers > 0), or the poller
 * (armed through `watched`). */
#ifndef FAR_NET_INTERNAL_H
#define FAR_NET_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>
#include "far/net.h"
#include "far/wire_codec.h"

#define NET_SLOT_BITS 12u /* requests in flight per connection */
#define NET_SLOTS (1u << NET_SLOT_BITS)
#define NET_DEFAULT_CONNS 2u
#define NET_MAX_CONNS 64u
#define NET_MAX_SERVERS 64u
#define NET_DEFAULT_SPIN_US 100u
#define NET_CHUNK_BYTES (256u << 10) /* object bytes per readv/writev frame, so replies pipeline */
/* Send buffer capacity kept once sent: the evacuator queues several writev frames at a time, and a
 * buffer regrown for every batch costs a realloc copy per doubling and fresh pages to fault in. */
#define NET_SEND_KEEP (NET_CHUNK_BYTES * 8)
#define NET_TIMEOUT_MS 10000         /* connect, hello, and the final drain of far_net_close */

typedef struct net_conn net_conn;

/* One request on the wire. Batches address their far_io elements through idx. */
typedef struct net_req {
  unsigned op;
  uint64_t rid;
  far_ticket *ticket;
  far_io *ios;
  const uint32_t *idx; /* READV/WRITEV: positions in ios; NULL means ios[0..n) */
  uint32_t n;
  int owned;           /* freed by the client after completion */
  atomic_int *lazy;    /* a lazy batch's count on its connection (net_readv_lazy), else NULL */
  /* FREE */
  unsigned cls;
  uint64_t obj, count;
  /* OFFLOAD request and result, STATS text */
  const char *name;
  const void *args;
  size_t args_len;
  void *result;
  size_t result_len;
} net_req;

/* A READV reply frame at least this large is received straight into its objects' buffers. */
#define NET_DIRECT_MIN (32u << 10)
/* An ordinary recv after a large frame takes at most this much (the start of the next frame). */
#define NET_DIRECT_PEEK 256u

/* A large READV reply being received straight into its objects' buffers (net_direct.c). */
typedef struct net_direct {
  net_req *req;       /* its request, taken out of its slot but still counted in inflight; NULL: none */
  uint64_t left;      /* bytes of the frame body still to come */
  uint32_t item;      /* the element being received */
  uint32_t len, got;  /* its data length and the bytes of it received (once its header is in) */
  uint8_t in_data;    /* its header is in */
  uint8_t head_len;   /* bytes of its header received so far */
  uint8_t head[8];
  uint8_t tail[8];    /* the next element's header, read with the end of the current one */
  uint8_t big;        /* the last frame seen was large: read the next one's start with a short recv */
} net_direct;

/* Object data a queued frame sends from the caller's buffer instead of a copy: it goes right after
 * byte `at` of the frame buffer (net_send.c). The buffers stay valid until their requests complete,
 * and a request completes only after its frame was sent or the connection failed and no thread is
 * sending any more (net_conn_fail waits for the flusher). */
typedef struct net_ref {
  size_t at;
  const void *p;
  size_t len;
} net_ref;
typedef struct net_refs {
  net_ref *v;
  size_t n, cap;
} net_refs;
/* Write-back elements at least this large are sent from their objects. */
#define NET_REF_MIN (4u << 10)

typedef struct net_server {
  char name[300]; /* "host:port" as given, for messages */
  net_conn *conns;
  unsigned nconns;
  _Atomic unsigned next_conn;
} net_server;

struct net_conn {
  far_net *net;
  net_server *srv;
  int fd;
  /* send side, under lock */
  pthread_mutex_t lock;
  far_wbuf out, sending;
  net_refs out_refs, sending_refs; /* data sent from the callers' buffers, per frame buffer */
  struct iovec *iov;               /* the flusher's pieces of `sending` */
  size_t iov_cap;
  int flushing;
  net_req *slots[NET_SLOTS];
  uint32_t free_slots[NET_SLOTS];
  uint32_t nfree;
  uint64_t generation;
  atomic_int dead;
  /* receive side, under rx_busy */
  atomic_int rx_busy;
  far_frame_reader in;
  net_direct dx;
  /* requests registered and not yet completed */
  atomic_int inflight;
  /* waiters asleep in poll() on this connection's socket (net_wait.c) */
  atomic_int sleepers;
  /* the poller: watched when it has been asked to read this connection */
  atomic_int watched;
  /* lazy requests in flight (net_readv_lazy): their sender reads the replies when it needs them,
   * the poller's tick otherwise, so they do not arm the poller */
  atomic_int lazy;
};

struct far_net {
  net_server servers[NET_MAX_SERVERS];
  unsigned nservers;
  uint8_t key[FAR_WIRE_SESSION_KEY_LEN];
  unsigned spin_us;
  atomic_int spinners; /* threads currently polling the sockets while they wait */
  /* net_spin.c: whether synchronous waits currently spin */
  atomic_int spin_off, spin_fails;
  atomic_uint spin_waits;
  /* the poller */
  pthread_t poller;
  int poller_started;
  int epoll_fd, kick_fd;
  atomic_int stopping;
  atomic_int ticking; /* the poller wakes every NET_TICK_MS to read lazy requests' replies */
  atomic_int closing; /* far_net_close is running: lost connections are expected, not reported */
  /* the last connection error */
  pthread_mutex_t err_lock;
  char err[512];
};

/* net_send.c */
/* Registers req on c, queues its frame and sends what is queued unless another thread is sending.
 * On failure req completes at once with the failure status. */
void net_submit(net_conn *c, net_req *req);
/* The connection requests for (cls, id) go to, and one for shard-independent requests. */
net_server *net_shard(far_net *net, unsigned cls, uint64_t id);
net_conn *net_pick_conn(net_server *srv);
/* Waits until no other thread is sending c's queued frames (their data may point into buffers of
 * requests about to be failed). */
void net_wait_flusher(net_conn *c);

/* net_recv.c */
/* Reads what c has (one recv) and completes the replies in it. Caller holds c->rx_busy.
 * Returns 1 when bytes came, 0 when none were waiting, -1 when the connection failed. */
int net_read_once(net_conn *c);
/* Completes req: every element gets status, the ticket counts down (and completes if it was the
 * last). An owned req is freed. */
void net_req_complete(net_req *req, int status);
/* Ticket bookkeeping: begin sets pending to 1 (a guard held while submitting), end drops it. */
void net_ticket_begin(far_ticket *t, far_done_fn done, void *arg);
void net_ticket_end(far_ticket *t);
int net_try_rx(net_conn *c);
void net_release_rx(net_conn *c);
/* Takes the request with id rid out of its slot. readv_n == 0: any request, no longer counted in
 * inflight; readv_n > 0: only a READV of readv_n elements, left counted (net_direct.c completes it).
 * NULL when there is no such request. */
net_req *net_claim(net_conn *c, uint64_t rid, uint32_t readv_n);
/* Element i of a request. */
static inline far_io *net_req_io(const net_req *r, uint32_t i) { return &r->ios[r->idx ? r->idx[i] : i]; }

/* net_direct.c. Caller holds c->rx_busy. */
/* After a recv left a partial frame in c->in: when it is a large READV reply, takes it over (its
 * request claimed, the buffered bytes delivered). 0 (taken over or not), -1 when the connection failed. */
int net_direct_begin(net_conn *c);
/* Receives more of the reply being taken over, straight into the objects' buffers; the same
 * results as net_read_once. */
int net_direct_read(net_conn *c);
/* How many bytes the next ordinary recv may take: after a large frame only the start of the next
 * one, so that a large reply does not land in the frame reader before it can be taken over. */
size_t net_direct_recv_cap(const net_conn *c, size_t room);

/* net_wait.c */
/* Waits until pred(arg) holds: polls every busy connection for the spin budget, then sleeps on
 * *word once it holds `sleeping` (the completer changes it and calls net_wake), or in short naps
 * when word is NULL. learn: the wait is a synchronous request's, whose outcome tunes the budget.
 * 0, or -1 after timeout_ms (< 0: no limit). */
int net_wait(far_net *net, int (*pred)(void *), void *arg, atomic_uint *word, unsigned sleeping,
             int timeout_ms, int learn);
int net_wait_ticket(far_net *net, far_ticket *t, int learn);
void net_wake(atomic_uint *word);
/* Asks the poller to read c until its requests are answered. */
void net_arm(net_conn *c);
/* For a thread that stops reading c: arms the poller if c still has requests in flight and no
 * waiter spins or sleeps on it. */
void net_hand_off(net_conn *c);

/* net_batch.c: far_net_readv for a thread that will come back for the objects (a batched get
 * started now and finished later): the poller is not woken by each reply; the sender reads the
 * replies when it waits for one of them (net_wait), and the poller's tick reads what nobody
 * came back for within NET_TICK_MS. */
int net_readv_lazy(far_net *net, far_io *ios, size_t n, far_ticket *t, far_done_fn done, void *arg);
#define NET_TICK_MS 1

/* net_spin.c: the spin budget of the next wait, and what the wait showed (caught: the reply came
 * while spinning). probe: this wait spins fully to test whether spinning pays again. */
uint64_t net_spin_budget_ns(far_net *net, int *probe);
void net_spin_outcome(far_net *net, int probe, int caught);

/* net_poller.c */
int net_poller_start(far_net *net, char *err, size_t errlen);
void net_poller_stop(far_net *net);
/* Registers c's socket with the poller (one-shot): it reads c once bytes are there. */
void net_poller_watch(net_conn *c);
/* After a lazy request was registered on some connection: makes sure the poller ticks. */
void net_poller_tick(far_net *net);

/* net_error.c */
/* Marks c dead, records "farmemd at host:port: what" as the client's error, fails every pending
 * request with status. Safe to call from any thread, any number of times. */
void net_conn_fail(net_conn *c, int status, const char *what);
void net_set_error(far_net *net, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
