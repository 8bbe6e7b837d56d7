/* Residency: while working sets 8x the budget go through the cache, the process's peak resident
 * memory grows by no more than the budget plus a fixed overhead, and the runtime's own accounting of
 * data and metadata stays within the budget. Metadata of objects that went back to the server does
 * not stay resident. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "rt_test.h"

#define BUDGET (8u << 20)
/* Runtime threads' stacks, network buffers, the region table, malloc'd bookkeeping, check. */
#define FIXED_OVERHEAD (8u << 20)

/* n objects written in order, then reads of random objects. */
static void pass(size_t n, size_t size, size_t reads, uint64_t seed) {
  char **obj = malloc(n * sizeof *obj);
  for (size_t i = 0; i < n; i++) rt_fill(obj[i] = far_malloc(size), size, seed + i, 0);
  unsigned r = (unsigned)seed;
  for (size_t i = 0; i < reads; i++) {
    size_t k = (size_t)rand_r(&r) % n;
    rt_verify(obj[k], size, seed + k, 0);
  }
  free(obj); /* the far objects stay allocated: all of them count */
}

START_TEST(peak_rss_stays_within_budget) {
  rt_budget("8M");
  size_t base = rt_rss();
  pass(16384, 4096, 16384, 1);     /* 64 MiB of 4 KiB objects */
  pass(262144, 256, 20000, 100000); /* 64 MiB of 256 B objects */
  size_t peak = rt_peak_rss();
  struct far_stats_totals s = far_stats();
  fprintf(stderr, "residency: rss growth %zu KiB (budget %u KiB), peak data %llu KiB, peak meta %llu KiB\n",
          (peak - base) >> 10, BUDGET >> 10, (unsigned long long)s.c.local_bytes_peak_data >> 10,
          (unsigned long long)s.c.local_bytes_peak_meta >> 10);
  ck_assert_uint_le(peak - base, BUDGET + FIXED_OVERHEAD);
  /* Random reads of 256 B objects keep most table pages of that class partly present: up to 2 MiB
   * here (8 bytes per object of the 64 MiB set), counted in the budget (docs/runtime.md). */
  ck_assert_uint_le(s.c.local_bytes_peak_meta, BUDGET / 2);
  ck_assert_uint_le(s.c.local_bytes_peak_data, BUDGET);
  ck_assert_uint_le(far_local_bytes(), BUDGET);
}
END_TEST

START_TEST(cold_metadata_is_released) {
  rt_budget("8M");
  char **obj = malloc(65536 * sizeof *obj);
  for (size_t i = 0; i < 65536; i++) rt_fill(obj[i] = far_malloc(1024), 1024, i, 0); /* 64 MiB */
  /* 64 Ki entries = 128 table pages; only those of objects still local may stay */
  size_t local_objects = far_local_data_bytes() / 1024;
  size_t pages_needed = local_objects / 512 + 2 * 16; /* contiguous ranges, a few partial pages */
  ck_assert_uint_le(far_table_resident_bytes(), pages_needed * 4098);
  ck_assert_uint_lt(far_table_resident_bytes(), 128 * 4096 / 2);
  free(obj);
}
END_TEST

/* 24-byte objects, 8x the budget, read at random: with an entry per object the table alone would be
 * twice the budget (and every page of it would stay pinned); grouped, metadata stays a small share. */
START_TEST(small_objects_keep_metadata_small) {
  rt_budget("8M");
  size_t n = 8 * BUDGET / 32, reads = rt_stress() ? 400000 : 20000;
  char **obj = malloc(n * sizeof *obj);
  memset(obj, 0xff, n * sizeof *obj); /* touched now, so it is not counted as growth below */
  size_t base = rt_rss();
  for (size_t i = 0; i < n; i++) rt_fill(obj[i] = far_malloc(24), 24, i, 0);
  unsigned r = 5;
  for (size_t i = 0; i < reads; i++) {
    size_t k = ((size_t)rand_r(&r) << 16 ^ (size_t)rand_r(&r)) % n;
    rt_verify(obj[k], 24, k, 0);
  }
  struct far_stats_totals s = far_stats();
  size_t peak = rt_peak_rss();
  fprintf(stderr, "residency: 24 B objects: rss growth %zu KiB, peak data %llu KiB, peak meta %llu KiB\n",
          (peak - base) >> 10, (unsigned long long)s.c.local_bytes_peak_data >> 10,
          (unsigned long long)s.c.local_bytes_peak_meta >> 10);
  ck_assert_uint_le(s.c.local_bytes_peak_meta, BUDGET / 8); /* 512 KiB of table + 256 KiB of bits */
  ck_assert_uint_le(far_table_resident_bytes(), n / 32 * 8 + 4096);
  ck_assert_uint_le(peak - base, BUDGET + FIXED_OVERHEAD);
  ck_assert_uint_le(far_local_bytes(), BUDGET);
  free(obj);
}
END_TEST

static void add(Suite *s) {
  rt_add(s, peak_rss_stays_within_budget);
  rt_add(s, cold_metadata_is_released);
  rt_add(s, small_objects_keep_metadata_small);
}

int main(void) { return rt_run("residency", add); }
