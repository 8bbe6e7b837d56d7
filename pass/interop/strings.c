/* Far-aware string functions beyond the runtime's far_str*: results that point into an argument
 * are translated back from the bounce copy to the far original. */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <string.h>

char *farcc_strdup(const char *s) {
  if (!far_is_far(s)) return strdup(s);
  size_t n = far_strlen(s) + 1;
  char *copy = farcc_xmalloc(n);
  far_memcpy(copy, s, n);
  return copy;
}

char *farcc_strndup(const char *s, size_t n) {
  if (!far_is_far(s)) return strndup(s, n);
  const char *local = farcc_bounce_in(s, 0);
  char *copy = strndup(local, n);
  farcc_bounce_release(local, s);
  return copy;
}

char *farcc_strcat(char *dst, const char *src) {
  far_strcpy(dst + far_strlen(dst), src);
  return dst;
}

char *farcc_strncat(char *dst, const char *src, size_t n) {
  const char *local = farcc_bounce_in(src, 0);
  size_t m = strnlen(local, n);
  char *end = dst + far_strlen(dst);
  far_memcpy(end, local, m);
  far_memset(end + m, 0, 1);
  farcc_bounce_release(local, src);
  return dst;
}

char *farcc_strrchr(const char *s, int c) {
  if (!far_is_far(s)) return strrchr(s, c);
  const char *local = farcc_bounce_in(s, 0);
  const char *hit = strrchr(local, c);
  farcc_bounce_release(local, s);
  return hit ? (char *)s + (hit - local) : NULL;
}

char *farcc_strstr(const char *haystack, const char *needle) {
  const char *h = farcc_bounce_in(haystack, 0), *n = farcc_bounce_in(needle, 0);
  const char *hit = strstr(h, n);
  farcc_bounce_release(h, haystack);
  farcc_bounce_release(n, needle);
  return hit ? (char *)haystack + (hit - h) : NULL;
}
