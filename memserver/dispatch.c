/* Request dispatch: validates a frame, enforces the connection state (hello first, once), and runs
 * the op against the connection's namespace. OFFLOAD runs a
 * function of a loaded module (offload.h). */
#include "dispatch.h"
#include <string.h>
#include "capacity.h"
#include "offload.h"

/* Replies with an error status and ends the connection once the reply is out. */
static int refuse(conn *c, const far_wire_req *q, int status, const char *reason) {
  int rc = q->op == FAR_OP_HELLO ? far_wire_put_hello_reply(&c->out, q->rid, status)
                                 : far_wire_put_status(&c->out, q->op, q->rid, status);
  c->close_after_flush = 1;
  c->close_level = LOG_WARN;
  c->close_reason = reason;
  return rc;
}

/* Compares without an early exit, so the time taken says nothing about the token. */
static int token_matches(const config *cfg, const uint8_t *token, uint32_t len) {
  if (!token || len != cfg->token_len)
    return 0;
  unsigned diff = 0;
  for (uint32_t i = 0; i < len; i++)
    diff |= (unsigned)(token[i] ^ (uint8_t)cfg->token[i]);
  return diff == 0;
}

static int hello(conn *c, const far_wire_req *q) {
  const config *cfg = c->w->srv->cfg;
  if (c->ns)
    return refuse(c, q, FAR_ESTATE, "second hello");
  if (q->version != FAR_WIRE_VERSION)
    return refuse(c, q, FAR_EVERSION, "unsupported protocol version");
  if (cfg->token_len && !token_matches(cfg, q->token, q->token_len))
    return refuse(c, q, FAR_EAUTH, "wrong or missing token");
  if (!(c->ns = ns_acquire(q->key)))
    return refuse(c, q, FAR_ENOSPC, "out of memory creating a namespace");
  log_msg(LOG_DEBUG, "%s: hello", c->peer);
  return far_wire_put_hello_reply(&c->out, q->rid, FAR_OK);
}

static int stats(conn *c, const far_wire_req *q) {
  uint64_t objects, charged;
  unsigned ns_conns;
  ns_usage(c->ns, &objects, &charged, &ns_conns);
  far_wire_begin_stats_reply(&c->out, q->rid, 9);
  far_wire_add_stat(&c->out, "version", FAR_WIRE_VERSION);
  far_wire_add_stat(&c->out, "capacity", capacity_limit());
  far_wire_add_stat(&c->out, "used", capacity_used());
  far_wire_add_stat(&c->out, "namespaces", ns_count());
  far_wire_add_stat(&c->out, "connections", atomic_load(&c->w->srv->connections));
  far_wire_add_stat(&c->out, "ns_objects", objects);
  far_wire_add_stat(&c->out, "ns_bytes", charged);
  far_wire_add_stat(&c->out, "ns_connections", ns_conns);
  far_wire_add_stat(&c->out, "requests", server_requests(c->w->srv));
  return far_wire_end(&c->out);
}

static int write_batch(conn *c, const far_wire_req *q) {
  ns_scratch *s = &c->w->scratch;
  far_wire_list items = q->items;
  size_t n = 0;
  while (far_wire_list_next(&items, &s->items[n]))
    n++;
  return far_wire_put_status(&c->out, q->op, q->rid, ns_write(c->ns, s->items, n, s));
}

/* A large READV reply goes to the socket straight from the stored objects when no other reply
 * waits (replies never interleave): copying megabytes of objects into the output buffer first cost
 * farmemd as much CPU as the kernel's own copy. What the socket does not take waits in c->out
 * (empty here, so nothing of it was sent yet). */
#define READV_SEND_MIN (32u << 10)
static int read_batch(conn *c, const far_wire_req *q) {
  if (c->out.len || q->bytes < READV_SEND_MIN)
    return ns_readv(c->ns, &c->out, q);
  return ns_readv_send(c->ns, c->fd, &c->out, q, &c->w->scratch);
}

static int run(conn *c, const far_wire_req *q) {
  far_wire_item one;
  switch (q->op) {
  case FAR_OP_READ: return ns_read(c->ns, &c->out, q->rid, q->cls, q->obj);
  case FAR_OP_READV: return read_batch(c, q);
  case FAR_OP_WRITE:
    one = (far_wire_item){.cls = q->cls, .obj = q->obj, .data = q->data, .len = q->len};
    return far_wire_put_status(&c->out, q->op, q->rid, ns_write(c->ns, &one, 1, &c->w->scratch));
  case FAR_OP_WRITEV: return write_batch(c, q);
  case FAR_OP_FREE:
    ns_free(c->ns, q->cls, q->obj, q->count);
    return far_wire_put_status(&c->out, q->op, q->rid, FAR_OK);
  case FAR_OP_STATS: return stats(c, q);
  case FAR_OP_OFFLOAD: return offload_serve(c, q);
  case FAR_OP_BYE:
    c->close_after_flush = 1;
    c->close_level = LOG_INFO;
    c->close_reason = "said bye";
    return far_wire_put_status(&c->out, q->op, q->rid, FAR_OK);
  default: return refuse(c, q, FAR_ESTATE, "op not served");
  }
}

void dispatch_count(conn *c) {
  uint64_t served = atomic_load_explicit(&c->w->requests, memory_order_relaxed);
  atomic_store_explicit(&c->w->requests, served + 1, memory_order_relaxed); /* one writer */
}

int dispatch(conn *c, const uint8_t *body, uint32_t len, const char **why) {
  far_wire_req q;
  if (far_wire_decode_request(body, len, &q, why) != 0)
    return -1;
  dispatch_count(c);
  int rc;
  if (q.op == FAR_OP_HELLO)
    rc = hello(c, &q);
  else if (!c->ns)
    rc = refuse(c, &q, FAR_ESTATE, "request before hello");
  else
    rc = run(c, &q);
  if (rc != 0) {
    *why = "out of memory for a reply";
    return -1;
  }
  return 0;
}
