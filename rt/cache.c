/* The local cache: one virtual arena carved into fixed-size regions. Each thread fills its own
 * current region by bump allocation (one per kind: normal, and non-temporal for don't-cache
 * accesses), so the common miss takes no shared lock. A full region is sealed onto a FIFO per kind;
 * the evacuator takes victims from the non-temporal FIFO first, then the oldest normal regions.
 * A region an evacuator filled with the hot objects it kept is marked kept (evac.c's ghosts only
 * look at the others, the arrivals: fetched, prefetched and allocated objects).
 * Object data grows up from the region's base and 8-byte headers (class, id) grow down from its end,
 * so objects stay 16-byte aligned and the evacuator can walk a region. A released region keeps its
 * pages ("warm") while resident memory, warm regions included, stays under the evacuator's blocking
 * threshold; beyond that its memory goes back to the kernel (MADV_DONTNEED). Streaming through the
 * cache releases and retakes a region every few hundred microseconds: returning and refaulting its
 * pages cost page clearing, memcg charges and a TLB shootdown each time. A fresh region is all zeros;
 * a warm one holds old bytes, so far_cache_alloc zeroes the objects it hands out from it
 * (never-written objects must read as zeros) and far_cache_alloc_raw, for callers that overwrite the
 * whole object, does not. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"
#include "support.h"

char *far_arena_base;
size_t far_arena_size;
static size_t region_bytes;
static struct far_region *regions;
static size_t nregions;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct far_region *free_list; /* memory returned to the kernel */
static struct far_region *warm_list; /* memory kept, holding old bytes */
static size_t nwarm;
static struct {
  struct far_region *head, *tail;
} sealed[FAR_REGION_KINDS];
static atomic_size_t used_regions;

static __thread struct far_region *current[FAR_REGION_KINDS];

static __thread bool keeper;       /* this thread is an evacuator */

size_t far_region_size(void) { return region_bytes; }

/* Regions of budget/64, a power of two between 256 KiB (at most a quarter of it lost to the largest
 * objects not fitting) and 1 MiB. Every thread holds a partly filled current region, and the
 * evacuator's thresholds sit whole regions apart, so coarse regions waste the budget: at 16 MiB,
 * 1 MiB regions (budget/16) left a Zipf hashtable 22000 local entries where 256 KiB ones hold
 * 40000. The arena is twice the budget: scopes may overshoot while the evacuator waits for them. */
