/* The far heap: hands out far addresses. Each size class (16 B .. 64 KiB) has its own id space: a bump
 * counter plus a stack of freed ids. Larger allocations take a run of consecutive ids of the largest
 * class (so pointer arithmetic across the whole allocation works); their lengths are remembered in
 * runs.c. A new object is installed zeroed in the local cache while there is room, else its entry
 * says "never written" and its first access zero-fills it locally; either way no round trip, and
 * calloc costs the same as malloc.
 *
 * Allocations of up to 128 B are packed into shared far objects instead (group.c).
 *
 * far_free drops the local copy at once. An object the server may hold data for is queued; the
 * evacuator thread tells the server (FREE) in the background, and only then do its ids become
 * reusable, so a late FREE can never destroy a later owner's data. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "runs.h"
#include "support.h"

#define CLASSES (FAR_HEAP_CLASS_MAX + 1)
#define LARGE_OBJECT ((size_t)1 << FAR_HEAP_CLASS_MAX)
#define FREE_BATCH 64

struct id_stack {
  uint64_t *ids;
  size_t n, cap;
};

static struct {
  pthread_mutex_t lock;
  uint64_t next;
  struct id_stack freed;
} classes[CLASSES];

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct far_run *pending; /* waiting for the server's FREE */
static size_t npending, cap_pending;
static atomic_size_t queued; /* npending, readable without the lock */

void far_heap_init(void) {
  for (int c = 0; c < CLASSES; c++) pthread_mutex_init(&classes[c].lock, NULL);
}

static void push_id(struct id_stack *s, uint64_t id) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->ids = realloc(s->ids, s->cap * sizeof *s->ids);
    if (!s->ids) far_fatal("out of memory for the far heap's free list");
  }
  s->ids[s->n++] = id;
}

static unsigned class_for(size_t n) {
  unsigned c = FAR_HEAP_CLASS_MIN;
  while (((size_t)1 << c) < n) c++;
  return c;
}

/* A new object is born local (present, hot, dirty, in the calling thread's region: memory the cache
 * hands out is zero) while local memory is under the evacuator's start threshold, so the program's
 * first use of it takes the inline fast path. Under pressure, and for multi-object runs, it is only
 * marked never-written and materialises (zero-filled) at its first access. */
void far_heap_mark_fresh(unsigned cls, uint64_t id, uint64_t count) {
  bool born_local = count == 1 && far_local_bytes() + ((size_t)1 << cls) < far_evac_start_bytes();
  if (born_local) far_scope_auto_enter(); /* attaches the thread, whose regions are sealed at exit */
  for (uint64_t i = 0; i < count; i++) {
    uint64_t e = FAR_E_NOREMOTE;
    if (born_local) {
      struct far_region *r;
      char *p = far_cache_alloc(cls, id + i, FAR_REGION_NORMAL, &r);
      e = far_entry_make(p, cls, id + i) | FAR_E_PRESENT | FAR_E_HOT | FAR_E_DIRTY | FAR_E_NOREMOTE;
    }
    far_entry_lock(cls, id + i);
    far_entry_set(cls, id + i, e);
    far_entry_unlock(cls, id + i);
  }
  if (born_local) far_scope_auto_exit();
}

/* Takes count consecutive ids of class cls; returns false when the class's id space is exhausted. */
static bool take_ids(unsigned cls, uint64_t count, uint64_t *id) {
  pthread_mutex_lock(&classes[cls].lock);
  bool ok = true;
  if (count == 1 && classes[cls].freed.n) *id = classes[cls].freed.ids[--classes[cls].freed.n];
  else if (count > 1 && far_runs_take_free(count, id)) {
  } else if (classes[cls].next + count <= FAR_GROUP_ID_BASE) { /* the upper half holds groups */
    *id = classes[cls].next;
    classes[cls].next += count;
  } else ok = false;
  if (ok && count > 1) far_runs_remember(*id, count);
  pthread_mutex_unlock(&classes[cls].lock);
  return ok;
}

void *far_malloc(size_t n) {
  far_init();
  if (n == 0) n = 1;
  unsigned cls = n <= LARGE_OBJECT ? class_for(n) : FAR_HEAP_CLASS_MAX;
  if (far_group_wants(cls)) {
    void *p = far_group_alloc(cls);
    if (!p) errno = ENOMEM;
    return p;
  }
  uint64_t count = n <= LARGE_OBJECT ? 1 : (n + LARGE_OBJECT - 1) / LARGE_OBJECT, id;
  if (count > FAR_TABLE_ID_MASK || !take_ids(cls, count, &id)) {
    errno = ENOMEM;
    return NULL;
  }
  far_heap_mark_fresh(cls, id, count);
  far_live_set(cls, id, count);
  return (void *)far_addr_make(cls, id);
}

void *far_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  return far_malloc(n * size); /* new objects read as zeros */
}

size_t far_usable_size(const void *p) {
  if (!far_is_far(p)) return 0;
  unsigned cls = far_addr_class((uintptr_t)p);
  if (far_group_holds((uintptr_t)p, &cls)) return (size_t)1 << cls;
  if (cls < FAR_HEAP_CLASS_MAX) return (size_t)1 << cls;
  pthread_mutex_lock(&classes[cls].lock);
  uint64_t count = far_runs_length(far_addr_id((uintptr_t)p));
  pthread_mutex_unlock(&classes[cls].lock);
  return count * LARGE_OBJECT;
}

