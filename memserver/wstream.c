/* Large WRITEV requests received in place. A client's write-backs arrive as WRITEV frames of up to
 * 16 MiB of 64 KiB objects; through the frame reader each byte was copied twice in farmemd (the
 * kernel's receive into the reader, then a copy into the object), the second copy being the largest
 * user-space item of its write path. Once the start of such a frame is in the reader (its first
 * element a large one), the rest is taken element by element: an element whose data fills its object (and is at least DIRECT_MIN
 * bytes) gets a fresh object buffer and its data is read into it with readv, together with the
 * next element's header (into the reader); a smaller element's data is gathered in a side buffer.
 * The request is applied only when the whole frame is in and has passed the checks of the
 * whole-frame path (far_wire_writev_head / far_wire_writev_element are those of
 * far_wire_decode_request, and the elements must end exactly at the end of the frame): then the
 * received buffers are installed in the objects (ns_write_given), all or nothing as before. A
 * malformed frame closes the connection with its reason and changes no object. Memory stays
 * bounded by the frame: a buffer is taken only for data that the frame has room for. */
#include "wstream.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "dispatch.h"
#include "objmem.h"

/* Elements smaller than this (or not filling their object) are gathered in the side buffer. */
#define DIRECT_MIN (16u << 10)

struct wstream {
  uint64_t rid;
  size_t left;          /* bytes of the frame body not taken yet */
  uint32_t n, done;     /* elements announced, elements complete */
  int started, in_data; /* the request's start is taken; the current element's data is arriving */
  uint32_t got;         /* bytes of the current element's data taken */
  far_wire_item *items; /* done (+ the current one) elements; data offsets into side until applied */
  store_obj **given;    /* each element's buffer received in place, or NULL (data in side) */
  uint32_t cap;         /* entries items and given have room for */
  far_wbuf side;
};

/* Whether an element's data is received into a buffer of its own. */
static int direct(const far_wire_item *it) { return it->len >= DIRECT_MIN && it->len == 1u << it->cls; }

/* Whether the frame's first element, already in the reader, is received in place: frames of small
 * objects (the paging baseline's 4 KiB pages) keep the whole-frame path, whose one copy from the
 * reader goes straight to the object. */
static int first_is_direct(const uint8_t *body, size_t avail) {
  uint64_t rid;
  uint32_t n;
  size_t used, used2;
  const char *why;
  far_wire_item it;
  return far_wire_writev_head(body, avail, 0, &rid, &n, &used, &why) == 1 &&
         far_wire_writev_element(body + used, avail - used, 0, &it, &used2, &why) == 1 && direct(&it);
}

int wstream_begin(conn *c) {
  size_t avail;
  const uint8_t *p = far_frame_reader_peek(&c->in, &avail);
  if (!c->ns || avail < 6)
    return 0;
  uint32_t body = far_wire_frame_length(p);
  /* fixarray of 3 and op WRITEV as a fixint: how the client encodes it (others: whole-frame path) */
  if (body < WSTREAM_MIN_FRAME || body > FAR_WIRE_MAX_FRAME || avail >= 4 + (size_t)body || p[4] != 0x93 ||
      p[5] != FAR_OP_WRITEV || !first_is_direct(p + 4, avail - 4))
    return 0;
  struct wstream *ws = calloc(1, sizeof *ws);
  if (!ws)
    return -1;
  ws->left = body;
  far_wbuf_init(&ws->side);
  far_frame_reader_skip(&c->in, 4);
  c->ws = ws;
  return 1;
}

void wstream_free(conn *c) {
  struct wstream *ws = c->ws;
  if (!ws)
    return;
  for (uint32_t i = 0; i < ws->done + (uint32_t)ws->in_data; i++)
    store_obj_free(ws->given[i]);
  free(ws->items);
  free(ws->given);
  far_wbuf_free(&ws->side);
  free(ws);
  c->ws = NULL;
}

/* Takes n bytes of the reader. */
static void take(conn *c, size_t n) {
  far_frame_reader_skip(&c->in, n);
  c->ws->left -= n;
}

/* The request's start: the element count. */
static int start(conn *c, const char **why) {
  struct wstream *ws = c->ws;
  size_t avail, used;
  const uint8_t *p = far_frame_reader_peek(&c->in, &avail);
  int whole = avail >= ws->left;
  int k = far_wire_writev_head(p, whole ? ws->left : avail, whole, &ws->rid, &ws->n, &used, why);
  if (k == 1) {
    take(c, used);
    ws->started = 1;
  }
  return k;
}

