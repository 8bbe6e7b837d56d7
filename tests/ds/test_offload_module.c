/* A user's own offload module, as toolchain.md ("Offload modules") tells one to write it: the
 * example module is taken from the manual itself, built with the documented command line against
 * the build tree's include directory (which mirrors an installed prefix), and loaded by a farmemd
 * started with `--offload`. The program reaches it through FAR_SERVER and calls it with far_offload
 * on an object it has just written and not flushed: the call must see the current bytes (the
 * runtime writes dirty inputs back first), and bad calls get FAR_EOFFLOAD or FAR_ENOENT, with
 * farmemd's log naming the reason, while the connection keeps serving.
 *
 * argv: toolchain.md, the C compiler, the build tree's include directory. FARMEMD names the
 * server binary. */
#include "ds_harness.h"

#include <far/rt.h>
#include <far/wire.h> /* FAR_OK, FAR_EOFFLOAD, FAR_ENOENT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "farmemd_child.h"

static char dir[] = "/tmp/ds_offload_module_XXXXXX", log_path[128];

/* Copies the first ```c block after the heading "### Offload modules" of the manual to path. */
static int extract_example(const char *manual, const char *path) {
  FILE *in = fopen(manual, "r"), *out = NULL;
  char line[1024];
  int state = 0; /* 0: before the heading, 1: before the block, 2: in it, 3: done */
  while (in && state < 3 && fgets(line, sizeof line, in)) {
    if (state == 0 && !strcmp(line, "### Offload modules\n"))
      state = 1;
    else if (state == 1 && !strcmp(line, "```c\n"))
      state = (out = fopen(path, "w")) ? 2 : 3;
    else if (state == 2 && !strcmp(line, "```\n"))
      state = 3;
    else if (state == 2)
      fputs(line, out);
  }
  if (in)
    fclose(in);
  if (out)
    fclose(out);
  return out ? 0 : -1;
}

/* The documented id of the far object at addr: toolchain.md's formula. */
static void object_ref(const void *addr, uint64_t ref[2]) {
  uintptr_t a = (uintptr_t)addr;
  ref[0] = (a >> 51) & 31;
  ref[1] = (a & ((1ull << 51) - 1)) >> ref[0];
}

/* Calls example.sum64 with args; returns the status, the sum in *sum when it succeeded. */
static int call_sum64(const void *args, size_t len, const struct far_range *in, uint64_t *sum) {
  void *res = NULL;
  size_t res_len = 0;
  int st = far_offload("example.sum64", args, len, in, 1, NULL, 0, &res, &res_len);
  if (st == FAR_OK) {
    ck_assert_uint_eq(res_len, sizeof *sum);
    memcpy(sum, res, sizeof *sum);
  }
  free(res);
  return st;
}

/* Lines of farmemd's log holding text. */
static int log_lines_with(const char *text) {
  FILE *f = fopen(log_path, "r");
  char line[512];
  int n = 0;
  while (f && fgets(line, sizeof line, f))
    n += strstr(line, text) != NULL;
  if (f)
    fclose(f);
  return n;
}

START_TEST(the_manuals_module_sums_unflushed_data) {
  uint64_t *obj = far_malloc(4096), ref[2], sum = 0, want = 0;
  ck_assert_ptr_nonnull(obj);
  object_ref(obj, ref);
  ck_assert_uint_eq(ref[0], 12); /* a 4 KiB object of its own */
  struct far_range in = {obj, 4096};
  for (uint64_t round = 1; round <= 3; round++) { /* each round rewrites it, dirty again */
    far_scope_enter(0);
    uint64_t *w = far_write(obj, 4096, 0);
    want = 0;
    for (uint64_t i = 0; i < 512; i++)
      want += w[i] = i * 7 + round;
    far_scope_exit();
    ck_assert_int_eq(call_sum64(ref, sizeof ref, &in, &sum), FAR_OK);
    ck_assert_uint_eq(sum, want);
  }
  ck_assert_uint_eq(ds_counters().offload_calls, 3);
  /* Bad calls: the module refuses them, the runtime reports them, the next call works. */
  ck_assert_int_eq(call_sum64(ref, 8, &in, &sum), FAR_EOFFLOAD);
  uint64_t bad_class[2] = {25, 0};
  ck_assert_int_eq(call_sum64(bad_class, sizeof bad_class, &in, &sum), FAR_EOFFLOAD);
  void *res = NULL;
  size_t res_len;
  ck_assert_int_eq(far_offload("example.nonesuch", ref, sizeof ref, &in, 1, NULL, 0, &res, &res_len), FAR_ENOENT);
  ck_assert_int_eq(call_sum64(ref, sizeof ref, &in, &sum), FAR_OK);
  ck_assert_uint_eq(sum, want);
  far_free(obj);
  for (int tries = 0; tries < 100 && log_lines_with("offload example.sum64 failed:") < 2; tries++)
    usleep(20000); /* farmemd logs before it replies, but stderr is a file it writes separately */
  ck_assert_int_eq(log_lines_with("offload example.sum64 failed: expected (class, id)"), 1);
  ck_assert_int_eq(log_lines_with("offload example.sum64 failed: no such object: class 25"), 1);
}
END_TEST

/* Builds the manual's module with the manual's command line (cc -shared -fPIC -I<prefix>/include),
 * then starts farmemd with it. 0, or -1 after a message. */
static int build_and_serve(const char *manual, const char *cc, const char *include, farmemd_child *srv) {
  char src[128], so[128], cmd[1024], err[256], flag[160];
  snprintf(src, sizeof src, "%s/sum64.c", dir);
  snprintf(so, sizeof so, "%s/sum64.so", dir);
  snprintf(log_path, sizeof log_path, "%s/farmemd.log", dir);
  if (extract_example(manual, src) != 0) {
    fprintf(stderr, "%s: no ```c block after '### Offload modules'\n", manual);
    return -1;
  }
  snprintf(cmd, sizeof cmd, "'%s' -shared -fPIC -I'%s' -o '%s' '%s'", cc, include, so, src);
  if (system(cmd) != 0) {
    fprintf(stderr, "the manual's module does not build: %s\n", cmd);
    return -1;
  }
  snprintf(flag, sizeof flag, "--offload=%s", so);
  const char *const flags[] = {flag, NULL};
  if (farmemd_child_start(srv, getenv("FARMEMD"), flags, log_path, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  setenv("FAR_SERVER", srv->addr, 1);
  return 0;
}

int main(int argc, char **argv) {
  farmemd_child srv;
  if (argc < 4 || !getenv("FARMEMD")) {
    fprintf(stderr, "usage: FARMEMD=path %s TOOLCHAIN.md CC INCLUDE-DIR\n", argv[0]);
    return 2;
  }
  if (!mkdtemp(dir))
    return 1;
  int rc = 1;
  if (build_and_serve(argv[1], argv[2], argv[3], &srv) == 0) {
    Suite *s = suite_create("ds_offload_module");
    DS_ADD_TEST(s, the_manuals_module_sums_unflushed_data);
    /* farmemd dies with this process (PR_SET_PDEATHSIG), after the runtime's goodbye at exit. */
    rc = ds_run_suite(s);
  }
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  return rc;
}
