// Inside a __scope block the runtime keeps every barrier result valid until the block ends, so
// accesses after a call reuse an earlier barrier of the block that covers their bytes (a write
// only after a write barrier); outside the block, a call still ends the barrier's use.
// FARCC: -g -O2 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

long external(long);
long reuse(struct node *p) {
  long s = 0;
  __scope {
    s += p->v + p->name[3];
    // CHECK: scope_reuse.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 8 bytes for 2 access(es)
    s += external(s);
    p->name[0] = (char)s;
    // CHECK: scope_reuse.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 1 bytes
    s += external(p->name[0]);
    p->name[0] += 1;
    s += external(s);
    s += p->v;
  }
  s += p->v;
  // CHECK: scope_reuse.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 4 bytes for 1 access(es)
  return s;
}
// CHECK-DAG: scope_reuse.c:18:{{[0-9]+}}: remark: reuses the barrier of line 15 in its __scope block for 2 access(es)
// CHECK-DAG: scope_reuse.c:20:{{[0-9]+}}: remark: reuses the barrier of line 12 in its __scope block for 1 access(es)
