/* The engine under far lists, stacks and queues: elements packed into far chunks, the chunks linked
 * by a local list of small descriptors.
 *
 * Each descriptor holds its chunk's far address and the occupied slot range [head, head + count), so
 * pushing at either end, popping, and inserting or erasing in the middle move at most one chunk's
 * elements, and the structure always knows the far addresses of the chunks ahead of a stream without
 * touching far memory: that is what lets iterators and pops prefetch the AIFM window (about 1 MiB of
 * chunks on the first chunk crossing, then a quarter of it at a time: fards_window_cross). Local cost: 40 bytes per
 * chunk. A chunk holds at least two elements, so a full chunk can always be split in two. */
#ifndef FAR_DS_CLIST_H
#define FAR_DS_CLIST_H

#include <far/ds/common.h>

/* Preferred chunk size of lists, stacks and queues. */
#ifndef FARDS_LIST_CHUNK
#define FARDS_LIST_CHUNK (16u << 10)
#endif

struct fards_cnode {
  struct fards_cnode *prev, *next;
  void *data;     /* the far chunk */
  uint32_t head;  /* slot of the first element */
  uint32_t count; /* elements, in slots [head, head + count); never 0 while linked */
};

struct fards_clist {
  struct fards_cnode *first, *last;
  size_t size;                    /* elements */
  size_t nchunks;                 /* chunks linked */
  size_t front_ahead, back_ahead; /* chunks prefetched ahead of the pop streams at either end */
};

/* Far address of the k-th element of chunk n. */
static inline char *fards_cnode_elem(const struct fards_cnode *n, uint32_t k, struct fards_geom g) {
  return (char *)n->data + (size_t)(n->head + k) * g.es;
}

static inline struct fards_cnode *fards_cnode_step(const struct fards_cnode *n, int back) {
  return back ? n->prev : n->next;
}

/* A new empty chunk whose first element will go at slot head; NULL when memory ran out. */
static inline struct fards_cnode *fards_cnode_new(struct fards_geom g, uint32_t head) {
  struct fards_cnode *n = (struct fards_cnode *)malloc(sizeof *n);
  if (!n)
    return NULL;
  n->data = far_malloc(g.cb);
  if (!n->data) {
    free(n);
    return NULL;
  }
  n->prev = n->next = NULL;
  n->head = head;
  n->count = 0;
  return n;
}

static inline void fards_clist_init(struct fards_clist *l) { memset(l, 0, sizeof *l); }

/* Links n after pos (pos NULL: at the front). */
static inline void fards_clist_link(struct fards_clist *l, struct fards_cnode *pos,
                                    struct fards_cnode *n) {
  n->prev = pos;
  n->next = pos ? pos->next : l->first;
  if (n->next)
    n->next->prev = n;
  else
    l->last = n;
  if (pos)
    pos->next = n;
  else
    l->first = n;
  l->nchunks++;
}

static inline void fards_clist_unlink(struct fards_clist *l, struct fards_cnode *n) {
  if (n->prev)
    n->prev->next = n->next;
  else
    l->first = n->next;
  if (n->next)
    n->next->prev = n->prev;
  else
    l->last = n->prev;
  l->nchunks--;
  far_free(n->data);
  free(n);
}

static inline void fards_clist_clear(struct fards_clist *l) {
  while (l->first)
    fards_clist_unlink(l, l->first);
  fards_clist_init(l);
}

/* A stream moving towards `back` entered chunk n: prefetch its window (see fards_window_cross),
 * chunks adjacent in far memory in one request. */
static inline void fards_clist_cross(const struct fards_cnode *n, int back, size_t *ahead,
                                     size_t cb) {
  size_t lo, hi;
  struct fards_prefetch_run run = {NULL, 0};
  if (!fards_window_cross(ahead, fards_window_chunks(cb), &lo, &hi))
    return;
  for (size_t d = 1; d <= hi && (n = fards_cnode_step(n, back)) != NULL; d++)
    if (d >= lo)
      fards_run_add(&run, n->data, cb);
  fards_run_flush(&run);
}

/* ---- Both ends: push, pop, peek. back = 1 is the back end, 0 the front. ---- */

/* Returns 0, or -1 when memory ran out (nothing changed). */
static inline int fards_clist_push(struct fards_clist *l, int back, const void *x,
                                   struct fards_geom g) {
  struct fards_cnode *n = back ? l->last : l->first;
  if (!n || (back ? n->head + n->count == g.per : n->head == 0)) {
    n = fards_cnode_new(g, back ? 0 : (uint32_t)g.per);
    if (!n)
      return -1;
    fards_clist_link(l, back ? l->last : NULL, n);
  }
  if (!back)
    n->head--;
  n->count++;
  l->size++;
  fards_store(fards_cnode_elem(n, back ? n->count - 1 : 0, g), x, g.es, FARDS_SITE_LIST,
              FARDS_CACHE);
  return 0;
}

