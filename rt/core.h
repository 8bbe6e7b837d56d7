/* Internal interfaces between the pieces of the runtime core (heap, object table, scopes, local
 * cache, evacuator, slow paths, prefetcher). Not installed. */
#ifndef FAR_CORE_H
#define FAR_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "far/net.h"
#include "far/rt.h"
#include "far/stats.h"

/* ---- Far addresses ---- */
static inline uintptr_t far_addr_make(unsigned cls, uint64_t id) {
  return (FAR_ADDR_TAG << 56) | ((uintptr_t)cls << FAR_ADDR_CLASS_SHIFT) | (id << cls);
}
static inline unsigned far_addr_class(uintptr_t a) { return (a >> FAR_ADDR_CLASS_SHIFT) & 31; }
static inline uint64_t far_addr_id(uintptr_t a) { return (a & FAR_ADDR_OFFSET_MASK) >> far_addr_class(a); }
static inline size_t far_addr_within(uintptr_t a) { return a & ((1ull << far_addr_class(a)) - 1); }
/* The objects a far heap range [addr, addr + len) covers: class *cls, ids *first .. *end - 1. False
 * (and nothing set) for an empty range or one outside the far heap's classes. */
static inline bool far_range_ids(const void *addr, size_t len, unsigned *cls, uint64_t *first, uint64_t *end) {
  uintptr_t a = (uintptr_t)addr;
  if (far_class_of_(a) < FAR_HEAP_CLASS_MIN || len == 0) return false;
  *cls = far_addr_class(a);
  *first = far_addr_id(a);
  *end = far_addr_id(a + len - 1) + 1;
  return true;
}

/* ---- Runtime state (init.c) ---- */
struct far_runtime {
  far_net *net;
  size_t budget;           /* FAR_LOCAL_MEM */
  unsigned evac_threads;
  int stats_mode;
  int ready;
};
extern struct far_runtime far_rt;
/* Initialises the runtime once (config, server, connections, evacuator); every entry point that can
 * create far addresses calls it. */
void far_init(void);
/* The connection to the memory server(s). With FAR_SERVER unset the embedded farmemd is started by
 * the first call (init.c): every path that talks to the server gets its handle here. */
far_net *far_server(void);
/* Network failure on a path that cannot return an error: message naming the operation, exit. */
void far_net_fail(const char *what, int status) __attribute__((noreturn));

/* ---- Object table (table.c) ---- */
static inline uint64_t *far_entry(unsigned cls, uint64_t id) {
  return &far_table[((uint64_t)cls << FAR_TABLE_ID_BITS) + id];
}
/* A present entry's address field <-> the local address of object (cls, id) (see far_access_). */
static inline uint64_t far_entry_make(const void *local, unsigned cls, uint64_t id) {
  return ((uint64_t)(uintptr_t)local - (id << cls)) & FAR_E_ADDR_MASK;
}
static inline char *far_entry_local(uint64_t e, unsigned cls, uint64_t id) {
  return (char *)(uintptr_t)((e + (id << cls)) & FAR_E_ADDR_MASK);
}
static inline bool far_entry_pins(uint64_t e) {
  return (e & (FAR_E_PRESENT | FAR_E_NOREMOTE | FAR_E_FETCHING)) != 0;
}
void far_table_init(void);
/* Entry updates happen under the entry's lock (stripes per table page). far_entry_set keeps the
 * page's pin count and queues a table page whose entries all became 0 (remote) for release. */
void far_entry_lock(unsigned cls, uint64_t id);
void far_entry_unlock(unsigned cls, uint64_t id);
void far_entry_set(unsigned cls, uint64_t id, uint64_t e);
size_t far_table_resident_bytes(void);
/* Table pages whose entries all became 0 wait in a list until the evacuator returns them to the
 * kernel (those still empty then): far_table_empty_pages() of them are waiting. */
size_t far_table_empty_pages(void);
void far_table_release_empty(void);

/* ---- Local cache (cache.c) ---- */
enum far_region_kind { FAR_REGION_NORMAL, FAR_REGION_NT, FAR_REGION_KINDS };
enum far_region_state { FAR_REGION_FREE, FAR_REGION_ACTIVE, FAR_REGION_SEALED, FAR_REGION_VICTIM };

