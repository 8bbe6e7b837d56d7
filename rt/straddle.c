/* Accesses that straddle objects (a struct copied across a 64 KiB chunk boundary of a large
 * allocation, or any range the barrier cannot map to one local address). They get a bounce buffer
 * filled piece by piece. Bounce buffers live until the outermost scope exits, so the returned address
 * obeys the same lifetime rule as any barrier result.
 *
 * Several barriers of one scope may cover the same bytes: a struct written whole and one of its fields
 * written through a plain barrier, or two straddling barriers from code that reloads its base pointer.
 * Three rules make them see each other and keep every write. Once a scope holds a bounce buffer its
 * fast paths are closed (far_self.fast), so every later access of the scope comes here and one that
 * lies inside a buffer gets that buffer. An access that overlaps buffers without lying inside one
 * gets a new buffer that starts from their bytes. A buffer written through keeps a twin of the bytes
 * it started from and writes back only the bytes that differ, so it never overwrites with stale
 * bytes what was written elsewhere. Only a local address obtained before the buffer was made can
 * still see the object instead of the buffer (docs/runtime.md). */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "support.h"

struct bounce {
  struct bounce *next;
  uintptr_t far;
  size_t size;
  char *twin; /* the bytes as fetched, for a buffer written through; NULL: read only */
  char data[];
};

static __thread struct bounce *bounces;

size_t far_span(const void *a, size_t n) {
  uintptr_t x = (uintptr_t)a;
  if (far_class_of_(x) < 0) return n;
  size_t left = ((size_t)1 << far_addr_class(x)) - far_addr_within(x);
  return left < n ? left : n;
}

/* Copies between the far range [a, a+size) and buf, one object at a time. */
static void copy_pieces(uintptr_t a, char *buf, size_t size, int access) {
  while (size) {
    size_t n = far_span((void *)a, size);
    bool missed, prefetched;
    char *p = far_object_local(far_addr_class(a), far_addr_id(a), access, &missed, &prefetched) +
              far_addr_within(a);
    if (access & FAR_ACCESS_WRITE) memcpy(p, buf, n);
    else memcpy(buf, p, n);
    a += n;
    buf += n;
    size -= n;
  }
}

static struct bounce *bounce_containing(uintptr_t a, size_t size) {
  for (struct bounce *b = bounces; b; b = b->next)
    if (a >= b->far && a + size <= b->far + b->size) return b;
  return NULL;
}

static bool bounce_overlapping(uintptr_t a, size_t size) {
  for (struct bounce *b = bounces; b; b = b->next)
    if (a < b->far + b->size && b->far < a + size) return true;
  return false;
}

/* Copies into b the bytes it shares with the older buffers, oldest first, so it starts from what
 * this scope last wrote rather than from the objects. */
static void overlay_older(struct bounce *b) {
  size_t older = 0;
  for (struct bounce *o = b->next; o; o = o->next) older++;
  while (older--) {
    struct bounce *o = b->next;
    for (size_t k = 0; k < older; k++) o = o->next;
    uintptr_t lo = o->far > b->far ? o->far : b->far;
    uintptr_t hi = o->far + o->size < b->far + b->size ? o->far + o->size : b->far + b->size;
    if (lo < hi) memcpy(b->data + (lo - b->far), o->data + (lo - o->far), hi - lo);
  }
}

static struct bounce *bounce_new(uintptr_t a, size_t size, int access) {
  struct bounce *b = malloc(sizeof *b + size);
  if (!b) far_fatal("out of memory for a %zu-byte straddling access", size);
  b->far = a;
  b->size = size;
  b->twin = NULL;
  copy_pieces(a, b->data, size, access & ~FAR_ACCESS_WRITE);
  b->next = bounces;
  bounces = b;
  overlay_older(b);
  far_self.pending |= FAR_PENDING_WRITEBACK;
  far_self.fast = 0; /* from now on every access of this scope is checked against the buffers */
  return b;
}

void *far_bounce_access(uintptr_t a, size_t size, int access, bool straddles) {
  struct bounce *b = bounce_containing(a, size);
  if (!b) {
    if (!straddles && !bounce_overlapping(a, size)) return NULL;
    b = bounce_new(a, size, access);
  }
  if ((access & FAR_ACCESS_WRITE) && !b->twin) {
    b->twin = malloc(b->size);
    if (!b->twin) far_fatal("out of memory for a %zu-byte straddling access", b->size);
    memcpy(b->twin, b->data, b->size);
  }
  return b->data + (a - b->far);
}

/* Writes back the runs of bytes that differ from the twin. */
static void write_back_changes(struct bounce *b) {
  size_t i = 0;
  while (i < b->size) {
    if (b->data[i] == b->twin[i]) {
      i++;
      continue;
    }
    size_t start = i;
    while (i < b->size && b->data[i] != b->twin[i]) i++;
    copy_pieces(b->far + start, b->data + start, i - start, FAR_ACCESS_WRITE);
  }
}

/* Oldest first (the list is newest first), so the last write to overlapping bytes wins. */
void far_straddle_flush(void) {
  struct bounce *oldest = NULL;
  while (bounces) {
    struct bounce *next = bounces->next;
    bounces->next = oldest;
    oldest = bounces;
    bounces = next;
  }
  while (oldest) {
    struct bounce *next = oldest->next;
    if (oldest->twin) write_back_changes(oldest);
    free(oldest->twin);
    free(oldest);
    oldest = next;
  }
}