/* Room for one more element. */
static int grow(struct wstream *ws) {
  if (ws->done < ws->cap)
    return 0;
  uint32_t cap = ws->cap ? 2 * ws->cap : 64;
  far_wire_item *items = realloc(ws->items, cap * sizeof *items);
  if (items)
    ws->items = items;
  store_obj **given = items ? realloc(ws->given, cap * sizeof *given) : NULL;
  if (!given)
    return -1;
  ws->given = given;
  ws->cap = cap;
  return 0;
}

/* The next element's header: where its data goes. */
static int element(conn *c, const char **why) {
  struct wstream *ws = c->ws;
  size_t avail, used;
  const uint8_t *p = far_frame_reader_peek(&c->in, &avail);
  int whole = avail >= ws->left;
  far_wire_item it;
  int k = far_wire_writev_element(p, whole ? ws->left : avail, whole, &it, &used, why);
  if (k != 1)
    return k;
  take(c, used);
  if (it.len > ws->left) {
    *why = "object data is not a bin"; /* as the whole-frame path says of data past the frame */
    return -1;
  }
  if (grow(ws) != 0) {
    *why = "out of memory for a request";
    return -1;
  }
  store_obj *g = NULL;
  if (direct(&it) && !(g = store_obj_new(it.cls))) {
    *why = "out of memory for a request";
    return -1;
  }
  it.data = g ? g->data : (const uint8_t *)(uintptr_t)ws->side.len;
  ws->items[ws->done] = it;
  ws->given[ws->done] = g;
  ws->in_data = 1;
  ws->got = 0;
  return 1;
}

/* Takes what the reader holds of the current element's data. 1: the element is complete. */
static int data(conn *c, const char **why) {
  struct wstream *ws = c->ws;
  far_wire_item *it = &ws->items[ws->done];
  size_t avail, n;
  const uint8_t *p = far_frame_reader_peek(&c->in, &avail);
  n = it->len - ws->got < avail ? it->len - ws->got : avail;
  if (ws->given[ws->done])
    memcpy((uint8_t *)it->data + ws->got, p, n);
  else if (far_wbuf_append(&ws->side, (const char *)p, n) != 0) {
    *why = "out of memory for a request";
    return -1;
  }
  take(c, n);
  ws->got += (uint32_t)n;
  if (ws->got < it->len)
    return 0;
  ws->in_data = 0;
  ws->done++;
  return 1;
}

/* The whole frame is in: store it and queue the reply. */
static int finish(conn *c, const char **why) {
  struct wstream *ws = c->ws;
  for (uint32_t i = 0; i < ws->n; i++)
    if (!ws->given[i])
      ws->items[i].data = ws->side.data + (uintptr_t)ws->items[i].data;
  dispatch_count(c);
  int status = ns_write_given(c->ns, ws->items, ws->given, ws->n, &c->w->scratch);
  int rc = far_wire_put_status(&c->out, FAR_OP_WRITEV, ws->rid, status);
  wstream_free(c);
  if (rc != 0)
    *why = "out of memory for a reply";
  return rc != 0 ? -1 : 1;
}

int wstream_feed(conn *c, const char **why) {
  struct wstream *ws = c->ws;
  int k = ws->started ? 1 : start(c, why);
  while (k == 1 && ws->done < ws->n)
    k = ws->in_data ? data(c, why) : element(c, why);
  if (k != 1)
    return k;
  if (ws->left != 0) {
    *why = "trailing bytes after the request";
    return -1;
  }
  return finish(c, why);
}

ssize_t wstream_recv(conn *c, size_t *asked, const char **why) {
  struct wstream *ws = c->ws;
  struct iovec iov[2];
  int k = 0;
  size_t direct = 0, room;
  if (ws->in_data && ws->given[ws->done]) {
    direct = ws->items[ws->done].len - ws->got;
    iov[k++] = (struct iovec){(uint8_t *)ws->items[ws->done].data + ws->got, direct};
  }
  /* The reader holds less than a piece here, so its space needs no growth. After direct data, only
   * the next header; once the frame ends, whatever follows. */
  uint8_t *tail = far_frame_reader_space(&c->in, &room);
  if (!tail) {
    *why = "out of memory for a request";
    return -1;
  }
  size_t after = ws->left - direct;
  if (after && direct && room > FAR_WIRE_WRITEV_PIECE_MAX)
    room = FAR_WIRE_WRITEV_PIECE_MAX; /* the next element's header at most */
  if (after && room > after)
    room = after;
  iov[k++] = (struct iovec){tail, room};
  *asked = direct + room;
  ssize_t n;
  do
    n = readv(c->fd, iov, k);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (n <= 0) {
    *why = n == 0 ? "peer closed the connection inside a frame" : strerror(errno);
    return -1;
  }
  size_t in_place = (size_t)n < direct ? (size_t)n : direct;
  ws->got += (uint32_t)in_place;
  ws->left -= in_place;
  far_frame_reader_commit(&c->in, (size_t)n - in_place);
  return n;
}
