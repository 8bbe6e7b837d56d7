/* farmemd's offload functions over the wire: farmem's vector module on objects a raw client wrote,
 * namespaces isolated from each other, hostile vector arguments answered with FAR_EOFFLOAD (never a
 * crash, never a closed connection), the host accessors' bounds checks through a test module, and
 * the startup errors of --offload (bad path, no entry point, a refusing module: exit 2). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "far/ds/vec_kernels.h"
#include "harness.h"

static const char key_a[] = "offload-client-a", key_b[] = "offload-client-b";
static const char *test_module, *refusing_module, *entryless_module;

/* Calls name with args; returns the status (result in c->rep.data / c->rep.len). */
static int offload(tclient *c, const char *name, const void *args, size_t len) {
  far_wire_put_offload(&c->out, c->next_rid++, name, args, len);
  tc_flush(c);
  ck_assert_int_eq(tc_recv(c), 0);
  ck_assert_int_eq(c->rep.op, FAR_OP_OFFLOAD);
  return c->rep.status;
}

/* ---- Building vector-module arguments ---- */

struct blob {
  uint8_t b[4096];
  size_t n;
};

static void put(struct blob *a, const void *p, size_t n) {
  memcpy(a->b + a->n, p, n);
  a->n += n;
}

static void put_hdr(struct blob *a, int cmp, int nrefs, int64_t value) {
  struct fards_off_hdr h = {FARDS_OFF_MAGIC, (uint8_t)cmp, (uint8_t)nrefs, {0, 0}, {.i = value}};
  put(a, &h, sizeof h);
}

/* A reference with runs given as (first, count) pairs. */
static void put_ref(struct blob *a, int type, int cls, uint64_t len, int nruns, const uint64_t *runs) {
  struct fards_off_ref r = {(uint8_t)type, (uint8_t)cls, {0, 0}, (uint32_t)nruns, len};
  put(a, &r, sizeof r);
  put(a, runs, 16 * (size_t)nruns);
}

/* Three chunks of 1024 int32 (ids 100, 101, 205 of class 12), 3000 elements: value i * 7 - 5000. */
static const uint64_t chunk_runs[] = {100, 2, 205, 1};
enum { ELEMS = 3000 };

static int32_t elem(int i) { return i * 7 - 5000; }

static void write_chunks(tclient *c) {
  static const uint64_t ids[] = {100, 101, 205};
  for (int k = 0; k < 3; k++) {
    int32_t chunk[1024] = {0};
    for (int j = 0; j < 1024 && k * 1024 + j < ELEMS; j++)
      chunk[j] = elem(k * 1024 + j);
    ck_assert_int_eq(tc_write(c, 12, ids[k], chunk, sizeof chunk), FAR_OK);
  }
}

static struct fards_off_result result_of(tclient *c) {
  struct fards_off_result r;
  ck_assert_uint_eq(c->rep.len, sizeof r);
  memcpy(&r, c->rep.data, sizeof r);
  return r;
}

static struct blob sum_args(void) {
  struct blob a = {.n = 0};
  put_hdr(&a, 0, 1, 0);
  put_ref(&a, FARDS_T_I32, 12, ELEMS, 2, chunk_runs);
  return a;
}

