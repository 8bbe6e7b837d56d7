/* Working sets 8x the local budget, written and read back byte for byte in sequential and random
 * order, while the evacuator writes back and drops objects to stay within the budget. */
#include <stdlib.h>

#include "rt_test.h"

static void shuffle(size_t *order, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) order[i] = i;
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)rand_r(&seed) % i, t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
}

/* n objects of size bytes, filled and verified in the given orders, then half of them rewritten. */
static void objects_round_trip(size_t n, size_t size, int random_order) {
  char **obj = malloc(n * sizeof *obj);
  size_t *order = malloc(n * sizeof *order);
  for (size_t i = 0; i < n; i++) obj[i] = far_malloc(size);
  shuffle(order, n, 1);
  for (size_t i = 0; i < n; i++) {
    size_t k = random_order ? order[i] : i;
    rt_fill(obj[k], size, k, 0);
  }
  shuffle(order, n, 2);
  for (size_t i = 0; i < n; i++) {
    size_t k = random_order ? order[i] : i;
    rt_verify(obj[k], size, k, 0);
  }
  for (size_t i = 0; i < n; i += 2) rt_fill(obj[order[i]], size, order[i], 1);
  for (size_t i = 0; i < n; i++) rt_verify(obj[order[i]], size, order[i], i % 2 == 0);
  for (size_t i = 0; i < n; i++) far_free(obj[i]);
  free(obj);
  free(order);
}

START_TEST(sequential_4k_objects) {
  size_t scale = rt_stress() ? 8 : 1;
  rt_budget(rt_stress() ? "64M" : "8M");
  objects_round_trip(16384 * scale, 4096, 0);
}
END_TEST

START_TEST(random_4k_objects) {
  rt_budget("4M");
  objects_round_trip(8192, 4096, 1);
}
END_TEST

/* Every object a separate miss: long, so the default suite does the 4 KiB variant only. */
START_TEST(random_256b_objects) {
  rt_budget(rt_stress() ? "32M" : "4M");
  objects_round_trip(rt_stress() ? 1048576 : 131072, 256, 1);
}
END_TEST

START_TEST(one_large_array) {
  size_t scale = rt_stress() ? 8 : 1;
  rt_budget(rt_stress() ? "64M" : "8M");
  size_t n = (64u << 20) * scale;
  char *a = far_malloc(n);
  rt_fill(a, n, 99, 0);
  rt_verify(a, n, 99, 0);
  far_free(a);
}
END_TEST

static void add(Suite *s) {
  rt_add(s, sequential_4k_objects);
  rt_add(s, random_4k_objects);
  if (rt_stress()) rt_add(s, random_256b_objects);
  rt_add(s, one_large_array);
}

int main(void) { return rt_run("working_set", add); }
