/* Namespaces: each client session key owns one set of objects, shared by every connection that
 * presents the key and freed when the last of them closes. The object operations below are the
 * only way to reach a namespace's objects, and each takes the namespace's lock. */
#ifndef FARMEMD_NAMESPACE_H
#define FARMEMD_NAMESPACE_H

#include <pthread.h>
#include <sys/uio.h>
#include <stdint.h>
#include "far/wire_codec.h"
#include "store.h"

typedef struct ns {
  uint8_t key[FAR_WIRE_SESSION_KEY_LEN];
  pthread_mutex_t lock;
  store_table tables[FAR_WIRE_CLASS_MAX + 1];
  uint64_t objects;
  uint64_t charged; /* capacity taken by this namespace's objects */
  unsigned conns;   /* guarded by the registry lock */
  struct ns *next;
} ns;

/* Finds or creates the namespace for key and counts one more connection; NULL when out of memory. */
ns *ns_acquire(const uint8_t *key);
/* Counts one connection less; the last one frees the namespace and its objects. */
void ns_release(ns *n);
unsigned ns_count(void);

/* Appends the READ reply for (cls, obj). */
int ns_read(ns *n, far_wbuf *out, uint64_t rid, unsigned cls, uint64_t obj);
/* Appends the READV reply for the validated request. */
int ns_readv(ns *n, far_wbuf *out, const far_wire_req *req);

/* Scratch for ns_write and ns_readv_send, one per thread: room for FAR_WIRE_MAX_BATCH elements. */
typedef struct ns_scratch {
  far_wire_item *items;
  store_obj **fresh;
  far_wbuf heads;     /* ns_readv_send: the reply without the objects' data */
  struct iovec *iov;  /* ... and its pieces, headers and data alternating */
} ns_scratch;
int ns_scratch_init(ns_scratch *s);
void ns_scratch_free(ns_scratch *s);

/* Sends the READV reply on the non-blocking socket fd straight from the stored objects: one
 * sendmsg under the lock, so no write or free changes them while the kernel copies them. What the
 * socket does not take (it is full) is appended to out, which must be empty: only the unsent rest
 * is copied. 0, or -1 when out of memory. */
int ns_readv_send(ns *n, int fd, far_wbuf *out, const far_wire_req *req, ns_scratch *s);

/* Stores n items all-or-nothing; returns FAR_OK or FAR_ENOSPC. */
int ns_write(ns *n, const far_wire_item *items, size_t count, ns_scratch *s);
/* The same where given[i] (when not NULL) is a buffer of items[i]'s class that already holds its
 * data (items[i].data points into it; received in place): the object takes it over instead of
 * copying. On return every given[i] left non-NULL is the caller's to free (an old buffer, or the
 * given one when nothing was stored). */
int ns_write_given(ns *n, const far_wire_item *items, store_obj **given, size_t count, ns_scratch *s);
void ns_free(ns *n, unsigned cls, uint64_t obj, uint64_t count);
void ns_usage(ns *n, uint64_t *objects, uint64_t *charged, unsigned *conns);

#endif
