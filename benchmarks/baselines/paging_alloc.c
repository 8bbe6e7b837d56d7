/* The paging baseline's heap: malloc & co. inside the userfaultfd arena.
 *
 * Small requests (up to 16 KiB) come from slabs, runs of 16 or 64 pages cut into objects of one size
 * class (16-byte steps up to 128, then four classes per power of two); larger ones get whole page
 * spans. Free spans are kept in power-of-two bins and coalesced with their neighbours; untouched
 * arena is handed out from a bump pointer. All bookkeeping (span lengths, slab bitmaps) lives outside
 * the arena, so malloc and free never fault; only the program's own accesses do.
 *
 * Like glibc's mmap threshold, a free span of 64 pages or more is discarded (its pages dropped and
 * marked zero, see pg_discard), so freeing a big block gives its memory back and a later calloc of
 * it needs no memset. Smaller free spans keep their contents. realloc grows a span in place when the
 * pages after it are free. Locks: one per size class, one for spans (taken inside a class lock). */
#define _GNU_SOURCE
#include "paging.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define PA_SMALL_MAX 16384u
#define PA_NCLS 36u
#define PA_DISCARD_PAGES 64u
#define PA_NONE UINT32_MAX
#define PA_BITWORDS 64u /* bitmap words per slab: 4096 objects */

enum pa_kind { PA_UNUSED = 0, PA_FREE, PA_LARGE, PA_SLAB };

/* Per arena page; only a span's first and last pages carry len and kind (slab pages all do). */
struct pa_meta {
  uint32_t len;        /* pages in the span */
  uint32_t slab;       /* slab id + 1 for slab pages */
  uint32_t next, prev; /* free-bin links (first page of a free span) */
  uint8_t kind, zero;  /* zero: a free span whose pages are all in the zero state */
};

struct pa_slab {
  uint32_t page, next, prev; /* first page; partial-list links (slab ids) */
  uint16_t cls, nfree, hint;
  uint64_t bits[PA_BITWORDS]; /* 1: in use */
};

struct pa_class {
  pthread_mutex_t lock;
  uint32_t size, pages, nobj, partial; /* partial: first slab id with a free object */
};

static struct pa_meta *meta;
static struct pa_slab *slabs;
static uint32_t nslabs_max, slab_top, slab_free = PA_NONE;
static struct pa_class cls[PA_NCLS];
static uint8_t size_cls[PA_SMALL_MAX / 16 + 1];
static uint32_t bins[32];
static size_t top; /* first never-used page */
static pthread_mutex_t span_lock = PTHREAD_MUTEX_INITIALIZER;

static void *map_noreserve(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    pg_fatal("cannot reserve %zu bytes of allocator metadata: %s", bytes, strerror(errno));
  return p;
}

static void init_classes(void) {
  unsigned n = 0;
  for (uint32_t s = 16; s <= 128; s += 16)
    cls[n++].size = s;
  for (uint32_t base = 128; base < PA_SMALL_MAX; base *= 2)
    for (uint32_t q = 5; q <= 8; q++)
      cls[n++].size = base * q / 4;
  unsigned c = 0;
  for (unsigned i = 0; i <= PA_SMALL_MAX / 16; i++) {
    while (cls[c].size < i * 16)
      c++;
    size_cls[i] = (uint8_t)c;
  }
  for (c = 0; c < PA_NCLS; c++) {
    pthread_mutex_init(&cls[c].lock, NULL);
    cls[c].pages = cls[c].size <= 1024 ? 16 : 64;
    cls[c].nobj = (cls[c].pages << PG_SHIFT) / cls[c].size;
    cls[c].partial = PA_NONE;
  }
}

void pa_init(void) {
  meta = map_noreserve(pg.npages * sizeof *meta);
  nslabs_max = (uint32_t)(pg.npages / 16 + 1);
  slabs = map_noreserve((size_t)nslabs_max * sizeof *slabs);
  for (unsigned b = 0; b < 32; b++)
    bins[b] = PA_NONE;
  init_classes();
}

/* ---- Page spans (span_lock held) ---- */

static unsigned bin_of(uint32_t n) { return 31u - (unsigned)__builtin_clz(n); }

