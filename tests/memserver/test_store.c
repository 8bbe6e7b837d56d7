/* farmemd's object table (memserver/store.c) against a plain array as reference: random inserts
 * and range removals, both narrow (looked up id by id) and wide (a sweep of the slots), must keep
 * every remaining id reachable and every removed one gone, through growth and wrap-around. And the
 * objects' buffers (memserver/objmem.c): slab slots never overlap, keep their bytes, and are
 * reused after frees, across classes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "objmem.h"
#include "store.h"

enum { IDS = 4096 };

static store_obj *new_obj(uint64_t id) {
  store_obj *o = store_obj_new(3);
  ck_assert_ptr_nonnull(o);
  o->len = (uint32_t)id;
  return o;
}

static void check_all(const store_table *t, const uint8_t *present) {
  size_t count = 0;
  for (uint64_t id = 0; id < IDS; id++) {
    const store_obj *o = store_get(t, id);
    ck_assert_msg(!!o == present[id], "id %llu: table %d, reference %d", (unsigned long long)id, !!o, present[id]);
    ck_assert(!o || o->len == id);
    count += present[id];
  }
  ck_assert_uint_eq(t->count, count);
}

START_TEST(random_inserts_and_range_removals_match_a_reference) {
  static uint8_t present[IDS];
  store_table t = {0};
  srand(12345);
  for (int round = 0; round < 3000; round++) {
    int op = rand() % 3;
    if (op < 2) { /* insert a few ids, some consecutive like the runtime's */
      uint64_t first = (uint64_t)(rand() % IDS);
      for (uint64_t id = first; id < first + 1 + (uint64_t)(rand() % 8) && id < IDS; id++) {
        if (present[id])
          continue;
        ck_assert_int_eq(store_reserve(&t, 1), 0);
        store_insert(&t, id, new_obj(id));
        present[id] = 1;
      }
    } else { /* remove a range: narrow ones by lookup, wide ones by sweep */
      uint64_t first = (uint64_t)(rand() % IDS);
      uint64_t count = rand() % 4 ? 1 + (uint64_t)(rand() % 16) : 1 + (uint64_t)(rand() % (8 * IDS));
      size_t expect = 0;
      for (uint64_t id = first; id < IDS && id - first < count; id++) {
        expect += present[id];
        present[id] = 0;
      }
      ck_assert_uint_eq(store_remove_range(&t, first, count), expect);
    }
    if (round % 100 == 0)
      check_all(&t, present);
  }
  check_all(&t, present);
  store_clear(&t);
  ck_assert_uint_eq(t.count, 0);
  ck_assert_ptr_null(store_get(&t, 1));
}
END_TEST

START_TEST(ids_across_the_whole_range) {
  store_table t = {0};
  uint64_t ids[] = {0, 1, (1ull << 47) - 1, 1ull << 40, 12345678901ull};
  for (size_t i = 0; i < 5; i++) {
    ck_assert_int_eq(store_reserve(&t, 1), 0);
    store_insert(&t, ids[i], new_obj(i));
  }
  for (size_t i = 0; i < 5; i++)
    ck_assert_uint_eq(store_get(&t, ids[i])->len, i);
  ck_assert_uint_eq(store_remove_range(&t, 1ull << 40, 1ull << 47), 2); /* sweep */
  ck_assert_ptr_null(store_get(&t, (1ull << 47) - 1));
  ck_assert_ptr_nonnull(store_get(&t, 12345678901ull));
  store_clear(&t);
}
END_TEST

enum { LIVE = 1500 };

/* Fills o (class cls) with a pattern of its own. */
static void stamp(store_obj *o, unsigned cls, uint32_t tag) {
  size_t size = (size_t)1 << cls;
  for (size_t i = 0; i < size; i += sizeof tag)
    memcpy(o->data + i, &tag, sizeof tag);
}

static int stamped(const store_obj *o, unsigned cls, uint32_t tag) {
  size_t size = (size_t)1 << cls;
  for (size_t i = 0; i < size; i += sizeof tag)
    if (memcmp(o->data + i, &tag, sizeof tag) != 0)
      return 0;
  return 1;
}

/* Random allocations and frees of slab classes (4 KiB and 64 KiB) and inline ones: every live
 * object keeps its own bytes, whatever is freed around it, so no two slots overlap. */
START_TEST(object_buffers_keep_their_bytes) {
  static store_obj *live[LIVE];
  static unsigned cls_of[LIVE];
  static const unsigned classes[] = {3, 12, 16, 11, 22};
  srand(777);
  for (int round = 0; round < 12000; round++) {
    int i = rand() % LIVE;
    if (live[i]) {
      ck_assert_msg(stamped(live[i], cls_of[i], (uint32_t)i), "object %d lost its bytes", i);
      store_obj_free(live[i]);
      live[i] = NULL;
      continue;
    }
    cls_of[i] = classes[rand() % (round % 7 ? 3 : 5)];
    ck_assert_ptr_nonnull(live[i] = store_obj_new(cls_of[i]));
    ck_assert_uint_eq(live[i]->len, 0);
    stamp(live[i], cls_of[i], (uint32_t)i);
  }
  for (int i = 0; i < LIVE; i++) {
    ck_assert(!live[i] || stamped(live[i], cls_of[i], (uint32_t)i));
    store_obj_free(live[i]);
  }
}
END_TEST

/* A freed slot is the next one handed out, and an emptied chunk serves another class. */
START_TEST(freed_slab_memory_is_reused) {
  store_obj *a = store_obj_new(16), *b = store_obj_new(16);
  uint8_t *slot = a->data;
  ck_assert_ptr_ne(a->data, b->data);
  store_obj_free(a);
  a = store_obj_new(16);
  ck_assert_ptr_eq(a->data, slot);
  uintptr_t chunk = (uintptr_t)slot & ~(((uintptr_t)2 << 20) - 1);
  store_obj_free(a);
  store_obj_free(b);
  store_obj *c = store_obj_new(13); /* the chunk is empty now: kept, and taken for class 13 */
  ck_assert_uint_eq((uintptr_t)c->data & ~(((uintptr_t)2 << 20) - 1), chunk);
  store_obj_free(c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("store");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, random_inserts_and_range_removals_match_a_reference);
  tcase_add_test(tc, ids_across_the_whole_range);
  tcase_add_test(tc, object_buffers_keep_their_bytes);
  tcase_add_test(tc, freed_slab_memory_is_reused);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