/* Copies the element at that end to out; returns 0 when empty. */
static inline int fards_clist_peek(const struct fards_clist *l, int back, void *out,
                                   struct fards_geom g) {
  const struct fards_cnode *n = back ? l->last : l->first;
  if (!n)
    return 0;
  fards_load(out, fards_cnode_elem(n, back ? n->count - 1 : 0, g), g.es, FARDS_SITE_LIST,
             FARDS_CACHE);
  return 1;
}

/* Removes the element at that end into out (may be NULL); returns 0 when empty. Emptying a chunk
 * moves that end's stream into the next chunk, which prefetches its window. */
static inline int fards_clist_pop(struct fards_clist *l, int back, void *out, struct fards_geom g) {
  if (out && !fards_clist_peek(l, back, out, g))
    return 0;
  struct fards_cnode *n = back ? l->last : l->first;
  if (!n)
    return 0;
  if (!back)
    n->head++;
  n->count--;
  l->size--;
  if (n->count == 0) {
    size_t *ahead = back ? &l->back_ahead : &l->front_ahead;
    fards_clist_unlink(l, n);
    n = back ? l->last : l->first;
    if (n)
      fards_clist_cross(n, back, ahead, g.cb);
    else
      *ahead = 0;
  }
  return 1;
}

/* ---- The middle: insert and erase at a position (chunk n, k-th element of n). ---- */

/* Moves the upper half of full chunk n into a new chunk linked after it. */
static inline int fards_clist_split(struct fards_clist *l, struct fards_cnode *n,
                                    struct fards_geom g) {
  struct fards_cnode *m = fards_cnode_new(g, 0);
  if (!m)
    return -1;
  uint32_t move = n->count / 2;
  far_scope_enter(FARDS_SITE_LIST);
  const char *src = (const char *)far_read(fards_cnode_elem(n, n->count - move, g),
                                           move * g.es, FARDS_SITE_LIST);
  memcpy(far_write(m->data, move * g.es, FARDS_SITE_LIST), src, move * g.es);
  far_scope_exit();
  m->count = move;
  n->count -= move;
  fards_clist_link(l, n, m);
  return 0;
}

/* Inserts x as the k-th element of chunk *pn; on return (*pn, *pk) is the position just after it.
 * Returns 0, or -1 when memory ran out (nothing changed). */
static inline int fards_clist_insert_at(struct fards_clist *l, struct fards_cnode **pn,
                                        uint32_t *pk, const void *x, struct fards_geom g) {
  struct fards_cnode *n = *pn;
  uint32_t k = *pk;
  if (n->count == g.per) {
    if (fards_clist_split(l, n, g) != 0)
      return -1;
    if (k > n->count) {
      k -= n->count;
      n = n->next;
    }
  }
  far_scope_enter(FARDS_SITE_LIST);
  char *d = (char *)far_write(n->data, g.cb, FARDS_SITE_LIST);
  if (n->head + n->count < g.per) {
    char *at = d + (size_t)(n->head + k) * g.es;
    memmove(at + g.es, at, (size_t)(n->count - k) * g.es);
  } else {
    memmove(d + (size_t)(n->head - 1) * g.es, d + (size_t)n->head * g.es, (size_t)k * g.es);
    n->head--;
  }
  memcpy(d + (size_t)(n->head + k) * g.es, x, g.es);
  far_scope_exit();
  n->count++;
  l->size++;
  *pn = n;
  *pk = k + 1;
  return 0;
}

/* Folds n's successor into n when together they fill at most half a chunk, so erasing in the middle
 * never leaves a trail of nearly empty chunks. Logical positions within n do not change. */
static inline void fards_clist_merge_next(struct fards_clist *l, struct fards_cnode *n,
                                          struct fards_geom g) {
  struct fards_cnode *m = n->next;
  if (!m || n->count + m->count > g.per / 2)
    return;
  far_scope_enter(FARDS_SITE_LIST);
  char *d = (char *)far_write(n->data, g.cb, FARDS_SITE_LIST);
  const char *s = (const char *)far_read(fards_cnode_elem(m, 0, g), (size_t)m->count * g.es,
                                         FARDS_SITE_LIST);
  if (n->head + n->count + m->count > g.per) {
    memmove(d, d + (size_t)n->head * g.es, (size_t)n->count * g.es);
    n->head = 0;
  }
  memcpy(d + (size_t)(n->head + n->count) * g.es, s, (size_t)m->count * g.es);
  far_scope_exit();
  n->count += m->count;
  fards_clist_unlink(l, m);
}

