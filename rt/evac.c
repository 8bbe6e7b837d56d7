/* The evacuator: background threads (FAR_EVAC_THREADS) that keep local memory under FAR_LOCAL_MEM
 * without stopping the program.
 *
 * Thresholds, as fractions of the budget (data regions + metadata): evacuation starts above 80% and
 * runs until usage is under 70%; above 95% threads wait at their next outermost scope entry (never
 * inside a scope, where they hold local addresses) until usage is back under 90%. With coarse
 * regions (small budgets) each threshold is also at least one region below the next, and blocking
 * starts two regions below the budget.
 *
 * One round: pick victim regions (non-temporal first, then the oldest; cache.c), mark every live
 * object in them EVAC, advance the epoch and wait for the threads still in older scopes (far_epoch_sync). From
 * then on no thread holds an address into the victims except through the table, and a thread that
 * meets an EVAC entry moves the object itself. The evacuator then keeps hot objects (copies them and
 * clears the CLOCK bit), queues dirty cold objects and drops clean cold ones; the round's queued
 * objects are written back in one pipeline of batches (one round trip per round, not per victim). An
 * object leaves local memory only after the server acknowledged its write. A mutator that met an EVAC entry
 * before the wait finished took it back ("rescued"); such a region is queued again for a later round. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "support.h"

#define MAX_VICTIMS 16
#define EMPTY_TABLE_PAGES 64 /* 256 KiB of emptied metadata */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static size_t start_bytes, stop_bytes, block_bytes, unblock_bytes;
static bool stopping;
static int busy; /* rounds in progress */
static atomic_ulong progress; /* victims handled */

unsigned long far_evac_progress(void) { return atomic_load_explicit(&progress, memory_order_relaxed); }

size_t far_evac_start_bytes(void) { return start_bytes; }
size_t far_evac_block_bytes(void) { return block_bytes; }

void far_evac_kick(void) {
  if (far_local_bytes() < start_bytes && !far_heap_frees_waiting()) return;
  pthread_cond_signal(&wake);
}

struct round {
  struct far_region *victims[MAX_VICTIMS];
  far_io *ios;   /* dirty cold objects to write back */
  size_t nios, cap;
  size_t deferred; /* hot objects left in place until the pass's other victims are released */
  uint64_t evacuated;
};

static inline char *object_at(struct far_region *r, uint32_t i, size_t *offset, unsigned *cls,
                              uint64_t *id) {
  uint64_t h = far_region_header(r, i);
  *cls = h >> 32;
  *id = h & 0xffffffffu;
  char *p = r->base + *offset;
  *offset += (size_t)1 << *cls;
  return p;
}

static inline bool entry_points_to(uint64_t e, unsigned cls, uint64_t id, const char *p) {
  return (e & FAR_E_PRESENT) && far_entry_local(e, cls, id) == p;
}

static void mark_region(struct far_region *r) {
  size_t off = 0;
  for (uint32_t i = 0; i < r->nobj; i++) {
    unsigned cls;
    uint64_t id;
    char *p = object_at(r, i, &off, &cls, &id);
    far_entry_lock(cls, id);
    uint64_t *slot = far_entry(cls, id);
    if (entry_points_to(__atomic_load_n(slot, __ATOMIC_RELAXED), cls, id, p))
      __atomic_fetch_or(slot, FAR_E_EVAC, __ATOMIC_RELAXED);
    far_entry_unlock(cls, id);
  }
}

static void queue_write(struct round *rd, unsigned cls, uint64_t id, char *p) {
  if (rd->nios == rd->cap) {
    rd->cap = rd->cap ? 2 * rd->cap : 256;
    rd->ios = realloc(rd->ios, rd->cap * sizeof *rd->ios);
    if (!rd->ios) far_fatal("out of memory in the evacuator");
  }
  rd->ios[rd->nios++] = (far_io){.cls = (uint8_t)cls, .id = id, .buf = p, .len = 1u << cls};
}

