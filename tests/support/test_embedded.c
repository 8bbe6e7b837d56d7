/* The embedded memory server with the real farmemd: it starts and its port accepts connections;
 * when the program exits normally it is stopped and reaped by the program itself; when the program
 * is killed it dies too (PR_SET_PDEATHSIG); it does not disturb the program's own children, SIGCHLD
 * or stdout; FAR_EMBEDDED_PREFAULT reaches it as --prefault; failures to start give one clear line
 * (after farmemd's own when it refused an argument) and exit status 2. This test process is a child
 * subreaper, so an orphaned farmemd would become its child and be seen. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe {
  pid_t pid;        /* the probe program */
  int in, out;      /* its stdin (write end) and stdout (read end) */
  unsigned port;    /* farmemd's port */
  pid_t server;     /* farmemd's pid */
};

/* Reads from fd until EOF or timeout_ms, appending to buf. */
static void read_all(int fd, char *buf, size_t cap, int timeout_ms) {
  size_t used = strlen(buf);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (used < cap - 1 && poll(&p, 1, timeout_ms) > 0) {
    ssize_t n = read(fd, buf + used, cap - 1 - used);
    if (n <= 0)
      break;
    used += (size_t)n;
    buf[used] = '\0';
  }
}

static void start_probe(const char *mode, struct probe *p) {
  int in[2], out[2];
  ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
  p->pid = fork();
  ck_assert_int_ge(p->pid, 0);
  if (p->pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    unsetenv("FAR_SERVER");
    setenv("FARMEMD", FARMEMD_PATH, 1);
    execl(PROBE_EMBEDDED, PROBE_EMBEDDED, mode, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  p->in = in[1];
  p->out = out[0];
  char line[256] = "";
  struct pollfd pf = {.fd = p->out, .events = POLLIN};
  size_t used = 0;
  while (!strchr(line, '\n') && poll(&pf, 1, 15000) > 0) {
    ssize_t n = read(p->out, line + used, 1); /* byte by byte: leave the rest in the pipe */
    if (n <= 0)
      break;
    used++;
  }
  int server;
  ck_assert_msg(sscanf(line, "127.0.0.1:%u %d\n", &p->port, &server) == 2, "probe said '%s'", line);
  p->server = server;
  ck_assert_int_gt(p->server, 0);
}

static void expect_port_reachable(unsigned port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect to port %u: %s", port,
                strerror(errno));
  close(fd);
}

static void expect_running_farmemd(pid_t pid) {
  char path[64], comm[64] = "";
  snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "no process %d", (int)pid);
  ck_assert_ptr_nonnull(fgets(comm, sizeof comm, f));
  fclose(f);
  ck_assert_str_eq(comm, "farmemd\n");
}

/* The probe stopped and reaped farmemd before exiting: it is gone, and it never became our child. */
static void expect_server_reaped_by_probe(pid_t server) {
  int st;
  ck_assert_int_eq(waitpid(server, &st, WNOHANG | __WALL), -1);
  ck_assert_int_eq(errno, ECHILD);
  ck_assert_int_eq(kill(server, 0), -1);
  ck_assert_int_eq(errno, ESRCH);
}

/* Lets a started probe exit on EOF and checks that it did so cleanly, printing only expected_output. */
static void finish_normal_exit(struct probe *p, const char *expected_output) {
  close(p->in); /* EOF: the probe exits */
  char rest[256] = "";
  read_all(p->out, rest, sizeof rest, 15000);
  close(p->out);
  int st;
  ck_assert_int_eq(waitpid(p->pid, &st, 0), p->pid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "probe status %#x", st);
  ck_assert_str_eq(rest, expected_output); /* nothing of farmemd's reached the program's stdout */
  expect_server_reaped_by_probe(p->server);
}

static void run_normal_exit(const char *mode, const char *expected_output) {
  struct probe p;
  start_probe(mode, &p);
  expect_port_reachable(p.port);
  expect_running_farmemd(p.server);
  finish_normal_exit(&p, expected_output);
}

/* farmemd's command line has flag immediately followed by value. */
static void expect_server_argument(pid_t server, const char *flag, const char *value) {
  char path[64], args[4096];
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)server);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "no process %d", (int)server);
  size_t n = fread(args, 1, sizeof args - 1, f);
  fclose(f);
  args[n] = '\0';
  int found = 0;
  for (size_t at = 0; at < n && !found; at += strlen(args + at) + 1)
    found = !strcmp(args + at, flag) && at + strlen(flag) + 1 < n && !strcmp(args + at + strlen(flag) + 1, value);
  ck_assert_msg(found, "farmemd was not started with %s %s", flag, value);
}

START_TEST(test_return_from_main_stops_server) { run_normal_exit("exit", ""); }
END_TEST

