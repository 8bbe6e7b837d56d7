/* The engine under far arrays and vectors: a sequence of elements stored in fixed-size far chunks.
 *
 * Element i lives in chunk i / per at slot i % per (per = chunk bytes / element size). A local
 * "spine" holds each chunk's far address, so indexing costs one local load, growth appends chunks
 * without copying anything, and an offloaded operation can be handed the chunk list as (class, id)
 * pairs. The typed macros pass the geometry as constants, so the divisions fold away.
 *
 * Prefetching: element accesses feed a per-sequence stride detector over chunk numbers (it sees this
 * sequence's own stream, which the runtime's per-site detector cannot separate from other sequences);
 * iterators and bulk operations prefetch the AIFM window ahead of themselves. */
#ifndef FAR_DS_SEQ_H
#define FAR_DS_SEQ_H

#include <far/ds/common.h>
#include <stdatomic.h>

/* Preferred chunk size of arrays and vectors: small enough that a random access fetches little. */
#ifndef FARDS_SEQ_CHUNK
#define FARDS_SEQ_CHUNK (4u << 10)
#endif

/* The most chunk bytes a sequence may span: a far address has 51 bits of offset per size class, so
 * no more could ever be allocated. Checked before the spine grows, whose byte size could otherwise
 * wrap into a small allocation. */
#define FARDS_SEQ_MAX_BYTES ((size_t)1 << 51)

/* Chunks a confirmed stride prefetches ahead of the access stream. */
#ifndef FARDS_STRIDE_DEPTH
#define FARDS_STRIDE_DEPTH 16u
#endif

/* The last chunk the access stream touched, the step between the last two chunks, and how many times
 * in a row that step repeated. Relaxed atomics: concurrent readers only blur the prediction. */
struct fards_stride {
  _Atomic size_t last;
  _Atomic ptrdiff_t step;
  _Atomic unsigned run;
};

struct fards_seq {
  void **chunk;     /* far address of each chunk */
  size_t nchunks;   /* chunks allocated */
  size_t spine_cap; /* entries the chunk array has room for */
  size_t len;       /* elements in use */
  struct fards_stride stride;
};

static inline void fards_seq_init(struct fards_seq *s) {
  s->chunk = NULL;
  s->nchunks = s->spine_cap = s->len = 0;
  atomic_init(&s->stride.last, SIZE_MAX);
  atomic_init(&s->stride.step, 0);
  atomic_init(&s->stride.run, 0);
}

static inline void fards_seq_destroy(struct fards_seq *s) {
  for (size_t c = 0; c < s->nchunks; c++)
    far_free(s->chunk[c]);
  free(s->chunk);
  fards_seq_init(s);
}

/* Makes room for n elements: appends zero-filled chunks. Returns 0, or -1 when memory ran out or n
 * is more than a spine could ever index (the sequence is unchanged apart from chunks already
 * appended). */
static inline int fards_seq_grow(struct fards_seq *s, size_t n, struct fards_geom g) {
  size_t need = n / g.per + (n % g.per != 0);
  if (need > FARDS_SEQ_MAX_BYTES / g.cb) /* more than the far heap could ever hold */
    return -1;
  if (need > s->spine_cap) {
    size_t cap = s->spine_cap ? s->spine_cap * 2 : 8;
    if (cap < need)
      cap = need;
    void **spine = (void **)realloc(s->chunk, cap * sizeof *spine);
    if (!spine)
      return -1;
    s->chunk = spine;
    s->spine_cap = cap;
  }
  while (s->nchunks < need) {
    void *c = far_calloc(1, g.cb);
    if (!c)
      return -1;
    s->chunk[s->nchunks++] = c;
  }
  return 0;
}

/* Frees the chunks not needed for the first n elements. */
static inline void fards_seq_trim(struct fards_seq *s, size_t n, struct fards_geom g) {
  size_t need = n / g.per + (n % g.per != 0);
  while (s->nchunks > need)
    far_free(s->chunk[--s->nchunks]);
}

static inline char *fards_seq_addr(const struct fards_seq *s, size_t i, struct fards_geom g) {
  return (char *)s->chunk[i / g.per] + (i % g.per) * g.es;
}

/* Prefetches count chunks first, first+step, ... that exist; neighbours adjacent in far memory go out
 * as one request. */
