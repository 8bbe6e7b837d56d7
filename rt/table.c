/* The object table: one 8-byte entry per far object, per size class, indexed by id, in a virtual
 * reservation that the kernel commits page by page as entries are written.
 *
 * Metadata must not pin local memory for cold objects: each 4 KiB table page (512 entries) keeps a
 * count of its entries that pin it (present, fetching, or never-written); when the count drops to 0
 * every entry on the page is 0 ("on the server") and the page is queued; the evacuator hands queued
 * pages that are still empty back with madvise(MADV_DONTNEED) (far_table_release_empty), after which
 * reads of them see zeros again without committing memory. Not releasing at once matters for
 * programs that free and allocate objects in turn: the last free on a page and the next allocation
 * reusing its id would otherwise cost a madvise (a TLB shootdown) and a page fault each. Entry locks
 * are striped by table page, so a page cannot be written while it is being dropped. */
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"
#include "support.h"

#define TABLE_CLASSES (FAR_HEAP_CLASS_MAX + 1)
#define ENTRIES_PER_PAGE 512u
#define PAGE_BYTES (ENTRIES_PER_PAGE * sizeof(uint64_t))
#define LOCK_STRIPES 4096u
/* pin_counts: entries pinning the page, plus these flags */
#define PAGE_RESIDENT 0x8000u /* committed (counted in resident_pages) */
#define PAGE_QUEUED 0x4000u   /* in the empty list */
#define PAGE_PINS 0x3fffu

uint64_t *far_table;
static uint16_t *pin_counts; /* per table page, under the page's entry lock */
static atomic_size_t resident_pages;
static pthread_mutex_t empty_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t *empty_pages, nempty, cap_empty; /* pages whose count dropped to 0 */
static atomic_size_t queued_empty;
static struct {
  atomic_flag f;
  char pad[63];
} locks[LOCK_STRIPES];

static void *reserve(size_t bytes, const char *what) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) far_fatal("cannot reserve %zu bytes of address space for the %s", bytes, what);
  return p;
}

void far_table_init(void) {
  size_t entries = (size_t)TABLE_CLASSES << FAR_TABLE_ID_BITS;
  far_table = reserve(entries * sizeof(uint64_t), "object table");
  pin_counts = reserve(entries / ENTRIES_PER_PAGE * sizeof(uint16_t), "object table page counts");
}

static inline size_t page_of(unsigned cls, uint64_t id) {
  return (((size_t)cls << FAR_TABLE_ID_BITS) + id) / ENTRIES_PER_PAGE;
}

static void lock_page(size_t page) {
  atomic_flag *f = &locks[page % LOCK_STRIPES].f;
  unsigned spins = 0;
  while (atomic_flag_test_and_set_explicit(f, memory_order_acquire)) far_relax(&spins);
}

static void unlock_page(size_t page) {
  atomic_flag_clear_explicit(&locks[page % LOCK_STRIPES].f, memory_order_release);
}

void far_entry_lock(unsigned cls, uint64_t id) { lock_page(page_of(cls, id)); }
void far_entry_unlock(unsigned cls, uint64_t id) { unlock_page(page_of(cls, id)); }

static void queue_empty(size_t page) {
  pthread_mutex_lock(&empty_lock);
  if (nempty == cap_empty) {
    cap_empty = cap_empty ? 2 * cap_empty : 256;
    empty_pages = realloc(empty_pages, cap_empty * sizeof *empty_pages);
    if (!empty_pages) far_fatal("out of memory for the object table's page list");
  }
  empty_pages[nempty++] = page;
  atomic_store_explicit(&queued_empty, nempty, memory_order_relaxed);
  pthread_mutex_unlock(&empty_lock);
}

void far_entry_set(unsigned cls, uint64_t id, uint64_t e) {
  uint64_t *slot = far_entry(cls, id);
  bool was = far_entry_pins(__atomic_load_n(slot, __ATOMIC_RELAXED)), now = far_entry_pins(e);
  __atomic_store_n(slot, e, __ATOMIC_RELEASE);
  if (was == now) return;
  uint16_t *count = &pin_counts[page_of(cls, id)];
  if (now) {
    if (!(*count & PAGE_RESIDENT)) {
      *count |= PAGE_RESIDENT;
      atomic_fetch_add(&resident_pages, 1);
      FAR_STAT_MAX(local_bytes_peak_meta, far_local_meta_bytes());
      FAR_STAT_MAX(local_bytes_peak, far_local_bytes());
    }
    ++*count;
    return;
  }
  if ((--*count & (PAGE_PINS | PAGE_QUEUED)) != 0) return;
  *count |= PAGE_QUEUED;
  queue_empty(page_of(cls, id));
}

size_t far_table_empty_pages(void) { return atomic_load_explicit(&queued_empty, memory_order_relaxed); }

void far_table_release_empty(void) {
  pthread_mutex_lock(&empty_lock);
  size_t *pages = empty_pages, n = nempty;
  empty_pages = NULL;
  nempty = cap_empty = 0;
  atomic_store_explicit(&queued_empty, 0, memory_order_relaxed);
  pthread_mutex_unlock(&empty_lock);
  for (size_t i = 0; i < n; i++) {
    lock_page(pages[i]);
    uint16_t *count = &pin_counts[pages[i]];
    *count &= ~PAGE_QUEUED;
    if (*count == PAGE_RESIDENT) { /* still empty */
      *count = 0;
      atomic_fetch_sub(&resident_pages, 1);
      madvise((char *)far_table + pages[i] * PAGE_BYTES, PAGE_BYTES, MADV_DONTNEED);
    }
    unlock_page(pages[i]);
  }
  free(pages);
}

size_t far_table_resident_bytes(void) {
  return atomic_load_explicit(&resident_pages, memory_order_relaxed) * (PAGE_BYTES + sizeof(uint16_t));
}

void far_relax(unsigned *spins) {
  if (++*spins < 64) {
    __builtin_ia32_pause();
    return;
  }
  if (*spins < 1000) {
    sched_yield();
    return;
  }
  usleep(50);
}
