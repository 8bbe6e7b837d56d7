/* farmemd receiving large WRITEV frames in place (memserver/wstream.c): frames of 256 KiB and more
 * that arrive in pieces are stored exactly as the whole-frame path stores them (full objects
 * received into their buffers, small and partial ones, an object named twice, an object that
 * existed before, a request right behind the frame), all or nothing under the capacity limit; and
 * a malformed one closes its connection with one log line and changes no object. Runs the real
 * server binary (argv[1]). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "harness.h"

static farmemd_proc srv;
static const char key[] = "wstream-session.";

#define BIG 16 /* class of the 64 KiB objects */
#define OBJ (1u << BIG)

static void fill(uint8_t *buf, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static void stop(void) { ck_assert_int_eq(farmemd_signal_and_wait(&srv, SIGTERM), 0); }

/* The elements of the test frame: class, id, length, pattern seed. */
struct el {
  unsigned cls;
  uint64_t obj;
  uint32_t len;
  unsigned seed;
};
static const struct el els[] = {
    {BIG, 1, OBJ, 1},   {BIG, 2, OBJ, 2},     {6, 9, 40, 3},         {BIG, 3, 1000, 4}, {BIG, 5, OBJ, 5},
    {BIG, 1, OBJ, 6},   {20, 4, 1u << 20, 7}, {BIG, 300, OBJ, 8},    {BIG, 6, 0, 9},    {BIG, 7, OBJ, 10},
};
#define NELS (sizeof els / sizeof els[0])

/* Appends the test frame (request id rid) to b; at[i]: where element i starts in the body. */
static void put_frame(far_wbuf *b, uint64_t rid, size_t *at) {
  static uint8_t data[1u << 20];
  size_t frame = b->len;
  far_wire_begin_writev(b, rid, NELS);
  for (size_t i = 0; i < NELS; i++) {
    fill(data, els[i].len, els[i].seed);
    if (at)
      at[i] = b->len - frame - 4;
    far_wire_add_write(b, els[i].cls, els[i].obj, data, els[i].len);
  }
  ck_assert_int_eq(far_wire_end(b), 0);
}

/* Sends the queued bytes in pieces of 1 byte to 96 KiB, pausing now and then. */
static void send_in_pieces(tclient *c, unsigned seed) {
  srand(seed);
  for (size_t at = 0; at < c->out.len;) {
    size_t n = rand() % 4 == 0 ? 1 + (size_t)rand() % 30 : 1 + (size_t)rand() % (96u << 10);
    if (n > c->out.len - at)
      n = c->out.len - at;
    tc_send_raw(c, c->out.data + at, n);
    at += n;
    if (rand() % 8 == 0)
      nanosleep(&(struct timespec){0, 200000}, NULL);
  }
  far_wbuf_reset(&c->out);
}

/* (cls, obj) reads back as len bytes of pattern seed. */
static void check_object(tclient *c, unsigned cls, uint64_t obj, uint32_t len, unsigned seed) {
  static uint8_t back[1u << 20], expect[1u << 20];
  uint32_t stored;
  ck_assert_int_eq(tc_read(c, cls, obj, back, &stored), FAR_OK);
  fill(expect, len, seed);
  ck_assert_uint_eq(stored, len);
  ck_assert_msg(memcmp(back, expect, len) == 0, "object %u/%llu differs", cls, (unsigned long long)obj);
}

/* Each object the frame names reads back as the last element naming it wrote it. */
static void check_frame_stored(tclient *c) {
  for (size_t i = 0; i < NELS; i++) {
    size_t last = i;
    for (size_t j = i + 1; j < NELS; j++)
      if (els[j].cls == els[i].cls && els[j].obj == els[i].obj)
        last = j;
    check_object(c, els[i].cls, els[i].obj, els[last].len, els[last].seed);
  }
}

START_TEST(large_writev_in_pieces_is_stored) {
  tclient c;
  static uint8_t old[OBJ];
  farmemd_start(&srv, NULL);
  tc_open_session(&c, srv.port, key);
  fill(old, OBJ, 99);
  ck_assert_int_eq(tc_write(&c, BIG, 5, old, OBJ), FAR_OK); /* overwritten by the frame */
  ck_assert_int_eq(tc_write(&c, BIG, 8, old, OBJ), FAR_OK); /* not named by it */
  for (unsigned round = 0; round < 3; round++) {
    put_frame(&c.out, 500 + round, NULL);
    ck_assert_int_eq(far_wire_put_stats(&c.out, 600 + round), 0); /* right behind the frame */
    send_in_pieces(&c, round);
    ck_assert_int_eq(tc_recv(&c), 0);
    ck_assert(c.rep.op == FAR_OP_WRITEV && c.rep.rid == 500 + round && c.rep.status == FAR_OK);
    ck_assert_int_eq(tc_recv(&c), 0);
    ck_assert(c.rep.op == FAR_OP_STATS && c.rep.rid == 600 + round);
  }
  check_frame_stored(&c);
  check_object(&c, BIG, 8, OBJ, 99);
  ck_assert_uint_eq(tc_stat(&c, "ns_objects"), 9); /* 8 named with data (id 1 twice), plus id 8 */
  ck_assert_int_eq(farmemd_log_count(&srv, "closed"), 0);
  tc_close(&c);
  stop();
}
END_TEST

START_TEST(over_capacity_stores_nothing) {
  tclient c;
  const char *flags[] = {"--capacity", "1M", NULL};
  farmemd_start(&srv, flags);
  tc_open_session(&c, srv.port, key);
  put_frame(&c.out, 7, NULL);
  send_in_pieces(&c, 7);
  ck_assert_int_eq(tc_recv(&c), 0);
  ck_assert(c.rep.op == FAR_OP_WRITEV && c.rep.rid == 7 && c.rep.status == FAR_ENOSPC);
  ck_assert_uint_eq(tc_stat(&c, "used"), 0);
  check_object(&c, BIG, 1, 0, 0); /* the connection goes on */
  tc_close(&c);
  stop();
}
END_TEST

/* The test frame with body byte `at` set to b (none when at is 0), `extra` bytes (nil) after its
 * elements, and its length prefix `cut` bytes short of the body. */
static void bad_frame(far_wbuf *f, size_t at, int b, size_t extra, size_t cut) {
  far_wbuf_init(f);
  put_frame(f, 9, NULL);
  if (at)
    f->data[4 + at] = (uint8_t)b;
  for (size_t i = 0; i < extra; i++)
    far_wbuf_append(f, "\xc0", 1);
  uint32_t body = (uint32_t)(f->len - 4 - cut);
  f->data[0] = (uint8_t)(body >> 24), f->data[1] = (uint8_t)(body >> 16);
  f->data[2] = (uint8_t)(body >> 8), f->data[3] = (uint8_t)body;
  f->len -= cut;
}

/* A connection to the keeper's namespace sends send_len bytes of f (and goes away when that is not
 * all of it); the server closes it, logging reason once. */
static void expect_rejected(far_wbuf *f, size_t send_len, const char *reason) {
  tclient v;
  char tag[64], needle[256];
  tc_open_session(&v, srv.port, key);
  tc_send_raw(&v, f->data, send_len);
  if (send_len < f->len)
    shutdown(v.fd, SHUT_WR);
  ck_assert_msg(tc_wait_closed(&v), "connection not closed after: %s", reason);
  tc_closed_tag(&v, tag, sizeof tag);
  snprintf(needle, sizeof needle, "%s: %s", tag, reason);
  ck_assert_msg(farmemd_log_wait(&srv, needle, 1) == 1, "no log line '%s'", needle);
  ck_assert_int_eq(farmemd_log_count(&srv, tag), 1);
  tc_close(&v);
  far_wbuf_free(f);
}

START_TEST(malformed_large_writev_changes_nothing) {
  tclient keeper;
  static uint8_t old[OBJ];
  size_t at[NELS];
  far_wbuf f;
  farmemd_start(&srv, NULL);
  tc_open_session(&keeper, srv.port, key);
  fill(old, OBJ, 99);
  ck_assert_int_eq(tc_write(&keeper, BIG, 1, old, OBJ), FAR_OK);
  far_wbuf_init(&f);
  put_frame(&f, 9, at);
  far_wbuf_free(&f);
  bad_frame(&f, at[3] + 1, 30, 0, 0);
  expect_rejected(&f, f.len, "size class out of range");
  bad_frame(&f, at[2] + 1, 4, 0, 0); /* 40 bytes for a 16-byte class */
  expect_rejected(&f, f.len, "object data longer than its size class");
  bad_frame(&f, at[4] + 3, 0xc1, 0, 0); /* element 4's data: not a bin */
  expect_rejected(&f, f.len, "object data is not a bin");
  bad_frame(&f, 0, 0, 0, 100); /* the last element's data runs past the frame */
  expect_rejected(&f, f.len, "object data is not a bin");
  bad_frame(&f, 0, 0, 3, 0);
  expect_rejected(&f, f.len, "trailing bytes after the request");
  bad_frame(&f, 3, 0x90 + NELS + 1, 0, 0); /* one element more announced than sent */
  expect_rejected(&f, f.len, "batch element has the wrong shape");
  bad_frame(&f, 0, 0, 0, 0);
  expect_rejected(&f, f.len / 2, "peer closed the connection inside a frame");
  check_object(&keeper, BIG, 1, OBJ, 99);
  for (size_t i = 1; i < NELS; i++)
    if (els[i].obj != 1)
      check_object(&keeper, els[i].cls, els[i].obj, 0, 0);
  ck_assert_uint_eq(tc_stat(&keeper, "ns_objects"), 1);
  tc_close(&keeper);
  stop();
}
END_TEST

int main(int argc, char **argv) {
  Suite *s = suite_create("farmemd-wstream");
  TCase *tc = tcase_create("wstream");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, large_writev_in_pieces_is_stored);
  tcase_add_test(tc, over_capacity_stores_nothing);
  tcase_add_test(tc, malformed_large_writev_changes_nothing);
  suite_add_tcase(s, tc);
  return farmemd_test_main(argc, argv, s);
}
