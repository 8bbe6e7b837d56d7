/* The object operations of a namespace: read, batched read, all-or-nothing (batched) write, and
 * free. Replies are encoded while the lock is held, straight from the stored bytes; a large batched
 * read is sent from them (ns_readv_send) without being copied into the output buffer. */
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include "capacity.h"
#include "namespace.h"
#include "objmem.h"

static const store_obj *lookup(ns *n, unsigned cls, uint64_t obj) { return store_get(&n->tables[cls], obj); }

int ns_read(ns *n, far_wbuf *out, uint64_t rid, unsigned cls, uint64_t obj) {
  pthread_mutex_lock(&n->lock);
  const store_obj *o = lookup(n, cls, obj);
  int rc = far_wire_put_data_reply(out, FAR_OP_READ, rid, o ? o->data : NULL, o ? o->len : 0);
  pthread_mutex_unlock(&n->lock);
  return rc;
}

/* Bytes of each object a batched read asks the CPU for ahead of the copy (a small object whole). */
#define PREFETCH_DATA 256u

/* A lookup is a chain of dependent cache misses (table slot, object, its data); taken one item
 * after another a batch pays every step of every item in turn, most of farmemd's CPU for small
 * objects. So a batch's slots are asked for first, then its objects, then their data, each stage's
 * misses overlapping, before the reply is built. Lock held. */
static void prefetch_batch(ns *n, far_wire_list items) {
  far_wire_item it;
  for (far_wire_list l = items; far_wire_list_next(&l, &it);)
    store_prefetch(&n->tables[it.cls], it.obj);
  for (far_wire_list l = items; far_wire_list_next(&l, &it);)
    __builtin_prefetch(lookup(n, it.cls, it.obj));
  for (far_wire_list l = items; far_wire_list_next(&l, &it);) {
    const store_obj *o = lookup(n, it.cls, it.obj);
    for (uint32_t off = 0; o && off < o->len && off < PREFETCH_DATA; off += 64)
      __builtin_prefetch(o->data + off);
  }
}

/* The READV reply, with the lock held. */
static int encode_readv(ns *n, far_wbuf *out, const far_wire_req *req) {
  far_wire_list items = req->items;
  far_wire_item it;
  far_wire_begin_readv_reply(out, req->rid, items.left);
  while (far_wire_list_next(&items, &it)) {
    const store_obj *o = lookup(n, it.cls, it.obj);
    far_wire_add_data(out, o ? o->data : NULL, o ? o->len : 0);
  }
  return far_wire_end(out);
}

int ns_readv(ns *n, far_wbuf *out, const far_wire_req *req) {
  pthread_mutex_lock(&n->lock);
  prefetch_batch(n, req->items);
  int rc = encode_readv(n, out, req);
  pthread_mutex_unlock(&n->lock);
  return rc;
}

/* The reply's headers in s->heads and its pieces in s->iov (headers and the objects' data
 * alternating, empty data left out). Lock held. Returns the piece count, or -1. */
static int readv_pieces(ns *n, const far_wire_req *req, ns_scratch *s) {
  far_wire_list items = req->items;
  far_wire_item it;
  far_wbuf *h = &s->heads;
  size_t data = 0, from = 0;
  int k = 0;
  far_wbuf_reset(h);
  far_wire_begin_readv_reply(h, req->rid, items.left);
  while (far_wire_list_next(&items, &it)) {
    const store_obj *o = lookup(n, it.cls, it.obj);
    far_wire_add_data_head(h, o ? o->len : 0);
    if (!o || !o->len)
      continue;
    s->iov[k++] = (struct iovec){(void *)(uintptr_t)from, h->len - from}; /* offsets until h stops growing */
    s->iov[k++] = (struct iovec){(void *)o->data, o->len};
    data += o->len;
    from = h->len;
  }
  if (far_wire_end_with(h, data) != 0)
    return -1;
  if (from < h->len)
    s->iov[k++] = (struct iovec){(void *)(uintptr_t)from, h->len - from};
  for (int i = 0; i < k; i += 2)
    s->iov[i].iov_base = h->data + (uintptr_t)s->iov[i].iov_base;
  return k;
}

/* Sends the pieces until the socket stops taking them; *i: the first piece not wholly sent (its
 * sent part trimmed off). */
static void send_pieces(int fd, struct iovec *iov, size_t *i, size_t k) {
  while (*i < k) {
    size_t end = k - *i < FAR_WIRE_IOV_MAX ? k : *i + FAR_WIRE_IOV_MAX;
    if (far_wire_send_pieces(fd, iov, i, k) <= 0 || *i < end) /* error, or the socket is full */
      return;
  }
}

/* Appends the pieces iov[i..k) to out. 0, or -1 when out of memory. */
static int queue_pieces(far_wbuf *out, const struct iovec *iov, size_t i, size_t k) {
  for (; i < k; i++)
    if (far_wbuf_append(out, iov[i].iov_base, iov[i].iov_len) != 0)
      return -1;
  return 0;
}

int ns_readv_send(ns *n, int fd, far_wbuf *out, const far_wire_req *req, ns_scratch *s) {
  pthread_mutex_lock(&n->lock);
  int k = readv_pieces(n, req, s), rc;
  size_t i = 0;
  if (k > 0) {
    send_pieces(fd, s->iov, &i, (size_t)k);
    rc = queue_pieces(out, s->iov, i, (size_t)k); /* what the full socket did not take */
  } else {
    rc = encode_readv(n, out, req); /* out of memory for the pieces: the whole reply, copied */
  }
  pthread_mutex_unlock(&n->lock);
  return rc;
}

