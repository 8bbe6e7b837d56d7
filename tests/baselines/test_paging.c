/* Tests of the paging baseline (benchmarks/baselines, libfarpaging.so). This program is built with
 * plain cc and runs with LD_PRELOAD=libfarpaging.so, as the issue-6 applications do, against the
 * real embedded farmemd; ctest runs one check case per test (CK_RUN_CASE) with a budget set in
 * FARPAGING_LOCAL_MEM. check must not fork (CK_NOFORK): a fork()ed child loses the arena's
 * userfaultfd registration.
 *   heap       a heap 8x the budget: sequential and random page writes, then every byte read back
 *   objects    many small objects, freed and reallocated under pressure
 *   threads    threads faulting on shared pages at once; atomic counters spread over pages under
 *              eviction must lose no increment
 *   semantics  calloc/realloc/free/alignment/usable-size/out-of-memory behaviour; a fork()ed child
 *              can allocate and free until it execs; madvise(MADV_DONTNEED) on the heap reads zeros
 *   rss        peak resident memory stays within budget + a small overhead
 *   write_back farpaging_write_back leaves the pages clean; a later write makes them dirty again */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u

static size_t budget(void) {
  const char *v = getenv("FARPAGING_LOCAL_MEM");
  ck_assert_msg(v, "FARPAGING_LOCAL_MEM is not set");
  return strtoull(v, NULL, 10) << 20; /* the tests set it in MiB */
}

/* The library's counters; fails the test when the program does not run under libfarpaging.so. */
static void counters(unsigned long out[6]) {
  void (*fn)(unsigned long *) = (void (*)(unsigned long *))dlsym(RTLD_DEFAULT, "farpaging_counters");
  ck_assert_msg(fn, "not running under LD_PRELOAD=libfarpaging.so");
  fn(out);
}

static uint8_t byte_at(size_t page, size_t off, unsigned version) {
  uint64_t x = (page + 1) * 0x9E3779B97F4A7C15ull ^ (off * 0xBF58476D1CE4E5B9ull) ^ version;
  return (uint8_t)(x ^ (x >> 29) ^ (x >> 47));
}

static void fill_page(uint8_t *p, size_t page, unsigned version) {
  for (size_t i = 0; i < PAGE; i++)
    p[i] = byte_at(page, i, version);
}

static void verify_page(const uint8_t *p, size_t page, unsigned version) {
  for (size_t i = 0; i < PAGE; i++)
    if (p[i] != byte_at(page, i, version))
      ck_abort_msg("page %zu byte %zu: %u, expected %u (version %u)", page, i, p[i],
                   byte_at(page, i, version), version);
}

static uint64_t next_rand(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 17;
}

START_TEST(heap_8x_budget) {
  size_t n = 8 * budget() / PAGE;
  uint8_t *heap = malloc(n * PAGE);
  uint8_t *version = calloc(n, 1);
  ck_assert_ptr_nonnull(heap);
  for (size_t p = 0; p < n; p++)
    fill_page(heap + p * PAGE, p, 0);
  uint64_t s = 42;
  for (size_t k = 0; k < 2 * n; k++) { /* rewrite random pages, some several times */
    size_t p = next_rand(&s) % n;
    fill_page(heap + p * PAGE, p, ++version[p]);
  }
  for (size_t k = 0; k < n; k++) { /* random reads */
    size_t p = next_rand(&s) % n;
    verify_page(heap + p * PAGE, p, version[p]);
  }
  for (size_t p = 0; p < n; p++)
    verify_page(heap + p * PAGE, p, version[p]);
  unsigned long c[6];
  counters(c);
  ck_assert_msg(c[3] > n / 2, "only %lu pages written back for a heap of %zu pages", c[3], n);
  ck_assert_msg(c[2] > n / 2, "only %lu pages fetched", c[2]);
  free(version);
  free(heap);
}
END_TEST

START_TEST(small_objects) {
  size_t n = 4 * budget() / 64; /* 4x the budget in 64-byte objects, plus the pointer array */
  uint64_t **obj = malloc(n * sizeof *obj);
  for (size_t i = 0; i < n; i++) {
    obj[i] = malloc(40 + i % 24);
    ck_assert_ptr_nonnull(obj[i]);
    obj[i][0] = i;
    obj[i][4] = ~i;
  }
  for (size_t i = 0; i < n; i += 2) {
    free(obj[i]);
    obj[i] = NULL;
  }
  for (size_t i = 0; i < n; i += 2) {
    obj[i] = malloc(48);
    obj[i][0] = i;
    obj[i][4] = ~i;
  }
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(obj[i][0] == i && obj[i][4] == ~i, "object %zu lost its contents", i);
  for (size_t i = 0; i < n; i++)
    free(obj[i]);
  free(obj);
}
END_TEST

#define THREADS 4
#define ROUNDS 2 /* touches per thread, per heap page */

struct shared {
  uint8_t *heap;
  size_t pages;
  _Atomic uint64_t *counters; /* one per page, at a different offset in each */
  atomic_int failures;
};

