// A far pointer's integer that is truncated, masked (without keeping bits 63..56) or shifted has
// lost its tag: converted back to a pointer in the same expression, an error with file:line:col;
// otherwise a warning (fine as a hash or a key; a pointer made from it later would be wrong), and
// nothing when a comparison or a remainder consumes it (alignment tests, hash buckets).
// A full-width round trip through uintptr_t is fine (the barrier's tag test follows it), and so
// are masks that keep the top byte and arithmetic.
// FARCC: -c -o /dev/null
// OUTPUT: stderr
// STATUS: fail
#include "common.h"

unsigned truncate(struct node *p) { return (unsigned)(uintptr_t)p + (unsigned)p; }
// CHECK: diag_int_cast.c:[[@LINE-1]]:44: warning: integer from a pointer that may be far is truncated: fine as a hash or a key
// CHECK: diag_int_cast.c:[[@LINE-2]]:69: warning: integer from a pointer that may be far is truncated
uintptr_t mask(struct node *p) { return (uintptr_t)p & 0xffffffffffffull; }
// CHECK: diag_int_cast.c:[[@LINE-1]]:54: warning: integer from a pointer that may be far is masked
unsigned key(struct node *p) { return (unsigned)((uintptr_t)p >> 4); }
// CHECK: diag_int_cast.c:[[@LINE-1]]:39: warning: integer from a pointer that may be far is truncated
// CHECK-NOT: diag_int_cast.c:[[@LINE-2]]:{{.*}}shifted
struct node *back(struct node *p) { return (struct node *)(uintptr_t)(uint32_t)(uintptr_t)p; }
// CHECK: diag_int_cast.c:[[@LINE-1]]:70: error: integer from a pointer that may be far is truncated and then converted back to a pointer
struct node *unmask(struct node *p) { return (struct node *)((uintptr_t)p & 0xffffffffffffull); }
// CHECK: diag_int_cast.c:[[@LINE-1]]:75: error: integer from a pointer that may be far is masked and then converted back
struct node *shift(struct node *p) { return (struct node *)(((uintptr_t)p << 8) >> 8); }
// CHECK: diag_int_cast.c:[[@LINE-1]]:81: error: integer from a pointer that may be far is shifted and then converted back
uintptr_t align_down(struct node *p) { return (uintptr_t)p & ~(uintptr_t)15; }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
struct node *round_trip(struct node *p) { return (struct node *)((uintptr_t)p + 0); }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
struct node *low_tag(struct node *p) { return (struct node *)(((uintptr_t)p | 1) & ~(uintptr_t)1); }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
struct node *xor_link(struct node *p, uintptr_t q) { return (struct node *)((uintptr_t)p ^ q); }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
int aligned(struct node *p) { return ((uintptr_t)p & 7) == 0 && ((uintptr_t)p >> 4) % 64 != 1; }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
size_t bucket(struct node *p, size_t n) { return ((uintptr_t)p >> 4) % n; }
// CHECK-NOT: diag_int_cast.c:[[@LINE-1]]
