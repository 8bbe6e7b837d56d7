/* Opening and closing a far_net: parse the servers list, connect every connection (TCP_NODELAY),
 * say hello on each with the protocol version, the token and the far_net's random session key (so
 * all its connections share one namespace on each server), start the poller. Closing waits for
 * what is in flight, says bye on every connection and releases everything. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net_internal.h"

/* Splits "host:port" or "[v6]:port" (len bytes at e). 0, or -1 with a reason. */
static int split_entry(const char *e, size_t len, char *host, size_t hostlen, char *port, const char **why) {
  const char *colon = NULL;
  for (size_t i = 0; i < len; i++)
    if (e[i] == ':') colon = e + i;
  if (!colon || colon == e || colon + 1 == e + len) return *why = "expected host:port", -1;
  size_t hl = (size_t)(colon - e), pl = len - hl - 1;
  if (e[0] == '[' && hl >= 2 && e[hl - 1] == ']') e++, hl -= 2;
  if (hl >= hostlen || pl > 5) return *why = "host or port too long", -1;
  memcpy(host, e, hl);
  host[hl] = 0;
  memcpy(port, colon + 1, pl);
  port[pl] = 0;
  char *end;
  long p = strtol(port, &end, 10);
  if (*end || p < 1 || p > 65535) return *why = "port is not a number in 1..65535", -1;
  return 0;
}

/* Connects with a timeout; returns the blocking-mode socket or -1 with errno set. */
static int connect_addr(const struct addrinfo *ai) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) return -1;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EINPROGRESS) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int soerr = ETIMEDOUT;
    socklen_t sl = sizeof soerr;
    if (poll(&pfd, 1, NET_TIMEOUT_MS) == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    errno = soerr;
  }
  if (errno != 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

static int connect_server(const char *host, const char *port, char *why, size_t whylen) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    snprintf(why, whylen, "cannot resolve host: %s", gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  errno = 0;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    errno = 0;
    fd = connect_addr(ai);
  }
  if (fd < 0) snprintf(why, whylen, "cannot connect: %s", strerror(errno));
  freeaddrinfo(res);
  return fd;
}

/* Receives one reply frame, waiting at most NET_TIMEOUT_MS. 0, or -1 with why. */
static int recv_reply(net_conn *c, far_wire_rep *rep, const char **why) {
  const uint8_t *body;
  uint32_t len;
  int k;
  while ((k = far_frame_reader_next(&c->in, &body, &len, why)) == 0) {
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    size_t room;
    uint8_t *p = far_frame_reader_space(&c->in, &room);
    if (!p || poll(&pfd, 1, NET_TIMEOUT_MS) != 1) return *why = p ? "no reply to hello" : "out of memory", -1;
    ssize_t n = recv(c->fd, p, room, 0);
    if (n <= 0) return *why = "connection closed during hello", -1;
    far_frame_reader_commit(&c->in, (size_t)n);
  }
  if (k < 0 || far_wire_decode_reply(body, len, rep, why) != 0) return -1;
  return 0;
}

static int hello(net_conn *c, const char *token, char *why, size_t whylen) {
  far_wire_rep rep;
  const char *reason = NULL;
  size_t tlen = token ? strlen(token) : 0;
  if (far_wire_put_hello(&c->out, 1, FAR_WIRE_VERSION, token, tlen, c->net->key) != 0 ||
      send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL) != (ssize_t)c->out.len) {
    snprintf(why, whylen, "cannot send hello: %s", strerror(errno));
    return -1;
  }
  far_wbuf_reset(&c->out);
  if (recv_reply(c, &rep, &reason) != 0) {
    snprintf(why, whylen, "hello failed: %s", reason);
    return -1;
  }
  if (rep.op != FAR_OP_HELLO || rep.status != FAR_OK) {
    snprintf(why, whylen, "hello refused: %s", far_status_name(rep.op == FAR_OP_HELLO ? rep.status : FAR_EPROTO));
    return -1;
  }
  return 0;
}

static void conn_init(far_net *net, net_server *srv, net_conn *c) {
  c->net = net;
  c->srv = srv;
  c->fd = -1;
  pthread_mutex_init(&c->lock, NULL);
  far_wbuf_init(&c->out);
  far_wbuf_init(&c->sending);
  far_frame_reader_init(&c->in);
  for (uint32_t s = 0; s < NET_SLOTS; s++) c->free_slots[s] = NET_SLOTS - 1 - s;
  c->nfree = NET_SLOTS;
}

