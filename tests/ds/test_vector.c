/* Far vectors and arrays against a real farmemd with a small local budget (FAR_LOCAL_MEM, set by
 * CMake): sequential and random access agree with a local reference; growth, pops, resizes (and
 * lengths no memory could hold), bulk copies at odd offsets, iterators, for_each/transform, local
 * pointers in an explicit scope, the don't-cache variants, stride prefetching, readers and
 * writers of distinct elements in several threads at once, and the out-of-range failure. */
#include "ds_harness.h"

#include <far/ds/array.h>
#include <far/ds/vector.h>
#include <pthread.h>
#include <stdlib.h>

FAR_VECTOR_DECLARE(u64vec, uint64_t)
FAR_VECTOR_DECLARE_CHUNK(u64bigvec, uint64_t, 64u << 10)

/* 24 bytes: chunks do not hold a power-of-two number of them. */
struct rec {
  uint64_t a;
  uint32_t b, c;
  uint64_t d;
};
FAR_ARRAY_DECLARE(recarr, struct rec)
/* 3000 bytes: one element per 4 KiB chunk, so a length converts to as many spine entries. */
struct page3k {
  char b[3000];
};
FAR_VECTOR_DECLARE(pagevec, struct page3k)
FAR_ARRAY_DECLARE(pagearr, struct page3k)

/* 32 MiB of elements: four times FAR_LOCAL_MEM, so most of the vector is remote at any time. */
#define BIG_ELEMS (4u << 20)

static uint64_t val(uint64_t i) { return i * 0x9E3779B97F4A7C15ull ^ 0x5555u; }

static struct rec rec_of(uint64_t i) {
  struct rec r = {i, (uint32_t)i * 3u, (uint32_t)(i >> 7), ~i};
  return r;
}

static int rec_eq(struct rec x, struct rec y) {
  return x.a == y.a && x.b == y.b && x.c == y.c && x.d == y.d;
}

static u64vec *filled_vector(size_t n) {
  u64vec *v = u64vec_new();
  ck_assert_ptr_nonnull(v);
  for (size_t i = 0; i < n; i++)
    if (u64vec_push(v, val(i)) != 0)
      ck_abort_msg("push %zu failed", i);
  ck_assert_uint_eq(u64vec_size(v), n);
  return v;
}

static int check_val(const uint64_t *e, size_t i, void *ctx) {
  if (*e != val(i))
    ck_abort_msg("for_each: element %zu is %llx", i, (unsigned long long)*e);
  ++*(size_t *)ctx;
  return 0;
}

static int stop_at_marker(const uint64_t *e, size_t i, void *ctx) {
  (void)ctx;
  return *e == val(123457) ? (int)(i % 1000) + 1 : 0;
}

/* Every chunk of v from `first` on was asked for by exactly one prefetch request, and none before
 * it: the AIFM window on the first crossing (a bulk operation: from its first chunk), then a
 * quarter of a window at a time. */
static void expect_window_prefetches(const u64vec *v, size_t first) {
  ck_assert_uint_eq(ds_prefetch_log_chunks(FARDS_SEQ_CHUNK), v->seq.nchunks - first);
  for (size_t c = 0; c < v->seq.nchunks; c++)
    if (ds_prefetch_log_covers(v->seq.chunk[c]) != (c >= first))
      ck_abort_msg("chunk %zu of %zu requested %zu times", c, v->seq.nchunks,
                   ds_prefetch_log_covers(v->seq.chunk[c]));
}

START_TEST(vector_sequential_beyond_local_memory) {
  u64vec *v = filled_vector(BIG_ELEMS);
  ds_prefetch_log_reset();
  u64vec_iter it = u64vec_begin(v);
  size_t i = 0;
  for (uint64_t x; u64vec_next(&it, &x); i++)
    if (x != val(i))
      ck_abort_msg("iterator: element %zu is %llx", i, (unsigned long long)x);
  ck_assert_uint_eq(i, BIG_ELEMS);
  ck_assert_uint_eq(u64vec_iter_index(&it), BIG_ELEMS);
  expect_window_prefetches(v, 2); /* the first crossing is into chunk 1 */

  size_t visited = 0;
  ds_prefetch_log_reset();
  ck_assert_int_eq(u64vec_for_each(v, 0, BIG_ELEMS, check_val, &visited), 0);
  ck_assert_uint_eq(visited, BIG_ELEMS);
  expect_window_prefetches(v, 1);
  ck_assert_int_eq(u64vec_for_each(v, 1000, BIG_ELEMS, stop_at_marker, NULL), 123457 % 1000 + 1);

  for (size_t k = 0; k < BIG_ELEMS; k += 7)
    if (u64vec_get(v, k) != val(k))
      ck_abort_msg("get: element %zu", k);
  u64vec_free(v);
}
END_TEST

