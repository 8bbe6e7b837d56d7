/* Large READV replies received straight into the objects' buffers. A prefetching scan streams
 * gigabytes of 64 KiB objects; through the frame reader each byte was copied twice on the client
 * (kernel -> reader buffer -> object), and the second copy cost the receiving thread more than
 * the kernel's. Once the start of a large READV reply is in the frame reader, the rest of the frame
 * is read element by element with recvmsg: the element's remaining data goes to its object and the
 * next element's header (predicted from its object's size) to a few bytes of scratch, so the data
 * is copied once, by the kernel. The checks are those of the whole-frame path (far_wire_decode_reply
 * and deliver in net_recv.c): the reply must answer an in-flight READV of as many elements, every
 * element must be object data no longer than its object, and the elements must end exactly at the
 * end of the frame; otherwise the connection fails. The request stays counted in inflight until it
 * completes, so readers keep reading the connection, and net_direct_read completes it with the
 * failure if the connection dies meanwhile. Only the holder of the connection's rx_busy calls in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "net_internal.h"

static far_io *current(const net_direct *d) { return net_req_io(d->req, d->item); }

/* Completes the request taken over with status and leaves direct mode. */
static void finish(net_conn *c, int status) {
  net_req *r = c->dx.req;
  c->dx.req = NULL;
  atomic_fetch_sub(&c->inflight, 1);
  net_req_complete(r, status);
}

/* A reply that does not fit its request: fail the request and the connection. */
static int violate(net_conn *c, const char *why) {
  finish(c, FAR_EPROTO);
  net_conn_fail(c, FAR_EPROTO, why);
  return -1;
}

/* The current element's data is in: zero the rest of its object and move on. After the last
 * element the frame must end. */
static int element_done(net_conn *c) {
  net_direct *d = &c->dx;
  far_io *io = current(d);
  memset((uint8_t *)io->buf + d->len, 0, ((size_t)1 << io->cls) - d->len);
  io->status = FAR_OK;
  d->item++;
  d->in_data = 0;
  d->head_len = 0;
  if (d->item < d->req->n) return 0;
  if (d->left != 0) return violate(c, "readv reply longer than its elements");
  finish(c, FAR_OK);
  return 0;
}

/* One more byte of the current element's header. */
static int head_byte(net_conn *c, uint8_t b) {
  net_direct *d = &c->dx;
  uint32_t len;
  size_t used;
  d->head[d->head_len++] = b;
  d->left--;
  int k = far_wire_data_head(d->head, d->head_len, &len, &used);
  if (k < 0) return violate(c, "readv reply element is not object data");
  if (k == 0) return 0;
  if (len > (1u << current(d)->cls) || len > d->left) return violate(c, "reply does not match its request");
  d->in_data = 1;
  d->len = len;
  d->got = 0;
  return len == 0 ? element_done(c) : 0;
}

/* Takes n bytes of the frame that arrived in a buffer (n <= d->left): headers and data. */
static int feed(net_conn *c, const uint8_t *p, size_t n) {
  net_direct *d = &c->dx;
  while (n && d->req) {
    if (!d->in_data) {
      if (head_byte(c, *p++) != 0) return -1;
      n--;
      continue;
    }
    size_t take = d->len - d->got < n ? d->len - d->got : n;
    memcpy((uint8_t *)current(d)->buf + d->got, p, take);
    d->got += (uint32_t)take;
    d->left -= take;
    p += take;
    n -= take;
    if (d->got == d->len && element_done(c) != 0) return -1;
  }
  if (d->req && d->left == 0) return violate(c, "readv reply shorter than its elements");
  return 0;
}

int net_direct_begin(net_conn *c) {
  size_t avail, used;
  const uint8_t *p = far_frame_reader_peek(&c->in, &avail);
  if (avail < 4) return 0;
  uint32_t body = far_wire_frame_length(p);
  c->dx.big = body >= NET_DIRECT_MIN;
  uint64_t rid;
  uint32_t n;
  /* Small or complete frames, other replies and replies to no such request: the whole-frame path
   * (which also reports the mismatches). */
  if (!c->dx.big || avail >= 4 + (size_t)body || far_wire_readv_head(p + 4, avail - 4, &rid, &n, &used) != 1)
    return 0;
  net_req *r = net_claim(c, rid, n);
  if (!r) return 0;
  c->dx = (net_direct){.req = r, .left = body - used, .big = 1};
  far_frame_reader_skip(&c->in, avail); /* every byte buffered belongs to this (partial) frame */
  return feed(c, p + 4 + used, avail - 4 - used);
}

/* Bytes to read after the current element's data: the rest of the next header to come, as long as
 * its object is full (a shorter element's header is shorter, and the extra bytes its data). */
static size_t tail_bytes(const net_direct *d, size_t direct) {
  size_t want = 0;
  if (!d->in_data)
    want = far_wire_data_head_size(1u << current(d)->cls) - d->head_len;
  else if (d->item + 1 < d->req->n)
    want = far_wire_data_head_size(1u << net_req_io(d->req, d->item + 1)->cls);
  if (want == 0) want = 1;
  if (want > sizeof d->tail) want = sizeof d->tail;
  size_t after = d->left - direct;
  return want < after ? want : after;
}

static int lost(net_conn *c, ssize_t n) {
  char what[128];
  snprintf(what, sizeof what, "connection lost (%s)", n == 0 ? "closed by the server" : strerror(errno));
  finish(c, FAR_ENET);
  net_conn_fail(c, FAR_ENET, what);
  return -1;
}

int net_direct_read(net_conn *c) {
  net_direct *d = &c->dx;
  if (atomic_load(&c->dead)) {
    finish(c, FAR_ENET);
    return -1;
  }
  struct iovec iov[2];
  int k = 0;
  size_t direct = d->in_data ? d->len - d->got : 0;
  if (direct) iov[k++] = (struct iovec){(uint8_t *)current(d)->buf + d->got, direct};
  size_t tail = tail_bytes(d, direct);
  if (tail) iov[k++] = (struct iovec){d->tail, tail};
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)k};
  ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return lost(c, n);
  }
  size_t in_place = (size_t)n < direct ? (size_t)n : direct;
  d->got += (uint32_t)in_place;
  d->left -= in_place;
  if (direct && d->got == d->len && element_done(c) != 0) return -1;
  if (!d->req) return 1;
  if ((size_t)n > in_place) return feed(c, d->tail, (size_t)n - in_place) != 0 ? -1 : 1;
  if (d->left == 0) return violate(c, "readv reply shorter than its elements");
  return 1;
}

size_t net_direct_recv_cap(const net_conn *c, size_t room) {
  return c->dx.big && room > NET_DIRECT_PEEK ? NET_DIRECT_PEEK : room;
}