void far_cache_init(size_t budget) {
  region_bytes = 1u << 20;
  while (region_bytes > (256u << 10) && region_bytes > budget / 64) region_bytes >>= 1;
  nregions = 2 * budget / region_bytes + 8;
  far_arena_size = nregions * region_bytes;
  far_arena_base = mmap(NULL, far_arena_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  regions = calloc(nregions, sizeof *regions);
  if (far_arena_base == MAP_FAILED || !regions)
    far_fatal("cannot reserve %zu bytes for the local cache (FAR_LOCAL_MEM)", far_arena_size);
  for (size_t i = nregions; i-- > 0;) {
    regions[i].base = far_arena_base + i * region_bytes;
    regions[i].next = free_list;
    free_list = &regions[i];
  }
}

size_t far_local_data_bytes(void) {
  return atomic_load_explicit(&used_regions, memory_order_relaxed) * region_bytes;
}

size_t far_local_meta_bytes(void) {
  return far_table_resident_bytes() + far_live_bytes() + far_group_meta_bytes() + nregions * sizeof *regions +
         far_evac_ghost_bytes();
}

static void note_peaks(void) {
  FAR_STAT_MAX(local_bytes_peak_data, far_local_data_bytes());
  FAR_STAT_MAX(local_bytes_peak_meta, far_local_meta_bytes());
  FAR_STAT_MAX(local_bytes_peak, far_local_bytes());
}

/* A warm region if there is one, else one whose memory went back to the kernel. */
static struct far_region *region_take(void) {
  pthread_mutex_lock(&lock);
  struct far_region *r = warm_list;
  if (r) {
    warm_list = r->next;
    nwarm--;
  } else if ((r = free_list)) {
    free_list = r->next;
  }
  pthread_mutex_unlock(&lock);
  if (!r)
    far_fatal("local memory exhausted (%zu bytes, twice FAR_LOCAL_MEM): scopes held open too long "
              "keep the evacuator from freeing memory", far_arena_size);
  return r;
}

static struct far_region *region_get(int kind) {
  struct far_region *r = region_take();
  /* One call maps a cold region in, instead of a page fault on the first touch of each of its
   * pages inside some miss (a 4 KiB miss paid one every time). Best effort: kernels before 5.14
   * refuse it, and the pages then fault in as before. */
  if (!r->stale) madvise(r->base, region_bytes, MADV_POPULATE_WRITE);
  r->top = 0;
  r->nobj = 0;
  r->kind = kind;
  r->kept = keeper;
  r->state = FAR_REGION_ACTIVE;
  r->next = NULL;
  atomic_store(&r->synced, 0);
  atomic_fetch_add(&used_regions, 1);
  note_peaks();
  far_evac_kick();
  if (far_local_bytes() > far_evac_block_bytes()) far_epoch_set_pressure(true); /* see evac.c */
  return r;
}

static void seal(struct far_region *r) {
  pthread_mutex_lock(&lock);
  r->state = FAR_REGION_SEALED;
  r->next = NULL;
  if (sealed[r->kind].tail) sealed[r->kind].tail->next = r;
  else sealed[r->kind].head = r;
  sealed[r->kind].tail = r;
  pthread_mutex_unlock(&lock);
  far_evac_kick(); /* an evacuator that found nothing to take waits for this */
}

/* Bytes a region holds: its objects and their headers. */
static size_t used(const struct far_region *r) { return r->top + r->nobj * sizeof(uint64_t); }

static bool fits(const struct far_region *r, unsigned cls) {
  return r && used(r) + ((size_t)1 << cls) + sizeof(uint64_t) <= region_bytes;
}

size_t far_cache_alloc_cost(unsigned cls, int kind) {
  return fits(current[kind], cls) ? (size_t)1 << cls : region_bytes;
}

void *far_cache_alloc_raw(unsigned cls, uint64_t id, int kind, struct far_region **region) {
  size_t size = (size_t)1 << cls;
  struct far_region *r = current[kind];
  if (!fits(r, cls)) {
    if (r) seal(r);
    r = current[kind] = region_get(kind);
  }
  char *p = r->base + r->top;
  r->top += size;
  ((uint64_t *)(r->base + region_bytes))[-(long)r->nobj - 1] = (uint64_t)cls << 32 | id;
  r->nobj++;
  *region = r;
  return p;
}

void *far_cache_alloc(unsigned cls, uint64_t id, int kind, struct far_region **region) {
  void *p = far_cache_alloc_raw(cls, id, kind, region);
  if ((*region)->stale) memset(p, 0, (size_t)1 << cls);
  return p;
}

struct far_region *far_region_of(const void *local) {
  return &regions[((const char *)local - far_arena_base) / region_bytes];
}

size_t far_cache_current_bytes(int kind) {
  struct far_region *r = current[kind];
  return r ? used(r) : 0;
}

void far_cache_seal_current(void) {
  for (int k = 0; k < FAR_REGION_KINDS; k++) {
    if (current[k] && current[k]->nobj) seal(current[k]);
    else if (current[k]) far_cache_release(current[k]);
    current[k] = NULL;
  }
}

/* Takes up to max regions of one kind, oldest first, skipping those with prefetches still landing
 * and, with spare_young, leaving the younger half of them (at least one) alone. */
static size_t take(int kind, struct far_region **out, size_t max, bool spare_young) {
  size_t len = 0, n = 0;
  for (struct far_region *r = sealed[kind].head; r; r = r->next) len++;
  size_t spare = !spare_young ? 0 : len / 2 ? len / 2 : 1;
  struct far_region **link = &sealed[kind].head, *prev = NULL;
  for (size_t pos = 0; *link && n < max && pos + spare < len; pos++) {
    struct far_region *r = *link;
    if (atomic_load(&r->inflight) != 0) {
      prev = r;
      link = &r->next;
      continue;
    }
    *link = r->next;
    if (sealed[kind].tail == r) sealed[kind].tail = prev;
    r->state = FAR_REGION_VICTIM;
    r->next = NULL;
    atomic_store(&r->synced, 0);
    out[n++] = r;
  }
  return n;
}

void far_cache_mark_keeper(void) { keeper = true; }

/* Non-temporal regions first, then the oldest normal ones. The younger half of the normal FIFO
 * is spared while older regions remain: it holds the hot objects the last rounds just copied (their
 * CLOCK bits cleared), and taking it at once would evict them before the program could touch them
 * again. (A probation share for arrivals, S3-FIFO's small queue, was tried in session 5 and taken
 * out: docs/runtime.md, "Evacuation order".) */
size_t far_cache_pick_victims(struct far_region **out, size_t max) {
  pthread_mutex_lock(&lock);
  size_t n = take(FAR_REGION_NT, out, max, false);
  n += take(FAR_REGION_NORMAL, out + n, max - n, true);
  if (n == 0) n = take(FAR_REGION_NORMAL, out, max, false);
  pthread_mutex_unlock(&lock);
  return n;
}

/* Keeps the region warm while resident memory (regions in use, warm ones and metadata) stays at or
 * under the blocking threshold, which is below the budget; otherwise returns its memory. */
void far_cache_release(struct far_region *r) {
  size_t meta = far_local_meta_bytes();
  pthread_mutex_lock(&lock);
  bool warm = (atomic_load(&used_regions) + nwarm) * region_bytes + meta <= far_evac_block_bytes();
  nwarm += warm; /* counted from now on, so concurrent releases see it */
  pthread_mutex_unlock(&lock);
  if (!warm) madvise(r->base, region_bytes, MADV_DONTNEED);
  pthread_mutex_lock(&lock);
  r->stale = warm;
  r->state = FAR_REGION_FREE;
  r->next = warm ? warm_list : free_list;
  *(warm ? &warm_list : &free_list) = r;
  pthread_mutex_unlock(&lock);
  atomic_fetch_sub(&used_regions, 1);
}

void far_cache_requeue(struct far_region *r) { seal(r); }
