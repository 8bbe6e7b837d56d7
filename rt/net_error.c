/* Connection failure. A lost, refused or misbehaving connection is shut down once, its message
 * (naming the server) is kept for far_net_error and printed once, and every request registered on
 * it completes with the failure status, so no caller waits forever and no write is reported done
 * without the server's acknowledgement. Later requests on it fail at once (net_send.c). */
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include "net_internal.h"

void net_set_error(far_net *net, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pthread_mutex_lock(&net->err_lock);
  vsnprintf(net->err, sizeof net->err, fmt, ap);
  pthread_mutex_unlock(&net->err_lock);
  va_end(ap);
}

void far_net_error(far_net *net, char *buf, size_t len) {
  pthread_mutex_lock(&net->err_lock);
  snprintf(buf, len, "%s", net->err);
  pthread_mutex_unlock(&net->err_lock);
}

/* Takes one registered request off c, or NULL when none is left. */
static net_req *take_any(net_conn *c) {
  net_req *r = NULL;
  pthread_mutex_lock(&c->lock);
  for (uint32_t s = 0; s < NET_SLOTS && !r; s++)
    if (c->slots[s]) {
      r = c->slots[s];
      c->slots[s] = NULL;
      c->free_slots[c->nfree++] = s;
      atomic_fetch_sub(&c->inflight, 1);
    }
  pthread_mutex_unlock(&c->lock);
  return r;
}

void net_conn_fail(net_conn *c, int status, const char *what) {
  pthread_mutex_lock(&c->lock);
  int first = !atomic_exchange(&c->dead, 1);
  far_wbuf_reset(&c->out);
  c->out_refs.n = 0;
  pthread_mutex_unlock(&c->lock);
  if (first) {
    shutdown(c->fd, SHUT_RDWR);
    net_set_error(c->net, "farmemd at %s: %s", c->srv->name, what);
    if (!atomic_load(&c->net->closing))
      fprintf(stderr, "farmem: farmemd at %s: %s; its requests fail with %s\n", c->srv->name, what,
              far_status_name(status));
  }
  net_wait_flusher(c); /* a send in progress may still read the data of the requests failed below */
  for (net_req *r; (r = take_any(c));) net_req_complete(r, status);
}
