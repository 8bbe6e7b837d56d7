/* The send side of a connection: a request gets a slot (its request id names the slot, so a reply
 * finds its request without a search), its frame is appended to the connection's queue, and the
 * first thread that finds nobody sending sends everything queued, including what other threads
 * append meanwhile: under concurrency many requests leave in one send. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include "net_internal.h"

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
  case FAR_OP_WRITEV:
    far_wire_begin_writev(b, r->rid, r->n);
    for (uint32_t i = 0; i < r->n; i++) {
      const far_io *io = &r->ios[r->idx[i]];
      far_wire_add_write(b, io->cls, io->id, io->buf, io->len);
    }
    return far_wire_end(b);
  }
  return FAR_WIRE_ENOMEM;
}

/* Claims a slot and queues the frame. Caller holds c->lock. 0, or a status to fail req with. */
static int enqueue(net_conn *c, net_req *req) {
  if (c->dead) return FAR_ENET;
  uint32_t slot = c->free_slots[--c->nfree];
  req->rid = (++c->generation << NET_SLOT_BITS) | slot;
  if (encode(&c->out, req) != 0) {
    c->free_slots[c->nfree++] = slot;
    return FAR_ENET; /* out of memory for the frame: nothing was sent */
  }
  c->slots[slot] = req;
  atomic_fetch_add(&c->inflight, 1);
  return 0;
}

/* Sends all of buf; while the socket is full, reads replies so the server can go on writing. */
static int send_all(net_conn *c, const uint8_t *p, size_t len) {
  while (len) {
    ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
    } else if (n < 0 && errno == EAGAIN) {
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

/* Sends until the queue is empty. Caller holds c->lock and has set c->flushing; returns unlocked. */
static void flush(net_conn *c) {
  while (c->out.len && !c->dead) {
    far_wbuf t = c->sending;
    c->sending = c->out;
    c->out = t;
    pthread_mutex_unlock(&c->lock);
    int r = send_all(c, c->sending.data, c->sending.len);
    far_wbuf_reset(&c->sending);
    far_wbuf_trim(&c->sending, NET_SEND_KEEP);
    pthread_mutex_lock(&c->lock);
    if (r < 0) break;
  }
  c->flushing = 0;
  pthread_mutex_unlock(&c->lock);
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