/* Ghosts (S3-FIFO's ghost queue): the ids of objects that recently left local memory unused from a
 * region of arrivals (cache.c), in a direct-mapped table of one slot per GHOST_BYTES of budget (at
 * least 1024). An object that comes back and is about to leave unused once more is kept instead: it
 * is used again, only at a distance one pass of the FIFO is too short to see (a column scanned once
 * per step of an analysis). Slots are hints: a lost or overwritten one costs a miss, nothing else.
 * Measured (benchmarks/RESULTS.md, webfront session 5, with the probation share of arrivals tried
 * then): without ghosts the dataframe analytics at 25% fetched 7x as many chunks as before; with
 * one slot per 4 KiB, webfront's 8 KiB elements came back often enough to fill the kept objects. */
#define GHOST_BYTES 16384
static uint64_t *ghosts;
static size_t ghost_bits;

size_t far_evac_ghost_bytes(void) { return ghosts ? sizeof *ghosts << ghost_bits : 0; }

static void ghosts_init(size_t budget) {
  for (ghost_bits = 10; ((size_t)1 << ghost_bits) < budget / GHOST_BYTES; ghost_bits++)
    ;
  ghosts = calloc((size_t)1 << ghost_bits, sizeof *ghosts);
  if (!ghosts) far_fatal("out of memory for the evacuator's ghosts");
}

static uint64_t *ghost_slot(unsigned cls, uint64_t id, uint64_t *key) {
  *key = ((uint64_t)cls << 48 | id) + 1; /* never 0, which marks an empty slot */
  return &ghosts[(*key * 0x9e3779b97f4a7c15ull) >> (64 - ghost_bits)];
}

/* Whether (cls, id) is a ghost (and no longer one); else it becomes one. */
static bool ghost_returns(unsigned cls, uint64_t id) {
  uint64_t key, *slot = ghost_slot(cls, id, &key);
  bool back = __atomic_load_n(slot, __ATOMIC_RELAXED) == key;
  __atomic_store_n(slot, back ? 0 : key, __ATOMIC_RELAXED);
  return back;
}

void far_evac_forget(unsigned cls, uint64_t id) {
  if (!ghosts) return;
  uint64_t key, *slot = ghost_slot(cls, id, &key);
  if (__atomic_load_n(slot, __ATOMIC_RELAXED) == key) __atomic_store_n(slot, 0, __ATOMIC_RELAXED);
}

/* How a victim's objects may be treated: those of a don't-cache region are never kept, arrivals
 * are kept when hot or returning ghosts, kept objects (main) when hot. RETRY is a victim's second
 * look at the objects a pass deferred: they were judged worth keeping already. */
enum victim { DONT_CACHE, ARRIVAL, MAIN, RETRY };

static bool worth_keeping(uint64_t e, enum victim kind, unsigned cls, uint64_t id) {
  switch (kind) {
  case DONT_CACHE: return false;
  case ARRIVAL: return (e & FAR_E_HOT) || ghost_returns(cls, id);
  case MAIN: return e & FAR_E_HOT;
  case RETRY: return true;
  }
  return false;
}

/* A copy is made only while it fits in the budget, counting the whole region it may have to take
 * (counting only the object let each new copy region carry usage up to a region past the budget:
 * phonebook at 5000 KiB peaked at 5.27-5.33 MB). */
static bool copy_fits(unsigned cls) {
  return far_local_bytes() + far_cache_alloc_cost(cls, FAR_REGION_NORMAL) <= far_rt.budget;
}

static void copy_out(unsigned cls, uint64_t id, const char *p, uint64_t e) {
  struct far_region *dst;
  char *q = far_cache_alloc_raw(cls, id, FAR_REGION_NORMAL, &dst);
  memcpy(q, p, (size_t)1 << cls);
  far_entry_set(cls, id, far_entry_make(q, cls, id) | FAR_E_PRESENT | (e & (FAR_E_DIRTY | FAR_E_NOREMOTE)));
}

static void evict(struct round *rd, unsigned cls, uint64_t id, char *p, uint64_t e) {
  if (e & FAR_E_DIRTY) {
    queue_write(rd, cls, id, p);
  } else {
    far_entry_set(cls, id, e & FAR_E_NOREMOTE);
    rd->evacuated++;
  }
}

/* Decides one object's fate; returns false when a mutator rescued it. Objects worth keeping are
 * copied while the copy fits; one that does not fit on the first look is deferred (left in place,
 * still EVAC) and looked at again once the pass has released its emptied victims, and dropped only
 * if it does not fit then either. Dropping at once lost hot objects whenever a round began near the
 * budget with a victim holding them first in line: rt_clock's hot set missed under sanitizers on a
 * loaded machine, each miss a hot object dropped while the same round freed whole regions. */