START_TEST(vector_random_access_matches_reference) {
  const size_t n = 2u << 20;
  uint64_t *ref = malloc(n * sizeof *ref);
  ck_assert_ptr_nonnull(ref);
  u64vec *v = filled_vector(n);
  for (size_t i = 0; i < n; i++)
    ref[i] = val(i);
  uint64_t rng = 42;
  for (int op = 0; op < 60000; op++) {
    size_t i = ds_rand(&rng) % n;
    if (op % 3 == 0) {
      ref[i] = ds_rand(&rng);
      u64vec_set(v, i, ref[i]);
    } else if (u64vec_get(v, i) != ref[i]) {
      ck_abort_msg("op %d: element %zu differs", op, i);
    }
  }
  uint64_t *block = malloc(65536 * sizeof *block);
  for (size_t at = 0; at < n; at += 65536) {
    u64vec_copy_out(v, at, block, 65536);
    ck_assert_int_eq(memcmp(block, ref + at, 65536 * sizeof *block), 0);
  }
  free(block);
  free(ref);
  u64vec_free(v);
}
END_TEST

START_TEST(vector_push_pop_resize_clear) {
  u64vec *v = filled_vector(10000);
  uint64_t x = 0;
  for (size_t i = 10000; i-- > 5000;) {
    ck_assert_int_eq(u64vec_pop(v, &x), 1);
    ck_assert_uint_eq(x, val(i));
  }
  ck_assert_uint_eq(u64vec_size(v), 5000);
  ck_assert_int_eq(u64vec_resize(v, 8000), 0); /* reuses chunks that held popped values */
  for (size_t i = 0; i < 8000; i++)
    ck_assert_uint_eq(u64vec_get(v, i), i < 5000 ? val(i) : 0);
  ck_assert_int_eq(u64vec_resize(v, 100), 0);
  ck_assert_int_eq(u64vec_resize(v, 20000), 0);
  for (size_t i = 0; i < 20000; i++)
    ck_assert_uint_eq(u64vec_get(v, i), i < 100 ? val(i) : 0);

  uint64_t more[3000];
  for (size_t i = 0; i < 3000; i++)
    more[i] = ~(uint64_t)i;
  ck_assert_int_eq(u64vec_append(v, more, 3000), 0);
  ck_assert_uint_eq(u64vec_size(v), 23000);
  ck_assert_uint_eq(u64vec_get(v, 22999), ~(uint64_t)2999);

  u64vec_clear(v);
  ck_assert_uint_eq(u64vec_size(v), 0);
  ck_assert_int_eq(u64vec_pop(v, &x), 0);
  ck_assert_uint_gt(v->seq.nchunks, 0);
  u64vec_shrink_to_fit(v);
  ck_assert_uint_eq(v->seq.nchunks, 0);
  ck_assert_int_eq(u64vec_reserve(v, 5000), 0);
  ck_assert_uint_eq(u64vec_size(v), 0);
  ck_assert_int_eq(u64vec_push(v, 77), 0);
  ck_assert_uint_eq(u64vec_get(v, 0), 77);
  u64vec_free(v);
}
END_TEST

/* Lengths no memory could hold fail with -1 (NULL) at once and leave the structure as it was: the
 * spine's byte size must not wrap into a small allocation, nor a length into a small one, and no
 * absurd allocation is even attempted (ASan aborts on one). */
