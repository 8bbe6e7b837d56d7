/* The paging baseline's reclaim: a background thread keeps resident arena pages within the budget
 * (FARPAGING_LOCAL_MEM), as kswapd does for a memory cgroup with far-memory swap.
 *
 * Resident pages occupy frames (budget / 4 KiB of them). When free frames fall below a low
 * watermark the reclaimer sweeps the frames with a CLOCK hand: a page with its reference bit set
 * gets a second chance (the bit is cleared), one without becomes a victim. The reference bit is an
 * approximation of the kernel's accessed bit, which userspace cannot read here (no idle page
 * tracking on this kernel): it is set by the fault that brought the page in and by its first write
 * (a write-protect fault), never by later reads or writes of a resident page.
 *
 * A batch of up to 64 victims is evicted together: dirty ones are write-protected first (so a
 * concurrent write waits in the fault handler instead of being lost), written to farmemd in one
 * writev, and dropped with MADV_DONTNEED only after farmemd has acknowledged them; clean ones are
 * dropped at once (farmemd already holds them, or they are zeros). The next access faults again.
 * A fault that finds no free frame waits for the reclaimer, as direct reclaim would stall it. */
#define _GNU_SOURCE
#include "paging.h"

#include <errno.h>
#include <far/net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

struct victim {
  size_t page;
  int dirty, stored;
};

void pg_put_frame(uint32_t f) {
  pg.frames[f] = PG_NO_FRAME;
  pg.free_frames[pg.nfree++] = f;
}

void pg_take_frames(uint32_t *out, unsigned n) {
  while (pg.nfree < n) {
    atomic_fetch_add(&pg.st.reclaim_waits, 1);
    pthread_cond_signal(&pg.reclaim_cv);
    pthread_cond_wait(&pg.frames_cv, &pg.lock);
  }
  for (unsigned i = 0; i < n; i++)
    out[i] = pg.free_frames[--pg.nfree];
  if (pg.nframes - pg.nfree > pg.peak_used)
    pg.peak_used = pg.nframes - pg.nfree;
  if (pg.nfree < pg.low_wm)
    pthread_cond_signal(&pg.reclaim_cv);
}

/* Advances the CLOCK hand until max victims are found or two full sweeps pass (pg.lock held). */
static unsigned pick_victims(struct victim *v, unsigned max) {
  unsigned k = 0;
  for (size_t scanned = 0; k < max && scanned < 2 * (size_t)pg.nframes; scanned++) {
    uint32_t f = pg.hand;
    pg.hand = f + 1 == pg.nframes ? 0 : f + 1;
    uint32_t page = pg.frames[f];
    if (page == PG_NO_FRAME || pg.pages[page].state != PG_RESIDENT)
      continue;
    struct pg_page *pp = &pg.pages[page];
    if (pp->flags & PG_REF) {
      pp->flags &= (uint8_t)~PG_REF;
      continue;
    }
    pp->state = PG_EVICTING;
    v[k++] = (struct victim){.page = page, .dirty = (pp->flags & PG_DIRTY) != 0,
                             .stored = (pp->flags & PG_STORED) != 0};
  }
  return k;
}

static int by_page(const void *a, const void *b) {
  size_t x = ((const struct victim *)a)->page, y = ((const struct victim *)b)->page;
  return (x > y) - (x < y);
}

/* Calls fn on each run of consecutive pages among the victims (sorted) that match dirty_only. */
static void for_runs(const struct victim *v, unsigned k, int dirty_only, void (*fn)(size_t, size_t)) {
  for (unsigned i = 0; i < k;) {
    if (dirty_only && !v[i].dirty) {
      i++;
      continue;
    }
    unsigned j = i + 1;
    while (j < k && v[j].page == v[j - 1].page + 1 && (!dirty_only || v[j].dirty))
      j++;
    fn(v[i].page, j - i);
    i = j;
  }
}

static void protect_run(size_t first, size_t n) { pg_protect(first, n, 1); }

/* The runs to drop, collected so one process_madvise call drops them all: one TLB shootdown for the
 * batch instead of one per run (each a few microseconds of IPIs on this VM), as the kernel batches
 * its flushes when it unmaps pages for swap-out. */
static struct iovec drops[PG_BATCH];
static unsigned ndrops;
static int pidfd = -1; /* -2: process_madvise unusable, madvise each run */

static void collect_run(size_t first, size_t n) {
  drops[ndrops++] = (struct iovec){.iov_base = pg_addr(first), .iov_len = n << PG_SHIFT};
}

