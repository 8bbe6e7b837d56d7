/* Validation of request bodies, the server's first line of defence: a request is accepted only if
 * every field has the expected type and range and nothing follows it. Lists are checked in full
 * here, so far_wire_list_next can later walk them without checks. */
#include "wire_internal.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

/* cls and obj of one object reference. */
static int decode_ref(far_mp *m, unsigned *cls, uint64_t *obj, const char **why) {
  uint64_t c;
  if (far_mp_uint(m, &c) != 0)
    FAIL("size class is not an unsigned integer");
  if (c < FAR_WIRE_CLASS_MIN || c > FAR_WIRE_CLASS_MAX)
    FAIL("size class out of range");
  if (far_mp_uint(m, obj) != 0)
    FAIL("object id is not an unsigned integer");
  if (*obj >> (FAR_WIRE_OFFSET_BITS - c) != 0)
    FAIL("object id out of range for its size class");
  *cls = (unsigned)c;
  return 0;
}

static int decode_data(far_mp *m, unsigned cls, const uint8_t **data, uint32_t *len, const char **why) {
  if (far_mp_bin(m, data, len) != 0)
    FAIL("object data is not a bin");
  if (*len > (1u << cls))
    FAIL("object data longer than its size class");
  return 0;
}

static int decode_hello(far_mp *m, far_wire_req *req, const char **why) {
  uint64_t version;
  uint32_t key_len;
  if (far_mp_uint(m, &version) != 0 || version > UINT32_MAX)
    FAIL("hello version is not a 32-bit unsigned integer");
  req->version = (uint32_t)version;
  if (!far_mp_nil(m) && far_mp_bin(m, &req->token, &req->token_len) != 0 &&
      far_mp_str(m, &req->token, &req->token_len) != 0)
    FAIL("hello token is not nil, bin or str");
  if (req->token_len > FAR_WIRE_MAX_TOKEN)
    FAIL("hello token too long");
  if (far_mp_bin(m, &req->key, &key_len) != 0 || key_len != FAR_WIRE_SESSION_KEY_LEN)
    FAIL("hello session key is not a 16-byte bin");
  return 0;
}

static int decode_free(far_mp *m, far_wire_req *req, const char **why) {
  if (decode_ref(m, &req->cls, &req->obj, why) != 0)
    return -1;
  if (far_mp_uint(m, &req->count) != 0)
    FAIL("free count is not an unsigned integer");
  uint64_t ids = 1ull << (FAR_WIRE_OFFSET_BITS - req->cls);
  if (req->count == 0 || req->count > ids - req->obj)
    FAIL("free range empty or beyond its size class");
  return 0;
}

static int decode_offload(far_mp *m, far_wire_req *req, const char **why) {
  const uint8_t *name;
  if (far_mp_str(m, &name, &req->name_len) != 0)
    FAIL("offload name is not a str");
  if (req->name_len == 0 || req->name_len > FAR_WIRE_MAX_NAME)
    FAIL("offload name empty or too long");
  req->name = (const char *)name;
  if (far_mp_bin(m, &req->data, &req->len) != 0)
    FAIL("offload arguments are not a bin");
  return 0;
}

/* A batch's element count. */
static int decode_count(far_mp *m, uint32_t *n, const char **why) {
  if (far_mp_array(m, n) != 0)
    FAIL("batch is not an array");
  if (*n == 0 || *n > FAR_WIRE_MAX_BATCH)
    FAIL("batch empty or longer than the batch limit");
  return 0;
}

/* One batch element up to its data: [cls, obj] or [cls, obj, and the data's bin header (*len). */
static int decode_element_head(far_mp *m, int with_data, unsigned *cls, uint64_t *obj, uint32_t *len,
                               const char **why) {
  uint32_t arity;
  if (far_mp_array(m, &arity) != 0 || arity != 2u + (with_data ? 1u : 0u))
    FAIL("batch element has the wrong shape");
  if (decode_ref(m, cls, obj, why) != 0)
    return -1;
  if (!with_data)
    return 0;
  if (far_mp_bin_head(m, len) != 0)
    FAIL("object data is not a bin");
  if (*len > (1u << *cls))
    FAIL("object data longer than its size class");
  return 0;
}

