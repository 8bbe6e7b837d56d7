/* Test harness for farmemd: child process management and a synchronous raw client. */
#define _GNU_SOURCE
#include "harness.h"
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *farmemd_path;

int harness_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int farmemd_test_main(int argc, char **argv, Suite *s) {
  farmemd_path = argc > 1 ? argv[1] : getenv("FARMEMD");
  if (!farmemd_path) {
    fprintf(stderr, "usage: %s PATH-TO-FARMEMD\n", argv[0]);
    return 2;
  }
  return harness_run_suite(s);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static pid_t spawn(const char *const *flags, int out_fd, int err_fd) {
  const char *argv[32] = {farmemd_path};
  int n = 1;
  for (; flags && flags[n - 1]; n++)
    argv[n] = flags[n - 1];
  argv[n] = NULL;
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execv(farmemd_path, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

void farmemd_start(farmemd_proc *p, const char *const *flags) {
  const char *all[32] = {"--port", "0", "--log-level", "info"};
  int n = 4;
  for (int i = 0; flags && flags[i]; i++)
    all[n++] = flags[i];
  all[n] = NULL;
  int out[2];
  ck_assert_int_eq(pipe(out), 0);
  char log_path[] = "/tmp/farmemd-test-XXXXXX";
  p->log_fd = mkstemp(log_path);
  ck_assert_int_ge(p->log_fd, 0);
  unlink(log_path);
  p->pid = spawn(all, out[1], p->log_fd);
  close(out[1]);
  char line[128] = {0};
  size_t len = 0;
  struct pollfd pfd = {.fd = out[0], .events = POLLIN};
  while (len < sizeof line - 1 && !strchr(line, '\n')) {
    ck_assert_msg(poll(&pfd, 1, 10000) == 1, "farmemd printed no 'listening on' line");
    ssize_t k = read(out[0], line + len, sizeof line - 1 - len);
    ck_assert_msg(k > 0, "farmemd exited before listening");
    len += (size_t)k;
  }
  close(out[0]);
  ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%d", &p->port) == 1, "unexpected line: %s", line);
}

int farmemd_signal_and_wait(farmemd_proc *p, int sig) {
  int status;
  kill(p->pid, sig);
  for (int i = 0; i < 1000; i++) {
    if (waitpid(p->pid, &status, WNOHANG) == p->pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    sleep_ms(10);
  }
  kill(p->pid, SIGKILL);
  waitpid(p->pid, &status, 0);
  ck_abort_msg("farmemd did not exit within 10 s of signal %d", sig);
  return -1;
}

int farmemd_log_count(const farmemd_proc *p, const char *needle) {
  static char log[1 << 20];
  ssize_t len = pread(p->log_fd, log, sizeof log - 1, 0);
  log[len > 0 ? len : 0] = 0;
  int n = 0;
  for (char *line = log, *end; *line; line = end + 1) {
    if (!(end = strchr(line, '\n')))
      break; /* a line still being written */
    *end = 0;
    n += strstr(line, needle) != NULL;
  }
  return n;
}

int farmemd_log_wait(const farmemd_proc *p, const char *needle, int n) {
  int k = 0;
  for (int i = 0; i < 500 && (k = farmemd_log_count(p, needle)) < n; i++)
    sleep_ms(10);
  return k;
}

long farmemd_rss_kb(const farmemd_proc *p) {
  char path[64], line[256];
  long kb = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  return kb;
}

int farmemd_run_to_exit(const char *const *args, char *err, size_t errlen) {
  char path[] = "/tmp/farmemd-err-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  pid_t pid = spawn(args, fd, fd);
  int status;
  waitpid(pid, &status, 0);
  ssize_t n = pread(fd, err, errlen - 1, 0);
  err[n > 0 ? n : 0] = 0;
  close(fd);
  unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void tc_connect(tclient *c, int port) {
  memset(c, 0, sizeof *c);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  far_wbuf_init(&c->out);
  far_frame_reader_init(&c->in);
  c->next_rid = 1;
}

void tc_close(tclient *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  far_wbuf_free(&c->out);
  far_frame_reader_free(&c->in);
  free(c->body);
  c->body = NULL;
}

void tc_closed_tag(const tclient *c, char *out, size_t len) {
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  getsockname(c->fd, (struct sockaddr *)&a, &alen);
  snprintf(out, len, "127.0.0.1:%u: closed", ntohs(a.sin_port));
}

void tc_send_raw(tclient *c, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len) {
    ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; /* the server may already have closed: callers check for that */
    p += n;
    len -= (size_t)n;
  }
}

void tc_flush(tclient *c) {
  tc_send_raw(c, c->out.data, c->out.len);
  far_wbuf_reset(&c->out);
}

int tc_recv(tclient *c) {
  const uint8_t *body;
  uint32_t len;
  const char *why = NULL;
  for (;;) {
    int k = far_frame_reader_next(&c->in, &body, &len, &why);
    ck_assert_msg(k >= 0, "server sent a bad frame: %s", why);
    if (k == 1)
      break;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 5000) == 1, "no reply within 5 s");
    size_t room;
    uint8_t *p = far_frame_reader_space(&c->in, &room);
    ssize_t n = recv(c->fd, p, room, 0);
    if (n <= 0)
      return -1;
    far_frame_reader_commit(&c->in, (size_t)n);
  }
  free(c->body);
  c->body = malloc(len);
  memcpy(c->body, body, len);
  ck_assert_msg(far_wire_decode_reply(c->body, len, &c->rep, &why) == 0, "bad reply: %s", why);
  return 0;
}

int tc_wait_closed(tclient *c) {
  char byte;
  struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
  if (poll(&pfd, 1, 5000) != 1)
    return 0;
  ssize_t n = recv(c->fd, &byte, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Sends what is queued, takes one reply, checks it answers request rid with op. */
static int round_trip(tclient *c, unsigned op, uint64_t rid) {
  tc_flush(c);
  ck_assert_int_eq(tc_recv(c), 0);
  ck_assert_uint_eq(c->rep.op, op);
  ck_assert_uint_eq(c->rep.rid, rid);
  return c->rep.status;
}

int tc_hello(tclient *c, const char *key16, const char *token) {
  uint64_t rid = c->next_rid++;
  far_wire_put_hello(&c->out, rid, FAR_WIRE_VERSION, token, token ? strlen(token) : 0, (const uint8_t *)key16);
  return round_trip(c, FAR_OP_HELLO, rid);
}

int tc_write(tclient *c, unsigned cls, uint64_t obj, const void *data, uint32_t len) {
  uint64_t rid = c->next_rid++;
  ck_assert_int_eq(far_wire_put_write(&c->out, rid, cls, obj, data, len), 0);
  return round_trip(c, FAR_OP_WRITE, rid);
}

int tc_read(tclient *c, unsigned cls, uint64_t obj, void *buf, uint32_t *stored) {
  uint64_t rid = c->next_rid++;
  far_wire_put_read(&c->out, rid, cls, obj);
  int st = round_trip(c, FAR_OP_READ, rid);
  if (st == FAR_OK) {
    ck_assert_uint_le(c->rep.len, 1u << cls);
    memset(buf, 0, 1u << cls);
    memcpy(buf, c->rep.data, c->rep.len);
    if (stored)
      *stored = c->rep.len;
  }
  return st;
}

int tc_free(tclient *c, unsigned cls, uint64_t obj, uint64_t count) {
  uint64_t rid = c->next_rid++;
  far_wire_put_free(&c->out, rid, cls, obj, count);
  return round_trip(c, FAR_OP_FREE, rid);
}

uint64_t tc_stat(tclient *c, const char *name) {
  uint64_t rid = c->next_rid++;
  far_wire_item it;
  far_wire_put_stats(&c->out, rid);
  ck_assert_int_eq(round_trip(c, FAR_OP_STATS, rid), FAR_OK);
  while (far_wire_list_next(&c->rep.items, &it))
    if (it.name_len == strlen(name) && memcmp(it.name, name, it.name_len) == 0)
      return it.value;
  ck_abort_msg("no stat named %s", name);
  return 0;
}

void tc_open_session(tclient *c, int port, const char *key16) {
  tc_connect(c, port);
  ck_assert_int_eq(tc_hello(c, key16, NULL), FAR_OK);
}
