/* Offloaded vector operations (far/ds/vec_ops.h) against the embedded farmemd and its vector module:
 * every operation, for several element types, equals both the local computation (the _local twin)
 * and a plain-array reference, on dirty data not yet written back, on a vector three times the local
 * budget, on empty vectors, from several threads at once; outputs filled by the server read back
 * and stay usable; a gather index out of range (or no index vector) fails on both paths; and the
 * offload path is really taken (offload_calls). This file
 * offloads whatever is local; offload_policy.c checks the default policy (mostly remote only). */
#include "ds_harness.h"

#define FARDS_OFFLOAD_MIN_REMOTE_PCT 0 /* offload even data that is local: the equality checks */
#include <far/ds/array.h>
#include <far/ds/vec_ops.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

FAR_VECTOR_DECLARE(i32vec, int32_t)
FAR_VECTOR_OPS_DECLARE(i32vec, int32_t)
FAR_VECTOR_DECLARE(u8vec, uint8_t)
FAR_VECTOR_OPS_DECLARE(u8vec, uint8_t)
FAR_VECTOR_DECLARE(i64vec, int64_t)
FAR_VECTOR_OPS_DECLARE(i64vec, int64_t)
FAR_VECTOR_DECLARE(f32vec, float)
FAR_VECTOR_OPS_DECLARE(f32vec, float)
FAR_VECTOR_DECLARE(dblvec, double)
FAR_VECTOR_OPS_DECLARE(dblvec, double)
FAR_ARRAY_DECLARE(u64arr, uint64_t)
FAR_VECTOR_OPS_DECLARE(u64arr, uint64_t)

static uint64_t offload_calls(void) { return ds_counters().offload_calls; }

/* Both index vectors hold the same sequence. */
static void same_indices(fards_idxvec *a, fards_idxvec *b) {
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(fards_idxvec_size(a), fards_idxvec_size(b));
  for (size_t i = 0; i < fards_idxvec_size(a); i++)
    ck_assert_uint_eq(fards_idxvec_get(a, i), fards_idxvec_get(b, i));
}

/* Checks every operation of NAME (element type T, values in ref[0..n)) offloaded against local, and
 * the aggregates against the reference array. Frees what it makes. */
