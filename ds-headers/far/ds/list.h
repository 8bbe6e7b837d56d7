/* Far lists: a sequence of elements of one type, packed into far chunks, with O(1) pushes and pops at
 * both ends and insertion and removal in the middle through iterators.
 *
 *   FAR_LIST_DECLARE(reclist, struct rec)
 *   reclist *l = reclist_new();
 *   reclist_push_back(l, r);
 *   reclist_iter it = reclist_begin(l);
 *   for (struct rec x; reclist_next(&it, &x);)
 *     if (x.dead)
 *       reclist_erase(&it);          // removes x, the element next() just returned
 *   reclist_free(l);
 *
 * Iterators prefetch the chunks ahead of them (about 1 MiB on the first chunk crossing, then a quarter
 * of that each time a quarter has been used: fards_window_cross), and so do pops at either end. Inserting or erasing through one iterator invalidates
 * every other iterator of the same list. */
#ifndef FAR_DS_LIST_H
#define FAR_DS_LIST_H

#include <far/ds/clist.h>

#define FAR_LIST_DECLARE(name, T) FAR_LIST_DECLARE_CHUNK(name, T, FARDS_LIST_CHUNK)

/* The same with chunks of about PREF bytes (a power of two, at most 64 KiB). */
#define FAR_LIST_DECLARE_CHUNK(name, T, PREF)                                                    \
  FARDS_CLIST_DECLARE(name, T, PREF, 0)                                                          \
  /* Pushes return 0, or -1 when memory ran out (nothing changed). */                            \
  FARDS_API int name##_push_back(name *s, T x) {                                                  \
    return fards_clist_push(&s->l, 1, &x, name##_geom_());                                       \
  }                                                                                              \
  FARDS_API int name##_push_front(name *s, T x) {                                                 \
    return fards_clist_push(&s->l, 0, &x, name##_geom_());                                       \
  }                                                                                              \
  /* Pops and peeks copy the element to *out (pops accept NULL); they return 0 when empty. */    \
  FARDS_API int name##_pop_back(name *s, T *out) {                                                \
    return fards_clist_pop(&s->l, 1, out, name##_geom_());                                       \
  }                                                                                              \
  FARDS_API int name##_pop_front(name *s, T *out) {                                               \
    return fards_clist_pop(&s->l, 0, out, name##_geom_());                                       \
  }                                                                                              \
  FARDS_API int name##_back(const name *s, T *out) {                                              \
    return fards_clist_peek(&s->l, 1, out, name##_geom_());                                      \
  }                                                                                              \
  FARDS_API int name##_front(const name *s, T *out) {                                             \
    return fards_clist_peek(&s->l, 0, out, name##_geom_());                                      \
  }                                                                                              \
  /* Back-to-front iteration (no insert or erase through it). */                                 \
  FARDS_API name##_iter name##_rbegin(name *s) {                                                  \
    name##_iter it = {fards_clist_iter_make(&s->l, 1, FARDS_CACHE)};                             \
    return it;                                                                                   \
  }                                                                                              \
  /* Inserts x before the element next() would return; returns 0, or -1 when memory ran out. */ \
  FARDS_API int name##_insert(name##_iter *it, T x) {                                             \
    return fards_clist_iter_insert(&it->it, &x, name##_geom_(), #name "_insert");                \
  }                                                                                              \
  /* Removes the element next() returned last. */                                                \
  FARDS_API void name##_erase(name##_iter *it) {                                                  \
    fards_clist_iter_erase(&it->it, name##_geom_(), #name "_erase");                             \
  }                                                                                              \
  /* Calls fn on each element front to back with a writable local pointer valid during the call. */ \
  FARDS_API int name##_transform(name *s, int (*fn)(T *, void *), void *ctx) {                    \
    FARDS_CLIST_VISIT_(&s->l, 0, FARDS_CACHE, 1, T, name##_geom_(), fn, ctx);                    \
  }

#endif
