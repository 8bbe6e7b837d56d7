/* Far hashtables against a real farmemd with a small local budget (FAR_LOCAL_MEM=8M, set by CMake):
 * operations agree with a local reference (also with colliding hashes, and from several threads at
 * once), growth keeps every entry, and batched gets (get_many) agree with single gets, prefetching
 * the entries that are not local, also while other threads change the table, also with several
 * batches in flight (get_many_start / get_many_finish). test_hotkeys.c
 * checks that hot keys stay local. Also built with -DFARDS_LOCAL (ds_hashtable_local): the same
 * operations on plain local memory, where nothing is remote and nothing is prefetched. */
#include "ds_harness.h"

#include <far/ds/hashtable.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef FARDS_LOCAL
#define REMOTE_BUILD 0
#else
#define REMOTE_BUILD 1
#endif

FAR_HASHTABLE_DECLARE_POD(u64map, uint64_t, uint64_t)

/* 248 bytes, so an entry (key and value) is exactly one 256-byte far object. */
struct val {
  uint64_t key, version, check;
  uint8_t pad[224];
};
FAR_HASHTABLE_DECLARE_POD(bigmap, uint64_t, struct val)

static uint64_t weak_hash(const uint64_t *k) { return *k % 8; }
static int u64_eq(const uint64_t *a, const uint64_t *b) { return *a == *b; }
FAR_HASHTABLE_DECLARE(collmap, uint64_t, uint64_t, weak_hash, u64_eq)

static struct val val_of(uint64_t key, uint64_t version) {
  struct val v;
  v.key = key;
  v.version = version;
  v.check = fards_mix64(key ^ (version * 0x9E3779B97F4A7C15ull));
  for (size_t j = 0; j < sizeof v.pad; j++)
    v.pad[j] = (uint8_t)(key + version + j);
  return v;
}

/* A value written whole by some put of this key, whichever version. */
static int val_consistent(const struct val *v, uint64_t key) {
  struct val want = val_of(key, v->version);
  return memcmp(v, &want, sizeof want) == 0;
}

START_TEST(operations_match_a_reference) {
  enum { KEYS = 20000 };
  u64map *h = u64map_new(100);
  ck_assert_ptr_nonnull(h);
  uint64_t *ref = calloc(KEYS, sizeof *ref);
  char *present = calloc(KEYS, 1);
  size_t count = 0;
  uint64_t rng = 1, got;
  for (int op = 0; op < 200000; op++) {
    uint64_t k = ds_rand(&rng) % KEYS, v = ds_rand(&rng);
    switch (op % 5) {
    case 0:
    case 1:
      ck_assert_int_eq(u64map_put(h, k, v), !present[k]);
      count += !present[k];
      present[k] = 1;
      ref[k] = v;
      break;
    case 2:
      ck_assert_int_eq(u64map_remove(h, k), present[k]);
      count -= present[k];
      present[k] = 0;
      break;
    case 3:
      got = 0;
      ck_assert_int_eq(u64map_get(h, k, &got), present[k]);
      if (present[k])
        ck_assert_uint_eq(got, ref[k]);
      break;
    default:
      ck_assert_int_eq(u64map_contains(h, k), present[k]);
    }
  }
  ck_assert_uint_eq(u64map_size(h), count);
  for (uint64_t k = 0; k < KEYS; k++) {
    ck_assert_int_eq(u64map_get_nt(h, k, &got), present[k]);
    if (present[k])
      ck_assert_uint_eq(got, ref[k]);
  }
  free(ref);
  free(present);
  u64map_free(h);
}
END_TEST

struct visit {
  char *seen;
  size_t n, limit;
};

static int visit_entry(const uint64_t *k, const struct val *v, void *ctx) {
  struct visit *c = ctx;
  if (*k >= c->limit || c->seen[*k] || !val_consistent(v, *k) || v->version != *k % 3)
    ck_abort_msg("for_each: bad or repeated entry %llu", (unsigned long long)*k);
  c->seen[*k] = 1;
  c->n++;
  return 0;
}