struct far_region {
  char *base;
  size_t top;                /* bytes of object data used from base */
  uint32_t nobj;             /* headers grow down from base + region size */
  int kind, state;
  atomic_int inflight;       /* fetches still writing into this region */
  atomic_int synced;         /* evacuation: every thread that could hold its addresses has left */
  bool stale;                /* recycled warm (cache.c): holds old bytes, not zeros */
  bool kept;                 /* filled by an evacuator with the hot objects it kept (cache.c) */
  struct far_region *next;
};

/* Object header kept at the region's end: class and id, so the evacuator can walk a region. */
static inline uint64_t far_region_header(const struct far_region *r, uint32_t i);

void far_cache_init(size_t budget);
/* Room for one object of class cls in the calling thread's region of the given kind; records its
 * header. The caller installs the entry. *region receives the region (for inflight counts). */
void *far_cache_alloc(unsigned cls, uint64_t id, int kind, struct far_region **region);
/* The same, but the object's bytes are whatever the region held: for callers that overwrite all
 * 2^cls of them (a fetch, a prefetch, a copy). */
void *far_cache_alloc_raw(unsigned cls, uint64_t id, int kind, struct far_region **region);
struct far_region *far_region_of(const void *local);
/* Seals the calling thread's current regions (thread exit; the evacuator once its copy region is
 * half full or old, so the hot objects it copied face the CLOCK again, see evac.c). */
void far_cache_seal_current(void);
/* Bytes the calling thread's current region of the given kind holds (objects and headers), 0 when it
 * has none. */
size_t far_cache_current_bytes(int kind);
/* Bytes an allocation of class cls in the calling thread's region of the given kind adds to local
 * memory: the object's size when it fits in the current region, else a whole new region. */
size_t far_cache_alloc_cost(unsigned cls, int kind);
/* Evacuator side: up to max victims (non-temporal regions first, then the oldest), marked VICTIM. */
size_t far_cache_pick_victims(struct far_region **out, size_t max);
/* The calling thread is an evacuator: the regions it fills hold kept (hot) objects, not arrivals. */
void far_cache_mark_keeper(void);
/* Local memory of the evacuator's ghosts (evac.c), counted as metadata. */
size_t far_evac_ghost_bytes(void);
/* Object (cls, id) is no ghost: its return is not to count as reuse (evac.c; a group that lost the
 * object that brought it back, group.c). */
void far_evac_forget(unsigned cls, uint64_t id);
void far_cache_release(struct far_region *r);   /* victim emptied: back to the free list */
void far_cache_requeue(struct far_region *r);   /* victim kept (objects rescued): sealed again */
size_t far_region_size(void);
extern char *far_arena_base;
extern size_t far_arena_size;

/* Bytes of local memory in use for far data (regions) and metadata (table pages, bookkeeping). */
size_t far_local_data_bytes(void);
size_t far_local_meta_bytes(void);
static inline size_t far_local_bytes(void) { return far_local_data_bytes() + far_local_meta_bytes(); }

static inline uint64_t far_region_header(const struct far_region *r, uint32_t i) {
  return ((const uint64_t *)(r->base + far_region_size()))[-(long)i - 1];
}

/* ---- Scopes and epochs (scope.c) ---- */
/* Advances the epoch, fences every running thread, then waits until no thread remains inside a scope
 * it entered under an older epoch. Records the longest wait and its scope site. */
void far_epoch_sync(void);
/* Sets or clears the "mutators wait at scope entry" bit. */
void far_epoch_set_pressure(bool on);
/* Opens the scope functions called outside any scope need. */
static inline void far_scope_auto_enter(void) { far_scope_enter(0); }
static inline void far_scope_auto_exit(void) { far_scope_exit(); }

/* ---- Evacuator (evac.c) ---- */
void far_evac_start(unsigned threads);
/* Called after local memory grew: wakes the evacuator above the start threshold. */
void far_evac_kick(void);
/* Returns once every evacuation round running at the call has ended (its write-backs acknowledged).
 * Not from inside a scope: a round waits for older scopes. */
