/* Encoding of requests (the client's side of the protocol), one frame per call; see
 * docs/protocol.md for the layout of each op. */
#include "wire_internal.h"

/* Opens a request frame [op, rid, ...] of nargs arguments. */
static void open_request(far_wbuf *b, msgpack_packer *pk, unsigned op, uint64_t rid, unsigned nargs) {
  far_wire_open(b, pk);
  msgpack_pack_array(pk, 2 + nargs);
  msgpack_pack_unsigned_int(pk, op);
  msgpack_pack_uint64(pk, rid);
}

static void pack_bin(msgpack_packer *pk, const void *data, size_t len) {
  msgpack_pack_bin(pk, len);
  msgpack_pack_bin_body(pk, data, len);
}

int far_wire_put_hello(far_wbuf *b, uint64_t rid, uint32_t version, const void *token, size_t token_len,
                       const uint8_t *key) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_HELLO, rid, 3);
  msgpack_pack_uint32(&pk, version);
  if (token)
    pack_bin(&pk, token, token_len);
  else
    msgpack_pack_nil(&pk);
  pack_bin(&pk, key, FAR_WIRE_SESSION_KEY_LEN);
  return far_wire_end(b);
}

int far_wire_put_read(far_wbuf *b, uint64_t rid, unsigned cls, uint64_t obj) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_READ, rid, 2);
  msgpack_pack_unsigned_int(&pk, cls);
  msgpack_pack_uint64(&pk, obj);
  return far_wire_end(b);
}

int far_wire_put_write(far_wbuf *b, uint64_t rid, unsigned cls, uint64_t obj, const void *data, uint32_t len) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_WRITE, rid, 3);
  msgpack_pack_unsigned_int(&pk, cls);
  msgpack_pack_uint64(&pk, obj);
  pack_bin(&pk, data, len);
  return far_wire_end(b);
}

int far_wire_put_free(far_wbuf *b, uint64_t rid, unsigned cls, uint64_t obj, uint64_t count) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_FREE, rid, 3);
  msgpack_pack_unsigned_int(&pk, cls);
  msgpack_pack_uint64(&pk, obj);
  msgpack_pack_uint64(&pk, count);
  return far_wire_end(b);
}

int far_wire_put_stats(far_wbuf *b, uint64_t rid) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_STATS, rid, 0);
  return far_wire_end(b);
}

int far_wire_put_bye(far_wbuf *b, uint64_t rid) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_BYE, rid, 0);
  return far_wire_end(b);
}

int far_wire_put_offload(far_wbuf *b, uint64_t rid, const char *name, const void *args, size_t args_len) {
  msgpack_packer pk;
  size_t name_len = strlen(name);
  open_request(b, &pk, FAR_OP_OFFLOAD, rid, 2);
  msgpack_pack_str(&pk, name_len);
  msgpack_pack_str_body(&pk, name, name_len);
  pack_bin(&pk, args, args_len);
  return far_wire_end(b);
}

/* Batch elements are packed through a packer bound to the buffer at each call, so the caller
 * keeps no packer between begin, add and end. */
void far_wire_begin_readv(far_wbuf *b, uint64_t rid, uint32_t n) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_READV, rid, 1);
  msgpack_pack_array(&pk, n);
}

void far_wire_add_read(far_wbuf *b, unsigned cls, uint64_t obj) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, b, far_wbuf_append);
  msgpack_pack_array(&pk, 2);
  msgpack_pack_unsigned_int(&pk, cls);
  msgpack_pack_uint64(&pk, obj);
}

void far_wire_begin_writev(far_wbuf *b, uint64_t rid, uint32_t n) {
  msgpack_packer pk;
  open_request(b, &pk, FAR_OP_WRITEV, rid, 1);
  msgpack_pack_array(&pk, n);
}

void far_wire_add_write_head(far_wbuf *b, unsigned cls, uint64_t obj, uint32_t len) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, b, far_wbuf_append);
  msgpack_pack_array(&pk, 3);
  msgpack_pack_unsigned_int(&pk, cls);
  msgpack_pack_uint64(&pk, obj);
  msgpack_pack_bin(&pk, len);
}

void far_wire_add_write(far_wbuf *b, unsigned cls, uint64_t obj, const void *data, uint32_t len) {
  far_wire_add_write_head(b, cls, obj, len);
  far_wbuf_append(b, data, len);
}
