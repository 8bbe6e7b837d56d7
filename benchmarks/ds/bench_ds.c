/* Workloads for benchmarks/run ds. One process runs one workload under the FAR_LOCAL_MEM the run
 * script chose and prints the seconds its timed part took ("seconds=<x>"); the script runs the
 * same workload under different budgets, or this program built with and without prefetching, side
 * by side and reports the ratios.
 *
 *   bench_ds struct NAME MIB   build a structure of MIB MiB and traverse it once (both timed):
 *                              array, vector, list (iterate), stack, queue (pop everything),
 *                              hashtable (put, then get every key)
 *   bench_ds scan MIB          sequential iterator scan of a MIB MiB vector built beforehand
 *   bench_ds zipf MIB OPS T B D hashtable gets from T threads (default 1) with keys drawn from
 *                              Zipf(0.9) over MIB MiB of entries, after a warm-up: OPS single gets,
 *                              then OPS gets in get_many batches of B keys (default 32: a web
 *                              frontend's request), then OPS gets in batches of B with D batches
 *                              in flight (default 8; get_many_start / get_many_finish); prints
 *                              "seconds=<batched> single=<single> pipelined=<pipelined>"
 *   bench_ds offload MIB REPS  a sum over a MIB MiB vector of doubles, computed locally through the
 *                              cache (fetching what is remote) and offloaded to farmemd, REPS times
 *                              each, alternating; prints "local=<median s> offload=<median s>" */
#include <far/ds.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#define ZIPF_BATCH_MAX 256
#define ZIPF_DEPTH_MAX 16

struct rec64 {
  uint64_t v[8];
};
struct val248 {
  uint64_t v[31];
};

FAR_ARRAY_DECLARE(u64arr, uint64_t)
FAR_VECTOR_DECLARE(u64vec, uint64_t)
FAR_LIST_DECLARE(reclist, struct rec64)
FAR_STACK_DECLARE(recstack, struct rec64)
FAR_QUEUE_DECLARE(recqueue, struct rec64)
FAR_VECTOR_DECLARE(dblvec, double)
FAR_VECTOR_OPS_DECLARE(dblvec, double)
FAR_HASHTABLE_DECLARE_POD(valmap, uint64_t, struct val248) /* one 256-byte far object per entry */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink; /* keeps the traversals' results alive */

static struct rec64 rec_of(uint64_t i) {
  struct rec64 r;
  for (int k = 0; k < 8; k++)
    r.v[k] = i + (uint64_t)k;
  return r;
}

static void array_run(size_t bytes) {
  size_t n = bytes / sizeof(uint64_t);
  u64arr *a = u64arr_new(n);
  uint64_t block[4096], sum = 0;
  for (size_t at = 0; at < n; at += 4096) {
    for (size_t k = 0; k < 4096; k++)
      block[k] = at + k;
    u64arr_copy_in(a, at, block, at + 4096 <= n ? 4096 : n - at);
  }
  u64arr_iter it = u64arr_begin(a);
  for (uint64_t x; u64arr_next(&it, &x);)
    sum += x;
  sink = sum;
  u64arr_free(a);
}

static void vector_run(size_t bytes) {
  size_t n = bytes / sizeof(uint64_t);
  u64vec *v = u64vec_new();
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++)
    u64vec_push(v, i);
  u64vec_iter it = u64vec_begin(v);
  for (uint64_t x; u64vec_next(&it, &x);)
    sum += x;
  sink = sum;
  u64vec_free(v);
}

static void list_run(size_t bytes) {
  reclist *l = reclist_new();
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes / sizeof(struct rec64); i++)
    reclist_push_back(l, rec_of(i));
  reclist_iter it = reclist_begin(l);
  for (struct rec64 x; reclist_next(&it, &x);)
    sum += x.v[7];
  sink = sum;
  reclist_free(l);
}

/* Push every record, then pop them all: the same workload for a stack and a queue. */
#define PUSH_POP_RUN(type)                                                                       \
  static void type##_run(size_t bytes) {                                                         \
    type *s = type##_new();                                                                      \
    uint64_t sum = 0;                                                                            \
    for (size_t i = 0; i < bytes / sizeof(struct rec64); i++)                                    \
      type##_push(s, rec_of(i));                                                                 \
    for (struct rec64 x; type##_pop(s, &x);)                                                     \
      sum += x.v[7];                                                                             \
    sink = sum;                                                                                  \
    type##_free(s);                                                                              \
  }
