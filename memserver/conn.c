/* Connection I/O. Memory per connection is bounded: the frame reader holds at most one frame, and
 * once OUT_LIMIT bytes of replies are queued no further request is read until the peer has taken
 * them. A peer that stalls (partial frame, no hello, unread replies) is dropped after the idle
 * timeout. Replies produced from one batch of received bytes leave with one send. */
#include "conn.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "dispatch.h"
#include "wstream.h"

#define OUT_LIMIT (4u << 20)
/* Output buffer capacity kept once drained: a streaming client asks for up to OUT_LIMIT of readv
 * replies at a time, and a buffer given back after each send is regrown (a realloc copy per
 * doubling) and its fresh pages faulted in again for every batch, which cost farmemd more CPU
 * than copying the data itself. */
#define OUT_KEEP (2 * OUT_LIMIT)
#define DRAIN_WAIT_MS 1000

static void describe_peer(const struct sockaddr *addr, char *out, size_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (addr->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    snprintf(out, len, "%s:%u", host, port);
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    snprintf(out, len, "[%s]:%u", host, port);
  }
}

conn *conn_open(worker *w, int fd, const struct sockaddr *addr) {
  conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return NULL;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  c->w = w;
  c->opened_ns = now_ns();
  describe_peer(addr, c->peer, sizeof c->peer);
  far_frame_reader_init(&c->in);
  far_wbuf_init(&c->out);
  c->events = EPOLLIN;
  struct epoll_event ev = {.events = c->events, .data.ptr = c};
  if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    free(c);
    return NULL;
  }
  c->next = w->conns;
  if (w->conns)
    w->conns->prev = c;
  w->conns = c;
  atomic_fetch_add(&w->srv->connections, 1);
  log_msg(LOG_INFO, "%s: connected", c->peer);
  return c;
}

void conn_close(conn *c, enum log_level level, const char *reason) {
  worker *w = c->w;
  log_msg(level, "%s: closed: %s", c->peer, reason);
  close(c->fd); /* also removes it from the epoll set */
  if (w->hot == c)
    w->hot = NULL;
  if (c->ns)
    ns_release(c->ns);
  if (c->prev)
    c->prev->next = c->next;
  else
    w->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  wstream_free(c);
  far_frame_reader_free(&c->in);
  far_wbuf_free(&c->out);
  atomic_fetch_sub(&w->srv->connections, 1);
  free(c);
}

/* Answers every complete frame that is buffered, while the output has room, and keeps the clock
 * of the partial frame that follows (complete frames held back by a full output do not count).
 * -1: closed. */
static int process_frames(conn *c) {
  const uint8_t *body;
  uint32_t len;
  const char *why = NULL;
  int completed = 0, partial = 0;
  while (!c->close_after_flush && c->out.len < OUT_LIMIT) {
    int k = c->ws ? 1 : wstream_begin(c);
    if (k != 0) { /* a large WRITEV, received in place */
      k = k < 0 ? (why = "out of memory for a request", -1) : wstream_feed(c, &why);
      if (k == 0) {
        partial = 1;
        break;
      }
      if (k < 0) {
        conn_close(c, LOG_WARN, why);
        return -1;
      }
      completed = 1;
      continue;
    }
    k = far_frame_reader_next(&c->in, &body, &len, &why);
    if (k == 0) {
      partial = far_frame_reader_pending(&c->in) > 0;
      break;
    }
    if (k < 0 || dispatch(c, body, len, &why) != 0) {
      conn_close(c, LOG_WARN, why);
      return -1;
    }
    completed = 1;
  }
  if (!partial)
    c->frame_started_ns = 0;
  else if (completed || c->frame_started_ns == 0)
    c->frame_started_ns = now_ns();
  return 0;
}

static int input_paused(const conn *c) { return c->close_after_flush || c->out.len >= OUT_LIMIT; }

/* One read for a frame received in place (wstream.c): 2 when the socket filled all that was asked
 * (read again), 1 after a shorter read, 0 when it had nothing, -1: closed. */
static int read_in_place(conn *c) {
  size_t asked;
  const char *why = NULL;
  ssize_t n = wstream_recv(c, &asked, &why);
  if (n < 0) {
    conn_close(c, LOG_WARN, why);
    return -1;
  }
  return n == 0 ? 0 : (size_t)n == asked ? 2 : 1;
}