static void set_span(size_t p, uint32_t n, uint8_t kind, uint8_t zero) {
  meta[p].len = meta[p + n - 1].len = n;
  meta[p].kind = meta[p + n - 1].kind = kind;
  meta[p].zero = meta[p + n - 1].zero = zero;
  meta[p].slab = 0;
}

static void bin_insert(size_t p) {
  uint32_t *head = &bins[bin_of(meta[p].len)];
  meta[p].next = *head;
  meta[p].prev = PA_NONE;
  if (*head != PA_NONE)
    meta[*head].prev = (uint32_t)p;
  *head = (uint32_t)p;
}

static void bin_remove(size_t p) {
  if (meta[p].prev != PA_NONE)
    meta[meta[p].prev].next = meta[p].next;
  else
    bins[bin_of(meta[p].len)] = meta[p].next;
  if (meta[p].next != PA_NONE)
    meta[meta[p].next].prev = meta[p].prev;
}

/* A free span of n pages or more: the first fit in n's bin, else the first of a larger bin. */
static size_t find_free(uint32_t n) {
  for (unsigned b = bin_of(n); b < 32; b++)
    for (uint32_t p = bins[b]; p != PA_NONE; p = meta[p].next)
      if (meta[p].len >= n)
        return p;
  return PA_NONE;
}

/* Takes n pages; *zero tells whether they are all in the zero state. PA_NONE when the arena is full. */
static size_t span_take(uint32_t n, int *zero) {
  size_t p = find_free(n);
  if (p == PA_NONE) {
    if (top + n > pg.npages)
      return PA_NONE;
    p = top;
    top += n;
    *zero = 1;
    return p;
  }
  bin_remove(p);
  *zero = meta[p].zero;
  uint32_t len = meta[p].len;
  if (len > n) {
    set_span(p + n, len - n, PA_FREE, meta[p].zero);
    bin_insert(p + n);
  }
  return p;
}

static void discard_if_dirty(size_t p, uint32_t n, int zero) {
  if (!zero)
    pg_discard(p, n);
}

/* Frees n pages at p, merging with free neighbours; a result of PA_DISCARD_PAGES or more is made
 * zero (only its parts that were not). */
static void span_release(size_t p, uint32_t n, int zero) {
  size_t lo = p, hi = p + n;
  int lo_zero = 1, hi_zero = 1;
  uint32_t lo_len = 0, hi_len = 0;
  if (p > 0 && meta[p - 1].kind == PA_FREE) {
    lo_len = meta[p - 1].len;
    lo = p - lo_len;
    lo_zero = meta[lo].zero;
    bin_remove(lo);
  }
  if (hi < top && meta[hi].kind == PA_FREE) {
    hi_len = meta[hi].len;
    hi_zero = meta[hi].zero;
    bin_remove(hi);
    hi += hi_len;
  }
  uint32_t len = (uint32_t)(hi - lo);
  int all_zero = zero && lo_zero && hi_zero;
  if (len >= PA_DISCARD_PAGES && !all_zero) {
    discard_if_dirty(lo, lo_len, lo_zero);
    discard_if_dirty(p, n, zero);
    discard_if_dirty(p + n, hi_len, hi_zero);
    all_zero = 1;
  }
  set_span(lo, len, PA_FREE, (uint8_t)all_zero);
  bin_insert(lo);
}

/* ---- Large blocks ---- */

static void *large_alloc(size_t size, size_t align, int *zero) {
  size_t n = (size + PG_SIZE - 1) >> PG_SHIFT, extra = align > PG_SIZE ? (align >> PG_SHIFT) - 1 : 0;
  if (size == 0 || n + extra > UINT32_MAX / 2 || n + extra > pg.npages)
    return NULL;
  pthread_mutex_lock(&span_lock);
  size_t p = span_take((uint32_t)(n + extra), zero);
  if (p != PA_NONE && extra) { /* give back the pages before and after the aligned block */
    size_t start = (((uintptr_t)pg_addr(p) + align - 1) & ~(uintptr_t)(align - 1)) - (uintptr_t)pg.base;
    size_t head = (start >> PG_SHIFT) - p, tail = extra - head;
    if (head)
      set_span(p, (uint32_t)head, PA_LARGE, 0);
    if (tail)
      set_span(p + head + n, (uint32_t)tail, PA_LARGE, 0);
    set_span(p + head, (uint32_t)n, PA_LARGE, 0);
    if (head)
      span_release(p, (uint32_t)head, *zero);
    if (tail)
      span_release(p + head + n, (uint32_t)tail, *zero);
    p += head;
  } else if (p != PA_NONE) {
    set_span(p, (uint32_t)n, PA_LARGE, 0);
  }
  pthread_mutex_unlock(&span_lock);
  return p == PA_NONE ? NULL : pg_addr(p);
}

