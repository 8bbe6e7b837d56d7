/* AIFM's web frontend benchmark in C: a hashtable of small key/value pairs and a large array of
 * 8 KiB elements, both far data structures (ds-headers).
 *
 * A request does 32 hashtable GETs with Zipf(0.85) keys, as a web page's front end looks up its
 * session and metadata; the first key's value names the page, one 8 KiB element of the array, which
 * is then encrypted (libcrypto's AES-128-CTR) and compressed (Snappy, the fast compressor AIFM
 * used: its C API costs a few microseconds on 8 KiB, so the request stays dominated by memory, as
 * in AIFM). Keys are ranked by popularity through a fixed permutation of the key space and inserted
 * in key order, so hot keys are spread over the whole table (and, for a paging runtime, over every
 * page of it), as in a real key space. The array is filled first and the table second, so the small
 * entries are the most recently written data in every system (all local while they fit).
 *
 *   webfront [--keys N] [--elements N] [--requests N] [--warmup N] [--threads T]
 *     (or WF_KEYS, WF_ELEMENTS, WF_REQUESTS, WF_WARMUP, WF_THREADS; defaults 32 Mi keys (512 MiB
 *     of entries), 128 Ki elements (1 GiB), 50,000 timed requests after 20,000 warm-up requests, 1
 *     thread; threads split the requests, and the digest does not depend on how). As in AIFM, the
 *     table is a large part of the working set (a third here), far larger than local memory at
 *     the shares swept, so which of its small entries stay local matters. (Until session 3: 1 Mi
 *     keys, 256 Ki elements, 100,000 requests after 50,000.)
 *   webfront ... --depth D       keeps D requests (1-16, default 4; WF_DEPTH) in flight per thread:
 *                                their GETs' fetches overlap, and each page is prefetched while the
 *                                previous request is answered; 1 serves one request at a time
 *   webfront ... --working-set   prints the working set in bytes (array + entries) and exits
 * Prints result lines, "time" lines (requests/s in "time rps="; the far build also prints the objects
 * fetched and evacuated per timed request, "time objects_per_request") and "checksum=<hex>",
 * identical in every build. */
#include <far/ds.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define ELEM 8192u
#define GETS 32u
#define ZIPF_S 0.85
#define SEED 85u

struct page {
  unsigned char b[ELEM];
};
FAR_ARRAY_DECLARE_CHUNK(pages, struct page, ELEM) /* one element per far object */
FAR_HASHTABLE_DECLARE_POD(kv, uint64_t, uint64_t)

struct site {
  kv *table;
  pages *array;
  uint64_t keys, elements; /* keys: a power of two */
  struct app_zipf zipf;
  unsigned depth; /* requests in flight per thread (--depth) */
};

/* A request between its GETs and its response: the digest of the values, and the page to serve. */
struct pending {
  uint64_t q, digest, page;
};

/* Most requests a thread keeps in flight (--depth). */
#define MAX_DEPTH 16u

/* One request in flight: its keys and its batched get (kv_get_many_start's state), then what
 * kv_get_many_finish gave. */
struct slot {
  uint64_t keys[GETS];
  kv_pending get;
  struct pending r;
};

/* One serving thread: its share of the requests and its own buffers and cipher context. */
struct server {
  struct site *s;
  pthread_t thread;
  uint64_t from, n, acc;
  int progress; /* print progress ("time rps_bound=") */
  uint64_t total; /* requests of the whole phase, for that progress line */
  EVP_CIPHER_CTX *aes;
  struct slot ring[MAX_DEPTH + 1]; /* requests in flight, request i in ring[i % (depth + 1)] */
  unsigned char cipher[ELEM];
  char *packed; /* snappy output */
  size_t packed_cap;
};

/* The key of popularity rank r (1 = hottest): a bijection of [0, keys) (odd multiplier mod 2^k). */
static uint64_t key_of_rank(const struct site *s, uint64_t r) {
  return ((r - 1) * 0x9e3779b97f4a7c15ull) & (s->keys - 1);
}

