// With optimisation, a counted call-free loop is versioned. When its exit test is in a header
// without side effects, it is strip-mined: before each chunk of iterations that keeps every affine
// access inside its current far object, one barrier per access; otherwise (here a do-while) the
// range over the whole loop must be local or inside one far object. When the check fails, the
// unchanged copy runs with loop scopes and chunking. Pointers chased through memory are not
// chunked (their window cache would miss every time): they get a region barrier shared by the
// accesses to one object.
// FARCC: -g -O1 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

long sum_names(const struct node *p) {
  long s = 0;
  for (int i = 0; i < 16; i++) s += p->name[i];
  // CHECK: loop_ranges.c:[[@LINE-1]]:{{[0-9]+}}: remark: counted loop versioned: 1 access(es) take one barrier each before each chunk of iterations that stays inside their far objects (at most 65536 iterations)
  // CHECK: loop_ranges.c:[[@LINE-2]]:{{[0-9]+}}: remark: read cached per 256-byte window
  return s;
}

long sum_names_do(const struct node *p) {
  long s = 0;
  int i = 0;
  do s += p->name[i]; while (++i < 16);
  // CHECK: loop_ranges.c:[[@LINE-1]]:{{[0-9]+}}: remark: counted loop versioned: 1 access(es) take one barrier each before the loop when their ranges are local or in one far object (at most 65536 iterations)
  return s;
}

long chase(const struct node *p) {
  long s = 0;
  while (p) { s += p->v; p = p->next; }
  // CHECK-NOT: loop_ranges.c:[[@LINE-1]]:{{[0-9]+}}: remark: counted loop versioned
  // CHECK: loop_ranges.c:[[@LINE-2]]:{{[0-9]+}}: remark: loop holds one scope
  // CHECK-NOT: loop_ranges.c:[[@LINE-3]]:{{[0-9]+}}: remark: read cached
  // CHECK: loop_ranges.c:[[@LINE-4]]:{{[0-9]+}}: remark: far_read barrier of 32 bytes for 2 access(es)
  return s;
}

int external(int);
void with_call(int *a, int n) {
  for (int i = 0; i < n; i++) a[i] = external(i);
  // CHECK-NOT: loop_ranges.c:[[@LINE-1]]:{{[0-9]+}}: remark: counted loop versioned
  // CHECK: loop_ranges.c:[[@LINE-2]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes
}

// The nodes the array points to are reached by barriers that may miss: a chunk then holds its
// scope for 32 iterations at most, as a loop scope does, so that the evacuator is not kept
// waiting while the misses fill local memory.
long sum_pointed(struct node *const *nodes, int n) {
  long s = 0;
  for (int i = 0; i < n; i++) s += nodes[i]->v;
  // CHECK: loop_ranges.c:[[@LINE-1]]:{{[0-9]+}}: remark: counted loop versioned: 1 access(es) take one barrier each {{.*}} (at most 32 iterations)
  return s;
}

// The same for a memory intrinsic reading through such a pointer.
void copy_names(struct node *const *nodes, char (*out)[16], int n) {
  for (int i = 0; i < n; i++) __builtin_memcpy(out[i], nodes[i]->name, 16);
  // CHECK: loop_ranges.c:[[@LINE-1]]:{{[0-9]+}}: remark: counted loop versioned: 1 access(es) take one barrier each {{.*}} (at most 32 iterations)
}
