/* Tests of how libfarpaging.so starts and ends, run in child processes (this program itself is not
 * preloaded): a bad FARPAGING_* or FAR_SERVER value is one clear line and exit status 2 before the
 * program runs; so is a process that may not use userfaultfd (run as user nobody); an unreachable
 * server is a clear error too; and a program's buffered output, living
 * in the paged heap, is complete after exit (the memory server outlives the program's exit path).
 * PAGING_LIB and PAGING_CHILD name the library and tests/baselines/paging_child.c's program. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
  int status;       /* exit status, or 128 + signal */
  char out[1 << 20];
  size_t out_len;
  char err[4096];
};

static void drain(int fd, char *buf, size_t cap, size_t *len) {
  ssize_t n = read(fd, buf + *len, cap - 1 - *len);
  if (n > 0)
    *len += (size_t)n;
  buf[*len] = '\0';
}

static int as_nobody; /* run the next child as user nobody, who may not use userfaultfd */

/* Runs PAGING_CHILD with args and LD_PRELOAD plus the given NAME=VALUE settings (NULL-terminated);
 * stops it after 60 s. */
static void run_child(struct run *r, const char *const *env, const char *lines, const char *mib) {
  int out[2], err[2];
  ck_assert(pipe(out) == 0 && pipe(err) == 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    setenv("LD_PRELOAD", getenv("PAGING_LIB"), 1);
    for (; *env; env++)
      putenv((char *)*env);
    const char *child = getenv("PAGING_CHILD");
    if (as_nobody && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)))
      _exit(126);
    execl(child, child, lines, mib, (char *)NULL);
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  size_t err_len = 0;
  r->out_len = 0;
  time_t until = time(NULL) + 60;
  struct pollfd p[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
  while ((p[0].fd >= 0 || p[1].fd >= 0) && time(NULL) < until) {
    if (poll(p, 2, 1000) <= 0)
      continue;
    size_t before_out = r->out_len, before_err = err_len;
    if (p[0].revents)
      drain(out[0], r->out, sizeof r->out, &r->out_len);
    if (p[1].revents)
      drain(err[0], r->err, sizeof r->err, &err_len);
    if (p[0].revents && r->out_len == before_out)
      p[0].fd = -1; /* end of file (or full) */
    if (p[1].revents && err_len == before_err)
      p[1].fd = -1;
  }
  if (time(NULL) >= until)
    kill(pid, SIGKILL);
  int st;
  waitpid(pid, &st, 0);
  close(out[0]);
  close(err[0]);
  r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static struct run r;

static void expect_error(const char *setting, const char *message) {
  const char *env[] = {setting, NULL};
  run_child(&r, env, NULL, NULL);
  ck_assert_msg(r.status == 2, "%s: exit status %d, expected 2 (stderr: %s)", setting, r.status, r.err);
  ck_assert_msg(strstr(r.err, message), "%s: stderr '%s' does not say '%s'", setting, r.err, message);
}

START_TEST(bad_local_mem) {
  expect_error("FARPAGING_LOCAL_MEM=12XB", "farpaging: FARPAGING_LOCAL_MEM=12XB: not a size (use e.g. 64M or 2G)");
  expect_error("FARPAGING_LOCAL_MEM=1K", "farpaging: FARPAGING_LOCAL_MEM=1K: out of range");
  expect_error("FARPAGING_LOCAL_MEM=", "FARPAGING_LOCAL_MEM=: not a size");
}
END_TEST

START_TEST(bad_other_settings) {
  expect_error("FARPAGING_READAHEAD=lots", "farpaging: FARPAGING_READAHEAD=lots: not a number from 0 to 64");
  expect_error("FARPAGING_ARENA=1M", "farpaging: FARPAGING_ARENA=1M: out of range");
  expect_error("FARPAGING_STATS=yes", "farpaging: FARPAGING_STATS=yes: use 0 or 1");
  expect_error("FAR_SERVER=nohostport", "FAR_SERVER=nohostport");
  expect_error("FAR_SERVER=127.0.0.1:1", "farpaging: ");
}
END_TEST

START_TEST(no_userfaultfd) {
  if (getuid() != 0) { /* cannot take the right away: say so rather than pass silently */
    fprintf(stderr, "paging_env: not root, so the no-userfaultfd case was not run\n");
    return;
  }
  as_nobody = 1;
  expect_error("FARPAGING_LOCAL_MEM=8M", "farpaging: userfaultfd is unavailable (");
  as_nobody = 0;
}
END_TEST

START_TEST(starts_and_exits) {
  const char *env[] = {"FARPAGING_LOCAL_MEM=8M", NULL};
  run_child(&r, env, NULL, NULL);
  ck_assert_msg(r.status == 0, "a trivial program exited %d under the library: %s", r.status, r.err);
}
END_TEST

START_TEST(buffered_output_survives_exit) {
  const char *env[] = {"FARPAGING_LOCAL_MEM=8M", "FARPAGING_STATS=1", NULL};
  run_child(&r, env, "20000", "64");
  ck_assert_msg(r.status == 0, "exit status %d: %s", r.status, r.err);
  char last[64];
  snprintf(last, sizeof last, "line 19999 of 20000\n");
  size_t n = 0;
  for (const char *p = r.out; (p = strchr(p, '\n')); p++)
    n++;
  ck_assert_msg(n == 20000, "%zu lines arrived of 20000 (stderr: %s)", n, r.err);
  ck_assert(r.out_len >= strlen(last) && !strcmp(r.out + r.out_len - strlen(last), last));
  ck_assert_msg(strstr(r.err, "farpaging: faults="), "FARPAGING_STATS=1 printed no statistics: %s", r.err);
}
END_TEST

int main(void) {
  Suite *s = suite_create("paging_env");
  TCase *tc = tcase_create("env");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, bad_local_mem);
  tcase_add_test(tc, bad_other_settings);
  tcase_add_test(tc, no_userfaultfd);
  tcase_add_test(tc, starts_and_exits);
  tcase_add_test(tc, buffered_output_survives_exit);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
