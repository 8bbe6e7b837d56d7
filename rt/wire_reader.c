/* The incremental frame reader: bytes arrive in arbitrary pieces from a non-blocking socket and
 * leave as complete frame bodies. Memory follows what the peer actually sent: the buffer starts at
 * READER_INITIAL bytes, doubles only when full and only up to the current frame's size, never
 * exceeds one maximal frame, and once drained returns to READER_INITIAL if it grew beyond
 * READER_KEEP. Keeping up to READER_KEEP matters for streaming: batches of 256 KiB frames would
 * otherwise regrow the buffer (a realloc copy per doubling, fresh pages to fault in) for every
 * frame. A bad length prefix is rejected as soon as its 4 bytes are in. */
#include <stdlib.h>
#include <string.h>
#include "far/wire_codec.h"

#define READER_INITIAL (64u << 10)
#define READER_MAX ((size_t)4 + FAR_WIRE_MAX_FRAME)
#define READER_KEEP (1u << 20)

void far_frame_reader_init(far_frame_reader *r) { memset(r, 0, sizeof *r); }

void far_frame_reader_free(far_frame_reader *r) {
  free(r->buf);
  far_frame_reader_init(r);
}

size_t far_frame_reader_pending(const far_frame_reader *r) { return r->end - r->start; }

/* Bytes the frame at start occupies with its prefix, as far as is known yet. */
static size_t current_frame_size(const far_frame_reader *r) {
  if (far_frame_reader_pending(r) < 4)
    return 4;
  size_t body = far_wire_frame_length(r->buf + r->start);
  return body > FAR_WIRE_MAX_FRAME ? READER_MAX : 4 + body;
}

static int resize(far_frame_reader *r, size_t cap) {
  uint8_t *p = realloc(r->buf, cap);
  if (!p)
    return -1;
  r->buf = p;
  r->cap = cap;
  return 0;
}

uint8_t *far_frame_reader_space(far_frame_reader *r, size_t *room) {
  *room = 0;
  if (r->start == r->end) {
    r->start = r->end = 0;
    if (r->cap > READER_KEEP)
      far_frame_reader_free(r);
  }
  if (r->cap == 0 && resize(r, READER_INITIAL) != 0)
    return NULL;
  size_t want = current_frame_size(r);
  if (r->start + want > r->cap && r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  if (r->end == r->cap && want > r->cap) {
    size_t cap = r->cap * 2 < want ? r->cap * 2 : want;
    if (resize(r, cap) != 0)
      return NULL;
  }
  if (r->end == r->cap)
    return NULL; /* complete frames are waiting: far_frame_reader_next was not drained */
  *room = r->cap - r->end;
  return r->buf + r->end;
}

void far_frame_reader_commit(far_frame_reader *r, size_t n) { r->end += n; }

const uint8_t *far_frame_reader_peek(const far_frame_reader *r, size_t *avail) {
  *avail = far_frame_reader_pending(r);
  return r->buf + r->start;
}

void far_frame_reader_skip(far_frame_reader *r, size_t n) {
  size_t pending = far_frame_reader_pending(r);
  r->start += n < pending ? n : pending;
}

size_t far_frame_reader_feed(far_frame_reader *r, const void *data, size_t n) {
  size_t room;
  uint8_t *p = far_frame_reader_space(r, &room);
  if (!p)
    return 0;
  if (n > room)
    n = room;
  memcpy(p, data, n);
  far_frame_reader_commit(r, n);
  return n;
}

int far_frame_reader_next(far_frame_reader *r, const uint8_t **body, uint32_t *len, const char **why) {
  size_t pending = far_frame_reader_pending(r);
  if (pending < 4)
    return 0;
  uint32_t n = far_wire_frame_length(r->buf + r->start);
  if (n == 0) {
    *why = "frame length 0";
    return -1;
  }
  if (n > FAR_WIRE_MAX_FRAME) {
    *why = "frame length above the 32 MiB limit";
    return -1;
  }
  if (pending - 4 < n)
    return 0;
  *body = r->buf + r->start + 4;
  *len = n;
  r->start += 4 + (size_t)n;
  return 1;
}
