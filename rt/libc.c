/* libc string and memory functions for pointers that may be far: the plugin rewrites calls whose
 * arguments may be far into these, and programs can call them directly. Work proceeds in pieces that
 * lie inside one object on each side, each piece in its own short scope, so a long copy never holds
 * the evacuator up and never needs more than two objects local at once. Non-far pointers go straight
 * to libc. */
#include <string.h>

#include "core.h"

/* Bytes from a up to the start of its object looking backwards from end = a + n (for memmove). */
static size_t span_back(const char *end, size_t n) {
  uintptr_t last = (uintptr_t)(end - 1);
  if (far_class_of_(last) < 0) return n;
  size_t k = far_addr_within(last) + 1;
  return k < n ? k : n;
}

static size_t piece(const void *a, const void *b, size_t n) { return far_span(a, far_span(b, n)); }

/* Copies n bytes front to back in pieces with op (memcpy, or memmove when a piece may overlap). */
static void *copy_forward(void *dst, const void *src, size_t n, void *(*op)(void *, const void *, size_t)) {
  char *d = dst;
  const char *s = src;
  while (n) {
    size_t k = piece(d, s, n);
    far_scope_enter(0);
    op(far_write(d, k, 0), far_read(s, k, 0), k);
    far_scope_exit();
    d += k, s += k, n -= k;
  }
  return dst;
}

void *far_memcpy(void *dst, const void *src, size_t n) { return copy_forward(dst, src, n, memcpy); }

void *far_memmove(void *dst, const void *src, size_t n) {
  if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
    return copy_forward(dst, src, n, memmove); /* front to back is safe */
  char *d = (char *)dst + n;
  const char *s = (const char *)src + n;
  while (n) {
    size_t k = span_back(d, span_back(s, n));
    d -= k, s -= k, n -= k;
    far_scope_enter(0);
    memmove(far_write(d, k, 0), far_read(s, k, 0), k);
    far_scope_exit();
  }
  return dst;
}

void *far_memset(void *dst, int c, size_t n) {
  char *d = dst;
  while (n) {
    size_t k = far_span(d, n);
    far_scope_enter(0);
    memset(far_write(d, k, 0), c, k);
    far_scope_exit();
    d += k, n -= k;
  }
  return dst;
}

int far_memcmp(const void *a, const void *b, size_t n) {
  const char *x = a, *y = b;
  while (n) {
    size_t k = piece(x, y, n);
    far_scope_enter(0);
    int r = memcmp(far_read(x, k, 0), far_read(y, k, 0), k);
    far_scope_exit();
    if (r) return r;
    x += k, y += k, n -= k;
  }
  return 0;
}

/* Length of s, looking at no more than max bytes (and never past the object holding the NUL). */
static size_t bounded_len(const char *s, size_t max) {
  if (!far_is_far(s)) return strnlen(s, max);
  size_t len = 0;
  while (len < max) {
    size_t k = far_span(s + len, max - len);
    far_scope_enter(0);
    const char *p = far_read(s + len, k, 0);
    const char *nul = memchr(p, 0, k);
    far_scope_exit();
    if (nul) return len + (size_t)(nul - p);
    len += k;
  }
  return max;
}

size_t far_strlen(const char *s) {
  return far_is_far(s) ? bounded_len(s, SIZE_MAX) : strlen(s);
}

size_t far_strnlen(const char *s, size_t max) { return bounded_len(s, max); }

int far_strncmp(const char *a, const char *b, size_t n) {
  if (!far_is_far(a) && !far_is_far(b)) return strncmp(a, b, n);
  while (n) {
    size_t k = piece(a, b, n);
    far_scope_enter(0);
    const unsigned char *x = far_read(a, k, 0), *y = far_read(b, k, 0);
    size_t i = 0;
    while (i < k && x[i] == y[i] && x[i]) i++;
    int r = i < k ? (int)x[i] - (int)y[i] : 0;
    far_scope_exit();
    if (i < k) return r;
    a += k, b += k, n -= k;
  }
  return 0;
}

int far_strcmp(const char *a, const char *b) { return far_strncmp(a, b, SIZE_MAX); }

char *far_strcpy(char *dst, const char *src) {
  far_memmove(dst, src, far_strlen(src) + 1);
  return dst;
}

char *far_strncpy(char *dst, const char *src, size_t n) {
  size_t len = bounded_len(src, n);
  far_memmove(dst, src, len);
  far_memset(dst + len, 0, n - len);
  return dst;
}

char *far_strchr(const char *s, int c) {
  if (!far_is_far(s)) return strchr(s, c);
  for (;;) {
    size_t k = far_span(s, SIZE_MAX);
    far_scope_enter(0);
    const char *p = far_read(s, k, 0);
    const char *hit = memchr(p, (char)c, k), *nul = memchr(p, 0, k);
    far_scope_exit();
    if (hit && (!nul || hit <= nul)) return (char *)s + (hit - p);
    if (nul) return NULL;
    s += k;
  }
}
