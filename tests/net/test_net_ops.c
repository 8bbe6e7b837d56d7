/* Every client operation through the real farmemd: single objects, batches of mixed classes (with
 * and without a waiter), frees, stats, isolation of two clients, the capacity limit, argument
 * checks, and sharding over two servers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "net_test.h"

static farmemd_child srv;
static far_net *net;

static void setup(void) {
  start_server(&srv, NULL);
  net = open_client(srv.addr);
}

static void teardown(void) {
  far_net_close(net);
  ck_assert_int_eq(stop_server(&srv, SIGTERM), 0);
}

START_TEST(read_never_written_is_zeros) {
  unsigned char buf[256];
  memset(buf, 0xee, sizeof buf);
  ck_assert_int_eq(far_net_read(net, 8, 12345, buf), FAR_OK);
  ck_assert(is_zero(buf, sizeof buf));
}
END_TEST

START_TEST(write_then_read_every_class) {
  for (unsigned cls = FAR_WIRE_CLASS_MIN; cls <= FAR_WIRE_CLASS_MAX; cls++) {
    unsigned char *want = malloc(1u << cls), *got = malloc(1u << cls);
    pattern(want, cls, 7, 0);
    ck_assert_int_eq(far_net_write(net, cls, 7, want, 1u << cls), FAR_OK);
    memset(got, 0xee, 1u << cls);
    ck_assert_int_eq(far_net_read(net, cls, 7, got), FAR_OK);
    ck_assert_msg(memcmp(want, got, 1u << cls) == 0, "class %u differs", cls);
    free(want);
    free(got);
  }
}
END_TEST

START_TEST(short_write_reads_back_zero_filled) {
  unsigned char want[64], got[64];
  pattern(want, 6, 1, 0);
  ck_assert_int_eq(far_net_write(net, 6, 1, want, 10), FAR_OK);
  ck_assert_int_eq(far_net_read(net, 6, 1, got), FAR_OK);
  ck_assert(memcmp(want, got, 10) == 0);
  ck_assert(is_zero(got + 10, 54));
}
END_TEST

START_TEST(free_then_read_is_zeros) {
  unsigned char buf[128];
  for (uint64_t id = 100; id < 110; id++) {
    pattern(buf, 7, id, 0);
    ck_assert_int_eq(far_net_write(net, 7, id, buf, sizeof buf), FAR_OK);
  }
  ck_assert_int_eq(far_net_free(net, 7, 102, 5), FAR_OK);
  for (uint64_t id = 100; id < 110; id++) {
    ck_assert_int_eq(far_net_read(net, 7, id, buf), FAR_OK);
    if (id >= 102 && id < 107) {
      ck_assert_msg(is_zero(buf, sizeof buf), "object %llu survived free", (unsigned long long)id);
    } else {
      unsigned char want[128];
      pattern(want, 7, id, 0);
      ck_assert_msg(memcmp(buf, want, sizeof buf) == 0, "object %llu lost", (unsigned long long)id);
    }
  }
}
END_TEST

START_TEST(stats_report_the_namespace) {
  unsigned char buf[32] = {1};
  for (uint64_t id = 0; id < 3; id++) ck_assert_int_eq(far_net_write(net, 5, id, buf, sizeof buf), FAR_OK);
  char *text = NULL;
  ck_assert_int_eq(far_net_stats(net, &text), FAR_OK);
  ck_assert_int_eq(stat_value(text, "ns_objects", 0), 3);
  ck_assert_int_eq(stat_value(text, "ns_connections", 0), 2);
  ck_assert_int_eq(stat_value(text, "version", 0), FAR_WIRE_VERSION);
  free(text);
}
END_TEST

START_TEST(offload_unknown_function) {
  void *res = NULL;
  size_t len = 0;
  ck_assert_int_eq(far_net_offload(net, "no_such_function", "x", 1, &res, &len), FAR_ENOENT);
}
END_TEST

/* A batch of every class 4..16, several objects each, more than one chunk of data in total. */
enum { PER_CLASS = 40 };
static far_io *mixed_batch(unsigned salt, size_t *n) {
  *n = (16 - 4 + 1) * PER_CLASS;
  far_io *ios = calloc(*n, sizeof *ios);
  size_t k = 0;
  for (unsigned cls = 4; cls <= 16; cls++)
    for (uint64_t j = 0; j < PER_CLASS; j++, k++) {
      ios[k] = (far_io){.cls = (uint8_t)cls, .id = j * 3 + cls, .buf = malloc(1u << cls), .len = 1u << cls};
      pattern(ios[k].buf, cls, ios[k].id, salt);
    }
  return ios;
}

