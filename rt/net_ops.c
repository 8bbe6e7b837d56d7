/* The client's operations (far/net.h). Each one becomes requests on the connections of the servers
 * its objects are sharded to; synchronous ones wait on a ticket of their own. Arguments are checked
 * here, because a request the server finds malformed would cost the whole connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net_internal.h"

static int valid_object(unsigned cls, uint64_t id) {
  return cls >= FAR_WIRE_CLASS_MIN && cls <= FAR_WIRE_CLASS_MAX && id < (1ull << (FAR_WIRE_OFFSET_BITS - cls));
}

static int ticket_complete(void *t) { return atomic_load(&((far_ticket *)t)->state) == 2u; }

int far_ticket_done(const far_ticket *t) { return atomic_load(&t->state) == 2u; }

int net_wait_ticket(far_net *net, far_ticket *t, int learn) {
  net_wait(net, ticket_complete, t, &t->state, 1u, -1, learn);
  return atomic_load(&t->status);
}

int far_ticket_wait(far_net *net, far_ticket *t) { return net_wait_ticket(net, t, 0); }

/* Submits one request built on the caller's stack and waits for it. */
static int run_sync(net_conn *c, net_req *r) {
  far_ticket t;
  net_ticket_begin(&t, NULL, NULL);
  r->ticket = &t;
  net_submit(c, r);
  net_ticket_end(&t);
  return net_wait_ticket(c->net, &t, 1);
}

static int object_op(far_net *net, unsigned op, far_io *io) {
  if (!valid_object(io->cls, io->id) || io->len > (1u << io->cls)) return FAR_EINVAL;
  net_req r = {.op = op, .ios = io, .n = 1};
  return run_sync(net_pick_conn(net_shard(net, io->cls, io->id)), &r);
}

int far_net_read(far_net *net, unsigned cls, uint64_t id, void *buf) {
  far_io io = {.cls = (uint8_t)cls, .id = id, .buf = buf};
  return object_op(net, FAR_OP_READ, &io);
}

int far_net_write(far_net *net, unsigned cls, uint64_t id, const void *buf, uint32_t len) {
  far_io io = {.cls = (uint8_t)cls, .id = id, .buf = (void *)buf, .len = len};
  return object_op(net, FAR_OP_WRITE, &io);
}

/* Objects are sharded one by one, so with several servers a range may touch all of them: each is
 * asked to free the whole range (freeing objects never written is fine). */
int far_net_free(far_net *net, unsigned cls, uint64_t id, uint64_t count) {
  if (count == 0 || !valid_object(cls, id) || count > (1ull << (FAR_WIRE_OFFSET_BITS - cls)) - id)
    return FAR_EINVAL;
  far_ticket t;
  net_ticket_begin(&t, NULL, NULL);
  net_req reqs[NET_MAX_SERVERS];
  for (unsigned s = 0; s < net->nservers; s++) {
    reqs[s] = (net_req){.op = FAR_OP_FREE, .ticket = &t, .cls = cls, .obj = id, .count = count};
    net_submit(net_pick_conn(&net->servers[s]), &reqs[s]);
  }
  net_ticket_end(&t);
  return far_ticket_wait(net, &t);
}

unsigned far_net_server_count(const far_net *net) { return net->nservers; }

int far_net_offload(far_net *net, const char *name, const void *args, size_t args_len, void **result,
                    size_t *result_len) {
  size_t name_len = name ? strlen(name) : 0;
  if (name_len == 0 || name_len > FAR_WIRE_MAX_NAME || args_len > FAR_WIRE_MAX_FRAME / 2) return FAR_EINVAL;
  net_req r = {.op = FAR_OP_OFFLOAD, .name = name, .args = args, .args_len = args_len};
  int st = run_sync(net_pick_conn(&net->servers[0]), &r);
  if (st == FAR_OK) {
    *result = r.result;
    *result_len = r.result_len;
  }
  return st;
}

/* Joins the servers' texts, each after a "server=" line when there are several. */
static char *join_stats(far_net *net, net_req *reqs) {
  size_t len = 1;
  for (unsigned s = 0; s < net->nservers; s++) len += reqs[s].result_len + sizeof net->servers[s].name + 8;
  char *text = malloc(len), *p = text;
  for (unsigned s = 0; text && s < net->nservers; s++) {
    if (net->nservers > 1) p += sprintf(p, "server=%s\n", net->servers[s].name);
    memcpy(p, reqs[s].result, reqs[s].result_len);
    p += reqs[s].result_len;
  }
  if (text) *p = 0;
  return text;
}

int far_net_stats(far_net *net, char **text) {
  far_ticket t;
  net_ticket_begin(&t, NULL, NULL);
  net_req reqs[NET_MAX_SERVERS];
  for (unsigned s = 0; s < net->nservers; s++) {
    reqs[s] = (net_req){.op = FAR_OP_STATS, .ticket = &t};
    net_submit(net_pick_conn(&net->servers[s]), &reqs[s]);
  }
  net_ticket_end(&t);
  int st = far_ticket_wait(net, &t);
  if (st == FAR_OK && !(*text = join_stats(net, reqs))) st = FAR_ENET;
  for (unsigned s = 0; s < net->nservers; s++) free(reqs[s].result);
  return st;
}
