/* The send side of a connection: a request gets a slot (its request id names the slot, so a reply
 * finds its request without a search), its frame is appended to the connection's queue, and the
 * first thread that finds nobody sending sends everything queued, including what other threads
 * append meanwhile: under concurrency many requests leave in one send. A write-back's object data
 * is not copied into the queue: the frame records where it goes (net_ref) and the flusher sends it
 * from the object with sendmsg, so evacuated bytes are copied once, by the kernel. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "net_internal.h"

static _Thread_local net_conn *flushing_here; /* the connection this thread is flushing */

static _Thread_local unsigned thread_conn_hint;
static atomic_uint next_thread_hint;

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

net_server *net_shard(far_net *net, unsigned cls, uint64_t id) {
  if (net->nservers == 1) return &net->servers[0];
  return &net->servers[mix(id * 64 + cls) % net->nservers];
}

/* Each thread sticks to one connection per server, so threads rarely contend on a send queue. */
net_conn *net_pick_conn(net_server *srv) {
  if (!thread_conn_hint) thread_conn_hint = atomic_fetch_add(&next_thread_hint, 1) + 1;
  return &srv->conns[thread_conn_hint % srv->nconns];
}

static int encode(far_wbuf *b, const net_req *r) {
  switch (r->op) {
  case FAR_OP_READ: return far_wire_put_read(b, r->rid, r->ios[0].cls, r->ios[0].id);
  case FAR_OP_WRITE: return far_wire_put_write(b, r->rid, r->ios[0].cls, r->ios[0].id, r->ios[0].buf, r->ios[0].len);
  case FAR_OP_FREE: return far_wire_put_free(b, r->rid, r->cls, r->obj, r->count);
  case FAR_OP_STATS: return far_wire_put_stats(b, r->rid);
  case FAR_OP_BYE: return far_wire_put_bye(b, r->rid);
  case FAR_OP_OFFLOAD: return far_wire_put_offload(b, r->rid, r->name, r->args, r->args_len);
  case FAR_OP_READV:
    far_wire_begin_readv(b, r->rid, r->n);
    for (uint32_t i = 0; i < r->n; i++) far_wire_add_read(b, r->ios[r->idx[i]].cls, r->ios[r->idx[i]].id);
    return far_wire_end(b);
  }
  return FAR_WIRE_ENOMEM;
}

static int refs_push(net_refs *refs, size_t at, const void *p, size_t len) {
  if (refs->n == refs->cap) {
    size_t cap = refs->cap ? refs->cap * 2 : 64;
    net_ref *v = realloc(refs->v, cap * sizeof *v);
    if (!v) return -1;
    refs->v = v;
    refs->cap = cap;
  }
  refs->v[refs->n++] = (net_ref){at, p, len};
  return 0;
}

/* A WRITEV frame into c->out: large elements' data by reference (c->out_refs), small ones copied. */
static int encode_writev(net_conn *c, const net_req *r) {
  far_wbuf *b = &c->out;
  size_t refs_before = c->out_refs.n, external = 0;
  far_wire_begin_writev(b, r->rid, r->n);
  for (uint32_t i = 0; i < r->n; i++) {
    const far_io *io = &r->ios[r->idx[i]];
    if (io->len >= NET_REF_MIN) {
      far_wire_add_write_head(b, io->cls, io->id, io->len);
      if (!b->failed && refs_push(&c->out_refs, b->len, io->buf, io->len) == 0) {
        external += io->len;
        continue;
      }
      b->failed = 1; /* out of memory: drop the frame */
      break;
    }
    far_wire_add_write(b, io->cls, io->id, io->buf, io->len);
  }
  int rc = far_wire_end_with(b, external);
  if (rc != 0) c->out_refs.n = refs_before;
  return rc;
}

static int encode_request(net_conn *c, const net_req *r) {
  return r->op == FAR_OP_WRITEV ? encode_writev(c, r) : encode(&c->out, r);
}

/* Claims a slot and queues the frame. Caller holds c->lock. 0, or a status to fail req with. */
static int enqueue(net_conn *c, net_req *req) {
  if (c->dead) return FAR_ENET;
  uint32_t slot = c->free_slots[--c->nfree];
  req->rid = (++c->generation << NET_SLOT_BITS) | slot;
  if (encode_request(c, req) != 0) {
    c->free_slots[c->nfree++] = slot;
    return FAR_ENET; /* out of memory for the frame: nothing was sent */
  }
  c->slots[slot] = req;
  atomic_fetch_add(&c->inflight, 1);
  return 0;
}

