/* The safety net, observed from outside: probe_fault faults in a given way; a far address must give
 * the report (message, address, backtrace naming the faulting function) and exit status 1, anything
 * else must die exactly as it would without the runtime (signal, or the program's own handler). */
#include "harness.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static void run_mode(const char *mode, struct probe_result *r) {
  const char *argv[] = {PROBE_FAULT, mode, NULL};
  const char *env[] = {NULL};
  probe_run(argv, env, r);
}

static void expect_exit_status(const char *mode, const struct probe_result *r, int code) {
  ck_assert_msg(WIFEXITED(r->status) && WEXITSTATUS(r->status) == code,
                "%s: status %#x, expected exit %d; stderr:\n%s", mode, r->status, code, r->err);
}

/* The report for a far access: the message with the address (address is a prefix of the 16 hex
 * digits), a backtrace naming function and main, exit status 1. */
static void expect_far_report(const char *mode, const char *address, const char *function) {
  struct probe_result r;
  run_mode(mode, &r);
  expect_exit_status(mode, &r, 1);
  char line[256];
  snprintf(line, sizeof line, "farmem: far pointer dereferenced without a barrier: address %s",
           address);
  ck_assert_msg(!strncmp(r.err, line, strlen(line)), "%s: stderr:\n%s", mode, r.err);
  ck_assert_msg(strstr(r.err, "farmem: backtrace:\n  #0 0x"), "%s: no backtrace:\n%s", mode, r.err);
  char frame[128];
  snprintf(frame, sizeof frame, " in %s+0x", function);
  ck_assert_msg(strstr(r.err, frame), "%s: '%s' not in the backtrace:\n%s", mode, function, r.err);
  ck_assert_msg(strstr(r.err, " in main+0x"), "%s: main not in the backtrace:\n%s", mode, r.err);
}

START_TEST(test_far_load) { expect_far_report("far", "0xfa00000000001000\n", "deref_far_address"); }
END_TEST

START_TEST(test_far_indexed_store) {
  /* p[i + 2] with i = 3: base + 5 * 8 */
  expect_far_report("far_indexed", "0xfa00000000001028\n", "store_far_indexed");
}
END_TEST

START_TEST(test_far_memcpy) {
  /* libc's vectorised memcpy: the address is decoded from a VEX/EVEX or SSE instruction, somewhere
   * in the 4 KiB copied */
  expect_far_report("far_memcpy", "0xfa0000000000", "copy_from_far");
}
END_TEST

START_TEST(test_far_string_instruction) {
  expect_far_report("far_string", "0xfa00000000001000\n", "far_rep_movsb");
}
END_TEST

START_TEST(test_far_in_thread) {
  struct probe_result r;
  run_mode("far_thread", &r);
  expect_exit_status("far_thread", &r, 1);
  ck_assert_msg(strstr(r.err, "address 0xfa00000000001000\n"), "%s", r.err);
  ck_assert_msg(strstr(r.err, " in deref_far_address+0x") && strstr(r.err, " in far_in_thread+0x"),
                "%s", r.err);
}
END_TEST

START_TEST(test_fatal) {
  struct probe_result r;
  run_mode("fatal", &r);
  expect_exit_status("fatal", &r, 1);
  static const char head[] = "farmem: boom 42\nfarmem: backtrace:\n";
  ck_assert_msg(!strncmp(r.err, head, strlen(head)), "%s", r.err);
  ck_assert_msg(strstr(r.err, " in fatal_caller+0x"), "%s", r.err);
}
END_TEST

static void expect_signal(const char *mode, int sig) {
  struct probe_result r;
  run_mode(mode, &r);
  ck_assert_msg(WIFSIGNALED(r.status) && WTERMSIG(r.status) == sig, "%s: status %#x, stderr:\n%s",
                mode, r.status, r.err);
  ck_assert_msg(!strstr(r.err, "farmem"), "%s: the safety net spoke:\n%s", mode, r.err);
}

START_TEST(test_null_keeps_sigsegv) { expect_signal("null", SIGSEGV); }
END_TEST

START_TEST(test_noncanonical_not_far_keeps_sigsegv) { expect_signal("noncanonical", SIGSEGV); }
END_TEST

START_TEST(test_raised_sigsegv_kept) { expect_signal("kill", SIGSEGV); }
END_TEST

START_TEST(test_sigbus_kept) { expect_signal("bus", SIGBUS); }
END_TEST

START_TEST(test_previous_handler_kept) {
  struct probe_result r;
  run_mode("previous", &r);
  expect_exit_status("previous", &r, 42);
  ck_assert_str_eq(r.err, "own handler\n");
}
END_TEST

int main(void) {
  Suite *s = suite_create("safety_net");
  TCase *tc = tcase_create("faults");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_far_load);
  tcase_add_test(tc, test_far_indexed_store);
  tcase_add_test(tc, test_far_memcpy);
  tcase_add_test(tc, test_far_string_instruction);
  tcase_add_test(tc, test_far_in_thread);
  tcase_add_test(tc, test_fatal);
  tcase_add_test(tc, test_null_keeps_sigsegv);
  tcase_add_test(tc, test_noncanonical_not_far_keeps_sigsegv);
  tcase_add_test(tc, test_raised_sigsegv_kept);
  tcase_add_test(tc, test_sigbus_kept);
  tcase_add_test(tc, test_previous_handler_kept);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