START_TEST(growth_keeps_every_entry) {
  enum { N = 50000 }; /* 12.8 MB of entries: more than the local budget */
  bigmap *h = bigmap_new(0);
  ck_assert_ptr_nonnull(h);
  size_t slots_before = 0, slots_after = 0;
  for (unsigned s = 0; s < FARDS_HT_SEGMENTS; s++)
    slots_before += h->t.seg[s].mask + 1;
  for (uint64_t k = 0; k < N; k++)
    if (bigmap_put(h, k, val_of(k, k % 3)) != 1)
      ck_abort_msg("put %llu did not insert", (unsigned long long)k);
  for (unsigned s = 0; s < FARDS_HT_SEGMENTS; s++)
    slots_after += h->t.seg[s].mask + 1;
  ck_assert_uint_ge(slots_after, slots_before * 64); /* every segment doubled several times */
  ck_assert_uint_eq(bigmap_size(h), N);
  struct val v;
  for (uint64_t k = 0; k < N; k++) {
    if (!bigmap_get(h, k, &v) || !val_consistent(&v, k) || v.version != k % 3)
      ck_abort_msg("entry %llu lost or damaged by growth", (unsigned long long)k);
  }
  ck_assert_int_eq(bigmap_get(h, N, &v), 0);
  struct visit c = {calloc(N, 1), 0, N};
  ck_assert_int_eq(bigmap_for_each(h, visit_entry, &c), 0);
  ck_assert_uint_eq(c.n, N);
  free(c.seen);
  bigmap_free(h);
}
END_TEST

START_TEST(colliding_hashes_keep_probe_runs_intact) {
  enum { KEYS = 1500 };
  collmap *h = collmap_new(0); /* 8 distinct hashes: long runs of equal hashes, keys told apart in far memory */
  uint64_t ref[KEYS];
  char present[KEYS] = {0};
  uint64_t rng = 3, got;
  for (int op = 0; op < 20000; op++) {
    uint64_t k = ds_rand(&rng) % KEYS;
    if (op % 3 == 0 && present[k]) {
      ck_assert_int_eq(collmap_remove(h, k), 1);
      present[k] = 0;
    } else if (op % 3 == 1) {
      ref[k] = ds_rand(&rng);
      ck_assert_int_eq(collmap_put(h, k, ref[k]), !present[k]);
      present[k] = 1;
    } else {
      ck_assert_int_eq(collmap_get(h, k, &got), present[k]);
      if (present[k])
        ck_assert_uint_eq(got, ref[k]);
    }
  }
  for (uint64_t k = 0; k < KEYS; k++) {
    ck_assert_int_eq(collmap_get(h, k, &got), present[k]);
    if (present[k])
      ck_assert_uint_eq(got, ref[k]);
  }
  collmap_free(h);
}
END_TEST

/* ---- Batched gets. ---- */

#define MANY_KEYS 100000 /* 25.6 MB of entries: three times the local budget */
#define MANY_QUERIES 2000

/* Whether key k is in the table many_build builds. */
static int many_present(uint64_t k) { return k < MANY_KEYS && k % 7 != 0; }

/* Whether a batched get's answer for key k is right: found exactly for the keys many_build kept, with
 * the value it put. */
static int many_answer_ok(uint64_t k, char found, const struct val *v) {
  return found == many_present(k) && (!found || (val_consistent(v, k) && v->version == k % 5 + 1));
}

/* get_many of q[0..n) against single gets and against many_present; returns how many it found. */
static size_t check_get_many(bigmap *h, const uint64_t *q, size_t n) {
  static struct val out[MANY_QUERIES];
  static char found[MANY_QUERIES];
  struct val v;
  memset(found, 2, n);
  size_t hits = bigmap_get_many(h, q, n, out, found), want = 0;
  for (size_t i = 0; i < n; i++) {
    if (bigmap_get(h, q[i], &v) != found[i])
      ck_abort_msg("get_many: key %llu found %d", (unsigned long long)q[i], found[i]);
    if (!many_answer_ok(q[i], found[i], &out[i]) || (found[i] && memcmp(&out[i], &v, sizeof v) != 0))
      ck_abort_msg("get_many: key %llu: found %d or wrong value", (unsigned long long)q[i], found[i]);
    want += (size_t)found[i];
  }
  ck_assert_uint_eq(hits, want);
  return hits;
}

