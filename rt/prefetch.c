/* The stride prefetcher. Each thread keeps a few streams keyed by the barrier's call site; a demand
 * miss at a site updates its stream's stride, and after two equal non-zero strides in a row the
 * stream fetches a window ahead (256 KiB or 64 objects, whichever is less) in one asynchronous
 * batch. The first use of a prefetched object (seen by far_mark_hot or the slow path) slides the
 * window on, so a sequential scan keeps missing only at its start. far_prefetch(addr, len) fetches a
 * range on request. Prefetched objects land in the prefetching thread's region; the region is not
 * evacuated while their data is still arriving. Stride prefetches stop while local usage is above
 * the blocking threshold; far_prefetch goes on up to the budget itself (the program asked).
 * far_prefetch_objects_later queues scattered prefetches per thread and sends them together (a
 * batched get with several batches in flight: one request for three batches' entries), as lazy
 * requests: the replies wait in the socket until this thread needs one of the objects and reads
 * them itself, instead of each waking the poller (net_batch.c). */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "net_internal.h"
#include "support.h"

#define STREAMS 8
#define WINDOW_BYTES (256u << 10)
#define WINDOW_OBJECTS 64u
#define COALESCE_OBJECTS 32u /* far_prefetch_objects_later sends once this many are queued */

struct stream {
  unsigned site;
  int kind;         /* region kind the prefetched objects go to: don't-cache streams stay apart */
  uintptr_t last;   /* address of the last miss or prefetched hit */
  intptr_t stride;
  unsigned matches;
  uintptr_t ahead;  /* furthest address prefetched */
};

struct batch {
  far_ticket ticket;
  size_t n;
  struct far_region **regions;
  far_io ios[];
};

static __thread struct stream streams[STREAMS];

/* Completion, on whichever thread received the last reply: install, then free the batch (the
 * client no longer touches the ticket once this returns). The objects' regions are let go of in
 * runs (a batch's objects were mostly claimed from one region): one atomic per run, not per object. */
static void landed(far_ticket *t, void *arg) {
  struct batch *b = arg;
  size_t run = 0;
  for (size_t i = 0; i < b->n; i++) {
    far_io *io = &b->ios[i];
    far_entry_lock(io->cls, io->id);
    uint64_t e = io->status == FAR_OK
                     ? far_entry_make(io->buf, io->cls, io->id) | FAR_E_PRESENT | FAR_E_PREFETCHED
                     : 0;
    /* Install only what is still awaited: a stride prefetch can run past the end of an allocation,
     * and the heap may meanwhile have handed that id to a new object whose data must survive. */
    if (__atomic_load_n(far_entry(io->cls, io->id), __ATOMIC_RELAXED) == FAR_E_FETCHING)
      far_entry_set(io->cls, io->id, e);
    far_entry_unlock(io->cls, io->id);
    run++;
    if (i + 1 == b->n || b->regions[i + 1] != b->regions[i]) {
      atomic_fetch_sub(&b->regions[i]->inflight, (int)run);
      run = 0;
    }
  }
  free(b);
}

/* Adds (cls, id) to the batch when it is on the server and not local. */
static void claim(struct batch *b, unsigned cls, uint64_t id, int kind) {
  far_entry_lock(cls, id);
  if (__atomic_load_n(far_entry(cls, id), __ATOMIC_RELAXED) == 0) {
    struct far_region *r;
    char *p = far_cache_alloc_raw(cls, id, kind, &r);
    atomic_fetch_add(&r->inflight, 1);
    far_entry_set(cls, id, FAR_E_FETCHING);
    b->regions[b->n] = r;
    b->ios[b->n++] = (far_io){.cls = (uint8_t)cls, .id = id, .buf = p};
  }
  far_entry_unlock(cls, id);
}

/* An empty batch with room for WINDOW_OBJECTS objects, or NULL when out of memory. */
static struct batch *batch_new(void) {
  struct batch *b = malloc(sizeof *b + WINDOW_OBJECTS * (sizeof(far_io) + sizeof(struct far_region *)));
  if (!b) return NULL;
  b->regions = (struct far_region **)(b->ios + WINDOW_OBJECTS);
  b->n = 0;
  return b;
}

/* Sends the batch as one asynchronous readv (landed() installs and frees it); an empty one is freed.
 * lazy: this thread comes back for the objects and reads the replies then (net_readv_lazy). */
static void batch_send_as(struct batch *b, int lazy) {
  if (!b->n) {
    free(b);
    return;
  }
  FAR_STAT_ADD(prefetch_issued, b->n);
  FAR_STAT_INC(prefetch_requests);
  int st = (lazy ? net_readv_lazy : far_net_readv)(far_server(), b->ios, b->n, &b->ticket, landed, b);
  if (st != FAR_OK) far_net_fail("prefetch", st);
}

