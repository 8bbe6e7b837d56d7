/* qsort and bsearch over far arrays, in bounded local memory. qsort sorts runs of about 1 MiB in
 * a local buffer, then merges runs pairwise through a far scratch array, streaming every input and
 * the output through 64 KiB windows: sequential far accesses only. The comparator (farcc-compiled,
 * barriers included) always sees local element addresses. bsearch copies one element per probe. */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <stdlib.h>
#include <string.h>

enum { RUN_BYTES = 1 << 20, WINDOW_BYTES = 64 << 10 };

/* A window onto a far range of elements, read (input) or written (output) sequentially. */
struct window {
  char *far;    /* next far element to load or store */
  size_t left;  /* input: far elements not loaded yet */
  char *buf;
  size_t have, pos, cap, size;
};

static void window_open(struct window *w, char *far, size_t count, size_t size) {
  w->cap = WINDOW_BYTES / size ? WINDOW_BYTES / size : 1;
  *w = (struct window){far, count, farcc_xmalloc(w->cap * size), 0, 0, w->cap, size};
}

/* Input: the current element, loading the next window when needed; NULL at the end. */
static char *window_peek(struct window *w) {
  if (w->pos == w->have) {
    size_t k = w->left < w->cap ? w->left : w->cap;
    if (k == 0) return NULL;
    far_memcpy(w->buf, w->far, k * w->size);
    w->far += k * w->size;
    w->left -= k;
    w->have = k;
    w->pos = 0;
  }
  return w->buf + w->pos * w->size;
}

static void window_flush(struct window *w) {
  far_memcpy(w->far, w->buf, w->pos * w->size);
  w->far += w->pos * w->size;
  w->pos = 0;
}

static void window_put(struct window *w, const char *element) {
  memcpy(w->buf + w->pos++ * w->size, element, w->size);
  if (w->pos == w->cap) window_flush(w);
}

/* Merges the sorted far runs [a, a+na) and [b, b+nb) into out. */
static void merge(char *a, size_t na, char *b, size_t nb, char *out, size_t size,
                  int (*cmp)(const void *, const void *)) {
  struct window x, y, o;
  window_open(&x, a, na, size);
  window_open(&y, b, nb, size);
  window_open(&o, out, 0, size);
  for (;;) {
    char *p = window_peek(&x), *q = window_peek(&y);
    if (!p && !q) break;
    struct window *from = !q || (p && cmp(p, q) <= 0) ? &x : &y;
    window_put(&o, from == &x ? p : q);
    from->pos++;
  }
  window_flush(&o);
  free(x.buf);
  free(y.buf);
  free(o.buf);
}

static void sort_runs(char *base, size_t n, size_t size, size_t per_run,
                      int (*cmp)(const void *, const void *)) {
  char *local = farcc_xmalloc(per_run * size);
  for (size_t lo = 0; lo < n; lo += per_run) {
    size_t k = n - lo < per_run ? n - lo : per_run;
    far_memcpy(local, base + lo * size, k * size);
    qsort(local, k, size, cmp);
    far_memcpy(base + lo * size, local, k * size);
  }
  free(local);
}

void farcc_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (!far_is_far(base) || n < 2) {
    qsort(base, n, size, cmp);
    return;
  }
  size_t per_run = RUN_BYTES / size ? RUN_BYTES / size : 1;
  sort_runs(base, n, size, per_run, cmp);
  if (n <= per_run) return;
  char *src = base, *dst = far_malloc(n * size);
  char *scratch = dst;
  for (size_t width = per_run; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t na = n - lo < width ? n - lo : width;
      size_t nb = n - lo - na < width ? n - lo - na : width;
      merge(src + lo * size, na, src + (lo + na) * size, nb, dst + lo * size, size, cmp);
    }
    char *t = src;
    src = dst;
    dst = t;
  }
  if (src != base) far_memcpy(base, src, n * size);
  far_free(scratch);
}

void *farcc_bsearch(const void *key, const void *base, size_t n, size_t size,
                    int (*cmp)(const void *, const void *)) {
  if (!far_is_far(base)) return bsearch(key, base, n, size, cmp);
  char *element = farcc_xmalloc(size);
  const char *found = NULL;
  size_t lo = 0, hi = n;
  while (lo < hi && !found) {
    size_t mid = lo + (hi - lo) / 2;
    far_memcpy(element, (const char *)base + mid * size, size);
    int order = cmp(key, element);
    if (order == 0) found = (const char *)base + mid * size;
    else if (order < 0) hi = mid;
    else lo = mid + 1;
  }
  free(element);
  return (void *)found;
}
