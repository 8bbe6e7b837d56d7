/* farmemd under hostile or broken input: each case must close only the offending connection, log
 * exactly one line for it with the reason, and leave the server serving another client; repeated
 * hostile connections must not make the server's memory grow. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

static farmemd_proc srv;
static const char key_victim[] = "victim-session..", key_healthy[] = "healthy-session.";

static size_t from_hex(const char *hex, uint8_t *out) {
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++)
    sscanf(hex + 2 * i, "%2hhx", &out[i]);
  return n;
}

/* A frame with the given hex body. */
static size_t frame_hex(const char *hex, uint8_t *out) {
  size_t n = from_hex(hex, out + 4);
  out[0] = (uint8_t)(n >> 24), out[1] = (uint8_t)(n >> 16), out[2] = (uint8_t)(n >> 8), out[3] = (uint8_t)n;
  return n + 4;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* The healthy client still gets its object back. */
static void healthy_still_served(tclient *h, uint64_t obj) {
  uint8_t back[64];
  uint32_t stored;
  char expect[64];
  snprintf(expect, sizeof expect, "healthy object %llu", (unsigned long long)obj);
  ck_assert_int_eq(tc_write(h, 6, obj, expect, (uint32_t)strlen(expect)), FAR_OK);
  ck_assert_int_eq(tc_read(h, 6, obj, back, &stored), FAR_OK);
  ck_assert(stored == strlen(expect) && memcmp(back, expect, stored) == 0);
}

/* Exactly one "closed" line for the victim, and it names the reason. */
static void logged_once(const tclient *v, const char *reason) {
  char tag[64], needle[256];
  tc_closed_tag(v, tag, sizeof tag);
  snprintf(needle, sizeof needle, "%s: %s", tag, reason);
  ck_assert_msg(farmemd_log_wait(&srv, needle, 1) == 1, "no log line '%s'", needle);
  sleep_ms(20);
  ck_assert_int_eq(farmemd_log_count(&srv, tag), 1);
}

/* Sends raw bytes on a fresh connection (after hello when asked) and expects the server to close
 * it without a reply, logging reason once. */
static void expect_dropped(tclient *h, int hello, const uint8_t *bytes, size_t n, const char *reason) {
  tclient v;
  static uint64_t obj;
  tc_connect(&v, srv.port);
  if (hello)
    ck_assert_int_eq(tc_hello(&v, key_victim, NULL), FAR_OK);
  tc_send_raw(&v, bytes, n);
  ck_assert_msg(tc_wait_closed(&v), "connection not closed after: %s", reason);
  logged_once(&v, reason);
  tc_close(&v);
  healthy_still_served(h, ++obj);
}

static void expect_dropped_hex(tclient *h, const char *body_hex, const char *reason) {
  uint8_t frame[512];
  expect_dropped(h, 1, frame, frame_hex(body_hex, frame), reason);
}

START_TEST(malformed_frames_close_only_that_connection) {
  tclient h;
  farmemd_start(&srv, NULL);
  tc_open_session(&h, srv.port, key_healthy);
  static const uint8_t zero_len[4] = {0, 0, 0, 0}, absurd_len[4] = {0xff, 0xff, 0xff, 0xff};
  expect_dropped(&h, 1, zero_len, 4, "frame length 0");
  expect_dropped(&h, 0, absurd_len, 4, "frame length above the 32 MiB limit");
  expect_dropped_hex(&h, "c0", "request is not a msgpack array");
  expect_dropped_hex(&h, "ffffffff", "request is not a msgpack array");
  expect_dropped_hex(&h, "92a16101", "op is not an unsigned integer");
  expect_dropped_hex(&h, "924d01", "unknown op");
  expect_dropped_hex(&h, "9402", "request id is not an unsigned integer");
  expect_dropped_hex(&h, "94020104a0", "object id is not an unsigned integer");
  expect_dropped_hex(&h, "9402010300", "size class out of range");
  expect_dropped_hex(&h, "9402011500", "size class out of range");
  expect_dropped_hex(&h, "94020104cf0000800000000000", "object id out of range for its size class");
  expect_dropped_hex(&h, "95040104" "00" "c411" "0000000000000000000000000000000000",
                     "object data longer than its size class");
  expect_dropped_hex(&h, "95040104" "00" "a3616263", "object data is not a bin");
  expect_dropped_hex(&h, "9402010400c0", "trailing bytes after the request");
  expect_dropped_hex(&h, "93030190", "batch empty or longer than the batch limit");
  expect_dropped_hex(&h, "9506010400" "00", "free range empty or beyond its size class");
  tc_close(&h);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

/* After its error reply the server closes. */
static void expect_closed_after_reply(tclient *v, const char *reason) {
  ck_assert(tc_wait_closed(v));
  logged_once(v, reason);
  tc_close(v);
}

/* The server answers with a status, then closes. */
static void expect_refused(tclient *v, int status, const char *reason) {
  ck_assert_int_eq(tc_recv(v), 0);
  ck_assert_int_eq(v->rep.status, status);
  ck_assert(tc_wait_closed(v));
  logged_once(v, reason);
  tc_close(v);
}

START_TEST(state_and_version_errors_reply_then_close) {
  tclient h, v;
  farmemd_start(&srv, NULL);
  tc_open_session(&h, srv.port, key_healthy);
  tc_connect(&v, srv.port);
  far_wire_put_read(&v.out, 1, 4, 0);
  tc_flush(&v);
  expect_refused(&v, FAR_ESTATE, "request before hello");
  tc_connect(&v, srv.port);
  far_wire_put_hello(&v.out, 1, FAR_WIRE_VERSION + 1, NULL, 0, (const uint8_t *)key_victim);
  tc_flush(&v);
  expect_refused(&v, FAR_EVERSION, "unsupported protocol version");
  ck_assert_uint_eq(v.rep.version, FAR_WIRE_VERSION);
  tc_open_session(&v, srv.port, key_victim);
  far_wire_put_hello(&v.out, 2, FAR_WIRE_VERSION, NULL, 0, (const uint8_t *)key_victim);
  tc_flush(&v);
  expect_refused(&v, FAR_ESTATE, "second hello");
  healthy_still_served(&h, 1);
  tc_close(&h);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

START_TEST(token_is_required_when_configured) {
  char path[] = "/tmp/farmemd-token-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_eq(write(fd, "s3cret-token\n", 13), 13);
  close(fd);
  const char *flags[] = {"--token-file", path, NULL};
  tclient v, h;
  farmemd_start(&srv, flags);
  unlink(path);
  tc_connect(&h, srv.port);
  ck_assert_int_eq(tc_hello(&h, key_healthy, "s3cret-token"), FAR_OK);
  tc_connect(&v, srv.port);
  ck_assert_int_eq(tc_hello(&v, key_victim, "s3cret-tokem"), FAR_EAUTH);
  expect_closed_after_reply(&v, "wrong or missing token");
  tc_connect(&v, srv.port);
  ck_assert_int_eq(tc_hello(&v, key_victim, NULL), FAR_EAUTH);
  expect_closed_after_reply(&v, "wrong or missing token");
  tc_connect(&v, srv.port);
  ck_assert_int_eq(tc_hello(&v, key_victim, "s3cret-token-and-more"), FAR_EAUTH);
  expect_closed_after_reply(&v, "wrong or missing token");
  healthy_still_served(&h, 1);
  tc_close(&h);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

START_TEST(disconnects_mid_frame_and_abrupt_resets) {
  tclient h, v;
  uint8_t frame[64];
  farmemd_start(&srv, NULL);
  tc_open_session(&h, srv.port, key_healthy);
  /* a truncated frame, then an orderly close */
  tc_open_session(&v, srv.port, key_victim);
  size_t n = frame_hex("9402010400", frame);
  tc_send_raw(&v, frame, n - 2);
  char tag[64];
  tc_closed_tag(&v, tag, sizeof tag);
  tc_close(&v);
  char needle[128];
  snprintf(needle, sizeof needle, "%s: peer closed the connection inside a frame", tag);
  ck_assert_int_eq(farmemd_log_wait(&srv, needle, 1), 1);
  ck_assert_int_eq(farmemd_log_count(&srv, tag), 1);
  healthy_still_served(&h, 1);
  /* many requests in flight, then a reset (SO_LINGER 0) */
  static uint8_t data[4096];
  tc_open_session(&v, srv.port, key_victim);
  for (unsigned i = 0; i < 500; i++)
    far_wire_put_write(&v.out, i, 12, i, data, sizeof data);
  tc_flush(&v);
  tc_closed_tag(&v, tag, sizeof tag);
  struct linger lg = {1, 0};
  setsockopt(v.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  tc_close(&v);
  ck_assert_int_eq(farmemd_log_wait(&srv, tag, 1), 1);
  sleep_ms(50);
  ck_assert_int_eq(farmemd_log_count(&srv, tag), 1);
  healthy_still_served(&h, 2);
  tc_close(&h);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

START_TEST(stalled_peers_hit_the_idle_timeout) {
  const char *flags[] = {"--idle-timeout", "0.3", NULL};
  tclient h, slow, mute, deaf;
  farmemd_start(&srv, flags);
  tc_open_session(&h, srv.port, key_healthy);
  /* slowloris: a frame trickled one byte every 100 ms never completes in time */
  tc_open_session(&slow, srv.port, key_victim);
  static const uint8_t header[4] = {0, 0, 0x03, 0xe8};
  for (int i = 0; i < 4; i++) {
    tc_send_raw(&slow, &header[i], 1);
    sleep_ms(100);
  }
  uint8_t zero = 0;
  for (int i = 0; i < 20; i++) {
    if (tc_send_raw(&slow, &zero, 1), farmemd_log_count(&srv, "partial frame") > 0)
      break;
    sleep_ms(100);
  }
  ck_assert(tc_wait_closed(&slow));
  logged_once(&slow, "partial frame");
  tc_close(&slow);
  /* connected but silent: no hello */
  tc_connect(&mute, srv.port);
  ck_assert(tc_wait_closed(&mute));
  logged_once(&mute, "no hello within the idle timeout");
  tc_close(&mute);
  /* never reads its replies: the server stops reading it, then drops it */
  static uint8_t big[1 << 20];
  tc_open_session(&deaf, srv.port, key_victim);
  ck_assert_int_eq(tc_write(&deaf, 20, 0, big, sizeof big), FAR_OK);
  for (unsigned i = 0; i < 64; i++)
    far_wire_put_read(&deaf.out, i, 20, 0);
  tc_flush(&deaf);
  char tag[64];
  tc_closed_tag(&deaf, tag, sizeof tag);
  char needle[160];
  snprintf(needle, sizeof needle, "%s: peer did not read its replies within the idle timeout", tag);
  ck_assert_int_eq(farmemd_log_wait(&srv, needle, 1), 1);
  tc_close(&deaf);
  healthy_still_served(&h, 1);
  tc_close(&h);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

START_TEST(slow_but_steady_reader_is_kept) {
  const char *flags[] = {"--idle-timeout", "0.3", NULL};
  enum { OBJECTS = 24 };
  tclient c;
  static uint8_t big[1 << 20], chunk[256 << 10];
  farmemd_start(&srv, flags);
  tc_open_session(&c, srv.port, key_healthy);
  for (unsigned i = 0; i < OBJECTS; i++) {
    big[i] = (uint8_t)(i + 1);
    ck_assert_int_eq(tc_write(&c, 20, i, big, sizeof big), FAR_OK);
  }
  far_wire_begin_readv(&c.out, 7, OBJECTS);
  for (unsigned i = 0; i < OBJECTS; i++)
    far_wire_add_read(&c.out, 20, i);
  ck_assert_int_eq(far_wire_end(&c.out), 0);
  tc_flush(&c);
  /* one 24 MiB reply taken 256 KiB every 10 ms: ~1 s, well past the idle timeout, but the
   * reader never stalls that long */
  size_t total = 0, need = 4;
  for (int guard = 0; total < need && guard < 2000; guard++) {
    sleep_ms(10);
    ssize_t n = recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n <= 0)
      continue;
    if (total < 4 && total + (size_t)n >= 4)
      need = 4 + ((size_t)chunk[0] << 24 | (size_t)chunk[1] << 16 | (size_t)chunk[2] << 8 | chunk[3]);
    total += (size_t)n;
  }
  ck_assert_uint_gt(need, (size_t)OBJECTS << 20);
  ck_assert_uint_eq(total, need);
  ck_assert_int_eq(farmemd_log_count(&srv, "closed"), 0);
  healthy_still_served(&c, 1);
  tc_close(&c);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

START_TEST(connections_beyond_max_conns_are_refused) {
  const char *flags[] = {"--max-conns", "3", NULL};
  tclient c[3], extra;
  farmemd_start(&srv, flags);
  for (int i = 0; i < 3; i++)
    tc_open_session(&c[i], srv.port, key_healthy);
  tc_connect(&extra, srv.port);
  ck_assert(tc_wait_closed(&extra));
  tc_close(&extra);
  ck_assert_int_eq(farmemd_log_wait(&srv, "refused a connection: --max-conns (3) reached", 1), 1);
  for (int i = 0; i < 3; i++)
    healthy_still_served(&c[i], (uint64_t)i);
  tc_close(&c[0]);
  ck_assert_int_eq(farmemd_log_wait(&srv, "peer closed the connection", 1), 1);
  tc_open_session(&extra, srv.port, key_healthy);
  healthy_still_served(&extra, 9);
  tc_close(&extra);
  tc_close(&c[1]);
  tc_close(&c[2]);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

/* One round of hostile connections of every kind. */
static void hostile_round(void) {
  tclient v;
  uint8_t frame[64];
  static uint8_t chunk[1 << 20];
  static const uint8_t absurd[4] = {0x7f, 0xff, 0xff, 0xff}, big_header[4] = {0x01, 0xff, 0xff, 0xff};
  tc_connect(&v, srv.port);
  tc_send_raw(&v, absurd, 4);
  tc_wait_closed(&v);
  tc_close(&v);
  /* announces a 32 MiB frame, sends 2 MiB of it, disconnects */
  tc_open_session(&v, srv.port, key_victim);
  tc_send_raw(&v, big_header, 4);
  tc_send_raw(&v, chunk, sizeof chunk);
  tc_send_raw(&v, chunk, sizeof chunk);
  tc_close(&v);
  tc_open_session(&v, srv.port, key_victim);
  tc_send_raw(&v, frame, frame_hex("924d01", frame));
  tc_wait_closed(&v);
  tc_close(&v);
  /* stores objects, then resets the connection: the namespace must go with it */
  tc_open_session(&v, srv.port, key_victim);
  for (unsigned i = 0; i < 64; i++)
    far_wire_put_write(&v.out, i, 14, i, chunk, 1 << 14);
  tc_flush(&v);
  struct linger lg = {1, 0};
  setsockopt(v.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  tc_close(&v);
}

START_TEST(memory_does_not_grow_under_repeated_hostile_connections) {
  tclient h;
  farmemd_start(&srv, NULL);
  tc_open_session(&h, srv.port, key_healthy);
  for (int i = 0; i < 20; i++)
    hostile_round();
  ck_assert_int_eq(farmemd_log_wait(&srv, "closed", 80), 80);
  long before = farmemd_rss_kb(&srv);
  time_t deadline = time(NULL) + 60;
  int rounds = 0;
  while (rounds < 200 && time(NULL) < deadline) {
    hostile_round();
    rounds++;
  }
  ck_assert_int_eq(farmemd_log_wait(&srv, "closed", 4 * (20 + rounds)), 4 * (20 + rounds));
  long after = farmemd_rss_kb(&srv);
  fprintf(stderr, "farmemd RSS: %ld kB after warm-up, %ld kB after %d more hostile rounds\n", before, after, rounds);
  ck_assert_msg(after - before < 8 * 1024, "RSS grew from %ld kB to %ld kB", before, after);
  ck_assert_uint_eq(tc_stat(&h, "namespaces"), 1);
  ck_assert_uint_eq(tc_stat(&h, "used"), 0);
  healthy_still_served(&h, 1);
  tc_close(&h);
  ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0);
}
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("farmemd-hostile");
  TCase *tc = tcase_create("hostile");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, malformed_frames_close_only_that_connection);
  tcase_add_test(tc, state_and_version_errors_reply_then_close);
  tcase_add_test(tc, token_is_required_when_configured);
  tcase_add_test(tc, disconnects_mid_frame_and_abrupt_resets);
  tcase_add_test(tc, stalled_peers_hit_the_idle_timeout);
  tcase_add_test(tc, slow_but_steady_reader_is_kept);
  tcase_add_test(tc, connections_beyond_max_conns_are_refused);
  suite_add_tcase(s, tc);
  TCase *memory = tcase_create("memory");
  tcase_set_timeout(memory, 120);
  tcase_add_test(memory, memory_does_not_grow_under_repeated_hostile_connections);
  suite_add_tcase(s, memory);
  return farmemd_test_main(argc, argv, s);
}
