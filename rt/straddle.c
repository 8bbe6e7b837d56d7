/* Accesses that straddle objects (a struct copied across a 64 KiB chunk boundary of a large
 * allocation, or any range the barrier cannot map to one local address). They get a bounce buffer
 * filled piece by piece. Bounce buffers live until the outermost scope exits, so the returned address
 * obeys the same lifetime rule as any barrier result.
 *
 * Several barriers of one scope may cover the same bytes: a struct written whole and one of its fields
 * written through a plain barrier, or two straddling barriers from code that reloads its base pointer.
 * Two rules keep every write: a straddling range inside an earlier bounce buffer of the scope gets
 * that buffer (so the two see each other), and a write buffer keeps a twin of the bytes it started
 * from and writes back only the bytes that differ from it (so it never overwrites what another
 * barrier wrote with stale bytes). Reads of the same bytes through a plain barrier in the same scope
 * see the object, not the bounce buffer, until the scope exits (documented in docs/runtime.md). */
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

static struct bounce *bounce_new(uintptr_t a, size_t size, int access) {
  struct bounce *b = malloc(sizeof *b + size);
  if (!b) far_fatal("out of memory for a %zu-byte straddling access", size);
  b->far = a;
  b->size = size;
  b->twin = NULL;
  copy_pieces(a, b->data, size, access & ~FAR_ACCESS_WRITE);
  b->next = bounces;
  bounces = b;
  far_self.pending |= FAR_PENDING_WRITEBACK;
  return b;
}

static struct bounce *bounce_for(uintptr_t a, size_t size, int access) {
  struct bounce *b = bounce_containing(a, size);
  return b ? b : bounce_new(a, size, access);
}

void *far_straddle_read(uintptr_t a, size_t size, int access) {
  struct bounce *b = bounce_for(a, size, access);
  return b->data + (a - b->far);
}

void *far_straddle_write(uintptr_t a, size_t size, int access) {
  struct bounce *b = bounce_for(a, size, access);
  if (!b->twin) {
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
