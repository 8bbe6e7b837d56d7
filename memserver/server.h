/* The server: the listening socket, the worker threads with their epoll loops, and shutdown. */
#ifndef FARMEMD_SERVER_H
#define FARMEMD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "config.h"
#include "namespace.h"

struct conn;

typedef struct worker {
  struct server *srv;
  int epoll_fd;
  pthread_t thread;
  struct conn *conns; /* this worker's connections */
  struct conn *hot;   /* the one that last brought requests: read directly while spinning */
  ns_scratch scratch;
  _Atomic uint64_t requests;
} worker;

typedef struct server {
  const config *cfg;
  int listen_fd;
  int stop_fd; /* eventfd: readable once shutdown has begun */
  atomic_int stopping;
  _Atomic unsigned connections;
  worker *workers;
} server;

/* Listens, prints "listening on ADDR:PORT", serves until SIGTERM or SIGINT. Returns the exit status. */
int server_run(const config *cfg);
uint64_t server_requests(const server *srv);
uint64_t now_ns(void);

#endif
