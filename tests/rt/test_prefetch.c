/* The stride prefetcher and explicit far_prefetch / far_flush_range: a sequential scan of remote
 * objects misses only at its start; a prefetched range is read without a demand miss; a flushed
 * range is on the server (read back there directly) while staying cached; far_local_hint finds a
 * resident copy. */
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "rt_test.h"

#define OBJ 4096
#define COUNT 4096 /* 16 MiB through a 4 MiB budget */

static char *obj[COUNT];

static void write_all(void) {
  rt_budget("4M");
  for (int i = 0; i < COUNT; i++) rt_fill(obj[i] = far_malloc(OBJ), OBJ, i, 0);
}

START_TEST(sequential_scan_misses_only_at_the_start) {
  write_all();
  struct far_stats_totals before = far_stats();
  for (int i = 0; i < COUNT; i++) rt_verify(obj[i], OBJ, i, 0);
  struct far_stats_totals after = far_stats();
  uint64_t misses = after.c.miss - before.c.miss, used = after.c.prefetch_used - before.c.prefetch_used;
  ck_assert_msg(misses < COUNT / 10, "%llu demand misses in a scan of %d objects", (unsigned long long)misses, COUNT);
  ck_assert_uint_gt(used, COUNT / 2);
}
END_TEST

START_TEST(prefetched_range_reads_without_demand_misses) {
  write_all();
  for (int i = 0; i < 500 && far_local_bytes() >= far_evac_start_bytes(); i++) usleep(10000);
  ck_assert_uint_lt(far_local_bytes() + 64 * OBJ, far_rt.budget); /* room for the range */
  uint64_t before = far_stats().c.miss;
  for (int i = 0; i < 64; i++) far_prefetch(obj[i], OBJ); /* 256 KiB, long since evicted */
  for (int i = 0; i < 64; i++) rt_verify(obj[i], OBJ, i, 0);
  ck_assert_uint_eq(far_stats().c.miss - before, 0);
}
END_TEST

START_TEST(flushed_range_is_on_the_server) {
  rt_budget("8M");
  char *p = far_malloc(OBJ);
  rt_fill(p, OBJ, 77, 0); /* local and dirty */
  far_flush_range(p, OBJ);
  static char server[OBJ], expect[OBJ];
  uintptr_t a = (uintptr_t)p;
  ck_assert_int_eq(far_net_read(far_rt.net, far_addr_class(a), far_addr_id(a), server), FAR_OK);
  for (int i = 0; i < OBJ; i++) expect[i] = (char)rt_byte(77, i, 0);
  ck_assert_mem_eq(server, expect, OBJ);
  rt_verify(p, OBJ, 77, 0);
}
END_TEST

/* far_local_hint: the resident copy's address (the one a barrier gives), NULL once the object is
 * remote, the address itself when it is not far. */
START_TEST(local_hint_points_at_the_resident_copy) {
  rt_budget("8M");
  char *p = far_malloc(OBJ);
  rt_fill(p, OBJ, 5, 0);
  far_scope_enter(0);
  ck_assert_ptr_eq(far_local_hint(p + 100), far_read(p + 100, 1, 0));
  far_scope_exit();
  far_flush_range(p, OBJ);
  far_mark_remote(p, OBJ);
  ck_assert_ptr_null(far_local_hint(p));
  int local = 0;
  ck_assert_ptr_eq(far_local_hint(&local), &local);
  rt_verify(p, OBJ, 5, 0); /* fetched again: a hint once more */
  ck_assert_ptr_nonnull(far_local_hint(p));
}
END_TEST

static void add(Suite *s) {
  rt_add(s, local_hint_points_at_the_resident_copy);
  rt_add(s, sequential_scan_misses_only_at_the_start);
  rt_add(s, prefetched_range_reads_without_demand_misses);
  rt_add(s, flushed_range_is_on_the_server);
}

int main(void) { return rt_run("prefetch", add); }
