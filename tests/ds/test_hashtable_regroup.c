/* Hot/cold regrouping in the far hashtable (hashtable.h, fards_ht_regroup), against a real farmemd
 * with a small local budget (FAR_LOCAL_MEM=4M, set by CMake) and a table of small entries (16 bytes,
 * packed 32 to a far object by rt/group.c) twice that size:
 *   - entries a batched get had to fetch are moved together: after local memory is churned, getting
 *     a set of hot keys again fetches a few shared objects instead of one per key;
 *   - values are never lost or stale while entries move, with puts, removes and gets of the same
 *     keys running at once on other threads;
 *   - for_each visits every entry exactly once while other threads' gets move entries;
 *   - underneath, far_malloc_hot fills groups of its own, reuses their freed slots zeroed, and a
 *     full one becomes an ordinary group.
 * A process of its own, so the runtime starts from a clean cache. */
#include "ds_harness.h"

#include <far/ds/hashtable.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

FAR_HASHTABLE_DECLARE_POD(small, uint64_t, uint64_t)

/* 248-byte values (an object of its own each), only to push the small entries out. */
struct big {
  uint64_t pad[31];
};
FAR_HASHTABLE_DECLARE_POD(churnmap, uint64_t, struct big)

enum { KEYS = 1 << 19, HOT = 4096, BATCH = 32 }; /* 8 MiB of entries: twice the budget */

/* The value written by version v of key k (v < 2^20): both can be read back from it. */
static uint64_t value_of(uint64_t k, uint64_t v) { return k << 20 | v; }

static small *build(uint64_t keys) {
  small *h = small_new(keys);
  for (uint64_t k = 0; k < keys; k++)
    ck_assert_int_eq(small_put(h, k, value_of(k, 1)), 1);
  return h;
}

/* Fills local memory with other data (fresh keys each call), so the small entries go remote. */
static void churn(void) {
  static uint64_t next;
  churnmap *c = churnmap_new(0);
  struct big b = {{0}};
  for (int i = 0; i < 24000; i++) /* 6 MB */
    ck_assert_int_ge(churnmap_put(c, next++, b), 0);
  churnmap_free(c);
}

/* Hot key number i: spread over the whole table, so no two start in the same group. */
static uint64_t hot_key(uint64_t i) { return i * 127 % KEYS; }

/* Objects fetched from the server so far (prefetched or on demand). */
static uint64_t fetched(void) {
  struct far_stats_counters c = ds_counters();
  return c.prefetch_issued + c.miss;
}

/* Batched gets of every hot key, checking the values; returns how many objects they fetched. */
static size_t get_hot(small *h) {
  uint64_t q[BATCH], out[BATCH], before = fetched();
  char found[BATCH];
  for (uint64_t at = 0; at < HOT; at += BATCH) {
    for (unsigned i = 0; i < BATCH; i++)
      q[i] = hot_key(at + i);
    ck_assert_uint_eq(small_get_many(h, q, BATCH, out, found), BATCH);
    for (unsigned i = 0; i < BATCH; i++)
      ck_assert_uint_eq(out[i], value_of(q[i], 1));
  }
  return fetched() - before;
}

START_TEST(fetched_entries_are_moved_together) {
  small *h = build(KEYS);
  churn();
  size_t first = get_hot(h); /* each hot key's entry in its own cold group: moved */
  churn();
  get_hot(h); /* the few that were local the first time, or whose group was */
  churn();
  size_t again = get_hot(h);
  /* 4096 keys in 128 groups of 32 once moved; without regrouping, about one fetch per key. */
  ck_assert_uint_ge(first, HOT / 2);
  ck_assert_uint_le(again, HOT / 16);
  ck_assert_uint_eq(small_size(h), KEYS);
  for (uint64_t k = 0; k < KEYS; k += 61) { /* moved or not, every entry reads the same */
    uint64_t v;
    ck_assert_int_eq(small_get(h, k, &v), 1);
    ck_assert_uint_eq(v, value_of(k, 1));
  }
  small_free(h);
}
END_TEST

