/* Unit tests of the wire codec (farwire): every request and reply survives encode -> frame reader
 * -> decode unchanged, msgpack-c agrees with our frames, and every malformed body is rejected. */
#include <check.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include "far/wire_codec.h"
#include "harness.h"

static const uint8_t key[FAR_WIRE_SESSION_KEY_LEN] = "0123456789abcdef";

/* Feeds b's bytes one at a time (the worst fragmentation) and returns the one frame body. */
static uint8_t *single_frame(const far_wbuf *b, uint32_t *len) {
  far_frame_reader r;
  far_frame_reader_init(&r);
  const uint8_t *body = NULL;
  const char *why = NULL;
  int got = 0;
  for (size_t i = 0; i < b->len; i++) {
    ck_assert_uint_eq(far_frame_reader_feed(&r, b->data + i, 1), 1);
    int k = far_frame_reader_next(&r, &body, len, &why);
    ck_assert_int_ge(k, 0);
    if (k == 1) {
      ck_assert_uint_eq(i, b->len - 1);
      got = 1;
    }
  }
  ck_assert(got);
  uint8_t *copy = malloc(*len);
  memcpy(copy, body, *len);
  far_frame_reader_free(&r);
  return copy;
}

/* msgpack-c must parse the body as exactly one object of n elements. */
static void check_msgpack_agrees(const uint8_t *body, uint32_t len, uint32_t n) {
  msgpack_unpacked u;
  size_t off = 0;
  msgpack_unpacked_init(&u);
  ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)body, len, &off), MSGPACK_UNPACK_SUCCESS);
  ck_assert_uint_eq(off, len);
  ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_ARRAY);
  ck_assert_uint_eq(u.data.via.array.size, n);
  msgpack_unpacked_destroy(&u);
}

/* The one frame in b (then emptied); valid until the next call. */
static const uint8_t *take_frame(far_wbuf *b, uint32_t *len) {
  static uint8_t *body;
  free(body);
  body = single_frame(b, len);
  far_wbuf_reset(b);
  return body;
}

static void decode_req(far_wbuf *b, far_wire_req *req, uint32_t n) {
  uint32_t len;
  const uint8_t *body = take_frame(b, &len);
  check_msgpack_agrees(body, len, n);
  const char *why = NULL;
  ck_assert_msg(far_wire_decode_request(body, len, req, &why) == 0, "rejected: %s", why);
}

START_TEST(requests_round_trip) {
  far_wbuf b;
  far_wire_req q;
  uint8_t data[64];
  memset(data, 0x5a, sizeof data);
  far_wbuf_init(&b);
  ck_assert_int_eq(far_wire_put_hello(&b, 1, FAR_WIRE_VERSION, "tok", 3, key), 0);
  decode_req(&b, &q, 5);
  ck_assert_uint_eq(q.op, FAR_OP_HELLO);
  ck_assert_uint_eq(q.version, FAR_WIRE_VERSION);
  ck_assert_uint_eq(q.token_len, 3);
  ck_assert(memcmp(q.token, "tok", 3) == 0 && memcmp(q.key, key, 16) == 0);
  ck_assert_int_eq(far_wire_put_hello(&b, 1, 7, NULL, 0, key), 0);
  decode_req(&b, &q, 5);
  ck_assert(q.token == NULL && q.version == 7);

  ck_assert_int_eq(far_wire_put_read(&b, 1ull << 40, 6, (1ull << 45) - 1), 0);
  decode_req(&b, &q, 4);
  ck_assert(q.op == FAR_OP_READ && q.rid == 1ull << 40 && q.cls == 6 && q.obj == (1ull << 45) - 1);

  ck_assert_int_eq(far_wire_put_write(&b, 2, 6, 9, data, sizeof data), 0);
  decode_req(&b, &q, 5);
  ck_assert(q.op == FAR_OP_WRITE && q.cls == 6 && q.obj == 9 && q.len == 64 && q.data[63] == 0x5a);

  ck_assert_int_eq(far_wire_put_free(&b, 3, 20, 5, 10), 0);
  decode_req(&b, &q, 5);
  ck_assert(q.op == FAR_OP_FREE && q.cls == 20 && q.obj == 5 && q.count == 10);

  ck_assert_int_eq(far_wire_put_stats(&b, 4), 0);
  decode_req(&b, &q, 2);
  ck_assert_uint_eq(q.op, FAR_OP_STATS);
  ck_assert_int_eq(far_wire_put_bye(&b, 5), 0);
  decode_req(&b, &q, 2);
  ck_assert_uint_eq(q.op, FAR_OP_BYE);
  ck_assert_int_eq(far_wire_put_offload(&b, 6, "sum", data, 8), 0);
  decode_req(&b, &q, 4);
  ck_assert(q.op == FAR_OP_OFFLOAD && q.name_len == 3 && memcmp(q.name, "sum", 3) == 0 && q.len == 8);
  far_wbuf_free(&b);
}
END_TEST

