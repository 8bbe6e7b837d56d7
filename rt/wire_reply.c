/* Encoding of replies (farmemd's side of the protocol). A reply repeats the request's op and id
 * and carries a status; results follow only when the status is FAR_OK (HELLO always has them). */
#include "wire_internal.h"

static void open_reply(far_wbuf *b, msgpack_packer *pk, unsigned op, uint64_t rid, int status,
                       unsigned nresults) {
  far_wire_open(b, pk);
  msgpack_pack_array(pk, 3 + nresults);
  msgpack_pack_unsigned_int(pk, op);
  msgpack_pack_uint64(pk, rid);
  msgpack_pack_unsigned_int(pk, (unsigned)status);
}

int far_wire_put_status(far_wbuf *b, unsigned op, uint64_t rid, int status) {
  msgpack_packer pk;
  open_reply(b, &pk, op, rid, status, 0);
  return far_wire_end(b);
}

int far_wire_put_hello_reply(far_wbuf *b, uint64_t rid, int status) {
  msgpack_packer pk;
  open_reply(b, &pk, FAR_OP_HELLO, rid, status, 2);
  msgpack_pack_uint32(&pk, FAR_WIRE_VERSION);
  msgpack_pack_uint32(&pk, FAR_WIRE_MAX_FRAME);
  return far_wire_end(b);
}

int far_wire_put_data_reply(far_wbuf *b, unsigned op, uint64_t rid, const void *data, uint32_t len) {
  msgpack_packer pk;
  open_reply(b, &pk, op, rid, FAR_OK, 1);
  msgpack_pack_bin(&pk, len);
  msgpack_pack_bin_body(&pk, data, len);
  return far_wire_end(b);
}

void far_wire_begin_readv_reply(far_wbuf *b, uint64_t rid, uint32_t n) {
  msgpack_packer pk;
  open_reply(b, &pk, FAR_OP_READV, rid, FAR_OK, 1);
  msgpack_pack_array(&pk, n);
}

void far_wire_add_data_head(far_wbuf *b, uint32_t len) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, b, far_wbuf_append);
  msgpack_pack_bin(&pk, len);
}

void far_wire_add_data(far_wbuf *b, const void *data, uint32_t len) {
  far_wire_add_data_head(b, len);
  far_wbuf_append(b, data, len);
}

void far_wire_begin_stats_reply(far_wbuf *b, uint64_t rid, uint32_t n) {
  msgpack_packer pk;
  open_reply(b, &pk, FAR_OP_STATS, rid, FAR_OK, 1);
  msgpack_pack_map(&pk, n);
}

void far_wire_add_stat(far_wbuf *b, const char *name, uint64_t value) {
  msgpack_packer pk;
  size_t len = strlen(name);
  msgpack_packer_init(&pk, b, far_wbuf_append);
  msgpack_pack_str(&pk, len);
  msgpack_pack_str_body(&pk, name, len);
  msgpack_pack_uint64(&pk, value);
}
