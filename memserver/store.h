/* The object table of one size class in one namespace: a hash of object id -> buffer. Callers
 * hold the namespace lock. */
#ifndef FARMEMD_STORE_H
#define FARMEMD_STORE_H

#include <stddef.h>
#include <stdint.h>

/* A stored object: len bytes written so far; its buffer always holds the full 2^cls bytes, so an
 * overwrite never reallocates. Made and freed by objmem.c. */
typedef struct store_obj {
  uint8_t *data;               /* inline_data, or a slot in a huge-page chunk */
  struct objmem_chunk *chunk;  /* the chunk data lies in, or NULL */
  uint32_t len;
  uint8_t inline_data[];
} store_obj;

typedef struct store_slot {
  uint64_t id;
  store_obj *obj; /* NULL: empty slot */
} store_slot;

typedef struct store_table {
  store_slot *slots;
  size_t count;
  unsigned bits; /* 2^bits slots, or no slots when 0 */
} store_table;

store_obj *store_get(const store_table *t, uint64_t id);
/* Asks the CPU for the table slot a lookup of id starts at (a batch looks its ids up in stages). */
void store_prefetch(const store_table *t, uint64_t id);
/* Makes room so that `extra` more ids can be inserted without failing; -1 when out of memory. */
int store_reserve(store_table *t, size_t extra);
/* Inserts obj under id, which must be absent, after a store_reserve that covers it. */
void store_insert(store_table *t, uint64_t id, store_obj *obj);
/* Removes the objects with ids first .. first + count - 1; returns how many there were. */
size_t store_remove_range(store_table *t, uint64_t first, uint64_t count);
/* Frees every object and the table. */
void store_clear(store_table *t);

#endif