/* The table of the batched-get tests (many_present says which keys it holds), and q[0..MANY_QUERIES)
 * filled with present, removed and never-inserted keys, some repeated. */
static bigmap *many_build(uint64_t *q) {
  bigmap *h = bigmap_new(MANY_KEYS);
  for (uint64_t k = 0; k < MANY_KEYS; k++)
    ck_assert_int_eq(bigmap_put(h, k, val_of(k, k % 5 + 1)), 1);
  for (uint64_t k = 0; k < MANY_KEYS; k += 7)
    ck_assert_int_eq(bigmap_remove(h, k), 1);
  uint64_t rng = 77;
  for (size_t i = 0; i < MANY_QUERIES; i++)
    q[i] = i % 10 == 9 ? q[i / 2] : ds_rand(&rng) % (MANY_KEYS + MANY_KEYS / 4);
  return h;
}

START_TEST(get_many_agrees_with_get) {
  static uint64_t q[MANY_QUERIES];
  bigmap *h = many_build(q);
  ds_prefetch_log_reset();
  size_t hits = check_get_many(h, q, MANY_QUERIES); /* 2000 keys: several FARDS_HT_BATCH batches */
  ck_assert_uint_gt(hits, MANY_QUERIES / 2);
  /* Most entries are remote at three times the budget: the batches asked for them ahead. */
  ck_assert_uint_ge(ds_prefetch_log_requests(), REMOTE_BUILD ? hits / 4 : 0);
  ck_assert_uint_le(ds_prefetch_log_requests(), REMOTE_BUILD ? hits : 0);
  for (size_t n = 0; n <= 3; n++) /* tiny and empty batches */
    check_get_many(h, q + 100, n);
  /* Without out or found: just the count. */
  ck_assert_uint_eq(bigmap_get_many(h, q, 64, NULL, NULL), check_get_many(h, q, 64));
  bigmap_free(h);
}
END_TEST

/* get_many_start / get_many_finish with DEPTH batches in flight (each started before the oldest is
 * finished) answer every key right; a start takes at most FARDS_HT_BATCH keys. */
START_TEST(pipelined_get_many_answers_right) {
  enum { BATCH = 32, DEPTH = 4, NB = MANY_QUERIES / BATCH };
  static uint64_t q[MANY_QUERIES];
  static struct val got[BATCH];
  char found[BATCH];
  bigmap *h = many_build(q);
  bigmap_pending p[DEPTH];
  size_t hits = 0, want = 0;
  ds_prefetch_log_reset();
  for (size_t started = 0, done = 0; done < NB; done++) {
    for (; started < NB && started < done + DEPTH; started++)
      ck_assert_uint_eq(bigmap_get_many_start(h, q + started * BATCH, BATCH, &p[started % DEPTH]), BATCH);
    memset(found, 2, sizeof found);
    hits += bigmap_get_many_finish(h, &p[done % DEPTH], got, found);
    for (size_t i = 0; i < BATCH; i++) {
      uint64_t k = q[done * BATCH + i];
      if (!many_answer_ok(k, found[i], &got[i]))
        ck_abort_msg("pipelined get of key %llu: found %d or wrong value", (unsigned long long)k, found[i]);
      want += (size_t)many_present(k);
    }
  }
  ck_assert_uint_eq(hits, want);
  /* Most entries are remote at three times the budget: the batches asked for them ahead. */
  ck_assert_uint_ge(ds_prefetch_log_requests(), REMOTE_BUILD ? want / 4 : 0);
  ck_assert_uint_eq(bigmap_get_many_start(h, q, FARDS_HT_BATCH + 10, &p[0]), FARDS_HT_BATCH);
  ck_assert_uint_eq(bigmap_get_many_finish(h, &p[0], NULL, NULL), bigmap_get_many(h, q, FARDS_HT_BATCH, NULL, NULL));
  ck_assert_uint_eq(bigmap_get_many_start(h, q, 0, &p[0]), 0); /* an empty batch */
  ck_assert_uint_eq(bigmap_get_many_finish(h, &p[0], got, found), 0);
  bigmap_free(h);
}
END_TEST

