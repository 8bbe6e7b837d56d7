/* Far hashtables: a local index over far entries, safe for concurrent use, growing as it fills.
 *
 *   FAR_HASHTABLE_DECLARE_POD(counts, uint64_t, struct stat)   // keys hashed and compared bytewise
 *   counts *h = counts_new(0);
 *   counts_put(h, 42, st);
 *   if (counts_get(h, 42, &st)) ...
 *   counts_free(h);
 *
 * As in AIFM, the index (hash and far address of each entry) is ordinary local memory and each entry
 * (key and value) is one small far object: a lookup touches far memory only for an entry whose full
 * 64-bit hash matches, and since every get of an entry marks its object hot, the runtime's evacuator
 * keeps the hot keys' entries local while cold ones go to the memory server. The index costs about
 * 16 bytes of local memory per entry (24 at the lowest fill), outside FAR_LOCAL_MEM.
 *
 * A caller that knows several keys at once (a request naming many) uses get_many: the index alone
 * says which entries are not local, so all their fetches are issued before the first value is
 * copied, and a batch's misses overlap instead of each costing a round trip of its own.
 *
 * Small entries (up to 128 bytes) share far objects, 32 to one (rt/group.c). An entry that a batched
 * get (get_many, get_many_finish) had to fetch is moved into a far object the runtime fills only
 * with such entries (far_malloc_hot), so recently used entries end up together, away from cold ones
 * (fards_ht_regroup). A move changes no key or value and is invisible to every operation. Larger
 * entries, objects of their own, are admitted instead: one a batched get fetches for a key not
 * missed recently goes to the runtime's non-temporal region, and is kept only from its second miss
 * (fards_ht_admit).
 *
 * Concurrency: the index is split into FARDS_HT_SEGMENTS segments by the top bits of the hash, each an
 * open-addressing table (linear probing, backward-shift deletion) under its own reader-writer lock:
 * gets of one segment run in parallel, puts and removes lock one segment. A segment doubles when it
 * is three quarters full; rehashing uses the stored hashes, so it never touches far memory, and keeps
 * every entry.
 *
 * Every operation enters its scope before it takes a segment lock. A thread may have to wait for
 * local memory at its outermost scope entry; taking locks only inside a scope means no thread ever
 * waits for memory while holding a lock that a thread inside a scope (which the evacuator waits for)
 * could be waiting on. */
#ifndef FAR_DS_HASHTABLE_H
#define FAR_DS_HASHTABLE_H

#include <far/ds/common.h>
#include <pthread.h>
#include <stdatomic.h>

#ifndef FARDS_HT_SEGMENT_BITS
#define FARDS_HT_SEGMENT_BITS 6
#endif
#define FARDS_HT_SEGMENTS (1u << FARDS_HT_SEGMENT_BITS)

struct fards_htslot {
  uint64_t hash;
  void *obj; /* the far entry; NULL: empty slot */
};

struct fards_htseg {
  _Alignas(64) pthread_rwlock_t lock;
  struct fards_htslot *slot;
  size_t mask; /* slots - 1 */
  size_t count;
};

/* Admission of fetched entries that are objects of their own (larger than FARDS_HT_REGROUP_MAX,
 * fards_ht_admit): the filter of recently missed hashes has a slot per FARDS_HT_ADMIT_KEYS keys the
 * table is made for (at least 1024, at most 2^20), so it remembers about that many misses; 0
 * turns admission off. (16: of the Zipf(0.9) hashtable gets at 25% of benchmarks/run ds, with 1/64,
 * 1/32, 1/16, 1/4, 1 slot per key, 36.6, 31.7, 29.5, 30.6, 31.4% not local, against 33% without.) */
#ifndef FARDS_HT_ADMIT_KEYS
#define FARDS_HT_ADMIT_KEYS 16
#endif

struct fards_ht {
  struct fards_htseg seg[FARDS_HT_SEGMENTS];
  _Atomic size_t size;
  uint16_t *missed;   /* tags of recently missed hashes (far build, admission on), or NULL */
  size_t missed_mask; /* its slots - 1 */
};

/* Layout of an entry object: the key at offset 0, the value at val_off. */
struct fards_htshape {
  size_t key_size, val_off, val_size, obj_size;
};

/* A 64-bit finaliser (splitmix64's): spreads any user hash over all bits, since the top bits pick
 * the segment and the low bits the slot. */
static inline uint64_t fards_mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Hash of n bytes, for keys without padding or pointers (FAR_HASHTABLE_DECLARE_POD). */
static inline uint64_t fards_hash_bytes(const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  for (; n >= 8; b += 8, n -= 8) {
    uint64_t w;
    memcpy(&w, b, 8);
    h = fards_mix64(h ^ w);
  }
  if (n) {
    uint64_t w = 0;
    memcpy(&w, b, n);
    h = fards_mix64(h ^ w ^ ((uint64_t)n << 56));
  }
  return h;
}

