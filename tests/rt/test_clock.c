/* CLOCK: a small hot set touched between slices of a long streaming scan stays local; a scan through
 * don't-cache accesses does not evict it even untouched; an ordinary scan that uses each object
 * twice does (the control that shows the other could fail); a set reused at a distance is kept
 * after a few passes (the evacuator's ghosts); skewed reads of small objects keep the budget
 * filled with live hot objects, and local memory never beyond it. */
#include <stdio.h>
#include <stdlib.h>

#include "rt_test.h"

#define OBJ 4096
#define HOT 64            /* 256 KiB hot set */
#define STREAM 8192       /* 32 MiB stream, 4x the budget */

static char *hot[HOT], *stream[STREAM];

static uint64_t misses(void) { return far_stats().c.miss; }

static void touch(char *p, int nt) {
  far_scope_enter(20);
  volatile const char *q = nt ? far_read_nt(p, OBJ, 20) : far_read(p, OBJ, 20);
  (void)q[0];
  far_scope_exit();
}

static void touch_hot(void) {
  for (int i = 0; i < HOT; i++) touch(hot[i], 0);
}

static void setup(void) {
  rt_budget("8M");
  for (int i = 0; i < HOT; i++) rt_fill(hot[i] = far_malloc(OBJ), OBJ, i, 0);
  for (int i = 0; i < STREAM; i++) rt_fill(stream[i] = far_malloc(OBJ), OBJ, HOT + i, 0);
  touch_hot(); /* fetch back and mark hot */
  touch_hot();
}

START_TEST(hot_set_survives_a_streaming_scan) {
  setup();
  uint64_t hot_misses = 0;
  for (int i = 0; i < STREAM; i++) {
    touch(stream[i], 0);
    if (i % 256 == 255) { /* every 1 MiB of scan */
      uint64_t before = misses();
      touch_hot();
      hot_misses += misses() - before;
      if (misses() != before)
        fprintf(stderr, "hot misses at %d: %llu (hot objects dropped so far: %llu)\n", i,
                (unsigned long long)(misses() - before), (unsigned long long)far_stats().c.hot_dropped);
    }
  }
  ck_assert_uint_eq(hot_misses, 0);
  for (int i = 0; i < HOT; i++) rt_verify(hot[i], OBJ, i, 0);
}
END_TEST

/* Scans the stream touching each object `touches` times in a row (twice: it is used again after it
 * arrived, so it is hot), then counts the hot set's misses. */
static uint64_t hot_misses_after_scan(int nt, int touches) {
  for (int i = 0; i < STREAM; i++)
    for (int t = 0; t < touches; t++) touch(stream[i], nt);
  uint64_t before = misses();
  touch_hot();
  return misses() - before;
}

START_TEST(dont_cache_scan_leaves_hot_set_alone) {
  setup();
  ck_assert_uint_eq(hot_misses_after_scan(1, 2), 0);
}
END_TEST

/* The control that shows the test above could fail: a scan whose objects are used again (hot,
 * so kept in turn) does evict the untouched hot set. */
START_TEST(hot_scan_evicts_untouched_hot_set) {
  setup();
  ck_assert_uint_gt(hot_misses_after_scan(0, 2), HOT / 2);
}
END_TEST

START_TEST(nontemporal_scope_leaves_hot_set_alone) {
  setup();
  for (int i = 0; i < STREAM; i++) {
    far_scope_enter(21);
    far_scope_nontemporal();
    volatile const char *q = far_read(stream[i], OBJ, 21);
    (void)q[0];
    far_scope_exit();
  }
  uint64_t before = misses();
  touch_hot();
  ck_assert_uint_eq(misses() - before, 0);
}
END_TEST

/* A set used once per pass, at a distance longer than objects stay local (a column scanned once
 * per step of an analysis), between one-off objects: each of its objects leaves local memory
 * unused once, comes back, and is then kept (the evacuator's ghosts, evac.c), so
 * after a few passes it stays local. Without the ghosts every pass misses on all of it. */
#define REUSED 512 /* 2 MiB of the 8 MiB budget; with as many one-off objects a pass evicts about
                    * as many objects as the ghosts have slots (1024) */

