/* Statistics: counts from many threads add up exactly, whether the threads are still running or
 * have exited (each counted once), maxima take the largest value, the longest evacuator wait keeps
 * its site, and the text summary names every counter and the site. */
#define _GNU_SOURCE
#include "harness.h"

#include <far/stats.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 6
#define ROUNDS 20000

static void *count(void *arg) {
  uintptr_t id = (uintptr_t)arg;
  for (int i = 0; i < ROUNDS; i++) {
    FAR_STAT_INC(barrier_fast_read);
    FAR_STAT_ADD(bytes_fetched, id + 1);
    FAR_STAT_MAX(local_bytes_peak_data, id * 1000 + (uint64_t)i % 7);
  }
  return NULL;
}

static uint64_t expected_bytes(int threads) {
  uint64_t sum = 0;
  for (int id = 0; id < threads; id++)
    sum += (uint64_t)(id + 1) * ROUNDS;
  return sum;
}

START_TEST(test_exited_threads_sum) {
  pthread_t t[THREADS];
  for (uintptr_t i = 0; i < THREADS; i++)
    pthread_create(&t[i], NULL, count, (void *)i);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  struct far_stats_totals s;
  far_stats_snapshot(&s);
  ck_assert_uint_eq(s.c.barrier_fast_read, (uint64_t)THREADS * ROUNDS);
  ck_assert_uint_eq(s.c.bytes_fetched, expected_bytes(THREADS));
  ck_assert_uint_eq(s.c.local_bytes_peak_data, (THREADS - 1) * 1000 + 6);
  ck_assert_uint_eq(s.c.miss, 0);
}
END_TEST

static pthread_barrier_t counted, snapshotted;

static void *count_and_wait(void *arg) {
  count(arg);
  pthread_barrier_wait(&counted);
  pthread_barrier_wait(&snapshotted);
  return NULL;
}

START_TEST(test_live_then_exited_counted_once) {
  pthread_barrier_init(&counted, NULL, THREADS + 1);
  pthread_barrier_init(&snapshotted, NULL, THREADS + 1);
  pthread_t t[THREADS];
  for (uintptr_t i = 0; i < THREADS; i++)
    pthread_create(&t[i], NULL, count_and_wait, (void *)i);
  FAR_STAT_ADD(bytes_fetched, 5); /* the main thread counts too */
  pthread_barrier_wait(&counted);
  struct far_stats_totals live = far_stats();
  pthread_barrier_wait(&snapshotted);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  struct far_stats_totals after;
  far_stats_snapshot(&after);
  ck_assert_uint_eq(live.c.bytes_fetched, expected_bytes(THREADS) + 5);
  ck_assert_uint_eq(after.c.bytes_fetched, expected_bytes(THREADS) + 5);
  ck_assert_uint_eq(after.c.barrier_fast_read, (uint64_t)THREADS * ROUNDS);
}
END_TEST

/* Snapshots taken while threads count never go backwards and end exact. */
static void *snapshot_loop(void *arg) {
  uint64_t last = 0;
  for (int i = 0; i < 2000; i++) {
    struct far_stats_totals s = far_stats();
    ck_assert_uint_ge(s.c.barrier_fast_read, last);
    last = s.c.barrier_fast_read;
  }
  return arg;
}

START_TEST(test_concurrent_snapshots) {
  pthread_t t[THREADS], reader;
  pthread_create(&reader, NULL, snapshot_loop, NULL);
  for (uintptr_t i = 0; i < THREADS; i++)
    pthread_create(&t[i], NULL, count, (void *)i);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  pthread_join(reader, NULL);
  ck_assert_uint_eq(far_stats().c.barrier_fast_read, (uint64_t)THREADS * ROUNDS);
}
END_TEST

static const char *site_name(unsigned site) { return site == 5 ? "list.c:42" : NULL; }

START_TEST(test_evac_wait_site) {
  far_stats_set_evac_wait_site(3, 500);
  far_stats_set_evac_wait_site(5, 900);
  far_stats_set_evac_wait_site(7, 100);
  struct far_stats_totals s = far_stats();
  ck_assert_uint_eq(s.c.evac_wait_ns_max, 900);
  ck_assert_uint_eq(s.evac_wait_site, 5);

  far_stats_site_names(site_name);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  FAR_STAT_ADD(miss, 12345);
  far_stats_print(out, 0);
  fclose(out);
  ck_assert_msg(!strncmp(text, "farmem statistics:\n", 19), "%s", text);
#define EXPECT_NAMED(name, kind, desc) ck_assert_msg(strstr(text, "  " #name " "), "%s", text);
  FAR_STATS_COUNTERS(EXPECT_NAMED)
#undef EXPECT_NAMED
  ck_assert_msg(strstr(text, "miss") && strstr(text, " 12345  objects fetched"), "%s", text);
  ck_assert_msg(strstr(text, "evac_wait_site") && strstr(text, "list.c:42"), "%s", text);
  free(text);
}
END_TEST

static const struct far_site_name module_sites[] = {{0x100001, "tree.c:10"}, {0x100002, "tree.c:31"}};

START_TEST(test_site_tables_then_resolver) {
  far_stats_register_sites(module_sites, 2);
  far_stats_site_names(site_name);
  far_stats_set_evac_wait_site(0x100002, 50);
  char *json = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&json, &len);
  far_stats_print(out, 1);
  fclose(out);
  ck_assert_msg(strstr(json, "\"evac_wait_site\":1048578,\"evac_wait_site_name\":\"tree.c:31\"}"), "%s",
                json);
  free(json);
  far_stats_set_evac_wait_site(5, 60); /* not in a table: the resolver names it */
  out = open_memstream(&json, &len);
  far_stats_print(out, 1);
  fclose(out);
  ck_assert_msg(strstr(json, "\"evac_wait_site_name\":\"list.c:42\"}"), "%s", json);
  free(json);
  far_stats_set_evac_wait_site(6, 70); /* nobody knows it */
  out = open_memstream(&json, &len);
  far_stats_print(out, 0);
  fclose(out);
  ck_assert_msg(strstr(json, "  site 6  the scope"), "%s", json);
  free(json);
}
END_TEST

int main(void) {
  Suite *s = suite_create("stats");
  TCase *tc = tcase_create("counters");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_exited_threads_sum);
  tcase_add_test(tc, test_live_then_exited_counted_once);
  tcase_add_test(tc, test_concurrent_snapshots);
  tcase_add_test(tc, test_evac_wait_site);
  tcase_add_test(tc, test_site_tables_then_resolver);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
