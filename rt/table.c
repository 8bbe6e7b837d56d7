/* The object table: one 8-byte entry per far object, per size class, indexed by id, in a virtual
 * reservation that the kernel commits page by page as entries are written.
 *
 * Metadata must not pin local memory for cold objects: each 4 KiB table page (512 entries) keeps a
 * count of its entries that pin it (present, fetching, or never-written); when the count drops to 0
 * every entry on the page is 0 ("on the server") and the page is handed back with
 * madvise(MADV_DONTNEED), after which reads of it see zeros again without committing memory. Entry
 * locks are striped by table page, so the page cannot be written while it is being dropped. */
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"
#include "support.h"

#define TABLE_CLASSES (FAR_HEAP_CLASS_MAX + 1)
#define ENTRIES_PER_PAGE 512u
#define PAGE_BYTES (ENTRIES_PER_PAGE * sizeof(uint64_t))
#define LOCK_STRIPES 4096u

uint64_t *far_table;
static uint16_t *pin_counts; /* per table page */
static atomic_size_t resident_pages;
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

void far_entry_lock(unsigned cls, uint64_t id) {
  atomic_flag *f = &locks[page_of(cls, id) % LOCK_STRIPES].f;
  unsigned spins = 0;
  while (atomic_flag_test_and_set_explicit(f, memory_order_acquire)) far_relax(&spins);
}

void far_entry_unlock(unsigned cls, uint64_t id) {
  atomic_flag_clear_explicit(&locks[page_of(cls, id) % LOCK_STRIPES].f, memory_order_release);
}

void far_entry_set(unsigned cls, uint64_t id, uint64_t e) {
  uint64_t *slot = far_entry(cls, id);
  bool was = far_entry_pins(__atomic_load_n(slot, __ATOMIC_RELAXED)), now = far_entry_pins(e);
  __atomic_store_n(slot, e, __ATOMIC_RELEASE);
  if (was == now) return;
  size_t page = page_of(cls, id);
  if (now) {
    if (pin_counts[page]++ == 0) atomic_fetch_add(&resident_pages, 1);
    return;
  }
  if (--pin_counts[page] != 0) return;
  atomic_fetch_sub(&resident_pages, 1);
  madvise((char *)far_table + page * PAGE_BYTES, PAGE_BYTES, MADV_DONTNEED);
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