static int open_server(far_net *net, net_server *srv, const char *entry, size_t len, unsigned nconns,
                       const char *token, char *err, size_t errlen) {
  char host[256], port[8], why[256];
  const char *bad;
  snprintf(srv->name, sizeof srv->name, "%.*s", (int)len, entry);
  if (split_entry(entry, len, host, sizeof host, port, &bad) != 0) {
    snprintf(err, errlen, "server '%s': %s", srv->name, bad);
    return -1;
  }
  srv->conns = calloc(nconns, sizeof *srv->conns);
  if (!srv->conns) return snprintf(err, errlen, "out of memory"), -1;
  srv->nconns = nconns;
  for (unsigned i = 0; i < nconns; i++) conn_init(net, srv, &srv->conns[i]);
  for (unsigned i = 0; i < nconns; i++) {
    net_conn *c = &srv->conns[i];
    if ((c->fd = connect_server(host, port, why, sizeof why)) < 0 || hello(c, token, why, sizeof why) != 0) {
      snprintf(err, errlen, "farmemd at %s: %s", srv->name, why);
      return -1;
    }
  }
  return 0;
}

static int open_servers(far_net *net, const far_net_config *cfg, char *err, size_t errlen) {
  unsigned nconns = cfg->conns_per_server ? cfg->conns_per_server : NET_DEFAULT_CONNS;
  if (nconns > NET_MAX_CONNS) nconns = NET_MAX_CONNS;
  const char *e = cfg->servers;
  if (!e || !*e) return snprintf(err, errlen, "no server given (expected host:port[,host:port...])"), -1;
  for (;;) {
    size_t len = strcspn(e, ",");
    if (net->nservers == NET_MAX_SERVERS)
      return snprintf(err, errlen, "more than %u servers", NET_MAX_SERVERS), -1;
    if (open_server(net, &net->servers[net->nservers++], e, len, nconns, cfg->token, err, errlen) != 0)
      return -1;
    if (!e[len]) return 0;
    e += len + 1;
  }
}

static void release(far_net *net) {
  net_poller_stop(net);
  for (unsigned s = 0; s < net->nservers; s++) {
    net_server *srv = &net->servers[s];
    for (unsigned i = 0; srv->conns && i < srv->nconns; i++) {
      net_conn *c = &srv->conns[i];
      if (c->fd >= 0) close(c->fd);
      far_wbuf_free(&c->out);
      far_wbuf_free(&c->sending);
      free(c->out_refs.v);
      free(c->sending_refs.v);
      free(c->iov);
      far_frame_reader_free(&c->in);
      pthread_mutex_destroy(&c->lock);
    }
    free(srv->conns);
  }
  pthread_mutex_destroy(&net->err_lock);
  free(net);
}

far_net *far_net_open(const far_net_config *cfg, char *err, size_t errlen) {
  far_net *net = calloc(1, sizeof *net);
  if (!net) return snprintf(err, errlen, "out of memory"), NULL;
  pthread_mutex_init(&net->err_lock, NULL);
  net->epoll_fd = net->kick_fd = -1;
  net->spin_us = cfg->spin_us ? cfg->spin_us : NET_DEFAULT_SPIN_US;
  if (getrandom(net->key, sizeof net->key, 0) != (ssize_t)sizeof net->key) {
    snprintf(err, errlen, "cannot draw a session key: %s", strerror(errno));
    release(net);
    return NULL;
  }
  if (open_servers(net, cfg, err, errlen) != 0 || net_poller_start(net, err, errlen) != 0) {
    release(net);
    return NULL;
  }
  return net;
}

static int all_idle(void *arg) {
  far_net *net = arg;
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++)
      if (atomic_load(&net->servers[s].conns[i].inflight) > 0) return 0;
  return 1;
}

/* Waits (bounded) for what is in flight, says bye on every connection and waits for the answers;
 * whatever is still registered after that fails before the ticket goes out of scope. */
void far_net_close(far_net *net) {
  if (!net) return;
  atomic_store(&net->closing, 1);
  unsigned n = 0;
  for (unsigned s = 0; s < net->nservers; s++) n += net->servers[s].nconns;
  net_req *byes = calloc(n, sizeof *byes);
  far_ticket t;
  net_ticket_begin(&t, NULL, NULL);
  if (net_wait(net, all_idle, net, NULL, 0, NET_TIMEOUT_MS, 0) == 0 && byes) {
    for (unsigned s = 0, k = 0; s < net->nservers; s++)
      for (unsigned i = 0; i < net->servers[s].nconns; i++, k++) {
        byes[k] = (net_req){.op = FAR_OP_BYE, .ticket = &t};
        net_submit(&net->servers[s].conns[i], &byes[k]);
      }
    net_wait(net, all_idle, net, NULL, 0, NET_TIMEOUT_MS, 0);
  }
  for (unsigned s = 0; s < net->nservers; s++)
    for (unsigned i = 0; i < net->servers[s].nconns; i++)
      net_conn_fail(&net->servers[s].conns[i], FAR_ENET, "closed by the client");
  net_ticket_end(&t);
  free(byes);
  release(net);
}