START_TEST(batches_round_trip) {
  far_wbuf b;
  far_wire_req q;
  far_wire_item it;
  uint8_t data[100];
  far_wbuf_init(&b);
  far_wire_begin_readv(&b, 7, 300);
  for (unsigned i = 0; i < 300; i++)
    far_wire_add_read(&b, 4 + i % 9, i * 1000);
  ck_assert_int_eq(far_wire_end(&b), 0);
  decode_req(&b, &q, 3);
  ck_assert_uint_eq(q.items.left, 300);
  for (unsigned i = 0; far_wire_list_next(&q.items, &it); i++)
    ck_assert(it.cls == 4 + i % 9 && it.obj == i * 1000);

  far_wire_begin_writev(&b, 8, 100);
  for (unsigned i = 0; i < 100; i++) {
    data[i] = (uint8_t)i;
    far_wire_add_write(&b, 7, i, data, i + 1);
  }
  ck_assert_int_eq(far_wire_end(&b), 0);
  decode_req(&b, &q, 3);
  ck_assert_uint_eq(q.bytes, 100 * 101 / 2);
  for (unsigned i = 0; far_wire_list_next(&q.items, &it); i++)
    ck_assert(it.cls == 7 && it.obj == i && it.len == i + 1 && it.data[i] == i);
  far_wbuf_free(&b);
}
END_TEST

static void decode_rep(far_wbuf *b, far_wire_rep *rep) {
  uint32_t len;
  const uint8_t *body = take_frame(b, &len);
  const char *why = NULL;
  ck_assert_msg(far_wire_decode_reply(body, len, rep, &why) == 0, "rejected: %s", why);
}

START_TEST(replies_round_trip) {
  far_wbuf b;
  far_wire_rep r;
  far_wire_item it;
  far_wbuf_init(&b);
  ck_assert_int_eq(far_wire_put_hello_reply(&b, 1, FAR_EAUTH), 0);
  decode_rep(&b, &r);
  ck_assert(r.op == FAR_OP_HELLO && r.status == FAR_EAUTH && r.version == FAR_WIRE_VERSION &&
            r.max_frame == FAR_WIRE_MAX_FRAME);
  ck_assert_int_eq(far_wire_put_data_reply(&b, FAR_OP_READ, 2, "abc", 3), 0);
  decode_rep(&b, &r);
  ck_assert(r.op == FAR_OP_READ && r.rid == 2 && r.status == FAR_OK && r.len == 3 && memcmp(r.data, "abc", 3) == 0);
  ck_assert_int_eq(far_wire_put_status(&b, FAR_OP_WRITEV, 3, FAR_ENOSPC), 0);
  decode_rep(&b, &r);
  ck_assert(r.op == FAR_OP_WRITEV && r.status == FAR_ENOSPC);
  ck_assert_int_eq(far_wire_put_status(&b, FAR_OP_READ, 3, FAR_ESTATE), 0);
  decode_rep(&b, &r);
  ck_assert(r.op == FAR_OP_READ && r.status == FAR_ESTATE && r.data == NULL);
  far_wire_begin_readv_reply(&b, 4, 3);
  far_wire_add_data(&b, "", 0);
  far_wire_add_data(&b, "xy", 2);
  far_wire_add_data(&b, "z", 1);
  ck_assert_int_eq(far_wire_end(&b), 0);
  decode_rep(&b, &r);
  ck_assert_uint_eq(r.items.left, 3);
  ck_assert(far_wire_list_next(&r.items, &it) && it.len == 0);
  ck_assert(far_wire_list_next(&r.items, &it) && it.len == 2 && memcmp(it.data, "xy", 2) == 0);
  ck_assert(far_wire_list_next(&r.items, &it) && it.len == 1);
  ck_assert(!far_wire_list_next(&r.items, &it));
  far_wire_begin_stats_reply(&b, 5, 2);
  far_wire_add_stat(&b, "objects", 12);
  far_wire_add_stat(&b, "bytes", 1ull << 40);
  ck_assert_int_eq(far_wire_end(&b), 0);
  decode_rep(&b, &r);
  ck_assert(far_wire_list_next(&r.items, &it) && it.name_len == 7 && it.value == 12);
  ck_assert(far_wire_list_next(&r.items, &it) && memcmp(it.name, "bytes", 5) == 0 && it.value == 1ull << 40);
  far_wbuf_free(&b);
}
END_TEST

