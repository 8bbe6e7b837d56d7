/* Admission of fetched entries in the far hashtable (hashtable.h, fards_ht_admit), against a real
 * farmemd with a small local budget (FAR_LOCAL_MEM=4M, set by CMake) and a table of entries that
 * are far objects of their own (256 bytes) twice that size:
 *   - an entry a batched get fetched for the first time in a while goes to the runtime's
 *     non-temporal region: even got again meanwhile, it is not kept when local memory is churned;
 *   - fetched again soon after (a second miss), it is admitted: got again, it stays through the
 *     same churn, as any hot object;
 *   - values are right throughout.
 * A process of its own, so the runtime starts from a clean cache. */
#include "ds_harness.h"

#include <far/ds/hashtable.h>
#include <stdlib.h>
#include <string.h>

struct rec {
  uint64_t v[31]; /* with the key: 256 bytes, an object of its own */
};
FAR_HASHTABLE_DECLARE_POD(bigmap, uint64_t, struct rec)

enum { KEYS = 1 << 15, SET = 32 }; /* 8 MiB of entries: twice the budget */

static struct rec rec_of(uint64_t k) {
  struct rec r;
  for (int i = 0; i < 31; i++)
    r.v[i] = k * 1000 + (uint64_t)i;
  return r;
}

/* Fills local memory with other data (fresh keys each call), so that what is not kept goes remote. */
static void churn(void) {
  static uint64_t next;
  bigmap *c = bigmap_new(0);
  struct rec r = {{0}};
  for (int i = 0; i < 8000; i++) /* 2 MB: less than the cache turns over in one pass */
    ck_assert_int_ge(bigmap_put(c, next++, r), 0);
  bigmap_free(c);
}

static uint64_t fetched(void) {
  struct far_stats_counters c = ds_counters();
  return c.prefetch_issued + c.miss;
}

/* A batched get of the set, checking every value; returns how many objects it fetched. */
static uint64_t get_set(bigmap *h, const uint64_t *keys) {
  struct rec out[SET];
  char found[SET];
  uint64_t before = fetched();
  ck_assert_uint_eq(bigmap_get_many(h, keys, SET, out, found), SET);
  for (int i = 0; i < SET; i++) {
    struct rec want = rec_of(keys[i]);
    ck_assert(found[i] && memcmp(&out[i], &want, sizeof want) == 0);
  }
  return fetched() - before;
}

/* Batched gets of 2048 other keys from `from` on (512 KiB, each its first miss), which fill the
 * non-temporal regions past the one holding the set (a thread's region being filled is not
 * evacuated). */
static void others(bigmap *h, uint64_t from) {
  uint64_t k[SET];
  struct rec out[SET];
  for (uint64_t b = 0; b < 64; b++) {
    for (uint64_t i = 0; i < SET; i++)
      k[i] = from + b * SET + i;
    ck_assert_uint_eq(bigmap_get_many(h, k, SET, out, NULL), SET);
  }
}

START_TEST(entries_are_kept_from_their_second_miss) {
  bigmap *h = bigmap_new(KEYS);
  for (uint64_t k = 0; k < KEYS; k++)
    ck_assert_int_eq(bigmap_put(h, k, rec_of(k)), 1);
  churn();
  uint64_t keys[SET];
  for (int i = 0; i < SET; i++)
    keys[i] = (uint64_t)i * 509; /* spread over the first half of the table */
  uint64_t first = get_set(h, keys);
  ck_assert_uint_ge(first, SET - 4); /* remote after the churn */
  ck_assert_uint_le(get_set(h, keys), 2); /* local now, and used again */
  others(h, KEYS / 2);
  churn();
  /* Not admitted at their first miss: dropped by the churn although used twice. (A few may share a
   * filter slot with another key of the set and so have been admitted.) */
  uint64_t second = get_set(h, keys);
  ck_assert_msg(second >= SET - 6, "%llu of %d fetched again", (unsigned long long)second, SET);
  ck_assert_uint_le(get_set(h, keys), 2); /* their second miss admitted them: used again, hot */
  churn(); /* (no others(): their first misses would overwrite the set's slots of the filter) */
  uint64_t third = get_set(h, keys);
  ck_assert_msg(third <= 8, "%llu of %d fetched again after the second miss",
                (unsigned long long)third, SET);
  bigmap_free(h);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("ds_hashtable_admit");
  DS_ADD_TEST(s, entries_are_kept_from_their_second_miss);
  return s;
}

int main(void) { return ds_run_suite(suite()); }
