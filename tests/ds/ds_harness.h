/* What the data-structure tests share: a deterministic random generator, the runtime's counters, a
 * check that a call aborts with a given message, and a suite runner.
 *
 * Each test program is one process holding one runtime (with the embedded farmemd it started on
 * 127.0.0.1 and the runtime's own threads), so suites run without forking per test. */
#ifndef DS_HARNESS_H
#define DS_HARNESS_H

#include <check.h>
#include <far/stats.h>
#include <stddef.h>
#include <stdint.h>

/* xorshift64*: the same sequence for the same seed on every run. */
static inline uint64_t ds_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* The runtime's totals over all threads (far/stats.h). */
static inline struct far_stats_counters ds_counters(void) { return far_stats().c; }

/* Every prefetch request a data structure makes is logged here (FARDS_PREFETCH_OBSERVER), so the
 * tests can check exactly what the structures asked for, whatever the runtime then admitted. */
void ds_observe_prefetch(const void *far, size_t len);
#define FARDS_PREFETCH_OBSERVER ds_observe_prefetch
void ds_prefetch_log_reset(void);
/* Requests logged since the last reset, and the chunk-sized pieces of cb bytes they covered. */
size_t ds_prefetch_log_requests(void);
size_t ds_prefetch_log_chunks(size_t cb);
/* How many logged requests covered the byte at far. */
size_t ds_prefetch_log_covers(const void *far);

/* Runs fn(arg) in a forked child and checks that it aborts (SIGABRT) with `message` on stderr. Only
 * for calls that fail before reaching the runtime: the child has none of the parent's threads. */
void ds_expect_abort(void (*fn)(void *), void *arg, const char *message);

/* Adds test fn to s as a case of its own, so CK_RUN_CASE=<test name> runs just that test. */
#define DS_ADD_TEST(s, fn)                                                                       \
  do {                                                                                           \
    TCase *tc_ = tcase_create(#fn);                                                              \
    tcase_set_timeout(tc_, 0);                                                                   \
    tcase_add_test(tc_, fn);                                                                     \
    suite_add_tcase((s), tc_);                                                                   \
  } while (0)

/* Runs every test of s in this process and returns the exit status. */
int ds_run_suite(Suite *s);

#endif