/* ---- The runtime's side: far_malloc_hot (rt/group.c). ---- */

/* The far object (group of 32 slots of 16 bytes, FAR_GROUP's default) holding small object p. */
static uintptr_t group_of(const void *p) { return (uintptr_t)p & ~(uintptr_t)(32 * 16 - 1); }

static uint64_t read_u64(void *p) {
  far_scope_enter(0);
  uint64_t v = *(uint64_t *)far_read(p, 8, 0);
  far_scope_exit();
  return v;
}

static void write_u64(void *p, uint64_t v) {
  far_scope_enter(0);
  *(uint64_t *)far_write(p, 8, 0) = v;
  far_scope_exit();
}

START_TEST(hot_allocations_share_groups_only_with_each_other) {
  enum { N = 64 };
  void *hot[N], *cold[N];
  for (int i = 0; i < N; i++) { /* interleaved with ordinary allocations of the same size */
    hot[i] = far_malloc_hot(16);
    cold[i] = far_malloc(16);
    ck_assert(hot[i] && cold[i]);
    ck_assert_uint_eq(read_u64(hot[i]), 0);
  }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      ck_assert(group_of(hot[i]) != group_of(cold[j]));
  for (int i = 1; i < N; i++) /* filled in order, a fresh group when full */
    ck_assert(group_of(hot[i]) == group_of(hot[i - 1]) ? i % 32 != 0 : i % 32 == 0);
  /* A slot freed in the hot group being filled goes back to hot allocations, zeroed. */
  write_u64(hot[40], ~0ull);
  far_free(hot[40]);
  void *again = far_malloc_hot(16);
  ck_assert_ptr_eq(again, hot[40]);
  ck_assert_uint_eq(read_u64(again), 0);
  /* A full hot group that is no longer being filled is an ordinary group: its freed slot goes to
   * the next ordinary allocation (the top of the stack), zeroed. */
  write_u64(hot[3], ~0ull);
  far_free(hot[3]);
  void *ordinary = far_malloc(16);
  ck_assert_ptr_eq(ordinary, hot[3]);
  ck_assert_uint_eq(read_u64(ordinary), 0);
  /* Larger sizes are ordinary allocations. */
  void *big = far_malloc_hot(4096);
  ck_assert_uint_eq(far_usable_size(big), 4096);
  far_free(big);
  far_free(ordinary);
  far_free(again);
  for (int i = 0; i < N; i++) {
    if (i != 3 && i != 40)
      far_free(hot[i]);
    far_free(cold[i]);
  }
}
END_TEST

/* ---- Threads: writers own the keys k % WRITERS == id; readers check what they see. ---- */

enum { WRITERS = 2, READERS = 2, OPS = 20000, RANGE = KEYS / 8 };

struct worker {
  small *h;
  unsigned id;
  uint32_t *version; /* writers: per own key, the last version written; 0: removed */
  uint32_t *seen;    /* readers: per key, the newest version seen */
  char error[160];
};

#define WORKER_FAIL(w, ...)                                                                      \
  do {                                                                                           \
    snprintf((w)->error, sizeof (w)->error, __VA_ARGS__);                                        \
    return NULL;                                                                                 \
  } while (0)

/* Puts (a newer version), removes and re-puts its own keys, and churns local memory now and then,
 * so that readers keep finding entries remote. */
static void *writer_run(void *arg) {
  struct worker *w = arg;
  uint64_t rng = 99 + w->id;
  for (int op = 0; op < OPS; op++) {
    uint64_t k = (ds_rand(&rng) % (RANGE / WRITERS)) * WRITERS + w->id;
    if (ds_rand(&rng) % 8 == 0) {
      if (small_remove(w->h, k) != (w->version[k] != 0))
        WORKER_FAIL(w, "writer %u: remove of %llu disagrees", w->id, (unsigned long long)k);
      w->version[k] = 0;
    } else {
      uint32_t v = (uint32_t)op + 2; /* newer than any earlier version of k */
      if (small_put(w->h, k, value_of(k, v)) < 0)
        WORKER_FAIL(w, "writer %u: put failed", w->id);
      w->version[k] = v;
    }
    if (w->id == 0 && op % 5000 == 4999)
      churn();
  }
  return NULL;
}