/* [[cls, obj], ...] or [[cls, obj, data], ...]; records the list and the bytes it covers. */
static int decode_batch(far_mp *m, far_wire_req *req, int with_data, const char **why) {
  uint32_t n;
  if (decode_count(m, &n, why) != 0)
    return -1;
  req->items = (far_wire_list){m->p, m->end, n, with_data ? FAR_LIST_WRITEV_REQ : FAR_LIST_READV_REQ};
  req->bytes = 0;
  for (uint32_t i = 0; i < n; i++) {
    unsigned cls;
    uint64_t obj;
    uint32_t len;
    if (decode_element_head(m, with_data, &cls, &obj, &len, why) != 0)
      return -1;
    if (with_data && (size_t)(m->end - m->p) < len)
      FAIL("object data is not a bin");
    m->p += with_data ? len : 0;
    req->bytes += with_data ? len : 1u << cls;
  }
  if (!with_data && req->bytes > FAR_WIRE_MAX_READV_BYTES)
    FAIL("readv asks for more bytes than one reply may carry");
  return 0;
}

/* The arguments of each op, after [op, rid]: how many there are, then their decoding. */
static int decode_args(far_mp *m, uint32_t nargs, far_wire_req *req, const char **why) {
  static const uint8_t arity[] = {
      [FAR_OP_HELLO] = 3, [FAR_OP_READ] = 2,  [FAR_OP_READV] = 1,   [FAR_OP_WRITE] = 3, [FAR_OP_WRITEV] = 1,
      [FAR_OP_FREE] = 3,  [FAR_OP_STATS] = 0, [FAR_OP_OFFLOAD] = 2, [FAR_OP_BYE] = 0,
  };
  if (nargs != arity[req->op])
    FAIL("wrong number of request fields for its op");
  switch (req->op) {
  case FAR_OP_HELLO: return decode_hello(m, req, why);
  case FAR_OP_READ: return decode_ref(m, &req->cls, &req->obj, why);
  case FAR_OP_READV: return decode_batch(m, req, 0, why);
  case FAR_OP_WRITE:
    if (decode_ref(m, &req->cls, &req->obj, why) != 0)
      return -1;
    return decode_data(m, req->cls, &req->data, &req->len, why);
  case FAR_OP_WRITEV: return decode_batch(m, req, 1, why);
  case FAR_OP_FREE: return decode_free(m, req, why);
  case FAR_OP_OFFLOAD: return decode_offload(m, req, why);
  default: return 0; /* STATS, BYE: no arguments */
  }
}

int far_wire_decode_request(const uint8_t *body, size_t len, far_wire_req *req, const char **why) {
  far_mp m = {body, body + len};
  uint32_t n;
  uint64_t op;
  memset(req, 0, sizeof *req);
  if (far_mp_array(&m, &n) != 0)
    FAIL("request is not a msgpack array");
  if (n < 2)
    FAIL("request lacks op or request id");
  if (far_mp_uint(&m, &op) != 0)
    FAIL("op is not an unsigned integer");
  if (op < FAR_OP_HELLO || op > FAR_OP_BYE)
    FAIL("unknown op");
  req->op = (unsigned)op;
  if (far_mp_uint(&m, &req->rid) != 0)
    FAIL("request id is not an unsigned integer");
  if (decode_args(&m, n - 2, req, why) != 0)
    return -1;
  if (m.p != m.end)
    FAIL("trailing bytes after the request");
  return 0;
}

/* A piece that failed to decode from avail bytes: more may complete it, unless avail holds all that
 * is left of the frame or as much as the longest piece. */
static int incomplete_or_bad(size_t avail, int whole) { return !whole && avail < FAR_WIRE_WRITEV_PIECE_MAX ? 0 : -1; }

int far_wire_writev_head(const uint8_t *body, size_t avail, int whole, uint64_t *rid, uint32_t *n,
                         size_t *used, const char **why) {
  far_mp m = {body, body + avail};
  uint32_t fields;
  uint64_t op;
  *why = "not a writev";
  if (far_mp_array(&m, &fields) != 0 || far_mp_uint(&m, &op) != 0)
    return incomplete_or_bad(avail, whole);
  if (fields != 3 || op != FAR_OP_WRITEV)
    return -1;
  if (far_mp_uint(&m, rid) != 0) {
    *why = "request id is not an unsigned integer";
    return incomplete_or_bad(avail, whole);
  }
  if (decode_count(&m, n, why) != 0)
    return incomplete_or_bad(avail, whole);
  *used = (size_t)(m.p - body);
  return 1;
}

int far_wire_writev_element(const uint8_t *p, size_t avail, int whole, far_wire_item *it, size_t *used,
                            const char **why) {
  far_mp m = {p, p + avail};
  memset(it, 0, sizeof *it);
  if (decode_element_head(&m, 1, &it->cls, &it->obj, &it->len, why) != 0)
    return incomplete_or_bad(avail, whole);
  *used = (size_t)(m.p - p);
  return 1;
}
