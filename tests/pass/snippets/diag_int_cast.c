// Far pointers truncated or masked as integers lose their tag: errors with file:line:col.
// A full-width round trip through uintptr_t is fine (the barrier's tag test follows it).
// FARCC: -c -o /dev/null
// OUTPUT: stderr
// STATUS: fail
#include "common.h"

unsigned truncate(struct node *p) { return (unsigned)(uintptr_t)p + (unsigned)p; }
// CHECK: diag_int_cast.c:[[@LINE-1]]:69: error: pointer that may be far converted to 32-bit integer 'unsigned int'
uintptr_t mask(struct node *p) { return (uintptr_t)p & 0xffffffffffffull; }
// CHECK: diag_int_cast.c:[[@LINE-1]]:54: error: integer from a pointer that may be far is masked
uintptr_t shift(struct node *p) { return (uintptr_t)p << 8; }
// CHECK: diag_int_cast.c:[[@LINE-1]]:55: error: integer from a pointer that may be far is shifted
uintptr_t align_down(struct node *p) { return (uintptr_t)p & ~(uintptr_t)15; }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
struct node *round_trip(struct node *p) { return (struct node *)((uintptr_t)p + 0); }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
