/* Many threads on one client at once: synchronous reads and writes, asynchronous batches waited for
 * and batches completed by callback only, every object's content verified. Bounded in count. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "net_test.h"

enum { THREADS = 6, ROUNDS = 300, BATCH = 24, CLS = 7 };

static far_net *net;

typedef struct {
  int done;
  far_ticket t;
} flagged;

static void mark(far_ticket *t, void *arg) { __atomic_store_n(&((flagged *)arg)->done, 1, __ATOMIC_RELEASE); }

static void check_object(const unsigned char *got, uint64_t id, unsigned salt) {
  unsigned char want[1u << CLS];
  pattern(want, CLS, id, salt);
  ck_assert_msg(memcmp(got, want, sizeof want) == 0, "object %llu has wrong content", (unsigned long long)id);
}

/* Each thread owns ids [base, base + BATCH) and rewrites them every round with a new salt. */
static void *worker(void *arg) {
  uint64_t base = (uint64_t)(uintptr_t)arg * 1000;
  unsigned char (*bufs)[1u << CLS] = malloc(BATCH * (1u << CLS));
  far_io ios[BATCH];
  for (unsigned round = 1; round <= ROUNDS; round++) {
    for (unsigned j = 0; j < BATCH; j++) {
      pattern(bufs[j], CLS, base + j, round);
      ios[j] = (far_io){.cls = CLS, .id = base + j, .buf = bufs[j], .len = 1u << CLS};
    }
    if (round % 3 == 0) { /* synchronous writes */
      for (unsigned j = 0; j < BATCH; j++)
        ck_assert_int_eq(far_net_write(net, CLS, base + j, bufs[j], 1u << CLS), FAR_OK);
    } else { /* one batch, waited for */
      far_ticket t;
      ck_assert_int_eq(far_net_writev(net, ios, BATCH, &t, NULL, NULL), FAR_OK);
      ck_assert_int_eq(far_ticket_wait(net, &t), FAR_OK);
    }
    memset(bufs, 0, BATCH * (1u << CLS));
    if (round % 2 == 0) { /* synchronous reads */
      for (unsigned j = 0; j < BATCH; j++) ck_assert_int_eq(far_net_read(net, CLS, base + j, bufs[j]), FAR_OK);
    } else { /* a batch completed by its callback, observed without waiting */
      flagged f = {0};
      ck_assert_int_eq(far_net_readv(net, ios, BATCH, &f.t, mark, &f), FAR_OK);
      for (int i = 0; i < 100000 && !__atomic_load_n(&f.done, __ATOMIC_ACQUIRE); i++) {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
      }
      ck_assert_msg(__atomic_load_n(&f.done, __ATOMIC_ACQUIRE), "batch callback never ran");
      for (unsigned j = 0; j < BATCH; j++) ck_assert_int_eq(ios[j].status, FAR_OK);
    }
    for (unsigned j = 0; j < BATCH; j++) check_object(bufs[j], base + j, round);
  }
  free(bufs);
  return NULL;
}

/* spin_us: how long waiters poll before they sleep (1: almost every wait goes to sleep). */
static void run_workers(unsigned spin_us) {
  farmemd_child srv;
  start_server(&srv, NULL);
  char err[512];
  far_net_config cfg = {.servers = srv.addr, .spin_us = spin_us};
  net = far_net_open(&cfg, err, sizeof err);
  ck_assert_msg(net != NULL, "%s", err);
  pthread_t th[THREADS];
  for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  char *text;
  ck_assert_int_eq(far_net_stats(net, &text), FAR_OK);
  ck_assert_int_eq(stat_value(text, "ns_objects", 0), THREADS * BATCH);
  free(text);
  far_net_close(net);
  ck_assert_int_eq(stop_server(&srv, SIGTERM), 0);
}

START_TEST(threads_sync_and_async_verified) { run_workers(0); }
END_TEST

START_TEST(threads_with_sleeping_waiters) { run_workers(1); }
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("net_stress");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, threads_sync_and_async_verified);
  tcase_add_test(tc, threads_with_sleeping_waiters);
  suite_add_tcase(s, tc);
  return run_suite(s, argc, argv);
}
