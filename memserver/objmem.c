/* The buffers of stored objects. farmemd keeps what clients write in memory it has usually never
 * touched, and every fresh page costs a page fault and the kernel's zeroing of it (on this VM also
 * the host backing the page): while the dataframe app streams at 25% that was the largest item of
 * farmemd's CPU, 0.4-1.1 s of 1.1-2.5 s. So objects of 4 KiB to 1 MiB live in 2 MiB chunks that
 * can be prepared in advance (--prefault: a background thread maps and touches them after start,
 * as a memory server registering its pool would) and that are reused: each chunk holds objects of
 * one class; a freed slot is handed out first (its index chained through the slot's first bytes);
 * a chunk left empty is kept for any class (the prefaulted ones always, up to KEEP_EMPTY others)
 * or unmapped. Smaller objects use malloc. One lock guards the chunk lists: it is taken
 * once per object, against the copy of kilobytes of data that follows. */
#include "objmem.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK ((size_t)2 << 20)
#define SLAB_MIN_CLS 12
#define SLAB_MAX_CLS 20 /* the largest class (far/wire.h) */
#define KEEP_EMPTY 8

struct objmem_chunk {
  uint8_t *base;
  unsigned cls;
  uint32_t slots, live, fresh; /* slots from fresh on were never handed out */
  uint32_t free_head;          /* freed slot index + 1, or 0 */
  struct objmem_chunk *prev, *next; /* its class's chunks with room, or the empty chunks */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct objmem_chunk *with_room[SLAB_MAX_CLS + 1];
static struct objmem_chunk *empty;
static size_t empty_count, keep_empty = KEEP_EMPTY;

static void link_room(struct objmem_chunk *c) {
  c->prev = NULL;
  c->next = with_room[c->cls];
  if (c->next)
    c->next->prev = c;
  with_room[c->cls] = c;
}

static void unlink_room(struct objmem_chunk *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    with_room[c->cls] = c->next;
  if (c->next)
    c->next->prev = c->prev;
}

/* 2 MiB of fresh address space aligned to 2 MiB. */
static uint8_t *map_chunk(void) {
  uint8_t *p = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  uint8_t *base = (uint8_t *)(((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
  if (base > p)
    munmap(p, (size_t)(base - p));
  munmap(base + CHUNK, (size_t)(p + CHUNK - base));
  return base;
}

/* A chunk of fresh memory; NULL when out of memory. */
static struct objmem_chunk *new_chunk(void) {
  struct objmem_chunk *c = malloc(sizeof *c);
  if (c && !(c->base = map_chunk())) {
    free(c);
    c = NULL;
  }
  return c;
}

/* Puts empty chunk c on the list of kept ones (lock held). */
static void keep(struct objmem_chunk *c) {
  c->next = empty;
  empty = c;
  empty_count++;
}

/* An empty chunk for class cls, kept or new, on its class's list; NULL when out of memory. */
static struct objmem_chunk *chunk_for(unsigned cls) {
  struct objmem_chunk *c = empty;
  if (c) {
    empty = c->next;
    empty_count--;
  } else if (!(c = new_chunk())) {
    return NULL;
  }
  c->cls = cls;
  c->slots = (uint32_t)(CHUNK >> cls);
  c->live = c->fresh = c->free_head = 0;
  link_room(c);
  return c;
}

static uint8_t *slab_alloc(unsigned cls, struct objmem_chunk **where) {
  pthread_mutex_lock(&lock);
  struct objmem_chunk *c = with_room[cls] ? with_room[cls] : chunk_for(cls);
  uint8_t *p = NULL;
  if (c) {
    uint32_t slot = c->free_head ? c->free_head - 1 : c->fresh++;
    p = c->base + ((size_t)slot << cls);
    if (c->free_head)
      memcpy(&c->free_head, p, sizeof c->free_head);
    if (++c->live == c->slots)
      unlink_room(c);
  }
  pthread_mutex_unlock(&lock);
  *where = c;
  return p;
}

static void slab_free(struct objmem_chunk *c, uint8_t *p) {
  pthread_mutex_lock(&lock);
  uint32_t next = c->free_head;
  memcpy(p, &next, sizeof next);
  c->free_head = (uint32_t)((size_t)(p - c->base) >> c->cls) + 1;
  if (c->live-- == c->slots)
    link_room(c);
  if (c->live == 0) {
    unlink_room(c);
    if (empty_count < keep_empty) {
      keep(c);
    } else {
      munmap(c->base, CHUNK);
      free(c);
    }
  }
  pthread_mutex_unlock(&lock);
}

static _Atomic size_t prefaulted;

/* The --prefault thread: one chunk at a time, touched outside the lock, then kept. */
static void *prefault_main(void *arg) {
  size_t bytes = *(size_t *)arg;
  free(arg);
  for (size_t done = 0; done < bytes; done += CHUNK) {
    struct objmem_chunk *c = new_chunk();
    if (!c)
      break;
    memset(c->base, 0, CHUNK);
    pthread_mutex_lock(&lock);
    keep(c);
    keep_empty++;
    pthread_mutex_unlock(&lock);
    atomic_fetch_add_explicit(&prefaulted, CHUNK, memory_order_relaxed);
  }
  return NULL;
}

int objmem_prefault_start(size_t bytes) {
  size_t *arg = malloc(sizeof *arg);
  pthread_t t;
  if (!arg)
    return -1;
  *arg = bytes;
  if (pthread_create(&t, NULL, prefault_main, arg) != 0) {
    free(arg);
    return -1;
  }
  pthread_detach(t);
  return 0;
}

size_t objmem_prefaulted(void) { return atomic_load_explicit(&prefaulted, memory_order_relaxed); }

store_obj *store_obj_new(unsigned cls) {
  int slab = cls >= SLAB_MIN_CLS && cls <= SLAB_MAX_CLS;
  store_obj *o = malloc(sizeof *o + (slab ? 0 : (size_t)1 << cls));
  if (!o)
    return NULL;
  o->len = 0;
  o->chunk = NULL;
  o->data = o->inline_data;
  if (slab && !(o->data = slab_alloc(cls, &o->chunk))) {
    free(o);
    return NULL;
  }
  return o;
}

void store_obj_free(store_obj *o) {
  if (o && o->chunk)
    slab_free(o->chunk, o->data);
  free(o);
}