/* The value stored under key k: the array element it names, and some payload bits. */
static uint64_t value_of_key(const struct site *s, uint64_t k) {
  uint64_t h = app_mix(k ^ SEED);
  return (h & ~0xffffffffull) | (h % s->elements);
}

/* Element contents: text-like bytes from the element's own stream. */
static void fill_page(struct page *p, uint64_t i) {
  static const char words[][8] = {"the ", "far ", "memory ", "page ",
                                  "of ",  "data ", "and ",    "web "};
  struct app_rng r = app_rng_at(SEED, i);
  size_t at = 0;
  while (at < ELEM) {
    const char *w = words[app_next(&r) & 7];
    for (size_t k = 0; w[k] && at < ELEM; k++)
      p->b[at++] = (unsigned char)w[k];
  }
}

static void site_build(struct site *s) {
  struct page *buf = malloc(sizeof *buf);
  s->table = kv_new(s->keys);
  s->array = pages_new(s->elements);
  if (!buf || !s->table || !s->array)
    app_die("webfront: structures");
  for (uint64_t i = 0; i < s->elements; i++) {
    fill_page(buf, i);
    pages_copy_in(s->array, i, buf, 1);
  }
  free(buf);
  for (uint64_t k = 0; k < s->keys; k++)
    if (kv_put(s->table, k, value_of_key(s, k)) < 0)
      app_die("webfront: put");
}

/* XOR-fold of a buffer into 64 bits (cheap enough to run on every response). */
static uint64_t fold64(const void *p, size_t n) {
  uint64_t h = n, w;
  const unsigned char *b = (const unsigned char *)p;
  for (; n >= 8; b += 8, n -= 8) {
    memcpy(&w, b, 8);
    h = (h ^ w) * 0x100000001b3ull;
  }
  for (; n; n--)
    h = (h ^ *b++) * 0x100000001b3ull;
  return h;
}

/* Request q's first step: its 32 Zipf keys, and their entries that are not local asked for in one
 * request (kv_get_many_start); no waiting. */
static void start(struct server *w, uint64_t q, struct slot *sl) {
  struct site *s = w->s;
  struct app_rng r = app_rng_at(SEED + 1, q);
  for (unsigned g = 0; g < GETS; g++)
    sl->keys[g] = key_of_rank(s, app_zipf_draw(&s->zipf, &r));
  kv_get_many_start(s->table, sl->keys, GETS, &sl->get);
}

/* Prefetches element i's far object together with the hashtable entries this thread has queued
 * (the next requests' fetches), when there are some, in one request whose reply this thread reads
 * when it needs the page, instead of a request of its own answered through the runtime's poller: a
 * request and a wake-up fewer per page (far_prefetch_objects_shared). The local-only build does
 * nothing here, as its pages_prefetch would. */
static void prefetch_page(pages *a, uint64_t i) {
  const void *addr = fards_seq_addr(&a->seq, i, pages_geom_());
  far_prefetch_objects_shared(&addr, 1);
}

/* Its second step: the values (waiting only for entries still on their way), their digest and the
 * page the first one names, prefetched when `prefetch` (it is answered one request later). */
static void finish(struct server *w, uint64_t q, struct slot *sl, int prefetch) {
  uint64_t v[GETS];
  if (kv_get_many_finish(w->s->table, &sl->get, v, NULL) != GETS)
    app_die("webfront: missing key");
  sl->r.q = sl->r.digest = q;
  for (unsigned g = 0; g < GETS; g++)
    sl->r.digest = app_mix(sl->r.digest ^ v[g]);
  sl->r.page = v[0] & 0xffffffffu;
  if (prefetch)
    prefetch_page(w->s->array, sl->r.page);
}

/* The last step: the page encrypted and compressed. The page is encrypted straight from its
 * resident copy inside one scope (the pointer pages_at gives stays valid until the scope exits),
 * without a bounce copy. Returns a digest of what was served. */