/* Sends all of the pieces; while the socket is full, reads replies so the server can go on writing. */
static int send_all(net_conn *c, struct iovec *iov, size_t k) {
  size_t i = 0;
  while (i < k) {
    ssize_t n = far_wire_send_pieces(c->fd, iov, &i, k);
    if (n < 0 && errno == EAGAIN) {
      if (net_try_rx(c)) {
        int r = net_read_once(c);
        net_release_rx(c);
        net_hand_off(c);
        if (r < 0) return -1;
      }
      struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
      poll(&pfd, 1, 1);
    } else if (n < 0 && errno != EINTR) {
      net_conn_fail(c, FAR_ENET, "send failed");
      return -1;
    }
  }
  return 0;
}

/* The pieces of c->sending: its bytes, with the referenced data spliced in at their places. The
 * flusher's own array; NULL when out of memory. */
static struct iovec *pieces(net_conn *c, size_t *k) {
  const net_refs *refs = &c->sending_refs;
  size_t need = 2 * refs->n + 1, from = 0;
  if (need > c->iov_cap) {
    struct iovec *v = realloc(c->iov, need * sizeof *v);
    if (!v) return NULL;
    c->iov = v;
    c->iov_cap = need;
  }
  *k = 0;
  for (size_t r = 0; r < refs->n; r++) {
    c->iov[(*k)++] = (struct iovec){c->sending.data + from, refs->v[r].at - from};
    c->iov[(*k)++] = (struct iovec){(void *)refs->v[r].p, refs->v[r].len};
    from = refs->v[r].at;
  }
  c->iov[(*k)++] = (struct iovec){c->sending.data + from, c->sending.len - from};
  return c->iov;
}

static int send_queued(net_conn *c) {
  size_t k;
  struct iovec *iov = pieces(c, &k);
  if (!iov) {
    net_conn_fail(c, FAR_ENET, "out of memory for a send");
    return -1;
  }
  return send_all(c, iov, k);
}

/* Sends until the queue is empty. Caller holds c->lock and has set c->flushing; returns unlocked. */
static void flush(net_conn *c) {
  flushing_here = c;
  while (c->out.len && !c->dead) {
    far_wbuf t = c->sending;
    net_refs tr = c->sending_refs;
    c->sending = c->out;
    c->sending_refs = c->out_refs;
    c->out = t;
    c->out_refs = tr;
    pthread_mutex_unlock(&c->lock);
    int r = send_queued(c);
    far_wbuf_reset(&c->sending);
    far_wbuf_trim(&c->sending, NET_SEND_KEEP);
    c->sending_refs.n = 0;
    pthread_mutex_lock(&c->lock);
    if (r < 0) break;
  }
  c->flushing = 0;
  flushing_here = NULL;
  pthread_mutex_unlock(&c->lock);
}

void net_wait_flusher(net_conn *c) {
  for (;;) {
    pthread_mutex_lock(&c->lock);
    int busy = c->flushing && flushing_here != c;
    pthread_mutex_unlock(&c->lock);
    if (!busy) return;
    sched_yield();
  }
}

/* Waits for a free slot by reading replies (ours, or anyone's) without holding c->lock. */
static void wait_for_slot(net_conn *c) {
  pthread_mutex_unlock(&c->lock);
  if (net_try_rx(c)) {
    net_read_once(c);
    net_release_rx(c);
    net_hand_off(c);
  } else {
    sched_yield();
  }
  pthread_mutex_lock(&c->lock);
}

void net_submit(net_conn *c, net_req *req) {
  atomic_fetch_add(&req->ticket->pending, 1);
  pthread_mutex_lock(&c->lock);
  while (c->nfree == 0 && !c->dead) wait_for_slot(c);
  int st = enqueue(c, req);
  if (st) {
    pthread_mutex_unlock(&c->lock);
    net_req_complete(req, st);
    return;
  }
  if (c->flushing) {
    pthread_mutex_unlock(&c->lock);
    return;
  }
  c->flushing = 1;
  flush(c);
}
