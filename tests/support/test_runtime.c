/* The safety net with the whole runtime: a real far pointer from far_malloc read without a barrier
 * is reported with the function that did it, and the embedded farmemd does not outlive the program
 * (this process is a child subreaper, so an orphaned farmemd would become its child); the server
 * starts only when the program first needs it. */
#define _GNU_SOURCE
#include "harness.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reaps whatever was orphaned to us within a second; returns how many processes that was. */
static int reap_orphans(void) {
  int n = 0;
  for (int i = 0; i < 100; i++) {
    pid_t got = waitpid(-1, NULL, WNOHANG | __WALL);
    if (got > 0)
      n++;
    else if (got < 0 && errno == ECHILD)
      return n;
    else
      usleep(10000);
  }
  return n;
}

START_TEST(test_unbarriered_read_of_far_malloc_memory) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const char *argv[] = {PROBE_RUNTIME, "raw", NULL};
  const char *env[] = {"FARMEMD=" FARMEMD_PATH, NULL};
  struct probe_result r;
  probe_run(argv, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1, "status %#x:\n%s", r.status,
                r.err);
  ck_assert_msg(!strncmp(r.out, "sum ", 4) && !strstr(r.out, "raw"), "%s", r.out);
  ck_assert_msg(strstr(r.err, "farmem: far pointer dereferenced without a barrier: address 0xfa"),
                "%s", r.err);
  ck_assert_msg(strstr(r.err, " in read_without_barrier+0x"), "%s", r.err);
  /* The embedded farmemd (and its warden) died with the program: they were orphaned to us, killed. */
  ck_assert_int_eq(reap_orphans(), 2);
}
END_TEST

/* The embedded farmemd starts only when the server is first needed: a program whose data stays local
 * runs even when farmemd cannot be found, and starts none. */
START_TEST(test_all_local_program_starts_no_server) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const char *argv[] = {PROBE_RUNTIME, "local", NULL};
  const char *env[] = {"FARMEMD=/nonexistent/farmemd", NULL};
  struct probe_result r;
  probe_run(argv, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %#x:\n%s", r.status,
                r.err);
  ck_assert_msg(!strncmp(r.out, "sum ", 4), "%s", r.out);
  ck_assert_str_eq(r.err, "");
  ck_assert_int_eq(reap_orphans(), 0);
}
END_TEST

/* When the first write-back needs the server and it cannot start: one line naming why, status 2. */
START_TEST(test_late_start_failure_is_reported) {
  const char *argv[] = {PROBE_RUNTIME, NULL};
  const char *env[] = {"FARMEMD=/nonexistent/farmemd", NULL};
  struct probe_result r;
  probe_run(argv, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2, "status %#x:\n%s", r.status,
                r.err);
  static const char line[] = "farmem: cannot start the embedded memory server: "
                             "FARMEMD=/nonexistent/farmemd is not an executable file\n";
  ck_assert_str_eq(r.err, line);
  ck_assert_str_eq(r.out, "");
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime");
  TCase *tc = tcase_create("safety_net");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_unbarriered_read_of_far_malloc_memory);
  tcase_add_test(tc, test_all_local_program_starts_no_server);
  tcase_add_test(tc, test_late_start_failure_is_reported);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
