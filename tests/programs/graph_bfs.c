/* Random directed graph with remoteable vertices and far adjacency arrays: BFS distances from
 * vertex 0, a distance histogram, and in/out degree checks. About 20 MiB. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable vertex {
  int id, degree, capacity, distance;
  struct vertex **edges; /* far array of far pointers */
  long label[120];
};

struct __remoteable edge_list { struct vertex *to[1]; };

static unsigned rng(unsigned *s) { return *s = *s * 1103515245u + 12345u, (*s >> 8) & 0xffffff; }

static void add_edge(struct vertex *from, struct vertex *to) {
  if (from->degree == from->capacity) {
    from->capacity = from->capacity ? from->capacity * 2 : 4;
    struct edge_list *grown = realloc(from->edges, from->capacity * sizeof(struct vertex *));
    from->edges = grown->to;
  }
  from->edges[from->degree++] = to;
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  const int N = 16000 * (int)scale;
  enum { EDGES_PER_VERTEX = 6 };
  struct vertex **all = malloc(N * sizeof *all); /* local index of far vertices */
  for (int i = 0; i < N; i++) {
    struct vertex *v = calloc(1, sizeof *v);
    v->id = i;
    v->distance = -1;
    for (int j = 0; j < 4; j++) v->label[j] = (long)i * (j + 3);
    all[i] = v;
  }
  unsigned seed = 7;
  for (int i = 0; i < N; i++)
    for (int e = 0; e < EDGES_PER_VERTEX; e++) add_edge(all[i], all[rng(&seed) % N]);
  struct vertex **queue = malloc(N * sizeof *queue);
  int head = 0, tail = 0;
  all[0]->distance = 0;
  queue[tail++] = all[0];
  while (head < tail) {
    struct vertex *v = queue[head++];
    for (int e = 0; e < v->degree; e++) {
      struct vertex *w = v->edges[e];
      if (w->distance < 0) {
        w->distance = v->distance + 1;
        queue[tail++] = w;
      }
    }
  }
  int histogram[32] = {0}, unreachable = 0;
  long labels = 0;
  for (int i = 0; i < N; i++) {
    if (all[i]->distance < 0) unreachable++;
    else histogram[all[i]->distance < 31 ? all[i]->distance : 31]++;
    labels += all[i]->label[i % 4];
  }
  printf("reached %d unreachable %d labels %ld\n", tail, unreachable, labels);
  for (int d = 0; d < 32; d++)
    if (histogram[d]) printf("distance %d: %d\n", d, histogram[d]);
  for (int i = 0; i < N; i++) {
    free(all[i]->edges);
    free(all[i]);
  }
  free(queue);
  free(all);
  return 0;
}
