/* Test harness shared by the support tests: fork/exec of a probe with captured output, suite runner. */
#define _GNU_SOURCE
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS 30000

extern char **environ;

static void probe_child(const char *const argv[], const char *const env[], int out, int err) {
  for (char **e = environ; *e;) {
    size_t n = strcspn(*e, "=");
    if ((n > 4 && !strncmp(*e, "FAR_", 4)) || (n == 7 && !strncmp(*e, "FARMEMD", 7))) {
      char name[256];
      snprintf(name, sizeof name, "%.*s", (int)n, *e);
      unsetenv(name);
    } else {
      e++;
    }
  }
  for (; *env; env++) {
    if (strchr(*env, '='))
      putenv((char *)*env);
    else
      unsetenv(*env);
  }
  int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  dup2(out, 1);
  dup2(err, 2);
  execv(argv[0], (char *const *)argv);
  _exit(127);
}

/* Appends what is readable on fd to buf (keeping it NUL-terminated); returns 0 at EOF. */
static int drain(int fd, char *buf, size_t cap) {
  size_t used = strlen(buf);
  char scratch[4096];
  ssize_t n = read(fd, scratch, sizeof scratch);
  if (n <= 0)
    return 0;
  size_t keep = (size_t)n < cap - 1 - used ? (size_t)n : cap - 1 - used;
  memcpy(buf + used, scratch, keep);
  buf[used + keep] = '\0';
  return 1;
}

void probe_run(const char *const argv[], const char *const env[], struct probe_result *r) {
  int out[2], err[2];
  ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    probe_child(argv, env, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  r->out[0] = r->err[0] = '\0';
  struct pollfd p[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
  int open_fds = 2;
  time_t start = time(NULL);
  while (open_fds > 0 && time(NULL) - start < PROBE_TIMEOUT_MS / 1000) {
    if (poll(p, 2, 1000) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; i++) {
      if (p[i].fd >= 0 && p[i].revents &&
          !drain(p[i].fd, i ? r->err : r->out, i ? sizeof r->err : sizeof r->out)) {
        close(p[i].fd);
        p[i].fd = -1;
        open_fds--;
      }
    }
  }
  if (open_fds > 0)
    kill(pid, SIGKILL);
  for (int i = 0; i < 2; i++)
    if (p[i].fd >= 0)
      close(p[i].fd);
  ck_assert_int_eq(waitpid(pid, &r->status, 0), pid);
  ck_assert_msg(open_fds == 0, "probe %s timed out", argv[0]);
}

int probe_lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

int harness_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
