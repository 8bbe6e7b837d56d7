/* Failures: a closed port, a wrong token, and a server killed (SIGKILL) while threads have
 * synchronous and asynchronous requests in flight. Every request must complete with FAR_ENET (none
 * hangs, no write is reported done), and the error must name the server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "net_test.h"

static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd); /* bound, never listening, now closed: connecting is refused */
  return ntohs(a.sin_port);
}

START_TEST(closed_port_names_the_server) {
  char servers[64], err[512];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", closed_port());
  far_net_config cfg = {.servers = servers};
  ck_assert_ptr_null(far_net_open(&cfg, err, sizeof err));
  ck_assert_msg(strstr(err, servers) && strstr(err, "refused"), "message: %s", err);
}
END_TEST

START_TEST(bad_server_lists_are_refused) {
  const char *bad[] = {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:99999", "127.0.0.1:8x"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char err[512] = "";
    far_net_config cfg = {.servers = bad[i]};
    ck_assert_ptr_null(far_net_open(&cfg, err, sizeof err));
    ck_assert_msg(strlen(err) > 0, "no message for '%s'", bad[i]);
  }
}
END_TEST

START_TEST(wrong_token_is_refused) {
  char path[] = "/tmp/farmem-token-XXXXXX";
  int fd = mkstemp(path);
  ck_assert(write(fd, "sesame\n", 7) == 7);
  close(fd);
  const char *flags[] = {"--token-file", path, NULL};
  farmemd_child srv;
  start_server(&srv, flags);
  char err[512];
  far_net_config cfg = {.servers = srv.addr, .token = "wrong"};
  ck_assert_ptr_null(far_net_open(&cfg, err, sizeof err));
  ck_assert_msg(strstr(err, srv.addr) && strstr(err, "authentication"), "message: %s", err);
  cfg.token = "sesame";
  far_net *net = far_net_open(&cfg, err, sizeof err);
  ck_assert_msg(net != NULL, "%s", err);
  unsigned char buf[16] = {1};
  ck_assert_int_eq(far_net_write(net, 4, 0, buf, 16), FAR_OK);
  far_net_close(net);
  stop_server(&srv, SIGTERM);
  unlink(path);
}
END_TEST

enum { THREADS = 4, CLS = 12 };
static far_net *net;
static atomic_int ok_after_kill, killed, finished;

/* Loops over writes, reads and batches until a request fails; every failure must be FAR_ENET. */
static void *busy(void *arg) {
  uint64_t base = (uint64_t)(uintptr_t)arg * 100;
  unsigned char buf[1u << CLS];
  far_io ios[16];
  unsigned char (*bufs)[1u << CLS] = malloc(16 << CLS);
  for (int i = 0; i < 1000000; i++) {
    int was_killed = atomic_load(&killed), st;
    if (i % 3 == 0) {
      for (int j = 0; j < 16; j++) ios[j] = (far_io){.cls = CLS, .id = base + j, .buf = bufs[j], .len = 1u << CLS};
      far_ticket t;
      ck_assert_int_eq(far_net_writev(net, ios, 16, &t, NULL, NULL), FAR_OK);
      st = far_ticket_wait(net, &t);
    } else if (i % 3 == 1) {
      st = far_net_write(net, CLS, base + (uint64_t)i % 16, buf, sizeof buf);
    } else {
      st = far_net_read(net, CLS, base + (uint64_t)i % 16, buf);
    }
    if (st != FAR_OK) {
      ck_assert_int_eq(st, FAR_ENET);
      break;
    }
    if (was_killed) atomic_fetch_add(&ok_after_kill, 1);
  }
  free(bufs);
  atomic_fetch_add(&finished, 1);
  return NULL;
}

START_TEST(server_killed_mid_run) {
  farmemd_child srv;
  start_server(&srv, NULL);
  net = open_client(srv.addr);
  pthread_t th[THREADS];
  for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, busy, (void *)i);
  struct timespec ts = {0, 200 * 1000000};
  nanosleep(&ts, NULL);
  /* an asynchronous batch with only the poller to complete it */
  far_io io[64];
  static unsigned char bufs[64][16];
  for (int j = 0; j < 64; j++) io[j] = (far_io){.cls = 4, .id = (uint64_t)j, .buf = bufs[j]};
  kill(srv.pid, SIGKILL);
  atomic_store(&killed, 1);
  far_ticket t;
  ck_assert_int_eq(far_net_readv(net, io, 64, &t, NULL, NULL), FAR_OK);
  for (int i = 0; i < 1000 && atomic_load(&finished) < THREADS; i++) nanosleep(&(struct timespec){0, 10000000}, NULL);
  ck_assert_msg(atomic_load(&finished) == THREADS, "requests still hanging 10 s after the server died");
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_ENET);
  /* requests that raced the kill may have been answered; requests after it cannot all succeed */
  ck_assert_int_lt(atomic_load(&ok_after_kill), 100);
  unsigned char buf[16];
  ck_assert_int_eq(far_net_write(net, 4, 0, buf, sizeof buf), FAR_ENET);
  ck_assert_int_eq(far_net_read(net, 4, 0, buf), FAR_ENET);
  char err[512];
  far_net_error(net, err, sizeof err);
  ck_assert_msg(strstr(err, srv.addr) != NULL, "error does not name the server: %s", err);
  far_net_close(net);
  stop_server(&srv, SIGKILL);
}
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("net_failures");
  TCase *tc = tcase_create("failures");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, closed_port_names_the_server);
  tcase_add_test(tc, bad_server_lists_are_refused);
  tcase_add_test(tc, wrong_token_is_refused);
  tcase_add_test(tc, server_killed_mid_run);
  suite_add_tcase(s, tc);
  return run_suite(s, argc, argv);
}
