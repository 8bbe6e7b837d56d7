/* The paging baseline's fault path: handler threads read userfaultfd messages and resolve them the
 * way the kernel's swap-in path would, from userspace.
 *
 * A missing-page fault on a ZERO page installs zeros (no round trip); on a REMOTE page it fetches the
 * page from farmemd, plus up to FARPAGING_READAHEAD following pages when the fault continues a
 * sequential stream, all in one readv, and installs the whole run with one UFFDIO_COPY. A page
 * faulted in by a read is installed write-protected, so its first write arrives here as a
 * write-protect fault: that is how dirty pages are known (there is no PTE dirty bit in userspace).
 * The faulting thread sleeps in the kernel until UFFDIO_COPY or UFFDIO_WRITEPROTECT wakes it, like a
 * thread in a kernel page fault. Pages being written back (EVICTING) are not touched here: the
 * thread is marked as a waiter and the reclaimer wakes it once the page is gone, so it faults again
 * and fetches the new copy.
 *
 * Also pg_discard, which the allocator uses to return freed spans to the zero state. */
#define _GNU_SOURCE
#include "paging.h"

#include <errno.h>
#include <far/net.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PG_STREAMS 8u /* sequential streams tracked for readahead */

/* One handler thread's scratch space: the run being fetched. */
struct handler {
  char *buf; /* (1 + PG_RA_MAX) pages, page i of the run at buf + i * PG_SIZE */
  uint32_t frame[1 + PG_RA_MAX];
  far_io io[1 + PG_RA_MAX];
};

/* Recent fault positions, to detect sequential access (guarded by pg.lock). */
static struct {
  size_t next[PG_STREAMS]; /* a fault at next..next+window continues the stream */
  unsigned victim;
} streams;

static void range_ioctl(unsigned long req, void *arg, const char *what) {
  while (ioctl(pg.uffd, req, arg) != 0) {
    if (errno != EAGAIN && errno != EINTR)
      pg_fatal("%s failed: %s", what, strerror(errno));
  }
}

void pg_wake(size_t i, size_t n) {
  struct uffdio_range r = {.start = (uintptr_t)pg_addr(i), .len = n << PG_SHIFT};
  range_ioctl(UFFDIO_WAKE, &r, "UFFDIO_WAKE");
}

void pg_protect(size_t i, size_t n, int on) {
  struct uffdio_writeprotect wp = {.range = {.start = (uintptr_t)pg_addr(i), .len = n << PG_SHIFT},
                                   .mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0};
  range_ioctl(UFFDIO_WRITEPROTECT, &wp, "UFFDIO_WRITEPROTECT");
}

/* Installs n pages from src at page i (write-protected unless writable); wakes the waiters. */
static void copy_in(size_t i, const char *src, size_t n, int writable) {
  size_t done = 0, len = n << PG_SHIFT;
  while (done < len) {
    struct uffdio_copy c = {.dst = (uintptr_t)pg_addr(i) + done, .src = (uintptr_t)src + done,
                            .len = len - done, .mode = writable ? 0 : UFFDIO_COPY_MODE_WP};
    if (ioctl(pg.uffd, UFFDIO_COPY, &c) == 0)
      break;
    if (errno != EAGAIN && errno != EINTR)
      pg_fatal("UFFDIO_COPY of page %zu failed: %s", i + (done >> PG_SHIFT), strerror(errno));
    if (c.copy > 0)
      done += (size_t)c.copy;
  }
}

static int fetchable(size_t i) {
  return i < pg.npages && (pg.pages[i].state == PG_ZERO || pg.pages[i].state == PG_REMOTE);
}

static int is_zero(size_t i) { return i < pg.npages && pg.pages[i].state == PG_ZERO; }

/* Zero fault-around: a fault on a never-written page also installs the never-written pages after
 * it, up to PG_RA_MAX, but only from frames that are free anyway (above the reclaim watermark), so
 * it never evicts anything. First touches of fresh memory then cost one userspace fault per 64
 * pages instead of one per page (the kernel's anonymous first-touch faults cost no round trip to a
 * handler thread); under memory pressure it turns itself off. */
static unsigned zero_around(size_t p) {
  unsigned spare = pg.nfree > pg.high_wm ? pg.nfree - pg.high_wm : 0, n = 1;
  while (n < 1 + PG_RA_MAX && n <= spare && is_zero(p + n))
    n++;
  return n;
}

/* How many pages to bring in for a fault on page p (pg.lock held): 1, or 1 + readahead when p
 * continues a sequential stream, or a zero fault-around run. Updates the streams. */
static unsigned plan_length(size_t p) {
  unsigned ra = 0, s;
  for (s = 0; s < PG_STREAMS; s++)
    if (p >= streams.next[s] && p <= streams.next[s] + pg.readahead)
      break;
  if (s < PG_STREAMS && streams.next[s])
    ra = pg.readahead;
  else
    s = streams.victim++ % PG_STREAMS;
  unsigned n = 1;
  while (n < 1 + ra && fetchable(p + n))
    n++;
  if (is_zero(p)) {
    unsigned z = zero_around(p);
    n = z > n ? z : n;
  }
  streams.next[s] = p + n;
  return n;
}