/* Two batches in flight over random keys: every value found is its key's, and never older than
 * one this reader saw before for that key (a value is never stale, whatever moved). */
static void *reader_run(void *arg) {
  struct worker *w = arg;
  uint64_t rng = 7 + w->id, q[2][BATCH], out[BATCH];
  char found[BATCH];
  small_pending p[2];
  for (int b = 0; b < OPS / BATCH * 4; b++) {
    for (unsigned i = 0; i < BATCH; i++)
      q[b % 2][i] = ds_rand(&rng) % RANGE;
    small_get_many_start(w->h, q[b % 2], BATCH, &p[b % 2]);
    if (b == 0)
      continue;
    uint64_t *keys = q[(b - 1) % 2];
    small_get_many_finish(w->h, &p[(b - 1) % 2], out, found);
    for (unsigned i = 0; i < BATCH; i++) {
      uint64_t k = keys[i], v = out[i] & ((1u << 20) - 1);
      if (!found[i])
        continue;
      if (out[i] >> 20 != k || v < w->seen[k])
        WORKER_FAIL(w, "reader %u: key %llu read %llx after version %u", w->id,
                    (unsigned long long)k, (unsigned long long)out[i], w->seen[k]);
      w->seen[k] = (uint32_t)v;
    }
  }
  return NULL;
}

static void run_workers(struct worker *w, unsigned n, void *(*fn)(void *), pthread_t *tid) {
  for (unsigned t = 0; t < n; t++)
    ck_assert_int_eq(pthread_create(&tid[t], NULL, fn, &w[t]), 0);
}

START_TEST(moves_lose_no_value_under_concurrent_writes) {
  small *h = build(KEYS);
  churn();
  static struct worker wr[WRITERS], rd[READERS];
  pthread_t tw[WRITERS], tr[READERS];
  uint32_t *version = malloc(RANGE * sizeof *version);
  ck_assert_ptr_nonnull(version);
  for (uint64_t k = 0; k < RANGE; k++)
    version[k] = 1;
  ds_prefetch_log_reset();
  for (unsigned t = 0; t < WRITERS; t++)
    wr[t] = (struct worker){.h = h, .id = t, .version = version};
  for (unsigned t = 0; t < READERS; t++) {
    rd[t] = (struct worker){.h = h, .id = t, .seen = calloc(RANGE, sizeof(uint32_t))};
    ck_assert_ptr_nonnull(rd[t].seen);
  }
  run_workers(wr, WRITERS, writer_run, tw);
  run_workers(rd, READERS, reader_run, tr);
  for (unsigned t = 0; t < WRITERS; t++)
    ck_assert_int_eq(pthread_join(tw[t], NULL), 0);
  for (unsigned t = 0; t < READERS; t++)
    ck_assert_int_eq(pthread_join(tr[t], NULL), 0);
  for (unsigned t = 0; t < WRITERS; t++)
    ck_assert_msg(wr[t].error[0] == '\0', "%s", wr[t].error);
  for (unsigned t = 0; t < READERS; t++)
    ck_assert_msg(rd[t].error[0] == '\0', "%s", rd[t].error);
  ck_assert_uint_gt(ds_prefetch_log_requests(), OPS / 100); /* readers fetched (and moved) entries */
  size_t present = KEYS - RANGE;
  for (uint64_t k = 0; k < RANGE; k++) { /* the table holds exactly the last write of each key */
    uint64_t v;
    int found = small_get(h, k, &v);
    if (found != (version[k] != 0) || (found && v != value_of(k, version[k])))
      ck_abort_msg("key %llu: found %d value %llx, last written version %u", (unsigned long long)k,
                   found, (unsigned long long)v, version[k]);
    present += (size_t)found;
  }
  ck_assert_uint_eq(small_size(h), present);
  for (unsigned t = 0; t < READERS; t++)
    free(rd[t].seen);
  free(version);
  small_free(h);
}
END_TEST