PUSH_POP_RUN(recstack)
PUSH_POP_RUN(recqueue)

static valmap *map_build(size_t keys) {
  valmap *h = valmap_new(keys);
  struct val248 v;
  memset(&v, 0, sizeof v);
  for (uint64_t k = 0; k < keys; k++) {
    v.v[0] = k;
    valmap_put(h, k, v);
  }
  return h;
}

static void hashtable_run(size_t bytes) {
  size_t keys = bytes / 256;
  valmap *h = map_build(keys);
  struct val248 v;
  uint64_t sum = 0;
  for (uint64_t k = 0; k < keys; k++)
    if (valmap_get(h, k, &v))
      sum += v.v[0];
  sink = sum;
  valmap_free(h);
}

/* Keys 0..n-1 drawn from Zipf(s) by inverting its cumulative distribution. */
static uint64_t *zipf_keys(size_t n, double s, size_t count, uint64_t seed) {
  double *cdf = malloc(n * sizeof *cdf), total = 0;
  for (size_t i = 0; i < n; i++)
    cdf[i] = total += 1.0 / pow((double)(i + 1), s);
  uint64_t *keys = malloc(count * sizeof *keys), rng = seed;
  for (size_t c = 0; c < count; c++) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    double u = (double)(rng >> 11) / 9007199254740992.0 * total;
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (cdf[mid] < u)
        lo = mid + 1;
      else
        hi = mid;
    }
    /* Spread the popular ranks over the key space, as real keys would be. */
    keys[c] = (lo * 0x9E3779B97F4A7C15ull) % n;
  }
  free(cdf);
  return keys;
}

struct getter {
  valmap *h;
  const uint64_t *keys;
  size_t n, batch, depth;
  uint64_t sum;
  double cpu; /* this getter thread's own CPU seconds */
};

/* The getters' own CPU time in the timed parts so far (their thread clocks, summed): with spare
 * cores, a batch's wall time follows the getter's CPU, not the poller's or the evacuator's. */
static double getters_cpu;

static double thread_cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t sum_found(const struct val248 *v, const char *found, size_t k) {
  uint64_t sum = 0;
  for (size_t j = 0; j < k; j++)
    if (found[j])
      sum += v[j].v[0];
  return sum;
}

/* The getter's keys in batches of batch keys (at most FARDS_HT_BATCH) with depth batches in flight:
 * batch i + depth - 1 is started (its fetches issued) before batch i is finished. */
static void get_pipelined(struct getter *g) {
  struct val248 v[ZIPF_BATCH_MAX];
  char found[ZIPF_BATCH_MAX];
  valmap_pending p[ZIPF_DEPTH_MAX];
  size_t started = 0, finished = 0, nb = (g->n + g->batch - 1) / g->batch;
  while (finished < nb) {
    for (; started < nb && started < finished + g->depth; started++) {
      size_t at = started * g->batch, k = g->n - at < g->batch ? g->n - at : g->batch;
      valmap_get_many_start(g->h, g->keys + at, k, &p[started % g->depth]);
    }
    const valmap_pending *q = &p[finished++ % g->depth];
    valmap_get_many_finish(g->h, q, v, found);
    g->sum += sum_found(v, found, q->n);
  }
}

/* The getter's keys one get at a time (batch 1), batch keys per get_many (depth 1), or pipelined. */
static void get_keys_in(struct getter *g) {
  struct val248 v[ZIPF_BATCH_MAX];
  char found[ZIPF_BATCH_MAX];
  if (g->depth > 1) {
    get_pipelined(g);
    return;
  }
  for (size_t i = 0; i < g->n; i += g->batch) {
    size_t k = g->n - i < g->batch ? g->n - i : g->batch;
    if (k == 1) {
      found[0] = (char)valmap_get(g->h, g->keys[i], &v[0]);
    } else {
      valmap_get_many(g->h, g->keys + i, k, v, found);
    }
    g->sum += sum_found(v, found, k);
  }
}

static void *get_keys(void *arg) {
  struct getter *g = arg;
  double c0 = thread_cpu_seconds();
  get_keys_in(g);
  g->cpu = thread_cpu_seconds() - c0;
  return NULL;
}

/* ops gets of keys[] split over nthreads threads, in batches of `batch` keys; returns the seconds
 * they took together. */
