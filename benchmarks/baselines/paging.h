/* libfarpaging: the page-granularity baseline of issue 6, a userspace analogue of kernel far-memory
 * paging (Fastswap). LD_PRELOAD it into a natively built program (plain cc, no farcc): malloc & co.
 * then place the whole heap in one big anonymous arena registered with userfaultfd, and at most
 * FARPAGING_LOCAL_MEM of it is resident; the rest lives on farmemd as 4 KiB objects (class 12),
 * fetched on page faults (with sequential readahead) and written back by a CLOCK reclaimer.
 *
 * What it is NOT (see benchmarks/RESULTS.md, "Paging baseline"): no kernel swap cache, no page-table
 * accessed bits (reads of a resident page are invisible: the reference bit is set by the fault that
 * brought the page in and by the first write, seen as a userfaultfd write-protect fault), every fault
 * is delivered to a userspace thread (a context switch or two per fault), the budget covers only the
 * heap arena (not stacks, globals, or libc's own allocations), and fork()ed children lose the arena.
 *
 * Files: paging_malloc.c (the interposed API), paging_alloc.c (the allocator inside the arena),
 * paging_fault.c (page states, fault handling, readahead, discard), paging_reclaim.c (CLOCK and
 * write-back), paging_init.c (configuration, userfaultfd, memory server, statistics). This header is
 * private to them. */
#ifndef FARPAGING_H
#define FARPAGING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PG_SHIFT 12u
#define PG_SIZE (1ul << PG_SHIFT)
#define PG_CLASS 12u        /* farmemd object class of a page */
#define PG_RA_MAX 64u       /* most readahead pages per fault */
#define PG_BATCH 64u        /* pages per eviction batch */
#define PG_NO_FRAME UINT32_MAX

/* A page's state; the zero value (ZERO) is what fresh metadata holds. */
enum pg_state {
  PG_ZERO = 0,   /* not resident, contents are zeros: no round trip needed */
  PG_REMOTE,     /* not resident, contents on farmemd */
  PG_FETCHING,   /* a handler is bringing it in */
  PG_RESIDENT,   /* mapped, holding a frame */
  PG_EVICTING,   /* being written back / dropped */
};
enum pg_flag {
  PG_DIRTY = 1,  /* written since farmemd last got it (mapped writable, not write-protected) */
  PG_REF = 2,    /* CLOCK reference bit */
  PG_STORED = 4, /* farmemd holds its contents (valid unless DIRTY) */
  PG_WAITER = 8, /* a thread faulted on it while EVICTING: wake it when done */
};

struct pg_page {
  uint32_t frame; /* index into frames while it holds one */
  uint8_t state, flags;
};

struct pg_stats {
  _Atomic unsigned long faults, zero_fills, fetched, readahead, wp_faults, written_back, evicted,
      dropped_clean, reclaim_waits, fault_ns, fetch_ns, fetches, discarded, zero_dropped;
};

/* Everything the pager shares between threads; `lock` guards the pages' state and flags, the frame
 * table and the clock hand. */
struct pager {
  char *base;           /* the arena */
  size_t npages;        /* arena pages */
  struct pg_page *pages;
  uint32_t *frames;     /* frame -> page index, or UINT32_MAX when free */
  uint32_t *free_frames;
  uint32_t nframes, nfree, hand, low_wm, high_wm;
  pthread_mutex_t lock;
  pthread_cond_t frames_cv;  /* nfree grew or a transient state ended */
  pthread_cond_t reclaim_cv; /* the reclaimer should run */
  int uffd;
  unsigned readahead;
  uint64_t spin_ns; /* FARPAGING_SPIN_US */
  struct far_net *net;
  struct pg_stats st;
  uint32_t peak_used;
};

extern struct pager pg;
/* Set once the arena is ready; until then (and on the library's own threads) allocations go to libc. */
extern atomic_int pg_ready;
/* Nonzero on the library's own threads and while it calls into libc or the network client. */
extern __thread int pg_internal __attribute__((tls_model("initial-exec")));

static inline size_t pg_index(const void *p) { return (size_t)((const char *)p - pg.base) >> PG_SHIFT; }
static inline char *pg_addr(size_t i) { return pg.base + (i << PG_SHIFT); }
static inline int pg_in_arena(const void *p) {
  return (const char *)p >= pg.base && (size_t)((const char *)p - pg.base) < (pg.npages << PG_SHIFT);
}

/* paging_init.c */
void pg_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void pg_start_thread(void *(*fn)(void *), void *arg);

/* paging_server.c: starts the embedded farmemd (FAR_SERVER unset); writes "127.0.0.1:PORT". */
void pg_server_start(char *servers, size_t len);

/* paging_fault.c */
void *pg_handler_main(void *arg);
/* Makes pages [first, first+n) zero and non-resident (the allocator calls it for freed spans). */
void pg_discard(size_t first, size_t n);
/* UFFDIO_WAKE / UFFDIO_WRITEPROTECT on n pages from page i; fatal on error. */
void pg_wake(size_t i, size_t n);
void pg_protect(size_t i, size_t n, int on);

/* paging_reclaim.c */
void *pg_reclaim_main(void *arg);
/* Takes n free frames (pg.lock held), waiting for the reclaimer when there are not enough. */
void pg_take_frames(uint32_t *out, unsigned n);
/* Returns a frame to the free list (pg.lock held). */
void pg_put_frame(uint32_t f);

/* paging_malloc.c: makes fork()ed children leave the arena alone. */
void pg_watch_fork(void);

/* paging_alloc.c: the heap inside the arena. */
void pa_init(void);
void *pa_malloc(size_t size);
void *pa_calloc(size_t size);
void *pa_memalign(size_t align, size_t size);
void *pa_realloc(void *p, size_t size);
void pa_free(void *p);
size_t pa_usable(const void *p);

#endif
