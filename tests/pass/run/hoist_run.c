/* Loops whose far loads are hoisted (pass/ir/hoist_loads.cpp) and loops whose look-alike loads
 * must not be, run under memory pressure against the native build (compare_test.sh): a BFS with
 * self-edges (w == v, so the store to w->dist writes v->dist), a bound read from the object the
 * loop appends to (p->count grows while it is the bound), a far array pointer replaced inside the
 * loop, and a loop that reads a far bound and walks a far array of far pointers. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable vtx {
  int degree, dist, count, pad;
  struct vtx **edges;
  long items[60];
};

static unsigned next_rand(unsigned *s) { return *s = *s * 1103515245u + 12345u, (*s >> 8) & 0xffffff; }

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  if (n < 2) n = 2;
  struct vtx **all = malloc(n * sizeof *all);
  unsigned seed = 3;
  for (long i = 0; i < n; i++) {
    all[i] = calloc(1, sizeof **all);
    all[i]->dist = -1;
    all[i]->degree = 2 + (int)(i % 5);
    all[i]->edges = malloc(all[i]->degree * sizeof(struct vtx *));
  }
  for (long i = 0; i < n; i++)
    for (int e = 0; e < all[i]->degree; e++)
      all[i]->edges[e] = e == 0 ? all[i] : all[next_rand(&seed) % n]; /* a self-edge first */
  struct vtx **queue = malloc(n * sizeof *queue);
  long head = 0, tail = 0, h = 0;
  all[0]->dist = 0;
  queue[tail++] = all[0];
  while (head < tail) {
    struct vtx *v = queue[head++];
    for (int e = 0; e < v->degree; e++) {
      struct vtx *w = v->edges[e];
      if (w->dist < 0 || w == v) {
        w->dist = v->dist + 1; /* w == v: changes v->dist for the next edges */
        if (w != v) queue[tail++] = w;
      }
      h += v->dist;
    }
  }
  for (long i = 0; i < n; i++) {
    struct vtx *p = all[i], *q = all[(i * 7) % n];
    /* q may be p: p->count is the bound and grows, up to 60 items */
    for (int k = 0; k < p->count + 2 && k < 60; k++) {
      q->items[q->count % 60] = k;
      q->count++;
    }
    h += p->count * 3 + q->count;
  }
  for (long i = 0; i < n; i += 3) { /* the edge array is replaced while it is read */
    struct vtx *v = all[i];
    for (int e = 0; e < v->degree; e++) {
      h += v->edges[e]->dist;
      if (e == 1 && all[(i + 1) % n]->degree >= v->degree) v->edges = all[(i + 1) % n]->edges;
    }
  }
  for (long i = 0; i < n; i++) { /* invariant bound and array: hoisted, then versioned */
    struct vtx *v = all[i];
    for (int e = 0; e < v->degree; e++) h += v->edges[e]->count + v->edges[e]->dist;
  }
  printf("%ld %ld %ld\n", tail, h, (long)all[n - 1]->dist);
  return 0;
}
