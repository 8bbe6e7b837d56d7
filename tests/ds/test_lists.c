/* Far lists, stacks and queues against a real farmemd with a small local budget (FAR_LOCAL_MEM=8M,
 * set by CMake): each holds eight times the budget and gives every element back in the right order;
 * iteration over a cold list prefetches; insertion and removal in the middle (chunk splits and
 * merges) agree with a local reference model; readers in several threads at once each see the
 * order; iterator misuse aborts with a message. */
#include "ds_harness.h"

#include <far/ds/list.h>
#include <far/ds/queue.h>
#include <far/ds/stack.h>
#include <pthread.h>
#include <stdlib.h>

/* 256 bytes, every byte derived from the sequence number. */
struct item {
  uint64_t seq;
  uint64_t check;
  uint8_t pad[240];
};

FAR_LIST_DECLARE(itemlist, struct item)
FAR_STACK_DECLARE(itemstack, struct item)
FAR_QUEUE_DECLARE(itemqueue, struct item)
/* 16 elements per chunk, so a few hundred operations split and merge many chunks. */
FAR_LIST_DECLARE_CHUNK(u32list, uint32_t, 64)
FAR_STACK_DECLARE_CHUNK(u32stack, uint32_t, 64)
FAR_QUEUE_DECLARE_CHUNK(u32queue, uint32_t, 64)

#define LOCAL_BUDGET (8u << 20)
#define ITEM_CHUNK (16u << 10) /* the default list chunk: 64 items */
/* Eight times the local budget. */
#define ITEMS (8 * LOCAL_BUDGET / sizeof(struct item))

static struct item item_of(uint64_t seq) {
  struct item it;
  it.seq = seq;
  it.check = seq * 0x9E3779B97F4A7C15ull;
  for (size_t j = 0; j < sizeof it.pad; j++)
    it.pad[j] = (uint8_t)(seq * 31 + j);
  return it;
}

static void expect_item(const struct item *got, uint64_t seq, const char *where, size_t pos) {
  struct item want = item_of(seq);
  if (memcmp(got, &want, sizeof want) != 0)
    ck_abort_msg("%s: position %zu holds seq %llu, expected %llu", where, pos,
                 (unsigned long long)got->seq, (unsigned long long)seq);
}

/* The far addresses of a list's chunks, front to back. */
static void **chunk_addresses(const struct fards_clist *l) {
  void **a = malloc((l->nchunks + 1) * sizeof *a);
  size_t i = 0;
  for (const struct fards_cnode *n = l->first; n; n = n->next)
    a[i++] = n->data;
  return a;
}

/* A stream over chunks 0..n-1 crossed n-1 boundaries: the first crossing (into chunk 1) asked for
 * the 1 MiB window beyond it, and later ones for the next quarter of a window each time a quarter
 * was consumed, so chunks 2..n-1 were each requested exactly once and chunks 0 and 1 never. With
 * `adjacent` (chunks allocated one after another, so next to each other in far memory) they went
 * out together, a quarter window (16 chunks) or more per request, not one request per chunk. */
static void expect_window_prefetches(void **chunk, size_t n, int adjacent) {
  ck_assert_uint_eq(ds_prefetch_log_chunks(ITEM_CHUNK), n - 2);
  if (adjacent)
    ck_assert_msg(ds_prefetch_log_requests() <= n / 8, "%zu requests for %zu chunks",
                  ds_prefetch_log_requests(), n - 2);
  for (size_t i = 0; i < n; i++)
    if (ds_prefetch_log_covers(chunk[i]) != (i >= 2))
      ck_abort_msg("chunk %zu of %zu requested %zu times", i, n, ds_prefetch_log_covers(chunk[i]));
}

