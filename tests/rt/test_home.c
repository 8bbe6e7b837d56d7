/* Home slots (rt/home.c): new objects live at their homes and the barriers return those addresses;
 * objects that left home (moved by the evacuator, written back, freed) are still read and written
 * correctly through the entry's address, a reused home reads as zeros, and under pressure home
 * memory is evacuated like any region's and its pages go back to the kernel. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core.h"
#include "rt_test.h"

#define OBJ 1024

static uintptr_t home_of(const void *far) {
  uintptr_t a = (uintptr_t)far;
  return FAR_HOME_OF(far_addr_class(a), a & FAR_ADDR_OFFSET_MASK);
}

/* Homes are opt-in (FAR_HOME=1); each test runs in a process of its own, before the runtime starts. */
static void home_budget(const char *size) {
  setenv("FAR_HOME", "1", 1);
  rt_budget(size);
}

static const void *local_of(const void *far, size_t n) {
  far_scope_enter(0);
  const void *p = far_read(far, n, 0);
  far_scope_exit();
  return p;
}

START_TEST(new_objects_live_at_home) {
  home_budget("64M");
  char *a = far_malloc(OBJ), *b = far_malloc(100 * 1024);
  if (!far_home_enabled()) return; /* ThreadSanitizer: no homes, the other tests still apply */
  ck_assert_ptr_eq(local_of(a, OBJ), (const void *)home_of(a));
  ck_assert_ptr_eq(local_of(a + 10, 4), (const void *)home_of(a + 10));
  ck_assert_ptr_eq(local_of(b, 8), (const void *)home_of(b)); /* a multi-object run: at first use */
  rt_fill(a, OBJ, 1, 0);
  rt_verify(a, OBJ, 1, 0);
  far_free(a);
  far_free(b);
}
END_TEST

START_TEST(reused_home_reads_as_zeros) {
  home_budget("64M");
  char *a = far_malloc(OBJ);
  rt_fill(a, OBJ, 2, 0);
  far_free(a);
  char *b = far_malloc(OBJ);
  ck_assert_ptr_eq(a, b); /* the id, hence the home, is reused */
  const char *p = local_of(b, OBJ);
  for (int i = 0; i < OBJ; i++) ck_assert_int_eq(p[i], 0);
}
END_TEST

/* Twice the budget of objects, written and verified twice: the first ones are born at home and
 * must be evacuated (kept hot in a region, or written back and fetched again) while the data stay
 * right and local memory stays near the budget. */
/* Home pages (4 objects each) whose objects all left home and that went back to the kernel. */
static int released_home_pages(char **obj, int n) {
  far_home_release_empty();
  int released = 0;
  for (int i = 0; i + 3 < n; i += 4) {
    uintptr_t h = home_of(obj[i]);
    if (h % 4096 || home_of(obj[i + 3]) != h + 3 * OBJ) continue;
    int away = 1;
    for (int k = 0; k < 4; k++) away &= local_of(obj[i + k], 1) != (const void *)home_of(obj[i + k]);
    unsigned char in_core = 1;
    ck_assert_int_eq(mincore((void *)h, 4096, &in_core), 0);
    released += away && !(in_core & 1);
  }
  return released;
}

static void fill_past_budget(char **obj, int n, uint64_t v) {
  for (int i = 0; i < n; i++) rt_fill(obj[i], OBJ, i, v);
}

START_TEST(home_objects_are_evacuated_under_pressure) {
  home_budget("8M");
  enum { N = 16 * 1024 }; /* 16 MiB */
  char **obj = malloc(N * sizeof *obj);
  for (int i = 0; i < N; i++) obj[i] = far_malloc(OBJ);
  fill_past_budget(obj, N, 0);
  for (int i = 0; i < N; i++) rt_verify(obj[i], OBJ, i, 0);
  int away = 0;
  for (int i = 0; i < N; i++) away += local_of(obj[i], 1) != (const void *)home_of(obj[i]);
  ck_assert_int_gt(away, N / 2); /* most objects left home */
  fill_past_budget(obj, N, 1);
  for (int i = 0; i < N; i++) rt_verify(obj[i], OBJ, i, 1);
  struct far_stats_totals st = far_stats();
  ck_assert_uint_gt(st.c.bytes_written_back, 0);
  ck_assert_uint_le(st.c.local_bytes_peak_data, 8u << 20); /* homes are counted in the budget */
  if (far_home_enabled()) ck_assert_int_gt(released_home_pages(obj, N), N / 8);
  for (int i = 0; i < N; i++) far_free(obj[i]);
  free(obj);
}
END_TEST

/* An object moved away from home between two accesses of one loop: the second access must see the
 * moved copy, not the stale home. */
START_TEST(object_moved_between_accesses) {
  home_budget("8M");
  enum { N = 12 * 1024 };
  char **obj = malloc(N * sizeof *obj);
  for (int i = 0; i < N; i++) {
    obj[i] = far_malloc(OBJ);
    far_scope_enter(0);
    *(uint64_t *)far_write(obj[i], 8, 0) = i;
    far_scope_exit();
    /* keep the first object hot: the evacuator copies it out of its (home) region */
    far_scope_enter(0);
    uint64_t *p = far_write(obj[0], 8, 0);
    *p += 1;
    far_scope_exit();
  }
  for (int i = 1; i < N; i++) {
    far_scope_enter(0);
    ck_assert_uint_eq(*(const uint64_t *)far_read(obj[i], 8, 0), (uint64_t)i);
    far_scope_exit();
  }
  far_scope_enter(0);
  ck_assert_uint_eq(*(const uint64_t *)far_read(obj[0], 8, 0), (uint64_t)N);
  far_scope_exit();
  free(obj);
}
END_TEST

struct worker {
  int seed;
  int errors;
};

static void *work(void *arg) {
  struct worker *w = arg;
  enum { N = 4 * 1024 };
  char **obj = malloc(N * sizeof *obj);
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < N; i++) {
      if (round == 0) obj[i] = far_malloc(OBJ);
      far_scope_enter(0);
      uint64_t *p = far_write(obj[i], 16, 0);
      p[0] = (uint64_t)w->seed << 32 | i;
      p[1] = round;
      far_scope_exit();
    }
    for (int i = 0; i < N; i++) {
      far_scope_enter(0);
      const uint64_t *p = far_read(obj[i], 16, 0);
      w->errors += p[0] != ((uint64_t)w->seed << 32 | i) || p[1] != (uint64_t)round;
      far_scope_exit();
    }
  }
  for (int i = 0; i < N; i++) far_free(obj[i]);
  free(obj);
  return NULL;
}

START_TEST(threads_share_home_pages_under_pressure) {
  home_budget("8M");
  enum { T = 4 };
  pthread_t t[T];
  struct worker w[T];
  for (int i = 0; i < T; i++) {
    w[i] = (struct worker){.seed = i + 1};
    ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < T; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(w[i].errors, 0);
  }
}
END_TEST

static void add(Suite *s) {
  rt_add(s, new_objects_live_at_home);
  rt_add(s, reused_home_reads_as_zeros);
  rt_add(s, home_objects_are_evacuated_under_pressure);
  rt_add(s, object_moved_between_accesses);
  rt_add(s, threads_share_home_pages_under_pressure);
}

int main(void) { return rt_run("home", add); }