static void batch_send(struct batch *b) { batch_send_as(b, 0); }

/* Prefetches the objects covering from, from + step, ... (count addresses, at most WINDOW_OBJECTS
 * objects) unless local usage is at limit; returns the last address covered. */
static uintptr_t issue(uintptr_t from, intptr_t step, size_t count, int kind, size_t limit) {
  if (far_local_bytes() >= limit) return from - step; /* no room to spare */
  struct batch *b = batch_new();
  if (!b) return from;
  uint64_t prev_id = UINT64_MAX;
  uintptr_t a = from, covered = from - step;
  size_t used = far_local_bytes(), room = used < limit ? limit - used : 0;
  for (size_t i = 0; i < count && b->n < WINDOW_OBJECTS; i++, a += step) {
    uint64_t id = far_addr_id(a);
    if (far_class_of_(a) < FAR_HEAP_CLASS_MIN || id > FAR_TABLE_ID_MASK) break;
    size_t size = (size_t)1 << far_addr_class(a);
    if (size > room) break;
    room -= size;
    covered = a;
    if (id == prev_id) continue;
    prev_id = id;
    claim(b, far_addr_class(a), id, kind);
  }
  batch_send(b);
  return covered;
}

/* Keeps the stream's window a full window ahead of a. */
static void extend(struct stream *s, uintptr_t a) {
  intptr_t step = s->stride;
  size_t mag = (size_t)(step < 0 ? -step : step);
  size_t window = WINDOW_BYTES / mag ? WINDOW_BYTES / mag : 1;
  bool ahead_of_a = step > 0 ? s->ahead > a : s->ahead < a;
  uintptr_t start = ahead_of_a ? s->ahead + step : a + step;
  uintptr_t target = a + step * (intptr_t)window;
  size_t count = (size_t)((intptr_t)(target - start) / step) + 1;
  if ((intptr_t)(target - start) / step < 0) return;
  s->ahead = issue(start, step, count, s->kind, far_evac_block_bytes());
}

void far_prefetch_miss(unsigned site, uintptr_t a, int kind) {
  struct stream *s = &streams[site % STREAMS];
  if (s->site != site || s->kind != kind) {
    *s = (struct stream){.site = site, .kind = kind, .last = a, .ahead = a};
    return;
  }
  intptr_t d = (intptr_t)(a - s->last);
  if (d != 0 && d == s->stride) s->matches++;
  else s->stride = d, s->matches = 0;
  s->last = a;
  if (s->matches >= 2) extend(s, a);
}

void far_prefetch_hit(uintptr_t a) {
  for (int i = 0; i < STREAMS; i++) {
    struct stream *s = &streams[i];
    if (s->matches < 2) continue;
    bool inside = s->stride > 0 ? (a > s->last && a <= s->ahead) : (a < s->last && a >= s->ahead);
    if (!inside) continue;
    s->last = a;
    extend(s, a);
    return;
  }
}

/* Prefetches the objects of [addr, addr + len) into regions of the given kind. */
static void prefetch_range(const void *addr, size_t len, int kind) {
  uintptr_t a = (uintptr_t)addr;
  if (far_class_of_(a) < 0 || len == 0) return;
  size_t obj = (size_t)1 << far_addr_class(a);
  uintptr_t end = a + len;
  a -= far_addr_within(a);
  while (a < end) {
    size_t count = (end - a + obj - 1) / obj;
    uintptr_t last = issue(a, (intptr_t)obj, count, kind, far_rt.budget);
    if (last < a) return; /* nothing could be issued */
    a = last + obj;
  }
}

void far_prefetch(const void *addr, size_t len) { prefetch_range(addr, len, FAR_REGION_NORMAL); }

/* Scattered objects (a batched hashtable get): WINDOW_OBJECTS per asynchronous readv, up to the
 * budget, like far_prefetch; object i goes to a region of kind kinds[i] (kinds NULL: normal). */
static void prefetch_objects(const void *const *addrs, const unsigned char *kinds, size_t n, int lazy) {
  size_t used = far_local_bytes(), room = used < far_rt.budget ? far_rt.budget - used : 0;
  for (size_t at = 0; at < n && room;) {
    struct batch *b = batch_new();
    if (!b) return;
    for (; at < n && b->n < WINDOW_OBJECTS; at++) {
      uintptr_t a = (uintptr_t)addrs[at];
      if (far_class_of_(a) < FAR_HEAP_CLASS_MIN || far_addr_id(a) > FAR_TABLE_ID_MASK) continue;
      size_t size = (size_t)1 << far_addr_class(a);
      if (size > room) {
        room = 0;
        break;
      }
      room -= size;
      claim(b, far_addr_class(a), far_addr_id(a), kinds ? kinds[at] : FAR_REGION_NORMAL);
    }
    batch_send_as(b, lazy);
  }
}