static void *reader_writer(void *arg) {
  struct shared *sh = arg;
  uint64_t s = (uint64_t)pthread_self();
  for (size_t k = 0; k < ROUNDS * sh->pages; k++) {
    size_t p = next_rand(&s) % sh->pages;
    const uint8_t *q = sh->heap + p * PAGE;
    if (q[k % PAGE] != byte_at(p, k % PAGE, 0))
      atomic_fetch_add(&sh->failures, 1);
    atomic_fetch_add(&sh->counters[(p * 97) % (sh->pages * PAGE / 8)], 1);
  }
  return NULL;
}

START_TEST(threads_share_pages) {
  struct shared sh = {.pages = 2 * budget() / PAGE};
  sh.heap = malloc(sh.pages * PAGE);
  sh.counters = calloc(sh.pages * PAGE / 8, 8); /* as big as the heap: 4x the budget in all */
  for (size_t p = 0; p < sh.pages; p++)
    fill_page(sh.heap + p * PAGE, p, 0);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, reader_writer, &sh), 0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  ck_assert_int_eq(atomic_load(&sh.failures), 0);
  uint64_t total = 0;
  for (size_t i = 0; i < sh.pages * PAGE / 8; i++)
    total += sh.counters[i];
  ck_assert_msg(total == (uint64_t)THREADS * ROUNDS * sh.pages, "%llu increments, expected %llu",
                (unsigned long long)total, (unsigned long long)THREADS * ROUNDS * sh.pages);
  for (size_t p = 0; p < sh.pages; p++)
    verify_page(sh.heap + p * PAGE, p, 0);
  free((void *)sh.counters);
  free(sh.heap);
}
END_TEST

static int all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return 0;
  return 1;
}

START_TEST(calloc_after_free_is_zero) {
  size_t sizes[] = {24, 3000, 20000, 300000, 4u << 20};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    for (int round = 0; round < 3; round++) {
      uint8_t *p = malloc(sizes[k]);
      memset(p, 0xA5, sizes[k]);
      free(p);
      uint8_t *q = calloc(1, sizes[k]);
      ck_assert_msg(q && all_zero(q, sizes[k]), "calloc(%zu) after a free is not zero", sizes[k]);
      memset(q, 0x5A, sizes[k]);
      free(q);
    }
  }
}
END_TEST

START_TEST(realloc_keeps_contents) {
  size_t sizes[] = {10, 100, 5000, 17000, 70000, 1u << 20, 9u << 20, 300, 1};
  uint8_t *p = realloc(NULL, 1);
  p[0] = 7;
  size_t have = 1;
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    uint8_t *q = realloc(p, sizes[k]);
    ck_assert_ptr_nonnull(q);
    size_t keep = have < sizes[k] ? have : sizes[k];
    for (size_t i = 0; i < keep; i++)
      ck_assert_msg(q[i] == (uint8_t)(i * 7 + 7), "realloc to %zu lost byte %zu", sizes[k], i);
    for (size_t i = 0; i < sizes[k]; i++)
      q[i] = (uint8_t)(i * 7 + 7);
    ck_assert_uint_ge(malloc_usable_size(q), sizes[k]);
    p = q;
    have = sizes[k];
  }
  errno = 0;
  ck_assert_ptr_null(realloc(p, 0)); /* frees, as glibc does */
}
END_TEST

START_TEST(alignment_and_sizes) {
  for (size_t align = 16; align <= (1u << 16); align *= 2) {
    size_t sizes[] = {1, 100, 5000, 40000};
    for (size_t k = 0; k < 4; k++) {
      void *p = NULL;
      ck_assert_int_eq(posix_memalign(&p, align, sizes[k]), 0);
      ck_assert_msg((uintptr_t)p % align == 0, "posix_memalign(%zu, %zu) gave %p", align, sizes[k], p);
      memset(p, 1, sizes[k]);
      void *q = aligned_alloc(align, sizes[k]), *r = memalign(align, sizes[k]);
      ck_assert((uintptr_t)q % align == 0 && (uintptr_t)r % align == 0);
      ck_assert_uint_ge(malloc_usable_size(p), sizes[k]);
      free(p);
      free(q);
      free(r);
    }
  }
  void *v = valloc(10);
  ck_assert((uintptr_t)v % PAGE == 0);
  free(v);
  void *bad;
  ck_assert_int_eq(posix_memalign(&bad, 24, 10), EINVAL);
  void *zero = malloc(0);
  ck_assert_ptr_nonnull(zero);
  free(zero);
  free(NULL);
  ck_assert_uint_eq(malloc_usable_size(NULL), 0);
}
END_TEST

START_TEST(out_of_memory) {
  errno = 0;
  ck_assert_ptr_null(malloc(1ull << 50));
  ck_assert_int_eq(errno, ENOMEM);
  ck_assert_ptr_null(calloc(1ull << 40, 1ull << 30));
  ck_assert_ptr_null(realloc(malloc(10), 1ull << 50));
  void *p;
  ck_assert_int_eq(posix_memalign(&p, 64, 1ull << 50), ENOMEM);
}
END_TEST

