/* How much local memory small far objects cost when the working set is 8x the budget: COUNT objects
 * of 24 bytes (32-byte slots; 8 x FAR_LOCAL_MEM of them), each written once, then READS reads of
 * random objects, each checked. Reports the runtime's peak metadata (object table pages, heap
 * bitmaps, region table) and peak data against the budget, the process's peak RSS growth against
 * the budget, the share of reads that missed, and the time per read. Run it with FAR_GROUP=1 and
 * with the default side by side (benchmarks/metadata/run) to see what grouping small objects does.
 * The pointer array (local, the program's own) is touched before the baseline RSS is taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#define OBJ 24

/* Resident set now (statm, in pages) and at its peak (getrusage), in KiB. */
static size_t rss_kib(void) {
  size_t pages = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f || fscanf(f, "%*s %zu", &pages) != 1) pages = 0;
  if (f) fclose(f);
  return pages * (size_t)sysconf(_SC_PAGESIZE) / 1024;
}

static size_t peak_rss_kib(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (size_t)u.ru_maxrss;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(char *p, uint64_t v) {
  far_scope_enter(0);
  char *q = far_write(p, OBJ, 0);
  memcpy(q, &v, sizeof v);
  memcpy(q + OBJ - sizeof v, &v, sizeof v);
  far_scope_exit();
}

static int check(const char *p, uint64_t v) {
  uint64_t a, b;
  far_scope_enter(0);
  const char *q = far_read(p, OBJ, 0);
  memcpy(&a, q, sizeof a);
  memcpy(&b, q + OBJ - sizeof b, sizeof b);
  far_scope_exit();
  return a == v && b == v;
}

int main(void) {
  far_free(far_malloc(1)); /* starts the runtime */
  size_t budget = far_rt.budget, count = 8 * budget / 32;
  size_t reads = getenv("READS") ? strtoull(getenv("READS"), NULL, 10) : 2 * count;
  char **obj = malloc(count * sizeof *obj);
  memset(obj, 0xff, count * sizeof *obj); /* touched (a zero memset may become calloc) */
  size_t base = rss_kib();
  double t0 = now_s();
  for (size_t i = 0; i < count; i++) put(obj[i] = far_malloc(OBJ), i * 0x9E3779B97F4A7C15ull);
  double t1 = now_s();
  uint64_t miss0 = far_stats().c.miss;
  unsigned seed = 7;
  size_t bad = 0;
  for (size_t i = 0; i < reads; i++) {
    size_t k = ((size_t)rand_r(&seed) << 16 ^ (size_t)rand_r(&seed)) % count;
    bad += !check(obj[k], k * 0x9E3779B97F4A7C15ull);
  }
  double t2 = now_s();
  struct far_stats_totals s = far_stats();
  size_t peak = peak_rss_kib(), budget_k = budget >> 10;
  double meta = (double)(s.c.local_bytes_peak_meta >> 10), data = (double)(s.c.local_bytes_peak_data >> 10);
  printf("objects %zu x %d B (%zu KiB far), budget %zu KiB, reads %zu, wrong %zu\n", count, OBJ,
         count * 32 >> 10, budget_k, reads, bad);
  printf("peak metadata %.0f KiB, peak data %.0f KiB, table now %zu KiB, rss growth %zu KiB\n", meta, data,
         far_table_resident_bytes() >> 10, peak - base);
  printf("write %.2f us/object, read %.2f us/read, miss rate %.3f\n", (t1 - t0) * 1e6 / count,
         (t2 - t1) * 1e6 / reads, (double)(s.c.miss - miss0) / reads);
  printf("metadata: meta_share=%.3f data_share=%.3f rss_ratio=%.3f miss_rate=%.3f us_per_read=%.2f\n",
         meta / budget_k, data / budget_k, (double)(peak - base) / budget_k,
         (double)(s.c.miss - miss0) / reads, (t2 - t1) * 1e6 / reads);
  free(obj);
  return bad != 0;
}
