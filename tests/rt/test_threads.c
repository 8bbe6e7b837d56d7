/* Threads mutate their own objects and shared ones (under a mutex) while a small budget keeps the
 * evacuator running the whole time; every object is a row of equal words, so a torn update (half
 * old, half new) or a lost one (row behind the shadow count) is caught. */
#include <pthread.h>
#include <stdlib.h>

#include "rt_test.h"

#define THREADS 4
#define WORDS 64 /* 512-byte objects */

static size_t own_per_thread, shared_count, ops_per_thread;
static uint64_t **own[THREADS], **shared;
static uint64_t *own_shadow[THREADS], *shared_shadow;
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned torn;

/* Adds one to every word of the row; returns 0 when the row was torn. */
static int bump(uint64_t *row, uint64_t expect) {
  far_scope_enter(10);
  uint64_t *p = far_write(row, WORDS * sizeof(uint64_t), 10);
  uint64_t v = p[0];
  int ok = v == expect;
  for (int i = 0; i < WORDS; i++) ok &= p[i] == v;
  for (int i = 0; i < WORDS; i++) p[i] = v + 1;
  far_scope_exit();
  return ok;
}

static void *mutator(void *arg) {
  size_t t = (size_t)arg;
  unsigned seed = (unsigned)t + 1, bad = 0;
  for (size_t op = 0; op < ops_per_thread; op++) {
    if (rand_r(&seed) % 4 == 0) {
      size_t k = (size_t)rand_r(&seed) % shared_count;
      pthread_mutex_lock(&shared_lock);
      bad += !bump(shared[k], shared_shadow[k]++);
      pthread_mutex_unlock(&shared_lock);
    } else {
      size_t k = (size_t)rand_r(&seed) % own_per_thread;
      bad += !bump(own[t][k], own_shadow[t][k]++);
    }
  }
  __atomic_fetch_add(&torn, bad, __ATOMIC_RELAXED);
  return NULL;
}

static void check_rows(uint64_t **rows, uint64_t *shadow, size_t n) {
  for (size_t k = 0; k < n; k++) {
    far_scope_enter(11);
    const uint64_t *p = far_read(rows[k], WORDS * sizeof(uint64_t), 11);
    for (int i = 0; i < WORDS; i++)
      ck_assert_msg(p[i] == shadow[k], "row %zu word %d: %llu, expected %llu", k, i,
                    (unsigned long long)p[i], (unsigned long long)shadow[k]);
    far_scope_exit();
  }
}

static uint64_t **rows(size_t n, uint64_t **shadow) {
  uint64_t **r = malloc(n * sizeof *r);
  *shadow = calloc(n, sizeof **shadow);
  for (size_t k = 0; k < n; k++) r[k] = far_calloc(WORDS, sizeof(uint64_t));
  return r;
}

START_TEST(no_lost_or_torn_updates_under_evacuation) {
  int stress = rt_stress();
  rt_budget(stress ? "16M" : "4M");
  own_per_thread = stress ? 16384 : 4096;  /* 2 MiB per thread: 8 MiB in all, twice the budget */
  shared_count = stress ? 8192 : 2048;     /* another 1 MiB, contended */
  ops_per_thread = stress ? 2000000 : 25000;
  for (size_t t = 0; t < THREADS; t++) own[t] = rows(own_per_thread, &own_shadow[t]);
  shared = rows(shared_count, &shared_shadow);
  pthread_t th[THREADS];
  for (size_t t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, mutator, (void *)t);
  for (size_t t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
  ck_assert_uint_eq(torn, 0);
  for (size_t t = 0; t < THREADS; t++) check_rows(own[t], own_shadow[t], own_per_thread);
  check_rows(shared, shared_shadow, shared_count);
  struct far_stats_totals s = far_stats();
  ck_assert_uint_gt(s.c.evacuations, 10); /* the evacuator really ran alongside */
  ck_assert_uint_gt(s.c.bytes_written_back, 0);
}
END_TEST

static void add(Suite *s) { rt_add(s, no_lost_or_torn_updates_under_evacuation); }

int main(void) { return rt_run("threads", add); }
