/* Far-aware memory functions that the runtime does not provide itself. */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* realloc whose result must be far (it becomes a pointer to a remoteable type), even when p is a
 * libc block: the contents move to the far heap. */
void *farcc_realloc_to_far(void *p, size_t n) {
  if (p == NULL || far_is_far(p)) return far_realloc(p, n);
  void *moved = far_malloc(n);
  if (!moved) return NULL;
  size_t old = malloc_usable_size(p);
  far_memcpy(moved, p, old < n ? old : n);
  free(p);
  return moved;
}

void *farcc_memchr(const void *s, int c, size_t n) {
  if (!far_is_far(s)) return memchr(s, c, n);
  const char *local = farcc_bounce_in(s, n);
  const char *hit = memchr(local, c, n);
  farcc_bounce_release(local, s);
  return hit ? (char *)s + (hit - local) : NULL;
}