START_TEST(impossible_sizes_fail_cleanly) {
  pagevec *v = pagevec_new();
  struct page3k p = {{42}};
  ck_assert_int_eq(pagevec_push(v, p), 0);
  size_t wraps = SIZE_MAX / sizeof(void *) + 2; /* chunks: times 8 bytes is 8 */
  ck_assert_int_eq(pagevec_resize(v, wraps), -1);
  ck_assert_int_eq(pagevec_reserve(v, wraps), -1);
  ck_assert_int_eq(pagevec_resize(v, SIZE_MAX), -1);
  ck_assert_ptr_null(pagearr_new(wraps));
  ck_assert_int_eq(pagevec_append(v, &p, SIZE_MAX), -1); /* the length would wrap to 0 */
  ck_assert_uint_eq(pagevec_size(v), 1);
  ck_assert_int_eq(pagevec_get(v, 0).b[0], 42);
  ck_assert_int_eq(pagevec_push(v, p), 0);
  ck_assert_uint_eq(pagevec_size(v), 2);
  pagevec_free(v);
  u64vec *u = filled_vector(10);
  ck_assert_int_eq(u64vec_resize(u, SIZE_MAX), -1);
  ck_assert_int_eq(u64vec_append(u, &(uint64_t){1}, SIZE_MAX - 9), -1);
  ck_assert_uint_eq(u64vec_size(u), 10);
  ck_assert_uint_eq(u64vec_get(u, 9), val(9));
  u64vec_free(u);
}
END_TEST

static int sum_b(const struct rec *e, size_t i, void *ctx) {
  (void)i;
  *(uint64_t *)ctx += e->a + e->b + e->c + e->d;
  return 0;
}

static int bump(struct rec *e, size_t i, void *ctx) {
  (void)ctx;
  e->b += (uint32_t)i;
  return 0;
}

START_TEST(array_bulk_copies_at_odd_offsets) {
  const size_t n = 300000; /* 7.2 MB of 24-byte records in 4 KiB chunks of 170 */
  recarr *a = recarr_new(n);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq(recarr_size(a), n);
  uint64_t sum = 0;
  ck_assert_int_eq(recarr_for_each(a, 0, n, sum_b, &sum), 0);
  ck_assert_uint_eq(sum, 0); /* new arrays are zero */

  struct rec *buf = malloc(n * sizeof *buf);
  for (size_t i = 0; i < n; i++)
    buf[i] = rec_of(i);
  /* Pieces that start and end inside chunks. */
  for (size_t at = 0; at < n;) {
    size_t len = 1 + (at * 7919) % 1000;
    if (len > n - at)
      len = n - at;
    recarr_copy_in(a, at, buf + at, len);
    at += len;
  }
  struct rec *back = malloc(n * sizeof *back);
  recarr_copy_out(a, 0, back, n);
  for (size_t i = 0; i < n; i++)
    if (!rec_eq(back[i], buf[i]))
      ck_abort_msg("record %zu differs after copy_in/copy_out", i);
  memset(back, 0, n * sizeof *back);
  recarr_copy_out_nt(a, 169, back, 1000);
  for (size_t i = 0; i < 1000; i++)
    ck_assert(rec_eq(back[i], buf[169 + i]));

  ck_assert_int_eq(recarr_transform(a, 1000, 2000, bump, NULL), 0);
  for (size_t i = 990; i < 2010; i++) {
    struct rec want = buf[i];
    if (i >= 1000 && i < 2000)
      want.b += (uint32_t)i;
    ck_assert(rec_eq(recarr_get(a, i), want));
  }
  free(back);
  free(buf);
  recarr_free(a);
}
END_TEST

START_TEST(array_random_access_and_local_pointers) {
  const size_t n = 500000;
  recarr *a = recarr_new(n);
  ck_assert_ptr_nonnull(a);
  char *set = calloc(n, 1);
  uint64_t rng = 7;
  for (int op = 0; op < 40000; op++) {
    size_t i = ds_rand(&rng) % n;
    if (op % 2 == 0) {
      recarr_set(a, i, rec_of(i));
      set[i] = 1;
    } else {
      struct rec want = set[i] ? rec_of(i) : (struct rec){0, 0, 0, 0};
      if (!rec_eq(recarr_get(a, i), want))
        ck_abort_msg("op %d: record %zu differs", op, i);
    }
  }
  /* at/at_mut inside an explicit scope: both pointers stay valid until it exits. */
  far_scope_enter(0);
  struct rec *w = recarr_at_mut(a, 12345);
  const struct rec *r = recarr_at(a, 400000);
  w->a = 99;
  w->d = r->d + 1;
  far_scope_exit();
  ck_assert_uint_eq(recarr_get(a, 12345).a, 99);
  ck_assert_uint_eq(recarr_get(a, 12345).d, recarr_get(a, 400000).d + 1);
  free(set);
  recarr_free(a);
}
END_TEST

