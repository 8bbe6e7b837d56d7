/* Object tables: open addressing with linear probing and backward-shift deletion (no tombstones,
 * so lookups stay short however many objects come and go), at most 3/4 full. The multiplicative
 * hash spreads the consecutive ids the runtime allocates over the table. */
#include "store.h"
#include <stdlib.h>
#include "objmem.h"

#define STORE_MIN_BITS 6

static size_t slot_of(uint64_t id, unsigned bits) {
  return (size_t)((id * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

static size_t mask(const store_table *t) { return ((size_t)1 << t->bits) - 1; }

store_obj *store_get(const store_table *t, uint64_t id) {
  if (t->bits == 0)
    return NULL;
  for (size_t i = slot_of(id, t->bits);; i = (i + 1) & mask(t)) {
    const store_slot *s = &t->slots[i];
    if (!s->obj)
      return NULL;
    if (s->id == id)
      return s->obj;
  }
}

void store_prefetch(const store_table *t, uint64_t id) {
  if (t->bits)
    __builtin_prefetch(&t->slots[slot_of(id, t->bits)]);
}

static void place(store_slot *slots, unsigned bits, uint64_t id, store_obj *obj) {
  size_t m = ((size_t)1 << bits) - 1;
  size_t i = slot_of(id, bits);
  while (slots[i].obj)
    i = (i + 1) & m;
  slots[i] = (store_slot){id, obj};
}

int store_reserve(store_table *t, size_t extra) {
  size_t want = t->count + extra;
  unsigned bits = t->bits ? t->bits : STORE_MIN_BITS;
  while (want > ((size_t)3 << bits) / 4)
    bits++;
  if (bits == t->bits)
    return 0;
  store_slot *slots = calloc((size_t)1 << bits, sizeof *slots);
  if (!slots)
    return -1;
  for (size_t i = 0; t->bits && i <= mask(t); i++)
    if (t->slots[i].obj)
      place(slots, bits, t->slots[i].id, t->slots[i].obj);
  free(t->slots);
  t->slots = slots;
  t->bits = bits;
  return 0;
}

void store_insert(store_table *t, uint64_t id, store_obj *obj) {
  place(t->slots, t->bits, id, obj);
  t->count++;
}

/* Empties slot i, then pulls later members of its probe run back so every id stays reachable. */
static void delete_at(store_table *t, size_t hole) {
  size_t m = mask(t);
  store_obj_free(t->slots[hole].obj);
  t->count--;
  for (size_t j = (hole + 1) & m; t->slots[j].obj; j = (j + 1) & m) {
    size_t home = slot_of(t->slots[j].id, t->bits);
    /* The entry at j may move to the hole unless its home lies cyclically in (hole, j]. */
    int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      t->slots[hole] = t->slots[j];
      hole = j;
    }
  }
  t->slots[hole].obj = NULL;
}

static size_t find(const store_table *t, uint64_t id) {
  for (size_t i = slot_of(id, t->bits);; i = (i + 1) & mask(t)) {
    if (!t->slots[i].obj)
      return SIZE_MAX;
    if (t->slots[i].id == id)
      return i;
  }
}

size_t store_remove_range(store_table *t, uint64_t first, uint64_t count) {
  size_t removed = 0;
  if (t->count == 0)
    return 0;
  if (count <= t->count * 2) { /* few ids: look each one up */
    for (uint64_t id = first; id - first < count; id++) {
      size_t i = find(t, id);
      if (i != SIZE_MAX) {
        delete_at(t, i);
        removed++;
      }
    }
    return removed;
  }
  /* A range wider than the table: sweep the slots. A deletion may pull an unvisited entry into
   * the current slot, so the slot is examined again before moving on. */
  for (size_t i = 0; i <= mask(t);) {
    store_slot *s = &t->slots[i];
    if (s->obj && s->id - first < count) {
      delete_at(t, i);
      removed++;
    } else {
      i++;
    }
  }
  return removed;
}

void store_clear(store_table *t) {
  for (size_t i = 0; t->bits && i <= mask(t); i++)
    store_obj_free(t->slots[i].obj);
  free(t->slots);
  *t = (store_table){0};
}
