/* far_offload: calls a function inside farmemd on data the program already has in far memory. The
 * server must see the current bytes, so the dirty local copies of the inputs are written back first;
 * and its outputs become the current copies, so any local copy of an output object is dropped, both
 * before the call (so no write-back of a stale copy can land after the function's writes) and after
 * it (in case a prefetch fetched an output object while the function ran). Objects are sharded
 * across servers by (class, id), and a function sees only its own server's namespace, so offloading
 * is refused with several servers rather than computing on part of the data. */
#include <stdlib.h>

#include "core.h"
#include "support.h"

void far_mark_remote(const void *addr, size_t len) {
  unsigned cls;
  uint64_t id, end;
  if (!far_range_ids(addr, len, &cls, &id, &end)) return;
  if (end - 1 > FAR_TABLE_ID_MASK) far_fatal("far_mark_remote(%p, %zu): not a far heap range", addr, len);
  for (; id < end; id++) far_object_drop(cls, id);
}

static void mark_all_remote(const struct far_range *r, size_t n) {
  for (size_t i = 0; i < n; i++) far_mark_remote(r[i].addr, r[i].len);
}

int far_offload(const char *name, const void *args, size_t args_len, const struct far_range *inputs,
                size_t ninputs, const struct far_range *outputs, size_t noutputs, void **result,
                size_t *result_len) {
  far_init();
  if (!result || !result_len || far_net_server_count(far_server()) != 1) return FAR_EINVAL;
  far_flush_ranges(inputs, ninputs);
  mark_all_remote(outputs, noutputs);
  int st = far_net_offload(far_server(), name, args, args_len, result, result_len);
  mark_all_remote(outputs, noutputs);
  if (st == FAR_OK) FAR_STAT_INC(offload_calls);
  return st;
}