START_TEST(pipelined_frames_in_one_buffer) {
  far_wbuf b;
  far_frame_reader r;
  const uint8_t *body;
  uint32_t len;
  const char *why;
  far_wbuf_init(&b);
  far_frame_reader_init(&r);
  for (unsigned i = 0; i < 1000; i++)
    ck_assert_int_eq(far_wire_put_read(&b, i, 4, i), 0);
  size_t off = 0;
  unsigned seen = 0;
  while (off < b.len || far_frame_reader_pending(&r)) {
    off += far_frame_reader_feed(&r, b.data + off, b.len - off);
    int k;
    while ((k = far_frame_reader_next(&r, &body, &len, &why)) == 1) {
      far_wire_req q;
      ck_assert_int_eq(far_wire_decode_request(body, len, &q, &why), 0);
      ck_assert_uint_eq(q.rid, seen++);
    }
    ck_assert_int_eq(k, 0);
    if (off == b.len && far_frame_reader_pending(&r) == 0)
      break;
  }
  ck_assert_uint_eq(seen, 1000);
  far_frame_reader_free(&r);
  far_wbuf_free(&b);
}
END_TEST

START_TEST(reader_rejects_bad_lengths_at_once) {
  far_frame_reader r;
  const uint8_t *body;
  uint32_t len;
  const char *why = NULL;
  static const uint8_t zero[4] = {0, 0, 0, 0}, huge[4] = {0x02, 0, 0, 1}, max[4] = {0x02, 0, 0, 0};
  far_frame_reader_init(&r);
  far_frame_reader_feed(&r, zero, 4);
  ck_assert_int_eq(far_frame_reader_next(&r, &body, &len, &why), -1);
  ck_assert_str_eq(why, "frame length 0");
  far_frame_reader_free(&r);
  far_frame_reader_feed(&r, huge, 4);
  ck_assert_int_eq(far_frame_reader_next(&r, &body, &len, &why), -1);
  far_frame_reader_free(&r);
  /* A maximal frame announced but not sent costs no more than the initial buffer. */
  far_frame_reader_feed(&r, max, 4);
  ck_assert_int_eq(far_frame_reader_next(&r, &body, &len, &why), 0);
  size_t room;
  ck_assert_ptr_nonnull(far_frame_reader_space(&r, &room));
  ck_assert_uint_le(r.cap, 64u << 10);
  far_frame_reader_free(&r);
}
END_TEST

START_TEST(large_frame_grows_then_shrinks) {
  far_wbuf b;
  far_frame_reader r;
  const uint8_t *body;
  uint32_t len;
  const char *why;
  static uint8_t data[1 << 20];
  far_wbuf_init(&b);
  far_frame_reader_init(&r);
  ck_assert_int_eq(far_wire_put_write(&b, 1, 20, 0, data, sizeof data), 0);
  ck_assert_int_eq(far_wire_put_read(&b, 2, 4, 0), 0);
  size_t off = 0;
  int frames = 0;
  while (frames < 2) {
    off += far_frame_reader_feed(&r, b.data + off, b.len - off);
    ck_assert_uint_le(r.cap, 4 + FAR_WIRE_MAX_FRAME);
    while (far_frame_reader_next(&r, &body, &len, &why) == 1)
      frames++;
  }
  size_t room;
  far_frame_reader_space(&r, &room);
  ck_assert_uint_eq(r.cap, 64u << 10);
  far_frame_reader_free(&r);
  far_wbuf_free(&b);
}
END_TEST