static uint64_t respond(struct server *w, const struct pending *p) {
  unsigned char iv[16] = {0};
  memcpy(iv, &p->q, sizeof p->q);
  int len = 0;
  far_scope_enter(FARDS_SITE_SEQ);
  const struct page *page = pages_at(w->s->array, p->page);
  int ok = EVP_EncryptInit_ex(w->aes, NULL, NULL, NULL, iv) &&
           EVP_EncryptUpdate(w->aes, w->cipher, &len, page->b, ELEM) && len == ELEM;
  far_scope_exit();
  if (!ok)
    app_die("webfront: AES");
  size_t packed = w->packed_cap;
  if (snappy_compress((const char *)w->cipher, ELEM, w->packed, &packed) != SNAPPY_OK)
    app_die("webfront: snappy");
  return app_mix(p->q ^ p->digest ^ fold64(w->packed, packed) ^ ((uint64_t)packed << 40));
}

/* A thread's requests [from, from + n), `depth` in flight, as a server with a queue of requests
 * would: request i + depth - 1's GETs are started when request i's are finished, and request i's
 * page is prefetched while request i - 1 is answered. Depth 1 serves one request at a time (its GETs
 * still one batch). Digests are combined by XOR, so the result does not depend on how requests are
 * split between threads or interleaved. The first thread prints every 4096 requests the rate the
 * phase would have if its rest took no time ("time rps_bound="): the sweep's figure for a run it
 * had to stop. A run stopped in its warm-up gets the warm-up's: optimistic, since the warm-up starts
 * with the entries local (the table is built last). */
static void *serve_range(void *arg) {
  struct server *w = (struct server *)arg;
  uint64_t d = w->s->depth, from = w->from, end = w->from + w->n, ring = d + 1;
  uint64_t lag_finish = d - 1, lag_answer = d > 1 ? d : 0; /* steps after its start */
  double t0 = app_now();
  for (uint64_t i = from; i < end + d; i++) {
    if (i < end)
      start(w, i, &w->ring[i % ring]);
    uint64_t f = i - lag_finish, a = i - lag_answer;
    if (i >= from + lag_finish && f < end)
      finish(w, f, &w->ring[f % ring], d > 1);
    if (i >= from + lag_answer && a < end) {
      w->acc ^= respond(w, &w->ring[a % ring].r);
      if (w->progress && (a - from) % 4096 == 4095) {
        printf("time rps_bound=%.1f\n", (double)w->total / (app_now() - t0));
        fflush(stdout); /* a run stopped by the sweep's cap must still have written it */
      }
    }
  }
  return NULL;
}

/* Serves requests [from, from + n) with `threads` threads; returns the XOR of their digests. */
static uint64_t run(struct server *w, unsigned threads, uint64_t from, uint64_t n) {
  uint64_t acc = 0;
  for (unsigned t = 0; t < threads; t++) {
    w[t].from = from + n * t / threads;
    w[t].n = from + n * (t + 1) / threads - w[t].from;
    w[t].acc = 0;
    w[t].progress = t == 0;
    w[t].total = n;
    if (t > 0 && pthread_create(&w[t].thread, NULL, serve_range, &w[t]) != 0)
      app_die("webfront: thread");
  }
  serve_range(&w[0]);
  for (unsigned t = 0; t < threads; t++) {
    if (t > 0)
      pthread_join(w[t].thread, NULL);
    acc ^= w[t].acc;
  }
  return acc;
}

static void server_init(struct server *w, struct site *s) {
  static const unsigned char key[16] = "farmem-webfront";
  w->s = s;
  w->aes = EVP_CIPHER_CTX_new();
  w->packed_cap = snappy_max_compressed_length(ELEM);
  w->packed = malloc(w->packed_cap);
  if (!w->aes || !w->packed || !EVP_EncryptInit_ex(w->aes, EVP_aes_128_ctr(), NULL, key, NULL))
    app_die("webfront: set-up");
}

/* The far build's objects moved during the timed phase, per request ("time" lines: not in the
 * checksum): fetched (prefetched or on demand), prefetched, evacuated, demand misses. The local-only
 * build prints nothing. */
