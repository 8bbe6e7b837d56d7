/* Running servers instead of the embedded one: FAR_SERVER names two farmemd processes started here
 * (with the network tests' farmemd_child helper); a working set 8x the budget goes through the cache
 * byte for byte, and both servers end up holding part of it (objects are sharded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "farmemd_child.h"
#include "rt_test.h"

#define OBJ 4096
#define COUNT 8192 /* 32 MiB through a 4 MiB budget */

/* Objects held by the i-th server in far_net_stats text (sections start with "server=" lines). */
static long long held_by(const char *text, int server) {
  const char *p = text;
  for (int i = 0; i <= server; i++) {
    p = strstr(p, "server=");
    ck_assert_ptr_nonnull(p);
    p++;
  }
  const char *v = strstr(p, "ns_objects=");
  ck_assert_ptr_nonnull(v);
  return atoll(v + strlen("ns_objects="));
}

START_TEST(two_servers_share_the_working_set) {
  farmemd_child a, b;
  char err[256], servers[200];
  const char *path = getenv("FARMEMD");
  ck_assert_msg(farmemd_child_start(&a, path, NULL, NULL, err, sizeof err) == 0, "%s", err);
  ck_assert_msg(farmemd_child_start(&b, path, NULL, NULL, err, sizeof err) == 0, "%s", err);
  snprintf(servers, sizeof servers, "%s,%s", a.addr, b.addr);
  setenv("FAR_SERVER", servers, 1);
  rt_budget("4M");
  static char *obj[COUNT];
  for (int i = 0; i < COUNT; i++) rt_fill(obj[i] = far_malloc(OBJ), OBJ, i, 0);
  for (int i = COUNT; i-- > 0;) rt_verify(obj[i], OBJ, i, 0);
  char *text = NULL;
  ck_assert_int_eq(far_net_stats(far_rt.net, &text), FAR_OK);
  long long on_a = held_by(text, 0), on_b = held_by(text, 1);
  free(text);
  ck_assert_int_gt(on_a, COUNT / 8);
  ck_assert_int_gt(on_b, COUNT / 8);
  ck_assert_int_le(on_a + on_b, COUNT);
  far_evac_stop(); /* as at exit, before the servers go away */
  far_net_close(far_rt.net);
  far_rt.net = NULL;
  ck_assert_int_eq(farmemd_child_stop(&a, 15), 0);
  ck_assert_int_eq(farmemd_child_stop(&b, 15), 0);
}
END_TEST

static void add(Suite *s) { rt_add(s, two_servers_share_the_working_set); }

int main(void) { return rt_run("servers", add); }
