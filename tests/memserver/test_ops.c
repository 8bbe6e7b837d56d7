/* farmemd serving well-formed clients: every op, pipelining, many clients and threads at once,
 * isolation between sessions, and the capacity cap. Runs the real server binary (argv[1]). */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static farmemd_proc srv;
static const char key_a[] = "session-key-A...", key_b[] = "session-key-B...";

static void start_default(void) { farmemd_start(&srv, NULL); }
static void stop(void) { ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0); }

/* Classes 6..20 except 16, for objects beside the 64 KiB ones. */
static unsigned other_class(unsigned i) { return 6 + i % 14 + (i % 14 >= 10); }

static void fill(uint8_t *buf, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

START_TEST(every_op_round_trips) {
  tclient c;
  uint8_t data[4096], back[4096];
  uint32_t stored;
  start_default();
  tc_open_session(&c, srv.port, key_a);
  /* read of a never-written object: empty, client sees zeros */
  ck_assert_int_eq(tc_read(&c, 12, 7, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 0);
  fill(data, sizeof data, 1);
  ck_assert_int_eq(tc_write(&c, 12, 7, data, sizeof data), FAR_OK);
  ck_assert_int_eq(tc_read(&c, 12, 7, back, &stored), FAR_OK);
  ck_assert(stored == 4096 && memcmp(back, data, 4096) == 0);
  /* a short write: the rest reads as zeros, even over a longer old value */
  ck_assert_int_eq(tc_write(&c, 12, 7, "hello", 5), FAR_OK);
  ck_assert_int_eq(tc_read(&c, 12, 7, back, &stored), FAR_OK);
  ck_assert(stored == 5 && memcmp(back, "hello", 5) == 0 && back[5] == 0 && back[4095] == 0);
  /* smallest and largest classes, largest id */
  ck_assert_int_eq(tc_write(&c, 4, (1ull << 47) - 1, data, 16), FAR_OK);
  ck_assert_int_eq(tc_read(&c, 4, (1ull << 47) - 1, back, &stored), FAR_OK);
  ck_assert(stored == 16 && memcmp(back, data, 16) == 0);
  static uint8_t big[1 << 20], bigback[1 << 20];
  fill(big, sizeof big, 2);
  ck_assert_int_eq(tc_write(&c, 20, 3, big, sizeof big), FAR_OK);
  ck_assert_int_eq(tc_read(&c, 20, 3, bigback, &stored), FAR_OK);
  ck_assert(stored == sizeof big && memcmp(big, bigback, sizeof big) == 0);

  /* writev then readv, in request order */
  far_wire_begin_writev(&c.out, 100, 50);
  for (unsigned i = 0; i < 50; i++) {
    fill(data, 64, i);
    far_wire_add_write(&c.out, 6, 1000 + i, data, 64);
  }
  ck_assert_int_eq(far_wire_end(&c.out), 0);
  tc_flush(&c);
  ck_assert_int_eq(tc_recv(&c), 0);
  ck_assert(c.rep.op == FAR_OP_WRITEV && c.rep.rid == 100 && c.rep.status == FAR_OK);
  far_wire_begin_readv(&c.out, 101, 51);
  for (unsigned i = 0; i < 51; i++)
    far_wire_add_read(&c.out, 6, 1000 + i);
  ck_assert_int_eq(far_wire_end(&c.out), 0);
  tc_flush(&c);
  ck_assert_int_eq(tc_recv(&c), 0);
  ck_assert(c.rep.op == FAR_OP_READV && c.rep.rid == 101 && c.rep.status == FAR_OK);
  ck_assert_uint_eq(c.rep.items.left, 51);
  far_wire_item it;
  for (unsigned i = 0; far_wire_list_next(&c.rep.items, &it); i++) {
    fill(data, 64, i);
    if (i < 50)
      ck_assert(it.len == 64 && memcmp(it.data, data, 64) == 0);
    else
      ck_assert_uint_eq(it.len, 0); /* never written */
  }

  /* one object twice in a batch: the later write wins, and it is stored (and charged) once */
  uint64_t used = tc_stat(&c, "used");
  far_wire_begin_writev(&c.out, 102, 3);
  far_wire_add_write(&c.out, 6, 5000, "first write", 11);
  far_wire_add_write(&c.out, 6, 5000, "second", 6);
  far_wire_add_write(&c.out, 6, 5001, "", 0); /* empty: nothing to store */
  ck_assert_int_eq(far_wire_end(&c.out), 0);
  tc_flush(&c);
  ck_assert_int_eq(tc_recv(&c), 0);
  ck_assert_int_eq(c.rep.status, FAR_OK);
  ck_assert_int_eq(tc_read(&c, 6, 5000, back, &stored), FAR_OK);
  ck_assert(stored == 6 && memcmp(back, "second", 6) == 0);
  ck_assert_uint_eq(tc_stat(&c, "used"), used + 64 + 32);
  ck_assert_int_eq(tc_free(&c, 6, 5000, 2), FAR_OK);

  /* free a range: those read as zeros, neighbours survive */
  ck_assert_int_eq(tc_free(&c, 6, 1010, 20), FAR_OK);
  ck_assert_int_eq(tc_read(&c, 6, 1015, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 0);
  ck_assert_int_eq(tc_read(&c, 6, 1009, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 64);
  ck_assert_int_eq(tc_read(&c, 6, 1030, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 64);
  /* a free far wider than the table sweeps it */
  ck_assert_int_eq(tc_free(&c, 6, 0, 1ull << 44), FAR_OK);
  ck_assert_int_eq(tc_read(&c, 6, 1030, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 0);

  /* stats: 3 objects left (classes 12, 4, 20) */
  ck_assert_uint_eq(tc_stat(&c, "ns_objects"), 3);
  ck_assert_uint_eq(tc_stat(&c, "ns_connections"), 1);
  ck_assert_uint_eq(tc_stat(&c, "version"), FAR_WIRE_VERSION);
  ck_assert_uint_ge(tc_stat(&c, "requests"), 10);

  /* offload: no functions in this server */
  far_wire_put_offload(&c.out, 200, "sum", "x", 1);
  tc_flush(&c);
  ck_assert_int_eq(tc_recv(&c), 0);
  ck_assert(c.rep.op == FAR_OP_OFFLOAD && c.rep.status == FAR_ENOENT);

  /* bye: a reply, then the server closes */
  far_wire_put_bye(&c.out, 300);
  tc_flush(&c);
  ck_assert_int_eq(tc_recv(&c), 0);
  ck_assert(c.rep.op == FAR_OP_BYE && c.rep.rid == 300 && c.rep.status == FAR_OK);
  ck_assert(tc_wait_closed(&c));
  tc_close(&c);
  ck_assert_int_eq(farmemd_log_wait(&srv, "closed: said bye", 1), 1);
  stop();
}
END_TEST

/* Large READV replies leave straight from the stored objects (memserver/objects.c, ns_readv_send)
 * while the socket takes them and are queued when it is full: 16 MiB of replies asked for before
 * any is read (more than the socket holds, and more than the output limit) must all arrive intact,
 * never-written and short objects included. */
START_TEST(large_readv_replies_through_a_full_socket) {
  enum { OBJS = 64, CLS = 16, REQS = 8, PER = 32 };
  static uint8_t data[1u << CLS];
  tclient c;
  start_default();
  tc_open_session(&c, srv.port, key_a);
  for (unsigned i = 0; i < OBJS; i++) {
    fill(data, sizeof data, i);
    if (i % 7 != 3) /* every seventh object is never written */
      ck_assert_int_eq(tc_write(&c, CLS, i, data, i % 5 == 1 ? 300 + i : (uint32_t)sizeof data), FAR_OK);
  }
  for (unsigned r = 0; r < REQS; r++) {
    far_wire_begin_readv(&c.out, 500 + r, PER);
    for (unsigned k = 0; k < PER; k++)
      far_wire_add_read(&c.out, CLS, (r * 11 + k) % OBJS);
    ck_assert_int_eq(far_wire_end(&c.out), 0);
  }
  tc_flush(&c);
  usleep(200 * 1000); /* the server fills the socket and queues the rest */
  for (unsigned r = 0; r < REQS; r++) {
    ck_assert_int_eq(tc_recv(&c), 0);
    ck_assert(c.rep.op == FAR_OP_READV && c.rep.rid == 500 + r && c.rep.status == FAR_OK);
    far_wire_item it;
    for (unsigned k = 0; far_wire_list_next(&c.rep.items, &it); k++) {
      unsigned i = (r * 11 + k) % OBJS;
      uint32_t want = i % 7 == 3 ? 0 : i % 5 == 1 ? 300 + i : (uint32_t)sizeof data;
      fill(data, sizeof data, i);
      ck_assert_uint_eq(it.len, want);
      ck_assert_msg(memcmp(it.data, data, want) == 0, "reply %u element %u differs", r, k);
    }
  }
  tc_close(&c);
  stop();
}
END_TEST

START_TEST(pipelined_requests_answered_by_id) {
  enum { N = 3000 };
  tclient c;
  static uint8_t seen[N + 1];
  uint8_t data[256];
  start_default();
  tc_open_session(&c, srv.port, key_a);
  /* rid i: writes for odd i, reads of object i-1 for even i, all sent before any reply is read */
  for (uint64_t i = 1; i <= N; i++) {
    fill(data, sizeof data, (unsigned)i);
    if (i % 2)
      far_wire_put_write(&c.out, i, 8, i, data, sizeof data);
    else
      far_wire_put_read(&c.out, i, 8, i - 1);
  }
  tc_flush(&c);
  for (int k = 0; k < N; k++) {
    ck_assert_int_eq(tc_recv(&c), 0);
    uint64_t i = c.rep.rid;
    ck_assert(i >= 1 && i <= N && !seen[i]);
    seen[i] = 1;
    ck_assert_int_eq(c.rep.status, FAR_OK);
    ck_assert_uint_eq(c.rep.op, i % 2 ? FAR_OP_WRITE : FAR_OP_READ);
    if (i % 2 == 0) {
      fill(data, sizeof data, (unsigned)(i - 1));
      ck_assert(c.rep.len == sizeof data && memcmp(c.rep.data, data, sizeof data) == 0);
    }
  }
  tc_close(&c);
  stop();
}
END_TEST

/* Each thread has its own session (even ids) or shares one (odd ids) and checks its own objects. */
static void *client_thread(void *arg) {
  int id = (int)(intptr_t)arg;
  char key[17];
  tclient c;
  uint8_t data[512], back[512];
  uint32_t stored;
  snprintf(key, sizeof key, "thread-key-%05d", id % 2 ? 1 : id);
  tc_open_session(&c, srv.port, key);
  for (unsigned i = 0; i < 300; i++) {
    uint64_t obj = (uint64_t)id * 100000 + i;
    fill(data, sizeof data, (unsigned)obj);
    ck_assert_int_eq(tc_write(&c, 9, obj, data, sizeof data), FAR_OK);
    ck_assert_int_eq(tc_read(&c, 9, obj, back, &stored), FAR_OK);
    ck_assert(stored == sizeof data && memcmp(data, back, sizeof data) == 0);
  }
  tc_close(&c);
  return NULL;
}

START_TEST(many_clients_and_threads) {
  enum { T = 16 };
  const char *flags[] = {"--threads", "2", NULL};
  pthread_t t[T];
  farmemd_start(&srv, flags);
  for (int i = 0; i < T; i++)
    pthread_create(&t[i], NULL, client_thread, (void *)(intptr_t)i);
  for (int i = 0; i < T; i++)
    pthread_join(t[i], NULL);
  ck_assert_int_eq(farmemd_log_wait(&srv, "closed: peer closed the connection", T), T);
  ck_assert_int_eq(farmemd_log_count(&srv, "warn"), 0);
  stop();
}
END_TEST

/* --prefault 16M: the server touches 16 MiB of storage in the background (its RSS grows without
 * a client), then 64 KiB objects beyond that pool, freed ones and their replacements, and objects
 * of the other classes all keep their bytes. */
START_TEST(prefaulted_storage_serves_objects) {
  enum { N = 320, SIZE = 65536 };
  static uint8_t buf[SIZE], back[1u << FAR_WIRE_CLASS_MAX]; /* tc_read fills the whole class */
  tclient c;
  uint32_t stored;
  farmemd_start(&srv, (const char *const[]){"--prefault", "16M", NULL});
  long rss = 0;
  for (int i = 0; i < 500 && (rss = farmemd_rss_kb(&srv)) < 16 * 1024; i++)
    usleep(10000);
  ck_assert_msg(rss >= 16 * 1024, "RSS %ld KiB after --prefault 16M", rss);
  tc_open_session(&c, srv.port, key_a);
  for (unsigned i = 0; i < N; i++) {
    fill(buf, SIZE, i);
    ck_assert_int_eq(tc_write(&c, 16, i, buf, SIZE), FAR_OK);
    ck_assert_int_eq(tc_write(&c, other_class(i), i, buf, 40), FAR_OK);
  }
  ck_assert_int_eq(tc_free(&c, 16, 0, N / 2), FAR_OK);
  for (unsigned i = 0; i < N / 2; i++) {
    fill(buf, SIZE, N + i);
    ck_assert_int_eq(tc_write(&c, 16, N + i, buf, SIZE - i), FAR_OK);
  }
  for (unsigned i = N / 2; i < N + N / 2; i++) {
    fill(buf, SIZE, i);
    ck_assert_int_eq(tc_read(&c, 16, i, back, &stored), FAR_OK);
    ck_assert_uint_eq(stored, i < N ? SIZE : SIZE - (i - N));
    ck_assert_msg(memcmp(back, buf, stored) == 0, "object %u", i);
  }
  for (unsigned i = 0; i < N; i++) {
    fill(buf, SIZE, i);
    ck_assert_int_eq(tc_read(&c, other_class(i), i, back, &stored), FAR_OK);
    ck_assert(stored == 40 && memcmp(back, buf, 40) == 0);
  }
  tc_close(&c);
  stop();
}
END_TEST

START_TEST(sessions_are_isolated) {
  tclient a, b, a2;
  uint8_t secret[64], other[64], back[64];
  uint32_t stored;
  start_default();
  fill(secret, sizeof secret, 42);
  fill(other, sizeof other, 43);
  tc_open_session(&a, srv.port, key_a);
  tc_open_session(&b, srv.port, key_b);
  ck_assert_int_eq(tc_write(&a, 6, 5, secret, sizeof secret), FAR_OK);
  /* b cannot read a's object ... */
  ck_assert_int_eq(tc_read(&b, 6, 5, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 0);
  /* ... nor overwrite it ... */
  ck_assert_int_eq(tc_write(&b, 6, 5, other, sizeof other), FAR_OK);
  ck_assert_int_eq(tc_read(&a, 6, 5, back, &stored), FAR_OK);
  ck_assert(stored == 64 && memcmp(back, secret, 64) == 0);
  /* ... nor free it */
  ck_assert_int_eq(tc_free(&b, 6, 0, 1000), FAR_OK);
  ck_assert_int_eq(tc_read(&a, 6, 5, back, &stored), FAR_OK);
  ck_assert(stored == 64 && memcmp(back, secret, 64) == 0);
  /* a second connection with a's key shares a's namespace */
  tc_open_session(&a2, srv.port, key_a);
  ck_assert_int_eq(tc_read(&a2, 6, 5, back, &stored), FAR_OK);
  ck_assert(stored == 64 && memcmp(back, secret, 64) == 0);
  ck_assert_uint_eq(tc_stat(&a2, "ns_connections"), 2);
  ck_assert_uint_eq(tc_stat(&a2, "namespaces"), 2);
  /* the namespace lives while any of its connections does, and dies with the last */
  tc_close(&a);
  ck_assert_int_eq(farmemd_log_wait(&srv, "peer closed", 1), 1);
  ck_assert_int_eq(tc_read(&a2, 6, 5, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 64);
  tc_close(&a2);
  ck_assert_int_eq(farmemd_log_wait(&srv, "peer closed", 2), 2);
  tc_open_session(&a, srv.port, key_a);
  ck_assert_int_eq(tc_read(&a, 6, 5, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 0);
  ck_assert_uint_eq(tc_stat(&a, "namespaces"), 2);
  tc_close(&a);
  tc_close(&b);
  stop();
}
END_TEST

START_TEST(serves_without_busy_polling) {
  const char *flags[] = {"--spin-us", "0", NULL};
  tclient c;
  uint8_t data[128], back[128];
  uint32_t stored;
  farmemd_start(&srv, flags);
  tc_open_session(&c, srv.port, key_a);
  for (unsigned i = 0; i < 200; i++) {
    fill(data, sizeof data, i);
    ck_assert_int_eq(tc_write(&c, 7, i, data, sizeof data), FAR_OK);
    ck_assert_int_eq(tc_read(&c, 7, i, back, &stored), FAR_OK);
    ck_assert(stored == sizeof data && memcmp(back, data, sizeof data) == 0);
  }
  tc_close(&c);
  stop();
}
END_TEST

START_TEST(capacity_limit_gives_enospc_and_server_keeps_working) {
  /* 4 KiB objects are charged 4096 + 32 bytes: 15 fit in 64 KiB, the 16th does not */
  const char *flags[] = {"--capacity", "64K", NULL};
  tclient c, d;
  uint8_t data[4096], back[4096];
  uint32_t stored;
  farmemd_start(&srv, flags);
  tc_open_session(&c, srv.port, key_a);
  fill(data, sizeof data, 9);
  for (unsigned i = 0; i < 15; i++)
    ck_assert_int_eq(tc_write(&c, 12, i, data, sizeof data), FAR_OK);
  ck_assert_int_eq(tc_write(&c, 12, 15, data, sizeof data), FAR_ENOSPC);
  ck_assert_int_eq(tc_read(&c, 12, 15, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 0);
  /* the cap is server-wide: another session cannot get around it */
  tc_open_session(&d, srv.port, key_b);
  ck_assert_int_eq(tc_write(&d, 12, 0, data, 16), FAR_ENOSPC);
  /* overwriting an existing object needs no new capacity */
  ck_assert_int_eq(tc_write(&c, 12, 3, data, 100), FAR_OK);
  /* writev is all-or-nothing: one overwrite plus two new objects does not fit, nothing changes */
  far_wire_begin_writev(&c.out, 500, 3);
  far_wire_add_write(&c.out, 12, 4, "changed", 7);
  far_wire_add_write(&c.out, 12, 20, data, 10);
  far_wire_add_write(&c.out, 12, 21, data, 10);
  ck_assert_int_eq(far_wire_end(&c.out), 0);
  tc_flush(&c);
  ck_assert_int_eq(tc_recv(&c), 0);
  ck_assert_int_eq(c.rep.status, FAR_ENOSPC);
  ck_assert_int_eq(tc_read(&c, 12, 4, back, &stored), FAR_OK);
  ck_assert(stored == 4096 && memcmp(back, data, 4096) == 0);
  ck_assert_int_eq(tc_read(&c, 12, 20, back, &stored), FAR_OK);
  ck_assert_uint_eq(stored, 0);
  /* freeing makes room again */
  ck_assert_int_eq(tc_free(&c, 12, 0, 2), FAR_OK);
  ck_assert_int_eq(tc_write(&d, 12, 0, data, sizeof data), FAR_OK);
  ck_assert_int_eq(tc_write(&c, 12, 15, data, sizeof data), FAR_OK);
  ck_assert_int_eq(tc_write(&c, 12, 16, data, sizeof data), FAR_ENOSPC);
  ck_assert_uint_eq(tc_stat(&c, "used"), 15 * (4096 + 32));
  /* a namespace's objects are released with its last connection */
  tc_close(&c);
  ck_assert_int_eq(farmemd_log_wait(&srv, "peer closed", 1), 1);
  ck_assert_uint_eq(tc_stat(&d, "used"), 4096 + 32);
  tc_close(&d);
  stop();
}
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("farmemd-ops");
  TCase *tc = tcase_create("ops");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, every_op_round_trips);
  tcase_add_test(tc, pipelined_requests_answered_by_id);
  tcase_add_test(tc, large_readv_replies_through_a_full_socket);
  tcase_add_test(tc, many_clients_and_threads);
  tcase_add_test(tc, sessions_are_isolated);
  tcase_add_test(tc, prefaulted_storage_serves_objects);
  tcase_add_test(tc, serves_without_busy_polling);
  tcase_add_test(tc, capacity_limit_gives_enospc_and_server_keeps_working);
  suite_add_tcase(s, tc);
  return farmemd_test_main(argc, argv, s);
}
