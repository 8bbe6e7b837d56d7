/* The embedded memory server: with FAR_SERVER unset the runtime runs its own farmemd on 127.0.0.1.
 *
 * The program must not notice it. So farmemd is started with a raw clone() whose exit signal is 0:
 * no SIGCHLD reaches the program, and wait()/waitpid(-1) never see (or reap) it. It runs in its own
 * process group (a terminal's Ctrl-C goes to the program, which decides), with /dev/null as stdin,
 * a pipe as stdout (we read its "listening on ADDR:PORT" line from it), the program's stderr for its
 * errors, and none of the program's other file descriptors.
 *
 * Its lifetime is tied to the process: a dedicated thread that never exits starts it and then waits
 * for it, because PR_SET_PDEATHSIG fires when the *thread* that created a child ends; if the process
 * dies in any way that thread dies and farmemd gets SIGKILL. A normal exit (exit(), return from main)
 * runs an atexit handler that sends SIGTERM and waits for the thread to reap it. */
#define _GNU_SOURCE
#include "embedded.h"
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000 /* for farmemd to print its port */
#define STOP_TIMEOUT_MS 2000   /* after SIGTERM, before SIGKILL */
#define THREAD_STACK (64u << 10)

extern char **environ;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  pid_t owner;  /* the process that started farmemd (a fork()ed child must leave it alone) */
  pid_t pid;    /* 0 before the clone, -errno if it failed */
  int reaped;   /* the thread has collected farmemd's exit status */
  int status;   /* that status */
} server = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct spawn {
  char path[PATH_MAX];
  const char *argv[8];
  int stdout_fd;
};

/* Runs in the clone()d child: raw system calls only (no libc state, no sanitizer interceptors),
 * then exec. */
static void __attribute__((noreturn)) child_exec(struct spawn *sp, pid_t parent) {
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (syscall(SYS_getppid) != parent)
    syscall(SYS_exit_group, 127);
  syscall(SYS_setpgid, 0, 0);
  int null = (int)syscall(SYS_open, "/dev/null", O_RDONLY, 0);
  syscall(SYS_dup2, null, 0);
  syscall(SYS_dup2, sp->stdout_fd, 1);
  syscall(SYS_close_range, 3, ~0u, 0);
  struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } act = {0};
  for (int sig = 1; sig < 65; sig++) {
    act.handler = sig == SIGPIPE ? SIG_IGN : SIG_DFL;
    syscall(SYS_rt_sigaction, sig, &act, NULL, 8);
  }
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
  syscall(SYS_execve, sp->path, sp->argv, environ);
  syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

static void publish(pid_t pid, int reaped, int status) {
  pthread_mutex_lock(&server.lock);
  server.pid = pid;
  server.reaped = reaped;
  server.status = status;
  pthread_cond_broadcast(&server.changed);
  pthread_mutex_unlock(&server.lock);
}

/* The server's keeper thread: starts farmemd, then waits for it for the rest of the process. */
static void *keeper(void *arg) {
  struct spawn *sp = arg;
  pid_t parent = getpid();
  long pid = syscall(SYS_clone, 0 /* no flags, exit signal 0 */, NULL, NULL, NULL, 0);
  if (pid == 0)
    child_exec(sp, parent);
  if (pid < 0) {
    publish(-errno, 1, 0);
    return NULL;
  }
  publish((pid_t)pid, 0, 0);
  int status;
  while (waitpid((pid_t)pid, &status, __WCLONE) < 0 && errno == EINTR)
    ;
  publish((pid_t)pid, 1, status);
  return NULL;
}

/* Also stops farmemd if it runs: exit() calls embedded_stop. */
static void __attribute__((noreturn, format(printf, 1, 2))) start_fail(const char *fmt, ...) {
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  fprintf(stderr, "farmem: cannot start the embedded memory server: %s\n", why);
  exit(2);
}

static void deadline_after(struct timespec *ts, int ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000;
  if (ts->tv_nsec >= 1000000000) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000;
  }
}

/* Waits (server.lock held) until farmemd is reaped or ms pass. Returns server.reaped. */
static int wait_reaped(int ms) {
  struct timespec until;
  deadline_after(&until, ms);
  while (!server.reaped && pthread_cond_timedwait(&server.changed, &server.lock, &until) == 0)
    ;
  return server.reaped;
}

