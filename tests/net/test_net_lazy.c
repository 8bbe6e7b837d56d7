/* Lazy batched reads (net_readv_lazy, what the runtime sends for far_prefetch_objects_later): the
 * poller is not armed for them; the thread that waits reads the replies itself, and the poller's
 * tick completes the ones nobody waits for. Several threads waiting at once, each for its own
 * batches and for batches nobody waits for, all get their data. Malformed replies to a lazy
 * batch: see test_net_failures. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "net_internal.h"
#include "net_test.h"

enum { CLS = 8, N = 48, THREADS = 4, ROUNDS = 300 };

static farmemd_child srv;
static far_net *net;
static unsigned char stored[THREADS][N][1u << CLS];

/* Objects (CLS, t * N + i) hold pattern salt t. */
static void setup(void) {
  start_server(&srv, NULL);
  net = open_client(srv.addr);
  for (unsigned t = 0; t < THREADS; t++)
    for (unsigned i = 0; i < N; i++) {
      pattern(stored[t][i], CLS, t * N + i, t);
      ck_assert_int_eq(far_net_write(net, CLS, t * N + i, stored[t][i], 1u << CLS), FAR_OK);
    }
}

static void teardown(void) {
  far_net_close(net);
  ck_assert_int_eq(stop_server(&srv, SIGTERM), 0);
}

static void flag_done(far_ticket *t, void *arg) {
  (void)t;
  __atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

/* The ticket counts as complete just before its callback runs (far/net.h): a waiter that reuses
 * the flag waits for the callback too. */
static void await_done(const int *done) {
  while (!__atomic_load_n(done, __ATOMIC_ACQUIRE)) sched_yield();
}

/* A batch of thread t's objects into bufs. */
static void batch_of(unsigned t, far_io *ios, unsigned char (*bufs)[1u << CLS]) {
  for (unsigned i = 0; i < N; i++) ios[i] = (far_io){.cls = CLS, .id = t * N + i, .buf = bufs[i]};
}

static void check_batch(unsigned t, const far_io *ios) {
  for (unsigned i = 0; i < N; i++) {
    ck_assert_int_eq(ios[i].status, FAR_OK);
    ck_assert_msg(memcmp(ios[i].buf, stored[t][i], 1u << CLS) == 0, "thread %u object %u differs", t, i);
  }
}

static int watched_conns(void) {
  int n = 0;
  for (unsigned i = 0; i < net->servers[0].nconns; i++) n += atomic_load(&net->servers[0].conns[i].watched);
  return n;
}

START_TEST(the_waiter_reads_a_lazy_batch) {
  static unsigned char bufs[N][1u << CLS];
  far_io ios[N];
  batch_of(0, ios, bufs);
  far_ticket t;
  int done = 0;
  ck_assert_int_eq(net_readv_lazy(net, ios, N, &t, flag_done, &done), FAR_OK);
  ck_assert_int_eq(watched_conns(), 0); /* the poller was not asked to read it */
  ck_assert(atomic_load(&net->ticking));
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
  await_done(&done);
  check_batch(0, ios);
  for (unsigned i = 0; i < net->servers[0].nconns; i++) ck_assert_int_eq(atomic_load(&net->servers[0].conns[i].lazy), 0);
}
END_TEST

/* Nobody waits: the poller's tick reads the reply (it is not armed for it). */
START_TEST(a_lazy_batch_nobody_waits_for_completes) {
  static unsigned char bufs[N][1u << CLS];
  far_io ios[N];
  batch_of(1, ios, bufs);
  far_ticket t;
  int done = 0;
  ck_assert_int_eq(net_readv_lazy(net, ios, N, &t, flag_done, &done), FAR_OK);
  for (int i = 0; i < 10000 && !__atomic_load_n(&done, __ATOMIC_ACQUIRE); i++)
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  ck_assert_msg(__atomic_load_n(&done, __ATOMIC_ACQUIRE), "lazy batch not completed within 10 s without a waiter");
  check_batch(1, ios);
}
END_TEST

/* A thread that waits for each of its lazy batches, or (odd threads, every other round) for none
 * until the next round: replies are read by whichever waiter spins, sleeps or ticks. */
static void *waiter(void *arg) {
  unsigned t = (unsigned)(uintptr_t)arg;
  unsigned char (*bufs)[1u << CLS] = malloc((size_t)N << CLS);
  far_io ios[N];
  for (int r = 0; r < ROUNDS; r++) {
    memset(bufs, 0, (size_t)N << CLS);
    batch_of(t, ios, bufs);
    far_ticket tk;
    int done = 0;
    ck_assert_int_eq(net_readv_lazy(net, ios, N, &tk, flag_done, &done), FAR_OK);
    if (t % 2 && r % 2)
      while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) nanosleep(&(struct timespec){0, 100000}, NULL);
    ck_assert_int_eq(far_ticket_wait(net, &tk), FAR_OK);
    await_done(&done);
    check_batch(t, ios);
  }
  free(bufs);
  return NULL;
}

START_TEST(concurrent_waiters_of_lazy_batches) {
  pthread_t th[THREADS];
  for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, waiter, (void *)i);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  for (unsigned i = 0; i < net->servers[0].nconns; i++) ck_assert_int_eq(atomic_load(&net->servers[0].conns[i].lazy), 0);
}
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("net_lazy");
  TCase *tc = tcase_create("lazy");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, the_waiter_reads_a_lazy_batch);
  tcase_add_test(tc, a_lazy_batch_nobody_waits_for_completes);
  tcase_add_test(tc, concurrent_waiters_of_lazy_batches);
  suite_add_tcase(s, tc);
  return run_suite(s, argc, argv);
}