START_TEST(queue_of_eight_times_local_memory_is_fifo) {
  itemqueue *q = itemqueue_new();
  ck_assert_ptr_nonnull(q);
  for (uint64_t i = 0; i < ITEMS; i++)
    if (itemqueue_push(q, item_of(i)) != 0)
      ck_abort_msg("push %llu failed", (unsigned long long)i);
  ck_assert_uint_eq(itemqueue_size(q), ITEMS);
  struct item x;
  ck_assert_int_eq(itemqueue_front(q, &x), 1);
  expect_item(&x, 0, "front", 0);
  size_t nchunks = q->l.nchunks;
  void **chunk = chunk_addresses(&q->l);
  ds_prefetch_log_reset();
  for (uint64_t i = 0; i < ITEMS; i++) {
    if (!itemqueue_pop(q, &x))
      ck_abort_msg("queue empty after %llu pops", (unsigned long long)i);
    expect_item(&x, i, "pop", i);
  }
  ck_assert_int_eq(itemqueue_empty(q), 1);
  ck_assert_int_eq(itemqueue_pop(q, &x), 0);
  ck_assert_uint_eq(q->l.nchunks, 0);
  expect_window_prefetches(chunk, nchunks, 1); /* popping streams the queue like an iterator */
  free(chunk);
  itemqueue_free(q);
}
END_TEST

START_TEST(stack_of_eight_times_local_memory_is_lifo) {
  itemstack *s = itemstack_new();
  ck_assert_ptr_nonnull(s);
  for (uint64_t i = 0; i < ITEMS; i++)
    if (itemstack_push(s, item_of(i)) != 0)
      ck_abort_msg("push %llu failed", (unsigned long long)i);
  struct item x;
  ck_assert_int_eq(itemstack_top(s, &x), 1);
  expect_item(&x, ITEMS - 1, "top", 0);
  itemstack_iter it = itemstack_begin(s); /* top down */
  for (uint64_t i = 0; i < 1000 && itemstack_next(&it, &x); i++)
    expect_item(&x, ITEMS - 1 - i, "iterator", i);
  for (uint64_t i = ITEMS; i-- > 0;) {
    if (!itemstack_pop(s, &x))
      ck_abort_msg("stack empty with %llu left", (unsigned long long)i + 1);
    expect_item(&x, i, "pop", ITEMS - 1 - i);
  }
  ck_assert_int_eq(itemstack_pop(s, NULL), 0);
  itemstack_free(s);
}
END_TEST

/* The list holds ITEMS/2-1 ... 0 (pushed at the front) then ITEMS/2 ... ITEMS-1 (at the back), so the
 * element at position p is seq_at(p). */
static uint64_t seq_at(uint64_t p) { return p < ITEMS / 2 ? ITEMS / 2 - 1 - p : p; }

static int at_position(const struct item *e, void *ctx) {
  uint64_t *p = ctx;
  expect_item(e, seq_at(*p), "for_each", *p);
  return ++*p == ITEMS / 2 + 10 ? 3 : 0;
}

START_TEST(list_of_eight_times_local_memory_keeps_order_both_ways) {
  itemlist *l = itemlist_new();
  ck_assert_ptr_nonnull(l);
  for (uint64_t i = 0; i < ITEMS / 2; i++) {
    ck_assert_int_eq(itemlist_push_front(l, item_of(i)), 0);
    ck_assert_int_eq(itemlist_push_back(l, item_of(ITEMS / 2 + i)), 0);
  }
  ck_assert_uint_eq(itemlist_size(l), ITEMS);

  /* The front half is long evicted: the forward scan asks for the AIFM window ahead of itself. */
  void **chunk = chunk_addresses(&l->l);
  ds_prefetch_log_reset();
  itemlist_iter it = itemlist_begin(l);
  struct item x;
  uint64_t p = 0;
  for (; itemlist_next(&it, &x); p++)
    expect_item(&x, seq_at(p), "forward", p);
  ck_assert_uint_eq(p, ITEMS);
  expect_window_prefetches(chunk, l->l.nchunks, 0); /* front and back chunks were interleaved */
  free(chunk);

  it = itemlist_rbegin(l);
  for (p = ITEMS; itemlist_next(&it, &x);) {
    p--;
    expect_item(&x, seq_at(p), "backward", p);
  }
  ck_assert_uint_eq(p, 0);

  /* for_each front to back, stopped by a nonzero result just past the middle. */
  uint64_t pos = 0;
  ck_assert_int_eq(itemlist_for_each(l, at_position, &pos), 3);
  ck_assert_uint_eq(pos, ITEMS / 2 + 10);

  for (uint64_t lo = 0, hi = ITEMS; lo < hi;) {
    if ((lo + hi) % 2) {
      ck_assert_int_eq(itemlist_pop_front(l, &x), 1);
      expect_item(&x, seq_at(lo), "pop_front", lo);
      lo++;
    } else {
      ck_assert_int_eq(itemlist_pop_back(l, &x), 1);
      hi--;
      expect_item(&x, seq_at(hi), "pop_back", hi);
    }
  }
  ck_assert_int_eq(itemlist_empty(l), 1);
  ck_assert_uint_eq(l->l.nchunks, 0);
  itemlist_free(l);
}
END_TEST

