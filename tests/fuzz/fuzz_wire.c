/* libFuzzer target for the untrusted-input side of the wire codec: the incremental frame reader
 * and the request and reply validators.
 * Input: one byte choosing how the rest is split into reads (1..256 bytes at a time, as a socket
 * might deliver it), then the byte stream a peer sent. Properties checked besides memory safety:
 * the reader never holds more than one maximal frame; an accepted request obeys every documented
 * limit, survives re-encoding unchanged, and is also valid msgpack to msgpack-c. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include "far/wire_codec.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* Encodes the request again and checks the result decodes to the same thing. */
static void check_reencodes(const far_wire_req *q) {
  far_wbuf b;
  far_wire_req q2;
  const char *why;
  far_wbuf_init(&b);
  switch (q->op) {
  case FAR_OP_HELLO: far_wire_put_hello(&b, q->rid, q->version, q->token, q->token_len, q->key); break;
  case FAR_OP_READ: far_wire_put_read(&b, q->rid, q->cls, q->obj); break;
  case FAR_OP_WRITE: far_wire_put_write(&b, q->rid, q->cls, q->obj, q->data, q->len); break;
  case FAR_OP_FREE: far_wire_put_free(&b, q->rid, q->cls, q->obj, q->count); break;
  case FAR_OP_STATS: far_wire_put_stats(&b, q->rid); break;
  case FAR_OP_BYE: far_wire_put_bye(&b, q->rid); break;
  default: far_wbuf_free(&b); return; /* batches and offload: checked element-wise below */
  }
  CHECK(b.len > 4);
  CHECK(far_wire_decode_request(b.data + 4, b.len - 4, &q2, &why) == 0);
  CHECK(q2.op == q->op && q2.rid == q->rid && q2.cls == q->cls && q2.obj == q->obj && q2.len == q->len &&
        q2.count == q->count && q2.version == q->version && q2.token_len == q->token_len);
  CHECK(q->len == 0 || memcmp(q2.data, q->data, q->len) == 0);
  far_wbuf_free(&b);
}

static void check_request(const uint8_t *body, uint32_t len) {
  far_wire_req q;
  far_wire_item it;
  const char *why = NULL;
  if (far_wire_decode_request(body, len, &q, &why) != 0) {
    CHECK(why != NULL);
    return;
  }
  CHECK(q.op >= FAR_OP_HELLO && q.op <= FAR_OP_BYE);
  if (q.op == FAR_OP_READ || q.op == FAR_OP_WRITE || q.op == FAR_OP_FREE) {
    CHECK(q.cls >= FAR_WIRE_CLASS_MIN && q.cls <= FAR_WIRE_CLASS_MAX);
    CHECK(q.obj >> (FAR_WIRE_OFFSET_BITS - q.cls) == 0);
    CHECK(q.len <= (1u << q.cls));
  }
  if (q.op == FAR_OP_READV || q.op == FAR_OP_WRITEV) {
    uint32_t n = 0;
    CHECK(q.items.left >= 1 && q.items.left <= FAR_WIRE_MAX_BATCH);
    while (far_wire_list_next(&q.items, &it)) {
      CHECK(it.cls >= FAR_WIRE_CLASS_MIN && it.cls <= FAR_WIRE_CLASS_MAX && it.len <= (1u << it.cls));
      CHECK(it.obj >> (FAR_WIRE_OFFSET_BITS - it.cls) == 0);
      CHECK(it.len == 0 || (it.data >= body && it.data + it.len <= body + len));
      n++;
    }
    CHECK(n >= 1);
  }
  check_reencodes(&q);
  msgpack_unpacked u;
  size_t off = 0;
  msgpack_unpacked_init(&u);
  CHECK(msgpack_unpack_next(&u, (const char *)body, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len);
  msgpack_unpacked_destroy(&u);
}

static void check_reply(const uint8_t *body, uint32_t len) {
  far_wire_rep r;
  far_wire_item it;
  const char *why = NULL;
  if (far_wire_decode_reply(body, len, &r, &why) != 0)
    return;
  while (far_wire_list_next(&r.items, &it))
    CHECK((it.len == 0 || (it.data >= body && it.data + it.len <= body + len)) &&
          (it.name_len == 0 || ((const uint8_t *)it.name >= body && (const uint8_t *)it.name + it.name_len <= body + len)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t chunk = (size_t)data[0] + 1;
  far_frame_reader r;
  far_frame_reader_init(&r);
  for (size_t off = 1; off < size;) {
    size_t want = size - off < chunk ? size - off : chunk;
    size_t took = far_frame_reader_feed(&r, data + off, want);
    CHECK(r.cap <= 4 + (size_t)FAR_WIRE_MAX_FRAME);
    off += took;
    const uint8_t *body;
    uint32_t len;
    const char *why;
    int k;
    while ((k = far_frame_reader_next(&r, &body, &len, &why)) == 1) {
      check_request(body, len);
      check_reply(body, len);
    }
    if (k < 0 || took == 0)
      break; /* a bad length closes the connection */
  }
  far_frame_reader_free(&r);
  return 0;
}