START_TEST(get_many_with_colliding_hashes) {
  enum { KEYS = 1000 };
  collmap *h = collmap_new(0); /* 8 distinct hashes: each key has ~100 candidate entries */
  for (uint64_t k = 0; k < KEYS; k += 2)
    collmap_put(h, k, k * 3);
  uint64_t q[300], out[300];
  char found[300];
  for (size_t i = 0; i < 300; i++)
    q[i] = (i * 37) % (KEYS + 50);
  size_t hits = collmap_get_many(h, q, 300, out, found), want = 0;
  for (size_t i = 0; i < 300; i++) {
    int present = q[i] < KEYS && q[i] % 2 == 0;
    ck_assert_int_eq(found[i], present);
    if (present)
      ck_assert_uint_eq(out[i], q[i] * 3);
    want += (size_t)present;
  }
  ck_assert_uint_eq(hits, want);
  collmap_free(h);
}
END_TEST

/* ---- Several threads at once. ---- */

#define THREADS 4
#define OWN_KEYS 10000 /* per thread: 40000 entries of 256 B, about 10 MB, above the budget */
#define COUNTERS 16
#define COUNTER_BASE (1ull << 40)

struct worker {
  bigmap *h;
  unsigned id;
  uint64_t version[OWN_KEYS]; /* 0: absent */
  uint64_t increments;
  char error[160]; /* the first disagreement (check's assertions belong to the main thread) */
};

#define WORKER_FAIL(w, ...)                                                                      \
  do {                                                                                           \
    snprintf((w)->error, sizeof (w)->error, __VA_ARGS__);                                        \
    return NULL;                                                                                 \
  } while (0)

static void bump_counter(struct val *v, int existed, void *ctx) {
  if (!existed)
    *v = val_of(*(const uint64_t *)ctx, 0);
  *v = val_of(v->key, v->version + 1);
}

/* A batched get of 16 of w's own keys (exact versions) and 16 of anyone's (whole values). */
static int worker_get_many(struct worker *w, uint64_t *rng) {
  enum { OWN = 16, ANY = 16 };
  uint64_t q[OWN + ANY];
  static _Thread_local struct val out[OWN + ANY];
  char found[OWN + ANY];
  for (unsigned i = 0; i < OWN + ANY; i++)
    q[i] = i < OWN ? w->id + THREADS * (ds_rand(rng) % OWN_KEYS) : ds_rand(rng) % (THREADS * OWN_KEYS);
  if (ds_rand(rng) % 2) {
    bigmap_get_many(w->h, q, OWN + ANY, out, found);
  } else { /* in two halves, with another get while the fetches are in flight */
    bigmap_pending p;
    bigmap_get_many_start(w->h, q, OWN + ANY, &p);
    bigmap_get(w->h, q[0], &out[0]);
    bigmap_get_many_finish(w->h, &p, out, found);
  }
  for (unsigned i = 0; i < OWN + ANY; i++) {
    if (found[i] && !val_consistent(&out[i], q[i]))
      return 0;
    uint64_t version = i < OWN ? w->version[q[i] / THREADS] : 0;
    if (i < OWN && (found[i] != (version != 0) || (found[i] && out[i].version != version)))
      return 0;
  }
  return 1;
}

