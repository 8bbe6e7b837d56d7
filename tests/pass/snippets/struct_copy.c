// Struct copies, by-value arguments and returns move through barriers on both sides; a by-value
// argument from a far object is first copied to a local temporary.
// FARCC: -g -O0 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

void copy(struct node *dst, struct node *src) { *dst = *src; }
// CHECK-DAG: struct_copy.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 40 bytes
// CHECK-DAG: struct_copy.c:[[@LINE-2]]:{{[0-9]+}}: remark: far_read barrier of 40 bytes
int by_value(struct node n) { return n.v; }
int pass(struct node *p) { return by_value(*p); }
// CHECK: struct_copy.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 40 bytes
struct node ret(struct node *p) { return *p; }
// CHECK: struct_copy.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 40 bytes