void far_prefetch_objects(const void *const *addrs, size_t n) { prefetch_objects(addrs, NULL, n, 0); }

/* Prefetches queued by far_prefetch_objects_later on this thread: not claimed yet (their entries
 * still say "on the server"), so a queue that is never sent costs nothing but the hint. */
static __thread struct {
  const void *addr[WINDOW_OBJECTS];
  unsigned char kind[WINDOW_OBJECTS]; /* the region kind each goes to */
  size_t n;
  uint64_t calls;  /* far_prefetch_objects_later calls so far (far_prefetch_queue_mark) */
  uint64_t oldest; /* the call whose objects have waited longest, while n > 0 */
} later;

void far_prefetch_flush(void) {
  size_t n = later.n;
  if (!n) return;
  later.n = 0;
  /* Fetched for this thread's later use: its replies are read by the thread when it comes back for
   * an object (net_readv_lazy), not by the poller woken by each reply (benchmarks/RESULTS.md, ## ds:
   * hashtable_25pct_share 0.39 / 0.39 lazy against 0.33 / 0.27 with the poller, quiet, alternated). */
  prefetch_objects(later.addr, later.kind, n, 1);
}

bool far_prefetch_queued(void) { return later.n != 0; }

uint64_t far_prefetch_queue_mark(void) { return later.calls; }

void far_prefetch_flush_to(uint64_t mark) {
  if (later.n && later.oldest <= mark) far_prefetch_flush();
}

/* Every request costs both ends a send, a receive and a wake-up whatever it carries, so queued
 * objects leave together once COALESCE_OBJECTS are queued (or when this thread needs one of them,
 * see far_object_local, or asks with far_prefetch_flush / far_prefetch_flush_to). */
static void queue_later(const void *const *addrs, size_t n, int kind) {
  uint64_t call = ++later.calls;
  for (size_t i = 0; i < n; i++) {
    if (later.n == WINDOW_OBJECTS) far_prefetch_flush();
    if (!later.n) later.oldest = call;
    later.kind[later.n] = (unsigned char)kind;
    later.addr[later.n++] = addrs[i];
  }
  if (later.n >= COALESCE_OBJECTS) far_prefetch_flush();
}

void far_prefetch_objects_later(const void *const *addrs, size_t n) {
  queue_later(addrs, n, FAR_REGION_NORMAL);
}

/* The same into the non-temporal region, which the evacuator empties first without keeping
 * anything: for objects the caller expects to use once (a hashtable entry missed for the first
 * time in a while). */
void far_prefetch_objects_later_nt(const void *const *addrs, size_t n) {
  queue_later(addrs, n, FAR_REGION_NT);
}

/* Objects wanted soon by this thread: when it has prefetches queued, they leave together in one lazy
 * request (a request and, for the reply, a wake-up of the poller fewer); else in one of their own,
 * whose reply the poller installs on its own core while this thread goes on. (Webfront's page of
 * each request: at 25% its entries are queued and the page joins them; at 100% nothing is queued,
 * and reading the page's reply on the request thread cost it 9-17% more CPU.) */
void far_prefetch_objects_shared(const void *const *addrs, size_t n) {
  if (!later.n) {
    prefetch_objects(addrs, NULL, n, 0);
    return;
  }
  queue_later(addrs, n, FAR_REGION_NORMAL);
  far_prefetch_flush();
}

void far_prefetch_nt(const void *addr, size_t len) { prefetch_range(addr, len, FAR_REGION_NT); }

/* The table entry of heap address a of class c, as it is now; 0 (not present) before the table
 * exists. The same decoding as the barrier fast path (far_access_), so the residency queries below
 * answer for the entry a barrier would use. */
static uint64_t entry_now(uintptr_t a, long c) {
  if (!far_table) return 0;
  return __atomic_load_n(far_entry((unsigned)c, far_addr_id(a) & FAR_TABLE_ID_MASK), __ATOMIC_ACQUIRE);
}

int far_is_resident(const void *addr) {
  uintptr_t a = (uintptr_t)addr;
  long c = far_class_of_(a);
  if (c < 0) return !far_is_far(addr);
  return (entry_now(a, c) & FAR_E_PRESENT) != 0;
}

const void *far_local_hint(const void *addr) {
  uintptr_t a = (uintptr_t)addr;
  long c = far_class_of_(a);
  if (c < 0) return far_is_far(addr) ? NULL : addr;
  uint64_t e = entry_now(a, c);
  if ((e & (FAR_E_PRESENT | FAR_E_EVAC)) != FAR_E_PRESENT) return NULL;
  return far_entry_local(e, (unsigned)c, far_addr_id(a) & FAR_TABLE_ID_MASK) + far_addr_within(a);
}
