/* Far stacks: last in, first out, elements packed into far chunks.
 *
 *   FAR_STACK_DECLARE(pstack, struct point)
 *   pstack *s = pstack_new();
 *   pstack_push(s, p);
 *   while (pstack_pop(s, &p))
 *     visit(p);
 *   pstack_free(s);
 *
 * Iterators and for_each run from the top down. Popping across a chunk boundary prefetches the chunks
 * below (about 1 MiB on the first crossing, then a quarter of that at a time). */
#ifndef FAR_DS_STACK_H
#define FAR_DS_STACK_H

#include <far/ds/clist.h>

#define FAR_STACK_DECLARE(name, T) FAR_STACK_DECLARE_CHUNK(name, T, FARDS_LIST_CHUNK)

#define FAR_STACK_DECLARE_CHUNK(name, T, PREF)                                                   \
  FARDS_CLIST_DECLARE(name, T, PREF, 1)                                                          \
  /* Returns 0, or -1 when memory ran out (nothing changed). */                                  \
  FARDS_API int name##_push(name *s, T x) {                                                       \
    return fards_clist_push(&s->l, 1, &x, name##_geom_());                                       \
  }                                                                                              \
  /* Removes the top into *out (out may be NULL); returns 0 when empty. */                       \
  FARDS_API int name##_pop(name *s, T *out) {                                                     \
    return fards_clist_pop(&s->l, 1, out, name##_geom_());                                       \
  }                                                                                              \
  /* Copies the top to *out; returns 0 when empty. */                                            \
  FARDS_API int name##_top(const name *s, T *out) {                                               \
    return fards_clist_peek(&s->l, 1, out, name##_geom_());                                      \
  }

#endif
