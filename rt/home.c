/* Home slots: every far object has a fixed local address, its home, FAR_HOME_OF(class, offset) (see
 * far/rt.h), inside one MAP_NORESERVE reservation made at start-up. A barrier computes the home from
 * the far address alone and loads the entry beside it; when the entry says the object is at home,
 * the data load did not have to wait for the entry, so a pointer chase pays one memory latency per
 * object, as native code does, instead of two dependent ones (entry, then data). An object that is
 * not at home (fetched into a cache region, moved by the evacuator) still works: the barrier then
 * uses the entry's address.
 *
 * New objects are born at home while local memory allows (heap.c). Home objects are accounted and
 * evacuated through "home regions" (cache.c): ordinary cache regions whose headers list objects
 * whose data lies at home, so the evacuator treats them like any other. Per home page this file
 * keeps how many objects are at home there and the one region they belong to (so a home address
 * leads to its region; an object whose page belongs to another region goes into its region's own
 * data area instead); a page whose last object left (far_entry_set tells us) is queued and returned
 * to the kernel when its region is released, or in batches.
 *
 * FAR_HOME=0 turns placement at home off (every object then takes the second path); so does a
 * reservation the kernel refuses, and ThreadSanitizer builds, whose shadow memory lies there. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"
#include "support.h"

#define HOME_BASE FAR_HOME_OF(FAR_HEAP_CLASS_MIN, 0)
#define HOME_END FAR_HOME_OF(FAR_HEAP_CLASS_MAX + 1, 0)
#define HOME_WINDOW (1ull << FAR_HOME_SHIFT) /* class-local offsets a home can hold */
#define PAGE_SHIFT 12
#define NPAGES ((HOME_END - HOME_BASE) >> PAGE_SHIFT)
#define LOCK_SHIFT 4 /* 16 pages (64 KiB) per lock: an object's pages share one */
#define LOCK_STRIPES 256

#define PAGE_TOUCHED 1u /* may hold non-zero bytes */
#define PAGE_QUEUED 2u  /* waits for far_home_release_empty */
#define CHUNK_MAPPED 4u /* on a lock's first page: its 16 pages were mapped in at once */

struct home_page {
  uint32_t region; /* index of the region its objects belong to (count > 0) */
  uint16_t count;  /* objects at home on this page */
  uint16_t flags;
};

bool far_home_on; /* placement at home possible (far_home_enabled) */
static struct home_page *pages;
static struct {
  atomic_flag f;
  char pad[63];
} locks[LOCK_STRIPES];
/* Per class, the lowest id never placed at home: its home was never written. */
static atomic_uint_fast64_t fresh_from[FAR_HEAP_CLASS_MAX + 1];
static atomic_size_t touched_pages;

static struct far_page_list emptied = FAR_PAGE_LIST_INIT;

static void *reserve(void *at, size_t len, int flags) {
  return mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | flags, -1, 0);
}

void far_home_init(bool on) {
#if defined(__SANITIZE_THREAD__) || (defined(__has_feature) && __has_feature(thread_sanitizer))
  return; /* TSan's shadow memory occupies the reservation's addresses */
#endif
  if (!on) return;
  void *want = (void *)(uintptr_t)HOME_BASE;
  void *p = reserve(want, HOME_END - HOME_BASE, MAP_FIXED_NOREPLACE);
  if (p != want) {
    if (p != MAP_FAILED) munmap(p, HOME_END - HOME_BASE); /* an old kernel placed it elsewhere */
    return;
  }
  pages = reserve(NULL, NPAGES * sizeof *pages, 0);
  if (pages == MAP_FAILED) { /* e.g. a limit on address space (ulimit -v): run without homes */
    munmap(want, HOME_END - HOME_BASE);
    return;
  }
  far_home_on = true;
}

static size_t page_of(uintptr_t p) { return (p - HOME_BASE) >> PAGE_SHIFT; }

static void lock_pages(size_t page) {
  unsigned spins = 0;
  while (atomic_flag_test_and_set_explicit(&locks[(page >> LOCK_SHIFT) % LOCK_STRIPES].f, memory_order_acquire))
    far_relax(&spins);
}

static void unlock_pages(size_t page) {
  atomic_flag_clear_explicit(&locks[(page >> LOCK_SHIFT) % LOCK_STRIPES].f, memory_order_release);
}

/* One call maps in the 16 pages (64 KiB) of the lock of `page` the first time one is used, instead of
 * a page fault on each (as regions are, cache.c); objects are born in id order, so the next ones
 * use them. Lock held. */
