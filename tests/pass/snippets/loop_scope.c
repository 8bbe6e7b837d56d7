// With optimisation, a call-free innermost loop with barriers holds one scope across iterations,
// and its plain loads and stores cache the local address of the 256-byte window they last used
// (loop chunking); loops with calls, and code at -O0, keep per-region scopes and barriers.
// FARCC: -g -O1 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

void fill(struct node *p, int n) {
  for (int i = 0; i < n; i++)
    // CHECK: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop holds one scope across up to 32 iterations
    p[i].v = i;
  // CHECK: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: write cached per 256-byte window
}
int external(int);
void with_call(struct node *p, int n) {
  for (int i = 0; i < n; i++) p[i].v = external(i);
  // CHECK-NOT: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop holds
  // CHECK: loop_scope.c:[[@LINE-2]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes
}
// A `__scope_nocache` block as the loop body: its open and close do not count as calls, the block's
// scope nests in the loop's (and its don't-cache mode ends with each block).
void smooth(struct node *p, int n) {
  for (int i = 1; i < n; i++) __scope_nocache {
      // CHECK: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop holds one scope across up to 32 iterations
      p[i].v = p[i - 1].v;
      // CHECK: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: read cached per 256-byte window
      // CHECK: loop_scope.c:[[@LINE-2]]:{{[0-9]+}}: remark: write cached per 256-byte window
    }
}