static inline void fards_seq_prefetch_chunks(const struct fards_seq *s, size_t first,
                                             ptrdiff_t step, size_t count, size_t cb) {
  struct fards_prefetch_run run = {NULL, 0};
  for (size_t k = 0; k < count; k++) {
    ptrdiff_t c = (ptrdiff_t)first + (ptrdiff_t)k * step;
    if (c < 0 || (size_t)c >= s->nchunks)
      break;
    fards_run_add(&run, s->chunk[c], cb);
  }
  fards_run_flush(&run);
}

/* A stream over chunks up to `last` entered chunk c: prefetch its window (see fards_window_cross). */
static inline void fards_seq_cross(const struct fards_seq *s, size_t c, size_t last, size_t *ahead,
                                   size_t cb) {
  size_t lo, hi;
  if (c >= last || !fards_window_cross(ahead, fards_window_chunks(cb), &lo, &hi))
    return;
  if (hi > last - c)
    hi = last - c;
  if (lo <= hi)
    fards_seq_prefetch_chunks(s, c + lo, 1, hi - lo + 1, cb);
}

/* The stride detector's slow half: the stream moved to a new chunk c. Two equal steps in a row
 * prefetch FARDS_STRIDE_DEPTH chunks along the stride; each further equal step one more. */
__attribute__((noinline, unused)) static void fards_seq_observe_step(struct fards_seq *s, size_t c,
                                                                      size_t cb) {
  struct fards_stride *d = &s->stride;
  ptrdiff_t step = (ptrdiff_t)(c - atomic_load_explicit(&d->last, memory_order_relaxed));
  unsigned run = 0;
  if (step == atomic_load_explicit(&d->step, memory_order_relaxed))
    run = atomic_load_explicit(&d->run, memory_order_relaxed) + 1;
  atomic_store_explicit(&d->last, c, memory_order_relaxed);
  atomic_store_explicit(&d->step, step, memory_order_relaxed);
  atomic_store_explicit(&d->run, run, memory_order_relaxed);
  size_t depth = fards_window_chunks(cb);
  if (depth > FARDS_STRIDE_DEPTH)
    depth = FARDS_STRIDE_DEPTH;
  if (run == 1)
    fards_seq_prefetch_chunks(s, c + step, step, depth, cb);
  else if (run > 1)
    fards_seq_prefetch_chunks(s, c + step * (ptrdiff_t)depth, step, 1, cb);
}

/* Feeds an access to element i to the stride detector: one compare unless the chunk changed. */
static inline void fards_seq_observe(struct fards_seq *s, size_t i, struct fards_geom g) {
  size_t c = i / g.per;
  if (atomic_load_explicit(&s->stride.last, memory_order_relaxed) != c)
    fards_seq_observe_step(s, c, g.cb);
}

static inline void fards_seq_check(const struct fards_seq *s, size_t i, const char *fn) {
  if (i >= s->len)
    fards_out_of_range(fn, i, s->len);
}

static inline void fards_seq_check_range(const struct fards_seq *s, size_t from, size_t to,
                                         const char *fn) {
  if (from > to || to > s->len)
    fards_out_of_range(fn, from > to ? from : to, s->len);
}

/* Explicit prefetch of elements [from, from + n), clipped to the sequence. */
static inline void fards_seq_prefetch(const struct fards_seq *s, size_t from, size_t n,
                                      struct fards_geom g) {
  if (from >= s->len || n == 0)
    return;
  size_t to = n > s->len - from ? s->len : from + n;
  size_t c0 = from / g.per, c1 = (to - 1) / g.per;
  fards_seq_prefetch_chunks(s, c0, 1, c1 - c0 + 1, g.cb);
}

/* ---- Spans: bulk operations visit a range one chunk piece at a time, each inside one scope. ---- */

struct fards_span {
  struct fards_seq *s;
  size_t next, end; /* elements still to visit */
  size_t index, n;  /* the current piece: elements [index, index + n) ... */
  void *local;      /* ... at this local address, valid until the next fards_span_next */
  size_t ahead;     /* chunks prefetched beyond the current one */
  unsigned char open, mode, write;
};

static inline void fards_span_begin(struct fards_span *sp, struct fards_seq *s, size_t from,
                                    size_t to, int mode, int write) {
  sp->s = s;
  sp->next = from;
  sp->end = to;
  sp->index = sp->n = sp->ahead = 0;
  sp->local = NULL;
  sp->open = 0;
  sp->mode = (unsigned char)mode;
  sp->write = (unsigned char)write;
}