#ifndef FARDS_LOCAL
typedef struct far_stats_totals phase_mark;
static phase_mark phase_start(void) { return far_stats(); }
static void phase_report(phase_mark a, uint64_t requests) {
  phase_mark b = far_stats();
  double n = (double)requests;
  printf("time objects_per_request fetched=%.2f prefetched=%.2f evacuated=%.2f misses=%.3f\n",
         (double)(b.c.miss + b.c.prefetch_issued - a.c.miss - a.c.prefetch_issued) / n,
         (double)(b.c.prefetch_issued - a.c.prefetch_issued) / n,
         (double)(b.c.objects_evacuated - a.c.objects_evacuated) / n,
         (double)(b.c.miss - a.c.miss) / n);
}
#else
typedef int phase_mark;
static phase_mark phase_start(void) { return 0; }
static void phase_report(phase_mark a, uint64_t requests) { (void)a, (void)requests; }
#endif

static void server_free(struct server *w) {
  EVP_CIPHER_CTX_free(w->aes);
  free(w->packed);
}

/* Local memory of the hashtable's index (hashes and far addresses of the entries), which every
 * build keeps in ordinary memory: the sweep adds it to the paging baseline's budget. */
static size_t index_bytes(const kv *h) {
  size_t n = 0;
  for (unsigned i = 0; i < FARDS_HT_SEGMENTS; i++)
    n += (h->t.seg[i].mask + 1) * sizeof(struct fards_htslot);
  return n;
}

int main(int argc, char **argv) {
  struct site s = {0};
  uint64_t keys = app_option(argc, argv, "--keys", "WF_KEYS", 32u << 20);
  s.elements = app_option(argc, argv, "--elements", "WF_ELEMENTS", 128u << 10);
  uint64_t requests = app_option(argc, argv, "--requests", "WF_REQUESTS", 50000);
  uint64_t warmup = app_option(argc, argv, "--warmup", "WF_WARMUP", 20000);
  unsigned threads = (unsigned)app_option(argc, argv, "--threads", "WF_THREADS", 1);
  s.depth = (unsigned)app_option(argc, argv, "--depth", "WF_DEPTH", 4);
  if (s.depth > MAX_DEPTH) {
    fprintf(stderr, "webfront: --depth takes 1 to %u requests, got %u\n", MAX_DEPTH, s.depth);
    return 2;
  }
  for (s.keys = 1; s.keys < keys; s.keys *= 2)
    ;
  size_t ws = s.elements * ELEM + s.keys * 2 * sizeof(uint64_t);
  if (app_flag(argc, argv, "--working-set")) {
    printf("%zu\n", ws);
    return 0;
  }
  printf("keys=%llu elements=%llu working_set_bytes=%zu\n", (unsigned long long)s.keys,
         (unsigned long long)s.elements, ws);
  struct server *w = calloc(threads, sizeof *w);
  if (!w)
    app_die("webfront: set-up");
  for (unsigned t = 0; t < threads; t++)
    server_init(&w[t], &s);
  app_zipf_init(&s.zipf, s.keys, ZIPF_S);

  double t0 = app_now();
  site_build(&s);
  double t1 = app_now();
  app_time("build", t1 - t0);
  printf("local_bookkeeping_bytes=%zu\n", index_bytes(s.table));
  uint64_t acc = run(w, threads, 0, warmup);
  double t2 = app_now();
  app_time("warmup", t2 - t1);
  phase_mark before = phase_start();
  acc ^= run(w, threads, warmup, requests);
  double t3 = app_now();
  phase_report(before, requests);
  app_time("requests", t3 - t2);
  printf("time rps=%.1f\n", (double)requests / (t3 - t2));
  unsigned long long served = warmup + requests;
  app_result("requests=%llu served_bytes=%llu digest=%016llx", served, served * ELEM,
             (unsigned long long)acc);
  app_checksum();
  kv_free(s.table);
  pages_free(s.array);
  for (unsigned t = 0; t < threads; t++)
    server_free(&w[t]);
  free(w);
  return 0;
}
