/* A strict, allocation-free msgpack reader for untrusted input: each call reads one value of the
 * expected type, checks that it lies entirely inside the input, and fails otherwise. */
#include "wire_internal.h"

static int need(const far_mp *m, size_t n) { return (size_t)(m->end - m->p) >= n ? 0 : -1; }

static uint64_t be(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* Reads an n-byte big-endian length or count after the type byte. */
static int take_len(far_mp *m, unsigned n, uint32_t *out) {
  if (need(m, 1 + n) != 0)
    return -1;
  *out = (uint32_t)be(m->p + 1, n);
  m->p += 1 + n;
  return 0;
}

/* A container header: fix form (fix_tag..fix_tag+15) or 16/32-bit counts. */
static int container(far_mp *m, uint8_t fix_tag, uint8_t tag16, uint8_t tag32, uint32_t *n) {
  if (need(m, 1) != 0)
    return -1;
  uint8_t t = *m->p;
  if ((t & 0xf0) == fix_tag) {
    *n = t & 0x0f;
    m->p++;
    return 0;
  }
  if (t == tag16)
    return take_len(m, 2, n);
  if (t == tag32)
    return take_len(m, 4, n);
  return -1;
}

int far_mp_array(far_mp *m, uint32_t *n) { return container(m, 0x90, 0xdc, 0xdd, n); }
int far_mp_map(far_mp *m, uint32_t *n) { return container(m, 0x80, 0xde, 0xdf, n); }

int far_mp_uint(far_mp *m, uint64_t *v) {
  if (need(m, 1) != 0)
    return -1;
  uint8_t t = *m->p;
  if (t <= 0x7f) {
    *v = t;
    m->p++;
    return 0;
  }
  unsigned n;
  int is_signed = 0;
  switch (t) {
  case 0xcc: n = 1; break;
  case 0xcd: n = 2; break;
  case 0xce: n = 4; break;
  case 0xcf: n = 8; break;
  case 0xd0: n = 1; is_signed = 1; break;
  case 0xd1: n = 2; is_signed = 1; break;
  case 0xd2: n = 4; is_signed = 1; break;
  case 0xd3: n = 8; is_signed = 1; break;
  default: return -1; /* negative fixint and every non-integer */
  }
  if (need(m, 1 + n) != 0)
    return -1;
  uint64_t x = be(m->p + 1, n);
  if (is_signed && (x >> (8 * n - 1)) != 0)
    return -1; /* negative */
  *v = x;
  m->p += 1 + n;
  return 0;
}

/* The header of a bin or str: the length form decides its size. */
static int blob_head(far_mp *c, const uint8_t tags[3], int fixstr, uint32_t *len) {
  if (need(c, 1) != 0)
    return -1;
  uint8_t t = *c->p;
  if (fixstr && (t & 0xe0) == 0xa0) {
    *len = t & 0x1f;
    c->p++;
    return 0;
  }
  if (t == tags[0] || t == tags[1] || t == tags[2])
    return take_len(c, t == tags[0] ? 1 : t == tags[1] ? 2 : 4, len);
  return -1;
}

/* A bin or str whose body must be inside the input. */
static int blob(far_mp *m, const uint8_t tags[3], int fixstr, const uint8_t **data, uint32_t *len) {
  far_mp c = *m; /* m moves only on success, so a caller may try another type */
  if (blob_head(&c, tags, fixstr, len) != 0 || need(&c, *len) != 0)
    return -1;
  *data = c.p;
  m->p = c.p + *len;
  return 0;
}

static const uint8_t bin_tags[3] = {0xc4, 0xc5, 0xc6};

int far_mp_bin(far_mp *m, const uint8_t **data, uint32_t *len) { return blob(m, bin_tags, 0, data, len); }

int far_mp_bin_head(far_mp *m, uint32_t *len) {
  far_mp c = *m;
  if (blob_head(&c, bin_tags, 0, len) != 0)
    return -1;
  m->p = c.p;
  return 0;
}

int far_mp_str(far_mp *m, const uint8_t **data, uint32_t *len) {
  static const uint8_t tags[3] = {0xd9, 0xda, 0xdb};
  return blob(m, tags, 1, data, len);
}

int far_mp_nil(far_mp *m) {
  if (need(m, 1) != 0 || *m->p != 0xc0)
    return 0;
  m->p++;
  return 1;
}