START_TEST(iterator_over_a_range) {
  u64vec *v = filled_vector(50000);
  u64vec_iter it = u64vec_iter_range(v, 4095, 20001, FARDS_CACHE);
  size_t i = 4095;
  for (uint64_t x; u64vec_next(&it, &x); i++)
    ck_assert_uint_eq(x, val(i));
  ck_assert_uint_eq(i, 20001);
  it = u64vec_iter_range(v, 30000, 30000, FARDS_NOCACHE);
  uint64_t x;
  ck_assert_int_eq(u64vec_next(&it, &x), 0);
  it = u64vec_iter_range(v, 49990, 50000, FARDS_NOCACHE);
  for (i = 49990; u64vec_next(&it, &x); i++)
    ck_assert_uint_eq(x, val(i));
  ck_assert_uint_eq(i, 50000);
  u64vec_free(v);
}
END_TEST

START_TEST(dont_cache_variants_read_and_write_the_same_data) {
  u64vec *v = filled_vector(100000);
  for (size_t i = 0; i < 100000; i += 3)
    u64vec_set_nt(v, i, ~val(i));
  for (size_t i = 0; i < 100000; i++) {
    uint64_t want = i % 3 ? val(i) : ~val(i);
    ck_assert_uint_eq(u64vec_get_nt(v, i), want);
    ck_assert_uint_eq(u64vec_get(v, i), want);
  }
  u64vec_free(v);
}
END_TEST

/* Visits chunk first, first+step, ... (count of them, all inside the vector) through get(); returns
 * how many of the visits after the third had been asked for by a prefetch before they happened: the
 * detector confirms a stride on the third visit and must stay ahead from then on. */
static size_t strided_visits(u64bigvec *v, size_t first, ptrdiff_t step, size_t count) {
  const size_t per = (64u << 10) / sizeof(uint64_t);
  size_t ahead = 0;
  ds_prefetch_log_reset();
  for (size_t k = 0; k < count; k++) {
    size_t c = first + (size_t)((ptrdiff_t)k * step), i = c * per + k % per;
    if (k >= 3 && ds_prefetch_log_covers(v->seq.chunk[c]))
      ahead++;
    if (u64bigvec_get(v, i) != val(i))
      ck_abort_msg("get: element %zu", i);
  }
  return ahead;
}

/* Strides several chunks long, forwards over long-evicted chunks and then backwards: the vector's own
 * detector picks them up from get() calls. */
START_TEST(strided_gets_prefetch_ahead) {
  u64bigvec *v = u64bigvec_new();
  const size_t per = (64u << 10) / sizeof(uint64_t), nchunks = BIG_ELEMS / per;
  for (size_t i = 0; i < BIG_ELEMS; i++)
    if (u64bigvec_push(v, val(i)) != 0)
      ck_abort_msg("push %zu failed", i);
  size_t forward = (nchunks + 8) / 9, backward = nchunks / 5;
  ck_assert_uint_eq(strided_visits(v, 0, 9, forward), forward - 3);
  ck_assert_uint_eq(strided_visits(v, nchunks - 1, -5, backward), backward - 3);
  /* A random walk confirms no stride and asks for nothing. */
  ds_prefetch_log_reset();
  uint64_t rng = 3;
  for (int k = 0; k < 200; k++) {
    size_t i = ds_rand(&rng) % BIG_ELEMS;
    ck_assert_uint_eq(u64bigvec_get(v, i), val(i));
  }
  ck_assert_uint_eq(ds_prefetch_log_requests(), 0);
  /* The explicit prefetch asks for exactly the chunks of the range. */
  ds_prefetch_log_reset();
  u64bigvec_prefetch(v, per / 2, 3 * per);
  ck_assert_uint_eq(ds_prefetch_log_chunks(64u << 10), 4);
  for (size_t c = 0; c < 4; c++)
    ck_assert_uint_eq(ds_prefetch_log_covers(v->seq.chunk[c]), 1);
  u64bigvec_free(v);
}
END_TEST

/* ---- Threads: readers of one vector, writers of distinct elements of one array. ---- */

enum { THREADS = 4, ROUNDS = 8, SHARED_ELEMS = 2u << 20 }; /* 16 MiB each: twice the budget */