START_TEST(vector_module_over_written_objects) {
  farmemd_proc srv;
  tclient a, b;
  farmemd_start(&srv, NULL);
  tc_open_session(&a, srv.port, key_a);
  write_chunks(&a);
  int64_t want = 0;
  int above = 0;
  for (int i = 0; i < ELEMS; i++)
    want += elem(i), above += elem(i) > 0;
  struct blob s = sum_args();
  ck_assert_int_eq(offload(&a, "farmem.vec.sum", s.b, s.n), FAR_OK);
  ck_assert_int_eq(result_of(&a).value.i, want);
  ck_assert_uint_eq(result_of(&a).n, ELEMS);

  /* filter (> 0) into an output of 3 chunks (ids 500..502): the server writes them */
  struct blob f = {.n = 0};
  uint64_t out_runs[] = {500, 3};
  put_hdr(&f, FARDS_GT, 2, 0);
  put_ref(&f, FARDS_T_I32, 12, ELEMS, 2, chunk_runs);
  put_ref(&f, FARDS_T_I32, 12, 3072, 1, out_runs);
  ck_assert_int_eq(offload(&a, "farmem.vec.filter", f.b, f.n), FAR_OK);
  ck_assert_uint_eq(result_of(&a).n, (uint64_t)above);
  int32_t back[1024];
  uint32_t stored;
  ck_assert_int_eq(tc_read(&a, 12, 500, back, &stored), FAR_OK);
  int first = (5000 + 7) / 7; /* first i with elem(i) > 0 */
  ck_assert_int_eq(back[0], elem(first));
  ck_assert_int_eq(back[1023], elem(first + 1023));

  /* another namespace names the same ids and sees only its own (absent, zero) objects */
  tc_open_session(&b, srv.port, key_b);
  ck_assert_int_eq(offload(&b, "farmem.vec.sum", s.b, s.n), FAR_OK);
  ck_assert_int_eq(result_of(&b).value.i, 0);
  ck_assert_uint_eq(tc_stat(&b, "ns_objects"), 0);
  ck_assert_int_eq(offload(&a, "farmem.vec.sum", s.b, s.n), FAR_OK);
  ck_assert_int_eq(result_of(&a).value.i, want);
  tc_close(&a);
  tc_close(&b);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

/* One malformed request: FAR_EOFFLOAD, one log line with the reason, the connection still serves. */
static void expect_refused(farmemd_proc *srv, tclient *c, const char *fn, const struct blob *a,
                           const char *reason) {
  int before = farmemd_log_count(srv, reason);
  ck_assert_msg(offload(c, fn, a->b, a->n) == FAR_EOFFLOAD, "%s accepted (expected: %s)", fn, reason);
  ck_assert_msg(farmemd_log_wait(srv, reason, before + 1) == before + 1, "no log line '%s'", reason);
  struct blob s = sum_args();
  ck_assert_int_eq(offload(c, "farmem.vec.sum", s.b, s.n), FAR_OK);
}

START_TEST(hostile_vector_arguments_get_an_error_reply) {
  farmemd_proc srv;
  tclient c;
  farmemd_start(&srv, NULL);
  tc_open_session(&c, srv.port, key_a);
  write_chunks(&c);
  struct blob a;
  uint64_t one[] = {100, 1}, beyond[] = {1ull << 39, 1}, wrap[] = {5, UINT64_MAX}, big[] = {0, 1ull << 30};
#define CASE(fn, reason, ...)                                                                       \
  do {                                                                                              \
    a.n = 0;                                                                                        \
    __VA_ARGS__;                                                                                    \
    expect_refused(&srv, &c, "farmem.vec." fn, &a, reason);                                         \
  } while (0)
  CASE("sum", "arguments truncated", );
  CASE("sum", "bad header", put_hdr(&a, 0, 1, 0); a.b[0] ^= 1; put_ref(&a, FARDS_T_I32, 12, 10, 1, one));
  CASE("sum", "bad header", put_hdr(&a, 0, 2, 0); put_ref(&a, FARDS_T_I32, 12, 10, 1, one));
  CASE("sum", "unknown element type", put_hdr(&a, 0, 1, 0); put_ref(&a, 0, 12, 10, 1, one));
  CASE("sum", "unknown element type", put_hdr(&a, 0, 1, 0); put_ref(&a, 99, 12, 10, 1, one));
  CASE("sum", "chunk class out of range", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 3, 10, 1, one));
  CASE("sum", "chunk class out of range", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 21, 10, 1, one));
  CASE("sum", "run count beyond", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 12, 10, 1, one); a.b[20] = 200);
  CASE("sum", "outside its class", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 12, 10, 1, beyond));
  CASE("sum", "outside its class", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 12, 10, 1, wrap));
  CASE("sum", "larger than an offloaded call", put_hdr(&a, 0, 1, 0);
       put_ref(&a, FARDS_T_U8, 12, 1ull << 40, 1, big));
  CASE("sum", "fewer chunks than the length", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 12, 2000, 1, one));
  CASE("sum", "trailing bytes", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 12, 10, 1, one); a.n += 3);
  uint64_t many[] = {0, 1u << 16}; /* 2^28 bytes of class 12: 2^27 elements, over the sort limit */
  CASE("median", "too many elements to sort", put_hdr(&a, 0, 1, 0);
       put_ref(&a, FARDS_T_U16, 12, 1u << 27, 1, many));
  CASE("count_if", "unknown comparison", put_hdr(&a, 0, 1, 0); put_ref(&a, FARDS_T_I32, 12, 10, 1, one));
  CASE("filter", "wrong type or too small", put_hdr(&a, FARDS_GT, 2, 0); put_ref(&a, FARDS_T_I32, 12, ELEMS, 2, chunk_runs);
       put_ref(&a, FARDS_T_I32, 12, 1024, 1, one));
  CASE("sort_indices", "wrong type or too small", put_hdr(&a, 0, 2, 0); put_ref(&a, FARDS_T_I32, 12, 10, 1, one);
       put_ref(&a, FARDS_T_I32, 12, 1024, 1, one));
  uint64_t idx_run[] = {300, 1}, idx[512] = {0, 7, 3000};
  ck_assert_int_eq(tc_write(&c, 12, 300, idx, sizeof idx), FAR_OK);
  CASE("gather", "index out of range", put_hdr(&a, 0, 3, 0); put_ref(&a, FARDS_T_I32, 12, ELEMS, 2, chunk_runs);
       put_ref(&a, FARDS_T_U64, 12, 3, 1, idx_run); put_ref(&a, FARDS_T_I32, 12, 1024, 1, one));
  CASE("gather", "must hold uint64_t", put_hdr(&a, 0, 3, 0); put_ref(&a, FARDS_T_I32, 12, ELEMS, 2, chunk_runs);
       put_ref(&a, FARDS_T_I64, 12, 3, 1, idx_run); put_ref(&a, FARDS_T_I32, 12, 1024, 1, one));