/* Closes the current piece's scope; needed only when leaving a span loop early. */
static inline void fards_span_stop(struct fards_span *sp) {
  if (sp->open)
    far_scope_exit();
  sp->open = 0;
}

/* Moves to the next piece; returns 0 at the end of the range. A bulk operation knows its extent, so
 * it prefetches its window from the first piece on. Don't-cache spans do not prefetch: a prefetched
 * chunk would enter the cache like any other. */
static inline int fards_span_next(struct fards_span *sp, struct fards_geom g) {
  fards_span_stop(sp);
  if (sp->next >= sp->end)
    return 0;
  size_t c = sp->next / g.per, off = sp->next % g.per;
  size_t n = g.per - off;
  if (n > sp->end - sp->next)
    n = sp->end - sp->next;
  if (sp->mode == FARDS_CACHE)
    fards_seq_cross(sp->s, c, (sp->end - 1) / g.per, &sp->ahead, g.cb);
  far_scope_enter(FARDS_SITE_SEQ);
  sp->open = 1;
  char *p = (char *)sp->s->chunk[c] + off * g.es;
  sp->local = sp->write ? fards_write(p, n * g.es, FARDS_SITE_SEQ, sp->mode)
                        : (void *)fards_read(p, n * g.es, FARDS_SITE_SEQ, sp->mode);
  sp->index = sp->next;
  sp->n = n;
  sp->next += n;
  return 1;
}

/* Copies elements [from, from + n) out to buf (write = 0) or in from buf (write = 1). */
static inline void fards_seq_copy(struct fards_seq *s, size_t from, void *buf, size_t n,
                                  struct fards_geom g, int mode, int write) {
  struct fards_span sp;
  char *b = (char *)buf;
  fards_span_begin(&sp, s, from, from + n, mode, write);
  while (fards_span_next(&sp, g)) {
    char *dst = write ? (char *)sp.local : b, *src = write ? b : (char *)sp.local;
    memcpy(dst, src, sp.n * g.es);
    b += sp.n * g.es;
  }
}

/* Zero-fills elements [from, to). */
static inline void fards_seq_zero(struct fards_seq *s, size_t from, size_t to, struct fards_geom g) {
  struct fards_span sp;
  fards_span_begin(&sp, s, from, to, FARDS_CACHE, 1);
  while (fards_span_next(&sp, g))
    memset(sp.local, 0, sp.n * g.es);
}

/* Calls fn on each element of [from, to) with a local pointer valid during the call; stops at, and
 * returns, the first nonzero result. Shared body of the typed for_each (const) and transform. */