/* ---- for_each while entries move. ---- */

enum { WALK_KEYS = KEYS / 8 }; /* 1 MiB: the walk itself fetches little */

struct visits {
  uint8_t *count; /* per key */
  size_t bad;
};

static int count_visit(const uint64_t *k, const uint64_t *v, void *ctx) {
  struct visits *c = ctx;
  if (*k >= WALK_KEYS || *v != value_of(*k, 1) || c->count[*k] == 255)
    c->bad++;
  else
    c->count[*k]++;
  return 0;
}

struct mover {
  small *h;
  atomic_int stop;
};

/* Batched gets of random keys (a bounded number), churning local memory now and then: entries keep
 * moving while the walk runs. */
static void *mover_run(void *arg) {
  struct mover *m = arg;
  uint64_t rng = 5, q[BATCH];
  for (int b = 0; b < 1000 && !atomic_load(&m->stop); b++) {
    for (unsigned i = 0; i < BATCH; i++)
      q[i] = ds_rand(&rng) % WALK_KEYS;
    small_get_many(m->h, q, BATCH, NULL, NULL);
    if (b % 250 == 249)
      churn();
  }
  return NULL;
}

/* Every entry's far address (the index read directly; no other thread running), sorted. */
static struct fards_htslot *entries_now(small *h, size_t *n) {
  struct fards_htslot *all = malloc(small_size(h) * sizeof *all);
  ck_assert_ptr_nonnull(all);
  *n = 0;
  for (unsigned i = 0; i < FARDS_HT_SEGMENTS; i++)
    for (size_t j = 0; j <= h->t.seg[i].mask; j++)
      if (h->t.seg[i].slot[j].obj)
        all[(*n)++] = h->t.seg[i].slot[j];
  qsort(all, *n, sizeof *all, fards_ht_by_obj);
  return all;
}

/* How many entries of h sit at a far address not in was[0..n). */
static size_t entries_moved(small *h, const struct fards_htslot *was, size_t n) {
  size_t now_n, moved = 0;
  struct fards_htslot *now = entries_now(h, &now_n);
  for (size_t i = 0; i < now_n; i++)
    moved += !bsearch(&now[i], was, n, sizeof *was, fards_ht_by_obj);
  free(now);
  return moved;
}

START_TEST(for_each_visits_moved_entries_once) {
  small *h = build(WALK_KEYS);
  churn();
  struct mover m = {.h = h};
  atomic_init(&m.stop, 0);
  struct visits c = {calloc(WALK_KEYS, 1), 0};
  ck_assert_ptr_nonnull(c.count);
  size_t n;
  struct fards_htslot *was = entries_now(h, &n);
  pthread_t tid;
  ck_assert_int_eq(pthread_create(&tid, NULL, mover_run, &m), 0);
  ck_assert_int_eq(small_for_each(h, count_visit, &c), 0);
  atomic_store(&m.stop, 1);
  ck_assert_int_eq(pthread_join(tid, NULL), 0);
  ck_assert_uint_eq(c.bad, 0);
  for (uint64_t k = 0; k < WALK_KEYS; k++)
    if (c.count[k] != 1)
      ck_abort_msg("key %llu visited %u times", (unsigned long long)k, c.count[k]);
  ck_assert_uint_gt(entries_moved(h, was, n), 0); /* the mover did move entries meanwhile */
  free(was);
  free(c.count);
  small_free(h);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("ds_hashtable_regroup");
  DS_ADD_TEST(s, hot_allocations_share_groups_only_with_each_other);
  DS_ADD_TEST(s, fetched_entries_are_moved_together);
  DS_ADD_TEST(s, moves_lose_no_value_under_concurrent_writes);
  DS_ADD_TEST(s, for_each_visits_moved_entries_once);
  return s;
}

int main(void) { return ds_run_suite(suite()); }
