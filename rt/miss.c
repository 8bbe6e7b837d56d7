/* The barriers' slow path: everything the inline fast path in far/rt.h does not handle. Under the
 * entry's lock it re-reads the entry and then either marks a present object dirty, zero-fills a
 * never-written object locally, fetches a remote one (the lock is dropped during the round trip while
 * the entry says FETCHING, so other objects on the same table page stay reachable), waits for a fetch
 * already in flight, or deals with an object the evacuator chose:
 *   - the evacuator is still waiting for older scopes: take it back (clear EVAC) and use it in place;
 *   - the wait is over: move it to this thread's region (pauseless: no waiting for the evacuator).
 * A thread waiting for a fetch in flight reads the sockets itself, as a synchronous miss does
 * (net_wait.c): the reply, its own prefetch's or anyone's, completes on the waiting thread. A thread
 * about to fetch or wait first sends the prefetches it queued (far_prefetch_objects_later): the
 * object it needs may be among them, and they should not wait behind its round trip. */
#include <string.h>

#include "core.h"
#include "net_internal.h"
#include "support.h"

/* Records a use of an object whose CLOCK bit is clear. The first use of a prefetched object counts
 * as its arrival, like the access that follows a demand miss, and does not raise the bit (a scan
 * must not look hot): it returns true, counted here, and the caller, holding no entry lock, slides
 * the prefetch window (far_prefetch_hit). Any other use raises the bit. */
static bool mark_hot(uint64_t *slot) {
  if (__atomic_load_n(slot, __ATOMIC_RELAXED) & FAR_E_PREFETCHED) {
    if (!(__atomic_fetch_and(slot, ~FAR_E_PREFETCHED, __ATOMIC_RELAXED) & FAR_E_PREFETCHED)) return false;
    FAR_STAT_INC(prefetch_used);
    return true;
  }
  __atomic_fetch_or(slot, FAR_E_HOT, __ATOMIC_RELAXED);
  return false;
}

static char *use_evacuating(unsigned cls, uint64_t id, uint64_t e, uint64_t dirty, int kind) {
  char *old = far_entry_local(e, cls, id);
  if (!atomic_load_explicit(&far_region_of(old)->synced, memory_order_acquire)) {
    far_entry_set(cls, id, (e & ~FAR_E_EVAC) | FAR_E_HOT | dirty);
    return old;
  }
  /* The evacuator may be writing the old copy back right now, so the server may hold the object
   * from here on: never NOREMOTE again (its far_free must send a FREE, after that write). */
  struct far_region *r;
  char *p = far_cache_alloc_raw(cls, id, kind, &r);
  memcpy(p, old, (size_t)1 << cls);
  far_entry_set(cls, id, far_entry_make(p, cls, id) | FAR_E_PRESENT | FAR_E_HOT | (e & FAR_E_DIRTY) | dirty);
  return p;
}

static char *fetch(unsigned cls, uint64_t id, uint64_t dirty, int kind) {
  struct far_region *r;
  char *p = far_cache_alloc_raw(cls, id, kind, &r);
  atomic_fetch_add(&r->inflight, 1);
  far_entry_set(cls, id, FAR_E_FETCHING);
  far_entry_unlock(cls, id);
  int st = far_net_read(far_server(), cls, id, p);
  if (st != FAR_OK) far_net_fail("read", st);
  FAR_STAT_INC(miss);
  FAR_STAT_ADD(bytes_fetched, (size_t)1 << cls);
  far_entry_lock(cls, id);
  far_entry_set(cls, id, far_entry_make(p, cls, id) | FAR_E_PRESENT | dirty);
  atomic_fetch_sub(&r->inflight, 1);
  return p;
}

static int fetch_over(void *slot) {
  return !(__atomic_load_n((uint64_t *)slot, __ATOMIC_ACQUIRE) & FAR_E_FETCHING);
}

/* Waits until the fetch of *slot in flight has landed, reading and completing the replies that
 * come meanwhile: spin, then sleep in poll() on the busy sockets (net_wait). Napping instead and
 * leaving the reply to the poller costs a wake-up of each thread on top of the reply's latency. */
static void wait_fetch(uint64_t *slot) {
  net_wait(far_server(), fetch_over, slot, NULL, 0, -1, 0);
}

