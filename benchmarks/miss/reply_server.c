/* The bare request/reply server and its client side (see reply_server.h). */
#include "reply_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPLY 65536
#define REQUEST 16
#define IDLE UINT32_MAX /* request size meaning "no reply; sleep until the next request" */

static int spin_io(int fd, char *buf, size_t len, int sending) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = sending ? send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT)
                        : recv(fd, buf + done, len - done, MSG_DONTWAIT);
    if (n > 0) done += (size_t)n;
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) return -1;
  }
  return 0;
}

/* Busy-polls for the next request while requests keep coming, but sleeps in poll() after 2 ms of
 * silence, or at once after an IDLE request (the client's block of samples is over), so the server
 * does not steal a core while the other side of the benchmark runs. */
static int await_request(int fd, int idle) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char c;
  while (!idle) {
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return 0;
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) return -1;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > 2000000L) break;
  }
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, -1) == 1 ? 0 : -1;
}

static void serve(int fd) {
  static char reply[MAX_REPLY];
  char req[REQUEST];
  uint32_t size = 0;
  while (await_request(fd, size == IDLE) == 0 && spin_io(fd, req, sizeof req, 0) == 0) {
    memcpy(&size, req, sizeof size);
    if (size != IDLE && (size > MAX_REPLY || spin_io(fd, reply, size, 1) != 0)) return;
  }
}

int reply_server_connect(void) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1) != 0 ||
      getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
    return -1;
  if (fork() == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = accept(lfd, NULL, NULL);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    serve(fd);
    _exit(0);
  }
  close(lfd);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

double reply_round_trip(int fd, uint32_t size) {
  static char reply[MAX_REPLY];
  char req[REQUEST] = {0};
  memcpy(req, &size, sizeof size);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (spin_io(fd, req, sizeof req, 1) != 0 || spin_io(fd, reply, size, 0) != 0) return -1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
}

int reply_server_idle(int fd) {
  char req[REQUEST] = {0};
  uint32_t idle = IDLE;
  memcpy(req, &idle, sizeof idle);
  return spin_io(fd, req, sizeof req, 1);
}