static void *worker_run(void *arg) {
  struct worker *w = arg;
  uint64_t rng = 1000 + w->id, next_version = 1;
  struct val v;
  for (int op = 0; op < 40000; op++) {
    uint64_t j = ds_rand(&rng) % OWN_KEYS, key = w->id + THREADS * j;
    switch (ds_rand(&rng) % 7) {
    case 0:
    case 1:
      w->version[j] = next_version++;
      if (bigmap_put(w->h, key, val_of(key, w->version[j])) < 0)
        WORKER_FAIL(w, "thread %u: put failed", w->id);
      break;
    case 2:
      if (bigmap_remove(w->h, key) != (w->version[j] != 0))
        WORKER_FAIL(w, "thread %u: remove %llu disagrees", w->id, (unsigned long long)key);
      w->version[j] = 0;
      break;
    case 3:
      if (bigmap_get(w->h, key, &v) != (w->version[j] != 0) ||
          (w->version[j] && (!val_consistent(&v, key) || v.version != w->version[j])))
        WORKER_FAIL(w, "thread %u: get %llu disagrees", w->id, (unsigned long long)key);
      break;
    case 4: { /* another thread's key: absent, or some whole value of that key */
      uint64_t other = ds_rand(&rng) % (THREADS * OWN_KEYS);
      if (bigmap_get(w->h, other, &v) && !val_consistent(&v, other))
        WORKER_FAIL(w, "thread %u: torn value for %llu", w->id, (unsigned long long)other);
      break;
    }
    case 5:
      if (!worker_get_many(w, &rng))
        WORKER_FAIL(w, "thread %u: get_many disagrees", w->id);
      break;
    default: {
      uint64_t counter = COUNTER_BASE + ds_rand(&rng) % COUNTERS;
      if (bigmap_update(w->h, counter, bump_counter, &counter) < 0)
        WORKER_FAIL(w, "thread %u: update failed", w->id);
      w->increments++;
    }
    }
  }
  return NULL;
}

START_TEST(concurrent_mixed_operations_agree_with_reference) {
  bigmap *h = bigmap_new(1000);
  static struct worker w[THREADS];
  ds_prefetch_log_reset();
  pthread_t tid[THREADS];
  for (unsigned t = 0; t < THREADS; t++) {
    memset(&w[t], 0, sizeof w[t]);
    w[t].h = h;
    w[t].id = t;
    ck_assert_int_eq(pthread_create(&tid[t], NULL, worker_run, &w[t]), 0);
  }
  for (unsigned t = 0; t < THREADS; t++)
    ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
  for (unsigned t = 0; t < THREADS; t++)
    ck_assert_msg(w[t].error[0] == '\0', "%s", w[t].error);
  if (REMOTE_BUILD) /* batches found remote entries to fetch */
    ck_assert_uint_gt(ds_prefetch_log_requests(), 0);

  size_t present = 0;
  uint64_t increments = 0, counted = 0;
  struct val v;
  for (unsigned t = 0; t < THREADS; t++) {
    increments += w[t].increments;
    for (uint64_t j = 0; j < OWN_KEYS; j++) {
      uint64_t key = t + THREADS * j;
      int found = bigmap_get(h, key, &v);
      if (found != (w[t].version[j] != 0) || (found && v.version != w[t].version[j]))
        ck_abort_msg("key %llu: table and reference disagree", (unsigned long long)key);
      present += found;
    }
  }
  for (uint64_t c = 0; c < COUNTERS; c++) {
    ck_assert_int_eq(bigmap_get(h, COUNTER_BASE + c, &v), 1);
    ck_assert(val_consistent(&v, COUNTER_BASE + c));
    counted += v.version;
  }
  ck_assert_uint_eq(counted, increments);
  ck_assert_uint_eq(bigmap_size(h), present + COUNTERS);
  bigmap_free(h);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("ds_hashtable");
  DS_ADD_TEST(s, operations_match_a_reference);
  DS_ADD_TEST(s, growth_keeps_every_entry);
  DS_ADD_TEST(s, colliding_hashes_keep_probe_runs_intact);
  DS_ADD_TEST(s, concurrent_mixed_operations_agree_with_reference);
  DS_ADD_TEST(s, get_many_agrees_with_get);
  DS_ADD_TEST(s, pipelined_get_many_answers_right);
  DS_ADD_TEST(s, get_many_with_colliding_hashes);
  return s;
}

int main(void) { return ds_run_suite(suite()); }