static void drop_runs(void) {
  if (pidfd == -1 && (pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0)
    pidfd = -2;
  long done = -1;
  if (pidfd >= 0 && (done = syscall(SYS_process_madvise, pidfd, drops, ndrops, MADV_DONTNEED, 0)) < 0 &&
      (errno == EINVAL || errno == ENOSYS || errno == EPERM))
    pidfd = -2; /* an older kernel: no MADV_DONTNEED through process_madvise */
  for (unsigned i = 0; done < 0 && i < ndrops; i++)
    if (madvise(drops[i].iov_base, drops[i].iov_len, MADV_DONTNEED) != 0)
      pg_fatal("madvise(MADV_DONTNEED) failed: %s", strerror(errno));
  ndrops = 0;
}

/* Writes the dirty victims to farmemd and waits for the acknowledgement; returns how many. */
static unsigned write_back(const struct victim *v, unsigned k) {
  far_io io[PG_BATCH];
  unsigned n = 0;
  for (unsigned i = 0; i < k; i++)
    if (v[i].dirty)
      io[n++] = (far_io){.cls = PG_CLASS, .id = v[i].page, .buf = pg_addr(v[i].page), .len = PG_SIZE};
  if (!n)
    return 0;
  far_ticket t;
  int st = far_net_writev(pg.net, io, n, &t, NULL, NULL);
  if (st == FAR_OK)
    st = far_ticket_wait(pg.net, &t);
  if (st != FAR_OK) {
    char why[256];
    far_net_error(pg.net, why, sizeof why);
    pg_fatal("cannot write pages back to farmemd: status %d %s", st, why);
  }
  return n;
}

/* After the victims' write-back: their frames are freed, or (keep) they stay resident, clean and
 * write-protected, so that a later write faults and makes them dirty again. Threads that faulted on
 * them meanwhile are woken (to fault again). */
static void finish(const struct victim *v, unsigned k, int keep) {
  size_t wake[PG_BATCH];
  unsigned nwake = 0;
  pthread_mutex_lock(&pg.lock);
  for (unsigned i = 0; i < k; i++) {
    struct pg_page *pp = &pg.pages[v[i].page];
    if (v[i].dirty)
      pp->flags |= PG_STORED;
    if (pp->flags & PG_WAITER)
      wake[nwake++] = v[i].page;
    if (keep) {
      pp->state = PG_RESIDENT;
      pp->flags &= (uint8_t)~(PG_DIRTY | PG_WAITER);
      continue;
    }
    pp->state = (pp->flags & PG_STORED) ? PG_REMOTE : PG_ZERO;
    pp->flags &= PG_STORED;
    pg_put_frame(pp->frame);
  }
  pthread_cond_broadcast(&pg.frames_cv);
  pthread_mutex_unlock(&pg.lock);
  for (unsigned i = 0; i < nwake; i++)
    pg_wake(wake[i], 1);
}

/* A dirty page that farmemd never had and that is all zeros (a zero fault-around page never
 * written, or one written with zeros) goes back to the zero state instead of being written, as
 * zswap keeps same-filled pages without storing them. Run after the write-protect. */
static unsigned skip_zero_pages(struct victim *v, unsigned k) {
  static const uint64_t zeros[PG_SIZE / 8];
  unsigned n = 0;
  for (unsigned i = 0; i < k; i++)
    if (v[i].dirty && !v[i].stored && !memcmp(pg_addr(v[i].page), zeros, PG_SIZE)) {
      v[i].dirty = 0;
      n++;
    }
  return n;
}

static void evict(struct victim *v, unsigned k) {
  qsort(v, k, sizeof *v, by_page);
  for_runs(v, k, 1, protect_run);
  atomic_fetch_add(&pg.st.zero_dropped, skip_zero_pages(v, k));
  unsigned written = write_back(v, k);
  for_runs(v, k, 0, collect_run);
  drop_runs();
  finish(v, k, 0);
  atomic_fetch_add(&pg.st.evicted, k);
  atomic_fetch_add(&pg.st.written_back, written);
  atomic_fetch_add(&pg.st.dropped_clean, k - written);
}

/* Picks up to max resident dirty pages from page *next up to page end, as EVICTING (pg.lock held). */
static unsigned pick_dirty(struct victim *v, unsigned max, size_t *next, size_t end) {
  unsigned k = 0;
  for (; k < max && *next < end; ++*next) {
    struct pg_page *pp = &pg.pages[*next];
    if (pp->state != PG_RESIDENT || !(pp->flags & PG_DIRTY))
      continue;
    pp->state = PG_EVICTING;
    v[k++] = (struct victim){.page = *next, .dirty = 1, .stored = (pp->flags & PG_STORED) != 0};
  }
  return k;
}

/* Writes the dirty resident pages of [first, end) back, in batches as the reclaimer does. */
static void write_back_pages(size_t first, size_t end) {
  struct victim v[PG_BATCH];
  for (size_t next = first;;) {
    pthread_mutex_lock(&pg.lock);
    unsigned k = pick_dirty(v, PG_BATCH, &next, end);
    pthread_mutex_unlock(&pg.lock);
    if (!k)
      return;
    for_runs(v, k, 1, protect_run);
    atomic_fetch_add(&pg.st.written_back, write_back(v, k));
    finish(v, k, 1);
  }
}

/* For a program that knows a phase of writes is over (the end of a load): writes the dirty
 * resident pages of n address ranges {addr, len} back to farmemd now and leaves them resident and
 * clean, so that reclaim later drops them without writing them. The far-memory build's counterpart
 * is far_write_back_ranges. Found with dlsym(RTLD_DEFAULT, "farpaging_write_back"). */
struct pg_range {
  const void *addr;
  size_t len;
};
__attribute__((visibility("default"))) void farpaging_write_back(const struct pg_range *r, size_t n) {
  pg_internal++;
  for (size_t i = 0; i < n; i++) {
    if (!r[i].len || !pg_in_arena(r[i].addr) || !pg_in_arena((const char *)r[i].addr + r[i].len - 1))
      continue;
    write_back_pages(pg_index(r[i].addr), pg_index((const char *)r[i].addr + r[i].len - 1) + 1);
  }
  pg_internal--;
}

static void wait_briefly(void) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_cond_timedwait(&pg.reclaim_cv, &pg.lock, &until);
}

void *pg_reclaim_main(void *arg) {
  (void)arg;
  struct victim v[PG_BATCH];
  pthread_mutex_lock(&pg.lock);
  for (;;) {
    while (pg.nfree >= pg.low_wm)
      pthread_cond_wait(&pg.reclaim_cv, &pg.lock);
    while (pg.nfree < pg.high_wm) {
      unsigned k = pick_victims(v, PG_BATCH);
      if (k == 0) { /* every frame is in flight: let the handlers finish */
        wait_briefly();
        continue;
      }
      pthread_mutex_unlock(&pg.lock);
      evict(v, k);
      pthread_mutex_lock(&pg.lock);
    }
  }
  return NULL;
}