START_TEST(fork_then_exec) {
  char *kept = malloc(100000);
  memset(kept, 3, 100000);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) { /* allocating, freeing and reallocating must work until the exec */
    char *p = malloc(5000), *q = realloc(kept, 200000);
    int ok = p && q && q[99999] == 3;
    free(p);
    free(q);
    if (ok)
      execl("/bin/true", "true", (char *)NULL);
    _exit(1);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed (status %d)", st);
  ck_assert_int_eq(kept[99999], 3);
  free(kept);
}
END_TEST

START_TEST(madvise_dontneed_reads_zero) { /* as for any private anonymous memory */
  uint8_t *p = malloc(64 * PAGE);
  ck_assert((uintptr_t)p % PAGE == 0);
  memset(p, 7, 64 * PAGE);
  ck_assert_int_eq(madvise(p + 3 * PAGE, 2 * PAGE, MADV_DONTNEED), 0);
  ck_assert_msg(all_zero(p + 3 * PAGE, 2 * PAGE), "pages dropped by madvise are not zero");
  ck_assert(p[3 * PAGE - 1] == 7 && p[5 * PAGE] == 7);
  p[4 * PAGE] = 9;
  ck_assert_int_eq(p[4 * PAGE], 9);
  free(p);
}
END_TEST

static size_t status_bytes(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  size_t kb = 0, len = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0)
      kb = strtoull(line + len, NULL, 10);
  if (f)
    fclose(f);
  return kb * 1024;
}

START_TEST(rss_within_budget) {
  size_t before = status_bytes("VmRSS:"), n = 8 * budget() / PAGE;
  uint8_t *heap = malloc(n * PAGE);
  for (size_t p = 0; p < n; p++)
    fill_page(heap + p * PAGE, p, 1);
  uint64_t s = 7;
  for (size_t k = 0; k < n; k++) {
    size_t p = next_rand(&s) % n;
    verify_page(heap + p * PAGE, p, 1);
  }
  size_t peak = status_bytes("VmHWM:"), slack = 4u << 20; /* measured: ~0.7 MiB */
  unsigned long c[6];
  counters(c);
  ck_assert_uint_le(c[5] * PAGE, budget());
  ck_assert_msg(peak <= before + budget() + slack,
                "peak RSS %zu KiB > %zu KiB at start + budget %zu KiB + %zu KiB", peak >> 10,
                before >> 10, budget() >> 10, slack >> 10);
  free(heap);
}
END_TEST

/* farpaging_write_back (the end of a load phase): the dirty pages of the ranges are written now and
 * become clean, so pushing them out writes nothing more; a page written again after the call is
 * dirty again (a write-protect fault) and its new bytes survive eviction. */
START_TEST(write_back_leaves_pages_clean) {
  struct range {
    const void *addr;
    size_t len;
  };
  void (*write_back)(const struct range *, size_t) =
      (void (*)(const struct range *, size_t))dlsym(RTLD_DEFAULT, "farpaging_write_back");
  ck_assert_ptr_nonnull(write_back);
  size_t n = budget() / PAGE / 4;
  uint8_t *loaded = aligned_alloc(PAGE, n * PAGE);
  ck_assert_ptr_nonnull(loaded);
  for (size_t p = 0; p < n; p++)
    fill_page(loaded + p * PAGE, p, 3);
  unsigned long before[6], after[6];
  counters(before);
  struct range r = {loaded, n * PAGE};
  write_back(&r, 1);
  counters(after);
  ck_assert_uint_le(after[3] - before[3], n); /* the reclaimer may have written a few before */
  ck_assert_uint_ge(after[3] - before[3], n / 2);
  for (size_t p = 0; p < n; p += 2)
    fill_page(loaded + p * PAGE, p, 4);
  counters(before);
  ck_assert_uint_ge(before[1] - after[1], n / 4); /* write-protect faults: dirty again */
  size_t other = 4 * budget() / PAGE;
  uint8_t *spill = malloc(other * PAGE);
  ck_assert_ptr_nonnull(spill);
  for (size_t p = 0; p < other; p++)
    fill_page(spill + p * PAGE, p, 5);
  counters(after);
  ck_assert_uint_le(after[3] - before[3], other + n / 2); /* the clean half was not written again */
  for (size_t p = 0; p < n; p++)
    verify_page(loaded + p * PAGE, p, p % 2 ? 3 : 4);
  free(spill);
  free(loaded);
}
END_TEST

int main(void) {
  Suite *s = suite_create("paging");
  struct {
    const char *name;
    const TTest *tests[6];
  } cases[] = {
      {"heap", {heap_8x_budget}},
      {"objects", {small_objects}},
      {"threads", {threads_share_pages}},
      {"semantics",
       {calloc_after_free_is_zero, realloc_keeps_contents, alignment_and_sizes, out_of_memory, fork_then_exec,
        madvise_dontneed_reads_zero}},
      {"write_back", {write_back_leaves_pages_clean}},
      {"rss", {rss_within_budget}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    TCase *tc = tcase_create(cases[i].name);
    tcase_set_timeout(tc, 120);
    for (size_t k = 0; k < 6 && cases[i].tests[k]; k++)
      tcase_add_test(tc, cases[i].tests[k]);
    suite_add_tcase(s, tc);
  }
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
