/* Far-aware memory functions that the runtime does not provide itself. */
#define _GNU_SOURCE /* memrchr, memmem */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <errno.h>
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

/* FIND (memchr, memrchr) on a local copy of s's n bytes; a hit is translated back into s. */
static void *find_byte(const void *s, int c, size_t n, void *(*find)(const void *, int, size_t)) {
  if (!far_is_far(s)) return find(s, c, n);
  const char *local = farcc_bounce_in(s, n);
  const char *hit = find(local, c, n);
  farcc_bounce_release(local, s);
  return hit ? (char *)s + (hit - local) : NULL;
}

/* reallocarray's byte count, or ENOMEM when n * size overflows. */
static int array_bytes(size_t n, size_t size, size_t *bytes) {
  if (!__builtin_mul_overflow(n, size, bytes)) return 0;
  errno = ENOMEM;
  return -1;
}

void *farcc_reallocarray(void *p, size_t n, size_t size) {
  size_t bytes;
  if (!far_is_far(p)) return reallocarray(p, n, size);
  return array_bytes(n, size, &bytes) ? NULL : far_realloc(p, bytes);
}

void *farcc_reallocarray_to_far(void *p, size_t n, size_t size) {
  size_t bytes;
  return array_bytes(n, size, &bytes) ? NULL : farcc_realloc_to_far(p, bytes);
}

void *farcc_memchr(const void *s, int c, size_t n) { return find_byte(s, c, n, memchr); }
void *farcc_memrchr(const void *s, int c, size_t n) { return find_byte(s, c, n, memrchr); }

void *farcc_memmem(const void *haystack, size_t hn, const void *needle, size_t nn) {
  /* an empty range is not read (and size 0 would mean a string to farcc_bounce_in) */
  const char *h = hn ? farcc_bounce_in(haystack, hn) : haystack;
  const char *n = nn ? farcc_bounce_in(needle, nn) : needle;
  const char *hit = memmem(h, hn, n, nn);
  farcc_bounce_release(h, haystack);
  farcc_bounce_release(n, needle);
  return hit ? (char *)haystack + (hit - h) : NULL;
}

void *farcc_mempcpy(void *dst, const void *src, size_t n) {
  return (char *)far_memcpy(dst, src, n) + n;
}