#define FARDS_HASH_POD(k) fards_hash_bytes((k), sizeof *(k))
#define FARDS_EQ_POD(a, b) (memcmp((a), (b), sizeof *(a)) == 0)

/* A table sized for about `expected` entries without growing. Returns 0, or -1 when memory ran out. */
static inline int fards_ht_init(struct fards_ht *t, size_t expected) {
  size_t want = expected / FARDS_HT_SEGMENTS * 4 / 3 + 1, slots = 8;
  while (slots < want)
    slots *= 2;
  int rc = 0;
  atomic_init(&t->size, 0);
  t->missed = NULL;
  t->missed_mask = 0;
#ifndef FARDS_LOCAL
  if (FARDS_HT_ADMIT_KEYS > 0) {
    size_t m = 1024;
    while (m < expected / (FARDS_HT_ADMIT_KEYS > 0 ? FARDS_HT_ADMIT_KEYS : 1) && m < (1u << 20))
      m *= 2;
    t->missed_mask = m - 1;
    if (!(t->missed = (uint16_t *)calloc(m, sizeof *t->missed)))
      rc = -1;
  }
#endif
  for (unsigned i = 0; i < FARDS_HT_SEGMENTS; i++) {
    struct fards_htseg *s = &t->seg[i];
    s->slot = (struct fards_htslot *)calloc(slots, sizeof *s->slot);
    s->mask = slots - 1;
    s->count = 0;
    pthread_rwlock_init(&s->lock, NULL);
    if (!s->slot)
      rc = -1;
  }
  return rc;
}

/* Frees every entry and the index (not thread-safe: no other call may be running). */
static inline void fards_ht_destroy(struct fards_ht *t) {
  for (unsigned i = 0; i < FARDS_HT_SEGMENTS; i++) {
    struct fards_htseg *s = &t->seg[i];
    for (size_t j = 0; s->slot && j <= s->mask; j++)
      if (s->slot[j].obj)
        far_free(s->slot[j].obj);
    free(s->slot);
    pthread_rwlock_destroy(&s->lock);
  }
  free(t->missed);
}

static inline struct fards_htseg *fards_ht_seg(struct fards_ht *t, uint64_t h) {
  return &t->seg[h >> (64 - FARDS_HT_SEGMENT_BITS)];
}

/* Inside the caller's scope: the local copy of entry obj when its key equals key, else NULL. The
 * whole entry is reached through one barrier, valid until that scope ends, so a get reads the key
 * and copies the value out of the same copy: one object-table lookup, and the first get of an
 * entry just fetched is its first use (it does not mark the entry hot by itself, see miss.c). */
static inline const char *fards_ht_match(const void *obj, const void *key, struct fards_htshape sh,
                                         int (*eq)(const void *, const void *), int mode) {
  const char *e = (const char *)fards_read(obj, sh.obj_size, FARDS_SITE_HASH, mode);
  return eq(e, key) ? e : NULL;
}

/* With s locked, inside a scope: the slot holding key (*found = 1, and *local the entry's local copy
 * when local is not NULL), or the empty slot ending its probe sequence. */
static inline size_t fards_ht_find(const struct fards_htseg *s, uint64_t h, const void *key,
                                   struct fards_htshape sh, int (*eq)(const void *, const void *),
                                   int mode, int *found, const char **local) {
  for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
    const struct fards_htslot *e = &s->slot[i];
    const char *copy = NULL;
    if (!e->obj || (e->hash == h && (copy = fards_ht_match(e->obj, key, sh, eq, mode)))) {
      *found = e->obj != NULL;
      if (local)
        *local = copy;
      return i;
    }
  }
}

/* With s write-locked: doubles the slot array, placing every entry by its stored hash. */
static inline int fards_ht_grow(struct fards_htseg *s) {
  size_t n = (s->mask + 1) * 2;
  struct fards_htslot *slot = (struct fards_htslot *)calloc(n, sizeof *slot);
  if (!slot)
    return -1;
  for (size_t i = 0; i <= s->mask; i++) {
    if (!s->slot[i].obj)
      continue;
    size_t j = s->slot[i].hash & (n - 1);
    while (slot[j].obj)
      j = (j + 1) & (n - 1);
    slot[j] = s->slot[i];
  }
  free(s->slot);
  __atomic_store_n(&s->slot, slot, __ATOMIC_RELAXED); /* read unlocked by fards_ht_prefetch_index */
  __atomic_store_n(&s->mask, n - 1, __ATOMIC_RELAXED);
  return 0;
}

/* With s write-locked: the entry for key, created (key set, value zero) if absent. Returns its far
 * address and sets *existed, or returns NULL when memory ran out (nothing changed). */