/* Removes the k-th element of chunk *pn; on return (*pn, *pk) is the position of the element that
 * followed it. Shifts whichever side of the chunk is shorter. */
static inline void fards_clist_erase_at(struct fards_clist *l, struct fards_cnode **pn,
                                        uint32_t *pk, struct fards_geom g) {
  struct fards_cnode *n = *pn;
  uint32_t k = *pk;
  far_scope_enter(FARDS_SITE_LIST);
  char *d = (char *)far_write(n->data, g.cb, FARDS_SITE_LIST);
  char *at = d + (size_t)(n->head + k) * g.es;
  if (k < n->count / 2) {
    memmove(d + (size_t)(n->head + 1) * g.es, d + (size_t)n->head * g.es, (size_t)k * g.es);
    n->head++;
  } else {
    memmove(at, at + g.es, (size_t)(n->count - k - 1) * g.es);
  }
  far_scope_exit();
  n->count--;
  l->size--;
  if (n->count == 0) {
    *pn = n->next;
    *pk = 0;
    fards_clist_unlink(l, n);
    return;
  }
  fards_clist_merge_next(l, n, g);
}

/* ---- Iterators: one scope per element, prefetching on chunk crossings. ---- */

struct fards_clist_iter {
  struct fards_clist *l;
  struct fards_cnode *node; /* chunk of the cursor; NULL past the end */
  uint32_t k;               /* forward: index in node of the next element; backward: elements of
                               node before the cursor */
  unsigned char back, mode;
  unsigned char returned; /* next() returned an element since the last insert or erase */
  size_t ahead;           /* chunks prefetched beyond the current one */
};

static inline struct fards_clist_iter fards_clist_iter_make(struct fards_clist *l, int back,
                                                            int mode) {
  struct fards_clist_iter it;
  it.l = l;
  it.node = back ? l->last : l->first;
  it.k = back && it.node ? it.node->count : 0;
  it.back = (unsigned char)back;
  it.mode = (unsigned char)mode;
  it.returned = 0;
  it.ahead = 0;
  return it;
}

/* Copies the next element to out and advances; returns 0 at the end. */
static inline int fards_clist_iter_next(struct fards_clist_iter *it, void *out,
                                        struct fards_geom g) {
  if (it->node && it->k == (it->back ? 0 : it->node->count)) {
    it->node = fards_cnode_step(it->node, it->back);
    it->k = it->back && it->node ? it->node->count : 0;
    if (it->node && it->mode == FARDS_CACHE)
      fards_clist_cross(it->node, it->back, &it->ahead, g.cb);
  }
  if (!it->node) {
    it->returned = 0;
    return 0;
  }
  uint32_t k = it->back ? --it->k : it->k++;
  fards_load(out, fards_cnode_elem(it->node, k, g), g.es, FARDS_SITE_LIST, it->mode);
  it->returned = 1;
  return 1;
}

__attribute__((noreturn, cold, noinline, unused)) static void fards_clist_misuse(const char *fn,
                                                                                 const char *why) {
  fprintf(stderr, "farmem ds: %s: %s\n", fn, why);
  abort();
}

/* Inserts x just before the element next() would return (after the one it last returned). */
static inline int fards_clist_iter_insert(struct fards_clist_iter *it, const void *x,
                                          struct fards_geom g, const char *fn) {
  if (it->back)
    fards_clist_misuse(fn, "insert needs a front-to-back iterator");
  it->returned = 0;
  if (!it->node)
    return fards_clist_push(it->l, 1, x, g);
  return fards_clist_insert_at(it->l, &it->node, &it->k, x, g);
}

/* Removes the element next() returned last. */
static inline void fards_clist_iter_erase(struct fards_clist_iter *it, struct fards_geom g,
                                          const char *fn) {
  if (it->back || !it->returned)
    fards_clist_misuse(fn, "erase needs a front-to-back iterator whose next() returned an element "
                           "since the last insert or erase");
  it->returned = 0;
  it->k--;
  fards_clist_erase_at(it->l, &it->node, &it->k, g);
}

/* Calls fn on each element, towards `back`, with a local pointer valid during the call; one scope
 * per chunk; stops at, and returns, the first nonzero result. */