/* Marks the run FETCHING with its frames and fills in the reads of its remote pages; returns how
 * many reads (pg.lock held). */
static size_t start_run(struct handler *h, size_t p, unsigned n) {
  size_t nio = 0;
  for (unsigned k = 0; k < n; k++) {
    struct pg_page *pp = &pg.pages[p + k];
    pp->frame = h->frame[k];
    pg.frames[h->frame[k]] = (uint32_t)(p + k);
    char *dst = h->buf + ((size_t)k << PG_SHIFT);
    if (pp->state == PG_REMOTE)
      h->io[nio++] = (far_io){.cls = PG_CLASS, .id = p + k, .buf = dst, .len = PG_SIZE};
    else
      memset(dst, 0, PG_SIZE);
    pp->state = PG_FETCHING;
  }
  return nio;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Reads the run's remote pages: one synchronous read when there is one (it spins adaptively,
 * rt/net_spin.c, as a farmem miss does), else one readv for them all with the faulting page first.
 * (Sending the readahead ahead of a separate read of the faulting page, to wake its thread a few
 * microseconds sooner, measured several times slower here: the read then waits behind the readv.) */
static void fetch(far_io *io, size_t nio) {
  if (!nio)
    return;
  uint64_t t0 = now_ns();
  int st;
  if (nio == 1) {
    st = far_net_read(pg.net, PG_CLASS, io->id, io->buf);
  } else {
    far_ticket t;
    st = far_net_readv(pg.net, io, nio, &t, NULL, NULL);
    if (st == FAR_OK)
      st = far_ticket_wait(pg.net, &t);
  }
  if (st != FAR_OK) {
    char why[256];
    far_net_error(pg.net, why, sizeof why);
    pg_fatal("cannot fetch page %zu from farmemd: status %d %s", (size_t)io->id, st, why);
  }
  atomic_fetch_add(&pg.st.fetch_ns, now_ns() - t0);
  atomic_fetch_add(&pg.st.fetches, 1);
}

/* The run's n pages are installed: RESIDENT, the faulting one referenced. */
static void finish_run(size_t p, unsigned n, int write) {
  pthread_mutex_lock(&pg.lock);
  for (unsigned k = 0; k < n; k++) {
    struct pg_page *pp = &pg.pages[p + k];
    pp->state = PG_RESIDENT;
    pp->flags = (uint8_t)((pp->flags & PG_STORED) | (write ? PG_DIRTY : 0) | (k == 0 ? PG_REF : 0));
  }
  pthread_cond_broadcast(&pg.frames_cv);
  pthread_mutex_unlock(&pg.lock);
}

/* Takes frames for a run starting at p (pg.lock held). Waiting for frames releases the lock, so the
 * run is re-planned afterwards; returns its length, 0 when p needs no fetch any more. */
static unsigned reserve_run(struct handler *h, size_t p) {
  unsigned n = plan_length(p);
  pg_take_frames(h->frame, n);
  unsigned k = 0;
  while (k < n && fetchable(p + k))
    k++;
  for (unsigned j = k; j < n; j++)
    pg_put_frame(h->frame[j]);
  return k;
}

/* A missing-page fault on a page we count as resident (pg.lock held). Usually the message is stale
 * (another handler installed the page meanwhile): the copy fails with EEXIST and the thread only
 * needs waking. Otherwise the program dropped the page itself (madvise(MADV_DONTNEED) on heap
 * memory), which for private anonymous memory means zeros: install them, dirty, instead of waking
 * the thread into the same fault forever. */
static void on_missing_resident(size_t p) {
  static const char zeros[PG_SIZE];
  struct uffdio_copy c = {.dst = (uintptr_t)pg_addr(p), .src = (uintptr_t)zeros, .len = PG_SIZE};
  while (ioctl(pg.uffd, UFFDIO_COPY, &c) != 0 && (errno == EAGAIN || errno == EINTR) && c.copy <= 0)
    ;
  if (c.copy == (long long)PG_SIZE)
    pg.pages[p].flags |= PG_DIRTY | PG_REF;
  else
    pg_wake(p, 1);
}

