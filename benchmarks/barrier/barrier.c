/* The barrier fast path with everything local, against raw loads and stores of the same data, in one
 * run: an array sum (sequential reads), an array increment (sequential read-modify-writes) and a
 * pointer chase through a randomly linked list. The far loops open one scope per 256 accesses, as
 * the plugin's __scope around a chunked loop does; the raw loops are the same C without barriers.
 * Vectorisation is off for both so the comparison is per access, not SIMD against scalar. Raw and
 * far runs alternate, 15 of each, and the best of each counts. Prints a table, then the summary
 * line. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "far/rt.h"

#define N (1u << 20)      /* array: 8 MiB of longs */
#define NODES (1u << 16)  /* list: 64 Ki nodes of 64 bytes */
#define REPS 15
#define SCOPE_CHUNK 256

struct node {
  struct node *next;
  long value;
  char pad[48];
};

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile long sink;

__attribute__((noinline)) static void sum_raw(long *a) {
  long s = 0;
#pragma clang loop vectorize(disable) interleave(disable)
  for (size_t i = 0; i < N; i++) s += a[i];
  sink = s;
}

__attribute__((noinline)) static void sum_far(long *a) {
  long s = 0;
  for (size_t i = 0; i < N; i += SCOPE_CHUNK) {
    far_scope_enter(1);
#pragma clang loop vectorize(disable) interleave(disable)
    for (size_t j = i; j < i + SCOPE_CHUNK; j++) s += *(long *)far_read(&a[j], sizeof(long), 1);
    far_scope_exit();
  }
  sink = s;
}

__attribute__((noinline)) static void inc_raw(long *a) {
#pragma clang loop vectorize(disable) interleave(disable)
  for (size_t i = 0; i < N; i++) a[i]++;
}

__attribute__((noinline)) static void inc_far(long *a) {
  for (size_t i = 0; i < N; i += SCOPE_CHUNK) {
    far_scope_enter(2);
#pragma clang loop vectorize(disable) interleave(disable)
    for (size_t j = i; j < i + SCOPE_CHUNK; j++) (*(long *)far_write(&a[j], sizeof(long), 2))++;
    far_scope_exit();
  }
}

__attribute__((noinline)) static void chase_raw(struct node *head) {
  long s = 0;
  for (struct node *n = head; n; n = n->next) s += n->value;
  sink = s;
}

__attribute__((noinline)) static void chase_far(struct node *head) {
  long s = 0;
  struct node *n = head;
  while (n) {
    far_scope_enter(3);
    for (unsigned k = 0; k < SCOPE_CHUNK && n; k++) {
      struct node *l = far_read(n, sizeof *n, 3);
      s += l->value;
      n = l->next;
    }
    far_scope_exit();
  }
  sink = s;
}

/* Times raw_call and far_call alternately REPS times (so noise from other processes hits both alike)
 * and keeps the best of each, in ns per access. */
#define TIME_PAIR(raw_call, far_call, accesses, raw_best, far_best)      \
  do {                                                                   \
    raw_best = far_best = 1e30;                                          \
    for (int r_ = 0; r_ < REPS; r_++) {                                  \
      double t0_ = now_ns();                                             \
      raw_call;                                                          \
      double t1_ = now_ns();                                             \
      far_call;                                                          \
      double t2_ = now_ns();                                             \
      if ((t1_ - t0_) / (accesses) < raw_best) raw_best = (t1_ - t0_) / (accesses); \
      if ((t2_ - t1_) / (accesses) < far_best) far_best = (t2_ - t1_) / (accesses); \
    }                                                                    \
  } while (0)

/* Links nodes[] (local or far) into one list in a random order; returns the head. */
static struct node *link_list(struct node **nodes, int far) {
  unsigned seed = 7;
  unsigned *order = malloc(NODES * sizeof *order);
  for (unsigned i = 0; i < NODES; i++) order[i] = i;
  for (unsigned i = NODES - 1; i > 0; i--) {
    unsigned j = (unsigned)rand_r(&seed) % (i + 1), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (unsigned i = 0; i < NODES; i++) {
    struct node *n = nodes[order[i]];
    struct node v = {.next = i + 1 < NODES ? nodes[order[i + 1]] : NULL, .value = (long)i};
    if (far) {
      far_scope_enter(0);
      *(struct node *)far_write(n, sizeof *n, 0) = v;
      far_scope_exit();
    } else {
      *n = v;
    }
  }
  struct node *head = nodes[order[0]];
  free(order);
  return head;
}

int main(void) {
  long *raw = calloc(N, sizeof(long)), *far = far_calloc(N, sizeof(long));
  struct node **raw_nodes = malloc(NODES * sizeof *raw_nodes), **far_nodes = malloc(NODES * sizeof *far_nodes);
  for (unsigned i = 0; i < NODES; i++) {
    raw_nodes[i] = malloc(sizeof(struct node));
    far_nodes[i] = far_malloc(sizeof(struct node));
    far_scope_enter(0); /* local copies laid out in allocation order, as malloc's are */
    far_write(far_nodes[i], sizeof(struct node), 0);
    far_scope_exit();
  }
  struct node *raw_head = link_list(raw_nodes, 0), *far_head = link_list(far_nodes, 1);
  inc_far(far); /* make every far object local and dirty, so the fast paths apply */
  inc_far(far);
  chase_far(far_head);
  chase_far(far_head);

  uint64_t slow_before = far_stats().c.barrier_slow;
  double sr, sf, ir, wf, cr, cf;
  TIME_PAIR(sum_raw(raw), sum_far(far), N, sr, sf);
  TIME_PAIR(inc_raw(raw), inc_far(far), N, ir, wf);
  TIME_PAIR(chase_raw(raw_head), chase_far(far_head), NODES, cr, cf);
  struct far_stats_totals st = far_stats();

  printf("%-26s %10s %10s %8s\n", "loop", "raw ns", "far ns", "ratio");
  printf("%-26s %10.3f %10.3f %8.2f\n", "array sum (read)", sr, sf, sf / sr);
  printf("%-26s %10.3f %10.3f %8.2f\n", "array increment (write)", ir, wf, wf / ir);
  printf("%-26s %10.3f %10.3f %8.2f\n", "pointer chase (read)", cr, cf, cf / cr);
  printf("slow-path barriers during the timed loops: %llu\n",
         (unsigned long long)(st.c.barrier_slow - slow_before));
  printf("barrier: read_ratio=%.2f write_ratio=%.2f ns_per_read=%.2f\n", sf / sr, wf / ir, sf);
  return 0;
}
