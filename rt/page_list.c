/* A list of page numbers waiting to be given back to the kernel (the object table's emptied pages,
 * table.c): threads append under its mutex, and
 * whoever releases takes the whole list at once, so the appenders never wait for the madvise calls. */
#include <stdlib.h>

#include "core.h"
#include "support.h"

void far_page_list_push(struct far_page_list *l, size_t page, const char *what) {
  pthread_mutex_lock(&l->lock);
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 256;
    l->pages = realloc(l->pages, l->cap * sizeof *l->pages);
    if (!l->pages) far_fatal("out of memory for %s", what);
  }
  l->pages[l->n++] = page;
  atomic_store_explicit(&l->queued, l->n, memory_order_relaxed);
  pthread_mutex_unlock(&l->lock);
}

size_t *far_page_list_take(struct far_page_list *l, size_t *n) {
  pthread_mutex_lock(&l->lock);
  size_t *pages = l->pages;
  *n = l->n;
  l->pages = NULL;
  l->n = l->cap = 0;
  atomic_store_explicit(&l->queued, 0, memory_order_relaxed);
  pthread_mutex_unlock(&l->lock);
  return pages;
}