#define CHECK_ALL_OPS(NAME, T, v, ref, n, pivot)                                                    \
  do {                                                                                              \
    uint64_t calls0 = offload_calls();                                                              \
    FARDS_SUM_T(T) s1_ = NAME##_sum(v), s2_ = NAME##_sum_local(v);                                   \
    ck_assert(memcmp(&s1_, &s2_, sizeof s1_) == 0); /* bit for bit (NaN included) */               \
    uint64_t wantu = 0; /* the reference sum: wrapping for integers, in order for floats */        \
    double wantd = 0;                                                                               \
    size_t above = 0;                                                                               \
    for (size_t i_ = 0; i_ < (n); i_++) {                                                           \
      if (fards_type_float(FARDS_TYPE_OF(T)))                                                       \
        wantd += (double)(ref)[i_];                                                                 \
      else                                                                                          \
        wantu += (uint64_t)(int64_t)(ref)[i_];                                                      \
      above += (ref)[i_] > (pivot);                                                                 \
    }                                                                                               \
    if (fards_type_float(FARDS_TYPE_OF(T)))                                                         \
      ck_assert((double)NAME##_sum(v) == wantd || (isnan(wantd) && isnan((double)s1_)));             \
    else                                                                                            \
      ck_assert_uint_eq((uint64_t)NAME##_sum(v), wantu);                                            \
    T a_, b_;                                                                                       \
    ck_assert_int_eq(NAME##_min(v, &a_), (n) != 0);                                                 \
    ck_assert_int_eq(NAME##_min_local(v, &b_), (n) != 0);                                           \
    ck_assert((n) == 0 || memcmp(&a_, &b_, sizeof a_) == 0);                                        \
    ck_assert_int_eq(NAME##_max(v, &a_), (n) != 0);                                                 \
    ck_assert_int_eq(NAME##_max_local(v, &b_), (n) != 0);                                           \
    ck_assert((n) == 0 || memcmp(&a_, &b_, sizeof a_) == 0);                                        \
    ck_assert_int_eq(NAME##_median(v, &a_), (n) != 0);                                              \
    ck_assert_int_eq(NAME##_median_local(v, &b_), (n) != 0);                                        \
    ck_assert((n) == 0 || memcmp(&a_, &b_, sizeof a_) == 0);                                        \
    ck_assert_uint_eq(NAME##_count_if(v, FARDS_GT, (pivot)), above);                                \
    ck_assert_uint_eq(NAME##_count_if_local(v, FARDS_GT, (pivot)), above);                          \
    NAME *f1 = NAME##_filter(v, FARDS_GT, (pivot)), *f2 = NAME##_filter_local(v, FARDS_GT, (pivot)); \
    NAME *u1 = NAME##_unique(v), *u2 = NAME##_unique_local(v);                                      \
    ck_assert_uint_eq(NAME##_size(f1), above);                                                      \
    same_##NAME(f1, f2);                                                                            \
    same_##NAME(u1, u2);                                                                            \
    fards_idxvec *s1 = NAME##_sort_indices(v), *s2 = NAME##_sort_indices_local(v);                  \
    same_indices(s1, s2);                                                                           \
    NAME *g1 = NAME##_gather(v, s1), *g2 = NAME##_gather_local(v, s1);                              \
    same_##NAME(g1, g2);                                                                            \
    ck_assert_uint_eq(NAME##_size(g1), (n));                                                        \
    for (size_t i_ = 1; i_ < NAME##_size(g1) && i_ < 2000; i_++) /* gathered in sorted order */     \
      ck_assert(fards_sort_key(FARDS_TYPE_OF(T), &(T){NAME##_get(g1, i_ - 1)}) <=                   \
                fards_sort_key(FARDS_TYPE_OF(T), &(T){NAME##_get(g1, i_)}));                        \
    ck_assert_uint_eq(offload_calls() - calls0, 10); /* every operation was offloaded */            \
    NAME##_free(f1), NAME##_free(f2), NAME##_free(u1), NAME##_free(u2);                             \
    NAME##_free(g1), NAME##_free(g2), fards_idxvec_free(s1), fards_idxvec_free(s2);                 \
  } while (0)

#define SAME_FN(NAME, T)                                                                            \
  static void same_##NAME(NAME *a, NAME *b) {                                                       \
    ck_assert_ptr_nonnull(a);                                                                       \
    ck_assert_ptr_nonnull(b);                                                                       \
    ck_assert_uint_eq(NAME##_size(a), NAME##_size(b));                                              \
    for (size_t i = 0; i < NAME##_size(a); i++) {                                                   \
      T x = NAME##_get(a, i), y = NAME##_get(b, i);                                                 \
      ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, #NAME ": element %zu differs", i);              \
    }                                                                                               \
  }
SAME_FN(i32vec, int32_t)
SAME_FN(u8vec, uint8_t)
SAME_FN(i64vec, int64_t)
SAME_FN(f32vec, float)
SAME_FN(dblvec, double)
SAME_FN(u64arr, uint64_t)

/* Fills a fresh NAME with n values of gen(i), kept in ref too; the data stays dirty (never flushed). */
#define FILLED(NAME, T, ref, n, gen)                                                                \
  ({                                                                                                \
    NAME *v_ = NAME##_new();                                                                        \
    for (size_t i_ = 0; i_ < (n); i_++) {                                                           \
      (ref)[i_] = (T)(gen);                                                                         \
      ck_assert_int_eq(NAME##_push(v_, (ref)[i_]), 0);                                              \
    }                                                                                               \
    v_;                                                                                             \
  })

START_TEST(integer_types_equal_local) {
  enum { N = 100000 };
  uint64_t seed = 7;
  int32_t *r32 = malloc(N * sizeof *r32);
  uint8_t *r8 = malloc(N);
  int64_t *r64 = malloc(N * sizeof *r64);
  i32vec *a = FILLED(i32vec, int32_t, r32, N, (int32_t)(ds_rand(&seed) % 20001) - 10000);
  CHECK_ALL_OPS(i32vec, int32_t, a, r32, N, 5000);
  u8vec *b = FILLED(u8vec, uint8_t, r8, N, ds_rand(&seed));
  CHECK_ALL_OPS(u8vec, uint8_t, b, r8, N, 200);
  i64vec *c = FILLED(i64vec, int64_t, r64, N, (int64_t)ds_rand(&seed)); /* the sum wraps */
  CHECK_ALL_OPS(i64vec, int64_t, c, r64, N, 0);
  i32vec_free(a), u8vec_free(b), i64vec_free(c);
  free(r32), free(r8), free(r64);
}
END_TEST

START_TEST(float_types_equal_local) {
  enum { N = 50000 };
  uint64_t seed = 11;
  float *rf = malloc(N * sizeof *rf);
  double *rd = malloc(N * sizeof *rd);
  f32vec *a = FILLED(f32vec, float, rf, N, (float)((double)(ds_rand(&seed) % 1000000) / 7.0 - 50000));
  f32vec_set(a, 17, -0.0f), rf[17] = -0.0f;
  f32vec_set(a, 18, 0.0f), rf[18] = 0.0f;
  CHECK_ALL_OPS(f32vec, float, a, rf, N, 100.0f);
  dblvec *b = FILLED(dblvec, double, rd, N, (double)(ds_rand(&seed) >> 11) * 0x1p-30 - 4096.0);
  dblvec_set(b, 99, NAN), rd[99] = NAN;
  double m;
  ck_assert_int_eq(dblvec_max(b, &m), 1);
  ck_assert(isnan(m)); /* NaN is the largest in the total order */
  CHECK_ALL_OPS(dblvec, double, b, rd, N, 0.0);
  f32vec_free(a), dblvec_free(b);
  free(rf), free(rd);
}
END_TEST

/* 24 MiB of doubles, three times FAR_LOCAL_MEM: most chunks are remote, the rest dirty. */
START_TEST(larger_than_local_memory) {
  enum { N = 3u << 20 };
  dblvec *v = dblvec_new();
  double want = 0;
  size_t big = 0;
  for (size_t i = 0; i < N; i++) {
    double x = (double)((i * 2654435761u) % 1000003);
    want += x;
    big += x > 900000;
    ck_assert_int_eq(dblvec_push(v, x), 0);
  }
  dblvec_set(v, N - 1, 5e6); /* a dirty tail */
  want += 5e6 - (double)(((size_t)(N - 1) * 2654435761u) % 1000003);
  big += 1 - (((size_t)(N - 1) * 2654435761u) % 1000003 > 900000);
  uint64_t calls0 = offload_calls();
  /* Offloaded, nothing comes back but the results: no object is fetched, input or output. */
  struct far_stats_counters before = ds_counters();
  double sum = dblvec_sum(v), mx;
  ck_assert_uint_eq(dblvec_count_if(v, FARDS_GT, 900000.0), big);
  ck_assert_int_eq(dblvec_max(v, &mx), 1);
  dblvec *f = dblvec_filter(v, FARDS_GT, 900000.0);
  ck_assert_uint_eq(dblvec_size(f), big);
  ck_assert_uint_eq(ds_counters().bytes_fetched - before.bytes_fetched, 0);
  ck_assert_uint_eq(ds_counters().miss, before.miss);
  ck_assert_uint_eq(ds_counters().prefetch_issued, before.prefetch_issued);
  ck_assert(sum == dblvec_sum_local(v));
  ck_assert(fabs(sum - want) < 1e-6 * want);
  ck_assert(mx == 5e6);
  ck_assert(dblvec_get(f, big - 1) == 5e6);
  ck_assert_uint_eq(offload_calls() - calls0, 4);
  dblvec_free(f);
  dblvec_free(v);
}
END_TEST

START_TEST(empty_vectors) {
  i32vec *v = i32vec_new();
  int32_t x = 123;
  ck_assert_int_eq(i32vec_sum(v), 0);
  ck_assert_int_eq(i32vec_min(v, &x), 0);
  ck_assert_int_eq(i32vec_median(v, &x), 0);
  ck_assert_int_eq(x, 123);
  ck_assert_uint_eq(i32vec_count_if(v, FARDS_NE, 0), 0);
  i32vec *f = i32vec_filter(v, FARDS_EQ, 0), *u = i32vec_unique(v);
  fards_idxvec *s = i32vec_sort_indices(v);
  i32vec *g = i32vec_gather(v, s);
  ck_assert(f && u && s && g);
  ck_assert_uint_eq(i32vec_size(f) + i32vec_size(u) + fards_idxvec_size(s) + i32vec_size(g), 0);
  i32vec_free(f), i32vec_free(u), fards_idxvec_free(s), i32vec_free(g), i32vec_free(v);
}
END_TEST

/* Outputs the server filled are ordinary vectors afterwards: readable, writable, growable. */
START_TEST(outputs_stay_usable) {
  enum { N = 30000 };
  uint64_t *ref = malloc(N * sizeof *ref);
  u64arr *a = u64arr_new(N);
  for (size_t i = 0; i < N; i++)
    u64arr_set(a, i, ref[i] = i % 1000);
  u64arr *u = u64arr_unique(a);
  ck_assert_uint_eq(u64arr_size(u), 1000);
  for (size_t i = 0; i < 1000; i++)
    ck_assert_uint_eq(u64arr_get(u, i), i);
  u64arr_set(u, 5, 77777);
  ck_assert_uint_eq(u64arr_get(u, 5), 77777);
  uint64_t med;
  ck_assert_int_eq(u64arr_median(u, &med), 1); /* the write above is flushed before the call */
  ck_assert_uint_eq(med, 500);                 /* 0..999 with 5 -> 77777: rank 499 of the rest */
  CHECK_ALL_OPS(u64arr, uint64_t, a, ref, N, 500);
  u64arr_free(u), u64arr_free(a);
  free(ref);
}
END_TEST

START_TEST(gather_out_of_range_fails_on_both_paths) {
  i32vec *v = i32vec_new();
  for (int i = 0; i < 100; i++)
    i32vec_push(v, i * 3);
  fards_idxvec *idx = fards_idxvec_new();
  fards_idxvec_push(idx, 5);
  fards_idxvec_push(idx, 99);
  i32vec *g = i32vec_gather(v, idx);
  ck_assert_uint_eq(i32vec_size(g), 2);
  ck_assert_int_eq(i32vec_get(g, 1), 297);
  fards_idxvec_push(idx, 100);
  ck_assert_ptr_null(i32vec_gather(v, idx));
  ck_assert_ptr_null(i32vec_gather_local(v, idx));
  ck_assert_ptr_null(i32vec_gather(v, NULL)); /* no index vector: no result, no crash */
  ck_assert_ptr_null(i32vec_gather_local(v, NULL));
  i32vec_free(g), fards_idxvec_free(idx), i32vec_free(v);
}
END_TEST

/* ---- Several threads offloading at once, each on a vector of its own. ---- */

enum { OFFLOADERS = 3, OFFLOADER_ELEMS = 100000, OFFLOADER_ROUNDS = 3 };

/* Rewrites one element (dirty again), then compares four offloaded operations with their local
 * twins; returns how many rounds agreed. */
static void *offload_rounds(void *arg) {
  uintptr_t id = (uintptr_t)arg, agreed = 0;
  dblvec *v = dblvec_new();
  for (size_t i = 0; i < OFFLOADER_ELEMS; i++)
    if (dblvec_push(v, (double)((i * 7919 + id * 13) % 10007) - 5000.5) != 0)
      return NULL;
  for (size_t r = 0; r < OFFLOADER_ROUNDS; r++) {
    dblvec_set(v, r, -1e9 - (double)(r + id)); /* the smallest: index r sorts first */
    double s1 = dblvec_sum(v), s2 = dblvec_sum_local(v), m1 = 0, m2 = 1;
    dblvec_median(v, &m1);
    dblvec_median_local(v, &m2);
    dblvec *f1 = dblvec_filter(v, FARDS_LT, 0), *f2 = dblvec_filter_local(v, FARDS_LT, 0);
    fards_idxvec *order = dblvec_sort_indices(v);
    agreed += s1 == s2 && m1 == m2 && f1 && f2 && dblvec_size(f1) == dblvec_size(f2) && order &&
              fards_idxvec_get(order, 0) == r && dblvec_get(f1, 0) == dblvec_get(f2, 0);
    dblvec_free(f1), dblvec_free(f2), fards_idxvec_free(order);
  }
  dblvec_free(v);
  return (void *)agreed;
}

START_TEST(threads_offload_at_once) {
  pthread_t t[OFFLOADERS];
  uint64_t calls0 = offload_calls();
  for (uintptr_t k = 0; k < OFFLOADERS; k++)
    ck_assert_int_eq(pthread_create(&t[k], NULL, offload_rounds, (void *)k), 0);
  for (int k = 0; k < OFFLOADERS; k++) {
    void *agreed;
    pthread_join(t[k], &agreed);
    ck_assert_uint_eq((uintptr_t)agreed, OFFLOADER_ROUNDS);
  }
  ck_assert_uint_eq(offload_calls() - calls0, OFFLOADERS * OFFLOADER_ROUNDS * 4);
}
END_TEST

void check_offload_policy(void); /* offload_policy.c */

START_TEST(default_policy_offloads_only_mostly_remote_data) { check_offload_policy(); }
END_TEST

int main(void) {
  Suite *s = suite_create("ds_offload");
  DS_ADD_TEST(s, integer_types_equal_local);
  DS_ADD_TEST(s, float_types_equal_local);
  DS_ADD_TEST(s, larger_than_local_memory);
  DS_ADD_TEST(s, empty_vectors);
  DS_ADD_TEST(s, outputs_stay_usable);
  DS_ADD_TEST(s, gather_out_of_range_fails_on_both_paths);
  DS_ADD_TEST(s, threads_offload_at_once);
  DS_ADD_TEST(s, default_policy_offloads_only_mostly_remote_data);
  return ds_run_suite(s);
}