#undef CASE
  tc_close(&c);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

/* Random corruptions of valid requests: every one answered (OK or FAR_EOFFLOAD), none closes. */
START_TEST(corrupted_vector_requests_always_answered) {
  farmemd_proc srv;
  tclient c;
  farmemd_start(&srv, ((const char *const[]){"--log-level", "error", NULL}));
  tc_open_session(&c, srv.port, key_a);
  write_chunks(&c);
  static const char *const fns[] = {"farmem.vec.sum", "farmem.vec.median", "farmem.vec.unique", "farmem.vec.filter"};
  uint64_t seed = 99, out_runs[] = {500, 3};
  time_t start = time(NULL);
  for (int i = 0; i < 400 && time(NULL) - start < 30; i++) {
    struct blob a = {.n = 0};
    int fn = i % 4, outputs = fn >= 2;
    put_hdr(&a, FARDS_GT, 1 + outputs, 0);
    put_ref(&a, FARDS_T_I32, 12, ELEMS, 2, chunk_runs);
    if (outputs)
      put_ref(&a, FARDS_T_I32, 12, 3072, 1, out_runs);
    for (int k = 0; k < 3; k++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      a.b[(seed >> 33) % a.n] ^= (uint8_t)(1u << ((seed >> 20) & 7));
    }
    int st = offload(&c, fns[fn], a.b, a.n);
    ck_assert_msg(st == FAR_OK || st == FAR_EOFFLOAD, "status %d", st);
  }
  ck_assert_uint_eq(tc_stat(&c, "ns_connections"), 1);
  tc_close(&c);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

/* test.access: {cls, id, off, len, write}; returns the accessor's status. */
static int64_t access_status(tclient *c, uint64_t cls, uint64_t id, uint64_t off, uint64_t len, int write) {
  uint64_t args[5] = {cls, id, off, len, (uint64_t)write};
  int64_t rc;
  ck_assert_int_eq(offload(c, "test.access", args, sizeof args), FAR_OK);
  memcpy(&rc, c->rep.data, 8);
  return rc;
}

START_TEST(host_accessors_are_bounds_checked) {
  farmemd_proc srv;
  tclient c;
  farmemd_start(&srv, ((const char *const[]){"--offload", test_module, "--capacity", "1M", NULL}));
  tc_open_session(&c, srv.port, key_a);
  ck_assert_int_eq(access_status(&c, 3, 0, 0, 8, 0), -1);
  ck_assert_int_eq(access_status(&c, 21, 0, 0, 8, 0), -1);
  ck_assert_int_eq(access_status(&c, 12, 1ull << 39, 0, 8, 0), -1);
  ck_assert_int_eq(access_status(&c, 12, (1ull << 39) - 1, 0, 8, 0), 0);
  ck_assert_int_eq(access_status(&c, 12, 1, 4090, 8, 0), -1);
  ck_assert_int_eq(access_status(&c, 12, 1, 5000, 0, 1), -1);
  ck_assert_int_eq(access_status(&c, 12, 1, UINT64_MAX, 8, 1), -1);
  ck_assert_int_eq(access_status(&c, 20, 1, 0, 16, 1), -1); /* 1 MiB object: over --capacity */
  /* a never-written object reads as zeros; a write shows up in READ */
  ck_assert_int_eq(access_status(&c, 6, 9, 16, 32, 0), 0);
  for (int i = 0; i < 32; i++)
    ck_assert_uint_eq(((const uint8_t *)c.rep.data)[8 + i], 0);
  ck_assert_int_eq(access_status(&c, 6, 9, 16, 8, 1), 0);
  uint8_t back[64];
  uint32_t stored;
  ck_assert_int_eq(tc_read(&c, 6, 9, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 24);
  ck_assert(back[15] == 0 && back[16] == 0xAB && back[23] == 0xAB);
  /* results, failures, a function that does not answer, unknown names */
  static uint8_t big[1 << 20];
  big[12345] = 7;
  ck_assert_int_eq(offload(&c, "test.echo", big, sizeof big), FAR_OK);
  ck_assert(c.rep.len == sizeof big && c.rep.data[12345] == 7);
  ck_assert_int_eq(offload(&c, "test.fail", "xy", 2), FAR_EOFFLOAD);
  ck_assert_int_eq(farmemd_log_wait(&srv, "offload test.fail failed: told to fail (2 bytes)", 1), 1);
  ck_assert_int_eq(offload(&c, "test.silent", "", 0), FAR_EOFFLOAD);
  ck_assert_int_eq(farmemd_log_wait(&srv, "returned without a result", 1), 1);
  ck_assert_int_eq(offload(&c, "test.nothing", "", 0), FAR_ENOENT);
  struct blob s = sum_args(); /* the bundled module is loaded too */
  ck_assert_int_eq(offload(&c, "farmem.vec.sum", s.b, s.n), FAR_OK);
  tc_close(&c);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

START_TEST(bad_modules_stop_farmemd_at_startup) {
  char err[2048];
  ck_assert_int_eq(farmemd_run_to_exit(((const char *const[]){"--offload", "/nonexistent/mod.so", NULL}), err, sizeof err), 2);
  ck_assert_msg(strstr(err, "--offload: cannot load '/nonexistent/mod.so'"), "%s", err);
  ck_assert_int_eq(farmemd_run_to_exit(((const char *const[]){"--offload", entryless_module, NULL}), err, sizeof err), 2);
  ck_assert_msg(strstr(err, "has no entry point farmemd_offload_register"), "%s", err);
  ck_assert_int_eq(farmemd_run_to_exit(((const char *const[]){"--offload", refusing_module, NULL}), err, sizeof err), 2);
  ck_assert_msg(strstr(err, "farmemd_offload_register failed (returned 42"), "%s", err);
  ck_assert_int_eq(farmemd_run_to_exit(((const char *const[]){"--offload", test_module, "--offload", test_module, NULL}),
                                       err, sizeof err), 2);
  ck_assert_msg(strstr(err, "function 'test.echo' is already registered"), "%s", err);
  ck_assert_int_eq(farmemd_run_to_exit(((const char *const[]){"--default-offload", "maybe", NULL}), err, sizeof err), 2);
  ck_assert_msg(strstr(err, "--default-offload: expected yes or no"), "%s", err);
}
END_TEST

START_TEST(default_module_can_be_turned_off) {
  farmemd_proc srv;
  tclient c;
  farmemd_start(&srv, ((const char *const[]){"--default-offload=no", NULL}));
  tc_open_session(&c, srv.port, key_a);
  struct blob s = sum_args();
  ck_assert_int_eq(offload(&c, "farmem.vec.sum", s.b, s.n), FAR_ENOENT);
  tc_close(&c);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

/* argv: farmemd, the test module, its refusing and entry-less builds. */
int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s FARMEMD TEST-MODULE REFUSING-MODULE ENTRYLESS-MODULE\n", argv[0]);
    return 2;
  }
  test_module = argv[2], refusing_module = argv[3], entryless_module = argv[4];
  Suite *s = suite_create("farmemd_offload");
  TCase *tc = tcase_create("offload");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, vector_module_over_written_objects);
  tcase_add_test(tc, hostile_vector_arguments_get_an_error_reply);
  tcase_add_test(tc, corrupted_vector_requests_always_answered);
  tcase_add_test(tc, host_accessors_are_bounds_checked);
  tcase_add_test(tc, bad_modules_stop_farmemd_at_startup);
  tcase_add_test(tc, default_module_can_be_turned_off);
  suite_add_tcase(s, tc);
  return farmemd_test_main(argc, argv, s);
}
