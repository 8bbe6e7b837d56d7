/* The listening socket, the worker threads and shutdown. Each worker runs its own epoll loop over
 * the connections it accepted; all of them watch the listening socket (EPOLLEXCLUSIVE wakes one).
 * After any activity a worker busy-polls (epoll_wait with no timeout) for a while before it
 * blocks: on virtual machines waking a blocked thread costs several times a loopback round trip.
 * SIGTERM/SIGINT make the main thread signal the workers through an eventfd; they stop accepting,
 * send what is queued and close. */
#define _GNU_SOURCE /* accept4 */
#include "server.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include "capacity.h"
#include "conn.h"
#include "objmem.h"
#include "log.h"
#include "spin.h"

#define TICK_MS 100         /* blocking epoll_wait wakes this often for timers */
#define EVENTS_PER_WAIT 64
#define ACCEPTS_PER_EVENT 64
#define ACCEPT_PAUSE_NS (100ull * 1000000) /* out of file descriptors: stop accepting this long */
/* While spinning, the connection that last brought requests is read directly, which saves the
 * epoll_wait on the way to its next request; every EPOLL_EVERY-th round asks epoll for the rest. */
#define EPOLL_EVERY 4
/* Every YIELD_EVERY-th empty round of a spin gives the CPU to whoever waits for it. When the client
 * shares this CPU (a loaded machine), a spin that never yields holds the CPU for the whole budget
 * while the client cannot run to send its next request: every request then cost the full spin
 * (106 us at --spin-us 100 with both pinned to one core; 18 us with the yield). When nobody waits,
 * sched_yield returns at once (one system call per YIELD_EVERY rounds). */
#define YIELD_EVERY 8

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t server_requests(const server *srv) {
  uint64_t sum = 0;
  for (unsigned i = 0; i < srv->cfg->threads; i++)
    sum += atomic_load_explicit(&srv->workers[i].requests, memory_order_relaxed);
  return sum;
}

static void watch(int epoll_fd, int fd, uint32_t events, void *tag) {
  struct epoll_event ev = {.events = events, .data.ptr = tag};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* Accepts what is waiting. Returns 1 when out of file descriptors (the caller pauses accepting). */
static int accept_clients(worker *w) {
  for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    int fd = accept4(w->srv->listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0 && atomic_load(&w->srv->connections) >= w->srv->cfg->max_conns) {
      log_msg(LOG_WARN, "refused a connection: --max-conns (%u) reached", w->srv->cfg->max_conns);
      close(fd);
      continue;
    }
    if (fd >= 0) {
      conn_open(w, fd, (struct sockaddr *)&addr);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED)
      continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      log_msg(LOG_WARN, "accept: %s; not accepting for 100 ms", strerror(errno));
      return 1;
    }
    return 0; /* EAGAIN, or another worker took it */
  }
  return 0;
}

static void check_idle(worker *w, uint64_t now) {
  uint64_t idle_ns = (uint64_t)w->srv->cfg->idle_timeout_ms * 1000000;
  for (conn *c = w->conns, *next; c; c = next) {
    next = c->next;
    conn_check_idle(c, now, idle_ns);
  }
}

