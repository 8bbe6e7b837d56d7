/* Waiting for replies. A waiting thread reads the sockets itself (non-blocking recv, busy-polled)
 * and completes whatever replies it finds, its own or other threads': on this kind of VM waking a
 * sleeping thread costs several loopback round trips, so a reply must find its waiter awake.
 * Every 16 polls the spinner yields the CPU, which costs one system call when nobody else wants it,
 * and lets a server that shares this CPU (a loaded machine) answer instead of waiting for the spin
 * to end (with client and farmemd pinned to one core a 64 B miss took 22.5 us without, 11 with).
 * After spin_us without its answer the waiter sleeps:
 *   - in poll() on the sockets of the busy connections (at most LEAD_MAX), reading what arrives
 *     when it wakes, so a reply costs one wake-up as with a blocking recv. It takes no lock while
 *     asleep: spinning threads keep reading those sockets for their own replies;
 *   - with more busy connections, on a futex, leaving the sockets to other readers or the poller;
 *     a waiter without a futex word (one waiting for an object being fetched, rt/miss.c) yields a
 *     while, then naps: with no busy connection its reply is usually being completed elsewhere.
 * Rule that keeps every in-flight request read: a thread stops reading only after making sure
 * that each busy connection still has a spinning thread, a sleeper in poll(), or the poller. */
#include <limits.h>
#include <poll.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "net_internal.h"

#define SLEEP_CHECK_NS (100ull * 1000000) /* a futex sleeper re-checks this often (belt and braces) */
#define LEAD_MAX 8                        /* most connections a sleeping waiter polls itself */
#define LEAD_POLL_MS 1 /* a poll() sleeper re-checks this often: another reader may take its reply */
#define NAP_YIELDS 64  /* a waiter without a word yields this often before it naps */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void net_wake(atomic_uint *word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0); }

static void futex_sleep(atomic_uint *word, unsigned value) {
  struct timespec ts = {0, (long)SLEEP_CHECK_NS};
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, &ts, NULL, 0);
}

/* The arming thread registers the socket itself, so the poller wakes only when a reply is there
 * (epoll is level-triggered: bytes that came already wake it at once). It used to be kicked through
 * an eventfd to do so, which woke it twice per request: once to arm, once for the reply. */
void net_arm(net_conn *c) {
  if (atomic_load(&c->watched) || atomic_exchange(&c->watched, 1)) return;
  net_poller_watch(c);
}

/* Whether every request in flight on c is lazy and the poller's tick covers them: arming the poller
 * would only make each reply wake it (and cost the server's send a wake-up) before the sender,
 * which comes back for them, reads them itself. */
static int left_to_sender(net_conn *c, int inflight) {
  return inflight <= atomic_load(&c->lazy) && atomic_load(&c->net->ticking);
}

void net_hand_off(net_conn *c) {
  int inflight = atomic_load(&c->inflight);
  if (inflight > 0 && atomic_load(&c->net->spinners) == 0 && atomic_load(&c->sleepers) == 0 &&
      !left_to_sender(c, inflight))
    net_arm(c);
}

/* One non-blocking read of every connection that has requests in flight and no reader. */
static void poll_busy(far_net *net) {
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++) {
      net_conn *c = &net->servers[s].conns[i];
      if (atomic_load_explicit(&c->inflight, memory_order_relaxed) > 0 && net_try_rx(c)) {
        net_read_once(c);
        net_release_rx(c);
      }
    }
}

/* Leaves the spinning threads. The last one hands every busy connection that has no sleeper to the
 * poller. */
static void stop_polling(far_net *net) {
  if (atomic_fetch_sub(&net->spinners, 1) != 1) return;
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++) net_hand_off(&net->servers[s].conns[i]);
}

typedef struct lead {
  net_conn *conns[LEAD_MAX];
  struct pollfd fds[LEAD_MAX];
  unsigned n;
} lead;

static void lead_release(lead *l) {
  for (unsigned i = 0; i < l->n; i++) atomic_fetch_sub(&l->conns[i]->sleepers, 1);
  for (unsigned i = 0; i < l->n; i++) net_hand_off(l->conns[i]);
  l->n = 0;
}

/* Becomes a sleeping reader of every busy connection; 0 when there are none or too many. */
static int lead_take(far_net *net, lead *l) {
  l->n = 0;
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++) {
      net_conn *c = &net->servers[s].conns[i];
      if (atomic_load(&c->inflight) == 0) continue;
      if (l->n == LEAD_MAX) {
        lead_release(l);
        return 0;
      }
      atomic_fetch_add(&c->sleepers, 1);
      l->conns[l->n] = c;
      l->fds[l->n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
    }
  return l->n > 0;
}

/* Waits while another thread reads one of the sockets: it may be completing our request. */
static void let_readers_finish(const lead *l) {
  for (unsigned i = 0; i < l->n; i++)
    while (atomic_load(&l->conns[i]->rx_busy)) sched_yield();
}

/* Sleeps in poll() until a socket has data or LEAD_POLL_MS pass, then reads what came. A reply
 * another thread took just before we slept is covered by let_readers_finish (and, in the last
 * instant before poll(), by the short timeout). */
static void lead_sleep(lead *l, int (*pred)(void *), void *arg) {
  let_readers_finish(l);
  if (pred(arg) || poll(l->fds, l->n, LEAD_POLL_MS) <= 0) return;
  for (unsigned i = 0; i < l->n; i++)
    if (l->fds[i].revents && net_try_rx(l->conns[i])) {
      if (net_read_once(l->conns[i]) < 0) l->fds[i].fd = -1; /* failed: stop watching it */
      net_release_rx(l->conns[i]);
    }
  let_readers_finish(l);
}

/* Without a word to sleep on (and no socket to sleep in) the answer is usually a moment away: no
 * connection is busy because another thread is completing the reply (a request leaves `inflight`
 * when its reply is claimed) or the request is still being queued. So yield first, nap later. */
static void futex_wait_until(atomic_uint *word, unsigned sleeping, unsigned *naps) {
  unsigned expected = 0;
  if (word && (atomic_compare_exchange_strong(word, &expected, sleeping) || expected == sleeping))
    futex_sleep(word, sleeping);
  else if (!word && ++*naps < NAP_YIELDS)
    sched_yield();
  else if (!word)
    usleep(200);
}

int net_wait(far_net *net, int (*pred)(void *), void *arg, atomic_uint *word, unsigned sleeping,
             int timeout_ms, int learn) {
  if (pred(arg)) return 0;
  int probe;
  uint64_t start = now_ns(), spin_end = start + net_spin_budget_ns(net, &probe);
  uint64_t end = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000000;
  atomic_fetch_add(&net->spinners, 1);
  for (unsigned i = 1; !pred(arg); i++) {
    poll_busy(net);
    if (i % 16 != 0) continue;
    if (now_ns() > spin_end) break;
    sched_yield(); /* a server sharing this CPU gets to answer */
  }
  if (learn) net_spin_outcome(net, probe, pred(arg));
  lead l = {.n = 0};
  if (!pred(arg)) lead_take(net, &l);
  stop_polling(net);
  unsigned naps = 0;
  while (!pred(arg) && now_ns() <= end) {
    if (l.n)
      lead_sleep(&l, pred, arg);
    else
      futex_wait_until(word, sleeping, &naps);
    if (!pred(arg) && l.n == 0) lead_take(net, &l);
  }
  lead_release(&l);
  return pred(arg) ? 0 : -1;
}
