/* Running one offload function: the calling connection's namespace is locked for the whole call,
 * and the accessors handed to the function (struct farmemd_offload_api) reach only that namespace,
 * check every class, id and byte range, and charge new objects to the server's capacity like a
 * WRITE would. The function ends with a result (the reply's bytes) or a failure (logged; the client
 * gets FAR_EOFFLOAD). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capacity.h"
#include "objmem.h"
#include "offload.h"

#define MAX_RESULT (FAR_WIRE_MAX_FRAME - 64)
#define MAX_ARGS (FAR_WIRE_MAX_FRAME - 512)

enum { CALL_RUNNING, CALL_DONE, CALL_FAILED };

struct call {
  far_offload_call pub; /* first: the function gets &pub */
  ns *ns;
  int state;
  void *result;
  size_t result_len;
  char error[256];
};

static struct call *of(far_offload_call *c) { return (struct call *)c; }

/* Never-written bytes, for views of absent objects (the largest class); never written (in .bss). */
static uint8_t zeros[(size_t)1 << FAR_WIRE_CLASS_MAX];

static int in_range(unsigned cls, uint64_t id, size_t off, size_t len) {
  return cls >= FAR_WIRE_CLASS_MIN && cls <= FAR_WIRE_CLASS_MAX &&
         id < (1ull << (FAR_WIRE_OFFSET_BITS - cls)) && off <= ((size_t)1 << cls) &&
         len <= ((size_t)1 << cls) - off;
}

static const void *host_view(far_offload_call *pc, unsigned cls, uint64_t id) {
  if (!in_range(cls, id, 0, 0))
    return NULL;
  store_obj *o = store_get(&of(pc)->ns->tables[cls], id);
  if (!o)
    return zeros;
  size_t size = (size_t)1 << cls;
  if (o->len < size) /* bytes past the stored length may be left from a longer earlier write */
    memset(o->data + o->len, 0, size - o->len);
  return o->data;
}

static int host_read(far_offload_call *pc, unsigned cls, uint64_t id, size_t off, void *buf, size_t len) {
  if (!in_range(cls, id, off, len))
    return -1;
  memcpy(buf, (const uint8_t *)host_view(pc, cls, id) + off, len);
  return 0;
}

/* The object (cls, id), created (zero length, charged) when absent; NULL when out of capacity. */
static store_obj *object_for_write(ns *n, unsigned cls, uint64_t id) {
  store_obj *o = store_get(&n->tables[cls], id);
  if (o)
    return o;
  uint64_t charge = capacity_charge(cls);
  if (capacity_reserve(charge) != 0)
    return NULL;
  if (store_reserve(&n->tables[cls], 1) != 0 || !(o = store_obj_new(cls))) {
    capacity_release(charge);
    return NULL;
  }
  store_insert(&n->tables[cls], id, o);
  n->objects++;
  n->charged += charge;
  return o;
}

static int host_write(far_offload_call *pc, unsigned cls, uint64_t id, size_t off, const void *buf,
                      size_t len) {
  if (!in_range(cls, id, off, len))
    return -1;
  if (len == 0)
    return 0;
  store_obj *o = object_for_write(of(pc)->ns, cls, id);
  if (!o)
    return -1;
  if (o->len < off)
    memset(o->data + o->len, 0, off - o->len);
  memcpy(o->data + off, buf, len);
  if (off + len > o->len)
    o->len = (uint32_t)(off + len);
  return 0;
}

static int host_result(far_offload_call *pc, const void *data, size_t len) {
  struct call *k = of(pc);
  if (k->state != CALL_RUNNING || len > MAX_RESULT)
    return -1;
  if (!(k->result = malloc(len ? len : 1))) {
    snprintf(k->error, sizeof k->error, "out of memory for a %zu-byte result", len);
    k->state = CALL_FAILED;
    return -1;
  }
  memcpy(k->result, data, len);
  k->result_len = len;
  k->state = CALL_DONE;
  return 0;
}

static int host_fail(far_offload_call *pc, const char *fmt, ...) {
  struct call *k = of(pc);
  if (k->state != CALL_RUNNING)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k->error, sizeof k->error, fmt, ap);
  va_end(ap);
  k->state = CALL_FAILED;
  return -1;
}

int offload_add(const struct farmemd_offload_api *api, const char *name, far_offload_fn fn);

const struct farmemd_offload_api offload_host_api = {
    .abi = FARMEMD_OFFLOAD_ABI,
    .max_args = MAX_ARGS,
    .max_result = MAX_RESULT,
    .add = offload_add,
    .read = host_read,
    .view = host_view,
    .write = host_write,
    .result = host_result,
    .fail = host_fail,
};

int offload_serve(conn *c, const far_wire_req *q) {
  far_offload_fn fn = offload_find(q->name, q->name_len);
  if (!fn)
    return far_wire_put_status(&c->out, q->op, q->rid, FAR_ENOENT);
  struct call k = {.pub = {.api = &offload_host_api}, .ns = c->ns, .state = CALL_RUNNING};
  pthread_mutex_lock(&c->ns->lock);
  int rc = fn(&k.pub, q->data, q->len);
  pthread_mutex_unlock(&c->ns->lock);
  if (k.state == CALL_DONE && rc == 0) {
    rc = far_wire_put_data_reply(&c->out, q->op, q->rid, k.result, (uint32_t)k.result_len);
    free(k.result);
    return rc;
  }
  free(k.result);
  log_msg(LOG_WARN, "%s: offload %.*s failed: %s", c->peer, (int)q->name_len, q->name,
          k.state == CALL_FAILED ? k.error : "returned without a result");
  return far_wire_put_status(&c->out, q->op, q->rid, FAR_EOFFLOAD);
}