static inline void *fards_ht_upsert(struct fards_ht *t, struct fards_htseg *s, uint64_t h,
                                    const void *key, struct fards_htshape sh,
                                    int (*eq)(const void *, const void *), int *existed) {
  if ((s->count + 1) * 4 > (s->mask + 1) * 3 && fards_ht_grow(s) != 0)
    return NULL;
  size_t i = fards_ht_find(s, h, key, sh, eq, FARDS_CACHE, existed, NULL);
  if (*existed)
    return s->slot[i].obj;
  void *obj = far_calloc(1, sh.obj_size);
  if (!obj)
    return NULL;
  fards_store(obj, key, sh.key_size, FARDS_SITE_HASH, FARDS_CACHE);
  s->slot[i].hash = h;
  s->slot[i].obj = obj;
  s->count++;
  atomic_fetch_add_explicit(&t->size, 1, memory_order_relaxed);
  return obj;
}

/* Inserts or replaces; returns 1 when inserted, 0 when replaced, -1 when memory ran out. */
static inline int fards_ht_put(struct fards_ht *t, uint64_t h, const void *key, const void *val,
                               struct fards_htshape sh, int (*eq)(const void *, const void *)) {
  struct fards_htseg *s = fards_ht_seg(t, h);
  int existed = 0;
  far_scope_enter(FARDS_SITE_HASH);
  pthread_rwlock_wrlock(&s->lock);
  char *obj = (char *)fards_ht_upsert(t, s, h, key, sh, eq, &existed);
  if (obj)
    fards_store(obj + sh.val_off, val, sh.val_size, FARDS_SITE_HASH, FARDS_CACHE);
  pthread_rwlock_unlock(&s->lock);
  far_scope_exit();
  return obj ? !existed : -1;
}

/* Copies the value of key to out (may be NULL); returns the far address its entry had, or NULL when
 * the key is absent. */
static inline void *fards_ht_lookup(struct fards_ht *t, uint64_t h, const void *key, void *out,
                                    struct fards_htshape sh, int (*eq)(const void *, const void *),
                                    int mode) {
  struct fards_htseg *s = fards_ht_seg(t, h);
  int found;
  const char *entry;
  far_scope_enter(FARDS_SITE_HASH);
  pthread_rwlock_rdlock(&s->lock);
  void *obj = s->slot[fards_ht_find(s, h, key, sh, eq, mode, &found, &entry)].obj;
  if (found && out)
    memcpy(out, entry + sh.val_off, sh.val_size);
  pthread_rwlock_unlock(&s->lock);
  far_scope_exit();
  return found ? obj : NULL;
}

/* Copies the value of key to out (may be NULL); returns 1 when found. */
static inline int fards_ht_get(struct fards_ht *t, uint64_t h, const void *key, void *out,
                               struct fards_htshape sh, int (*eq)(const void *, const void *),
                               int mode) {
  return fards_ht_lookup(t, h, key, out, sh, eq, mode) != NULL;
}

/* With s locked: the slot holding entry obj of hash h, or SIZE_MAX when obj is not in the table
 * (the hash is compared too: a freed entry's address may be reused by another key's). */
static inline size_t fards_ht_slot_of(const struct fards_htseg *s, uint64_t h, const void *obj) {
  for (size_t i = h & s->mask; s->slot[i].obj; i = (i + 1) & s->mask)
    if (s->slot[i].obj == obj && s->slot[i].hash == h)
      return i;
  return SIZE_MAX;
}

/* Hot/cold regrouping. The runtime packs small entries 32 to a far object (rt/group.c), in
 * allocation order, so an entry's group-mates have unrelated popularity: a miss fetches 31 of them
 * too, and a hot entry is evicted with cold ones. So when a batched get had to fetch an entry, the
 * entry is moved into the group the runtime is filling with such entries (far_malloc_hot): entries
 * used recently end up together, and their groups stay local while the cold ones go. The move
 * happens under the segment's write lock, only if the slot still holds the entry the get read
 * (else a put, remove or another move came first and nothing is done), and copies the entry as it
 * is then, so a concurrent put is never lost; readers hold the read lock while they use an entry,
 * so none sees the old one freed. The old entry is read through a don't-cache barrier, so the move
 * does not mark its old group hot (a second use would keep the group, 31 cold entries with it, among
 * the runtime's kept objects). Costs one small allocation per entry fetched; the old slot is
 * reused by later puts. Returns the old entry, for the caller to free once it is done with the
 * batch (far_free_many: no locked reader can reach it any more, and a batch's frees overlap their
 * bookkeeping's cache misses), or NULL when nothing was moved. Only entries of up to
 * FARDS_HT_REGROUP_MAX bytes are moved (larger ones are objects of their own); the local-only build
 * has nothing to regroup. */