/* Grows or shrinks the large block at page p to n pages in place; 0 on success. */
static int large_resize(size_t p, uint32_t n) {
  uint32_t have = meta[p].len;
  int ok = 1;
  pthread_mutex_lock(&span_lock);
  if (n < have) {
    set_span(p, n, PA_LARGE, 0);
    span_release(p + n, have - n, 0);
  } else if (n > have && p + have == top && top + (n - have) <= pg.npages) {
    top += n - have;
    set_span(p, n, PA_LARGE, 0);
  } else if (n > have && p + have < top && meta[p + have].kind == PA_FREE && have + meta[p + have].len >= n) {
    size_t q = p + have;
    uint32_t qlen = meta[q].len;
    uint8_t qzero = meta[q].zero;
    bin_remove(q);
    if (have + qlen > n) {
      set_span(p + n, have + qlen - n, PA_FREE, qzero);
      bin_insert(p + n);
    }
    set_span(p, n, PA_LARGE, 0);
  } else {
    ok = n == have;
  }
  pthread_mutex_unlock(&span_lock);
  return ok ? 0 : -1;
}

/* ---- Slabs ---- */

static uint32_t slab_new(unsigned c) {
  pthread_mutex_lock(&span_lock);
  int zero;
  size_t p = span_take(cls[c].pages, &zero);
  uint32_t id = PA_NONE;
  if (p != PA_NONE) {
    id = slab_free != PA_NONE ? slab_free : slab_top++;
    if (id == slab_free)
      slab_free = slabs[id].next;
    for (uint32_t i = 0; i < cls[c].pages; i++)
      meta[p + i] = (struct pa_meta){.len = cls[c].pages, .slab = id + 1, .kind = PA_SLAB};
  }
  pthread_mutex_unlock(&span_lock);
  if (id != PA_NONE) {
    struct pa_slab *s = &slabs[id];
    *s = (struct pa_slab){.page = (uint32_t)p, .cls = (uint16_t)c, .nfree = (uint16_t)cls[c].nobj,
                          .next = PA_NONE, .prev = PA_NONE};
    for (uint32_t i = cls[c].nobj; i < PA_BITWORDS * 64; i++) /* past the end: never handed out */
      s->bits[i / 64] |= 1ull << (i % 64);
  }
  return id;
}

static void slab_release(uint32_t id) {
  pthread_mutex_lock(&span_lock);
  span_release(slabs[id].page, cls[slabs[id].cls].pages, 0);
  slabs[id].next = slab_free;
  slab_free = id;
  pthread_mutex_unlock(&span_lock);
}

static void partial_push(struct pa_class *k, uint32_t id) {
  slabs[id].prev = PA_NONE;
  slabs[id].next = k->partial;
  if (k->partial != PA_NONE)
    slabs[k->partial].prev = id;
  k->partial = id;
}

static void partial_remove(struct pa_class *k, uint32_t id) {
  if (slabs[id].prev != PA_NONE)
    slabs[slabs[id].prev].next = slabs[id].next;
  else
    k->partial = slabs[id].next;
  if (slabs[id].next != PA_NONE)
    slabs[slabs[id].next].prev = slabs[id].prev;
}

static unsigned take_bit(struct pa_slab *s) {
  for (unsigned w = s->hint;; w = (w + 1) % PA_BITWORDS) {
    if (~s->bits[w]) {
      unsigned b = (unsigned)__builtin_ctzll(~s->bits[w]);
      s->bits[w] |= 1ull << b;
      s->hint = (uint16_t)w;
      return w * 64 + b;
    }
  }
}