static bool settle(struct round *rd, unsigned cls, uint64_t id, char *p, enum victim kind) {
  uint64_t *slot = far_entry(cls, id);
  far_entry_lock(cls, id);
  uint64_t e = __atomic_load_n(slot, __ATOMIC_RELAXED);
  bool ok = true;
  if (!entry_points_to(e, cls, id, p)) {
    /* freed or moved by a mutator: nothing left here */
  } else if (!(e & FAR_E_EVAC)) {
    ok = false;
  } else if (!worth_keeping(e, kind, cls, id)) {
    evict(rd, cls, id, p, e);
  } else if (copy_fits(cls)) {
    copy_out(cls, id, p, e);
  } else if (kind != RETRY) {
    rd->deferred++;
  } else {
    FAR_STAT_INC(hot_dropped);
    evict(rd, cls, id, p, e);
  }
  far_entry_unlock(cls, id);
  return ok;
}

/* Writes every queued object back in as few batches as the wire allows, all in flight at once (one
 * round trip for the whole round), then lets go of those the server acknowledged and nobody moved. */
static size_t batch_length(const struct round *rd, size_t from) {
  size_t n = 0, bytes = 0;
  while (from + n < rd->nios && n < FAR_WIRE_MAX_BATCH && bytes < FAR_WIRE_MAX_FRAME / 2)
    bytes += rd->ios[from + n++].len;
  return n;
}

static void write_back(struct round *rd) {
  if (!rd->nios) return;
  size_t nbatches = 0;
  for (size_t done = 0; done < rd->nios; nbatches++) done += batch_length(rd, done);
  far_ticket *tickets = calloc(nbatches ? nbatches : 1, sizeof *tickets); /* the client holds them */
  if (!tickets) far_fatal("out of memory in the evacuator");
  for (size_t b = 0, done = 0; b < nbatches; b++) {
    size_t n = batch_length(rd, done), bytes = 0;
    for (size_t i = done; i < done + n; i++) bytes += rd->ios[i].len;
    int st = far_net_writev(far_server(), rd->ios + done, n, &tickets[b], NULL, NULL);
    if (st != FAR_OK) far_net_fail("write back", st);
    FAR_STAT_ADD(bytes_written_back, bytes);
    done += n;
  }
  for (size_t b = 0; b < nbatches; b++) {
    int st = far_ticket_wait(far_server(), &tickets[b]);
    if (st != FAR_OK) far_net_fail("write back", st);
  }
  free(tickets);
  for (size_t i = 0; i < rd->nios; i++) {
    far_io *io = &rd->ios[i];
    far_entry_lock(io->cls, io->id);
    uint64_t e = __atomic_load_n(far_entry(io->cls, io->id), __ATOMIC_RELAXED);
    if (entry_points_to(e, io->cls, io->id, io->buf) && (e & FAR_E_EVAC)) {
      far_entry_set(io->cls, io->id, 0);
      rd->evacuated++;
    }
    far_entry_unlock(io->cls, io->id);
  }
  rd->nios = 0;
}

/* Held shared by every round in progress. A round may be writing back an object that a mutator has
 * since moved out of its victim and freed: the free's FREE must not reach the server before that
 * write (on another connection it could, and the server would keep the freed object), so the
 * sender of FREEs first waits for the rounds running (far_evac_await_rounds). */
static pthread_rwlock_t rounds_running = PTHREAD_RWLOCK_INITIALIZER;

void far_evac_await_rounds(void) {
  pthread_rwlock_wrlock(&rounds_running);
  pthread_rwlock_unlock(&rounds_running);
}

static atomic_size_t victims_taken; /* regions other rounds are emptying right now */

/* Enough regions to bring usage under the stop threshold, counting those other evacuator threads
 * are already emptying (so several threads do not all evict the same surplus). */
static size_t victims_wanted(void) {
  size_t r = far_region_size(), busy_bytes = atomic_load(&victims_taken) * r;
  size_t used = far_local_bytes(), left = used > busy_bytes ? used - busy_bytes : 0;
  size_t n = left > stop_bytes ? (left - stop_bytes) / r + 1 : 0;
  return n < MAX_VICTIMS ? n : MAX_VICTIMS;
}

