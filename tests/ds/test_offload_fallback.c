/* Vector operations when offloading is unavailable: they compute locally and give the same results.
 * Run twice by CMake: `sharded` starts two farmemd servers and sets FAR_SERVER to both (objects are
 * sharded, so the runtime refuses to offload: FAR_EINVAL), `nomodule` starts one farmemd with
 * --default-offload=no (FAR_ENOENT). Either way no call may reach farmemd (offload_calls stays 0)
 * and every result must equal a plain-array reference. */
#include "ds_harness.h"

#define FARDS_OFFLOAD_MIN_REMOTE_PCT 0 /* always try: the attempt must fail and fall back */
#include <far/ds/vec_ops.h>
#include <far/rt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "farmemd_child.h"

FAR_VECTOR_DECLARE(i64vec, int64_t)
FAR_VECTOR_OPS_DECLARE(i64vec, int64_t)

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

START_TEST(operations_fall_back_to_local) {
  enum { N = 200000 };
  int64_t *ref = malloc(N * sizeof *ref);
  uint64_t seed = 5, sum = 0;
  i64vec *v = i64vec_new();
  for (size_t i = 0; i < N; i++) {
    ref[i] = (int64_t)(ds_rand(&seed) % 1000) - 500;
    sum += (uint64_t)ref[i];
    ck_assert_int_eq(i64vec_push(v, ref[i]), 0);
  }
  ck_assert_int_eq(i64vec_sum(v), (int64_t)sum);
  size_t neg = 0;
  for (size_t i = 0; i < N; i++)
    neg += ref[i] < 0;
  ck_assert_uint_eq(i64vec_count_if(v, FARDS_LT, 0), neg);
  i64vec *f = i64vec_filter(v, FARDS_LT, 0);
  ck_assert_uint_eq(i64vec_size(f), neg);
  qsort(ref, N, sizeof *ref, cmp_i64);
  int64_t x;
  ck_assert_int_eq(i64vec_median(v, &x), 1);
  ck_assert_int_eq(x, ref[(N - 1) / 2]);
  ck_assert_int_eq(i64vec_max(v, &x), 1);
  ck_assert_int_eq(x, ref[N - 1]);
  i64vec *u = i64vec_unique(v);
  ck_assert_uint_eq(i64vec_size(u), 1000);
  ck_assert_int_eq(i64vec_get(u, 0), -500);
  fards_idxvec *s = i64vec_sort_indices(v);
  i64vec *g = i64vec_gather(v, s);
  for (size_t i = 0; i < N; i += 997)
    ck_assert_int_eq(i64vec_get(g, i), ref[i]);
  ck_assert_uint_eq(ds_counters().offload_calls, 0);
  i64vec_free(f), i64vec_free(u), i64vec_free(g), fards_idxvec_free(s), i64vec_free(v);
  free(ref);
}
END_TEST

/* argv[1]: sharded | nomodule; FARMEMD names the server binary. */
int main(int argc, char **argv) {
  const char *farmemd = getenv("FARMEMD");
  farmemd_child servers[2];
  char err[256], list[160];
  int nservers = argc > 1 && !strcmp(argv[1], "sharded") ? 2 : 1;
  const char *const no_module[] = {"--default-offload=no", NULL};
  if (!farmemd || argc < 2) {
    fprintf(stderr, "usage: FARMEMD=path %s sharded|nomodule\n", argv[0]);
    return 2;
  }
  for (int i = 0; i < nservers; i++)
    if (farmemd_child_start(&servers[i], farmemd, nservers == 1 ? no_module : NULL, NULL, err, sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
  snprintf(list, sizeof list, "%s%s%s", servers[0].addr, nservers == 2 ? "," : "",
           nservers == 2 ? servers[1].addr : "");
  setenv("FAR_SERVER", list, 1);
  Suite *s = suite_create("ds_offload_fallback");
  DS_ADD_TEST(s, operations_fall_back_to_local);
  /* The servers die with this process (PR_SET_PDEATHSIG), after the runtime's goodbye at exit. */
  return ds_run_suite(s);
}
