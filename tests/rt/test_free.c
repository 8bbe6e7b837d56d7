/* far_free: local space and ids are reused, freed dirty objects are never written back, and objects
 * the server held are released there too (checked through the server's own statistics). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "rt_test.h"

#define OBJ 4096
#define COUNT 4096 /* 16 MiB: twice the budget, so most objects end up on the server */

static uint64_t server_stat(const char *name) {
  char *text = NULL;
  ck_assert_int_eq(far_net_stats(far_rt.net, &text), FAR_OK);
  size_t len = strlen(name);
  uint64_t v = UINT64_MAX;
  for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (strncmp(line, name, len) == 0 && line[len] == '=') v = strtoull(line + len + 1, NULL, 10);
  free(text);
  ck_assert_msg(v != UINT64_MAX, "server statistic %s missing", name);
  return v;
}

START_TEST(never_written_back_object_is_reused_at_once) {
  rt_budget("8M");
  char *a = far_malloc(40);
  rt_fill(a, 40, 1, 0);
  far_free(a);
  char *b = far_malloc(40);
  ck_assert_ptr_eq(a, b);
  far_scope_enter(0);
  const char *p = far_read(b, 40, 0);
  for (int i = 0; i < 40; i++) ck_assert_int_eq(p[i], 0); /* a new object, not the old bytes */
  far_scope_exit();
}
END_TEST

START_TEST(free_releases_server_memory_and_ids) {
  rt_budget("8M");
  char *obj[COUNT];
  for (int i = 0; i < COUNT; i++) rt_fill(obj[i] = far_malloc(OBJ), OBJ, i, 0);
  for (int i = 0; i < COUNT; i++) rt_verify(obj[i], OBJ, i, 0);
  uint64_t held = server_stat("ns_objects");
  ck_assert_uint_gt(held, COUNT / 2);
  for (int i = 0; i < COUNT; i++) far_free(obj[i]);
  far_heap_flush_frees();
  ck_assert_uint_eq(server_stat("ns_objects"), 0);
  /* ids come back, and a reused id reads as a new object although the server once held data for it */
  char *again = far_malloc(OBJ);
  int reused = 0;
  for (int i = 0; i < COUNT; i++) reused |= again == obj[i];
  ck_assert(reused);
  far_scope_enter(0);
  const char *p = far_read(again, OBJ, 0);
  for (int i = 0; i < OBJ; i++) ck_assert_int_eq(p[i], 0);
  far_scope_exit();
}
END_TEST

START_TEST(freed_dirty_objects_are_not_written_back) {
  rt_budget("8M");
  char *obj[512];
  for (int i = 0; i < 512; i++) rt_fill(obj[i] = far_malloc(OBJ), OBJ, i, 0); /* 2 MiB, all local */
  uint64_t before = far_stats().c.bytes_written_back;
  for (int i = 0; i < 512; i++) far_free(obj[i]);
  char *other[COUNT]; /* push everything else through the cache */
  for (int i = 0; i < COUNT; i++) rt_fill(other[i] = far_malloc(OBJ), OBJ, i, 1);
  uint64_t written = far_stats().c.bytes_written_back - before;
  ck_assert_uint_le(written, (uint64_t)COUNT * OBJ); /* only the other objects, never the freed */
  for (int i = 0; i < COUNT; i++) rt_verify(other[i], OBJ, i, 1);
}
END_TEST

/* far_free_many frees every object it is given, small (grouped) or not, and leaves the others:
 * their slots are reused, the survivors keep their bytes, and freeing one again is caught. */
static size_t many_size(int i) { return i % 16 == 0 ? OBJ : i % 3 ? 24 : 100; } /* 3 classes */

START_TEST(free_many_frees_exactly_the_objects_given) {
  rt_budget("8M");
  enum { N = 256 };
  char *obj[N];
  void *gone[N / 2 + 2];
  size_t ngone = 0;
  for (int i = 0; i < N; i++) rt_fill(obj[i] = far_malloc(many_size(i)), many_size(i), i, 0);
  for (int i = 0; i < N; i += 2) gone[ngone++] = obj[i];
  gone[ngone++] = NULL;                /* as far_free: NULL is free()d */
  gone[ngone++] = malloc(16);          /* and a local pointer too */
  far_free_many(gone, ngone);
  for (int i = 1; i < N; i += 2) rt_verify(obj[i], many_size(i), i, 0);
  int reused = 0;
  char *again = far_malloc(24);
  for (int i = 0; i < N; i += 2) reused |= again == obj[i];
  ck_assert(reused); /* a freed slot of the small objects' groups comes back */
  far_free(again);
  for (int i = 1; i < N; i += 2) far_free(obj[i]); /* still live: no double free reported */
}
END_TEST

START_TEST(free_many_catches_a_double_free) {
  rt_budget("8M");
  void *p = far_malloc(24);
  void *both[2] = {p, p};
  far_free_many(both, 2); /* the second stops the program (exit status 1) */
}
END_TEST

static void add(Suite *s) {
  rt_add(s, free_many_frees_exactly_the_objects_given);
  rt_add_exit(s, free_many_catches_a_double_free, 1);
  rt_add(s, never_written_back_object_is_reused_at_once);
  rt_add(s, free_releases_server_memory_and_ids);
  rt_add(s, freed_dirty_objects_are_not_written_back);
}

int main(void) { return rt_run("free", add); }
