/* Allocations larger than one object: pointer arithmetic and comparisons across the 64 KiB object
 * boundaries, accesses straddling two objects (bounce buffers, written back at scope exit), and the
 * far-aware libc helpers across boundaries and between far and local memory. */
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"

#define BIG (1u << 20) /* 16 objects of 64 KiB */
#define CHUNK 65536

struct rec {
  uint64_t a, b, c, d, e, f, g, h;
};

START_TEST(pointer_arithmetic_spans_objects) {
  rt_budget("8M");
  char *p = far_malloc(BIG);
  char *q = p + 3 * CHUNK + 5;
  ck_assert(far_is_far(q));
  ck_assert_int_eq(q - p, 3 * CHUNK + 5);
  ck_assert(q > p && q < p + BIG);
  rt_fill(p, BIG, 5, 0);
  far_scope_enter(0);
  ck_assert_uint_eq(*(uint8_t *)far_read(q, 1, 0), rt_byte(5, 3 * CHUNK + 5, 0));
  far_scope_exit();
  rt_verify(p, BIG, 5, 0);
}
END_TEST

START_TEST(straddling_struct_read_and_write) {
  rt_budget("8M");
  char *p = far_malloc(BIG);
  rt_fill(p, BIG, 6, 0);
  struct rec *r = (struct rec *)(p + CHUNK - 24); /* 24 bytes in one object, 40 in the next */
  far_scope_enter(0);
  struct rec copy = *(struct rec *)far_read(r, sizeof *r, 0);
  far_scope_exit();
  uint8_t expect[sizeof copy];
  for (size_t i = 0; i < sizeof copy; i++) expect[i] = rt_byte(6, CHUNK - 24 + i, 0);
  ck_assert_mem_eq(&copy, expect, sizeof copy);

  far_scope_enter(0);
  struct rec *w = far_write(r, sizeof *r, 0);
  w->a = 0x1111; /* first object */
  w->h = 0x8888; /* second object */
  far_scope_exit();
  far_scope_enter(0);
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->a, 8, 0), 0x1111);
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->h, 8, 0), 0x8888);
  ck_assert_uint_eq(*(uint8_t *)far_read((char *)&r->b, 1, 0), rt_byte(6, CHUNK - 16, 0));
  far_scope_exit();
}
END_TEST

/* Several barriers of one scope over the same straddling bytes: every write survives, and a
 * straddling barrier inside an earlier one's range sees what was written through it. */
START_TEST(overlapping_straddling_barriers_keep_every_write) {
  rt_budget("8M");
  char *p = far_malloc(BIG);
  rt_fill(p, BIG, 7, 0);
  struct rec *r = (struct rec *)(p + CHUNK - 24);
  far_scope_enter(0);
  struct rec *whole = far_write(r, sizeof *r, 0);
  whole->a = 0xaaaa;
  struct rec *again = far_write(r, sizeof *r, 0); /* the same bytes, as -O0 code would reload */
  ck_assert_uint_eq(again->a, 0xaaaa);
  again->h = 0x8888;
  *(uint64_t *)far_write(&r->b, 8, 0) = 0xbbbb; /* a plain barrier: one object */
  uint64_t *cd = far_write(&r->c, 16, 0);      /* inside the first buffer's range */
  cd[1] = 0xdddd;
  /* plain reads of bytes the buffer holds see what was written through it, and the other way round */
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->a, 8, 0), 0xaaaa);
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->h, 8, 0), 0x8888);
  ck_assert_uint_eq(((struct rec *)far_read(r, sizeof *r, 0))->b, 0xbbbb);
  /* a range overlapping the buffer without lying inside it starts from the buffer's bytes */
  uint64_t *around = far_read(&r->g, 24, 0);
  ck_assert_uint_eq(around[1], 0x8888);
  far_scope_exit();
  far_scope_enter(0);
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->a, 8, 0), 0xaaaa);
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->b, 8, 0), 0xbbbb);
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->d, 8, 0), 0xdddd);
  ck_assert_uint_eq(*(uint64_t *)far_read(&r->h, 8, 0), 0x8888);
  ck_assert_uint_eq(*(uint8_t *)far_read((char *)&r->e, 1, 0), rt_byte(7, CHUNK - 24 + 32, 0));
  far_scope_exit();
  far_free(p);
}
END_TEST

START_TEST(libc_helpers_cross_boundaries) {
  rt_budget("8M");
  size_t n = 3 * CHUNK;
  char *far = far_malloc(n), *local = malloc(n), *back = malloc(n);
  for (size_t i = 0; i < n; i++) local[i] = (char)rt_byte(9, i, 0);
  far_memcpy(far, local, n);
  far_memcpy(back, far, n);
  ck_assert_mem_eq(back, local, n);
  ck_assert_int_eq(far_memcmp(far, local, n), 0);
  /* overlapping moves inside far memory, both directions, checked against libc on the local copy */
  far_memmove(far + 1000, far, 2 * CHUNK);
  memmove(local + 1000, local, 2 * CHUNK);
  far_memmove(far, far + 77, 2 * CHUNK + 5);
  memmove(local, local + 77, 2 * CHUNK + 5);
  far_memcpy(back, far, n);
  ck_assert_mem_eq(back, local, n);
  far_memset(far + CHUNK - 10, 'z', 20);
  memset(local + CHUNK - 10, 'z', 20);
  ck_assert_int_eq(far_memcmp(far, local, n), 0);
  local[n - 1] ^= 1;
  ck_assert_int_ne(far_memcmp(far, local, n), 0);

  /* a string across a boundary */
  char *s = far + CHUNK - 3;
  far_strcpy(s, "boundary");
  ck_assert_uint_eq(far_strlen(s), 8);
  ck_assert_int_eq(far_strcmp(s, "boundary"), 0);
  ck_assert_int_lt(far_strcmp(s, "boundaryz"), 0);
  ck_assert_int_eq(far_strncmp(s, "bound", 5), 0);
  ck_assert_ptr_eq(far_strchr(s, 'y'), s + 7);
  char buf[12];
  far_strncpy(buf, s, sizeof buf);
  ck_assert_str_eq(buf, "boundary");
  ck_assert_int_eq(buf[11], 0);
  free(local);
  free(back);
  far_free(far);
}
END_TEST

static void add(Suite *s) {
  rt_add(s, pointer_arithmetic_spans_objects);
  rt_add(s, straddling_struct_read_and_write);
  rt_add(s, overlapping_straddling_barriers_keep_every_write);
  rt_add(s, libc_helpers_cross_boundaries);
}

int main(void) { return rt_run("large", add); }
