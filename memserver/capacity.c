/* The capacity cap as one atomic counter: reservations are all-or-nothing compare-and-swaps, so
 * concurrent writers can never together overshoot the limit. */
#include "capacity.h"
#include <stdatomic.h>

static uint64_t limit;
static _Atomic uint64_t used;

void capacity_init(uint64_t n) { limit = n; }

int capacity_reserve(uint64_t n) {
  uint64_t cur = atomic_load_explicit(&used, memory_order_relaxed);
  do {
    if (n > limit || cur > limit - n)
      return -1;
  } while (!atomic_compare_exchange_weak_explicit(&used, &cur, cur + n, memory_order_relaxed,
                                                  memory_order_relaxed));
  return 0;
}

void capacity_release(uint64_t n) { atomic_fetch_sub_explicit(&used, n, memory_order_relaxed); }

uint64_t capacity_limit(void) { return limit; }

uint64_t capacity_used(void) { return atomic_load_explicit(&used, memory_order_relaxed); }