static void on_missing(struct handler *h, size_t p, int write) {
  pthread_mutex_lock(&pg.lock);
  unsigned n = fetchable(p) ? reserve_run(h, p) : 0;
  if (n == 0) {
    enum pg_state st = pg.pages[p].state;
    if (st == PG_EVICTING)
      pg.pages[p].flags |= PG_WAITER;
    else if (st == PG_RESIDENT)
      on_missing_resident(p);
    pthread_mutex_unlock(&pg.lock);
    return; /* FETCHING: the copy wakes it; EVICTING: the reclaimer will */
  }
  size_t nio = start_run(h, p, n);
  pthread_mutex_unlock(&pg.lock);
  fetch(h->io, nio);
  /* A run of zeros is mapped writable and counted dirty, so writing it costs no write-protect
   * fault; the reclaimer drops pages that are still all zeros without writing them back. */
  copy_in(p, h->buf, n, write || nio == 0);
  finish_run(p, n, write || nio == 0);
  atomic_fetch_add(&pg.st.fetched, nio);
  atomic_fetch_add(&pg.st.zero_fills, n - nio);
  atomic_fetch_add(&pg.st.readahead, n - 1);
}

/* A write to a write-protected page: it becomes dirty and writable (the unprotect also wakes the
 * thread). Done under pg.lock so the reclaimer never sees a dirty page it did not protect. */
static void on_write_protect(size_t p) {
  pthread_mutex_lock(&pg.lock);
  struct pg_page *pp = &pg.pages[p];
  enum pg_state st = pp->state;
  if (st == PG_RESIDENT) {
    pp->flags |= PG_DIRTY | PG_REF;
    pg_protect(p, 1, 0);
  } else if (st == PG_EVICTING) {
    pp->flags |= PG_WAITER;
  }
  pthread_mutex_unlock(&pg.lock);
  if (st != PG_RESIDENT && st != PG_EVICTING)
    pg_wake(p, 1); /* stale: the page was dropped since, the thread will fault again */
  atomic_fetch_add(&pg.st.wp_faults, 1);
}

static void handle(struct handler *h, const struct uffd_msg *m) {
  if (m->event != UFFD_EVENT_PAGEFAULT)
    return;
  const char *addr = (const char *)(uintptr_t)m->arg.pagefault.address;
  if (!pg_in_arena(addr))
    pg_fatal("page fault outside the arena at %p", (const void *)addr);
  uint64_t t0 = now_ns();
  size_t p = pg_index(addr);
  if (m->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) {
    on_write_protect(p);
  } else {
    on_missing(h, p, (m->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0);
    atomic_fetch_add(&pg.st.faults, 1);
  }
  atomic_fetch_add(&pg.st.fault_ns, now_ns() - t0);
}

/* No fault pending: within FARPAGING_SPIN_US of the last one keep polling (faults come in bursts,
 * and waking a sleeping handler costs tens of microseconds on this VM: the kernel's own fault path
 * has no such hop), else sleep in poll() until one comes. */
static void idle(uint64_t *last) {
  if (now_ns() - *last < pg.spin_ns) {
    sched_yield();
    return;
  }
  struct pollfd p = {.fd = pg.uffd, .events = POLLIN};
  if (poll(&p, 1, -1) < 0 && errno != EINTR)
    pg_fatal("poll on the userfaultfd failed: %s", strerror(errno));
}

void *pg_handler_main(void *arg) {
  (void)arg;
  struct handler *h = calloc(1, sizeof *h); /* pg_internal is set: libc's heap */
  if (!h || (h->buf = mmap(NULL, (1 + PG_RA_MAX) << PG_SHIFT, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
    pg_fatal("out of memory for a fault handler");
  uint64_t last = 0;
  for (;;) {
    struct uffd_msg msg[8];
    ssize_t n = read(pg.uffd, msg, sizeof msg); /* the descriptor is non-blocking */
    if (n < 0 && errno == EAGAIN) {
      idle(&last);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      pg_fatal("reading the userfaultfd failed: %s", n < 0 ? strerror(errno) : "end of file");
    for (size_t i = 0; i < (size_t)n / sizeof *msg; i++)
      handle(h, &msg[i]);
    last = now_ns();
  }
  return NULL;
}

/* Waits until no page of the range is in a transient state (pg.lock held). */
static void wait_stable(size_t first, size_t n) {
  size_t i = first;
  while (i < first + n) {
    if (pg.pages[i].state == PG_FETCHING || pg.pages[i].state == PG_EVICTING) {
      pthread_cond_wait(&pg.frames_cv, &pg.lock);
      i = first; /* the lock was released: look again */
    } else {
      i++;
    }
  }
}

void pg_discard(size_t first, size_t n) {
  pthread_mutex_lock(&pg.lock);
  wait_stable(first, n);
  for (size_t i = first; i < first + n; i++) {
    struct pg_page *pp = &pg.pages[i];
    if (pp->state == PG_RESIDENT)
      pg_put_frame(pp->frame);
    pp->state = PG_ZERO;
    pp->flags = 0;
  }
  /* Under the lock, so no handler installs a page in the range before it is dropped. */
  if (madvise(pg_addr(first), n << PG_SHIFT, MADV_DONTNEED) != 0)
    pg_fatal("madvise(MADV_DONTNEED) failed: %s", strerror(errno));
  pthread_cond_broadcast(&pg.frames_cv);
  pthread_mutex_unlock(&pg.lock);
  atomic_fetch_add(&pg.st.discarded, n);
}