#ifndef FARDS_HT_REGROUP_MAX
#define FARDS_HT_REGROUP_MAX 128 /* the largest small object rt/group.c packs */
#endif
static inline void *fards_ht_regroup(struct fards_ht *t, uint64_t h, void *old,
                                     struct fards_htshape sh) {
#ifndef FARDS_LOCAL
  struct fards_htseg *s = fards_ht_seg(t, h);
  if (sh.obj_size > FARDS_HT_REGROUP_MAX)
    return NULL;
  far_scope_enter(FARDS_SITE_HASH);
  pthread_rwlock_wrlock(&s->lock);
  size_t i = fards_ht_slot_of(s, h, old);
  void *obj = i == SIZE_MAX ? NULL : far_malloc_hot(sh.obj_size);
  if (obj) {
    memcpy(far_write(obj, sh.obj_size, FARDS_SITE_HASH), far_read_nt(old, sh.obj_size, FARDS_SITE_HASH),
           sh.obj_size);
    s->slot[i].obj = obj;
  }
  pthread_rwlock_unlock(&s->lock);
  far_scope_exit();
  return obj ? old : NULL;
#else
  (void)t, (void)h, (void)old, (void)sh;
  return NULL;
#endif
}

/* Keys a batched get resolves before it copies any value out: the misses of one batch are in flight
 * together. */
#ifndef FARDS_HT_BATCH
#define FARDS_HT_BATCH 64
#endif

/* Stage 1 of a batched lookup: asks the CPU for the index slot of each hash h[0..n), so the probes
 * that follow find their lines arriving instead of missing one after another (a probe takes a lock,
 * whose fence would keep the next key's miss from overlapping). Reads each segment's slot array
 * and mask without the lock: a stale pair only prefetches a useless line, and prefetching never
 * faults. */
static inline void fards_ht_prefetch_index(struct fards_ht *t, const uint64_t *h, size_t n) {
  for (size_t i = 0; i < n; i++) {
    struct fards_htseg *s = fards_ht_seg(t, h[i]);
    const struct fards_htslot *slot = __atomic_load_n(&s->slot, __ATOMIC_RELAXED);
    size_t mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
    __builtin_prefetch(&slot[h[i] & mask]);
  }
}

/* Stage 2: adds to cand[*n..cap) every entry of segment s whose stored hash is h (the key's entry,
 * or in the rare case of a full 64-bit collision another candidate), noting in owner[] that key
 * number `key` of the batch wants it. Reads only the index. */
static inline void fards_ht_candidates(struct fards_htseg *s, uint64_t h, const void **cand,
                                       unsigned char *owner, unsigned char key, size_t *n,
                                       size_t cap) {
  pthread_rwlock_rdlock(&s->lock);
  for (size_t i = h & s->mask; s->slot[i].obj && *n < cap; i = (i + 1) & s->mask)
    if (s->slot[i].hash == h) {
      owner[*n] = key;
      cand[(*n)++] = s->slot[i].obj;
    }
  pthread_rwlock_unlock(&s->lock);
}

/* Stage 3 for an entry of entry_size bytes that is local: asks the CPU for its first lines, which the
 * get that follows reads (when the batch is finished, possibly after other batches, they are still
 * in the CPU's cache). */
static inline void fards_ht_prefetch_local(const char *p, size_t entry_size) {
  for (size_t off = 0; off < entry_size && off < 256; off += 64)
    __builtin_prefetch(p + off);
}

/* Whether an entry of hash h that a batched get has to fetch should be kept like any other (1), or
 * fetched into the runtime's non-temporal region, which the evacuator empties first and keeps
 * nothing of (0). An entry that is an object of its own is admitted when its hash was missed
 * recently too (the filter remembers about one miss per FARDS_HT_ADMIT_KEYS keys): under a skewed load most
 * entries fetched are rarely used ones, which would otherwise stay a whole pass of the evacuator,
 * taking the place of popular ones; a popular entry misses again soon and is kept from then on
 * (2Q's admission; the runtime's ghosts see only what was evicted). Small entries are regrouped
 * instead (fards_ht_regroup). Races between threads only blur the filter. */
static inline int fards_ht_admit(struct fards_ht *t, uint64_t h, size_t entry_size) {
  if (!t->missed || entry_size <= FARDS_HT_REGROUP_MAX)
    return 1;
  uint16_t *slot = &t->missed[(h >> 24) & t->missed_mask];
  uint16_t tag = (uint16_t)(h | 1);
  if (__atomic_load_n(slot, __ATOMIC_RELAXED) == tag)
    return 1;
  __atomic_store_n(slot, tag, __ATOMIC_RELAXED);
  return 0;
}

/* The first half of a batched get for hashes h[0..n) (n <= FARDS_HT_BATCH) of entries of entry_size
 * bytes: prefetches the entries that are not local (queued: fards_prefetch_objects), and the local
 * ones' bytes into the CPU's caches; returns how many it asked the server for, and sets bit i of
 * *remote (may be NULL) when key i has an entry on its way, and local[i] (local may be NULL) to the
 * local copy of key i's entry, or NULL. On its own so that benchmarks can time it. The index is read in two stages (all slots asked for, then probed), and residency is checked
 * only after every probe, with no lock in between, so the object-table misses of a batch overlap
 * too. An entry removed meanwhile costs a useless fetch at worst (a prefetch is a hint; the runtime
 * installs only what is still awaited). */