char *far_object_local(unsigned cls, uint64_t id, int access, bool *missed, bool *prefetched) {
  uint64_t *slot = far_entry(cls, id);
  uint64_t dirty = (access & FAR_ACCESS_WRITE) ? FAR_E_DIRTY : 0;
  int kind = (access & FAR_ACCESS_NT) ? FAR_REGION_NT : FAR_REGION_NORMAL;
  for (;;) {
    far_entry_lock(cls, id);
    uint64_t e = __atomic_load_n(slot, __ATOMIC_RELAXED);
    char *p;
    if (e & FAR_E_FETCHING) { /* someone else's fetch or a prefetch: wait for it */
      far_entry_unlock(cls, id);
      far_prefetch_flush(); /* what this thread queued leaves before it waits */
      wait_fetch(slot);
      continue;
    }
    if (!(e & (FAR_E_PRESENT | FAR_E_NOREMOTE)) && far_prefetch_queued()) {
      far_entry_unlock(cls, id); /* the object may be queued: send the queue, then wait for it */
      far_prefetch_flush();
      continue;
    }
    if ((e & (FAR_E_PRESENT | FAR_E_EVAC)) == (FAR_E_PRESENT | FAR_E_EVAC)) {
      p = use_evacuating(cls, id, e, dirty, kind);
    } else if (e & FAR_E_PRESENT) {
      if (dirty) __atomic_fetch_or(slot, dirty, __ATOMIC_RELAXED);
      if (!(access & FAR_ACCESS_NT) && mark_hot(slot)) *prefetched = true;
      p = far_entry_local(e, cls, id);
    } else if (e & FAR_E_NOREMOTE) {
      struct far_region *r;
      p = far_cache_alloc(cls, id, kind, &r); /* already zero (cache.c) */
      far_entry_set(cls, id, far_entry_make(p, cls, id) | FAR_E_PRESENT | FAR_E_NOREMOTE | dirty);
    } else {
      p = fetch(cls, id, dirty, kind);
      *missed = true;
    }
    far_entry_unlock(cls, id);
    return p;
  }
}

/* The fast path's conditions except the CLOCK bit: the object only needs marking hot again. */
static bool only_cold(uintptr_t a, size_t size, int access) {
  long c = far_class_of_(a);
  if (c < FAR_HEAP_CLASS_MIN || !far_self.depth) return false;
  uintptr_t off = a & FAR_ADDR_OFFSET_MASK, id = off >> c;
  if (id > FAR_TABLE_ID_MASK || ((off + size - 1) >> c) != id) return false;
  uint64_t need = FAR_E_PRESENT | ((access & FAR_ACCESS_WRITE) ? FAR_E_DIRTY : 0);
  uint64_t *slot = far_entry(c, id);
  uint64_t e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if ((e & (need | FAR_E_EVAC)) != need) return false;
  if (mark_hot(slot)) far_prefetch_hit(a);
  return true;
}

static void *access_slow(uintptr_t a, size_t size, unsigned site, int access) {
  if (far_self.pending & FAR_PENDING_NT) access |= FAR_ACCESS_NT;
  if (far_self.pending & FAR_PENDING_WRITEBACK) {
    void *bounce = far_bounce_access(a, size, access, false);
    if (bounce) return bounce;
  }
  if (!(access & FAR_ACCESS_NT) && only_cold(a, size, access)) {
    uint64_t e = __atomic_load_n(far_entry(far_addr_class(a), far_addr_id(a)), __ATOMIC_ACQUIRE);
    return (char *)(uintptr_t)((e + (a & FAR_ADDR_OFFSET_MASK)) & FAR_E_ADDR_MASK);
  }
  FAR_STAT_INC(barrier_slow);
  if (far_self.depth == 0)
    far_fatal("far_read/far_write of %p outside a scope (use far_scope_enter/exit)", (void *)a);
  unsigned cls = far_addr_class(a);
  uint64_t id = far_addr_id(a);
  if (cls < FAR_HEAP_CLASS_MIN || id > FAR_TABLE_ID_MASK) far_fatal("invalid far address %p", (void *)a);
  size_t within = far_addr_within(a);
  if (size && within + size > ((size_t)1 << cls))
    return far_bounce_access(a, size, access, true);
  bool missed = false, prefetched = false;
  char *p = far_object_local(cls, id, access, &missed, &prefetched);
  if (missed && site)
    far_prefetch_miss(site, a, (access & FAR_ACCESS_NT) ? FAR_REGION_NT : FAR_REGION_NORMAL);
  if (prefetched) far_prefetch_hit(a);
  return p + within;
}

void *far_read_slow(const void *addr, size_t size, unsigned site) {
  return access_slow((uintptr_t)addr, size, site, FAR_ACCESS_READ);
}

void *far_write_slow(void *addr, size_t size, unsigned site) {
  return access_slow((uintptr_t)addr, size, site, FAR_ACCESS_WRITE);
}

/* Don't-cache accesses that missed the inline fast path (which uses a present object where it is,
 * without raising its CLOCK bit): a missing object is fetched into the non-temporal region, which
 * the evacuator empties first. */
void *far_read_nt_slow(const void *addr, size_t size, unsigned site) {
  return access_slow((uintptr_t)addr, size, site, FAR_ACCESS_READ | FAR_ACCESS_NT);
}

void *far_write_nt_slow(void *addr, size_t size, unsigned site) {
  return access_slow((uintptr_t)addr, size, site, FAR_ACCESS_WRITE | FAR_ACCESS_NT);
}
