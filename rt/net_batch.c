/* Asynchronous batches (far_net_readv / far_net_writev). The elements are grouped by the server
 * they are sharded to and cut into requests of at most NET_CHUNK_BYTES of object data, spread over
 * the server's connections: the server starts answering the first chunk while the next arrives,
 * and no single frame approaches the protocol's limits. Lazy batches (net_readv_lazy) are read by
 * their sender when it comes back for them, not by a poller woken for each reply. */
#include <stdlib.h>
#include <string.h>
#include "net_internal.h"

static int valid_io(const far_io *io, int writing) {
  return io->cls >= FAR_WIRE_CLASS_MIN && io->cls <= FAR_WIRE_CLASS_MAX &&
         io->id < (1ull << (FAR_WIRE_OFFSET_BITS - io->cls)) && (!writing || io->len <= (1u << io->cls));
}

static uint32_t io_bytes(const far_io *io, unsigned op) {
  return op == FAR_OP_READV ? 1u << io->cls : io->len;
}

/* Position k of the order; a NULL order is the elements' own (one server). */
static uint32_t at(const uint32_t *order, uint32_t k) { return order ? order[k] : k; }

/* Orders the element positions by server (a counting sort); start[s] .. start[s+1] is server s. */
static uint32_t *group_by_server(far_net *net, const far_io *ios, uint32_t n, uint32_t *start) {
  uint32_t *order = malloc((size_t)n * sizeof *order), fill[NET_MAX_SERVERS + 1] = {0};
  uint16_t *shard = malloc((size_t)n * sizeof *shard);
  if (!order || !shard) {
    free(order);
    free(shard);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    shard[i] = (uint16_t)(net_shard(net, ios[i].cls, ios[i].id) - net->servers);
    fill[shard[i] + 1]++;
  }
  for (unsigned s = 0; s < net->nservers; s++) fill[s + 1] += fill[s];
  memcpy(start, fill, (net->nservers + 1) * sizeof *start);
  for (uint32_t i = 0; i < n; i++) order[fill[shard[i]]++] = i;
  free(shard);
  return order;
}

/* Sends order[from..to) as one request on c. A lazy one is counted in c->lazy before it can be
 * answered, so a reader never sees its reply uncounted. */
static void send_chunk(net_conn *c, unsigned op, far_io *ios, const uint32_t *order, uint32_t from,
                       uint32_t to, far_ticket *t, int lazy) {
  uint32_t k = to - from;
  net_req *r = malloc(sizeof *r + (size_t)k * sizeof(uint32_t));
  if (!r) {
    for (uint32_t i = from; i < to; i++) ios[at(order, i)].status = FAR_ENET;
    int ok = FAR_OK;
    atomic_compare_exchange_strong(&t->status, &ok, FAR_ENET);
    return;
  }
  uint32_t *idx = (uint32_t *)(r + 1);
  for (uint32_t i = 0; i < k; i++) idx[i] = at(order, from + i);
  *r = (net_req){.op = op, .ticket = t, .ios = ios, .idx = idx, .n = k, .owned = 1, .lazy = lazy ? &c->lazy : NULL};
  if (lazy) {
    atomic_fetch_add(&c->lazy, 1);
    net_poller_tick(c->net);
  }
  net_submit(c, r);
  net_hand_off(c); /* nobody may be about to wait for it (a lazy request: its sender will) */
}

static void send_server(net_server *srv, unsigned op, far_io *ios, const uint32_t *order, uint32_t from,
                        uint32_t to, far_ticket *t, int lazy) {
  unsigned conn = (unsigned)(net_pick_conn(srv) - srv->conns);
  while (from < to) {
    uint32_t end = from, bytes = 0;
    while (end < to && end - from < FAR_WIRE_MAX_BATCH &&
           (end == from || bytes + io_bytes(&ios[at(order, end)], op) <= NET_CHUNK_BYTES))
      bytes += io_bytes(&ios[at(order, end++)], op);
    send_chunk(&srv->conns[conn++ % srv->nconns], op, ios, order, from, end, t, lazy);
    from = end;
  }
}

static int batch(far_net *net, unsigned op, far_io *ios, size_t n, far_ticket *t, far_done_fn done,
                 void *arg, int lazy) {
  if (n > UINT32_MAX) return FAR_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!valid_io(&ios[i], op == FAR_OP_WRITEV)) return FAR_EINVAL;
  /* With one server the elements go in their own order: no sort (and no allocation) per batch. */
  uint32_t start[NET_MAX_SERVERS + 1] = {0, (uint32_t)n};
  uint32_t *order = n && net->nservers > 1 ? group_by_server(net, ios, (uint32_t)n, start) : NULL;
  if (n && net->nservers > 1 && !order) return FAR_ENET;
  net_ticket_begin(t, done, arg);
  for (unsigned s = 0; n && s < net->nservers; s++)
    send_server(&net->servers[s], op, ios, order, start[s], start[s + 1], t, lazy);
  free(order);
  net_ticket_end(t);
  return FAR_OK;
}

int far_net_readv(far_net *net, far_io *ios, size_t n, far_ticket *t, far_done_fn done, void *arg) {
  return batch(net, FAR_OP_READV, ios, n, t, done, arg, 0);
}

int net_readv_lazy(far_net *net, far_io *ios, size_t n, far_ticket *t, far_done_fn done, void *arg) {
  return batch(net, FAR_OP_READV, ios, n, t, done, arg, 1);
}

int far_net_writev(far_net *net, far_io *ios, size_t n, far_ticket *t, far_done_fn done, void *arg) {
  return batch(net, FAR_OP_WRITEV, ios, n, t, done, arg, 0);
}