static inline size_t fards_ht_prefetch_hashes(struct fards_ht *t, const uint64_t *h, size_t n,
                                              size_t entry_size, uint64_t *remote,
                                              const char **local_copy) {
  const void *cand[FARDS_HT_BATCH], *once[FARDS_HT_BATCH];
  unsigned char owner[FARDS_HT_BATCH];
  size_t ncand = 0, nwant = 0, nonce = 0;
  uint64_t away = 0;
  if (local_copy)
    memset(local_copy, 0, n * sizeof *local_copy);
  fards_ht_prefetch_index(t, h, n);
  for (size_t i = 0; i < n; i++)
    fards_ht_candidates(fards_ht_seg(t, h[i]), h[i], cand, owner, (unsigned char)i, &ncand,
                        FARDS_HT_BATCH);
  for (size_t i = 0; i < ncand; i++) {
    const char *local = (const char *)far_local_hint(cand[i]);
    if (local) {
      fards_ht_prefetch_local(local, entry_size);
      if (local_copy)
        local_copy[owner[i]] = local;
    } else {
      if (fards_ht_admit(t, h[owner[i]], entry_size))
        cand[nwant++] = cand[i];
      else
        once[nonce++] = cand[i];
      away |= 1ull << owner[i];
    }
  }
  fards_prefetch_objects(cand, nwant);
  if (nonce)
    fards_prefetch_objects_as(once, nonce, 1);
  nwant += nonce;
  if (remote)
    *remote = away;
  return nwant;
}

/* A batched get in flight: the keys (not copied: they must stay valid until it finishes), their
 * hashes, which of them have an entry on its way (bit i: key i), the mark of its prefetches in
 * this thread's queue (fards_prefetch_mark), and where the local entries' copies were (hints for the
 * CPU's prefetch only: a copy may have moved since). */
_Static_assert(FARDS_HT_BATCH <= 64, "a batch's keys are bits of one uint64_t");
struct fards_ht_pending {
  const char *keys;
  size_t n;
  uint64_t remote;
  uint64_t mark;
  uint64_t h[FARDS_HT_BATCH];
  const char *local[FARDS_HT_BATCH];
};

/* The first half of a batched get: hashes up to FARDS_HT_BATCH of the n keys (keys[i] at
 * keys + i * key_size) and prefetches their entries that are not local. The prefetches are queued
 * on this thread and leave with later batches' (one request per 32 entries queued), at the latest
 * when this thread finishes the batch started before it (so each keeps a batch of lead) or needs
 * one of them: finish on the thread that started, or call far_prefetch_flush first. Holds no scope
 * and no lock afterwards, so the caller may start more batches, or do other work, before finishing
 * this one. Returns how many keys the batch took. */
static inline size_t fards_ht_get_start(struct fards_ht *t, const char *keys, size_t n,
                                        struct fards_ht_pending *p, struct fards_htshape sh,
                                        uint64_t (*hash)(const void *)) {
  p->keys = keys;
  p->n = n < FARDS_HT_BATCH ? n : FARDS_HT_BATCH;
  for (size_t i = 0; i < p->n; i++)
    p->h[i] = hash(keys + i * sh.key_size);
  far_scope_enter(FARDS_SITE_HASH);
#ifndef FARDS_LOCAL
  const char **local = p->local; /* for the second half's prefetch */
#else
  const char **local = NULL; /* the local-only build does not prefetch them again */
#endif
  fards_ht_prefetch_hashes(t, p->h, p->n, sh.obj_size, &p->remote, local);
  p->mark = fards_prefetch_mark();
  far_scope_exit();
  return p->n;
}

/* The second half: each key is looked up exactly as fards_ht_get does, waiting at most for its own
 * entry's arrival; values to out + i * val_size (out may be NULL), found[i] 1 or 0 (found may be
 * NULL). Returns how many keys were found. The keys whose entries were local go first, which gives
 * the fetches of the others that much more time to land. */
static inline size_t fards_ht_get_finish(struct fards_ht *t, const struct fards_ht_pending *p,
                                         char *out, char *found, struct fards_htshape sh,
                                         int (*eq)(const void *, const void *)) {
  size_t hits = 0, nmoved = 0;
  void *moved[FARDS_HT_BATCH]; /* old copies of the entries regrouped, freed together at the end */
  fards_prefetch_flush_to(p->mark + 1); /* this batch's and the next one's fetches leave now */
#ifndef FARDS_LOCAL
  /* The index lines and entries the start stage brought into the CPU's caches are gone again by now
   * in the far build (the runtime's fetches, installs and copies between the two halves evict
   * them): asked for again, all at once, so the probes below do not miss one after another
   * (webfront at 25%: the probe's loads were a third of its request loop's samples). A copy that
   * moved since costs a useless prefetch (which never faults). The local-only build still has them. */
  fards_ht_prefetch_index(t, p->h, p->n);
  for (size_t i = 0; i < p->n; i++)
    if (p->local[i])
      fards_ht_prefetch_local(p->local[i], sh.obj_size);
#endif
  far_scope_enter(FARDS_SITE_HASH);
  for (uint64_t away = 0; away <= 1; away++)
    for (size_t i = 0; i < p->n; i++) {
      if (((p->remote >> i) & 1) != away)
        continue;
      void *obj = fards_ht_lookup(t, p->h[i], p->keys + i * sh.key_size,
                                  out ? out + i * sh.val_size : NULL, sh, eq, FARDS_CACHE);
      int f = obj != NULL;
      if (f && away && (moved[nmoved] = fards_ht_regroup(t, p->h[i], obj, sh)))
        nmoved++;
      if (found)
        found[i] = (char)f;
      hits += (size_t)f;
    }
  far_scope_exit();
  far_free_many(moved, nmoved);
  return hits;
}

