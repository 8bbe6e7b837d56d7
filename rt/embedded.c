/* The embedded memory server: with FAR_SERVER unset the runtime runs its own farmemd on 127.0.0.1.
 *
 * The program must not notice it: farmemd is started through a warden process (embedded_spawn.c)
 * so it is never a child the program's wait() can see and sends it no SIGCHLD; it runs in its own
 * process group (a terminal's Ctrl-C goes to the program, which decides), with /dev/null as stdin, a
 * pipe as stdout (its "listening on ADDR:PORT" line is read from there), the program's stderr for
 * its messages, and none of the program's other file descriptors.
 *
 * Its lifetime is tied to the process. A dedicated thread that never exits creates the warden and
 * then waits for it, because PR_SET_PDEATHSIG fires when the *thread* that created a process ends:
 * if the process dies in any way, that thread ends and the warden and farmemd get SIGKILL. A normal
 * exit (exit(), return from main) runs an atexit handler that sends farmemd SIGTERM and waits until
 * the warden has reaped it. */
#define _GNU_SOURCE
#include "embedded.h"
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000 /* for farmemd to print its port */
#define STOP_TIMEOUT_MS 2000   /* after SIGTERM, before SIGKILL */
#define KEEPER_STACK (64u << 10)

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  pid_t owner;  /* the process that started farmemd (a fork()ed child must leave it alone) */
  pid_t warden; /* 0 before the clone, -errno if it failed */
  pid_t pid;    /* farmemd */
  int reaped;   /* the warden has ended, so farmemd has too */
} server = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct far_spawn spawn; /* shared with the warden for its whole life */

static void publish(pid_t warden, int reaped) {
  pthread_mutex_lock(&server.lock);
  server.warden = warden;
  server.reaped = reaped;
  pthread_cond_broadcast(&server.changed);
  pthread_mutex_unlock(&server.lock);
}

/* The keeper thread: creates the warden, then waits for it for the rest of the process. */
static void *keeper(void *arg) {
  pid_t warden = far_spawn_warden(&spawn);
  publish(warden, warden < 0);
  if (warden < 0)
    return NULL;
  int status;
  while (waitpid(warden, &status, __WCLONE) < 0 && errno == EINTR)
    ;
  publish(warden, 1);
  return arg;
}

static bool late; /* started by far_embedded_start_late: fail with _exit */
static void embedded_stop(void);

/* Also stops farmemd if it runs: exit() calls embedded_stop, or (late start) this does. */
static void __attribute__((noreturn, format(printf, 1, 2))) start_fail(const char *fmt, ...) {
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  fprintf(stderr, "farmem: cannot start the embedded memory server: %s\n", why);
  if (!late)
    exit(2);
  embedded_stop();
  _exit(2);
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

static int ms_until(const struct timespec *until) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (until->tv_sec - now.tv_sec) * 1000 + (until->tv_nsec - now.tv_nsec) / 1000000;
  return ms > 0 ? (int)ms : 0;
}

/* Waits (server.lock held) until the warden has ended or ms pass. Returns server.reaped. */
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

/* Starts the keeper thread with every signal blocked, so the program's handlers never run on it
 * (the warden inherits the mask too). */
static void start_keeper(void) {
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
  pthread_attr_setstacksize(&attr, KEEPER_STACK);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  int err = pthread_create(&t, &attr, keeper, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err)
    start_fail("cannot create a thread: %s", strerror(err));

  pthread_mutex_lock(&server.lock);
  while (server.warden == 0)
    pthread_cond_wait(&server.changed, &server.lock);
  pid_t warden = server.warden;
  pthread_mutex_unlock(&server.lock);
  if (warden < 0)
    start_fail("cannot create a process: %s", strerror(-warden));
}

/* Reads up to len bytes from fd, waiting at most until the deadline; returns what read() returned,
 * or -1 with errno ETIMEDOUT. */
static ssize_t read_before(int fd, void *buf, size_t len, const struct timespec *until) {
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, ms_until(until));
    if (r == 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    ssize_t n = r < 0 ? -1 : read(fd, buf, len);
    if (n >= 0 || errno != EINTR)
      return n;
  }
}

