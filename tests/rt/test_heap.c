/* The far heap and address encoding: classes, alignment, distinct addresses, identity barriers on
 * local pointers, never-written objects reading as zeros, calloc, realloc, strdup; small objects
 * grouped into shared far objects (FAR_GROUP). */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "rt_test.h"

START_TEST(addresses_encode_class_and_id) {
  rt_budget("8M");
  setenv("FAR_GROUP", "1", 1); /* every allocation its own far object */
  char *a = far_malloc(24), *b = far_malloc(24), *big = far_malloc(100000);
  ck_assert(far_is_far(a) && far_is_far(b) && far_is_far(big));
  ck_assert(!far_is_far(NULL));
  ck_assert_uint_eq(far_addr_class((uintptr_t)a), 5); /* 24 B -> 32 B class */
  ck_assert_uint_eq((uintptr_t)a % 32, 0);
  ck_assert(a != b);
  ck_assert_uint_eq(far_addr_class((uintptr_t)far_malloc(1)), FAR_HEAP_CLASS_MIN);
  ck_assert_uint_eq(far_addr_class((uintptr_t)far_malloc(65536)), FAR_HEAP_CLASS_MAX);
  ck_assert_uint_eq(far_usable_size(big), 2 * 65536);
  ck_assert_uint_eq(far_usable_size(a), 32);
}
END_TEST

/* Default FAR_GROUP (32): small allocations of one class share far objects of 32 slots. */
START_TEST(small_objects_share_a_group) {
  rt_budget("8M");
  char *a[64];
  for (int i = 0; i < 64; i++) a[i] = far_malloc(24);
  unsigned slot;
  ck_assert(far_group_holds((uintptr_t)a[0], &slot));
  ck_assert_uint_eq(slot, 5);
  ck_assert_uint_eq(far_addr_class((uintptr_t)a[0]), 10); /* 32 x 32 B */
  ck_assert_uint_eq(far_usable_size(a[0]), 32);
  for (int i = 1; i < 32; i++) ck_assert_ptr_eq(a[i], a[0] + 32 * i);
  ck_assert_uint_ne(far_addr_id((uintptr_t)a[32]), far_addr_id((uintptr_t)a[0]));
  ck_assert(!far_group_holds((uintptr_t)far_malloc(200), &slot)); /* 256 B: not grouped */
  for (int i = 0; i < 64; i++) rt_fill(a[i], 24, i, 0);
  far_free(a[5]);
  far_free(a[40]);
  char *c = far_malloc(20), *d = far_malloc(32); /* freed slots are reused, zeroed */
  ck_assert(c == a[40] || c == a[5]);
  ck_assert(d == a[40] || d == a[5]);
  far_scope_enter(0);
  for (int i = 0; i < 32; i++) ck_assert_int_eq(((char *)far_read(c, 32, 0))[i], 0);
  far_scope_exit();
  for (int i = 0; i < 64; i++)
    if (a[i] != c && a[i] != d) rt_verify(a[i], 24, i, 0); /* neighbours untouched */
}
END_TEST

START_TEST(grouped_double_free_is_reported) {
  rt_budget("8M");
  char *p = far_malloc(16);
  far_free(p);
  far_free(p);
}
END_TEST

START_TEST(free_inside_a_grouped_object_is_reported) {
  rt_budget("8M");
  char *p = far_malloc(64);
  far_free(p + 16);
}
END_TEST

START_TEST(barriers_are_identity_on_local_pointers) {
  int local = 5, *heap = malloc(sizeof *heap);
  ck_assert_ptr_eq(far_read(&local, sizeof local, 0), &local);
  ck_assert_ptr_eq(far_write(heap, sizeof *heap, 0), heap);
  ck_assert_ptr_eq(far_read(NULL, 8, 0), NULL);
  far_free(heap); /* non-far goes to free() */
}
END_TEST

START_TEST(new_objects_read_zero_and_keep_writes) {
  rt_budget("8M");
  long *p = far_calloc(100, sizeof(long));
  far_scope_enter(0);
  long *q = far_read(p, 100 * sizeof(long), 0);
  for (int i = 0; i < 100; i++) ck_assert_int_eq(q[i], 0);
  q = far_write(p + 7, sizeof(long), 0);
  *q = 42;
  far_scope_exit();
  far_scope_enter(0);
  ck_assert_int_eq(*(long *)far_read(p + 7, sizeof(long), 0), 42);
  far_scope_exit();
  ck_assert_uint_eq(far_stats().c.miss, 0); /* never written back: no round trip */
}
END_TEST

START_TEST(nested_scopes_publish_once) {
  rt_budget("8M");
  char *p = far_malloc(64);
  far_scope_enter(3);
  far_scope_enter(4);
  *(char *)far_write(p, 1, 0) = 'x';
  far_scope_exit();
  ck_assert_uint_eq(far_self.depth, 1);
  ck_assert_uint_ne(far_self.slot->epoch, 0);
  far_scope_exit();
  ck_assert_uint_eq(far_self.slot->epoch, 0);
}
END_TEST

START_TEST(realloc_and_strdup_preserve_content) {
  rt_budget("8M");
  char *p = far_malloc(100);
  rt_fill(p, 100, 7, 0);
  p = far_realloc(p, 300000); /* grows into a multi-object allocation */
  rt_verify(p, 100, 7, 0);
  rt_fill(p, 300000, 8, 0);
  p = far_realloc(p, 1000);
  rt_verify(p, 1000, 8, 0);
  char *s = far_strdup("far away");
  ck_assert_int_eq(far_strcmp(s, "far away"), 0);
  ck_assert_uint_eq(far_strlen(s), 8);
  char *t = far_strdup(s);
  ck_assert_int_eq(far_strcmp(t, s), 0);
  ck_assert_ptr_eq(far_strchr(t, 'a'), t + 1);
  ck_assert_ptr_null(far_strchr(t, 'z'));
  far_free(p);
  far_free(s);
  far_free(t);
}
END_TEST

START_TEST(barrier_outside_scope_is_reported) {
  rt_budget("8M");
  char *p = far_malloc(64);
  far_read(p, 1, 0);
}
END_TEST

START_TEST(double_free_is_reported) {
  rt_budget("8M");
  char *p = far_malloc(100);
  far_free(p);
  far_free(p);
}
END_TEST

START_TEST(free_inside_a_large_allocation_is_reported) {
  rt_budget("8M");
  char *p = far_malloc(1 << 20);
  far_free(p + 65536); /* the start of its second object, not of an allocation */
}
END_TEST

static void add(Suite *s) {
  rt_add_exit(s, double_free_is_reported, 1);
  rt_add_exit(s, free_inside_a_large_allocation_is_reported, 1);
  rt_add_exit(s, grouped_double_free_is_reported, 1);
  rt_add_exit(s, free_inside_a_grouped_object_is_reported, 1);
  rt_add(s, addresses_encode_class_and_id);
  rt_add(s, small_objects_share_a_group);
  rt_add(s, barriers_are_identity_on_local_pointers);
  rt_add(s, new_objects_read_zero_and_keep_writes);
  rt_add(s, nested_scopes_publish_once);
  rt_add(s, realloc_and_strdup_preserve_content);
  rt_add_exit(s, barrier_outside_scope_is_reported, 1);
}

int main(void) { return rt_run("heap", add); }
