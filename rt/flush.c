/* far_flush_range: makes the server's copy of a range current (for offloaded functions that read
 * the data next to it). Each dirty local object of the range is copied under its entry lock and the
 * copies are written back in batches. The objects stay cached and stay dirty, so the evacuator will
 * write them again later: a redundant write, but no window in which a newer local copy could be
 * dropped as clean. far_flush_ranges does many ranges (an offload's inputs) in the same batches.
 * Writes racing with the flush from other threads are the program's own race. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "support.h"

#define BATCH_BYTES (4u << 20)

struct flush_batch {
  far_io ios[FAR_WIRE_MAX_BATCH];
  size_t n, bytes;
};

static void send_batch(struct flush_batch *b) {
  if (!b->n) return;
  far_ticket t;
  int st = far_net_writev(far_server(), b->ios, b->n, &t, NULL, NULL);
  if (st == FAR_OK) st = far_ticket_wait(far_server(), &t);
  if (st != FAR_OK) far_net_fail("flush", st);
  FAR_STAT_ADD(bytes_written_back, b->bytes);
  for (size_t i = 0; i < b->n; i++) free(b->ios[i].buf);
  b->n = b->bytes = 0;
}

/* Adds a snapshot of (cls, id) to the batch when it is local and dirty. */
static void snapshot(struct flush_batch *b, unsigned cls, uint64_t id) {
  size_t size = (size_t)1 << cls;
  far_entry_lock(cls, id);
  uint64_t e = __atomic_load_n(far_entry(cls, id), __ATOMIC_ACQUIRE);
  void *copy = NULL;
  if ((e & (FAR_E_PRESENT | FAR_E_DIRTY)) == (FAR_E_PRESENT | FAR_E_DIRTY) && (copy = malloc(size)))
    memcpy(copy, far_entry_local(e, cls, id), size);
  far_entry_unlock(cls, id);
  if ((e & (FAR_E_PRESENT | FAR_E_DIRTY)) == (FAR_E_PRESENT | FAR_E_DIRTY) && !copy)
    far_fatal("out of memory flushing a far range");
  if (!copy) return;
  b->ios[b->n++] = (far_io){.cls = (uint8_t)cls, .id = id, .buf = copy, .len = (uint32_t)size};
  b->bytes += size;
  if (b->n == FAR_WIRE_MAX_BATCH || b->bytes >= BATCH_BYTES) send_batch(b);
}

/* Adds the dirty objects of one far range to the batch. */
static void flush_one(struct flush_batch *b, const void *addr, size_t len) {
  unsigned cls;
  uint64_t id, end;
  if (!far_range_ids(addr, len, &cls, &id, &end)) return;
  for (; id < end; id++) snapshot(b, cls, id);
}

void far_flush_ranges(const struct far_range *r, size_t n) {
  struct flush_batch *b = calloc(1, sizeof *b);
  if (!b) far_fatal("out of memory flushing a far range");
  for (size_t i = 0; i < n; i++) flush_one(b, r[i].addr, r[i].len);
  send_batch(b);
  free(b);
}

void far_flush_range(const void *addr, size_t len) {
  struct far_range r = {addr, len};
  if (far_class_of_((uintptr_t)addr) >= FAR_HEAP_CLASS_MIN && len) far_flush_ranges(&r, 1);
}
