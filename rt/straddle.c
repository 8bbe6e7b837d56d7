/* Accesses that straddle objects (a struct copied across a 64 KiB chunk boundary of a large
 * allocation, or any range the barrier cannot map to one local address). They get a bounce buffer
 * filled piece by piece; for writes the buffer is copied back, piece by piece, when the outermost
 * scope exits. Bounce buffers live until then, so the returned address obeys the same lifetime rule
 * as any barrier result. Reads of the same bytes through another barrier in the same scope see the
 * object, not the bounce buffer, until the scope exits (documented in docs/runtime.md). */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "support.h"

struct bounce {
  struct bounce *next;
  uintptr_t far;  /* 0: read-only copy */
  size_t size;
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

static struct bounce *bounce_new(uintptr_t a, size_t size, int access) {
  struct bounce *b = malloc(sizeof *b + size);
  if (!b) far_fatal("out of memory for a %zu-byte straddling access", size);
  b->size = size;
  b->far = 0;
  copy_pieces(a, b->data, size, access & ~FAR_ACCESS_WRITE);
  b->next = bounces;
  bounces = b;
  far_self.pending |= FAR_PENDING_WRITEBACK;
  return b;
}

void *far_straddle_read(uintptr_t a, size_t size, int access) {
  return bounce_new(a, size, access)->data;
}

void *far_straddle_write(uintptr_t a, size_t size, int access) {
  struct bounce *b = bounce_new(a, size, access);
  b->far = a;
  return b->data;
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
    if (oldest->far) copy_pieces(oldest->far, oldest->data, oldest->size, FAR_ACCESS_WRITE);
    free(oldest);
    oldest = next;
  }
}
