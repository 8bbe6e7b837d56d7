/* Far-aware string functions beyond the runtime's far_str*: results that point into an argument
 * are translated back from the bounce copy to the far original. */
#define _GNU_SOURCE /* strchrnul, strcasestr */
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

/* FIND (strrchr, strchrnul) on a local copy of s; a hit is translated back into s. */
static char *find_char(const char *s, int c, char *(*find)(const char *, int)) {
  if (!far_is_far(s)) return find(s, c);
  const char *local = farcc_bounce_in(s, 0);
  const char *hit = find(local, c);
  farcc_bounce_release(local, s);
  return hit ? (char *)s + (hit - local) : NULL;
}

char *farcc_strrchr(const char *s, int c) { return find_char(s, c, strrchr); }
char *farcc_strchrnul(const char *s, int c) { return find_char(s, c, strchrnul); }

/* FIND (strstr, strpbrk, strcasestr) on local copies of both strings; a hit is translated back
 * into s. */
static char *find_string(const char *s, const char *t, char *(*find)(const char *, const char *)) {
  const char *ls = farcc_bounce_in(s, 0), *lt = farcc_bounce_in(t, 0);
  const char *hit = find(ls, lt);
  farcc_bounce_release(ls, s);
  farcc_bounce_release(lt, t);
  return hit ? (char *)s + (hit - ls) : NULL;
}

char *farcc_strstr(const char *haystack, const char *needle) {
  return find_string(haystack, needle, strstr);
}
char *farcc_strpbrk(const char *s, const char *accept) { return find_string(s, accept, strpbrk); }
char *farcc_strcasestr(const char *haystack, const char *needle) {
  return find_string(haystack, needle, strcasestr);
}

char *farcc_stpcpy(char *dst, const char *src) {
  size_t n = far_strlen(src);
  far_memmove(dst, src, n + 1);
  return dst + n;
}
