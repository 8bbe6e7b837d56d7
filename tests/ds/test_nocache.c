/* Don't-cache access against a real farmemd with a small local budget (FAR_LOCAL_MEM=8M, set by
 * CMake): scans of structures up to four times the budget through the _nt functions leave a small hot
 * set local (touching it again fetches nothing), and even a "warm" set written just before the scan
 * and never read; the same scan through the caching functions pushes the warm set out: the control
 * that shows the check can fail. (A repeatedly read hot set is the wrong control: the runtime's CLOCK
 * keeps it through a caching scan too.) */
#include "ds_harness.h"

#include <unistd.h>

#include <far/ds/hashtable.h>
#include <far/ds/list.h>
#include <far/ds/vector.h>
#include <stdlib.h>

FAR_VECTOR_DECLARE(u64vec, uint64_t)
FAR_LIST_DECLARE(u64list, uint64_t)
struct blob {
  uint64_t v[31];
};
FAR_HASHTABLE_DECLARE_POD(blobmap, uint64_t, struct blob)

#define LOCAL_BUDGET (8u << 20)
#define BIG_ELEMS (4 * LOCAL_BUDGET / sizeof(uint64_t)) /* 32 MiB */
#define HOT_ELEMS ((1u << 20) / sizeof(uint64_t))       /* 1 MiB: an eighth of the budget */
#define MAP_KEYS 50000                                  /* 12.8 MB of 256-byte entries */

static uint64_t val(uint64_t i) { return i * 0x9E3779B97F4A7C15ull + 3; }

/* A vector of HOT_ELEMS elements, written once. */
static u64vec *small_vector(void) {
  u64vec *v = u64vec_new();
  for (uint64_t i = 0; i < HOT_ELEMS; i++)
    ck_assert_int_eq(u64vec_push(v, ~i), 0);
  return v;
}

/* One structure of each kind, far larger than local memory, and the hot vector. */
static u64vec *big, *hot;
static u64list *biglist;
static blobmap *bigmap;
static uint64_t big_sum;

static void build(void) {
  big = u64vec_new();
  uint64_t *block = malloc(65536 * sizeof *block);
  for (uint64_t at = 0; at < BIG_ELEMS; at += 65536) {
    for (uint64_t i = 0; i < 65536; i++) {
      block[i] = val(at + i);
      big_sum += block[i];
    }
    ck_assert_int_eq(u64vec_append(big, block, 65536), 0);
  }
  free(block);
  biglist = u64list_new();
  for (uint64_t i = 0; i < BIG_ELEMS / 2; i++)
    ck_assert_int_eq(u64list_push_back(biglist, val(i)), 0);
  bigmap = blobmap_new(MAP_KEYS);
  struct blob b = {{0}};
  for (uint64_t k = 0; k < MAP_KEYS; k++) {
    b.v[0] = val(k);
    ck_assert_int_eq(blobmap_put(bigmap, k, b), 1);
  }
  hot = small_vector();
}

/* Reads one element of every chunk of v; returns the misses that took. One-element copies, not
 * get(): get() feeds the stride detector, whose prefetches could hide a miss. */
static uint64_t touch(u64vec *v) {
  uint64_t before = ds_counters().miss, x;
  for (uint64_t i = 0; i < HOT_ELEMS; i += 512) {
    u64vec_copy_out(v, i, &x, 1);
    if (x != ~i)
      ck_abort_msg("element %llu", (unsigned long long)i);
  }
  return ds_counters().miss - before;
}

/* Chunks of v not in local memory right now (far_is_resident: the runtime's own answer). */
static size_t absent_chunks(u64vec *v) {
  size_t n = 0;
  for (size_t c = 0; c < v->seq.nchunks; c++)
    n += !far_is_resident(v->seq.chunk[c]);
  return n;
}

static int add(const uint64_t *e, size_t i, void *ctx) {
  (void)i;
  *(uint64_t *)ctx += *e;
  return 0;
}

static int add_list(const uint64_t *e, void *ctx) { return add(e, 0, ctx); }

/* Each scan reads everything through a don't-cache path and checks what it read. */
static void scan_for_each_nt(void) {
  uint64_t sum = 0;
  u64vec_for_each_nt(big, 0, BIG_ELEMS, add, &sum);
  ck_assert_uint_eq(sum, big_sum);
}

static void scan_copy_out_nt(void) {
  uint64_t *block = malloc(65536 * sizeof *block), sum = 0;
  for (uint64_t at = 0; at < BIG_ELEMS; at += 65536) {
    u64vec_copy_out_nt(big, at, block, 65536);
    for (int i = 0; i < 65536; i++)
      sum += block[i];
  }
  free(block);
  ck_assert_uint_eq(sum, big_sum);
}

