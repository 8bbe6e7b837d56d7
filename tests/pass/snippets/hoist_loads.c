// With optimisation, a far load that reads the same bytes on every iteration of a call-free
// innermost loop (its pointer is invariant and no store of the loop may write those bytes) is
// hoisted before the loop, before barriers exist: it takes one barrier in the preheader. A bound
// read from far memory then makes the loop counted (so it is versioned), and a far array pointer
// read from far memory gives affine accesses. Loads that a store of the loop may change stay.
// FARCC: -g -O1 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

struct __remoteable vertex {
  int degree, distance;
  struct vertex **edges;
};

// Like the BFS inner loop of tests/programs/graph_bfs.c: w->distance (a far int store) cannot
// change v->degree or v->edges (TBAA: other fields of the struct), nor can a store of a long.
int relax(struct vertex *v, long *found, int tail) {
  for (int e = 0; e < v->degree; e++) {
    // CHECK-DAG: hoist_loads.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop-invariant far load hoisted out of its loop
    // CHECK-DAG: hoist_loads.c:[[@LINE+1]]:{{[0-9]+}}: remark: loop-invariant far load hoisted out of its loop
    struct vertex *w = v->edges[e];
    if (w->distance < 0) {
      w->distance = v->distance + 1; // may write v->distance (w == v): not hoisted
      found[tail++] = e;
    }
  }
  // CHECK: hoist_loads.c:[[@LINE-9]]:{{[0-9]+}}: remark: counted loop versioned
  // CHECK-NOT: hoist_loads.c:[[@LINE-5]]:{{[0-9]+}}: remark: loop-invariant
  return tail;
}

// The loop writes p->v: p->v is reloaded every iteration.
void bump(struct node *p, int n) {
  for (int i = 0; i < n; i++) p->v = p->v * 3 + i;
  // CHECK-NOT: hoist_loads.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop-invariant
  // CHECK: hoist_loads.c:[[@LINE-2]]:{{[0-9]+}}: remark: loop holds one scope
}

// q->v (an int store through another node pointer) may be p->v: not hoisted.
int sum_while(struct node *p, struct node *q, int n) {
  int s = 0;
  for (int i = 0; i < n; i++) { s += p->v; q->v = i; }
  // CHECK-NOT: hoist_loads.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop-invariant
  // CHECK: hoist_loads.c:[[@LINE-2]]:{{[0-9]+}}: remark: loop holds one scope
  return s;
}

// Storing a pointer through an argument may write v->edges (any pointer may): not hoisted.
void copy_out(struct vertex *v, struct vertex **out) {
  for (int e = 0; e < 8; e++) out[e] = v->edges[e];
  // CHECK-NOT: hoist_loads.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop-invariant
  // CHECK: hoist_loads.c:[[@LINE-2]]:{{[0-9]+}}: remark: counted loop versioned
}