static void embedded_stop(void) {
  pthread_mutex_lock(&server.lock);
  if (getpid() == server.owner && server.pid > 0 && !server.reaped) {
    kill(server.pid, SIGTERM);
    if (!wait_reaped(STOP_TIMEOUT_MS)) {
      kill(server.pid, SIGKILL);
      wait_reaped(STOP_TIMEOUT_MS);
    }
  }
  pthread_mutex_unlock(&server.lock);
}

pid_t far_embedded_pid(void) {
  pthread_mutex_lock(&server.lock);
  pid_t pid = server.pid > 0 && !server.reaped && getpid() == server.owner ? server.pid : 0;
  pthread_mutex_unlock(&server.lock);
  return pid;
}

/* Starts the keeper thread with every signal blocked, so the program's handlers never run on it. */
static void start_keeper(struct spawn *sp) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&server.changed, &ca);
  pthread_condattr_destroy(&ca);
  server.owner = getpid();

  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, THREAD_STACK);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  int err = pthread_create(&t, &attr, keeper, sp);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err)
    start_fail("cannot create a thread: %s", strerror(err));

  pthread_mutex_lock(&server.lock);
  while (server.pid == 0)
    pthread_cond_wait(&server.changed, &server.lock);
  pid_t pid = server.pid;
  pthread_mutex_unlock(&server.lock);
  if (pid < 0)
    start_fail("cannot create a process: %s", strerror(-pid));
}

/* Why farmemd ended before it reported its port. */
static void fail_exited(const char *path) {
  pthread_mutex_lock(&server.lock);
  int reaped = wait_reaped(STOP_TIMEOUT_MS), st = server.status;
  pthread_mutex_unlock(&server.lock);
  if (!reaped)
    start_fail("%s closed its output without printing 'listening on ADDR:PORT'", path);
  if (WIFEXITED(st))
    start_fail("%s exited with status %d before listening", path, WEXITSTATUS(st));
  start_fail("%s was killed by signal %d before listening", path, WTERMSIG(st));
}

/* Reads farmemd's stdout until a "listening on ADDR:PORT" line; returns PORT. */
static unsigned read_port(int fd, const char *path) {
  char buf[1024];
  size_t used = 0;
  struct timespec until, now;
  deadline_after(&until, START_TIMEOUT_MS);
  for (;;) {
    char *nl, *line = buf;
    buf[used] = '\0';
    while ((nl = strchr(line, '\n'))) {
      *nl = '\0';
      const char *at = strstr(line, "listening on ");
      const char *colon = at ? strrchr(at, ':') : NULL;
      unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
      if (port >= 1 && port <= 65535)
        return (unsigned)port;
      line = nl + 1;
    }
    used -= (size_t)(line - buf);
    memmove(buf, line, used);
    if (used == sizeof buf - 1)
      used = 0; /* an absurdly long line: drop it */
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (until.tv_sec - now.tv_sec) * 1000 + (until.tv_nsec - now.tv_nsec) / 1000000;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = ms > 0 ? poll(&p, 1, (int)ms) : 0;
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      start_fail("%s did not print 'listening on ADDR:PORT' within %d s", path,
                 START_TIMEOUT_MS / 1000);
    ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      fail_exited(path);
    used += (size_t)n;
  }
}

void far_embedded_start(char *servers, size_t len) {
  static struct spawn sp; /* read by the child after clone, so not on a stack that may go away */
  char why[512];
  if (server.owner)
    start_fail("it was already started");
  if (far_embedded_find(sp.path, sizeof sp.path, why, sizeof why))
    start_fail("%s", why);
  int out[2];
  if (pipe2(out, O_CLOEXEC))
    start_fail("cannot create a pipe: %s", strerror(errno));
  const char **a = sp.argv;
  *a++ = sp.path;
  *a++ = "--listen";
  *a++ = "127.0.0.1";
  *a++ = "--port";
  *a++ = "0";
  const char *token_file = getenv("FAR_TOKEN_FILE");
  if (token_file) {
    *a++ = "--token-file";
    *a++ = token_file;
  }
  *a = NULL;
  sp.stdout_fd = out[1];
  start_keeper(&sp);
  atexit(embedded_stop);
  close(out[1]);
  unsigned port = read_port(out[0], sp.path);
  close(out[0]); /* farmemd ignores SIGPIPE, so later output of its own does it no harm */
  if ((size_t)snprintf(servers, len, "127.0.0.1:%u", port) >= len)
    start_fail("the servers buffer is too small");
}
