/* Far vectors: a growable sequence of elements of one type in far memory.
 *
 *   FAR_VECTOR_DECLARE(intvec, int)
 *   intvec *v = intvec_new();
 *   for (int i = 0; i < 1000; i++)
 *     intvec_push(v, i);
 *   intvec_iter it = intvec_begin(v);
 *   for (int x; intvec_next(&it, &x);)
 *     sum += x;
 *   intvec_free(v);
 *
 * Growth appends far chunks and never copies the elements already stored. Besides the functions
 * arrays have (seq.h), a vector has push, pop, append, resize, reserve, clear and shrink_to_fit. */
#ifndef FAR_DS_VECTOR_H
#define FAR_DS_VECTOR_H

#include <far/ds/seq.h>

/* Appends n elements from buf. Returns 0, or -1 when memory ran out (the vector is unchanged). */
static inline int fards_seq_append(struct fards_seq *s, const void *buf, size_t n,
                                   struct fards_geom g) {
  if (n > SIZE_MAX - s->len || fards_seq_grow(s, s->len + n, g) != 0)
    return -1;
  s->len += n;
  fards_seq_copy(s, s->len - n, (void *)buf, n, g, FARDS_CACHE, 1);
  return 0;
}

/* Sets the length to n; new elements are zero. Returns 0, or -1 when memory ran out. */
static inline int fards_seq_resize(struct fards_seq *s, size_t n, struct fards_geom g) {
  if (n > s->len) {
    if (fards_seq_grow(s, n, g) != 0)
      return -1;
    fards_seq_zero(s, s->len, n, g);
  }
  s->len = n;
  return 0;
}

#define FAR_VECTOR_DECLARE(name, T) FAR_VECTOR_DECLARE_CHUNK(name, T, FARDS_SEQ_CHUNK)

/* The same with chunks of about PREF bytes (a power of two, at most 64 KiB). */
#define FAR_VECTOR_DECLARE_CHUNK(name, T, PREF)                                                  \
  FARDS_SEQ_DECLARE(name, T, PREF)                                                               \
  /* An empty vector; NULL when memory ran out. */                                               \
  FARDS_API name *name##_new(void) { return name##_alloc_(); }                                    \
  /* push/append/resize/reserve return 0, or -1 when memory ran out (nothing changed). */        \
  FARDS_API int name##_push(name *v, T x) {                                                       \
    return fards_seq_append(&v->seq, &x, 1, name##_geom_());                                     \
  }                                                                                              \
  FARDS_API int name##_append(name *v, const name##_elem *src, size_t n) {                       \
    return fards_seq_append(&v->seq, src, n, name##_geom_());                                    \
  }                                                                                              \
  /* Removes the last element into *out (out may be NULL); returns 0 when the vector was empty. */ \
  FARDS_API int name##_pop(name *v, T *out) {                                                     \
    if (v->seq.len == 0)                                                                         \
      return 0;                                                                                  \
    if (out)                                                                                     \
      *out = name##_get(v, v->seq.len - 1);                                                      \
    v->seq.len--;                                                                                \
    return 1;                                                                                    \
  }                                                                                              \
  FARDS_API int name##_resize(name *v, size_t n) {                                                \
    return fards_seq_resize(&v->seq, n, name##_geom_());                                         \
  }                                                                                              \
  FARDS_API int name##_reserve(name *v, size_t n) {                                               \
    return fards_seq_grow(&v->seq, n, name##_geom_());                                           \
  }                                                                                              \
  FARDS_API void name##_clear(name *v) { v->seq.len = 0; }                                        \
  /* Gives back the far chunks beyond the current length. */                                     \
  FARDS_API void name##_shrink_to_fit(name *v) {                                                  \
    fards_seq_trim(&v->seq, v->seq.len, name##_geom_());                                         \
  }

#endif
