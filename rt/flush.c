/* far_flush_range: makes the server's copy of a range current (for offloaded functions that read
 * the data next to it). Each dirty local object of the range is copied under its entry lock and the
 * copies are written back in batches. The objects stay cached and stay dirty, so the evacuator will
 * write them again later: a redundant write, but no window in which a newer local copy could be
 * dropped as clean. far_flush_ranges does many ranges (an offload's inputs) in the same batches.
 * far_write_back_ranges also makes the objects clean (the end of a load phase: the evacuator then
 * drops them without writing them again). An object becomes clean only when, after the server
 * acknowledged its copy, it is still at the same place, not chosen by the evacuator, and still holds
 * the bytes that were sent; otherwise it stays dirty. Writes racing with the flush from other threads
 * are the program's own race. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "support.h"

#define BATCH_BYTES (4u << 20)

struct flush_batch {
  far_io ios[FAR_WIRE_MAX_BATCH];
  char *local[FAR_WIRE_MAX_BATCH]; /* where each copy was taken from */
  size_t n, bytes;
  bool clean; /* far_write_back_ranges */
};

/* After the server acknowledged the copy io: the local object is clean when it is unchanged. */
static void mark_clean(const far_io *io, char *local) {
  far_entry_lock(io->cls, io->id);
  uint64_t e = __atomic_load_n(far_entry(io->cls, io->id), __ATOMIC_ACQUIRE);
  if ((e & (FAR_E_PRESENT | FAR_E_DIRTY | FAR_E_EVAC)) == (FAR_E_PRESENT | FAR_E_DIRTY) &&
      far_entry_local(e, io->cls, io->id) == local && memcmp(local, io->buf, io->len) == 0)
    far_entry_set(io->cls, io->id, e & ~(FAR_E_DIRTY | FAR_E_NOREMOTE));
  far_entry_unlock(io->cls, io->id);
}

static void send_batch(struct flush_batch *b) {
  if (!b->n) return;
  far_ticket t;
  int st = far_net_writev(far_server(), b->ios, b->n, &t, NULL, NULL);
  if (st == FAR_OK) st = far_ticket_wait(far_server(), &t);
  if (st != FAR_OK) far_net_fail("flush", st);
  FAR_STAT_ADD(bytes_written_back, b->bytes);
  for (size_t i = 0; i < b->n; i++) {
    if (b->clean) mark_clean(&b->ios[i], b->local[i]);
    free(b->ios[i].buf);
  }
  b->n = b->bytes = 0;
}

/* Adds a snapshot of (cls, id) to the batch when it is local and dirty. */
static void snapshot(struct flush_batch *b, unsigned cls, uint64_t id) {
  size_t size = (size_t)1 << cls;
  far_entry_lock(cls, id);
  uint64_t e = __atomic_load_n(far_entry(cls, id), __ATOMIC_ACQUIRE);
  void *copy = NULL;
  char *local = far_entry_local(e, cls, id);
  if ((e & (FAR_E_PRESENT | FAR_E_DIRTY)) == (FAR_E_PRESENT | FAR_E_DIRTY) && (copy = malloc(size)))
    memcpy(copy, local, size);
  far_entry_unlock(cls, id);
  if ((e & (FAR_E_PRESENT | FAR_E_DIRTY)) == (FAR_E_PRESENT | FAR_E_DIRTY) && !copy)
    far_fatal("out of memory flushing a far range");
  if (!copy) return;
  b->local[b->n] = local;
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

static void flush_ranges(const struct far_range *r, size_t n, bool clean) {
  struct flush_batch *b = calloc(1, sizeof *b);
  if (!b) far_fatal("out of memory flushing a far range");
  b->clean = clean;
  for (size_t i = 0; i < n; i++) flush_one(b, r[i].addr, r[i].len);
  send_batch(b);
  free(b);
}

void far_flush_ranges(const struct far_range *r, size_t n) { flush_ranges(r, n, false); }

void far_write_back_ranges(const struct far_range *r, size_t n) { flush_ranges(r, n, true); }

void far_flush_range(const void *addr, size_t len) {
  struct far_range r = {addr, len};
  if (far_class_of_((uintptr_t)addr) >= FAR_HEAP_CLASS_MIN && len) far_flush_ranges(&r, 1);
}