/* Gets of any n keys, FARDS_HT_BATCH at a time: each batch's fetches are issued together before the
 * first of its values is copied, so a batch with many misses waits about as long as one miss. */
static inline size_t fards_ht_get_many(struct fards_ht *t, const void *keys, size_t n, void *out,
                                       char *found, struct fards_htshape sh,
                                       uint64_t (*hash)(const void *),
                                       int (*eq)(const void *, const void *)) {
  struct fards_ht_pending p;
  size_t hits = 0;
  for (size_t at = 0; at < n; at += p.n) {
    fards_ht_get_start(t, (const char *)keys + at * sh.key_size, n - at, &p, sh, hash);
    fards_prefetch_flush(); /* its fetches go now, while the local entries are copied */
    hits += fards_ht_get_finish(t, &p, out ? (char *)out + at * sh.val_size : NULL,
                                found ? found + at : NULL, sh, eq);
  }
  return hits;
}

/* With s write-locked: empties slot i, moving later entries of its probe run back (no tombstones). */
static inline void fards_ht_delete_slot(struct fards_htseg *s, size_t i) {
  for (size_t j = (i + 1) & s->mask; s->slot[j].obj; j = (j + 1) & s->mask) {
    size_t home = s->slot[j].hash & s->mask;
    if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
      s->slot[i] = s->slot[j];
      i = j;
    }
  }
  s->slot[i].obj = NULL;
  s->slot[i].hash = 0;
}

/* Removes key; returns 1 when it was present. */
static inline int fards_ht_remove(struct fards_ht *t, uint64_t h, const void *key,
                                  struct fards_htshape sh, int (*eq)(const void *, const void *)) {
  struct fards_htseg *s = fards_ht_seg(t, h);
  int found;
  far_scope_enter(FARDS_SITE_HASH);
  pthread_rwlock_wrlock(&s->lock);
  size_t i = fards_ht_find(s, h, key, sh, eq, FARDS_CACHE, &found, NULL);
  if (found) {
    far_free(s->slot[i].obj);
    fards_ht_delete_slot(s, i);
    s->count--;
    atomic_fetch_sub_explicit(&t->size, 1, memory_order_relaxed);
  }
  pthread_rwlock_unlock(&s->lock);
  far_scope_exit();
  return found;
}

static inline int fards_ht_by_obj(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const struct fards_htslot *)a)->obj;
  uintptr_t y = (uintptr_t)((const struct fards_htslot *)b)->obj;
  return (x > y) - (x < y);
}

/* A segment's entries as for_each lists them before visiting: sorted by far address, so the
 * entries of one far object (a group of small entries) are visited one after another. `moved`
 * holds the entries visited in place of a listed one that was regrouped meanwhile. */
struct fards_ht_walk {
  struct fards_htslot *snap;
  size_t n;
  void **moved;
  size_t nmoved, cap;
};

/* Lists segment s's entries into w (free them with fards_ht_walk_free); returns 0, or -1 when
 * memory ran out. Touches no far memory. */
static inline int fards_ht_snapshot(struct fards_htseg *s, struct fards_ht_walk *w) {
  memset(w, 0, sizeof *w);
  pthread_rwlock_rdlock(&s->lock);
  w->snap = (struct fards_htslot *)malloc((s->count + 1) * sizeof *w->snap);
  for (size_t j = 0; w->snap && j <= s->mask; j++)
    if (s->slot[j].obj)
      w->snap[w->n++] = s->slot[j];
  pthread_rwlock_unlock(&s->lock);
  if (w->snap)
    qsort(w->snap, w->n, sizeof *w->snap, fards_ht_by_obj);
  return w->snap ? 0 : -1;
}

static inline void fards_ht_walk_free(struct fards_ht_walk *w) {
  free(w->snap);
  free(w->moved);
}

/* Whether obj is a listed entry, or one already visited in place of one. */
static inline int fards_ht_walk_knows(const struct fards_ht_walk *w, void *obj) {
  struct fards_htslot key = {0, obj};
  if (bsearch(&key, w->snap, w->n, sizeof key, fards_ht_by_obj))
    return 1;
  for (size_t i = 0; i < w->nmoved; i++)
    if (w->moved[i] == obj)
      return 1;
  return 0;
}

