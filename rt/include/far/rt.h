/* The farmem runtime's public interface: the far heap, the barriers that turn a far address into a
 * local one, scopes that bound how long such a local address stays valid, prefetching and far-aware
 * libc helpers. farcc includes this header in every translation unit, so the fast paths (barriers,
 * scope entry and exit) are inline here and everything else is out of line in libfarrt.
 *
 * A far address is a non-canonical x86-64 pointer (dereferencing it faults):
 *   bits 63..56 tag 0xFA, bits 55..51 size class c (objects of 2^c bytes), bits 50..0 offset,
 *   id = offset >> c. Allocations above 2^FAR_HEAP_CLASS_MAX take consecutive ids of the largest
 *   class, so pointer arithmetic and comparisons are plain integer arithmetic. NULL is never far and
 *   every barrier is the identity on a non-far address. */
#ifndef FAR_RT_H
#define FAR_RT_H

#include "far/libc_types.h" /* size_t, uint64_t, uintptr_t, FILE */
#include "far/stats.h" /* far_stats(), far_stats_print(out, json) */

#ifdef __cplusplus
extern "C" {
#endif

/* The fast paths are inline everywhere (even at -O0) and also exported by libfarrt (rt/export.c), so
 * a call the plugin's IR stage emits by name, or one the compiler declines to inline, still links. */
#ifdef FAR_RT_DEFINE_INLINES
#define FAR_INLINE
#else
#define FAR_INLINE extern __inline__ __attribute__((gnu_inline, always_inline)) /* __inline__: also -std=c89 */
#endif

/* 1 when clang instruments for ThreadSanitizer (GCC says so with __SANITIZE_THREAD__). Nested, as
 * GCC before 14 has no __has_feature and cannot parse a call of it even behind defined(). */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FAR_HAS_TSAN_FEATURE_ 1
#endif
#endif
#ifndef FAR_HAS_TSAN_FEATURE_
#define FAR_HAS_TSAN_FEATURE_ 0
#endif

#define FAR_ADDR_TAG 0xFAull
#define FAR_ADDR_CLASS_SHIFT 51
#define FAR_ADDR_OFFSET_MASK ((1ull << FAR_ADDR_CLASS_SHIFT) - 1)
#define FAR_HEAP_CLASS_MIN 4  /* 16 B */
#define FAR_HEAP_CLASS_MAX 16 /* 64 KiB */
/* Ids per size class the object table can describe (2^30). */
#define FAR_TABLE_ID_BITS 30
#define FAR_TABLE_ID_MASK ((1ull << FAR_TABLE_ID_BITS) - 1)

/* Object table entry. Present: FAR_E_PRESENT and flags, and in the low 48 bits the object's local
 * address minus its far offset (id << class), modulo 2^48 (see far_access_).
 * Absent: 0 = data on the server; FAR_E_NOREMOTE alone = never written (reads as zeros). */
#define FAR_E_PRESENT (1ull << 63)
#define FAR_E_HOT (1ull << 62)        /* CLOCK reference bit */
#define FAR_E_DIRTY (1ull << 61)      /* local copy newer than the server's */
#define FAR_E_EVAC (1ull << 60)       /* chosen by the evacuator: barriers take the slow path */
#define FAR_E_NOREMOTE (1ull << 59)   /* the server holds nothing for this object */
#define FAR_E_FETCHING (1ull << 58)   /* absent, a fetch is in flight */
#define FAR_E_PREFETCHED (1ull << 57) /* installed by the prefetcher, not used yet */
#define FAR_E_ADDR_MASK ((1ull << 48) - 1)

/* far_thread.pending bits, for the outermost scope exit. */
#define FAR_PENDING_NT 1u        /* far_scope_nontemporal() was called */
#define FAR_PENDING_WRITEBACK 2u /* straddling writes and bounce buffers to finish */

/* Per-thread scope state (one per thread, in its own cache lines). */
struct far_scope_slot;
struct far_thread {
  unsigned depth;               /* scope nesting depth */
  unsigned fast;                /* 1 inside a scope without bounce buffers: fast paths allowed */
  unsigned pending;             /* work for the outermost exit: bounce buffers, don't-cache mode */
  struct far_scope_slot *slot;  /* this thread's published epoch, NULL until first use */
};

extern __thread struct far_thread far_self __attribute__((tls_model("initial-exec")));
/* The plugin reads `fast` at this offset (pass/ir/loop_objects.cpp, kFastOffset): a change of the
 * layout must fail here, not silently in instrumented loops. */
#ifndef __cplusplus
_Static_assert(offsetof(struct far_thread, fast) == 4, "far_thread.fast moved: update farpass");
#endif
extern uint64_t *far_table;          /* entries of class c at far_table[(c << FAR_TABLE_ID_BITS) + id] */
extern volatile uint64_t far_epoch;  /* evacuation epoch, advanced by 2; bit 0: mutators must wait */

struct far_scope_slot {
  volatile uint64_t epoch; /* epoch at outermost scope entry, 0 outside any scope */
  volatile unsigned site;  /* site of that scope, for the evacuator-wait statistic */
  char pad_[64 - sizeof(uint64_t) - sizeof(unsigned)];
} __attribute__((aligned(64)));

/* ---- Heap ---- */
void *far_malloc(size_t n);
void *far_calloc(size_t n, size_t size);
void *far_realloc(void *p, size_t n); /* p: NULL, far, or (passed to realloc) local */
void far_free(void *p);              /* far -> far heap; anything else -> free() */
/* far_free of p[0..n), in order: small objects' bookkeeping is fetched for all of them first, so a
 * batch of frees scattered over a large heap costs about one cache miss, not n in a row. */
void far_free_many(void *const *p, size_t n);
char *far_strdup(const char *s);
/* Bytes usable at p (the allocation's rounded size); 0 for a non-far p. */
size_t far_usable_size(const void *p);
/* far_malloc for an object the program expects to use often (e.g. one it just had to fetch): a small
 * one (up to 128 B) shares its far object only with other such allocations, so it is not evicted
 * with, or fetched alongside, unrelated cold objects. Larger sizes behave as far_malloc. */
void *far_malloc_hot(size_t n);

static __inline__ int far_is_far(const void *p) {
  return ((uintptr_t)p >> 56) == FAR_ADDR_TAG;
}

/* ---- Out-of-line halves (called by the inline fast paths) ---- */
void *far_read_slow(const void *addr, size_t size, unsigned site);
void *far_write_slow(void *addr, size_t size, unsigned site);
void *far_read_nt_slow(const void *addr, size_t size, unsigned site);
void *far_write_nt_slow(void *addr, size_t size, unsigned site);
struct far_scope_slot *far_thread_attach(void);
void far_scope_wait_memory(void);
void far_scope_exit_pending(void);

/* Far address -> size class, or -1 for a non-far (or out-of-heap-class) address. */
FAR_INLINE long far_class_of_(uintptr_t a) {
  uintptr_t k = (a >> FAR_ADDR_CLASS_SHIFT) - (FAR_ADDR_TAG << 5);
  return k <= FAR_HEAP_CLASS_MAX ? (long)k : -1;
}

/* The shared fast path; need is FAR_E_PRESENT for reads, FAR_E_PRESENT | FAR_E_DIRTY for writes;
 * hot is FAR_E_HOT, or 0 for don't-cache accesses (which use a present object where it is, hot or
 * not, and leave its CLOCK bit alone). A present entry holds the object's local address minus its
 * far offset (mod 2^48), so the local address of any byte is (entry + far offset) mod 2^48 with no
 * per-class arithmetic. */
FAR_INLINE void *far_access_(const void *addr, size_t size, unsigned site, uint64_t need,
                             uint64_t hot) {
  uintptr_t a = (uintptr_t)addr;
  uintptr_t c = (a >> FAR_ADDR_CLASS_SHIFT) - (FAR_ADDR_TAG << 5);
  if (!(c <= FAR_HEAP_CLASS_MAX)) return (void *)addr; /* not far (written as farpass tests it) */
  uintptr_t off = a & FAR_ADDR_OFFSET_MASK;
  uintptr_t idm = (off >> c) & FAR_TABLE_ID_MASK;
  uint64_t *slot = &far_table[(c << FAR_TABLE_ID_BITS) + idm];
  uint64_t e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  /* One branch: present, hot (and dirty), not evacuating, inside one object, id in range, in a
   * scope that holds no bounce buffer (whose bytes a plain access must see). Setting the CLOCK bit
   * again after the evacuator cleared it is the slow path's job. */
  if (__builtin_expect(((e & (need | hot | FAR_E_EVAC)) ^ (need | hot)) |
                           (((off + size - 1) >> c) ^ idm) | (far_self.fast == 0), 0)) {
    if (!hot)
      return (need & FAR_E_DIRTY) ? far_write_nt_slow((void *)addr, size, site)
                                  : far_read_nt_slow(addr, size, site);
    return (need & FAR_E_DIRTY) ? far_write_slow((void *)addr, size, site) : far_read_slow(addr, size, site);
  }
#ifdef FAR_COUNT_FAST_BARRIERS /* off by default: a counter in the fast path roughly doubles its cost */
  if (need & FAR_E_DIRTY) FAR_STAT_INC(barrier_fast_write);
  else FAR_STAT_INC(barrier_fast_read);
#endif
  return (void *)((e + off) & FAR_E_ADDR_MASK);
}

/* Local address for reading [addr, addr+size). Valid until the enclosing scope exits. Must be called
 * inside a scope when addr is far (the slow path stops the program with a message otherwise). */
FAR_INLINE void *far_read(const void *addr, size_t size, unsigned site) {
  return far_access_(addr, size, site, FAR_E_PRESENT, FAR_E_HOT);
}

/* Local address for writing (and reading) [addr, addr+size); marks the object dirty. */
FAR_INLINE void *far_write(void *addr, size_t size, unsigned site) {
  return far_access_(addr, size, site, FAR_E_PRESENT | FAR_E_DIRTY, FAR_E_HOT);
}

/* Don't-cache variants: a miss places the object in the non-temporal region, evacuated first. */
FAR_INLINE void *far_read_nt(const void *addr, size_t size, unsigned site) {
  return far_access_(addr, size, site, FAR_E_PRESENT, 0);
}

FAR_INLINE void *far_write_nt(void *addr, size_t size, unsigned site) {
  return far_access_(addr, size, site, FAR_E_PRESENT | FAR_E_DIRTY, 0);
}

/* ---- Scopes ---- */
/* Opens a scope (nestable). Only the outermost entry publishes the global epoch in this thread's own
 * cache line; it re-reads the epoch after publishing so that an evacuator advancing it concurrently
 * either sees this thread or this thread sees the new epoch (see docs/runtime.md). */
FAR_INLINE void far_scope_enter(unsigned site) {
  struct far_thread *t = &far_self;
  if (t->depth++ != 0) return;
  struct far_scope_slot *s = t->slot;
  if (__builtin_expect(s == NULL, 0)) s = far_thread_attach();
  uint64_t e = __atomic_load_n(&far_epoch, __ATOMIC_RELAXED);
  for (;;) {
    if (__builtin_expect(e & 1, 0)) { /* local memory almost exhausted */
      far_scope_wait_memory();
      e = __atomic_load_n(&far_epoch, __ATOMIC_RELAXED);
      continue;
    }
    __atomic_store_n(&s->epoch, e, __ATOMIC_RELEASE); /* a plain store on x86 */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t again = __atomic_load_n(&far_epoch, __ATOMIC_RELAXED);
    if (again == e) break;
    e = again;
  }
  __atomic_store_n(&s->site, site, __ATOMIC_RELAXED);
  t->fast = 1;
#if defined(__SANITIZE_THREAD__) || FAR_HAS_TSAN_FEATURE_
  __atomic_thread_fence(__ATOMIC_SEQ_CST); /* TSan does not model membarrier */
#endif
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

FAR_INLINE void far_scope_exit(void) {
  struct far_thread *t = &far_self;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  if (t->depth == 1 && __builtin_expect(t->pending != 0, 0)) {
    if (t->pending & FAR_PENDING_WRITEBACK) far_scope_exit_pending(); /* bounce buffers */
    t->pending = 0; /* a don't-cache scope ends here without a call */
  }
  if (--t->depth == 0) {
    t->fast = 0;
    __atomic_store_n(&t->slot->epoch, 0, __ATOMIC_RELEASE);
  }
}

/* The rest of the current outermost scope uses don't-cache accesses. */
FAR_INLINE void far_scope_nontemporal(void) {
  if (far_self.depth) far_self.pending |= FAR_PENDING_NT;
}

/* ---- Prefetching, write-back, libc helpers, statistics ---- */
void far_prefetch(const void *addr, size_t len);
/* The same into the non-temporal region (evacuated first), for data a one-off pass will use once. */
void far_prefetch_nt(const void *addr, size_t len);
/* Prefetches the objects holding addrs[0..n) (scattered: any order, any classes) in shared
 * asynchronous batches, so n misses cost about one round trip instead of n requests. */
void far_prefetch_objects(const void *const *addrs, size_t n);
/* The same, queued on this thread and sent with its next ones: once 32 objects are queued, when
 * this thread next needs an object that is not local (a barrier's miss, or a wait for one being
 * fetched), or at far_prefetch_flush. One request then carries several callers' objects (batched
 * gets with several batches in flight). Queued objects are only hints until sent. */
void far_prefetch_objects_later(const void *const *addrs, size_t n);
/* The same into the non-temporal region (evacuated first, never kept): objects expected to be used
 * once. Queued and sent with the others. */
void far_prefetch_objects_later_nt(const void *const *addrs, size_t n);
/* Prefetches now: together with this thread's queued prefetches in one request when it has some
 * (read by this thread when it needs them), else as far_prefetch_objects. */
void far_prefetch_objects_shared(const void *const *addrs, size_t n);
/* Sends what this thread queued with far_prefetch_objects_later. */
void far_prefetch_flush(void);
/* How many far_prefetch_objects_later calls this thread has made: a mark for far_prefetch_flush_to. */
uint64_t far_prefetch_queue_mark(void);
/* Sends the queue if it holds objects of call number `mark` or earlier (a caller that knows which
 * batch it needs next sends it one step ahead, keeping its lead, however few objects it has). */
void far_prefetch_flush_to(uint64_t mark);
/* 1 when the object holding addr is in local memory now (or addr is not far), else 0. A snapshot:
 * the evacuator may move the object out right after. For tests and diagnostics. */
int far_is_resident(const void *addr);
/* The local address of addr's copy when its object is in local memory and not being evacuated, else
 * NULL (addr itself when not far). A hint for prefetching into the CPU caches ahead of the barrier
 * that will use it: the copy may move right after, so never access memory through it. */
const void *far_local_hint(const void *addr);
/* Writes every dirty object overlapping [addr, addr+len) back to the server (objects stay cached). */
void far_flush_range(const void *addr, size_t len);

/* ---- Offload: run a function inside farmemd, next to the data (toolchain.md, "Offloaded
 * operations"). Requires exactly one server (the embedded one, or FAR_SERVER naming one). ---- */
struct far_range {
  const void *addr;
  size_t len;
};
/* The same for several ranges, written back in shared batches. */
void far_flush_ranges(const struct far_range *r, size_t n);
/* The same, and the objects become clean: for the end of a phase of writes (a load), so that the
 * evacuator later drops them instead of writing them again. An object written meanwhile stays dirty;
 * writes from other threads during the call are the program's own race. Call it outside any scope
 * that holds addresses into the ranges (a write through such an address would not make the object
 * dirty again). */
void far_write_back_ranges(const struct far_range *r, size_t n);
/* Tells the runtime that the server's copy of [addr, addr+len) is the current one (an offloaded
 * function wrote it): every overlapping object loses its local copy and is fetched on next use.
 * Call it outside any scope that holds addresses into the range. */
void far_mark_remote(const void *addr, size_t len);
/* Calls offload function name with args: first flushes the dirty objects of inputs[0..ninputs),
 * drops the local copies of outputs[0..noutputs) (before and after, see far_mark_remote), then
 * waits for the result, stored in *result (malloc'd: free it) and *result_len. Returns FAR_OK,
 * FAR_ENOENT (no such function), FAR_EOFFLOAD (it failed: farmemd logs why), FAR_EINVAL (bad
 * arguments, or several servers: objects are sharded, so a function would see only part of them),
 * or a network error. */
int far_offload(const char *name, const void *args, size_t args_len, const struct far_range *inputs,
                size_t ninputs, const struct far_range *outputs, size_t noutputs, void **result,
                size_t *result_len);

void *far_memcpy(void *dst, const void *src, size_t n);
void *far_memmove(void *dst, const void *src, size_t n);
void *far_memset(void *dst, int c, size_t n);
int far_memcmp(const void *a, const void *b, size_t n);
size_t far_strlen(const char *s);
size_t far_strnlen(const char *s, size_t max);
int far_strcmp(const char *a, const char *b);
int far_strncmp(const char *a, const char *b, size_t n);
char *far_strcpy(char *dst, const char *src);
char *far_strncpy(char *dst, const char *src, size_t n);
char *far_strchr(const char *s, int c);

#ifdef __cplusplus
}
#endif
#endif