static void map_chunk(size_t page) {
  struct home_page *head = &pages[page & ~(((size_t)1 << LOCK_SHIFT) - 1)];
  if (head->flags & CHUNK_MAPPED) return;
  head->flags |= CHUNK_MAPPED;
  madvise((char *)HOME_BASE + ((page >> LOCK_SHIFT) << (LOCK_SHIFT + PAGE_SHIFT)),
          (size_t)1 << (LOCK_SHIFT + PAGE_SHIFT), MADV_POPULATE_WRITE);
}

bool far_home_holds(const void *local) {
  uintptr_t p = (uintptr_t)local;
  return far_home_on && p >= HOME_BASE && p < HOME_END;
}

uint32_t far_home_region(const void *local) { return pages[page_of((uintptr_t)local)].region; }

bool far_home_usable(unsigned cls, uint64_t id) { return far_home_on && (id << cls) < HOME_WINDOW; }

/* Claims the home of object (cls, id) (far_home_usable) for region number `region` and returns it,
 * zeroed; NULL when one of its pages holds objects of another region. */
char *far_home_take(unsigned cls, uint64_t id, uint32_t region) {
  char *p = (char *)FAR_HOME_OF(cls, id << cls);
  size_t size = (size_t)1 << cls, first = page_of((uintptr_t)p), last = page_of((uintptr_t)p + size - 1);
  bool zero = true;
  lock_pages(first);
  for (size_t i = first; i <= last; i++) {
    if (pages[i].count && pages[i].region != region) {
      unlock_pages(first);
      return NULL;
    }
    zero &= !(pages[i].flags & PAGE_TOUCHED);
  }
  map_chunk(first);
  for (size_t i = first; i <= last; i++) {
    if (!(pages[i].flags & PAGE_TOUCHED)) atomic_fetch_add_explicit(&touched_pages, 1, memory_order_relaxed);
    pages[i].count++;
    pages[i].region = region;
    pages[i].flags |= PAGE_TOUCHED;
  }
  unlock_pages(first);
  uint_fast64_t fresh = atomic_load_explicit(&fresh_from[cls], memory_order_relaxed);
  while (id >= fresh && !atomic_compare_exchange_weak(&fresh_from[cls], &fresh, id + 1)) {
  }
  if (!zero && id < fresh) memset(p, 0, size); /* a page others wrote, and this home was used before */
  return p;
}

/* Object (cls, id) is no longer at home (far_entry_set saw its entry move away). */
void far_home_leave(unsigned cls, uint64_t id) {
  uintptr_t p = FAR_HOME_OF(cls, id << cls);
  size_t first = page_of(p), last = page_of(p + ((size_t)1 << cls) - 1);
  lock_pages(first);
  for (size_t i = first; i <= last; i++)
    if (--pages[i].count == 0 && !(pages[i].flags & PAGE_QUEUED)) {
      pages[i].flags |= PAGE_QUEUED;
      far_page_list_push(&emptied, i, "the list of empty home pages");
    }
  unlock_pages(first);
}

size_t far_home_empty_pages(void) { return far_page_list_length(&emptied); }

/* When memory is needed, or once emptied pages make up a sixteenth of the budget (they count as
 * metadata meanwhile). A program that frees and allocates in turn empties and refills the same pages:
 * giving each back (a TLB shootdown) and faulting it in again made linked_list 20% slower. */
bool far_home_release_wanted(void) {
  size_t n = far_home_empty_pages();
  return (n << PAGE_SHIFT) >= far_rt.budget / 16 || (n && far_local_bytes() >= far_evac_start_bytes());
}

/* Returns the queued pages that are still empty to the kernel (the evacuator, between rounds: a
 * write-back sends from the object's memory until the server acknowledged it). */
void far_home_release_empty(void) {
  if (!far_home_empty_pages()) return;
  size_t n;
  size_t *list = far_page_list_take(&emptied, &n);
  for (size_t i = 0; i < n; i++) {
    lock_pages(list[i]);
    struct home_page *pg = &pages[list[i]];
    pg->flags &= ~PAGE_QUEUED;
    if (pg->count == 0) {
      pg->flags = 0;
      pages[list[i] & ~(((size_t)1 << LOCK_SHIFT) - 1)].flags &= ~CHUNK_MAPPED; /* refault it at once */
      atomic_fetch_sub_explicit(&touched_pages, 1, memory_order_relaxed);
      madvise((char *)HOME_BASE + (list[i] << PAGE_SHIFT), (size_t)1 << PAGE_SHIFT, MADV_DONTNEED);
    }
    unlock_pages(list[i]);
  }
  free(list);
}

/* Local memory homes hold beyond the regions' accounting: pages emptied but not yet returned, and
 * the per-page records. */
size_t far_home_meta_bytes(void) {
  return far_home_empty_pages() * ((size_t)1 << PAGE_SHIFT) +
         atomic_load_explicit(&touched_pages, memory_order_relaxed) * sizeof(struct home_page);
}
