// Atomics, bit-fields, unions and volatile accesses inside far objects.
// FARCC: -g -O0 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

struct __remoteable flags {
  unsigned a : 3, b : 5;
  union { int i; float f; } u;
  volatile int counter;
};
int atomic_add(struct flags *f) { return __atomic_fetch_add(&f->counter, 1, __ATOMIC_SEQ_CST); }
// CHECK: atomics_bitfields.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes
void bits(struct flags *f) { f->b = 9; }
// CHECK: atomics_bitfields.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 1 bytes for 2 access(es)
float pun(struct flags *f) { f->u.i = 1; return f->u.f; }
// CHECK: atomics_bitfields.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes
// CHECK: atomics_bitfields.c:[[@LINE-2]]:{{[0-9]+}}: remark: far_read barrier of 4 bytes
int vol(struct flags *f) { return f->counter; }
// CHECK: atomics_bitfields.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 4 bytes