/* ---- A reference model: a plain array holding what the far list should hold. ---- */

struct model {
  uint32_t *v;
  size_t n;
};

static void model_insert(struct model *m, size_t at, uint32_t x) {
  memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof *m->v);
  m->v[at] = x;
  m->n++;
}

static void model_erase(struct model *m, size_t at) {
  memmove(m->v + at, m->v + at + 1, (m->n - at - 1) * sizeof *m->v);
  m->n--;
}

static void expect_list_equals_model(u32list *l, const struct model *m, int op) {
  ck_assert_msg(u32list_size(l) == m->n, "op %d: size %zu, model %zu", op, u32list_size(l), m->n);
  u32list_iter it = u32list_begin(l);
  uint32_t x;
  size_t i = 0;
  for (; u32list_next(&it, &x); i++)
    if (i >= m->n || x != m->v[i])
      ck_abort_msg("op %d: position %zu holds %u, model %u", op, i, x, i < m->n ? m->v[i] : 0);
  ck_assert_uint_eq(i, m->n);
  /* Chunks merge as elements go: never more than one chunk per 4 elements plus the two ends. */
  ck_assert_msg(l->l.nchunks <= m->n / 4 + 2, "op %d: %zu chunks for %zu elements", op,
                l->l.nchunks, m->n);
}

/* An iterator positioned after the first `at` elements. */
static u32list_iter iter_after(u32list *l, size_t at) {
  u32list_iter it = u32list_begin(l);
  uint32_t x;
  for (size_t i = 0; i < at; i++)
    ck_assert_int_eq(u32list_next(&it, &x), 1);
  return it;
}

START_TEST(list_insert_and_erase_in_the_middle_match_a_model) {
  u32list *l = u32list_new();
  struct model m = {malloc(100000 * sizeof(uint32_t)), 0};
  uint64_t rng = 99;
  uint32_t x;
  for (int op = 0; op < 8000; op++) {
    uint32_t val = (uint32_t)ds_rand(&rng);
    unsigned kind = (unsigned)(ds_rand(&rng) % 10);
    if (kind < 2) {
      ck_assert_int_eq(u32list_push_back(l, val), 0);
      model_insert(&m, m.n, val);
    } else if (kind < 3) {
      ck_assert_int_eq(u32list_push_front(l, val), 0);
      model_insert(&m, 0, val);
    } else if (kind < 6) {
      size_t at = m.n ? ds_rand(&rng) % (m.n + 1) : 0;
      u32list_iter it = iter_after(l, at);
      ck_assert_int_eq(u32list_insert(&it, val), 0);
      model_insert(&m, at, val);
      if (at < m.n - 1) { /* the iterator now returns what followed the insertion point */
        ck_assert_int_eq(u32list_next(&it, &x), 1);
        ck_assert_uint_eq(x, m.v[at + 1]);
      }
    } else if (kind < 8 && m.n) {
      size_t at = ds_rand(&rng) % m.n;
      u32list_iter it = iter_after(l, at + 1);
      u32list_erase(&it);
      model_erase(&m, at);
      if (at < m.n) {
        ck_assert_int_eq(u32list_next(&it, &x), 1);
        ck_assert_uint_eq(x, m.v[at]);
      }
    } else if (kind < 9 && m.n) {
      ck_assert_int_eq(u32list_pop_front(l, &x), 1);
      ck_assert_uint_eq(x, m.v[0]);
      model_erase(&m, 0);
    } else if (m.n) {
      ck_assert_int_eq(u32list_pop_back(l, &x), 1);
      ck_assert_uint_eq(x, m.v[m.n - 1]);
      model_erase(&m, m.n - 1);
    }
    if (op % 500 == 0)
      expect_list_equals_model(l, &m, op);
  }
  expect_list_equals_model(l, &m, -1);

  /* Erase every other element in one pass, then everything. */
  u32list_iter it = u32list_begin(l);
  size_t keep = 0;
  for (size_t i = 0; u32list_next(&it, &x); i++) {
    if (i % 2)
      u32list_erase(&it);
    else
      m.v[keep++] = x;
  }
  m.n = keep;
  expect_list_equals_model(l, &m, -2);
  for (it = u32list_begin(l); u32list_next(&it, &x);)
    u32list_erase(&it);
  ck_assert_uint_eq(u32list_size(l), 0);
  ck_assert_uint_eq(l->l.nchunks, 0);
  /* Inserting through an iterator of an empty list appends. */
  it = u32list_begin(l);
  ck_assert_int_eq(u32list_insert(&it, 5), 0);
  ck_assert_int_eq(u32list_insert(&it, 6), 0);
  ck_assert_int_eq(u32list_front(l, &x), 1);
  ck_assert_uint_eq(x, 5);
  ck_assert_int_eq(u32list_back(l, &x), 1);
  ck_assert_uint_eq(x, 6);
  free(m.v);
  u32list_free(l);
}
END_TEST