/* One read into the frame reader, the same results. */
static int read_buffered(conn *c) {
  size_t room;
  uint8_t *p = far_frame_reader_space(&c->in, &room);
  if (!p) {
    conn_close(c, LOG_ERROR, "out of memory for a request");
    return -1;
  }
  ssize_t n;
  do
    n = recv(c->fd, p, room, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    far_frame_reader_commit(&c->in, (size_t)n);
    return (size_t)n == room ? 2 : 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (n == 0 && far_frame_reader_pending(&c->in) == 0) {
    /* orderly close: try to deliver what was answered, then go */
    send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    conn_close(c, LOG_INFO, "peer closed the connection");
  } else {
    conn_close(c, LOG_WARN, n == 0 ? "peer closed the connection inside a frame" : strerror(errno));
  }
  return -1;
}

/* Reads and answers until the socket is empty or input pauses; sets *received when bytes came.
 * -1: closed. */
static int read_requests(conn *c, int *received) {
  for (;;) {
    if (process_frames(c) != 0)
      return -1;
    if (input_paused(c))
      return 0;
    int r = c->ws ? read_in_place(c) : read_buffered(c);
    if (r <= 0)
      return r;
    *received = 1;
    c->w->hot = c;
    if (r == 1)
      return process_frames(c);
  }
}

/* Writes queued replies. 0: all sent; 1: the socket is full; -1: closed. */
static int flush(conn *c) {
  while (c->out_sent < c->out.len) {
    ssize_t n = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_sent += (size_t)n;
      c->out_stalled_ns = 0; /* the peer is reading: only a stall without progress counts */
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!c->out_stalled_ns)
        c->out_stalled_ns = now_ns();
      return 1;
    }
    conn_close(c, LOG_WARN, strerror(errno));
    return -1;
  }
  far_wbuf_reset(&c->out);
  far_wbuf_trim(&c->out, OUT_KEEP);
  c->out_sent = 0;
  c->out_stalled_ns = 0;
  return 0;
}

static void set_interest(conn *c) {
  uint32_t want = (input_paused(c) ? 0 : EPOLLIN) | (c->out.len ? EPOLLOUT : 0);
  if (want == c->events)
    return;
  struct epoll_event ev = {.events = want, .data.ptr = c};
  epoll_ctl(c->w->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
  c->events = want;
}

int conn_service(conn *c) {
  int received = 0;
  for (;;) {
    if (read_requests(c, &received) != 0)
      return 1;
    int paused = input_paused(c);
    int f = flush(c);
    if (f < 0)
      return 1;
    if (f == 0 && c->close_after_flush) {
      conn_close(c, c->close_level, c->close_reason);
      return 1;
    }
    if (f == 0 && paused)
      continue; /* the output drained: read the requests that waited */
    break;
  }
  set_interest(c);
  return received;
}

/* Whether a clock started at `since` (0: not running) ran past the timeout; `since` may be a
 * little after `now` when the clock started during the current round of events. */
static int expired(uint64_t since, uint64_t now, uint64_t timeout) {
  return since && now > since && now - since > timeout;
}

void conn_check_idle(conn *c, uint64_t now, uint64_t idle_ns) {
  char reason[96];
  if (!c->ns && !c->close_after_flush && expired(c->opened_ns, now, idle_ns)) {
    conn_close(c, LOG_WARN, "no hello within the idle timeout");
  } else if (expired(c->frame_started_ns, now, idle_ns)) {
    snprintf(reason, sizeof reason, "partial frame (%zu bytes) not completed within the idle timeout",
             far_frame_reader_pending(&c->in));
    conn_close(c, LOG_WARN, reason);
  } else if (expired(c->out_stalled_ns, now, idle_ns)) {
    conn_close(c, LOG_WARN, "peer did not read its replies within the idle timeout");
  }
}

void conn_drain(conn *c) {
  uint64_t deadline = now_ns() + (uint64_t)DRAIN_WAIT_MS * 1000000;
  int f;
  while ((f = flush(c)) == 1 && now_ns() < deadline) {
    struct pollfd p = {.fd = c->fd, .events = POLLOUT};
    poll(&p, 1, 10);
  }
  if (f >= 0)
    conn_close(c, LOG_INFO, "server shutting down");
}