static double timed_gets(valmap *h, const uint64_t *keys, size_t ops, unsigned nthreads, size_t batch,
                         size_t depth) {
  struct getter g[64];
  pthread_t tid[64];
  double t0 = now();
  for (unsigned t = 0; t < nthreads; t++) {
    g[t] = (struct getter){h, keys + ops / nthreads * t, ops / nthreads, batch, depth, 0, 0};
    pthread_create(&tid[t], NULL, get_keys, &g[t]);
  }
  uint64_t sum = 0;
  for (unsigned t = 0; t < nthreads; t++) {
    pthread_join(tid[t], NULL);
    sum += g[t].sum;
    getters_cpu += g[t].cpu;
  }
  sink = sum;
  return now() - t0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median_of(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  return t[(n - 1) / 2];
}

/* Local and offloaded sums of the same far vector, alternating so both see the same machine; the
 * first of each is a warm-up. Both must agree with the sum of what was pushed. */
static int offload_run(size_t bytes, int reps) {
  size_t n = bytes / sizeof(double);
  dblvec *v = dblvec_new();
  double want = 0, t_local[64], t_off[64];
  for (size_t i = 0; i < n; i++) {
    double x = (double)(i % 1000);
    want += x;
    dblvec_push(v, x);
  }
  for (int r = 0; r <= reps; r++) {
    double t0 = now(), a = dblvec_sum_local(v), t1 = now(), b = dblvec_sum(v), t2 = now();
    if (a != want || b != want) {
      fprintf(stderr, "bench_ds: offload: sums differ (local %g, offloaded %g, expected %g)\n", a, b, want);
      return 1;
    }
    if (r > 0)
      t_local[r - 1] = t1 - t0, t_off[r - 1] = t2 - t1;
  }
  if (far_stats().c.offload_calls < (uint64_t)reps) {
    fprintf(stderr, "bench_ds: offload: the sums were not offloaded (farmem_vec.so missing beside "
                    "farmemd, or the vector mostly local: run it with a budget below its size)\n");
    return 1;
  }
  printf("local=%.6f offload=%.6f\n", median_of(t_local, reps), median_of(t_off, reps));
  dblvec_free(v);
  return 0;
}

/* CPU seconds this process (every thread: the getters, the runtime's receive and evacuator threads)
 * has used so far. Under load a part's wall time includes waiting for the CPU; its CPU time does
 * not. */
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* CPU seconds of process pid so far (0 when it cannot be read). */
static double proc_cpu_seconds(long pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  unsigned long long ut = 0, st = 0;
  int got = fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
  fclose(f);
  return got == 2 ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : 0;
}

/* CPU seconds of the descendants of process `pid` ("self" for this one): the embedded farmemd the
 * runtime started, a grandchild (none when FAR_SERVER names a server). The server's share of a
 * part's cost, counted, not timed. */
static double descendants_cpu_seconds(const char *pid) {
  char path[300];
  double sum = 0;
  snprintf(path, sizeof path, "/proc/%s/task", pid);
  DIR *tasks = opendir(path);
  for (struct dirent *d; tasks && (d = readdir(tasks));) {
    snprintf(path, sizeof path, "/proc/%s/task/%s/children", pid, d->d_name);
    FILE *f = d->d_name[0] != '.' ? fopen(path, "r") : NULL;
    for (long child; f && fscanf(f, "%ld", &child) == 1;) {
      char name[32];
      snprintf(name, sizeof name, "%ld", child);
      sum += proc_cpu_seconds(child) + descendants_cpu_seconds(name);
    }
    if (f)
      fclose(f);
  }
  if (tasks)
    closedir(tasks);
  return sum;
}

/* The runtime's counters and the CPU time (ours and the server's) before a timed part. */
struct zipf_mark {
  struct far_stats_counters c;
  double cpu, server_cpu, getters_cpu;
};

static struct zipf_mark zipf_mark_now(void) {
  return (struct zipf_mark){far_stats().c, cpu_seconds(), descendants_cpu_seconds("self"), getters_cpu};
}

/* What a timed part did since mark m0 (returns the mark for the next part): the share of keys whose
 * entry was not local (fetched on demand or prefetched), and per batch the demand misses (each a
 * synchronous round trip of its own), the prefetched entries (sent together), the wall time and
 * this process's CPU time and the embedded farmemd's. */
static struct zipf_mark zipf_report(const char *what, struct zipf_mark m0, size_t ops, size_t batch,
                                    double t) {
  struct zipf_mark m = zipf_mark_now();
  double miss = (double)(m.c.miss - m0.c.miss), pre = (double)(m.c.prefetch_issued - m0.c.prefetch_issued);
  double batches = (double)((ops + batch - 1) / batch);
  double reqs = (double)(m.c.prefetch_requests - m0.c.prefetch_requests);
  fprintf(stderr, "zipf %s: %zu gets, %.1f%% not local; per batch of %zu: %.2f demand misses, "
                  "%.2f prefetched in %.2f requests, %.1f us (%.1f us CPU, farmemd %.1f us, "
                  "getters %.1f us)\n",
          what, ops, 100.0 * (miss + pre) / (double)ops, batch, miss / batches, pre / batches,
          reqs / batches,
          t / batches * 1e6, (m.cpu - m0.cpu) / batches * 1e6,
          (m.server_cpu - m0.server_cpu) / batches * 1e6, (m.getters_cpu - m0.getters_cpu) / batches * 1e6);
  return m;
}

/* Where a batch's time goes: the same batches again, each first issuing its prefetches as get_many
 * does (fards_ht_prefetch_hashes, timed), then running get_many, which finds them in flight and
 * waits for them while it copies the values out (timed). One thread. */
static void zipf_split(valmap *h, const uint64_t *keys, size_t ops, size_t batch) {
  struct val248 v[ZIPF_BATCH_MAX];
  uint64_t hv[ZIPF_BATCH_MAX];
  double t_issue = 0, t_rest = 0;
  size_t asked = 0, batches = 0;
  for (size_t i = 0; i + batch <= ops; i += batch, batches++) {
    double t0 = now();
    far_scope_enter(FARDS_SITE_HASH);
    for (size_t j = 0; j < batch; j++)
      hv[j] = valmap_hash_(&keys[i + j]);
    asked += fards_ht_prefetch_hashes(&h->t, hv, batch, sizeof(valmap_entry_), NULL, NULL);
    far_prefetch_flush();
    double t1 = now();
    valmap_get_many(h, keys + i, batch, v, NULL);
    far_scope_exit();
    t_issue += t1 - t0;
    t_rest += now() - t1;
  }
  fprintf(stderr, "zipf split: per batch %.2f prefetch requests issued in %.1f us (%.2f us each), "
                  "then %.1f us waiting for them and copying out\n", (double)asked / (double)batches,
          t_issue / (double)batches * 1e6, asked ? t_issue / (double)asked * 1e6 : 0.0,
          t_rest / (double)batches * 1e6);
}

/* The entry of key k, found by its stored hash (no far access); NULL when absent. */
static const void *entry_of(valmap *h, uint64_t k) {
  uint64_t hv = valmap_hash_(&k);
  struct fards_htseg *s = fards_ht_seg(&h->t, hv);
  for (size_t i = hv & s->mask; s->slot[i].obj; i = (i + 1) & s->mask)
    if (s->slot[i].hash == hv)
      return s->slot[i].obj;
  return NULL;
}

/* How well the cache holds the hot set: the entries local now, and how many of the same number of
 * most popular keys are among them (an ideal cache holds exactly those). */
static void zipf_residency(valmap *h, size_t keys, const char *when) {
  size_t local = 0, top = 0;
  for (uint64_t k = 0; k < keys; k++)
    local += (size_t)far_is_resident(entry_of(h, k));
  for (uint64_t r = 0; r < local; r++)
    top += (size_t)far_is_resident(entry_of(h, (r * 0x9E3779B97F4A7C15ull) % keys));
  fprintf(stderr, "zipf %s: %zu entries local (%.1f%%), %.1f%% of them among the %zu most popular\n",
          when, local, 100.0 * (double)local / (double)keys, local ? 100.0 * (double)top / (double)local : 0.0,
          local);
}

/* Zipf(0.9) gets over a table of `bytes` of 256-byte entries: a warm-up of 4 gets per key from
 * the same distribution (another stream) in batches, so the cache holds its steady-state hot set
 * and misses are not first touches; then ops single gets, ops gets in get_many batches, ops gets in
 * batches `depth` in flight (get_many_start / get_many_finish) and the split, each on keys of its
 * own from one more stream (the same keys again would find the previous part's fetches still
 * local). */
static int zipf_run(size_t bytes, size_t ops, unsigned threads, size_t batch, size_t depth) {
  size_t keys = bytes / 256, warm = 4 * keys;
  valmap *h = map_build(keys);
  uint64_t *w = zipf_keys(keys, 0.9, warm, 0x9E3779B97F4A7C15ull);
  uint64_t *k = zipf_keys(keys, 0.9, 4 * ops, 88172645463325252ull);
  timed_gets(h, w, warm, threads, batch, 1);
  zipf_residency(h, keys, "after warm-up");
  struct zipf_mark c = zipf_mark_now();
  /* DS_ZIPF_ONLY=pipelined runs the pipelined part alone (for perf; prints 0 for the others). */
  const char *only = getenv("DS_ZIPF_ONLY");
  int piped_only = only && !strcmp(only, "pipelined");
  double single = piped_only ? 0 : timed_gets(h, k, ops, threads, 1, 1);
  if (!piped_only)
    c = zipf_report("single", c, ops, 1, single);
  double batched = piped_only ? 0 : timed_gets(h, k + ops, ops, threads, batch, 1);
  if (!piped_only)
    c = zipf_report("batched", c, ops, batch, batched);
  double piped = timed_gets(h, k + 2 * ops, ops, threads, batch, depth);
  zipf_report("pipelined", c, ops, batch, piped);
  zipf_residency(h, keys, "after the batched gets");
  if (!piped_only)
    zipf_split(h, k + 3 * ops, ops, batch);
  printf("seconds=%.6f single=%.6f pipelined=%.6f\n", batched, single, piped);
  free(w);
  free(k);
  valmap_free(h);
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: bench_ds struct array|vector|list|stack|queue|hashtable MIB\n"
                  "       bench_ds scan MIB\n"
                  "       bench_ds zipf MIB OPS [THREADS (1-64) [BATCH (2-256) [DEPTH (1-16)]]]\n"
                  "         (DEPTH above 1: BATCH at most 64)\n"
                  "       bench_ds offload MIB REPS (1-64)\n");
  return 2;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    void (*run)(size_t bytes);
  } structs[] = {{"array", array_run}, {"vector", vector_run}, {"list", list_run},
                 {"stack", recstack_run}, {"queue", recqueue_run},   {"hashtable", hashtable_run}};
  if (argc >= 4 && !strcmp(argv[1], "struct")) {
    size_t bytes = strtoull(argv[3], NULL, 10) << 20;
    for (size_t i = 0; i < sizeof structs / sizeof structs[0]; i++) {
      if (strcmp(argv[2], structs[i].name))
        continue;
      double t0 = now();
      structs[i].run(bytes);
      printf("seconds=%.6f\n", now() - t0);
      return 0;
    }
    return usage();
  }
  if (argc >= 3 && !strcmp(argv[1], "scan")) {
    size_t n = (strtoull(argv[2], NULL, 10) << 20) / sizeof(uint64_t);
    u64vec *v = u64vec_new();
    for (size_t i = 0; i < n; i++)
      u64vec_push(v, i);
    uint64_t sum = 0;
    double t0 = now();
    u64vec_iter it = u64vec_begin(v);
    for (uint64_t x; u64vec_next(&it, &x);)
      sum += x;
    double t = now() - t0;
    if (sum != (uint64_t)n * (n - 1) / 2) {
      fprintf(stderr, "bench_ds: scan read wrong data\n");
      return 1;
    }
    printf("seconds=%.6f\n", t);
    return 0;
  }
  if (argc >= 4 && !strcmp(argv[1], "offload")) {
    int reps = atoi(argv[3]);
    return reps < 1 || reps > 64 ? usage() : offload_run(strtoull(argv[2], NULL, 10) << 20, reps);
  }
  if (argc >= 4 && !strcmp(argv[1], "zipf")) {
    unsigned threads = argc >= 5 ? (unsigned)atoi(argv[4]) : 1;
    long batch = argc >= 6 ? atol(argv[5]) : 32, depth = argc >= 7 ? atol(argv[6]) : 8;
    if (threads < 1 || threads > 64 || batch < 2 || batch > ZIPF_BATCH_MAX || depth < 1 ||
        depth > ZIPF_DEPTH_MAX || (depth > 1 && batch > FARDS_HT_BATCH))
      return usage();
    return zipf_run(strtoull(argv[2], NULL, 10) << 20, strtoull(argv[3], NULL, 10), threads,
                    (size_t)batch, (size_t)depth);
  }
  return usage();
}