void *far_realloc(void *p, size_t n) {
  if (!p) return far_malloc(n);
  if (!far_is_far(p)) return realloc(p, n);
  size_t old = far_usable_size(p);
  if (n <= old && (old <= 16 || n > old / 2)) return p;
  void *q = far_malloc(n);
  if (!q) return NULL;
  far_memcpy(q, p, old < n ? old : n);
  far_free(p);
  return q;
}

char *far_strdup(const char *s) {
  size_t n = far_strlen(s) + 1;
  char *d = far_malloc(n);
  if (d) far_memcpy(d, s, n);
  return d;
}

/* An object the evacuator may be writing back right now: it has finished waiting for scopes (only
 * then does it write), and its round has not let go of the object yet. */
static bool write_back_pending(unsigned cls, uint64_t id, uint64_t e) {
  if ((e & (FAR_E_PRESENT | FAR_E_EVAC)) != (FAR_E_PRESENT | FAR_E_EVAC)) return false;
  return atomic_load(&far_region_of(far_entry_local(e, cls, id))->synced);
}

/* Drops an object's local copy (far_free; far_mark_remote); returns true when the server may hold
 * data for it. Waits for a prefetch landing in it or a write-back of it in flight, so the server's
 * FREE (or an offloaded function's output) comes after them. */
bool far_object_drop(unsigned cls, uint64_t id) {
  uint64_t *slot = far_entry(cls, id);
  unsigned spins = 0;
  for (;;) {
    far_entry_lock(cls, id);
    uint64_t e = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if ((e & FAR_E_FETCHING) || write_back_pending(cls, id, e)) {
      far_entry_unlock(cls, id);
      far_relax(&spins);
      continue;
    }
    far_entry_set(cls, id, 0);
    far_entry_unlock(cls, id);
    return !(e & FAR_E_NOREMOTE);
  }
}

static void release_ids(unsigned cls, uint64_t id, uint64_t count) {
  pthread_mutex_lock(&classes[cls].lock);
  if (count == 1) push_id(&classes[cls].freed, id);
  else far_runs_give_free(id, count);
  pthread_mutex_unlock(&classes[cls].lock);
}

void far_free(void *p) {
  if (!far_is_far(p)) {
    free(p);
    return;
  }
  uintptr_t a = (uintptr_t)p;
  unsigned cls = far_addr_class(a);
  uint64_t id = far_addr_id(a), count = 1;
  bool grouped = far_group_holds(a, &cls);
  if (grouped ? !far_group_free(a, cls)
              : cls < FAR_HEAP_CLASS_MIN || cls > FAR_HEAP_CLASS_MAX || far_addr_within(a) != 0 ||
                    id > FAR_TABLE_ID_MASK || !far_live_clear(cls, id))
    far_fatal("far_free(%p): double free, or not an address returned by far_malloc", p);
  if (grouped) return; /* the group stays; its slot is reused */
  if (cls == FAR_HEAP_CLASS_MAX) {
    pthread_mutex_lock(&classes[cls].lock);
    count = far_runs_forget(id);
    pthread_mutex_unlock(&classes[cls].lock);
  }
  bool remote = false;
  for (uint64_t i = 0; i < count; i++) remote |= far_object_drop(cls, id + i);
  if (!remote) {
    release_ids(cls, id, count);
    return;
  }
  pthread_mutex_lock(&pending_lock);
  if (npending == cap_pending) {
    cap_pending = cap_pending ? 2 * cap_pending : 256;
    pending = realloc(pending, cap_pending * sizeof *pending);
    if (!pending) far_fatal("out of memory for the far heap's free queue");
  }
  pending[npending++] = (struct far_run){.cls = cls, .start = id, .count = count};
  atomic_store(&queued, npending);
  bool kick = npending >= FREE_BATCH;
  pthread_mutex_unlock(&pending_lock);
  if (kick) far_evac_kick();
}

bool far_heap_frees_waiting(void) {
  return atomic_load_explicit(&queued, memory_order_relaxed) >= FREE_BATCH;
}

/* Serialised, so a caller returns only after every free queued before it reached the server, even
 * those another thread (the evacuator) had taken. Called by evacuator threads between rounds (and by
 * tests), never inside a scope. */
void far_heap_flush_frees(void) {
  static pthread_mutex_t flushing = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&flushing);
  pthread_mutex_lock(&pending_lock);
  struct far_run *batch = pending;
  size_t n = npending;
  pending = NULL;
  npending = cap_pending = 0;
  atomic_store(&queued, 0);
  pthread_mutex_unlock(&pending_lock);
  if (n) far_evac_await_rounds(); /* a write-back of a freed object may still be in flight */
  for (size_t i = 0; i < n; i++) {
    int st = far_net_free(far_server(), batch[i].cls, batch[i].start, batch[i].count);
    if (st != FAR_OK) far_net_fail("free", st);
    release_ids(batch[i].cls, batch[i].start, batch[i].count);
  }
  free(batch);
  pthread_mutex_unlock(&flushing);
}
