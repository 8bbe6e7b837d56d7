/* farmemd's command line and lifecycle: bad flags exit 2 with one line naming the flag, a
 * non-loopback address without a token is refused, --help/--version, and SIGTERM/SIGINT stop the
 * server cleanly (exit 0) even with clients connected and requests in flight. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

/* Runs farmemd with args; expects exit status 2 and exactly one stderr line containing each of
 * the two fragments. */
static void expect_usage_error(const char *const *args, const char *flag, const char *what) {
  char err[1024];
  ck_assert_int_eq(farmemd_run_to_exit(args, err, sizeof err), 2);
  ck_assert_msg(strstr(err, flag) && strstr(err, what), "stderr '%s' lacks '%s' / '%s'", err, flag, what);
  char *nl = strchr(err, '\n');
  ck_assert_msg(nl && nl[1] == 0, "not exactly one line: '%s'", err);
}

START_TEST(bad_flags_exit_2_naming_the_flag) {
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
  expect_usage_error(ARGS("--port", "x"), "--port", "0..65535");
  expect_usage_error(ARGS("--port", "70000"), "--port", "0..65535");
  expect_usage_error(ARGS("--port=-1"), "--port", "0..65535");
  expect_usage_error(ARGS("--capacity", "12Q"), "--capacity", "size");
  expect_usage_error(ARGS("--capacity", "0"), "--capacity", "size");
  expect_usage_error(ARGS("--prefault", "12Q"), "--prefault", "size");
  expect_usage_error(ARGS("--threads", "0"), "--threads", "1..256");
  expect_usage_error(ARGS("--spin-us", "fast"), "--spin-us", "microseconds");
  expect_usage_error(ARGS("--idle-timeout", "-1"), "--idle-timeout", "seconds");
  expect_usage_error(ARGS("--max-conns", "0"), "--max-conns", "1..1000000");
  expect_usage_error(ARGS("--log-level", "loud"), "--log-level", "error, warn, info or debug");
  expect_usage_error(ARGS("--listen", "localhost"), "--listen", "numeric");
  expect_usage_error(ARGS("--token-file", "/nonexistent/token"), "--token-file", "cannot open");
  expect_usage_error(ARGS("--token-file", "/dev/null"), "--token-file", "1..4096 bytes");
  expect_usage_error(ARGS("--bogus"), "--bogus", "unknown flag");
  expect_usage_error(ARGS("stray"), "stray", "unknown flag");
  expect_usage_error(ARGS("--threads"), "--threads", "missing value");
}
END_TEST

START_TEST(non_loopback_without_token_is_refused) {
  expect_usage_error(ARGS("--listen", "0.0.0.0"), "--listen", "without --token-file");
  expect_usage_error(ARGS("--listen", "::"), "--listen", "without --token-file");
  expect_usage_error(ARGS("--listen", "192.0.2.1", "--port", "0"), "--listen", "refusing");
}
END_TEST

START_TEST(help_and_version) {
  char out[2048];
  ck_assert_int_eq(farmemd_run_to_exit(ARGS("--help"), out, sizeof out), 0);
  ck_assert(strstr(out, "usage: farmemd") && strstr(out, "--capacity") && strstr(out, "--token-file"));
  ck_assert_int_eq(farmemd_run_to_exit(ARGS("--version"), out, sizeof out), 0);
  ck_assert(strstr(out, "farmemd ") && strstr(out, "wire protocol 1"));
}
END_TEST

START_TEST(port_in_use_exits_1_with_the_reason) {
  farmemd_proc srv;
  char port[16], err[1024];
  farmemd_start(&srv, NULL);
  snprintf(port, sizeof port, "%d", srv.port);
  ck_assert_int_eq(farmemd_run_to_exit(ARGS("--port", port), err, sizeof err), 1);
  ck_assert_msg(strstr(err, "cannot listen on 127.0.0.1 port") && strstr(err, "Address already in use"),
                "stderr: %s", err);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

/* Connected clients, one with requests in flight: the signal still ends the server with 0, and
 * every request that the server had read got its reply. */
static void stops_cleanly_on(int sig) {
  farmemd_proc srv;
  tclient idle, busy;
  static uint8_t data[1 << 16];
  farmemd_start(&srv, NULL);
  tc_open_session(&idle, srv.port, "idle-session....");
  tc_open_session(&busy, srv.port, "busy-session....");
  for (unsigned i = 0; i < 100; i++)
    far_wire_put_write(&busy.out, i, 16, i, data, sizeof data);
  tc_flush(&busy);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, sig), 0);
  int replies = 0;
  while (tc_recv(&busy) == 0) {
    ck_assert_int_eq(busy.rep.status, FAR_OK);
    ck_assert_uint_eq(busy.rep.rid, (uint64_t)replies);
    replies++;
  }
  ck_assert_int_le(replies, 100);
  ck_assert(tc_wait_closed(&idle));
  ck_assert_int_eq(farmemd_log_count(&srv, "stopping: no new connections"), 1);
  ck_assert_int_eq(farmemd_log_count(&srv, "closed: server shutting down"), 2);
  tc_close(&idle);
  tc_close(&busy);
}

START_TEST(sigterm_exits_0) { stops_cleanly_on(SIGTERM); }
END_TEST

START_TEST(sigint_exits_0) { stops_cleanly_on(SIGINT); }
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("farmemd-cli");
  TCase *tc = tcase_create("cli");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, bad_flags_exit_2_naming_the_flag);
  tcase_add_test(tc, non_loopback_without_token_is_refused);
  tcase_add_test(tc, help_and_version);
  tcase_add_test(tc, port_in_use_exits_1_with_the_reason);
  tcase_add_test(tc, sigterm_exits_0);
  tcase_add_test(tc, sigint_exits_0);
  suite_add_tcase(s, tc);
  return farmemd_test_main(argc, argv, s);
}
