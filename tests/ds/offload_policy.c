/* The default offload policy (FARDS_OFFLOAD_MIN_REMOTE_PCT, 50%), in a translation unit of its own
 * because test_offload.c turns it off: a vector that is local is summed locally (no offload call), one
 * four times the local budget is offloaded; both sums are right. Part of ds_test_offload. */
#include "ds_harness.h"

#include <far/ds/vec_ops.h>

FAR_VECTOR_DECLARE(polvec, double)
FAR_VECTOR_OPS_DECLARE(polvec, double)

static polvec *filled(size_t n, double *sum) {
  polvec *v = polvec_new();
  *sum = 0;
  for (size_t i = 0; i < n; i++) {
    *sum += (double)(i % 977);
    ck_assert_int_eq(polvec_push(v, (double)(i % 977)), 0);
  }
  return v;
}

void check_offload_policy(void) {
  double want;
  polvec *small = filled(64u << 10, &want); /* 512 KiB, freshly written: local */
  uint64_t calls = ds_counters().offload_calls;
  ck_assert(polvec_sum(small) == want);
  ck_assert_uint_eq(ds_counters().offload_calls, calls);
  polvec *big = filled(3u << 20, &want); /* 24 MiB against an 8 MiB budget: mostly remote */
  ck_assert(polvec_sum(big) == want);
  ck_assert_uint_eq(ds_counters().offload_calls, calls + 1);
  polvec_free(small);
  polvec_free(big);
}