/* A settled victim leaves the round: emptied (released) or holding rescued objects (sealed again). */
static void let_go(struct far_region *r, bool rescued) {
  if (rescued) far_cache_requeue(r);
  else far_cache_release(r);
  atomic_fetch_sub(&victims_taken, 1);
  atomic_fetch_add(&progress, 1);
}

/* The evacuator thread's copy region (its current region, holding the hot objects it kept) is sealed,
 * so that they face the CLOCK again, once it is half full, once it has stayed open for as many rounds
 * as the budget has regions (a whole pass of the FIFO), or when nothing else can be taken (force).
 * Sealing it after every round instead left one mostly empty region per round in the FIFO: at a
 * 16 MiB budget of 1 MiB regions, a hashtable's hot entries then filled a fifth of the cache. */
static void seal_copies(bool force) {
  static __thread unsigned rounds;
  size_t held = far_cache_current_bytes(FAR_REGION_NORMAL), r = far_region_size();
  if (!held) return;
  if (force || held >= r / 2 || ++rounds >= far_rt.budget / r) {
    far_cache_seal_current();
    rounds = 0;
  }
}

/* Settles every object of victim r (on a retry, the objects its first look deferred are the only
 * ones still there); returns true when a mutator took one back (rescued it). */
static bool settle_region(struct round *rd, struct far_region *r, bool retry) {
  enum victim kind = retry ? RETRY : r->kind != FAR_REGION_NORMAL ? DONT_CACHE : r->kept ? MAIN : ARRIVAL;
  bool rescued = false;
  size_t off = 0;
  for (uint32_t i = 0; i < r->nobj; i++) {
    unsigned cls;
    uint64_t id;
    char *p = object_at(r, i, &off, &cls, &id);
    if (!settle(rd, cls, id, p, kind)) rescued = true;
  }
  return rescued;
}

/* Where a pass's settled victims go: those holding rescued objects to the front of the pass's
 * victim array (for the next pass), those holding deferred objects to waiting, those with objects
 * queued for write-back to held; the others are released at once. */
struct sorted {
  struct far_region **rescued, *held[MAX_VICTIMS], *waiting[MAX_VICTIMS];
  size_t nrescued, nheld, nwaiting;
};

static void settle_victim(struct round *rd, struct far_region *r, bool retry, struct sorted *s) {
  size_t queued = rd->nios, deferred = rd->deferred;
  if (settle_region(rd, r, retry)) s->rescued[s->nrescued++] = r;
  else if (rd->deferred != deferred) s->waiting[s->nwaiting++] = r;
  else if (rd->nios != queued) s->held[s->nheld++] = r;
  else let_go(r, false);
}

static void release_held(struct round *rd, struct sorted *s) {
  write_back(rd);
  for (size_t i = 0; i < s->nheld; i++) let_go(s->held[i], false);
  s->nheld = 0;
}

/* One pass over victims v[0..n): mark, wait for older scopes, settle. A victim emptied without dirty
 * cold objects is released at once, which gives the next victims' hot copies room; the others after
 * the pass's single batched write-back. Then the victims whose hot objects did not fit get a second
 * look, with the room the others left. Victims holding rescued objects move to the front of v;
 * returns how many. */
static size_t settle_pass(struct round *rd, struct far_region **v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    atomic_store(&v[i]->synced, 0);
    mark_region(v[i]);
  }
  far_epoch_sync();
  for (size_t i = 0; i < n; i++) atomic_store(&v[i]->synced, 1);
  struct sorted s = {.rescued = v};
  for (size_t i = 0; i < n; i++) settle_victim(rd, v[i], false, &s);
  release_held(rd, &s);
  for (size_t i = 0; i < s.nwaiting; i++) settle_victim(rd, s.waiting[i], true, &s);
  release_held(rd, &s);
  return s.nrescued;
}

/* A round settles its victims in up to RESCUE_PASSES passes. A mutator that uses an object of a
 * victim before the pass's wait is over takes it back in place, and the region cannot be released
 * while it may hold that address. Hot objects are the ones taken back, and under skewed access
 * nearly every victim has one: requeued at once, such a region would hold its whole size for a
 * handful of objects for a whole pass of the FIFO. The next pass marks the rescued objects again;
 * its wait outlasts the scopes that took them back, and then they are copied like other hot
 * objects. Only victims rescued in every pass are requeued. */