#define FARDS_SEQ_VISIT_(seq, from, to, mode, write, ET, geom, fn, ctx)                          \
  do {                                                                                           \
    struct fards_span sp_;                                                                       \
    fards_span_begin(&sp_, (seq), (from), (to), (mode), (write));                                \
    while (fards_span_next(&sp_, (geom))) {                                                      \
      ET *e_ = (ET *)sp_.local;                                                                  \
      for (size_t k_ = 0; k_ < sp_.n; k_++) {                                                    \
        int r_ = (fn)(&e_[k_], sp_.index + k_, (ctx));                                           \
        if (r_) {                                                                                \
          fards_span_stop(&sp_);                                                                 \
          return r_;                                                                             \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
    return 0;                                                                                    \
  } while (0)

/* ---- Element iterators: one scope per element, prefetching on chunk crossings. ---- */

struct fards_seq_iter {
  struct fards_seq *s;
  size_t i, end; /* next element, end of the range */
  size_t chunk;  /* chunk of the previous element (SIZE_MAX before the first) */
  size_t ahead;  /* chunks prefetched beyond the current one */
  int mode;
};

static inline struct fards_seq_iter fards_seq_iter_make(struct fards_seq *s, size_t from,
                                                        size_t to, int mode) {
  struct fards_seq_iter it = {s, from, to, SIZE_MAX, 0, mode};
  return it;
}

/* Copies the next element to out and advances; returns 0 at the end of the range. Entering a new
 * chunk after the first one prefetches the AIFM window (see fards_window_cross). Always inlined
 * with its load, so the element size is a constant and the copy a single move: called out of line
 * the per-element call, scope and memcpy call cost as much as streaming the data in. */
__attribute__((always_inline)) static inline int fards_seq_iter_next(struct fards_seq_iter *it, void *out, struct fards_geom g) {
  if (it->i >= it->end)
    return 0;
  size_t c = it->i / g.per;
  if (c != it->chunk) {
    if (it->chunk != SIZE_MAX && it->mode == FARDS_CACHE)
      fards_seq_cross(it->s, c, (it->end - 1) / g.per, &it->ahead, g.cb);
    it->chunk = c;
  }
  fards_load(out, fards_seq_addr(it->s, it->i, g), g.es, FARDS_SITE_SEQ, it->mode);
  it->i++;
  return 1;
}

/* ---- The typed interface array.h and vector.h share. ---- */

/* Declares type `name` (a sequence of T in chunks of about PREF bytes) and its shared functions. */
#define FARDS_SEQ_DECLARE(name, T, PREF)                                                         \
  _Static_assert(sizeof(T) <= FARDS_CHUNK_MAX, #name ": element larger than the largest chunk"); \
  typedef T name##_elem; /* so that const name##_elem * is right for pointer types too */        \
  typedef struct name {                                                                          \
    struct fards_seq seq;                                                                        \
  } name;                                                                                        \
  typedef struct name##_iter {                                                                   \
    struct fards_seq_iter it;                                                                    \
  } name##_iter;                                                                                 \
  FARDS_API struct fards_geom name##_geom_(void) {                                                \
    struct fards_geom g = {sizeof(T), FARDS_CHUNK_BYTES(sizeof(T), (PREF)) / sizeof(T),          \
                           FARDS_CHUNK_BYTES(sizeof(T), (PREF))};                                \
    return g;                                                                                    \
  }                                                                                              \
  FARDS_API name *name##_alloc_(void) {                                                           \
    name *v = (name *)malloc(sizeof *v);                                                         \
    if (v)                                                                                       \
      fards_seq_init(&v->seq);                                                                   \
    return v;                                                                                    \
  }                                                                                              \
  FARDS_API void name##_free(name *v) {                                                           \
    if (!v)                                                                                      \
      return;                                                                                    \
    fards_seq_destroy(&v->seq);                                                                  \
    free(v);                                                                                     \
  }                                                                                              \
  FARDS_API size_t name##_size(const name *v) { return v->seq.len; }                              \
  FARDS_API T name##_get_mode_(name *v, size_t i, int mode, const char *fn) {                     \
    T x;                                                                                         \
    fards_seq_check(&v->seq, i, fn);                                                             \
    if (mode == FARDS_CACHE)                                                                     \
      fards_seq_observe(&v->seq, i, name##_geom_());                                             \
    fards_load(&x, fards_seq_addr(&v->seq, i, name##_geom_()), sizeof(T), FARDS_SITE_SEQ, mode); \
    return x;                                                                                    \
  }                                                                                              \
  FARDS_API void name##_set_mode_(name *v, size_t i, T x, int mode, const char *fn) {             \
    fards_seq_check(&v->seq, i, fn);                                                             \
    if (mode == FARDS_CACHE)                                                                     \
      fards_seq_observe(&v->seq, i, name##_geom_());                                             \
    fards_store(fards_seq_addr(&v->seq, i, name##_geom_()), &x, sizeof(T), FARDS_SITE_SEQ, mode); \
  }                                                                                              \
  FARDS_API T name##_get(name *v, size_t i) {                                                     \
    return name##_get_mode_(v, i, FARDS_CACHE, #name "_get");                                    \
  }                                                                                              \
  FARDS_API T name##_get_nt(name *v, size_t i) {                                                  \
    return name##_get_mode_(v, i, FARDS_NOCACHE, #name "_get_nt");                               \
  }                                                                                              \
  FARDS_API void name##_set(name *v, size_t i, T x) {                                             \
    name##_set_mode_(v, i, x, FARDS_CACHE, #name "_set");                                        \
  }                                                                                              \
  FARDS_API void name##_set_nt(name *v, size_t i, T x) {                                          \
    name##_set_mode_(v, i, x, FARDS_NOCACHE, #name "_set_nt");                                   \
  }                                                                                              \
  /* Local pointers for code inside its own scope (__scope or far_scope_enter): valid until that \
   * scope exits. */                                                                             \
  FARDS_API const name##_elem *name##_at(name *v, size_t i) {                                    \
    fards_seq_check(&v->seq, i, #name "_at");                                                    \
    fards_seq_observe(&v->seq, i, name##_geom_());                                               \
    return (const name##_elem *)far_read(fards_seq_addr(&v->seq, i, name##_geom_()), sizeof(T),  \
                               FARDS_SITE_SEQ);                                                  \
  }                                                                                              \
  FARDS_API T *name##_at_mut(name *v, size_t i) {                                                 \
    fards_seq_check(&v->seq, i, #name "_at_mut");                                                \
    fards_seq_observe(&v->seq, i, name##_geom_());                                               \
    return (T *)far_write(fards_seq_addr(&v->seq, i, name##_geom_()), sizeof(T),                 \
                          FARDS_SITE_SEQ);                                                       \
  }                                                                                              \
  FARDS_API void name##_copy_out(name *v, size_t from, T *dst, size_t n) {                        \
    fards_seq_check_range(&v->seq, from, from + n, #name "_copy_out");                           \
    fards_seq_copy(&v->seq, from, dst, n, name##_geom_(), FARDS_CACHE, 0);                       \
  }                                                                                              \
  FARDS_API void name##_copy_out_nt(name *v, size_t from, T *dst, size_t n) {                     \
    fards_seq_check_range(&v->seq, from, from + n, #name "_copy_out_nt");                        \
    fards_seq_copy(&v->seq, from, dst, n, name##_geom_(), FARDS_NOCACHE, 0);                     \
  }                                                                                              \
  FARDS_API void name##_copy_in(name *v, size_t from, const name##_elem *src, size_t n) {        \
    fards_seq_check_range(&v->seq, from, from + n, #name "_copy_in");                            \
    fards_seq_copy(&v->seq, from, (void *)src, n, name##_geom_(), FARDS_CACHE, 1);               \
  }                                                                                              \
  FARDS_API int name##_for_each(name *v, size_t from, size_t to,                                  \
                                    int (*fn)(const name##_elem *, size_t, void *), void *ctx) { \
    fards_seq_check_range(&v->seq, from, to, #name "_for_each");                                 \
    FARDS_SEQ_VISIT_(&v->seq, from, to, FARDS_CACHE, 0,                                          \
        const name##_elem, name##_geom_(), fn, ctx);                                             \
  }                                                                                              \
  FARDS_API int name##_for_each_nt(name *v, size_t from, size_t to,                               \
                                       int (*fn)(const name##_elem *, size_t, void *),           \
                                       void *ctx) {                                              \
    fards_seq_check_range(&v->seq, from, to, #name "_for_each_nt");                              \
    FARDS_SEQ_VISIT_(&v->seq, from, to, FARDS_NOCACHE, 0,                                        \
        const name##_elem, name##_geom_(), fn, ctx);                                             \
  }                                                                                              \
  FARDS_API int name##_transform(name *v, size_t from, size_t to,                                 \
                                     int (*fn)(T *, size_t, void *), void *ctx) {                \
    fards_seq_check_range(&v->seq, from, to, #name "_transform");                                \
    FARDS_SEQ_VISIT_(&v->seq, from, to, FARDS_CACHE, 1, T, name##_geom_(), fn, ctx);             \
  }                                                                                              \
  FARDS_API void name##_prefetch(name *v, size_t from, size_t n) {                                \
    fards_seq_prefetch(&v->seq, from, n, name##_geom_());                                        \
  }                                                                                              \
  FARDS_API name##_iter name##_iter_range(name *v, size_t from, size_t to, int mode) {            \
    fards_seq_check_range(&v->seq, from, to, #name "_iter_range");                               \
    name##_iter it = {fards_seq_iter_make(&v->seq, from, to, mode)};                             \
    return it;                                                                                   \
  }                                                                                              \
  FARDS_API name##_iter name##_begin(name *v) {                                                   \
    return name##_iter_range(v, 0, v->seq.len, FARDS_CACHE);                                     \
  }                                                                                              \
  FARDS_API int name##_next(name##_iter *it, T *out) {                                            \
    return fards_seq_iter_next(&it->it, out, name##_geom_());                                    \
  }                                                                                              \
  FARDS_API size_t name##_iter_index(const name##_iter *it) { return it->it.i; }

#endif