int ns_scratch_init(ns_scratch *s) {
  s->items = calloc(FAR_WIRE_MAX_BATCH, sizeof *s->items);
  s->fresh = calloc(FAR_WIRE_MAX_BATCH, sizeof *s->fresh);
  s->iov = calloc(2 * FAR_WIRE_MAX_BATCH + 1, sizeof *s->iov);
  far_wbuf_init(&s->heads);
  if (s->items && s->fresh && s->iov)
    return 0;
  ns_scratch_free(s);
  return -1;
}

void ns_scratch_free(ns_scratch *s) {
  free(s->items);
  free(s->fresh);
  free(s->iov);
  far_wbuf_free(&s->heads);
  s->items = NULL;
  s->fresh = NULL;
  s->iov = NULL;
}

/* Everything that can fail, before anything changes: capacity for the objects that are new (an
 * object named twice in one batch is counted twice, which only over-reserves), table room and
 * their buffers (except those given: received in place). Returns the capacity reserved, or
 * UINT64_MAX when the batch cannot be stored. */
static uint64_t write_prepare(ns *n, const far_wire_item *items, size_t count, store_obj **fresh,
                              store_obj *const *given) {
  uint64_t charge = 0;
  size_t new_per_class[FAR_WIRE_CLASS_MAX + 1] = {0};
  for (size_t i = 0; i < count; i++) {
    fresh[i] = NULL;
    if (items[i].len == 0 || lookup(n, items[i].cls, items[i].obj))
      continue;
    charge += capacity_charge(items[i].cls);
    new_per_class[items[i].cls]++;
  }
  if (charge && capacity_reserve(charge) != 0)
    return UINT64_MAX;
  for (unsigned c = FAR_WIRE_CLASS_MIN; c <= FAR_WIRE_CLASS_MAX; c++)
    if (new_per_class[c] && store_reserve(&n->tables[c], new_per_class[c]) != 0)
      goto fail;
  for (size_t i = 0; i < count; i++) {
    if (items[i].len == 0 || lookup(n, items[i].cls, items[i].obj) || (given && given[i]))
      continue;
    if (!(fresh[i] = store_obj_new(items[i].cls)))
      goto fail;
  }
  return charge;
fail:
  for (size_t i = 0; i < count; i++)
    store_obj_free(fresh[i]);
  capacity_release(charge);
  return UINT64_MAX;
}

/* A stored object takes over the buffer g received its new contents in, and g the old one (both
 * of the same class, so both in slab chunks or both inline; given buffers are slab ones). */
static void take_buffer(store_obj *o, store_obj *g) {
  uint8_t *data = o->data;
  struct objmem_chunk *chunk = o->chunk;
  o->data = g->data;
  o->chunk = g->chunk;
  g->data = data;
  g->chunk = chunk;
}

/* Cannot fail: objects are never removed by a write, so whatever write_prepare found present is
 * still present, and every absent one has a fresh or given buffer. A given buffer that was not
 * installed ends up holding an old one; the caller frees it. */
static void write_apply(ns *n, const far_wire_item *items, size_t count, store_obj **fresh,
                        store_obj **given, uint64_t charge) {
  for (size_t i = 0; i < count; i++) {
    const far_wire_item *it = &items[i];
    store_obj *o = (store_obj *)lookup(n, it->cls, it->obj), *g = given ? given[i] : NULL;
    if (!o && it->len == 0)
      continue;
    if (!o) {
      o = g ? g : fresh[i];
      *(g ? &given[i] : &fresh[i]) = NULL;
      store_insert(&n->tables[it->cls], it->obj, o);
      n->objects++;
      n->charged += capacity_charge(it->cls);
      charge -= capacity_charge(it->cls);
    } else if (g) {
      take_buffer(o, g);
    }
    if (o->data != it->data)
      memcpy(o->data, it->data, it->len);
    o->len = it->len;
    store_obj_free(fresh[i]); /* reserved for an object the same batch created earlier */
  }
  capacity_release(charge);
}

int ns_write_given(ns *n, const far_wire_item *items, store_obj **given, size_t count, ns_scratch *s) {
  pthread_mutex_lock(&n->lock);
  uint64_t charge = write_prepare(n, items, count, s->fresh, given);
  if (charge != UINT64_MAX)
    write_apply(n, items, count, s->fresh, given, charge);
  pthread_mutex_unlock(&n->lock);
  return charge == UINT64_MAX ? FAR_ENOSPC : FAR_OK;
}

int ns_write(ns *n, const far_wire_item *items, size_t count, ns_scratch *s) {
  return ns_write_given(n, items, NULL, count, s);
}

void ns_free(ns *n, unsigned cls, uint64_t obj, uint64_t count) {
  pthread_mutex_lock(&n->lock);
  size_t removed = store_remove_range(&n->tables[cls], obj, count);
  n->objects -= removed;
  n->charged -= removed * capacity_charge(cls);
  pthread_mutex_unlock(&n->lock);
  capacity_release(removed * capacity_charge(cls));
}