static void *small_alloc(unsigned c) {
  struct pa_class *k = &cls[c];
  pthread_mutex_lock(&k->lock);
  uint32_t id = k->partial;
  if (id == PA_NONE && (id = slab_new(c)) != PA_NONE)
    partial_push(k, id);
  void *p = NULL;
  if (id != PA_NONE) {
    struct pa_slab *s = &slabs[id];
    p = pg_addr(s->page) + (size_t)take_bit(s) * k->size;
    if (--s->nfree == 0)
      partial_remove(k, id);
  }
  pthread_mutex_unlock(&k->lock);
  return p;
}

static void small_free(uint32_t id, const char *p) {
  struct pa_slab *s = &slabs[id];
  struct pa_class *k = &cls[s->cls];
  size_t off = (size_t)(p - pg_addr(s->page));
  pthread_mutex_lock(&k->lock);
  unsigned i = (unsigned)(off / k->size);
  if (off % k->size || i >= k->nobj || !(s->bits[i / 64] & (1ull << (i % 64))))
    pg_fatal("free(%p): not an allocated block (double free?)", (const void *)p);
  s->bits[i / 64] &= ~(1ull << (i % 64));
  if (s->nfree++ == 0)
    partial_push(k, id);
  if (s->nfree == k->nobj && (k->partial != id || s->next != PA_NONE)) {
    partial_remove(k, id); /* empty and not the class's only partial slab: give the pages back */
    slab_release(id);
  }
  pthread_mutex_unlock(&k->lock);
}

/* ---- The API used by paging_malloc.c ---- */

void *pa_malloc(size_t size) {
  int zero;
  void *p = size <= PA_SMALL_MAX ? small_alloc(size_cls[(size + 15) / 16]) : large_alloc(size, 0, &zero);
  if (!p)
    errno = ENOMEM;
  return p;
}

void *pa_calloc(size_t size) {
  int zero = 0;
  void *p = size <= PA_SMALL_MAX ? small_alloc(size_cls[(size + 15) / 16]) : large_alloc(size, 0, &zero);
  if (!p)
    errno = ENOMEM;
  else if (!zero)
    memset(p, 0, size);
  return p;
}

void *pa_memalign(size_t align, size_t size) {
  if (align <= 16)
    return pa_malloc(size);
  if (align <= PG_SIZE && size <= PA_SMALL_MAX)
    for (unsigned c = size_cls[(size + 15) / 16]; c < PA_NCLS; c++)
      if (cls[c].size % align == 0) {
        void *p = small_alloc(c);
        if (!p)
          errno = ENOMEM;
        return p;
      }
  int zero;
  void *p = large_alloc(size ? size : 1, align, &zero);
  if (!p)
    errno = ENOMEM;
  return p;
}

size_t pa_usable(const void *p) {
  const struct pa_meta *m = &meta[pg_index(p)];
  if (m->kind == PA_SLAB)
    return cls[slabs[m->slab - 1].cls].size;
  return (size_t)m->len << PG_SHIFT;
}

void pa_free(void *p) {
  size_t i = pg_index(p);
  struct pa_meta *m = &meta[i];
  if (m->kind == PA_SLAB && m->slab) {
    small_free(m->slab - 1, p);
  } else if (m->kind == PA_LARGE && p == pg_addr(i)) {
    pthread_mutex_lock(&span_lock);
    span_release(i, m->len, 0);
    pthread_mutex_unlock(&span_lock);
  } else {
    pg_fatal("free(%p): not an allocated block", p);
  }
}

void *pa_realloc(void *p, size_t size) {
  size_t have = pa_usable(p), i = pg_index(p);
  if (size > (pg.npages << PG_SHIFT)) {
    errno = ENOMEM;
    return NULL;
  }
  if (meta[i].kind == PA_SLAB && size <= have && size > have / 2)
    return p;
  if (meta[i].kind == PA_LARGE && size > PA_SMALL_MAX &&
      large_resize(i, (uint32_t)((size + PG_SIZE - 1) >> PG_SHIFT)) == 0)
    return p;
  void *q = pa_malloc(size);
  if (q) {
    memcpy(q, p, have < size ? have : size);
    pa_free(p);
  }
  return q;
}
