/* AIFM's web frontend benchmark in C: a hashtable of small key/value pairs and a large array of
 * 8 KiB elements, both far data structures (ds-headers).
 *
 * A request does 32 hashtable GETs with Zipf(0.85) keys, as a web page's front end looks up its
 * session and metadata; the first key's value names the page, one 8 KiB element of the array, which
 * is then encrypted (libcrypto's AES-128-CTR) and compressed (Snappy, the fast compressor AIFM used:
 * its C API costs a few microseconds on 8 KiB, so the request stays dominated by memory, as in AIFM).
 * Keys are ranked by popularity through a fixed permutation of the key space and inserted in key
 * order, so hot keys are spread over the whole table (and, for a paging runtime, over every page of
 * it), as in a real key space. The array is filled first and the table second, so the small entries
 * start out local (the most recently written data) in every system.
 *
 *   webfront [--keys N] [--elements N] [--requests N] [--warmup N]
 *            (or WF_KEYS, WF_ELEMENTS, WF_REQUESTS, WF_WARMUP; defaults 1 Mi keys, 256 Ki elements
 *             (2 GiB), 100,000 timed requests after 50,000 warm-up requests)
 *   webfront ... --working-set   prints the working set in bytes (array + entries) and exits
 * Prints result lines, "time" lines (requests/s in "time rps=") and "checksum=<hex>", identical in
 * every build. */
#include <far/ds.h>
#include <openssl/evp.h>
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
  EVP_CIPHER_CTX *aes;
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
  static const char words[][8] = {"the ", "far ", "memory ", "page ", "of ", "data ", "and ", "web "};
  struct app_rng r = app_rng_at(SEED, i);
  size_t at = 0;
  while (at < ELEM) {
    const char *w = words[app_next(&r) & 7];
    for (size_t k = 0; w[k] && at < ELEM; k++)
      p->b[at++] = (unsigned char)w[k];
  }
}

static void site_build(struct site *s, struct page *buf) {
  s->table = kv_new(s->keys);
  s->array = pages_new(s->elements);
  if (!s->table || !s->array)
    app_die("webfront: structures");
  for (uint64_t i = 0; i < s->elements; i++) {
    fill_page(buf, i);
    pages_copy_in(s->array, i, buf, 1);
  }
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

/* Request q: 32 GETs, then the page the first value names, encrypted and compressed. Returns a
 * digest of what was served. */
static uint64_t serve(struct site *s, uint64_t q, struct page *page, unsigned char *cipher) {
  struct app_rng r = app_rng_at(SEED + 1, q);
  uint64_t digest = q, first = 0;
  for (unsigned g = 0; g < GETS; g++) {
    uint64_t v;
    if (!kv_get(s->table, key_of_rank(s, app_zipf_draw(&s->zipf, &r)), &v))
      app_die("webfront: missing key");
    digest = app_mix(digest ^ v);
    if (g == 0)
      first = v;
  }
  pages_copy_out(s->array, first & 0xffffffffu, page, 1);
  unsigned char iv[16] = {0};
  memcpy(iv, &q, sizeof q);
  int len = 0;
  if (!EVP_EncryptInit_ex(s->aes, NULL, NULL, NULL, iv) ||
      !EVP_EncryptUpdate(s->aes, cipher, &len, page->b, ELEM) || len != ELEM)
    app_die("webfront: AES");
  size_t packed = s->packed_cap;
  if (snappy_compress((const char *)cipher, ELEM, s->packed, &packed) != SNAPPY_OK)
    app_die("webfront: snappy");
  return digest ^ fold64(s->packed, packed) ^ ((uint64_t)packed << 40);
}

/* Serves requests [from, from + n). When `timed`, prints every 4096 requests the rate that would
 * hold if the rest took no time ("time rps_bound="): the sweep's figure for a run it had to stop. */
static uint64_t run(struct site *s, uint64_t from, uint64_t n, struct page *page,
                    unsigned char *cipher, uint64_t *bytes, int timed) {
  uint64_t acc = 0;
  double start = app_now();
  for (uint64_t q = from; q < from + n; q++) {
    acc = app_mix(acc ^ serve(s, q, page, cipher));
    if (timed && (q - from) % 4096 == 4095)
      printf("time rps_bound=%.1f\n", (double)n / (app_now() - start));
  }
  *bytes += n * ELEM;
  return acc;
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
  uint64_t keys = app_option(argc, argv, "--keys", "WF_KEYS", 1u << 20);
  s.elements = app_option(argc, argv, "--elements", "WF_ELEMENTS", 256u << 10);
  uint64_t requests = app_option(argc, argv, "--requests", "WF_REQUESTS", 100000);
  uint64_t warmup = app_option(argc, argv, "--warmup", "WF_WARMUP", 50000);
  for (s.keys = 1; s.keys < keys; s.keys *= 2)
    ;
  size_t ws = s.elements * ELEM + s.keys * 2 * sizeof(uint64_t);
  if (app_flag(argc, argv, "--working-set")) {
    printf("%zu\n", ws);
    return 0;
  }
  printf("keys=%llu elements=%llu working_set_bytes=%zu\n", (unsigned long long)s.keys,
         (unsigned long long)s.elements, ws);
  static const unsigned char key[16] = "farmem-webfront";
  s.aes = EVP_CIPHER_CTX_new();
  s.packed_cap = snappy_max_compressed_length(ELEM);
  s.packed = malloc(s.packed_cap);
  struct page *page = malloc(sizeof *page);
  unsigned char *cipher = malloc(ELEM);
  if (!s.aes || !s.packed || !page || !cipher ||
      !EVP_EncryptInit_ex(s.aes, EVP_aes_128_ctr(), NULL, key, NULL))
    app_die("webfront: set-up");
  app_zipf_init(&s.zipf, s.keys, ZIPF_S);

  double t0 = app_now();
  site_build(&s, page);
  double t1 = app_now();
  app_time("build", t1 - t0);
  printf("local_bookkeeping_bytes=%zu\n", index_bytes(s.table));
  uint64_t bytes = 0;
  uint64_t acc = run(&s, 0, warmup, page, cipher, &bytes, 0);
  double t2 = app_now();
  app_time("warmup", t2 - t1);
  acc ^= app_mix(run(&s, warmup, requests, page, cipher, &bytes, 1));
  double t3 = app_now();
  app_time("requests", t3 - t2);
  printf("time rps=%.1f\n", (double)requests / (t3 - t2));
  app_result("requests=%llu served_bytes=%llu digest=%016llx", (unsigned long long)(warmup + requests),
             (unsigned long long)bytes, (unsigned long long)acc);
  app_checksum();
  kv_free(s.table);
  pages_free(s.array);
  EVP_CIPHER_CTX_free(s.aes);
  free(s.packed), free(page), free(cipher);
  return 0;
}