static void scan_iterator_nt(void) {
  u64vec_iter it = u64vec_iter_range(big, 0, BIG_ELEMS, FARDS_NOCACHE);
  uint64_t sum = 0;
  for (uint64_t x; u64vec_next(&it, &x);)
    sum += x;
  ck_assert_uint_eq(sum, big_sum);
}

static void scan_get_nt(void) {
  for (uint64_t i = 0; i < BIG_ELEMS; i += 97)
    if (u64vec_get_nt(big, i) != val(i))
      ck_abort_msg("get_nt %llu", (unsigned long long)i);
}

static void scan_list_nt(void) {
  uint64_t sum = 0, want = 0, n = 0;
  ck_assert_int_eq(u64list_for_each_nt(biglist, add_list, &sum), 0);
  u64list_iter it = u64list_begin_nt(biglist);
  for (uint64_t x; u64list_next(&it, &x); n++)
    if (x != val(n))
      ck_abort_msg("list element %llu", (unsigned long long)n);
  for (uint64_t i = 0; i < BIG_ELEMS / 2; i++)
    want += val(i);
  ck_assert_uint_eq(sum, want);
  ck_assert_uint_eq(n, BIG_ELEMS / 2);
}

static void scan_hashtable_nt(void) {
  struct blob b;
  for (uint64_t k = 0; k < MAP_KEYS; k++)
    if (!blobmap_get_nt(bigmap, k, &b) || b.v[0] != val(k))
      ck_abort_msg("get_nt key %llu", (unsigned long long)k);
}

static void scan_for_each_cached(void) {
  uint64_t sum = 0;
  u64vec_for_each(big, 0, BIG_ELEMS, add, &sum);
  ck_assert_uint_eq(sum, big_sum);
}

START_TEST(dont_cache_scans_leave_the_hot_set_local) {
  static const struct {
    const char *name;
    void (*scan)(void);
  } scans[] = {
      {"vector for_each_nt", scan_for_each_nt}, {"vector copy_out_nt", scan_copy_out_nt},
      {"vector iterator (FARDS_NOCACHE)", scan_iterator_nt}, {"vector get_nt", scan_get_nt},
      {"list for_each_nt and begin_nt", scan_list_nt}, {"hashtable get_nt", scan_hashtable_nt},
  };
  build();
  touch(hot);
  touch(hot);
  ck_assert_uint_eq(touch(hot), 0);
  for (size_t s = 0; s < sizeof scans / sizeof scans[0]; s++) {
    u64vec *warm = small_vector();
    uint64_t before = ds_counters().miss;
    ds_prefetch_log_reset();
    scans[s].scan();
    uint64_t scan_misses = ds_counters().miss - before;
    /* far_prefetch fills the ordinary cache: don't-cache streams must not ask for it. */
    ck_assert_msg(ds_prefetch_log_requests() == 0, "%s asked for %zu prefetches", scans[s].name,
                  ds_prefetch_log_requests());
    ck_assert_msg(scan_misses > 0, "%s: the scan fetched nothing, so it proves nothing",
                  scans[s].name);
    ck_assert_msg(absent_chunks(hot) == 0 && absent_chunks(warm) == 0,
                  "%s evicted %zu hot and %zu warm chunks", scans[s].name, absent_chunks(hot),
                  absent_chunks(warm));
    uint64_t hot_misses = touch(hot), warm_misses = touch(warm);
    ck_assert_msg(hot_misses == 0, "%s evicted the hot set: %llu misses touching it again",
                  scans[s].name, (unsigned long long)hot_misses);
    ck_assert_msg(warm_misses == 0, "%s evicted the warm set: %llu misses touching it",
                  scans[s].name, (unsigned long long)warm_misses);
    u64vec_free(warm);
  }
  /* The control: the same data scanned through the cache does push a warm set out. */
  u64vec *warm = small_vector();
  scan_for_each_cached();
  ck_assert_uint_gt(absent_chunks(warm), 0);
  ck_assert_msg(touch(warm) > 0, "a cached scan of 4x local memory left the warm set local: "
                                 "the check above cannot tell the two apart");
  u64vec_free(warm);
  /* far_prefetch_nt brings a remote chunk in (asynchronously); local memory counts as resident. */
  size_t c = 0;
  while (c < big->seq.nchunks && far_is_resident(big->seq.chunk[c]))
    c++;
  ck_assert_uint_lt(c, big->seq.nchunks);
  far_prefetch_nt(big->seq.chunk[c], 4096);
  for (int ms = 0; ms < 2000 && !far_is_resident(big->seq.chunk[c]); ms++)
    usleep(1000);
  ck_assert(far_is_resident(big->seq.chunk[c]));
  ck_assert(far_is_resident(&c));
  u64vec_free(big);
  u64vec_free(hot);
  u64list_free(biglist);
  blobmap_free(bigmap);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("ds_nocache");
  DS_ADD_TEST(s, dont_cache_scans_leave_the_hot_set_local);
  return s;
}

int main(void) { return ds_run_suite(suite()); }
