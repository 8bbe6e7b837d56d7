/* The bare-TCP baseline: a forked server process and the client halves of two measurements,
 *   echo    a BARE_RTT_BYTES message bounced back; both sides busy-poll non-blocking recv, which is
 *           the fastest round trip loopback TCP offers here;
 *   stream  the server sends `count` messages of BARE_STREAM_MSG bytes, `per_send` messages per send
 *           call; the client receives them with large blocking reads, the cheapest way to drain a
 *           stream.
 * The first byte a client sends picks the mode. */
#include "bare.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Busy-polls until len bytes arrived; 0 on success, -1 when the peer went away. */
static int recv_spin(int fd, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
    if (n > 0) got += (size_t)n;
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) return -1;
  }
  return 0;
}

static int send_all(int fd, const void *buf, size_t len) {
  size_t sent = 0;
  while (sent < len) {
    ssize_t n = send(fd, (const char *)buf + sent, len - sent, MSG_NOSIGNAL);
    if (n > 0) sent += (size_t)n;
    else if (n < 0 && errno != EINTR) return -1;
  }
  return 0;
}

static void serve_echo(int fd) {
  char msg[BARE_RTT_BYTES];
  while (recv_spin(fd, msg, sizeof msg) == 0 && send_all(fd, msg, sizeof msg) == 0) {
  }
}

static void serve_stream(int fd) {
  uint32_t req[2]; /* count, per_send */
  static char msgs[BARE_STREAM_MAX_PER_SEND * BARE_STREAM_MSG];
  if (recv(fd, req, sizeof req, MSG_WAITALL) != sizeof req || req[1] < 1 || req[1] > BARE_STREAM_MAX_PER_SEND)
    return;
  for (uint32_t i = 0; i < req[0]; i += req[1])
    if (send_all(fd, msgs, (size_t)(req[0] - i < req[1] ? req[0] - i : req[1]) * BARE_STREAM_MSG) != 0) return;
}

static void serve(int listener) {
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) continue;
    set_nodelay(fd);
    char mode = 0;
    if (recv(fd, &mode, 1, MSG_WAITALL) == 1) {
      if (mode == 'E') serve_echo(fd);
      if (mode == 'S') serve_stream(fd);
    }
    close(fd);
  }
}

pid_t bare_server_start(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
    return -1;
  *port = ntohs(a.sin_port);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    serve(fd);
    _exit(0);
  }
  close(fd);
  return pid;
}

static int bare_connect(uint16_t port, char mode) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  set_nodelay(fd);
  if (send_all(fd, &mode, 1) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int bare_echo_connect(uint16_t port) { return bare_connect(port, 'E'); }

double bare_echo_once(int fd) {
  char msg[BARE_RTT_BYTES];
  memset(msg, 0x5a, sizeof msg);
  double t0 = now_us();
  if (send_all(fd, msg, sizeof msg) != 0 || recv_spin(fd, msg, sizeof msg) != 0) return -1;
  return now_us() - t0;
}

double bare_stream_gbps(uint16_t port, uint32_t count, uint32_t per_send) {
  int fd = bare_connect(port, 'S');
  if (fd < 0) return -1;
  static char buf[64 * BARE_STREAM_MSG];
  uint64_t want = (uint64_t)count * BARE_STREAM_MSG, got = 0;
  double t0 = now_us();
  uint32_t req[2] = {count, per_send};
  int ok = send_all(fd, req, sizeof req) == 0;
  while (ok && got < want) {
    ssize_t n = recv(fd, buf, want - got < sizeof buf ? want - got : sizeof buf, 0);
    ok = n > 0;
    got += ok ? (uint64_t)n : 0;
  }
  double us = now_us() - t0;
  close(fd);
  return ok ? (double)want / us / 1e3 : -1;
}
