/* The poller thread: reads replies that no waiting thread is reading, so that asynchronous batches
 * (the evacuator's write-backs, the prefetcher's reads) complete even when nobody waits for them.
 * It sleeps in epoll_wait and is involved only when asked (net_arm): each connection is registered
 * one-shot and re-armed only while it has requests in flight, so replies to threads that are busy
 * polling for themselves never wake it. Lazy requests (net_readv_lazy: a batched get whose sender
 * comes back for the objects) do not arm it either; while some are about, the poller wakes every
 * NET_TICK_MS and reads the ones nobody came back for. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "net_internal.h"

#define POLLER_TICK_MS 1000
#define IDLE_TICKS 100 /* ticks without lazy requests before the poller sleeps POLLER_TICK_MS again */

static void watch(net_conn *c, int op, uint32_t events) {
  struct epoll_event ev = {.events = events | EPOLLONESHOT, .data.ptr = c};
  epoll_ctl(c->net->epoll_fd, op, c->fd, &ev);
}

void net_poller_watch(net_conn *c) { watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP); }

/* Reads c until it is drained. Keeps watching it while requests are in flight; if another thread
 * is reading, leaves it to that thread, which arms us again when it stops (net_wait.c). */
static void service(net_conn *c) {
  for (;;) {
    if (net_try_rx(c)) {
      while (net_read_once(c) > 0) {
      }
      net_release_rx(c);
      if (atomic_load(&c->inflight) > 0 && !atomic_load(&c->dead)) {
        net_poller_watch(c);
        return;
      }
      atomic_store(&c->watched, 0);
      if (atomic_load(&c->inflight) == 0 || atomic_exchange(&c->watched, 1)) return;
      continue; /* a request arrived as we let go: watch again */
    }
    atomic_store(&c->watched, 0);
    if (!net_try_rx(c)) return; /* a reader is active */
    net_release_rx(c);          /* the reader left as we let go: take over */
    if (atomic_exchange(&c->watched, 1)) return;
  }
}

/* Wakes the poller out of epoll_wait (to stop it, or to start ticking). */
static void kick(far_net *net) {
  uint64_t one = 1;
  if (write(net->kick_fd, &one, sizeof one) < 0) return; /* the counter is already nonzero */
}

/* Whether any connection has lazy requests in flight. */
static int any_lazy(far_net *net) {
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++)
      if (atomic_load(&net->servers[s].conns[i].lazy) > 0) return 1;
  return 0;
}

/* The tick: reads the connections whose lazy requests nobody came back for (a reader busy with
 * one finishes it), then hands them off as a reader that stops does. */
static void tick(far_net *net) {
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++) {
      net_conn *c = &net->servers[s].conns[i];
      if (atomic_load(&c->lazy) == 0 || !net_try_rx(c)) continue;
      while (net_read_once(c) > 0) {
      }
      net_release_rx(c);
      net_hand_off(c);
    }
}

/* Stops ticking after IDLE_TICKS ticks without lazy requests. A sender that registers one reads
 * `ticking` after counting it and this reads the counts after clearing `ticking` (both sequentially
 * consistent), so either it sees the request or the sender sees 0 and restarts the tick. */
static void tick_or_idle(far_net *net, unsigned *idle) {
  if (any_lazy(net)) {
    *idle = 0;
    tick(net);
    return;
  }
  if (++*idle < IDLE_TICKS) return;
  atomic_store(&net->ticking, 0);
  if (any_lazy(net)) atomic_store(&net->ticking, 1);
  *idle = 0;
}

void net_poller_tick(far_net *net) {
  if (!atomic_load(&net->ticking) && !atomic_exchange(&net->ticking, 1)) kick(net);
}

static void *poller_main(void *arg) {
  far_net *net = arg;
  struct epoll_event evs[64];
  unsigned idle = 0;
  while (!atomic_load(&net->stopping)) {
    int ticking = atomic_load(&net->ticking);
    int n = epoll_wait(net->epoll_fd, evs, 64, ticking ? NET_TICK_MS : POLLER_TICK_MS);
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == net) {
        uint64_t v;
        if (read(net->kick_fd, &v, sizeof v) < 0) continue;
      } else {
        service(evs[i].data.ptr);
      }
    }
    if (ticking) tick_or_idle(net, &idle);
  }
  return NULL;
}

int net_poller_start(far_net *net, char *err, size_t errlen) {
  net->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  net->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (net->epoll_fd < 0 || net->kick_fd < 0) {
    snprintf(err, errlen, "cannot create the poller: %s", strerror(errno));
    return -1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = net};
  epoll_ctl(net->epoll_fd, EPOLL_CTL_ADD, net->kick_fd, &ev);
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++) watch(&net->servers[s].conns[i], EPOLL_CTL_ADD, 0);
  if (pthread_create(&net->poller, NULL, poller_main, net) != 0) {
    snprintf(err, errlen, "cannot start the poller thread");
    return -1;
  }
  net->poller_started = 1;
  return 0;
}

void net_poller_stop(far_net *net) {
  if (net->poller_started) {
    atomic_store(&net->stopping, 1);
    kick(net);
    pthread_join(net->poller, NULL);
    net->poller_started = 0;
  }
  if (net->epoll_fd >= 0) close(net->epoll_fd);
  if (net->kick_fd >= 0) close(net->kick_fd);
}