static int transform_double(uint32_t *e, void *ctx) {
  (void)ctx;
  *e *= 2;
  return 0;
}

static int collect(const uint32_t *e, void *ctx) {
  struct model *m = ctx;
  m->v[m->n++] = *e;
  return m->n == 150 ? 7 : 0;
}

START_TEST(stack_and_queue_interleaved_with_for_each) {
  u32stack *s = u32stack_new();
  u32queue *q = u32queue_new();
  struct model ms = {malloc(50000 * sizeof(uint32_t)), 0};
  struct model mq = {malloc(50000 * sizeof(uint32_t)), 0};
  size_t qhead = 0;
  uint64_t rng = 5;
  uint32_t x;
  for (int op = 0; op < 40000; op++) {
    uint32_t val = (uint32_t)ds_rand(&rng);
    if (ds_rand(&rng) % 3) {
      ck_assert_int_eq(u32stack_push(s, val), 0);
      ck_assert_int_eq(u32queue_push(q, val), 0);
      ms.v[ms.n++] = val;
      mq.v[mq.n++] = val;
    } else {
      ck_assert_int_eq(u32stack_pop(s, &x), ms.n > 0);
      if (ms.n)
        ck_assert_uint_eq(x, ms.v[--ms.n]);
      ck_assert_int_eq(u32queue_pop(q, &x), qhead < mq.n);
      if (qhead < mq.n)
        ck_assert_uint_eq(x, mq.v[qhead++]);
    }
  }
  ck_assert_uint_eq(u32stack_size(s), ms.n);
  ck_assert_uint_eq(u32queue_size(q), mq.n - qhead);
  ck_assert_uint_gt(ms.n, 1000);

  /* for_each: the stack from the top down, the queue from the front; a nonzero result stops. */
  struct model seen = {malloc(50000 * sizeof(uint32_t)), 0};
  ck_assert_int_eq(u32stack_for_each(s, collect, &seen), 7);
  for (size_t i = 0; i < seen.n; i++)
    ck_assert_uint_eq(seen.v[i], ms.v[ms.n - 1 - i]);
  seen.n = 0;
  ck_assert_int_eq(u32queue_for_each_nt(q, collect, &seen), 7);
  for (size_t i = 0; i < seen.n; i++)
    ck_assert_uint_eq(seen.v[i], mq.v[qhead + i]);

  u32list *l = u32list_new();
  for (uint32_t i = 0; i < 1000; i++)
    u32list_push_back(l, i);
  ck_assert_int_eq(u32list_transform(l, transform_double, NULL), 0);
  u32list_iter it = u32list_begin_nt(l);
  for (uint32_t i = 0; u32list_next(&it, &x); i++)
    ck_assert_uint_eq(x, 2 * i);
  u32list_free(l);

  u32stack_clear(s);
  ck_assert_int_eq(u32stack_empty(s), 1);
  ck_assert_int_eq(u32stack_top(s, &x), 0);
  free(seen.v);
  free(ms.v);
  free(mq.v);
  u32stack_free(s);
  u32queue_free(q);
}
END_TEST