/* With s locked: sets *obj to the entry to visit for listed entry e and returns 1, or returns 0
 * when e left the table (-1: no memory for the record below). That is e itself while its probe run
 * holds it; when it does not, e may have been regrouped (moved to another far object, same hash and
 * slot), so an entry of e's hash that was neither listed nor visited yet stands in for it. */
static inline int fards_ht_visiting(const struct fards_htseg *s, struct fards_htslot e,
                                    struct fards_ht_walk *w, void **obj) {
  *obj = e.obj;
  if (fards_ht_slot_of(s, e.hash, e.obj) != SIZE_MAX)
    return 1;
  for (size_t i = e.hash & s->mask; s->slot[i].obj; i = (i + 1) & s->mask) {
    *obj = s->slot[i].obj;
    if (s->slot[i].hash != e.hash || fards_ht_walk_knows(w, *obj))
      continue;
    if (w->nmoved == w->cap) {
      size_t cap = w->cap ? 2 * w->cap : 16;
      void **m = (void **)realloc(w->moved, cap * sizeof *m);
      if (!m)
        return -1;
      w->moved = m;
      w->cap = cap;
    }
    w->moved[w->nmoved++] = *obj;
    return 1;
  }
  return 0;
}

/* Declares type `name`, a hashtable from K to V. HASH(const K *) returns a uint64_t, EQ(const K *,
 * const K *) nonzero when the keys are equal; either may be a function or a function-like macro. */
