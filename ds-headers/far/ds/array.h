/* Far arrays: a fixed number of elements of one type, zero-initialised, in far memory.
 *
 *   FAR_ARRAY_DECLARE(dblarr, double)
 *   dblarr *a = dblarr_new(1000000);
 *   dblarr_set(a, 7, 3.5);
 *   double x = dblarr_get(a, 7);
 *   dblarr_free(a);
 *
 * The element functions (get/set and their _nt don't-cache twins, at/at_mut, copy_in/copy_out,
 * for_each/transform, prefetch, iterators) are the ones vectors have; see seq.h and toolchain.md. */
#ifndef FAR_DS_ARRAY_H
#define FAR_DS_ARRAY_H

#include <far/ds/seq.h>

#define FAR_ARRAY_DECLARE(name, T) FAR_ARRAY_DECLARE_CHUNK(name, T, FARDS_SEQ_CHUNK)

/* The same with chunks of about PREF bytes (a power of two, at most 64 KiB): larger chunks suit
 * scans, smaller ones random access. */
#define FAR_ARRAY_DECLARE_CHUNK(name, T, PREF)                                                   \
  FARDS_SEQ_DECLARE(name, T, PREF)                                                               \
  /* An array of n zero elements; NULL when memory ran out. */                                   \
  FARDS_API name *name##_new(size_t n) {                                                          \
    name *a = name##_alloc_();                                                                   \
    if (a && fards_seq_grow(&a->seq, n, name##_geom_()) != 0) {                                  \
      name##_free(a);                                                                            \
      return NULL;                                                                               \
    }                                                                                            \
    if (a)                                                                                       \
      a->seq.len = n;                                                                            \
    return a;                                                                                    \
  }

#endif
