/* Far queues: first in, first out, elements packed into far chunks.
 *
 *   FAR_QUEUE_DECLARE(jobq, struct job)
 *   jobq *q = jobq_new();
 *   jobq_push(q, j);
 *   while (jobq_pop(q, &j))
 *     run(j);
 *   jobq_free(q);
 *
 * Iterators and for_each run from the front (the next to pop) to the back. Popping across a chunk
 * boundary prefetches the chunks behind it (about 1 MiB on the first crossing, then a quarter of that
 * at a time), so draining a queue larger than local memory streams it. */
#ifndef FAR_DS_QUEUE_H
#define FAR_DS_QUEUE_H

#include <far/ds/clist.h>

#define FAR_QUEUE_DECLARE(name, T) FAR_QUEUE_DECLARE_CHUNK(name, T, FARDS_LIST_CHUNK)

#define FAR_QUEUE_DECLARE_CHUNK(name, T, PREF)                                                   \
  FARDS_CLIST_DECLARE(name, T, PREF, 0)                                                          \
  /* Appends at the back; returns 0, or -1 when memory ran out (nothing changed). */             \
  FARDS_API int name##_push(name *s, T x) {                                                       \
    return fards_clist_push(&s->l, 1, &x, name##_geom_());                                       \
  }                                                                                              \
  /* Removes the front into *out (out may be NULL); returns 0 when empty. */                     \
  FARDS_API int name##_pop(name *s, T *out) {                                                     \
    return fards_clist_pop(&s->l, 0, out, name##_geom_());                                       \
  }                                                                                              \
  /* Copies the front to *out; returns 0 when empty. */                                          \
  FARDS_API int name##_front(const name *s, T *out) {                                             \
    return fards_clist_peek(&s->l, 0, out, name##_geom_());                                      \
  }

#endif
