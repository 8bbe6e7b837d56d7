/* The object operations of a namespace: read, batched read, all-or-nothing (batched) write, and
 * free. Replies are encoded while the lock is held, straight from the stored bytes. */
#include <stdlib.h>
#include <string.h>
#include "capacity.h"
#include "namespace.h"

static const store_obj *lookup(ns *n, unsigned cls, uint64_t obj) { return store_get(&n->tables[cls], obj); }

int ns_read(ns *n, far_wbuf *out, uint64_t rid, unsigned cls, uint64_t obj) {
  pthread_mutex_lock(&n->lock);
  const store_obj *o = lookup(n, cls, obj);
  int rc = far_wire_put_data_reply(out, FAR_OP_READ, rid, o ? o->data : NULL, o ? o->len : 0);
  pthread_mutex_unlock(&n->lock);
  return rc;
}

int ns_readv(ns *n, far_wbuf *out, const far_wire_req *req) {
  far_wire_list items = req->items;
  far_wire_item it;
  pthread_mutex_lock(&n->lock);
  far_wire_begin_readv_reply(out, req->rid, items.left);
  while (far_wire_list_next(&items, &it)) {
    const store_obj *o = lookup(n, it.cls, it.obj);
    far_wire_add_data(out, o ? o->data : NULL, o ? o->len : 0);
  }
  int rc = far_wire_end(out);
  pthread_mutex_unlock(&n->lock);
  return rc;
}

int ns_write_scratch_init(ns_write_scratch *s) {
  s->items = calloc(FAR_WIRE_MAX_BATCH, sizeof *s->items);
  s->fresh = calloc(FAR_WIRE_MAX_BATCH, sizeof *s->fresh);
  if (s->items && s->fresh)
    return 0;
  ns_write_scratch_free(s);
  return -1;
}

void ns_write_scratch_free(ns_write_scratch *s) {
  free(s->items);
  free(s->fresh);
  s->items = NULL;
  s->fresh = NULL;
}

/* Everything that can fail, before anything changes: capacity for the objects that are new (an
 * object named twice in one batch is counted twice, which only over-reserves), table room and
 * their buffers. Returns the capacity reserved, or UINT64_MAX when the batch cannot be stored. */
static uint64_t write_prepare(ns *n, const far_wire_item *items, size_t count, store_obj **fresh) {
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
    if (items[i].len == 0 || lookup(n, items[i].cls, items[i].obj))
      continue;
    if (!(fresh[i] = malloc(sizeof(store_obj) + ((size_t)1 << items[i].cls))))
      goto fail;
  }
  return charge;
fail:
  for (size_t i = 0; i < count; i++)
    free(fresh[i]);
  capacity_release(charge);
  return UINT64_MAX;
}

/* Cannot fail: objects are never removed by a write, so whatever write_prepare found present is
 * still present, and every absent one has a fresh buffer. */
static void write_apply(ns *n, const far_wire_item *items, size_t count, store_obj **fresh, uint64_t charge) {
  for (size_t i = 0; i < count; i++) {
    const far_wire_item *it = &items[i];
    store_obj *o = (store_obj *)lookup(n, it->cls, it->obj);
    if (!o && it->len == 0)
      continue;
    if (!o) {
      o = fresh[i];
      fresh[i] = NULL;
      store_insert(&n->tables[it->cls], it->obj, o);
      n->objects++;
      n->charged += capacity_charge(it->cls);
      charge -= capacity_charge(it->cls);
    }
    memcpy(o->data, it->data, it->len);
    o->len = it->len;
    free(fresh[i]); /* reserved for an object the same batch created earlier */
  }
  capacity_release(charge);
}

int ns_write(ns *n, const far_wire_item *items, size_t count, ns_write_scratch *s) {
  pthread_mutex_lock(&n->lock);
  uint64_t charge = write_prepare(n, items, count, s->fresh);
  if (charge != UINT64_MAX)
    write_apply(n, items, count, s->fresh, charge);
  pthread_mutex_unlock(&n->lock);
  return charge == UINT64_MAX ? FAR_ENOSPC : FAR_OK;
}

void ns_free(ns *n, unsigned cls, uint64_t obj, uint64_t count) {
  pthread_mutex_lock(&n->lock);
  size_t removed = store_remove_range(&n->tables[cls], obj, count);
  n->objects -= removed;
  n->charged -= removed * capacity_charge(cls);
  pthread_mutex_unlock(&n->lock);
  capacity_release(removed * capacity_charge(cls));
}
