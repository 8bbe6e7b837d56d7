/* qsort and bsearch over far arrays: the array is sorted or searched in a local copy, so the
 * comparator (farcc-compiled, barriers included) sees local element addresses. */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <stdlib.h>

void farcc_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (!far_is_far(base) || n < 2) {
    qsort(base, n, size, cmp);
    return;
  }
  void *local = farcc_bounce_in(base, n * size);
  qsort(local, n, size, cmp);
  far_memcpy(base, local, n * size);
  farcc_bounce_release(local, base);
}

void *farcc_bsearch(const void *key, const void *base, size_t n, size_t size,
                    int (*cmp)(const void *, const void *)) {
  if (!far_is_far(base) || n == 0) return bsearch(key, base, n, size, cmp);
  const char *local = farcc_bounce_in(base, n * size);
  const char *hit = bsearch(key, local, n, size, cmp);
  farcc_bounce_release(local, base);
  return hit ? (char *)base + (hit - local) : NULL;
}