START_TEST(set_reused_at_a_distance_is_kept) {
  setup();
  uint64_t pass_misses = 0;
  for (int pass = 0, next = 0; pass < 10; pass++) {
    uint64_t before = misses();
    for (int i = 0; i < REUSED; i++) touch(stream[i], 0);
    pass_misses = misses() - before;
    for (int i = 0; i < REUSED; i++, next++) touch(stream[REUSED + next % (STREAM - REUSED)], 0);
  }
  fprintf(stderr, "set reused at a distance: %llu of %d missed in the last pass\n",
          (unsigned long long)pass_misses, REUSED);
  ck_assert_uint_lt(pass_misses, REUSED / 4);
  for (int i = 0; i < REUSED; i++) rt_verify(stream[i], OBJ, HOT + i, 0);
}
END_TEST

/* Skewed reads of small objects keep the budget filled with live, mostly hot objects: the
 * evacuator's copy regions, victims that readers took objects back from, and threads' partly
 * filled regions must not hold the budget with little in it (at one time a hot set like this one
 * held a fifth of the budget). */
#define SMALL 256
#define SMALL_COUNT 65536 /* 16 MiB: twice the budget */
#define SMALL_HOT 8192    /* 2 MiB, a quarter of the budget */

static char *small[SMALL_COUNT];

/* Fills SMALL_COUNT objects under the given budget, then reads them with a skew: four reads in five
 * go to every eighth object (the hot set). */
static void skewed_reads(const char *budget) {
  rt_budget(budget);
  for (int i = 0; i < SMALL_COUNT; i++) rt_fill(small[i] = far_malloc(SMALL), SMALL, i, 0);
  uint64_t rng = 7;
  for (int r = 0; r < 400000; r++) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t x = rng >> 33;
    int i = x % 5 ? (int)((x / 5) % SMALL_HOT) * (SMALL_COUNT / SMALL_HOT) : (int)(x % SMALL_COUNT);
    far_scope_enter(22);
    volatile const char *q = far_read(small[i], SMALL, 22);
    (void)q[0];
    far_scope_exit();
  }
}

START_TEST(skewed_reads_keep_the_budget_filled) {
  skewed_reads("8M");
  size_t local = 0, hot_local = 0;
  for (int i = 0; i < SMALL_COUNT; i++) {
    int in = far_is_resident(small[i]);
    local += (size_t)in;
    hot_local += (size_t)(in && i % (SMALL_COUNT / SMALL_HOT) == 0);
  }
  fprintf(stderr, "skewed reads: %zu objects local (%zu KiB), %zu of the %d hot\n", local,
          local * SMALL >> 10, hot_local, SMALL_HOT);
  ck_assert_uint_ge(local * SMALL, (8u << 20) / 100 * 45); /* the data's share is at most 80% */
  ck_assert_uint_ge(hot_local, SMALL_HOT * 9 / 10);
}
END_TEST

/* The evacuator keeps hot objects only while their copies fit in the budget, counting the whole
 * region a copy may take: with a budget that is not a multiple of the region size, counting only
 * the object let local memory peak past it (6066 KiB of 6000). */
START_TEST(skewed_reads_stay_within_the_budget) {
  skewed_reads("6000K");
  uint64_t peak = far_stats().c.local_bytes_peak;
  fprintf(stderr, "skewed reads at 6000 KiB: peak %llu KiB\n", (unsigned long long)peak >> 10);
  ck_assert_uint_le(peak, 6000u << 10);
}
END_TEST

static void add(Suite *s) {
  rt_add(s, skewed_reads_keep_the_budget_filled);
  rt_add(s, skewed_reads_stay_within_the_budget);
  rt_add(s, hot_set_survives_a_streaming_scan);
  rt_add(s, dont_cache_scan_leaves_hot_set_alone);
  rt_add(s, hot_scan_evicts_untouched_hot_set);
  rt_add(s, set_reused_at_a_distance_is_kept);
  rt_add(s, nontemporal_scope_leaves_hot_set_alone);
}

int main(void) { return rt_run("clock", add); }