#define RESCUE_PASSES 3

static bool one_round(void) {
  struct round rd = {0};
  size_t n = far_cache_pick_victims(rd.victims, victims_wanted());
  if (n == 0) return false;
  atomic_fetch_add(&victims_taken, n);
  for (int pass = 0; pass < RESCUE_PASSES && n; pass++) n = settle_pass(&rd, rd.victims, n);
  for (size_t v = 0; v < n; v++) let_go(rd.victims[v], true);
  free(rd.ios);
  seal_copies(false);
  FAR_STAT_INC(evacuations);
  FAR_STAT_ADD(objects_evacuated, rd.evacuated);
  return true;
}

static void update_pressure(void) {
  size_t used = far_local_bytes();
  bool on = __atomic_load_n(&far_epoch, __ATOMIC_RELAXED) & 1;
  if (!on && used > block_bytes) far_epoch_set_pressure(true);
  if (on && used < unblock_bytes) {
    far_epoch_set_pressure(false);
    /* A thread that crossed the blocking threshold after the read above set the flag before this
     * clear, and would go on taking regions unblocked: look again. */
    atomic_thread_fence(memory_order_seq_cst);
    if (far_local_bytes() > block_bytes) far_epoch_set_pressure(true);
  }
}

/* Emptied table pages go back to the kernel in batches, or as soon as memory is needed. */
static bool table_release_wanted(void) {
  size_t n = far_table_empty_pages();
  return n >= EMPTY_TABLE_PAGES || (n && far_local_bytes() >= start_bytes);
}

static void wait_until(int ms) { /* for a signal on wake, at most ms; lock held */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += ms * 1000000L;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_cond_timedwait(&wake, &lock, &ts);
}

static void wait_for_region(void) {
  pthread_mutex_lock(&lock);
  if (!stopping) wait_until(1);
  pthread_mutex_unlock(&lock);
}

static void *evacuator(void *arg) {
  far_cache_mark_keeper();
  for (;;) {
    pthread_mutex_lock(&lock);
    while (!stopping && far_local_bytes() < start_bytes && !far_heap_frees_waiting() &&
           !table_release_wanted())
      wait_until(20);
    if (stopping) {
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    busy++;
    pthread_mutex_unlock(&lock);
    if (table_release_wanted()) far_table_release_empty();
    update_pressure();
    pthread_rwlock_rdlock(&rounds_running);
    bool progressed = far_local_bytes() >= start_bytes && one_round();
    pthread_rwlock_unlock(&rounds_running);
    if (table_release_wanted()) far_table_release_empty();
    update_pressure();
    far_heap_flush_frees();
    pthread_mutex_lock(&lock);
    busy--;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    /* Nothing could be taken (every full region still has prefetches landing, or memory sits in
     * threads' current regions): wait for a region to be sealed (far_evac_kick), at most 1 ms. */
    if (!progressed && far_local_bytes() >= start_bytes) {
      seal_copies(true);
      wait_for_region();
    }
  }
}

void far_evac_start(unsigned threads) {
  size_t b = far_rt.budget, r = far_region_size();
  ghosts_init(b);
  /* A thread inside a scope may still take a region after the blocking threshold: keep two
   * regions of headroom below the budget when regions are coarse. */
  block_bytes = b / 100 * 95 < b - 2 * r ? b / 100 * 95 : b - 2 * r;
  unblock_bytes = block_bytes - r < b / 100 * 90 ? block_bytes - r : b / 100 * 90;
  start_bytes = unblock_bytes - r < b / 100 * 80 ? unblock_bytes - r : b / 100 * 80;
  stop_bytes = start_bytes - r < b / 100 * 70 ? start_bytes - r : b / 100 * 70;
  for (unsigned i = 0; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, evacuator, NULL) != 0) far_fatal("cannot start the evacuator thread");
    pthread_detach(t);
  }
}

/* At exit: let a round in progress finish, then keep the evacuator from starting another. */
void far_evac_stop(void) {
  pthread_mutex_lock(&lock);
  stopping = true;
  pthread_cond_broadcast(&wake);
  while (busy) pthread_cond_wait(&wake, &lock);
  pthread_mutex_unlock(&lock);
}