static void free_batch(far_io *ios, size_t n) {
  for (size_t i = 0; i < n; i++) free(ios[i].buf);
  free(ios);
}

static void count_done(far_ticket *t, void *arg) { __atomic_fetch_add((int *)arg, 1, __ATOMIC_RELEASE); }

/* The ticket completes just before its callback runs, so the callback's effects are awaited. */
static int calls_after(int *calls) {
  for (int i = 0; i < 10000 && __atomic_load_n(calls, __ATOMIC_ACQUIRE) == 0; i++) nanosleep(&(struct timespec){0, 100000}, NULL);
  return __atomic_load_n(calls, __ATOMIC_ACQUIRE);
}

START_TEST(writev_readv_mixed_classes) {
  size_t n;
  far_io *w = mixed_batch(3, &n), *r = mixed_batch(0, &n);
  far_ticket t;
  int calls = 0;
  ck_assert_int_eq(far_net_writev(net, w, n, &t, count_done, &calls), FAR_OK);
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
  ck_assert_int_eq(calls_after(&calls), 1);
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(w[i].status, FAR_OK);
    memset(r[i].buf, 0xee, 1u << r[i].cls);
    r[i].status = -1;
  }
  ck_assert_int_eq(far_net_readv(net, r, n, &t, NULL, NULL), FAR_OK);
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
  ck_assert(far_ticket_done(&t));
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(r[i].status, FAR_OK);
    ck_assert_msg(memcmp(r[i].buf, w[i].buf, 1u << r[i].cls) == 0, "element %zu differs", i);
  }
  free_batch(w, n);
  free_batch(r, n);
}
END_TEST

START_TEST(batch_larger_than_a_frame_batch) {
  size_t n = FAR_WIRE_MAX_BATCH + 1000;
  far_io *ios = calloc(n, sizeof *ios);
  uint64_t *vals = calloc(n, 16);
  for (size_t i = 0; i < n; i++) {
    vals[2 * i] = i * 977 + 1;
    ios[i] = (far_io){.cls = 4, .id = i, .buf = &vals[2 * i], .len = 16};
  }
  far_ticket t;
  ck_assert_int_eq(far_net_writev(net, ios, n, &t, NULL, NULL), FAR_OK);
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
  memset(vals, 0, n * 16);
  ck_assert_int_eq(far_net_readv(net, ios, n, &t, NULL, NULL), FAR_OK);
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
  for (size_t i = 0; i < n; i++) ck_assert_uint_eq(vals[2 * i], i * 977 + 1);
  free(ios);
  free(vals);
}
END_TEST

/* Large readv replies are received straight into the buffers (rt/net_direct.c), their element
 * headers predicted from full objects: elements written short (shorter headers), never written
 * (empty) and full, of two classes, must all arrive exactly and zero-filled, several times over so
 * that frames start and end at every point of a recv. */
static size_t written_len(uint64_t id, unsigned cls) {
  static const size_t lens[] = {0, 1, 10, 255, 256, 300, 4095, 65535, 65536};
  size_t len = lens[id % (sizeof lens / sizeof lens[0])];
  return len > (1u << cls) ? 1u << cls : len;
}

START_TEST(large_readv_short_and_empty_elements) {
  enum { N = 96 };
  far_io ios[N];
  unsigned char *want[N];
  for (uint64_t i = 0; i < N; i++) {
    unsigned cls = i % 3 == 2 ? 12 : 16;
    want[i] = calloc(1, 1u << cls);
    pattern(want[i], cls, i, 5);
    size_t len = written_len(i, cls);
    memset(want[i] + len, 0, (1u << cls) - len);
    if (len) ck_assert_int_eq(far_net_write(net, cls, i, want[i], (uint32_t)len), FAR_OK);
    ios[i] = (far_io){.cls = (uint8_t)cls, .id = i, .buf = malloc(1u << cls)};
  }
  for (int round = 0; round < 20; round++) {
    for (size_t i = 0; i < N; i++) memset(ios[i].buf, 0xee, 1u << ios[i].cls), ios[i].status = -1;
    far_ticket t;
    ck_assert_int_eq(far_net_readv(net, ios, N, &t, NULL, NULL), FAR_OK);
    ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
    for (size_t i = 0; i < N; i++) {
      ck_assert_int_eq(ios[i].status, FAR_OK);
      ck_assert_msg(memcmp(ios[i].buf, want[i], 1u << ios[i].cls) == 0, "element %zu differs", i);
    }
  }
  for (size_t i = 0; i < N; i++) free(ios[i].buf), free(want[i]);
}
END_TEST

