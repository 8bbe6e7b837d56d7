/* A synchronous miss (the barrier slow path fetching one object from farmemd) against a bare
 * busy-polled TCP request/reply of the same size, in one run. Objects are written, pushed out by a
 * working set twice the budget, then read in a random order (so the stride prefetcher stays out of
 * it); only accesses that really missed are timed. A third column times the network client alone
 * (far_net_read of the same objects on the runtime's connection), so the table separates the
 * runtime's own cost from the client's. All report the median of the same number of samples, taken
 * in alternating blocks so machine noise hits them alike. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core.h" /* far_rt.net: the runtime's own connection, for the client-only column */
#include "reply_server.h"

#define SAMPLES 4000
#define BLOCK 200

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, by_value);
  return v[n / 2];
}

/* Times one read of p if it missed; returns < 0 for a hit. */
static double timed_miss(char *p, size_t size) {
  uint64_t before = far_stats_tls.c.miss;
  double t0 = now_ns();
  far_scope_enter(0);
  volatile char c = *(char *)far_read(p, size, 0);
  far_scope_exit();
  double t = now_ns() - t0;
  (void)c;
  return far_stats_tls.c.miss == before + 1 ? t : -1;
}

static double timed_client_read(char *p, void *buf) {
  uintptr_t a = (uintptr_t)p;
  double t0 = now_ns();
  if (far_net_read(far_rt.net, far_addr_class(a), far_addr_id(a), buf) != FAR_OK) return -1;
  return now_ns() - t0;
}

/* Median miss and bare round trip for objects of size bytes; count objects are 2x the budget. */
static void measure(size_t size, size_t count, int fd, double *miss, double *bare) {
  char **obj = malloc(count * sizeof *obj);
  for (size_t i = 0; i < count; i++) {
    obj[i] = far_malloc(size);
    far_scope_enter(0);
    *(char *)far_write(obj[i], 1, 0) = (char)i;
    far_scope_exit();
  }
  static double m[SAMPLES], b[SAMPLES], c[SAMPLES];
  static char buf[4096];
  size_t nm = 0, nb = 0, nc = 0;
  unsigned seed = 11;
  for (size_t tries = 0; nm < SAMPLES && tries < 50 * SAMPLES;) {
    for (int k = 0; k < BLOCK && nm < SAMPLES; k++, tries++) {
      double t = timed_miss(obj[(size_t)rand_r(&seed) % count], size);
      if (t >= 0) m[nm++] = t;
    }
    for (int k = 0; k < BLOCK && nb < SAMPLES; k++) {
      double t = reply_round_trip(fd, (uint32_t)size);
      if (t < 0) {
        fprintf(stderr, "miss: bare round trip failed\n");
        exit(1);
      }
      b[nb++] = t;
    }
    if (reply_server_idle(fd) != 0) {
      fprintf(stderr, "miss: bare server lost\n");
      exit(1);
    }
    for (int k = 0; k < BLOCK && nc < SAMPLES; k++) {
      double t = timed_client_read(obj[(size_t)rand_r(&seed) % count], buf);
      if (t < 0) {
        fprintf(stderr, "miss: client read failed\n");
        exit(1);
      }
      c[nc++] = t;
    }
  }
  *miss = median(m, nm);
  *bare = median(b, nb);
  double client = median(c, nc);
  printf("%-8zu %10zu %12.2f %12.2f %12.2f %8.2f\n", size, nm, *miss / 1e3, client / 1e3, *bare / 1e3,
         *miss / *bare);
  free(obj);
}

int main(void) {
  int fd = reply_server_connect();
  if (fd < 0) {
    perror("miss: bare server");
    return 1;
  }
  size_t budget = 32u << 20;
  printf("%-8s %10s %12s %12s %12s %8s\n", "size", "samples", "miss us", "client us", "bare us", "ratio");
  double m64, b64, m4k, b4k;
  measure(64, 2 * budget / 64, fd, &m64, &b64);
  measure(4096, 2 * budget / 4096, fd, &m4k, &b4k);
  printf("miss: rtt_ratio_64=%.2f rtt_ratio_4k=%.2f\n", m64 / b64, m4k / b4k);
  return 0;
}
