/* The receive side of a connection: read what the socket has, split it into frames, match each
 * reply to its request by id and complete the request (copy data into the caller's buffers, set
 * statuses, count the ticket down). Large readv replies are handed to net_direct.c, which receives
 * their data straight into the objects' buffers. Only the holder of the connection's rx_busy
 * try-lock reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "net_internal.h"

int net_try_rx(net_conn *c) {
  return atomic_load_explicit(&c->rx_busy, memory_order_relaxed) == 0 &&
         atomic_exchange_explicit(&c->rx_busy, 1, memory_order_acquire) == 0;
}

void net_release_rx(net_conn *c) { atomic_store(&c->rx_busy, 0); }

static void ticket_fail(far_ticket *t, int status) {
  int ok = FAR_OK;
  if (status != FAR_OK) atomic_compare_exchange_strong(&t->status, &ok, status);
}

void net_ticket_begin(far_ticket *t, far_done_fn done, void *arg) {
  t->done = done;
  t->arg = arg;
  atomic_store(&t->pending, 1);
  atomic_store(&t->status, FAR_OK);
  atomic_store(&t->state, 0u);
}

/* Counts the ticket down; the last request completes it (see far/net.h for the order). */
void net_ticket_end(far_ticket *t) {
  if (atomic_fetch_sub(&t->pending, 1) != 1) return;
  far_done_fn done = t->done;
  void *arg = t->arg;
  unsigned prev = atomic_exchange(&t->state, 2u);
  if (done) done(t, arg);
  if (prev == 1) net_wake(&t->state);
}

void net_req_complete(net_req *req, int status) {
  for (uint32_t i = 0; i < req->n; i++) net_req_io(req, i)->status = status;
  far_ticket *t = req->ticket;
  ticket_fail(t, status);
  if (req->lazy) atomic_fetch_sub(req->lazy, 1);
  if (req->owned) free(req);
  net_ticket_end(t);
}

/* Copies one object's stored bytes and zero-fills the rest. -1 if the server sent too many. */
static int deliver(far_io *io, const uint8_t *data, uint32_t len) {
  uint32_t size = 1u << io->cls;
  if (len > size) return -1;
  memcpy(io->buf, data, len);
  memset((uint8_t *)io->buf + len, 0, size - len);
  io->status = FAR_OK;
  return 0;
}

static int deliver_readv(net_req *r, far_wire_list items) {
  if (items.left != r->n) return -1;
  far_wire_item it;
  for (uint32_t i = 0; far_wire_list_next(&items, &it); i++)
    if (deliver(net_req_io(r, i), it.data, it.len) != 0) return -1;
  return 0;
}

static int copy_result(net_req *r, const uint8_t *data, uint32_t len) {
  r->result = malloc(len ? len : 1);
  if (!r->result) return -1;
  memcpy(r->result, data, len);
  r->result_len = len;
  return 0;
}

static int format_stats(net_req *r, far_wire_list items) {
  size_t cap = 64 + (size_t)items.left * 96, len = 0;
  char *s = malloc(cap);
  if (!s) return -1;
  far_wire_item it;
  while (far_wire_list_next(&items, &it))
    if (it.name_len < 64)
      len += (size_t)snprintf(s + len, cap - len, "%.*s=%llu\n", (int)it.name_len, it.name,
                              (unsigned long long)it.value);
  s[len] = 0;
  r->result = s;
  r->result_len = len;
  return 0;
}

/* Applies a successful reply's results to the request. -1: the reply does not fit the request. */
static int apply(net_req *r, const far_wire_rep *rep) {
  switch (r->op) {
  case FAR_OP_READ: return deliver(&r->ios[0], rep->data, rep->len);
  case FAR_OP_READV: return deliver_readv(r, rep->items);
  case FAR_OP_OFFLOAD: return copy_result(r, rep->data, rep->len);
  case FAR_OP_STATS: return format_stats(r, rep->items);
  }
  return 0;
}

net_req *net_claim(net_conn *c, uint64_t rid, uint32_t readv_n) {
  uint32_t slot = (uint32_t)(rid & (NET_SLOTS - 1));
  pthread_mutex_lock(&c->lock);
  net_req *r = c->slots[slot];
  if (r && r->rid == rid && (!readv_n || (r->op == FAR_OP_READV && r->n == readv_n))) {
    c->slots[slot] = NULL;
    c->free_slots[c->nfree++] = slot;
    if (!readv_n) atomic_fetch_sub(&c->inflight, 1);
  } else {
    r = NULL;
  }
  pthread_mutex_unlock(&c->lock);
  return r;
}

/* Handles one reply frame. -1 when it was malformed or unexpected (the connection is failed). */
static int dispatch(net_conn *c, const uint8_t *body, uint32_t len) {
  far_wire_rep rep;
  const char *why;
  if (far_wire_decode_reply(body, len, &rep, &why) != 0) {
    net_conn_fail(c, FAR_EPROTO, why);
    return -1;
  }
  net_req *r = net_claim(c, rep.rid, 0);
  if (!r || r->op != rep.op) {
    if (r) net_req_complete(r, FAR_EPROTO);
    net_conn_fail(c, FAR_EPROTO, "reply to a request that is not in flight");
    return -1;
  }
  if (rep.status == FAR_OK && apply(r, &rep) != 0) {
    net_req_complete(r, FAR_EPROTO);
    net_conn_fail(c, FAR_EPROTO, "reply does not match its request");
    return -1;
  }
  net_req_complete(r, rep.status);
  return 0;
}

static int dispatch_frames(net_conn *c) {
  const uint8_t *body;
  uint32_t len;
  const char *why;
  int k;
  while ((k = far_frame_reader_next(&c->in, &body, &len, &why)) == 1) {
    c->dx.big = len >= NET_DIRECT_MIN;
    if (dispatch(c, body, len) != 0) return -1;
  }
  if (k < 0) net_conn_fail(c, FAR_EPROTO, why);
  return k < 0 ? k : net_direct_begin(c);
}

int net_read_once(net_conn *c) {
  if (c->dx.req) return net_direct_read(c);
  size_t room;
  uint8_t *p = far_frame_reader_space(&c->in, &room);
  if (!p) {
    net_conn_fail(c, FAR_ENET, "out of memory for a reply");
    return -1;
  }
  ssize_t n = recv(c->fd, p, net_direct_recv_cap(c, room), MSG_DONTWAIT);
  if (n > 0) {
    far_frame_reader_commit(&c->in, (size_t)n);
    return dispatch_frames(c) < 0 ? -1 : 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  char what[128];
  snprintf(what, sizeof what, "connection lost (%s)", n == 0 ? "closed by the server" : strerror(errno));
  net_conn_fail(c, FAR_ENET, what);
  return -1;
}
