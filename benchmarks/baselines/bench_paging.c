/* bench_paging: the paging baseline's own costs. A plain program (built with cc, no farcc) that the
 * run script starts under LD_PRELOAD=libfarpaging.so with a budget of 25% of the working set, and
 * once without it (local-only). It touches 4 KiB pages of one malloc'd working set:
 *   fill      every page written once, in order (first touches: zero fills, then write-backs)
 *   seq_read  every page read, in order (faults with readahead)
 *   rand_read random pages read (about 75% miss; no readahead)
 *   hot_read  90% of reads in a hot set of 1/8 of the pages (half the budget), 10% anywhere: an
 *             LRU would keep the hot set and fault on ~9% of touches; how far above that this
 *             baseline is shows the cost of having no accessed bits (see paging_reclaim.c)
 *   rand_write random pages written (misses plus write-backs of the dirty victims)
 * and prints per phase: pages touched per second, microseconds per touch, and (under the library)
 * missing-page faults, write-protect faults and microseconds of the phase per missing-page fault.
 * Usage: bench_paging [WORKING_SET_MIB [RANDOM_TOUCHES]] (default 256 MiB, 60000). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096u

static void (*counters)(unsigned long *);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next_rand(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 17;
}

struct phase {
  const char *name;
  double t0;
  unsigned long c0[6];
};

static void phase_start(struct phase *p, const char *name) {
  p->name = name;
  if (counters)
    counters(p->c0);
  p->t0 = now();
}

static void phase_end(const struct phase *p, size_t touches) {
  double secs = now() - p->t0;
  unsigned long c[6] = {0};
  if (counters)
    counters(c);
  unsigned long faults = c[0] - p->c0[0], wp = c[1] - p->c0[1];
  printf("%-10s %9zu %12.0f %10.2f %9lu %9lu %12.2f\n", p->name, touches, (double)touches / secs,
         secs * 1e6 / (double)touches, faults, wp, faults ? secs * 1e6 / (double)faults : 0.0);
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 256, touches = argc > 2 ? strtoull(argv[2], NULL, 10) : 60000;
  if (mib == 0 || touches == 0) {
    fprintf(stderr, "usage: bench_paging [WORKING_SET_MIB [RANDOM_TOUCHES]]\n");
    return 2;
  }
  counters = (void (*)(unsigned long *))dlsym(RTLD_DEFAULT, "farpaging_counters");
  size_t pages = (mib << 20) / PAGE;
  volatile uint8_t *ws = malloc(pages * PAGE);
  if (!ws) {
    fprintf(stderr, "bench_paging: cannot allocate %zu MiB\n", mib);
    return 1;
  }
  printf("# %s, working set %zu MiB\n", counters ? "paging baseline" : "local only", mib);
  printf("%-10s %9s %12s %10s %9s %9s %12s\n", "phase", "touches", "pages/s", "us/touch", "faults",
         "wp_faults", "us/fault");
  struct phase ph;
  uint64_t s = 1, sum = 0;
  phase_start(&ph, "fill");
  for (size_t p = 0; p < pages; p++)
    ws[p * PAGE + p % PAGE] = (uint8_t)p;
  phase_end(&ph, pages);
  phase_start(&ph, "seq_read");
  for (size_t p = 0; p < pages; p++)
    sum += ws[p * PAGE + p % PAGE];
  phase_end(&ph, pages);
  phase_start(&ph, "rand_read");
  for (size_t k = 0; k < touches; k++) {
    size_t p = next_rand(&s) % pages;
    sum += ws[p * PAGE + p % PAGE];
  }
  phase_end(&ph, touches);
  phase_start(&ph, "hot_read"); /* 90% of touches in a hot eighth of the set (half the budget) */
  for (size_t k = 0; k < touches; k++) {
    uint64_t r = next_rand(&s);
    size_t p = r % 10 ? (r / 10) % (pages / 8) : (r / 10) % pages;
    sum += ws[p * PAGE + p % PAGE];
  }
  phase_end(&ph, touches);
  phase_start(&ph, "rand_write");
  for (size_t k = 0; k < touches; k++) {
    size_t p = next_rand(&s) % pages;
    ws[p * PAGE + (p + 8) % PAGE] = (uint8_t)k;
  }
  phase_end(&ph, touches);
  printf("# checksum %llu\n", (unsigned long long)sum);
  return 0;
}