#define FARDS_CLIST_VISIT_(list, back, mode, write, ET, geom, fn, ctx)                           \
  do {                                                                                           \
    struct fards_geom g_ = (geom);                                                               \
    size_t ahead_ = 0;                                                                           \
    for (struct fards_cnode *n_ = (back) ? (list)->last : (list)->first; n_;                     \
         n_ = fards_cnode_step(n_, (back))) {                                                    \
      if ((mode) == FARDS_CACHE)                                                                 \
        fards_clist_cross(n_, (back), &ahead_, g_.cb);                                           \
      far_scope_enter(FARDS_SITE_LIST);                                                          \
      char *p_ = fards_cnode_elem(n_, 0, g_);                                                    \
      size_t len_ = (size_t)n_->count * g_.es;                                                   \
      ET *e_ = (ET *)((write) ? fards_write(p_, len_, FARDS_SITE_LIST, (mode))                   \
                              : (void *)fards_read(p_, len_, FARDS_SITE_LIST, (mode)));          \
      for (uint32_t k_ = 0; k_ < n_->count; k_++) {                                              \
        int r_ = (fn)(&e_[(back) ? n_->count - 1 - k_ : k_], (ctx));                             \
        if (r_) {                                                                                \
          far_scope_exit();                                                                      \
          return r_;                                                                             \
        }                                                                                        \
      }                                                                                          \
      far_scope_exit();                                                                          \
    }                                                                                            \
    return 0;                                                                                    \
  } while (0)

/* ---- The typed interface list.h, stack.h and queue.h share. ---- */

/* Declares type `name` (elements of T in chunks of about PREF bytes, at least two elements each)
 * with new/free/size/empty/clear, iterators and for_each; ORDER_BACK = 1 makes begin() and for_each
 * run from the back (a stack's top) to the front. */
#define FARDS_CLIST_DECLARE(name, T, PREF, ORDER_BACK)                                           \
  _Static_assert(2 * sizeof(T) <= FARDS_CHUNK_MAX, #name ": element larger than half a chunk");  \
  typedef T name##_elem; /* so that const name##_elem * is right for pointer types too */        \
  typedef struct name {                                                                          \
    struct fards_clist l;                                                                        \
  } name;                                                                                        \
  typedef struct name##_iter {                                                                   \
    struct fards_clist_iter it;                                                                  \
  } name##_iter;                                                                                 \
  FARDS_API struct fards_geom name##_geom_(void) {                                                \
    struct fards_geom g = {sizeof(T), FARDS_CHUNK_BYTES(2 * sizeof(T), (PREF)) / sizeof(T),      \
                           FARDS_CHUNK_BYTES(2 * sizeof(T), (PREF))};                            \
    return g;                                                                                    \
  }                                                                                              \
  /* An empty structure; NULL when memory ran out. */                                            \
  FARDS_API name *name##_new(void) {                                                              \
    name *s = (name *)malloc(sizeof *s);                                                         \
    if (s)                                                                                       \
      fards_clist_init(&s->l);                                                                   \
    return s;                                                                                    \
  }                                                                                              \
  FARDS_API void name##_free(name *s) {                                                           \
    if (!s)                                                                                      \
      return;                                                                                    \
    fards_clist_clear(&s->l);                                                                    \
    free(s);                                                                                     \
  }                                                                                              \
  FARDS_API size_t name##_size(const name *s) { return s->l.size; }                               \
  FARDS_API int name##_empty(const name *s) { return s->l.size == 0; }                            \
  FARDS_API void name##_clear(name *s) { fards_clist_clear(&s->l); }                              \
  FARDS_API name##_iter name##_begin(name *s) {                                                   \
    name##_iter it = {fards_clist_iter_make(&s->l, (ORDER_BACK), FARDS_CACHE)};                  \
    return it;                                                                                   \
  }                                                                                              \
  /* The same, reaching far memory through the don't-cache barriers. */                          \
  FARDS_API name##_iter name##_begin_nt(name *s) {                                                \
    name##_iter it = {fards_clist_iter_make(&s->l, (ORDER_BACK), FARDS_NOCACHE)};                \
    return it;                                                                                   \
  }                                                                                              \
  FARDS_API int name##_next(name##_iter *it, T *out) {                                            \
    return fards_clist_iter_next(&it->it, out, name##_geom_());                                  \
  }                                                                                              \
  FARDS_API int name##_for_each(name *s, int (*fn)(const name##_elem *, void *), void *ctx) {    \
    FARDS_CLIST_VISIT_(&s->l, (ORDER_BACK), FARDS_CACHE, 0,                                      \
        const name##_elem, name##_geom_(), fn, ctx);                                             \
  }                                                                                              \
  FARDS_API int name##_for_each_nt(name *s, int (*fn)(const name##_elem *, void *), void *ctx) { \
    FARDS_CLIST_VISIT_(&s->l, (ORDER_BACK), FARDS_NOCACHE, 0,                                    \
        const name##_elem, name##_geom_(), fn, ctx);                                             \
  }

#endif