/* A hand-written body must be rejected with the expected reason. */
static void expect_reject(const char *hex, const char *reason) {
  uint8_t body[256];
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++)
    sscanf(hex + 2 * i, "%2hhx", &body[i]);
  far_wire_req q;
  const char *why = NULL;
  ck_assert_msg(far_wire_decode_request(body, n, &q, &why) == -1, "accepted %s", hex);
  ck_assert_msg(strstr(why, reason) != NULL, "%s: got '%s', want '%s'", hex, why, reason);
}

START_TEST(malformed_requests_rejected) {
  expect_reject("c0", "not a msgpack array");
  expect_reject("91", "lacks op");
  expect_reject("92ff01", "op is not");
  expect_reject("924d01", "unknown op");
  expect_reject("9200a1", "unknown op");
  expect_reject("9202a0", "request id");
  expect_reject("940201", "size class is not");  /* truncated */
  expect_reject("9402010300", "size class out of range");
  expect_reject("9402011500", "size class out of range");
  expect_reject("94020104cf0000800000000000", "object id out of range");
  expect_reject("93020104", "wrong number");
  expect_reject("9402010400c0", "trailing bytes");
  expect_reject("95040104c4", "object id is not");
  expect_reject("95040104" "00" "c4110000000000000000000000000000000000", "longer than its size class");
  expect_reject("95040104" "00" "a3616263", "not a bin");
  expect_reject("95040104" "00" "c405616263", "not a bin");    /* bin body truncated */
  expect_reject("9506010400" "00", "free range");
  expect_reject("950601" "14" "cf000000007fffffff" "02", "free range");
  expect_reject("93030190", "batch empty");
  expect_reject("9303019193040000", "wrong shape");
  expect_reject("930301dd00010000", "batch empty");
  expect_reject("95010101c0c40f303132333435363738396162636465", "session key");
  expect_reject("9501010191c410303132333435363738396162636465", "token");
  expect_reject("940801a0c400", "offload name");
  expect_reject("930701c0", "wrong number");
  expect_reject("920701c0", "trailing bytes");
}
END_TEST

START_TEST(readv_reply_byte_limit) {
  /* 32 objects of 1 MiB exceed what one reply may carry. */
  far_wbuf b;
  far_wire_req q;
  const char *why = NULL;
  far_wbuf_init(&b);
  far_wire_begin_readv(&b, 1, 32);
  for (unsigned i = 0; i < 32; i++)
    far_wire_add_read(&b, 20, i);
  ck_assert_int_eq(far_wire_end(&b), 0);
  ck_assert_int_eq(far_wire_decode_request(b.data + 4, b.len - 4, &q, &why), -1);
  ck_assert(strstr(why, "more bytes") != NULL);
  far_wbuf_free(&b);
}
END_TEST

START_TEST(encoder_refuses_oversize_frame) {
  far_wbuf b;
  static uint8_t data[1 << 20];
  far_wbuf_init(&b);
  ck_assert_int_eq(far_wire_put_stats(&b, 1), 0);
  size_t before = b.len;
  far_wire_begin_writev(&b, 2, 40);
  for (unsigned i = 0; i < 40; i++)
    far_wire_add_write(&b, 20, i, data, sizeof data);
  ck_assert_int_eq(far_wire_end(&b), FAR_WIRE_ETOOBIG);
  ck_assert_uint_eq(b.len, before); /* the earlier frame is intact */
  far_wbuf_free(&b);
}
END_TEST

START_TEST(status_names) {
  ck_assert_str_eq(far_status_name(FAR_OK), "ok");
  ck_assert(strstr(far_status_name(FAR_ENOSPC), "capacity") != NULL);
  ck_assert(strstr(far_status_name(FAR_EAUTH), "token") != NULL);
  ck_assert_str_eq(far_status_name(12345), "unknown status");
}
END_TEST

int main(void) {
  Suite *s = suite_create("wire");
  TCase *tc = tcase_create("codec");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, requests_round_trip);
  tcase_add_test(tc, batches_round_trip);
  tcase_add_test(tc, replies_round_trip);
  tcase_add_test(tc, pipelined_frames_in_one_buffer);
  tcase_add_test(tc, reader_rejects_bad_lengths_at_once);
  tcase_add_test(tc, large_frame_grows_then_shrinks);
  tcase_add_test(tc, malformed_requests_rejected);
  tcase_add_test(tc, readv_reply_byte_limit);
  tcase_add_test(tc, encoder_refuses_oversize_frame);
  tcase_add_test(tc, status_names);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
