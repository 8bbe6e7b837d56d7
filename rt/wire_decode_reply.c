/* Validation of reply bodies on the client side: a server is trusted no more than a client is, so
 * a reply that does not have exactly the documented shape is a protocol error. */
#include "wire_internal.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

/* Statuses at or above this are the client's own and never appear on the wire. */
#define WIRE_STATUS_LIMIT 100u
/* Most entries a STATS reply may carry. */
#define WIRE_MAX_STATS 1024u

static int decode_hello_results(far_mp *m, far_wire_rep *rep, const char **why) {
  uint64_t version, max_frame;
  if (far_mp_uint(m, &version) != 0 || version > UINT32_MAX || far_mp_uint(m, &max_frame) != 0 ||
      max_frame > UINT32_MAX)
    FAIL("hello reply lacks version or frame limit");
  rep->version = (uint32_t)version;
  rep->max_frame = (uint32_t)max_frame;
  return 0;
}

static int decode_readv_results(far_mp *m, far_wire_rep *rep, const char **why) {
  uint32_t n;
  if (far_mp_array(m, &n) != 0 || n > FAR_WIRE_MAX_BATCH)
    FAIL("readv reply is not an array of at most the batch limit");
  rep->items = (far_wire_list){m->p, m->end, n, FAR_LIST_DATA};
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *data;
    uint32_t len;
    if (far_mp_bin(m, &data, &len) != 0 || len > (1u << FAR_WIRE_CLASS_MAX))
      FAIL("readv reply element is not object data");
  }
  return 0;
}

static int decode_stats_results(far_mp *m, far_wire_rep *rep, const char **why) {
  uint32_t n;
  if (far_mp_map(m, &n) != 0 || n > WIRE_MAX_STATS)
    FAIL("stats reply is not a map of at most 1024 entries");
  rep->items = (far_wire_list){m->p, m->end, n, FAR_LIST_STATS};
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *name;
    uint32_t len;
    uint64_t value;
    if (far_mp_str(m, &name, &len) != 0 || far_mp_uint(m, &value) != 0)
      FAIL("stats reply entry is not name: unsigned integer");
  }
  return 0;
}

/* The results after [op, rid, status]. */
static int decode_results(far_mp *m, uint32_t nresults, far_wire_rep *rep, const char **why) {
  if (rep->op == FAR_OP_HELLO) {
    if (nresults != 2)
      FAIL("hello reply has the wrong number of fields");
    return decode_hello_results(m, rep, why);
  }
  int has_result = rep->status == FAR_OK && (rep->op == FAR_OP_READ || rep->op == FAR_OP_READV ||
                                            rep->op == FAR_OP_STATS || rep->op == FAR_OP_OFFLOAD);
  if (nresults != (has_result ? 1u : 0u))
    FAIL("reply has the wrong number of fields for its op and status");
  switch (has_result ? rep->op : 0) {
  case FAR_OP_READ:
    if (far_mp_bin(m, &rep->data, &rep->len) != 0 || rep->len > (1u << FAR_WIRE_CLASS_MAX))
      FAIL("read reply data is not object data");
    return 0;
  case FAR_OP_OFFLOAD:
    if (far_mp_bin(m, &rep->data, &rep->len) != 0)
      FAIL("offload reply result is not a bin");
    return 0;
  case FAR_OP_READV: return decode_readv_results(m, rep, why);
  case FAR_OP_STATS: return decode_stats_results(m, rep, why);
  default: return 0;
  }
}

int far_wire_decode_reply(const uint8_t *body, size_t len, far_wire_rep *rep, const char **why) {
  far_mp m = {body, body + len};
  uint32_t n;
  uint64_t op, status;
  memset(rep, 0, sizeof *rep);
  if (far_mp_array(&m, &n) != 0 || n < 3)
    FAIL("reply is not an array [op, id, status, ...]");
  if (far_mp_uint(&m, &op) != 0 || op < FAR_OP_HELLO || op > FAR_OP_BYE)
    FAIL("reply op unknown");
  rep->op = (unsigned)op;
  if (far_mp_uint(&m, &rep->rid) != 0)
    FAIL("reply id is not an unsigned integer");
  if (far_mp_uint(&m, &status) != 0 || status >= WIRE_STATUS_LIMIT)
    FAIL("reply status is not a wire status");
  rep->status = (int)status;
  if (decode_results(&m, n - 3, rep, why) != 0)
    return -1;
  if (m.p != m.end)
    FAIL("trailing bytes after the reply");
  return 0;
}

/* Longest [READV, rid, OK, [n: fixarray, op, uint64 id, status, array32 header. */
#define READV_HEAD_MAX (1 + 1 + 9 + 1 + 5)

int far_wire_readv_head(const uint8_t *body, size_t avail, uint64_t *rid, uint32_t *n, size_t *used) {
  far_mp m = {body, body + avail};
  uint32_t fields;
  uint64_t op, status;
  if (far_mp_array(&m, &fields) != 0 || far_mp_uint(&m, &op) != 0 || far_mp_uint(&m, rid) != 0 ||
      far_mp_uint(&m, &status) != 0 || far_mp_array(&m, n) != 0)
    return avail < READV_HEAD_MAX ? 0 : -1;
  if (fields != 4 || op != FAR_OP_READV || status != FAR_OK || *n > FAR_WIRE_MAX_BATCH)
    return -1;
  *used = (size_t)(m.p - body);
  return 1;
}

int far_wire_data_head(const uint8_t *p, size_t avail, uint32_t *len, size_t *used) {
  if (avail == 0)
    return 0;
  size_t need = p[0] == 0xc4 ? 2 : p[0] == 0xc5 ? 3 : p[0] == 0xc6 ? 5 : 0;
  if (need == 0)
    return -1;
  if (avail < need)
    return 0;
  uint32_t v = 0;
  for (size_t i = 1; i < need; i++)
    v = v << 8 | p[i];
  if (v > (1u << FAR_WIRE_CLASS_MAX))
    return -1;
  *len = v;
  *used = need;
  return 1;
}

size_t far_wire_data_head_size(uint32_t len) { return len < 256 ? 2 : len < 65536 ? 3 : 5; }