void far_evac_await_rounds(void);
/* Budget thresholds in bytes. */
size_t far_evac_start_bytes(void);
size_t far_evac_block_bytes(void);
/* Victim regions the evacuator has handled so far (threads waiting for memory watch it). */
unsigned long far_evac_progress(void);
/* At exit: waits for a round in progress, then starts no more. */
void far_evac_stop(void);

/* ---- Slow paths (miss.c, straddle.c) ---- */
/* Bounce buffers written through go back to their objects (outermost scope exit). */
void far_straddle_flush(void);
enum far_access { FAR_ACCESS_READ = 0, FAR_ACCESS_WRITE = 1, FAR_ACCESS_NT = 2 };
/* Local address of the object at (cls, id), made present (fetched, zero-filled or moved out of an
 * evacuating region); marks it dirty for writes. Caller is inside a scope. Sets *missed when it was
 * fetched on demand and *prefetched on the first use of a prefetched object. */
char *far_object_local(unsigned cls, uint64_t id, int access, bool *missed, bool *prefetched);
/* The bounce buffer for [a, a+size) when the range straddles objects or overlaps a bounce buffer of
 * this scope (NULL otherwise: the access can use the object itself). */
void *far_bounce_access(uintptr_t a, size_t size, int access, bool straddles);
/* Bytes from a to the end of its object (far), or n (non-far). */
size_t far_span(const void *a, size_t n);

/* ---- Heap (heap.c) ---- */
/* Drops the local copy of (cls, id), leaving the entry "data on the server"; waits out a prefetch
 * landing in it or a write-back in flight. Returns true when the server may hold data for it. */
bool far_object_drop(unsigned cls, uint64_t id);

/* ---- Prefetcher (prefetch.c) ---- */
/* A demand miss at site: feeds the site's stride detector, which may prefetch ahead into regions of
 * the given kind (don't-cache misses prefetch into the non-temporal region). */
void far_prefetch_miss(unsigned site, uintptr_t a, int kind);
/* First use of a prefetched object at a: keeps the stream's window ahead of the consumer. */
void far_prefetch_hit(uintptr_t a);
/* This thread has prefetches queued by far_prefetch_objects_later, not sent yet. */
bool far_prefetch_queued(void);

/* ---- Heap (heap.c, live.c) ---- */
void far_heap_init(void);
void far_live_init(void);
/* Marks the allocation starting at (cls, id), count ids long, live. */
void far_live_set(unsigned cls, uint64_t id, uint64_t count);
/* Clears the allocation start (cls, id); false when it was not live. */
bool far_live_clear(unsigned cls, uint64_t id);
/* Resident bytes of the live bitmap (an upper bound). */
size_t far_live_bytes(void);
/* Installs a new allocation's ids: born local (present, hot, dirty) while there is room, else
 * marked never-written. */
void far_heap_mark_fresh(unsigned cls, uint64_t id, uint64_t count);
/* Completes far_free's deferred server frees; ids become reusable afterwards. */
void far_heap_flush_frees(void);
/* far_free's queue is long enough that the evacuator should flush it. */
bool far_heap_frees_waiting(void);

/* ---- Small-object groups (group.c) ---- */
/* Ids of a class from here up are groups of small objects; ordinary objects use the ids below. */
#define FAR_GROUP_ID_BASE (1ull << (FAR_TABLE_ID_BITS - 1))
void far_group_init(unsigned per_group); /* FAR_GROUP: objects per group, 1 = no grouping */
/* Allocations of class cls are grouped. */
bool far_group_wants(unsigned cls);
/* a lies in a group; *slot_cls receives the class of its objects. */
bool far_group_holds(uintptr_t a, unsigned *slot_cls);
/* A zeroed object of class cls inside a group; NULL when the class's groups are exhausted. */
void *far_group_alloc(unsigned cls);
/* Frees the grouped object at a; false when a is not an allocated object's start. */
bool far_group_free(uintptr_t a, unsigned cls);
size_t far_group_meta_bytes(void);

/* Spin-then-yield pause for short waits on other threads. */
void far_relax(unsigned *spins);

#endif
