/* The namespace registry: session key -> namespace, with a count of the connections using each.
 * It is touched only when a connection says hello or closes, so a list under one lock suffices. */
#include "namespace.h"
#include <stdlib.h>
#include <string.h>
#include "capacity.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static ns *registry;
static unsigned registry_size;

ns *ns_acquire(const uint8_t *key) {
  pthread_mutex_lock(&registry_lock);
  ns *n = registry;
  while (n && memcmp(n->key, key, FAR_WIRE_SESSION_KEY_LEN) != 0)
    n = n->next;
  if (!n && (n = calloc(1, sizeof *n)) != NULL) {
    memcpy(n->key, key, FAR_WIRE_SESSION_KEY_LEN);
    pthread_mutex_init(&n->lock, NULL);
    n->next = registry;
    registry = n;
    registry_size++;
  }
  if (n)
    n->conns++;
  pthread_mutex_unlock(&registry_lock);
  return n;
}

static void ns_destroy(ns *n) {
  for (unsigned c = 0; c <= FAR_WIRE_CLASS_MAX; c++)
    store_clear(&n->tables[c]);
  capacity_release(n->charged);
  pthread_mutex_destroy(&n->lock);
  free(n);
}

void ns_release(ns *n) {
  pthread_mutex_lock(&registry_lock);
  int last = --n->conns == 0;
  if (last) {
    ns **p = &registry;
    while (*p != n)
      p = &(*p)->next;
    *p = n->next;
    registry_size--;
  }
  pthread_mutex_unlock(&registry_lock);
  if (last)
    ns_destroy(n);
}

unsigned ns_count(void) {
  pthread_mutex_lock(&registry_lock);
  unsigned k = registry_size;
  pthread_mutex_unlock(&registry_lock);
  return k;
}

void ns_usage(ns *n, uint64_t *objects, uint64_t *charged, unsigned *conns) {
  pthread_mutex_lock(&n->lock);
  *objects = n->objects;
  *charged = n->charged;
  pthread_mutex_unlock(&n->lock);
  pthread_mutex_lock(&registry_lock);
  *conns = n->conns;
  pthread_mutex_unlock(&registry_lock);
}
