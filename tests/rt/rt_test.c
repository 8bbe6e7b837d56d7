/* Shared helpers of the runtime tests (see rt_test.h). */
#include "rt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_budget(const char *size) { setenv("FAR_LOCAL_MEM", size, 1); }

int rt_stress(void) {
  const char *s = getenv("FARMEM_STRESS");
  return s && (strcmp(s, "1") == 0 || strcmp(s, "ON") == 0);
}

/* Pieces of at most 4 KiB that never cross an object (objects are 2^class bytes, aligned). */
static size_t piece_at(const char *p, size_t left) {
  uintptr_t a = (uintptr_t)p;
  size_t obj = (size_t)1 << ((a >> FAR_ADDR_CLASS_SHIFT) & 31);
  size_t step = obj < 4096 ? obj : 4096;
  size_t k = step - (a & (step - 1));
  return k < left ? k : left;
}

void rt_fill(char *p, size_t n, uint64_t seed, uint64_t v) {
  for (size_t off = 0; off < n;) {
    size_t k = piece_at(p + off, n - off);
    far_scope_enter(1);
    uint8_t *q = far_write(p + off, k, 1);
    for (size_t i = 0; i < k; i++) q[i] = rt_byte(seed, off + i, v);
    far_scope_exit();
    off += k;
  }
}

void rt_verify(const char *p, size_t n, uint64_t seed, uint64_t v) {
  for (size_t off = 0; off < n;) {
    size_t k = piece_at(p + off, n - off);
    far_scope_enter(2);
    const uint8_t *q = far_read(p + off, k, 2);
    size_t bad = k;
    for (size_t i = 0; i < k && bad == k; i++)
      if (q[i] != rt_byte(seed, off + i, v)) bad = i;
    far_scope_exit();
    ck_assert_msg(bad == k, "byte %zu of buffer %llu (version %llu) is wrong", off + bad,
                  (unsigned long long)seed, (unsigned long long)v);
    off += k;
  }
}

static size_t status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  size_t kb = 0, len = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0) kb = strtoull(line + len, NULL, 10);
  if (f) fclose(f);
  return kb * 1024;
}

size_t rt_peak_rss(void) { return status_kb("VmHWM:"); }
size_t rt_rss(void) { return status_kb("VmRSS:"); }

void rt_add_case(Suite *s, const char *name, const TTest *t, int exit_status) {
  TCase *tc = tcase_create(name);
  tcase_set_timeout(tc, 0);
  if (exit_status < 0) tcase_add_test(tc, t);
  else tcase_add_exit_test(tc, t, exit_status);
  suite_add_tcase(s, tc);
}

int rt_run(const char *name, void (*add)(Suite *)) {
  Suite *s = suite_create(name);
  add(s);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
