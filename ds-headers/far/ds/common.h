/* What every farmem data structure shares.
 *
 * The structures keep their bookkeeping (chunk tables, list links, hash indexes) in ordinary local
 * memory and their elements in far memory, packed into chunks. A chunk is always exactly one far
 * object (a power of two of at most 64 KiB), so an element never straddles two objects, one barrier
 * reaches a whole chunk, and a server-side function can walk the chunks by (size class, id).
 *
 * This file holds the pieces all of them use: chunk sizing, copies between far and local memory that
 * open their own scope, the AIFM prefetch window, and the out-of-range failure. */
#ifndef FAR_DS_COMMON_H
#define FAR_DS_COMMON_H

#ifndef FARDS_LOCAL
#include <far/rt.h>
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FARDS_LOCAL
/* The local-only build (-DFARDS_LOCAL, plain compiler, no libfarrt): the same structures and the
 * same per-element code, with every chunk in ordinary malloc memory. The runtime calls the
 * structures make become these: barriers are the identity, scopes and prefetches do nothing, the
 * heap is libc's. It is the "all local" baseline of benchmarks/apps (and what a paging runtime
 * preloaded under it sees as a plain malloc heap). A program built this way must not also include
 * far/rt.h. */
#ifdef FAR_RT_H
#error "FARDS_LOCAL: far/rt.h is included too; the local-only build has no runtime"
#endif
static inline void *far_malloc(size_t n) { return malloc(n); }
static inline void *far_calloc(size_t n, size_t size) { return calloc(n, size); }
static inline void far_free(void *p) { free(p); }
static inline void far_free_many(void *const *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(p[i]);
}
static inline void *far_read(const void *p, size_t n, unsigned site) {
  (void)n, (void)site;
  return (void *)p;
}
static inline void *far_write(void *p, size_t n, unsigned site) { return far_read(p, n, site); }
static inline void *far_read_nt(const void *p, size_t n, unsigned site) {
  return far_read(p, n, site);
}
static inline void *far_write_nt(void *p, size_t n, unsigned site) { return far_read(p, n, site); }
static inline void far_scope_enter(unsigned site) { (void)site; }
static inline void far_scope_exit(void) {}
static inline void far_prefetch(const void *p, size_t len) { (void)p, (void)len; }
static inline void far_flush_range(const void *p, size_t len) { (void)p, (void)len; }
static inline int far_is_resident(const void *p) { return (void)p, 1; }
static inline const void *far_local_hint(const void *p) { return p; }
static inline void far_prefetch_objects(const void *const *a, size_t n) { (void)a, (void)n; }
static inline void far_prefetch_objects_later(const void *const *a, size_t n) { (void)a, (void)n; }
static inline void far_prefetch_objects_later_nt(const void *const *a, size_t n) { (void)a, (void)n; }
static inline void far_prefetch_objects_shared(const void *const *a, size_t n) { (void)a, (void)n; }
static inline void far_prefetch_flush(void) {}
static inline uint64_t far_prefetch_queue_mark(void) { return 0; }
static inline void far_prefetch_flush_to(uint64_t m) { (void)m; }
#endif

/* The largest chunk: the runtime's largest size class, so a chunk is one object. */
#define FARDS_CHUNK_MAX (64u << 10)

/* How the typed macros declare the functions they generate: a program that uses a few of them gets
 * no unused-function warnings for the rest. */
#define FARDS_API static inline __attribute__((unused))

/* Bytes a stream prefetches ahead once it crosses its first chunk boundary (AIFM: about 1 MiB). */
#ifndef FARDS_PREFETCH_WINDOW
#define FARDS_PREFETCH_WINDOW (1u << 20)
#endif

/* Chunk size for elements of es bytes when pref bytes are preferred: pref if an element fits, else the
 * largest chunk. A constant expression when es and pref are. */
#define FARDS_CHUNK_BYTES(es, pref) ((es) <= (pref) ? (pref) : FARDS_CHUNK_MAX)

/* A structure's chunk geometry: element size, elements per chunk, chunk bytes. The typed functions
 * pass it as a constant, so the arithmetic on it folds away. */
struct fards_geom {
  size_t es, per, cb;
};

/* Call-site ids the structures pass to barriers and scopes, so statistics and the runtime's per-site
 * stride detector see each kind of structure as its own stream. Building with FARDS_NO_PREFETCH
 * turns off every prefetch the structures would cause, theirs and (site 0) the runtime's: the
 * baseline of the prefetching benchmark. */
#ifdef FARDS_NO_PREFETCH
#define FARDS_SITE_(id) 0u
#else
#define FARDS_SITE_(id) (id)
#endif
enum fards_site {
  FARDS_SITE_SEQ = FARDS_SITE_(0xFD01u),  /* array and vector */
  FARDS_SITE_LIST = FARDS_SITE_(0xFD02u), /* list, stack, queue */
  FARDS_SITE_HASH = FARDS_SITE_(0xFD03u), /* hashtable */
};

/* Every prefetch the structures issue goes through here. A program (the tests do) may define
 * FARDS_PREFETCH_OBSERVER(far, len) before the first include to see each request. */
static inline void fards_prefetch(const void *far, size_t len) {
#ifdef FARDS_PREFETCH_OBSERVER
  FARDS_PREFETCH_OBSERVER(far, len);
#endif
#ifndef FARDS_NO_PREFETCH
  far_prefetch(far, len);
#else
  (void)far;
  (void)len;
#endif
}

/* The same for scattered objects (addrs[i] each in its own object), queued on this thread and
 * sent with its next ones (far_prefetch_objects_later): fards_prefetch_flush, or this thread's
 * first access to one of them, sends them at the latest. nt: into the runtime's non-temporal region
 * (evacuated first, never kept), for objects the caller expects to use once. */