/* ---- Concurrent readers, each with its own iterator. ---- */

enum { READERS = 4 };
#define SHARED_ITEMS (2 * LOCAL_BUDGET / sizeof(struct item)) /* twice the budget */

struct reader {
  itemlist *l;
  unsigned id;
  uint64_t right; /* elements seen at their position */
};

static int count_in_order(const struct item *e, void *ctx) {
  struct reader *r = ctx;
  struct item want = item_of(r->right);
  if (memcmp(e, &want, sizeof want) != 0)
    return 1;
  r->right++;
  return 0;
}

/* Walks the shared list front to back (a cached iterator, a don't-cache one, or for_each) and back
 * to front, counting the elements found where they belong. */
static void *read_list(void *arg) {
  struct reader *r = arg;
  struct item x;
  itemlist_iter it = r->id % 2 ? itemlist_begin_nt(r->l) : itemlist_begin(r->l);
  for (uint64_t p = 0; itemlist_next(&it, &x); p++)
    r->right += x.seq == p && x.check == item_of(p).check;
  it = itemlist_rbegin(r->l);
  for (uint64_t p = SHARED_ITEMS; itemlist_next(&it, &x);)
    --p, r->right += x.seq == p && x.pad[239] == item_of(p).pad[239];
  uint64_t walked = r->right;
  r->right = 0;
  itemlist_for_each(r->l, count_in_order, r); /* stops at the first element out of place */
  r->right += walked;
  return NULL;
}

START_TEST(concurrent_readers_see_the_order) {
  itemlist *l = itemlist_new();
  for (uint64_t i = 0; i < SHARED_ITEMS; i++)
    ck_assert_int_eq(itemlist_push_back(l, item_of(i)), 0);
  struct reader r[READERS];
  pthread_t t[READERS];
  for (unsigned k = 0; k < READERS; k++) {
    r[k] = (struct reader){l, k, 0};
    ck_assert_int_eq(pthread_create(&t[k], NULL, read_list, &r[k]), 0);
  }
  for (unsigned k = 0; k < READERS; k++) {
    pthread_join(t[k], NULL);
    ck_assert_uint_eq(r[k].right, 3 * SHARED_ITEMS);
  }
  itemlist_free(l);
}
END_TEST

static void erase_before_next(void *l) {
  u32list_iter it = u32list_begin(l);
  u32list_erase(&it);
}

static void insert_backwards(void *l) {
  u32list_iter it = u32list_rbegin(l);
  u32list_insert(&it, 1);
}

START_TEST(iterator_misuse_aborts_with_a_message) {
  u32list *l = u32list_new();
  u32list_push_back(l, 1);
  ds_expect_abort(erase_before_next, l, "u32list_erase: erase needs");
  ds_expect_abort(insert_backwards, l, "u32list_insert: insert needs a front-to-back iterator");
  u32list_free(l);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("ds_lists");
  DS_ADD_TEST(s, queue_of_eight_times_local_memory_is_fifo);
  DS_ADD_TEST(s, stack_of_eight_times_local_memory_is_lifo);
  DS_ADD_TEST(s, list_of_eight_times_local_memory_keeps_order_both_ways);
  DS_ADD_TEST(s, list_insert_and_erase_in_the_middle_match_a_model);
  DS_ADD_TEST(s, stack_and_queue_interleaved_with_for_each);
  DS_ADD_TEST(s, concurrent_readers_see_the_order);
  DS_ADD_TEST(s, iterator_misuse_aborts_with_a_message);
  return s;
}

int main(void) { return ds_run_suite(suite()); }