FAR_ARRAY_DECLARE(u64arr, uint64_t)

struct worker {
  u64vec *v;
  u64arr *arr;
  unsigned id;
  size_t checked; /* elements read and found right */
};

static int count_checked(const uint64_t *e, size_t i, void *ctx) {
  if (*e != val(i))
    return 1;
  ++*(size_t *)ctx;
  return 0;
}

/* Reads the shared vector every way there is (an iterator, cached or not, for_each, a copy, gets),
 * and sets its share of the shared array: over the rounds, every element i with i % THREADS == id. */
static void *read_and_set(void *arg) {
  struct worker *w = arg;
  uint64_t rng = 17 + w->id, block[512];
  for (unsigned round = 0; round < ROUNDS; round++) {
    size_t from = ds_rand(&rng) % (SHARED_ELEMS - 65536), i = from;
    u64vec_iter it = u64vec_iter_range(w->v, from, from + 65536, round % 2 ? FARDS_NOCACHE : FARDS_CACHE);
    for (uint64_t x; u64vec_next(&it, &x); i++)
      w->checked += x == val(i);
    u64vec_for_each(w->v, from, from + 32768, count_checked, &w->checked); /* stops at a wrong one */
    u64vec_copy_out(w->v, from + 1, block, 512);
    for (size_t k = 0; k < 512; k++)
      w->checked += block[k] == val(from + 1 + k);
    for (int k = 0; k < 2000; k++) {
      size_t j = ds_rand(&rng) % SHARED_ELEMS;
      w->checked += u64vec_get(w->v, j) == val(j);
    }
    for (size_t j = w->id + THREADS * round; j < SHARED_ELEMS; j += THREADS * ROUNDS)
      u64arr_set(w->arr, j, ~val(j));
  }
  return NULL;
}

START_TEST(concurrent_readers_and_disjoint_writers) {
  u64vec *v = filled_vector(SHARED_ELEMS);
  u64arr *arr = u64arr_new(SHARED_ELEMS);
  ck_assert_ptr_nonnull(arr);
  struct worker w[THREADS];
  pthread_t t[THREADS];
  for (unsigned k = 0; k < THREADS; k++) {
    w[k] = (struct worker){v, arr, k, 0};
    ck_assert_int_eq(pthread_create(&t[k], NULL, read_and_set, &w[k]), 0);
  }
  for (unsigned k = 0; k < THREADS; k++) {
    pthread_join(t[k], NULL);
    ck_assert_uint_eq(w[k].checked, ROUNDS * (65536 + 32768 + 512 + 2000));
  }
  for (size_t j = 0; j < SHARED_ELEMS; j++)
    if (u64arr_get(arr, j) != ~val(j))
      ck_abort_msg("array element %zu lost its write", j);
  u64arr_free(arr);
  u64vec_free(v);
}
END_TEST

static void get_past_end(void *v) { u64vec_get(v, u64vec_size(v)); }
static void copy_past_end(void *v) {
  uint64_t buf[4];
  u64vec_copy_out(v, u64vec_size(v) - 2, buf, 4);
}

START_TEST(out_of_range_index_aborts_with_a_message) {
  u64vec *v = filled_vector(10);
  ds_expect_abort(get_past_end, v, "u64vec_get: index 10 out of range (size 10)");
  ds_expect_abort(copy_past_end, v, "u64vec_copy_out: index 12 out of range (size 10)");
  u64vec_free(v);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("ds_vector");
  DS_ADD_TEST(s, vector_sequential_beyond_local_memory);
  DS_ADD_TEST(s, vector_random_access_matches_reference);
  DS_ADD_TEST(s, vector_push_pop_resize_clear);
  DS_ADD_TEST(s, impossible_sizes_fail_cleanly);
  DS_ADD_TEST(s, array_bulk_copies_at_odd_offsets);
  DS_ADD_TEST(s, array_random_access_and_local_pointers);
  DS_ADD_TEST(s, iterator_over_a_range);
  DS_ADD_TEST(s, dont_cache_variants_read_and_write_the_same_data);
  DS_ADD_TEST(s, strided_gets_prefetch_ahead);
  DS_ADD_TEST(s, concurrent_readers_and_disjoint_writers);
  DS_ADD_TEST(s, out_of_range_index_aborts_with_a_message);
  return s;
}

int main(void) { return ds_run_suite(suite()); }
