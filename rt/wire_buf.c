/* The growable output buffer of the wire codec, and the opening and closing of frames in it:
 * a frame's 4-byte length prefix is reserved when it opens and filled in when it closes, so
 * encoders write the msgpack body straight into place. */
#include <stdlib.h>
#include <string.h>
#include "far/wire_codec.h"
#include "wire_internal.h"

void far_wbuf_init(far_wbuf *b) { memset(b, 0, sizeof *b); }

void far_wbuf_free(far_wbuf *b) {
  free(b->data);
  far_wbuf_init(b);
}

void far_wbuf_reset(far_wbuf *b) {
  b->len = 0;
  b->frame = 0;
  b->failed = 0;
}

void far_wbuf_consume(far_wbuf *b, size_t n) {
  if (n >= b->len) {
    far_wbuf_reset(b);
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

void far_wbuf_trim(far_wbuf *b, size_t keep) {
  if (b->len != 0 || b->cap <= keep)
    return;
  free(b->data);
  b->data = NULL;
  b->cap = 0;
}

static int wbuf_reserve(far_wbuf *b, size_t more) {
  if (b->cap - b->len >= more)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < more)
    cap *= 2;
  uint8_t *p = realloc(b->data, cap);
  if (!p)
    return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

/* The msgpack_packer write callback: appends, or marks the open frame as failed. */
int far_wbuf_append(void *data, const char *buf, size_t len) {
  far_wbuf *b = data;
  if (len == 0)
    return 0;
  if (b->failed || wbuf_reserve(b, len) != 0) {
    b->failed = 1;
    return -1;
  }
  memcpy(b->data + b->len, buf, len);
  b->len += len;
  return 0;
}

void far_wire_open(far_wbuf *b, msgpack_packer *pk) {
  b->frame = b->len;
  b->failed = 0;
  static const char prefix[4];
  far_wbuf_append(b, prefix, sizeof prefix);
  msgpack_packer_init(pk, b, far_wbuf_append);
}

int far_wire_end(far_wbuf *b) { return far_wire_end_with(b, 0); }

int far_wire_end_with(far_wbuf *b, size_t external) {
  int rc = 0;
  size_t body = b->len - b->frame - 4 + external;
  if (b->failed)
    rc = FAR_WIRE_ENOMEM;
  else if (body > FAR_WIRE_MAX_FRAME)
    rc = FAR_WIRE_ETOOBIG;
  if (rc != 0) {
    b->len = b->frame;
    b->failed = 0;
    return rc;
  }
  uint8_t *p = b->data + b->frame;
  p[0] = (uint8_t)(body >> 24);
  p[1] = (uint8_t)(body >> 16);
  p[2] = (uint8_t)(body >> 8);
  p[3] = (uint8_t)body;
  b->frame = b->len;
  return 0;
}