static inline void fards_prefetch_objects_as(const void **addrs, size_t n, int nt) {
#ifdef FARDS_PREFETCH_OBSERVER
  for (size_t i = 0; i < n; i++)
    FARDS_PREFETCH_OBSERVER(addrs[i], 1);
#endif
#ifndef FARDS_NO_PREFETCH
  (nt ? far_prefetch_objects_later_nt : far_prefetch_objects_later)(addrs, n);
#else
  (void)addrs;
  (void)n;
  (void)nt;
#endif
}

static inline void fards_prefetch_objects(const void **addrs, size_t n) {
  fards_prefetch_objects_as(addrs, n, 0);
}

static inline void fards_prefetch_flush(void) {
#ifndef FARDS_NO_PREFETCH
  far_prefetch_flush();
#endif
}

/* This thread's count of fards_prefetch_objects calls, and: send the queue if it holds objects of
 * call `mark` or earlier (far_prefetch_queue_mark, far_prefetch_flush_to). */
static inline uint64_t fards_prefetch_mark(void) {
#ifndef FARDS_NO_PREFETCH
  return far_prefetch_queue_mark();
#else
  return 0;
#endif
}

static inline void fards_prefetch_flush_to(uint64_t mark) {
#ifndef FARDS_NO_PREFETCH
  far_prefetch_flush_to(mark);
#else
  (void)mark;
#endif
}

/* Access modes: FARDS_NOCACHE reaches far memory through the don't-cache barriers, so a one-off
 * scan does not push the program's hot objects out of local memory. */
enum fards_mode { FARDS_CACHE = 0, FARDS_NOCACHE = 1 };

/* The runtime's stride prefetcher follows don't-cache misses too, into its non-temporal region;
 * the structures' own prefetches (far_prefetch) would land in the ordinary cache, so don't-cache
 * streams leave prefetching to the runtime. */
static inline const void *fards_read(const void *far, size_t n, unsigned site, int mode) {
  return mode == FARDS_NOCACHE ? far_read_nt(far, n, site) : far_read(far, n, site);
}

static inline void *fards_write(void *far, size_t n, unsigned site, int mode) {
  return mode == FARDS_NOCACHE ? far_write_nt(far, n, site) : far_write(far, n, site);
}

/* Copies n bytes from far memory into local dst inside a scope of its own. Always inlined: n is
 * usually a constant element size. */
__attribute__((always_inline)) static inline void fards_load(void *dst, const void *far, size_t n, unsigned site, int mode) {
  far_scope_enter(site);
  memcpy(dst, fards_read(far, n, site, mode), n);
  far_scope_exit();
}

/* Copies n local bytes from src into far memory inside a scope of its own. */
static inline void fards_store(void *far, const void *src, size_t n, unsigned site, int mode) {
  far_scope_enter(site);
  memcpy(fards_write(far, n, site, mode), src, n);
  far_scope_exit();
}

/* The prefetch window of a stream over chunks of cb bytes, in chunks (at least one). */
static inline size_t fards_window_chunks(size_t cb) {
  size_t w = FARDS_PREFETCH_WINDOW / cb;
  return w ? w : 1;
}

/* A stream moved into its next chunk. *ahead counts the chunks beyond the current one it has already
 * prefetched. Sets [*lo, *hi], distances from the current chunk, to what should be prefetched now:
 * the whole window on the first crossing, then, once a quarter of the window has been consumed, that
 * quarter in one request. (AIFM asks for one chunk per crossing; a request of a single 4 KiB chunk
 * costs the runtime and the server about as much as one of 64, so streaming was request-bound.)
 * Every chunk is still asked for once. Returns 0 when nothing is due. */
static inline int fards_window_cross(size_t *ahead, size_t window, size_t *lo, size_t *hi) {
  size_t have = *ahead ? *ahead - 1 : 0;
  size_t refill = window / 4 ? window / 4 : 1;
  if (*ahead && have + refill > window) {
    *ahead = have;
    return 0;
  }
  *ahead = window;
  *lo = have + 1;
  *hi = window;
  return 1;
}

/* Chunks a stream prefetches, gathered into runs adjacent in far memory so that each run goes out as
 * one request (chunks allocated one after another usually are adjacent): one request per chunk
 * costs the runtime and the server about as much per 4 KiB chunk as one for a whole run. */
struct fards_prefetch_run {
  const char *start;
  size_t len; /* 0: empty */
};

static inline void fards_run_flush(struct fards_prefetch_run *r) {
  if (r->len)
    fards_prefetch(r->start, r->len);
  r->len = 0;
}

/* Adds [p, p + len) to the run: it extends the run at either end (streams run both ways), or the
 * run is sent and a new one starts. */
static inline void fards_run_add(struct fards_prefetch_run *r, const void *p, size_t len) {
  const char *c = (const char *)p;
  if (r->len && c == r->start + r->len) {
    r->len += len;
  } else if (r->len && c + len == r->start) {
    r->start = c;
    r->len += len;
  } else {
    fards_run_flush(r);
    r->start = c;
    r->len = len;
  }
}

/* An index outside the structure: a clear message, then abort() like a failed assertion. Kept out
 * of line: plain static (unused when nothing calls it), since GCC warns about noinline on an
 * inline function. */
__attribute__((noreturn, cold, noinline, unused)) static void fards_out_of_range(const char *fn,
                                                                                  size_t i,
                                                                                  size_t size) {
  fprintf(stderr, "farmem ds: %s: index %zu out of range (size %zu)\n", fn, i, size);
  abort();
}

#endif
