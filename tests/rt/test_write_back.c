/* far_write_back_ranges (the end of a load phase): the objects reach the server and become clean,
 * so evacuation drops them and they are fetched back intact (not as zeros: a fresh object must
 * lose its never-written mark); one written again after the call is dirty again and its new bytes
 * survive evacuation. */
#include <string.h>

#include "core.h"
#include "rt_test.h"

#define OBJ 4096
#define COUNT 64
#define SPILL 4096 /* 16 MiB of other objects through a 4 MiB budget */

static char *obj[COUNT];

static uint64_t entry_of(const void *p) {
  uintptr_t a = (uintptr_t)p;
  return __atomic_load_n(far_entry(far_addr_class(a), far_addr_id(a)), __ATOMIC_ACQUIRE);
}

/* Writes COUNT objects (version 0) and writes them back. */
static void load_and_write_back(void) {
  rt_budget("4M");
  struct far_range r[COUNT];
  for (int i = 0; i < COUNT; i++) {
    rt_fill(obj[i] = far_malloc(OBJ), OBJ, i, 0);
    r[i] = (struct far_range){obj[i], OBJ};
  }
  far_write_back_ranges(r, COUNT);
}

/* Pushes everything written before out of the cache. */
static void spill(void) {
  for (int i = 0; i < SPILL; i++) rt_fill(far_malloc(OBJ), OBJ, 1000 + i, 0);
}

START_TEST(written_back_objects_are_clean_and_on_the_server) {
  load_and_write_back();
  static char server[OBJ], expect[OBJ];
  for (int i = 0; i < COUNT; i++) {
    uint64_t e = entry_of(obj[i]);
    ck_assert_msg((e & FAR_E_PRESENT) && !(e & (FAR_E_DIRTY | FAR_E_NOREMOTE)), "object %d: entry %llx", i,
                  (unsigned long long)e);
    uintptr_t a = (uintptr_t)obj[i];
    ck_assert_int_eq(far_net_read(far_rt.net, far_addr_class(a), far_addr_id(a), server), FAR_OK);
    for (int k = 0; k < OBJ; k++) expect[k] = (char)rt_byte(i, k, 0);
    ck_assert_mem_eq(server, expect, OBJ);
  }
  spill();
  for (int i = 0; i < COUNT; i++) rt_verify(obj[i], OBJ, i, 0);
}
END_TEST

START_TEST(a_write_after_the_write_back_survives_evacuation) {
  load_and_write_back();
  for (int i = 0; i < COUNT; i += 2) rt_fill(obj[i], OBJ, i, 1);
  for (int i = 0; i < COUNT; i += 2) ck_assert(entry_of(obj[i]) & FAR_E_DIRTY);
  spill();
  for (int i = 0; i < COUNT; i++) rt_verify(obj[i], OBJ, i, i % 2 ? 0 : 1);
}
END_TEST

static void add(Suite *s) {
  rt_add(s, written_back_objects_are_clean_and_on_the_server);
  rt_add(s, a_write_after_the_write_back_survives_evacuation);
}

int main(void) { return rt_run("write_back", add); }