/* Nobody waits: the poller thread must complete the batch and run the callback. */
static void flag_done(far_ticket *t, void *arg) { __atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE); }

START_TEST(batch_completes_without_a_waiter) {
  size_t n;
  far_io *w = mixed_batch(5, &n);
  far_ticket t;
  int done = 0;
  ck_assert_int_eq(far_net_writev(net, w, n, &t, flag_done, &done), FAR_OK);
  for (int i = 0; i < 10000 && !__atomic_load_n(&done, __ATOMIC_ACQUIRE); i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  ck_assert_msg(__atomic_load_n(&done, __ATOMIC_ACQUIRE), "batch not completed within 10 s without a waiter");
  ck_assert(far_ticket_done(&t));
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
  free_batch(w, n);
}
END_TEST

START_TEST(empty_batch_completes) {
  far_ticket t;
  int calls = 0;
  ck_assert_int_eq(far_net_readv(net, NULL, 0, &t, count_done, &calls), FAR_OK);
  ck_assert(far_ticket_done(&t));
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
  ck_assert_int_eq(calls_after(&calls), 1);
}
END_TEST

START_TEST(invalid_arguments_are_refused_locally) {
  unsigned char buf[64];
  ck_assert_int_eq(far_net_read(net, 3, 0, buf), FAR_EINVAL);
  ck_assert_int_eq(far_net_read(net, 21, 0, buf), FAR_EINVAL);
  ck_assert_int_eq(far_net_read(net, 6, 1ull << 45, buf), FAR_EINVAL);
  ck_assert_int_eq(far_net_write(net, 5, 0, buf, 33), FAR_EINVAL);
  ck_assert_int_eq(far_net_free(net, 6, 0, 0), FAR_EINVAL);
  ck_assert_int_eq(far_net_free(net, 6, 1, 1ull << 45), FAR_EINVAL);
  far_io bad = {.cls = 6, .id = 0, .buf = buf, .len = 65};
  far_ticket t;
  ck_assert_int_eq(far_net_writev(net, &bad, 1, &t, NULL, NULL), FAR_EINVAL);
  /* the connection is still fine */
  ck_assert_int_eq(far_net_write(net, 6, 0, buf, 64), FAR_OK);
}
END_TEST

START_TEST(two_clients_are_isolated) {
  far_net *other = open_client(srv.addr);
  unsigned char want[64], got[64];
  pattern(want, 6, 9, 1);
  ck_assert_int_eq(far_net_write(net, 6, 9, want, sizeof want), FAR_OK);
  ck_assert_int_eq(far_net_read(other, 6, 9, got), FAR_OK);
  ck_assert(is_zero(got, sizeof got));
  pattern(got, 6, 9, 2);
  ck_assert_int_eq(far_net_write(other, 6, 9, got, sizeof got), FAR_OK);
  ck_assert_int_eq(far_net_free(other, 6, 0, 100), FAR_OK);
  ck_assert_int_eq(far_net_read(net, 6, 9, got), FAR_OK);
  ck_assert(memcmp(want, got, sizeof got) == 0);
  far_net_close(other);
}
END_TEST

START_TEST(close_says_bye_on_every_connection) {
  far_net *c = open_client(srv.addr);
  unsigned char buf[64] = {7};
  far_io io = {.cls = 6, .id = 3, .buf = buf, .len = sizeof buf};
  far_ticket t;
  ck_assert_int_eq(far_net_writev(c, &io, 1, &t, NULL, NULL), FAR_OK);
  int before = log_count(&srv, "said bye");
  far_net_close(c); /* flushes the write, then says bye */
  for (int i = 0; i < 500 && log_count(&srv, "said bye") < before + 2; i++) nanosleep(&(struct timespec){0, 10000000}, NULL);
  ck_assert_int_eq(log_count(&srv, "said bye"), before + 2);
  ck_assert_int_eq(log_count(&srv, "warn:") + log_count(&srv, "error:"), 0);
}
END_TEST

START_TEST(capacity_limit_is_enospc) {
  farmemd_child small;
  const char *flags[] = {"--capacity", "1M", NULL};
  start_server(&small, flags);
  far_net *c = open_client(small.addr);
  unsigned char buf[4096];
  pattern(buf, 12, 0, 0);
  int st = FAR_OK;
  uint64_t id = 0;
  for (; id < 1024 && st == FAR_OK; id++) st = far_net_write(c, 12, id, buf, sizeof buf);
  ck_assert_int_eq(st, FAR_ENOSPC);
  ck_assert_uint_gt(id, 100);
  unsigned char got[4096];
  ck_assert_int_eq(far_net_read(c, 12, 0, got), FAR_OK);
  ck_assert(memcmp(got, buf, sizeof buf) == 0);
  far_io io = {.cls = 12, .id = 5000, .buf = buf, .len = sizeof buf};
  far_ticket t;
  ck_assert_int_eq(far_net_writev(c, &io, 1, &t, NULL, NULL), FAR_OK);
  ck_assert_int_eq(far_ticket_wait(c, &t), FAR_ENOSPC);
  ck_assert_int_eq(io.status, FAR_ENOSPC);
  far_net_close(c);
  stop_server(&small, SIGTERM);
}
END_TEST

START_TEST(sharding_over_two_servers) {
  farmemd_child second;
  start_server(&second, NULL);
  char servers[160];
  snprintf(servers, sizeof servers, "%s,%s", srv.addr, second.addr);
  far_net *c = open_client(servers);
  enum { N = 1000 };
  unsigned char buf[64];
  for (uint64_t id = 0; id < N; id++) {
    pattern(buf, 6, id, 4);
    ck_assert_int_eq(far_net_write(c, 6, id, buf, sizeof buf), FAR_OK);
  }
  char *text = NULL;
  ck_assert_int_eq(far_net_stats(c, &text), FAR_OK);
  long long a = stat_value(text, "ns_objects", 1), b = stat_value(text, "ns_objects", 2);
  ck_assert_msg(a > N / 4 && b > N / 4 && a + b == N, "objects per server: %lld + %lld", a, b);
  free(text);
  far_io *ios = calloc(N, sizeof *ios);
  unsigned char(*bufs)[64] = calloc(N, 64);
  for (uint64_t id = 0; id < N; id++) ios[id] = (far_io){.cls = 6, .id = id, .buf = bufs[id]};
  far_ticket t;
  ck_assert_int_eq(far_net_readv(c, ios, N, &t, NULL, NULL), FAR_OK);
  ck_assert_int_eq(far_ticket_wait(c, &t), FAR_OK);
  for (uint64_t id = 0; id < N; id++) {
    pattern(buf, 6, id, 4);
    ck_assert_msg(memcmp(bufs[id], buf, 64) == 0, "object %llu differs", (unsigned long long)id);
  }
  ck_assert_int_eq(far_net_free(c, 6, 0, N), FAR_OK);
  ck_assert_int_eq(far_net_read(c, 6, 17, buf), FAR_OK);
  ck_assert(is_zero(buf, sizeof buf));
  free(ios);
  free(bufs);
  far_net_close(c);
  stop_server(&second, SIGTERM);
}
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("net_ops");
  TCase *tc = tcase_create("ops");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, read_never_written_is_zeros);
  tcase_add_test(tc, write_then_read_every_class);
  tcase_add_test(tc, short_write_reads_back_zero_filled);
  tcase_add_test(tc, free_then_read_is_zeros);
  tcase_add_test(tc, stats_report_the_namespace);
  tcase_add_test(tc, offload_unknown_function);
  tcase_add_test(tc, writev_readv_mixed_classes);
  tcase_add_test(tc, batch_larger_than_a_frame_batch);
  tcase_add_test(tc, large_readv_short_and_empty_elements);
  tcase_add_test(tc, batch_completes_without_a_waiter);
  tcase_add_test(tc, empty_batch_completes);
  tcase_add_test(tc, invalid_arguments_are_refused_locally);
  tcase_add_test(tc, two_clients_are_isolated);
  tcase_add_test(tc, close_says_bye_on_every_connection);
  tcase_add_test(tc, capacity_limit_is_enospc);
  tcase_add_test(tc, sharding_over_two_servers);
  suite_add_tcase(s, tc);
  return run_suite(s, argc, argv);
}
