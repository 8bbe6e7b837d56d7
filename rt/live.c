/* Which far allocations are live: one bit per id, set at the first id of every allocation while it
 * is allocated. far_free checks and clears it, so a double free, or freeing an address far_malloc
 * never returned (an id inside a large allocation included), stops the program with a message
 * instead of handing one id to two owners later. The bitmap is a reservation committed by the kernel
 * as ids come into use: one bit per object, 1/64 of the object table's size, counted as metadata. */
#include <sys/mman.h>

#include "core.h"
#include "support.h"

#define CLASSES (FAR_HEAP_CLASS_MAX + 1)

static uint64_t *bits;
static atomic_size_t high[CLASSES]; /* ids in use so far, per class */

void far_live_init(void) {
  size_t bytes = ((size_t)CLASSES << FAR_TABLE_ID_BITS) / 8;
  bits = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (bits == MAP_FAILED) far_fatal("cannot reserve %zu bytes of address space for the heap's bitmap", bytes);
}

static inline uint64_t *word(unsigned cls, uint64_t id, uint64_t *mask) {
  uint64_t bit = ((uint64_t)cls << FAR_TABLE_ID_BITS) + id;
  *mask = 1ull << (bit % 64);
  return &bits[bit / 64];
}

void far_live_set(unsigned cls, uint64_t id, uint64_t count) {
  uint64_t mask;
  __atomic_fetch_or(word(cls, id, &mask), mask, __ATOMIC_RELAXED);
  size_t end = id + count, seen = atomic_load(&high[cls]);
  while (seen < end && !atomic_compare_exchange_weak(&high[cls], &seen, end)) {}
}

bool far_live_clear(unsigned cls, uint64_t id) {
  uint64_t mask;
  return __atomic_fetch_and(word(cls, id, &mask), ~mask, __ATOMIC_RELAXED) & mask;
}

size_t far_live_bytes(void) {
  size_t total = 0;
  for (int c = 0; c < CLASSES; c++) {
    size_t ids = atomic_load_explicit(&high[c], memory_order_relaxed);
    total += (ids / 8 + 4095) / 4096 * 4096;
  }
  return total;
}