/* Why farmemd ended before it reported its port. */
static void __attribute__((noreturn)) fail_exited(void) {
  pthread_mutex_lock(&server.lock);
  int reaped = wait_reaped(STOP_TIMEOUT_MS);
  pthread_mutex_unlock(&server.lock);
  int st = __atomic_load_n(&spawn.server_status, __ATOMIC_ACQUIRE);
  if (!reaped)
    start_fail("%s closed its output without printing 'listening on ADDR:PORT'", spawn.path);
  if (WIFEXITED(st))
    start_fail("%s exited with status %d before listening", spawn.path, WEXITSTATUS(st));
  start_fail("%s was killed by signal %d before listening", spawn.path, WTERMSIG(st));
}

/* The port of the first "listening on ADDR:PORT" line in buf (NUL-terminated), or 0. Consumed lines
 * are removed from buf; *used is updated. */
static unsigned port_in_lines(char *buf, size_t *used) {
  char *line = buf, *nl;
  unsigned port = 0;
  while (!port && (nl = strchr(line, '\n'))) {
    *nl = '\0';
    const char *at = strstr(line, "listening on ");
    const char *colon = at ? strrchr(at, ':') : NULL;
    unsigned long p = colon ? strtoul(colon + 1, NULL, 10) : 0;
    port = p <= 65535 ? (unsigned)p : 0;
    line = nl + 1;
  }
  *used -= (size_t)(line - buf);
  memmove(buf, line, *used + 1);
  return port;
}

/* Reads farmemd's pid from the warden's report, then its stdout until the listening line. */
static unsigned await_listening(int report_fd, int out_fd) {
  struct timespec until;
  deadline_after(&until, START_TIMEOUT_MS);
  int pid;
  ssize_t n = read_before(report_fd, &pid, sizeof pid, &until);
  if (n != (ssize_t)sizeof pid || pid < 0)
    start_fail("cannot create a process: %s", strerror(n != (ssize_t)sizeof pid ? errno : -pid));
  pthread_mutex_lock(&server.lock);
  server.pid = pid;
  pthread_mutex_unlock(&server.lock);

  char buf[1024];
  size_t used = 0;
  for (;;) {
    n = read_before(out_fd, buf + used, sizeof buf - 1 - used, &until);
    if (n < 0 && errno == ETIMEDOUT)
      start_fail("%s did not print 'listening on ADDR:PORT' within %d s", spawn.path,
                 START_TIMEOUT_MS / 1000);
    if (n <= 0)
      fail_exited();
    used += (size_t)n;
    buf[used] = '\0';
    unsigned port = port_in_lines(buf, &used);
    if (port)
      return port;
    if (used == sizeof buf - 1)
      used = 0; /* an absurdly long line: drop it */
  }
}

static void prepare_spawn(int stdout_fd, int report_fd) {
  const char **a = spawn.argv;
  *a++ = spawn.path;
  *a++ = "--listen";
  *a++ = "127.0.0.1";
  *a++ = "--port";
  *a++ = "0";
  *a++ = "--log-level"; /* its start and connection messages would clutter the program's stderr */
  *a++ = "warn";
  const char *token_file = getenv("FAR_TOKEN_FILE");
  if (token_file) {
    *a++ = "--token-file";
    *a++ = token_file;
  }
  const char *prefault = getenv("FAR_EMBEDDED_PREFAULT"); /* checked by farmemd */
  if (prefault && *prefault) {
    *a++ = "--prefault";
    *a++ = prefault;
  }
  *a = NULL;
  spawn.stdout_fd = stdout_fd;
  spawn.report_fd = report_fd;
  spawn.parent = getpid();
}

void far_embedded_start(char *servers, size_t len) {
  char why[512];
  if (server.owner)
    start_fail("it was already started");
  if (far_embedded_find(spawn.path, sizeof spawn.path, why, sizeof why))
    start_fail("%s", why);
  int out[2], report[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(report, O_CLOEXEC))
    start_fail("cannot create a pipe: %s", strerror(errno));
  prepare_spawn(out[1], report[1]);
  start_keeper();
  atexit(embedded_stop);
  close(out[1]);
  close(report[1]);
  unsigned port = await_listening(report[0], out[0]);
  close(report[0]);
  close(out[0]); /* farmemd ignores SIGPIPE, so later output of its own does it no harm */
  if ((size_t)snprintf(servers, len, "127.0.0.1:%u", port) >= len)
    start_fail("the servers buffer is too small");
}

void far_embedded_start_late(char *servers, size_t len) {
  late = true;
  far_embedded_start(servers, len);
}
