/* farmemd as a child process (see farmemd_child.h). */
#include "farmemd_child.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_ARGS = 32, START_TIMEOUT_MS = 10000 };

static void exec_child(const char *path, const char *const *flags, int out_fd, const char *log_path) {
  const char *argv[MAX_ARGS + 4] = {path, "--port", "0"};
  int n = 3;
  for (int i = 0; flags && flags[i] && n < MAX_ARGS; i++) argv[n++] = flags[i];
  argv[n] = NULL;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(out_fd, STDOUT_FILENO);
  if (log_path) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) dup2(fd, STDERR_FILENO);
  }
  execv(path, (char *const *)argv);
  fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
  _exit(127);
}

/* Reads the first line the server prints, waiting at most START_TIMEOUT_MS. */
static int read_line(int fd, char *line, size_t cap) {
  size_t len = 0;
  line[0] = 0;
  while (len < cap - 1 && !strchr(line, '\n')) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, START_TIMEOUT_MS) != 1) return -1;
    ssize_t k = read(fd, line + len, cap - 1 - len);
    if (k <= 0) return -1;
    len += (size_t)k;
    line[len] = 0;
  }
  return 0;
}

int farmemd_child_start(farmemd_child *c, const char *path, const char *const *flags, const char *log_path,
                        char *err, size_t errlen) {
  int out[2];
  if (pipe(out) != 0) return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
  snprintf(c->log_path, sizeof c->log_path, "%s", log_path ? log_path : "");
  c->pid = fork();
  if (c->pid == 0) exec_child(path, flags, out[1], log_path);
  close(out[1]);
  char line[128];
  int ok = c->pid > 0 && read_line(out[0], line, sizeof line) == 0 &&
           sscanf(line, "listening on %63[^\n]", c->addr) == 1;
  close(out[0]);
  const char *colon = ok ? strrchr(c->addr, ':') : NULL;
  if (!colon) {
    snprintf(err, errlen, "%s did not print 'listening on ADDR:PORT'", path);
    if (c->pid > 0) farmemd_child_stop(c, SIGKILL);
    return -1;
  }
  c->port = atoi(colon + 1);
  return 0;
}

int farmemd_child_stop(farmemd_child *c, int sig) {
  int status = 0;
  kill(c->pid, sig);
  for (int i = 0; i < 1000; i++) {
    if (waitpid(c->pid, &status, WNOHANG) == c->pid) break;
    if (i == 999) {
      kill(c->pid, SIGKILL);
      waitpid(c->pid, &status, 0);
    }
    struct timespec ts = {0, 10 * 1000000};
    nanosleep(&ts, NULL);
  }
  c->pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
