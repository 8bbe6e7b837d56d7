/* farmemd's object table (memserver/store.c) against a plain array as reference: random inserts
 * and range removals, both narrow (looked up id by id) and wide (a sweep of the slots), must keep
 * every remaining id reachable and every removed one gone, through growth and wrap-around. */
#include <check.h>
#include <stdlib.h>
#include "harness.h"
#include "store.h"

enum { IDS = 4096 };

static store_obj *new_obj(uint64_t id) {
  store_obj *o = malloc(sizeof *o + 8);
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

int main(void) {
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("store");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, random_inserts_and_range_removals_match_a_reference);
  tcase_add_test(tc, ids_across_the_whole_range);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
