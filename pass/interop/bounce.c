/* Bounce buffers: local copies of far data handed to libc functions that cannot read far
 * memory, and copied back when libc wrote to them. */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *farcc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "farmem: out of memory for a %zu-byte libc bounce buffer\n", n);
    abort();
  }
  return p;
}

void *farcc_bounce_in(const void *p, size_t size) {
  if (!far_is_far(p)) return (void *)p;
  if (size == 0) size = far_strlen(p) + 1;
  void *copy = farcc_xmalloc(size);
  far_memcpy(copy, p, size);
  return copy;
}

void *farcc_bounce_scratch(const void *p, size_t size) {
  if (!far_is_far(p)) return (void *)p;
  void *scratch = farcc_xmalloc(size);
  memset(scratch, 0, size);
  return scratch;
}

void farcc_bounce_out(void *far, const void *bounce, size_t size) {
  if (far == bounce) return;
  far_memcpy(far, bounce, size ? size : strlen(bounce) + 1);
}

void farcc_bounce_release(const void *bounce, const void *original) {
  if (bounce != original) free((void *)bounce);
}