#define FAR_HASHTABLE_DECLARE(name, K, V, HASH, EQ)                                              \
  typedef struct name {                                                                          \
    struct fards_ht t;                                                                           \
  } name;                                                                                        \
  typedef struct name##_entry_ {                                                                 \
    K key;                                                                                       \
    V val;                                                                                       \
  } name##_entry_;                                                                               \
  FARDS_API struct fards_htshape name##_shape_(void) {                                            \
    struct fards_htshape sh = {sizeof(K), offsetof(name##_entry_, val), sizeof(V),               \
                               sizeof(name##_entry_)};                                           \
    return sh;                                                                                   \
  }                                                                                              \
  FARDS_API int name##_eq_(const void *a, const void *b) {                                        \
    return (EQ((const K *)a, (const K *)b)) != 0;                                                \
  }                                                                                              \
  FARDS_API uint64_t name##_hash_(const K *k) { return fards_mix64((uint64_t)(HASH(k))); }        \
  FARDS_API uint64_t name##_hashv_(const void *k) { return name##_hash_((const K *)k); }          \
  /* A table sized for about `expected` entries (it grows past that); NULL when memory ran out. */ \
  FARDS_API name *name##_new(size_t expected) {                                                   \
    name *h = (name *)malloc(sizeof *h);                                                         \
    if (h && fards_ht_init(&h->t, expected) != 0) {                                              \
      fards_ht_destroy(&h->t);                                                                   \
      free(h);                                                                                   \
      h = NULL;                                                                                  \
    }                                                                                            \
    return h;                                                                                    \
  }                                                                                              \
  FARDS_API void name##_free(name *h) {                                                           \
    if (!h)                                                                                      \
      return;                                                                                    \
    fards_ht_destroy(&h->t);                                                                     \
    free(h);                                                                                     \
  }                                                                                              \
  FARDS_API size_t name##_size(name *h) {                                                         \
    return atomic_load_explicit(&h->t.size, memory_order_relaxed);                               \
  }                                                                                              \
  /* 1 when inserted, 0 when an existing value was replaced, -1 when memory ran out. */          \
  FARDS_API int name##_put(name *h, K key, V val) {                                               \
    return fards_ht_put(&h->t, name##_hash_(&key), &key, &val, name##_shape_(), name##_eq_);     \
  }                                                                                              \
  /* Copies the value to *out (out may be NULL); returns 1 when the key is present. */           \
  FARDS_API int name##_get(name *h, K key, V *out) {                                              \
    return fards_ht_get(&h->t, name##_hash_(&key), &key, out, name##_shape_(), name##_eq_,       \
                        FARDS_CACHE);                                                            \
  }                                                                                              \
  /* The same through the don't-cache barriers: a one-off lookup that should not displace hot   \
   * entries. */                                                                                 \
  FARDS_API int name##_get_nt(name *h, K key, V *out) {                                           \
    return fards_ht_get(&h->t, name##_hash_(&key), &key, out, name##_shape_(), name##_eq_,       \
                        FARDS_NOCACHE);                                                          \
  }                                                                                              \
  FARDS_API int name##_contains(name *h, K key) { return name##_get(h, key, NULL); }              \
  /* Gets of n keys at once: out[i] receives the value of keys[i] (out may be NULL) and found[i]  \
   * 1 or 0 (found may be NULL); returns how many were found. Each key behaves as a get of its   \
   * own, but the entries that are not local are fetched together, FARDS_HT_BATCH keys at a time, \
   * so a batch with many misses waits about as long as one miss. */                            \
  FARDS_API size_t name##_get_many(name *h, const K *keys, size_t n, V *out, char *found) {       \
    return fards_ht_get_many(&h->t, keys, n, out, found, name##_shape_(), name##_hashv_,         \
                             name##_eq_);                                                        \
  }                                                                                              \
  /* get_many in two halves, for several batches in flight: start hashes up to FARDS_HT_BATCH of \
   * the n keys and issues the fetches of their entries that are not local, returning how many it \
   * took; finish copies their values out as get_many does. keys must stay valid in between; the  \
   * caller holds no scope or lock, so it may start more batches first (see toolchain.md). */    \
  typedef struct fards_ht_pending name##_pending;                                                \
  FARDS_API size_t name##_get_many_start(name *h, const K *keys, size_t n, name##_pending *p) {   \
    return fards_ht_get_start(&h->t, (const char *)keys, n, p, name##_shape_(), name##_hashv_);  \
  }                                                                                              \
  FARDS_API size_t name##_get_many_finish(name *h, const name##_pending *p, V *out, char *found) { \
    return fards_ht_get_finish(&h->t, p, (char *)out, found, name##_shape_(), name##_eq_);      \
  }                                                                                              \
  /* Returns 1 when the key was present. */                                                      \
  FARDS_API int name##_remove(name *h, K key) {                                                   \
    return fards_ht_remove(&h->t, name##_hash_(&key), &key, name##_shape_(), name##_eq_);        \
  }                                                                                              \
  /* Atomic read-modify-write: calls fn(value, existed, ctx) with the key's segment locked and a  \
   * writable local pointer to the value (zero when the key was absent; the entry is created).    \
   * Returns `existed`, or -1 when memory ran out. fn must not call this table. */               \
  FARDS_API int name##_update(name *h, K key, void (*fn)(V *, int, void *), void *ctx) {          \
    uint64_t hv = name##_hash_(&key);                                                            \
    struct fards_htseg *s = fards_ht_seg(&h->t, hv);                                             \
    int existed = 0;                                                                             \
    far_scope_enter(FARDS_SITE_HASH);                                                            \
    pthread_rwlock_wrlock(&s->lock);                                                             \
    char *obj = (char *)fards_ht_upsert(&h->t, s, hv, &key, name##_shape_(), name##_eq_,         \
                                        &existed);                                               \
    if (obj)                                                                                     \
      fn((V *)far_write(obj + offsetof(name##_entry_, val), sizeof(V), FARDS_SITE_HASH),         \
         existed, ctx);                                                                          \
    pthread_rwlock_unlock(&s->lock);                                                             \
    far_scope_exit();                                                                            \
    return obj ? existed : -1;                                                                   \
  }                                                                                              \
  /* Calls fn(key, value, ctx) on every entry, with local pointers valid during the call; stops   \
   * at, and returns, the first nonzero result (-1: no local memory for the walk). Safe alongside \
   * other threads' operations: it visits each entry that stays in the table throughout exactly   \
   * once, never a removed one, and entries added meanwhile perhaps. A segment's entries are      \
   * listed first (touching no far memory) and visited in far-address order (group-mates one     \
   * after another), each in its own scope under the read lock. fn must not call this table. */  \
  FARDS_API int name##_for_each(name *h, int (*fn)(const K *, const V *, void *), void *ctx) {    \
    int r = 0;                                                                                   \
    for (unsigned i_ = 0; i_ < FARDS_HT_SEGMENTS && !r; i_++) {                                  \
      struct fards_htseg *s = &h->t.seg[i_];                                                     \
      struct fards_ht_walk w;                                                                    \
      if (fards_ht_snapshot(s, &w) != 0)                                                         \
        return -1;                                                                               \
      for (size_t k = 0; k < w.n && !r; k++) {                                                   \
        void *obj;                                                                               \
        far_scope_enter(FARDS_SITE_HASH);                                                        \
        pthread_rwlock_rdlock(&s->lock);                                                         \
        int v = fards_ht_visiting(s, w.snap[k], &w, &obj);                                       \
        if (v > 0) {                                                                             \
          const name##_entry_ *e =                                                               \
              (const name##_entry_ *)far_read(obj, sizeof(name##_entry_), FARDS_SITE_HASH);      \
          r = fn(&e->key, &e->val, ctx);                                                         \
        }                                                                                        \
        r = v < 0 ? -1 : r;                                                                      \
        pthread_rwlock_unlock(&s->lock);                                                         \
        far_scope_exit();                                                                        \
      }                                                                                          \
      fards_ht_walk_free(&w);                                                                    \
    }                                                                                            \
    return r;                                                                                    \
  }

/* A hashtable whose keys are hashed and compared as bytes (integers, structs without padding). */
#define FAR_HASHTABLE_DECLARE_POD(name, K, V) FAR_HASHTABLE_DECLARE(name, K, V, FARDS_HASH_POD, FARDS_EQ_POD)

#endif
