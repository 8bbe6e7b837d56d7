/* Failures: a closed port, a wrong token, a server killed (SIGKILL) while threads have synchronous
 * and asynchronous requests in flight, and a server that answers a large batched read with a
 * malformed reply. Every request must complete with FAR_ENET (FAR_EPROTO for the malformed reply:
 * none hangs, no write is reported done), and the error must name the server. A lazy batch
 * (net_readv_lazy) with a malformed reply fails the same way. */
#include <poll.h>
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
#include "far/wire_codec.h"
#include "net_internal.h"
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

/* A fake server for the malformed-reply test: answers hello on both of the client's connections,
 * then every READV request with a reply of the right id that is wrong in one way (`how`). */
enum { BAD_LONG_ELEMENT, BAD_TRAILING_BYTES };
struct fake {
  int lfd, port, how;
  pthread_t th;
};

/* Reads one frame body from fd into r; NULL when the peer closed. */
static const uint8_t *fake_frame(int fd, far_frame_reader *r, uint32_t *len) {
  const uint8_t *body;
  const char *why;
  while (far_frame_reader_next(r, &body, len, &why) != 1) {
    size_t room;
    uint8_t *p = far_frame_reader_space(r, &room);
    ssize_t n = p ? recv(fd, p, room, 0) : -1;
    if (n <= 0) return NULL;
    far_frame_reader_commit(r, (size_t)n);
  }
  return body;
}

static void fake_answer(int fd, const far_wire_req *q, int how) {
  static uint8_t data[1 << 17];
  far_wbuf b;
  far_wbuf_init(&b);
  if (q->op == FAR_OP_HELLO) {
    far_wire_put_hello_reply(&b, q->rid, FAR_OK);
  } else if (q->op == FAR_OP_READV) {
    far_wire_begin_readv_reply(&b, q->rid, q->items.left);
    for (uint32_t i = 0; i < q->items.left; i++) /* the objects are 64 KiB */
      far_wire_add_data(&b, data, how == BAD_LONG_ELEMENT && i == 1 ? (1u << 16) + 100 : 1u << 16);
    if (how == BAD_TRAILING_BYTES)
      far_wire_add_data_head(&b, 0); /* an element more than the count announces, inside the frame */
    far_wire_end(&b);
  } else {
    far_wire_put_status(&b, q->op, q->rid, FAR_OK);
  }
  for (size_t off = 0; off < b.len;) {
    ssize_t n = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += (size_t)n;
  }
  far_wbuf_free(&b);
}

static void *fake_main(void *arg) {
  struct fake *f = arg;
  struct pollfd fds[2];
  far_frame_reader rd[2];
  int open = 0;
  for (int i = 0; i < 2; i++) /* the client connects one at a time, each waiting for its hello */
    fds[i] = (struct pollfd){.fd = -1, .events = POLLIN}, far_frame_reader_init(&rd[i]);
  while (open < 2 || fds[0].fd >= 0 || fds[1].fd >= 0) { /* until the client has closed both */
    if (open < 2) {
      fds[open].fd = accept(f->lfd, NULL, NULL);
      fds[open].revents = POLLIN;
      open++;
    } else if (poll(fds, 2, 10000) <= 0) {
      break;
    }
    for (int i = 0; i < open; i++) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      uint32_t len;
      far_wire_req q;
      const char *why;
      const uint8_t *body = fake_frame(fds[i].fd, &rd[i], &len);
      if (!body || far_wire_decode_request(body, len, &q, &why) != 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      fake_answer(fds[i].fd, &q, f->how);
      fds[i].revents = 0;
    }
  }
  for (int i = 0; i < 2; i++) {
    if (fds[i].fd >= 0) close(fds[i].fd);
    far_frame_reader_free(&rd[i]);
  }
  return NULL;
}

static void fake_start(struct fake *f, int how) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  f->how = how;
  f->lfd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(f->lfd, 4), 0);
  ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
  f->port = ntohs(a.sin_port);
  pthread_create(&f->th, NULL, fake_main, f);
}

/* Large READV replies are received straight into the objects (rt/net_direct.c); a reply that does
 * not fit its request must fail the batch with FAR_EPROTO and name the server, not write past an
 * object or hang. */
static void malformed_large_readv(int how, const char *message, int lazy) {
  struct fake f;
  fake_start(&f, how);
  char addr[64], err[512];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", f.port);
  far_net_config cfg = {.servers = addr};
  far_net *net = far_net_open(&cfg, err, sizeof err);
  ck_assert_msg(net != NULL, "%s", err);
  enum { N = 8 };
  static unsigned char bufs[N][(1 << 16) + 64];
  far_io ios[N];
  for (int i = 0; i < N; i++) {
    memset(bufs[i] + (1 << 16), 0x5a, 64); /* a guard after each object */
    ios[i] = (far_io){.cls = 16, .id = (uint64_t)i, .buf = bufs[i]};
  }
  far_ticket t;
  ck_assert_int_eq((lazy ? net_readv_lazy : far_net_readv)(net, ios, N, &t, NULL, NULL), FAR_OK);
  ck_assert_int_eq(far_ticket_wait(net, &t), FAR_EPROTO);
  for (int i = 0; i < N; i++)
    for (int k = 0; k < 64; k++) ck_assert_uint_eq(bufs[i][(1 << 16) + k], 0x5a);
  far_net_error(net, err, sizeof err);
  ck_assert_msg(strstr(err, addr) && strstr(err, message), "error: %s", err);
  for (unsigned i = 0; i < net->servers[0].nconns; i++) /* a failed lazy request is no longer counted */
    ck_assert_int_eq(atomic_load(&net->servers[0].conns[i].lazy), 0);
  far_net_close(net);
  close(f.lfd);
  pthread_join(f.th, NULL);
}

START_TEST(large_readv_element_longer_than_its_object) {
  malformed_large_readv(BAD_LONG_ELEMENT, "does not match its request", 0);
}
END_TEST

/* The same for a lazy batch (read by its waiter, not the poller): it fails, and is uncounted. */
START_TEST(lazy_readv_element_longer_than_its_object) {
  malformed_large_readv(BAD_LONG_ELEMENT, "does not match its request", 1);
}
END_TEST

START_TEST(large_readv_reply_longer_than_its_elements) {
  malformed_large_readv(BAD_TRAILING_BYTES, "longer than its elements", 0);
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
  tcase_add_test(tc, large_readv_element_longer_than_its_object);
  tcase_add_test(tc, large_readv_reply_longer_than_its_elements);
  tcase_add_test(tc, lazy_readv_element_longer_than_its_object);
  suite_add_tcase(s, tc);
  return run_suite(s, argc, argv);
}
