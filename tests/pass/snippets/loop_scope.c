// With optimisation, a call-free innermost loop with barriers holds one scope across iterations
// (regions inside only nest in it); loops with calls, and code at -O0, keep per-region scopes.
// FARCC: -g -O1 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

void fill(struct node *p, int n) {
  for (int i = 0; i < n; i++)
    // CHECK: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop holds one scope across up to 32 iterations
    p[i].v = i;
  // CHECK: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes
}
int external(int);
void with_call(struct node *p, int n) {
  for (int i = 0; i < n; i++) p[i].v = external(i);
  // CHECK-NOT: loop_scope.c:[[@LINE-1]]:{{[0-9]+}}: remark: loop holds
}