static void handle(worker *w, struct epoll_event *ev, uint64_t now, uint64_t *accept_paused_until) {
  server *srv = w->srv;
  if (ev->data.ptr == &srv->listen_fd) {
    if (accept_clients(w)) {
      epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
      *accept_paused_until = now + ACCEPT_PAUSE_NS;
    }
  } else if (ev->data.ptr != &srv->stop_fd) {
    conn_service(ev->data.ptr);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  server *srv = w->srv;
  struct epoll_event evs[EVENTS_PER_WAIT];
  spin_budget spin = spin_init(srv->cfg->spin_us);
  uint64_t now = now_ns(), last_active = 0, last_tick = now, accept_paused_until = 0;
  int was_spinning = 0;
  unsigned round = 0;
  while (!atomic_load_explicit(&srv->stopping, memory_order_relaxed)) {
    int spinning = last_active && now - last_active < spin.cur_ns;
    if (was_spinning && !spinning)
      spin_on_miss(&spin);
    was_spinning = spinning;
    int n = 0, polled = 0;
    if (spinning && w->hot && ++round % EPOLL_EVERY != 0)
      polled = conn_service(w->hot);
    else
      n = epoll_wait(w->epoll_fd, evs, EVENTS_PER_WAIT, spinning ? 0 : TICK_MS);
    if (spinning && n <= 0 && !polled && round % YIELD_EVERY == 0)
      sched_yield(); /* a client sharing this CPU gets to send its next request */
    now = now_ns();
    if (n > 0 || polled) {
      if (last_active)
        spin_on_request(&spin, now - last_active);
      last_active = now;
    }
    for (int i = 0; i < n; i++)
      handle(w, &evs[i], now, &accept_paused_until);
    if (now - last_tick >= TICK_MS * 1000000ull) {
      last_tick = now = now_ns();
      check_idle(w, now);
      if (accept_paused_until && now >= accept_paused_until) {
        accept_paused_until = 0;
        watch(w->epoll_fd, srv->listen_fd, EPOLLIN | EPOLLEXCLUSIVE, &srv->listen_fd);
      }
    }
  }
  while (w->conns)
    conn_drain(w->conns);
  return NULL;
}

/* Parses the numeric address, binds, listens. Fills the printable form for "listening on". */
static int open_listener(const config *cfg, char *shown, size_t shown_len) {
  struct sockaddr_storage ss = {0};
  socklen_t len;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  int v6 = inet_pton(AF_INET, cfg->listen, &a4->sin_addr) != 1;
  if (!v6) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)cfg->port);
    len = sizeof *a4;
  } else {
    inet_pton(AF_INET6, cfg->listen, &a6->sin6_addr); /* validated by flags_parse */
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)cfg->port);
    len = sizeof *a6;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0 ||
      getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
    log_msg(LOG_ERROR, "cannot listen on %s port %u: %s", cfg->listen, cfg->port, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  unsigned port = ntohs(v6 ? a6->sin6_port : a4->sin_port);
  snprintf(shown, shown_len, v6 ? "[%s]:%u" : "%s:%u", cfg->listen, port);
  return fd;
}

static int start_workers(server *srv) {
  srv->workers = calloc(srv->cfg->threads, sizeof *srv->workers);
  if (!srv->workers)
    return -1;
  for (unsigned i = 0; i < srv->cfg->threads; i++) {
    worker *w = &srv->workers[i];
    w->srv = srv;
    w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epoll_fd < 0 || ns_scratch_init(&w->scratch) != 0)
      return -1;
    watch(w->epoll_fd, srv->listen_fd, EPOLLIN | EPOLLEXCLUSIVE, &srv->listen_fd);
    watch(w->epoll_fd, srv->stop_fd, EPOLLIN, &srv->stop_fd);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
      return -1;
  }
  return 0;
}

/* Blocks until SIGTERM or SIGINT, then tells the workers. */
static void wait_for_stop(server *srv, const sigset_t *stop_signals) {
  int sig = 0;
  sigwait(stop_signals, &sig);
  log_msg(LOG_INFO, "%s: stopping: no new connections, finishing requests in flight",
          sig == SIGTERM ? "SIGTERM" : "SIGINT");
  atomic_store(&srv->stopping, 1);
  uint64_t one = 1;
  ssize_t w = write(srv->stop_fd, &one, sizeof one);
  (void)w;
}

int server_run(const config *cfg) {
  server srv = {.cfg = cfg};
  char shown[96];
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL); /* inherited by the workers */
  signal(SIGPIPE, SIG_IGN);
  capacity_init(cfg->capacity);
  if ((srv.listen_fd = open_listener(cfg, shown, sizeof shown)) < 0)
    return 1;
  srv.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (srv.stop_fd < 0 || start_workers(&srv) != 0) {
    log_msg(LOG_ERROR, "cannot start worker threads: %s", strerror(errno));
    return 1;
  }
  uint64_t prefault = cfg->prefault < cfg->capacity ? cfg->prefault : cfg->capacity;
  if (prefault && objmem_prefault_start(prefault) != 0)
    log_msg(LOG_WARN, "cannot start the --prefault thread: %s", strerror(errno));
  printf("listening on %s\n", shown);
  fflush(stdout);
  log_msg(LOG_INFO, "serving with %u thread(s), capacity %llu bytes, %s", cfg->threads,
          (unsigned long long)cfg->capacity, cfg->token_len ? "token required" : "no token");
  wait_for_stop(&srv, &stop_signals);
  close(srv.listen_fd);
  for (unsigned i = 0; i < cfg->threads; i++) {
    pthread_join(srv.workers[i].thread, NULL);
    close(srv.workers[i].epoll_fd);
    ns_scratch_free(&srv.workers[i].scratch);
  }
  free(srv.workers);
  close(srv.stop_fd);
  log_msg(LOG_INFO, "stopped");
  return 0;
}