START_TEST(test_exit_call_stops_server) { run_normal_exit("exit_call", ""); }
END_TEST

START_TEST(test_program_children_undisturbed) { run_normal_exit("children", "children ok\n"); }
END_TEST

START_TEST(test_started_with_stdin_stdout_closed) { run_normal_exit("closed_std", ""); }
END_TEST

START_TEST(test_prefault_reaches_server) {
  setenv("FAR_EMBEDDED_PREFAULT", "32M", 1); /* this test runs in a child of its own */
  struct probe p;
  start_probe("exit", &p);
  expect_server_argument(p.server, "--prefault", "32M");
  finish_normal_exit(&p, "");
}
END_TEST

START_TEST(test_killed_program_kills_server) {
  struct probe p;
  start_probe("hold", &p);
  expect_port_reachable(p.port);
  ck_assert_int_eq(kill(p.pid, SIGKILL), 0);
  int st;
  ck_assert_int_eq(waitpid(p.pid, &st, 0), p.pid);
  /* Orphaned, farmemd is re-parented to us (the subreaper) once its warden is gone too;
   * PR_SET_PDEATHSIG must kill it. */
  pid_t got = 0;
  for (int i = 0; i < 1000 && got != p.server; i++) {
    got = waitpid(p.server, &st, WNOHANG | __WALL);
    if (got != p.server)
      usleep(10000);
  }
  ck_assert_int_eq(got, p.server);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "farmemd status %#x", st);
  close(p.in);
  close(p.out);
}
END_TEST

START_TEST(test_found_next_to_executable) {
  /* No FARMEMD: the probe lives in the build's bin/ directory next to farmemd. */
  const char *argv[] = {PROBE_EMBEDDED, "exit", NULL};
  const char *env[] = {NULL};
  struct probe_result r;
  probe_run(argv, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %#x: %s", r.status,
                r.err);
  ck_assert_msg(!strncmp(r.out, "127.0.0.1:", 10), "%s", r.out);
}
END_TEST

static void expect_start_failure(const char *farmemd, const char *reason) {
  const char *argv[] = {PROBE_EMBEDDED, "exit", NULL};
  char env0[256];
  snprintf(env0, sizeof env0, "FARMEMD=%s", farmemd);
  const char *env[] = {env0, NULL};
  struct probe_result r;
  probe_run(argv, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2, "status %#x", r.status);
  static const char prefix[] = "farmem: cannot start the embedded memory server: ";
  ck_assert_msg(!strncmp(r.err, prefix, strlen(prefix)), "%s", r.err);
  ck_assert_msg(strstr(r.err, reason), "'%s' not in: %s", reason, r.err);
  ck_assert_int_eq(probe_lines(r.err), 1);
  ck_assert_str_eq(r.out, "");
}

START_TEST(test_farmemd_missing) {
  expect_start_failure("/nonexistent/farmemd", "FARMEMD=/nonexistent/farmemd is not an executable");
}
END_TEST

START_TEST(test_farmemd_exits_early) {
  expect_start_failure("/bin/false", "/bin/false exited with status 1 before listening");
}
END_TEST

/* farmemd says what is wrong with the size, then the runtime its one line, and the program exits 2. */
START_TEST(test_bad_prefault_refused) {
  const char *argv[] = {PROBE_EMBEDDED, "exit", NULL};
  const char *env[] = {"FARMEMD=" FARMEMD_PATH, "FAR_EMBEDDED_PREFAULT=12Q", NULL};
  struct probe_result r;
  probe_run(argv, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2, "status %#x", r.status);
  ck_assert_msg(strstr(r.err, "farmemd: --prefault: expected a size") == r.err, "%s", r.err);
  ck_assert_msg(strstr(r.err, "farmem: cannot start the embedded memory server: "), "%s", r.err);
  ck_assert_int_eq(probe_lines(r.err), 2);
  ck_assert_str_eq(r.out, "");
}
END_TEST

static void setup(void) { prctl(PR_SET_CHILD_SUBREAPER, 1); }

int main(void) {
  Suite *s = suite_create("embedded");
  TCase *tc = tcase_create("farmemd");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_return_from_main_stops_server);
  tcase_add_test(tc, test_exit_call_stops_server);
  tcase_add_test(tc, test_program_children_undisturbed);
  tcase_add_test(tc, test_started_with_stdin_stdout_closed);
  tcase_add_test(tc, test_killed_program_kills_server);
  tcase_add_test(tc, test_found_next_to_executable);
  tcase_add_test(tc, test_farmemd_missing);
  tcase_add_test(tc, test_farmemd_exits_early);
  tcase_add_test(tc, test_prefault_reaches_server);
  tcase_add_test(tc, test_bad_prefault_refused);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
