// Pointers that do not have a remoteable type still get checked barriers: field addresses handed
// to other functions, casts to char * / void *, pointer arithmetic, pointers loaded from globals,
// integer round trips, function pointers stored in far objects.
// FARCC: -g -O0 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

int *shared_field;
int deref(int *field) { return *field; }
// CHECK: derived_pointers.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 4 bytes
void bytes(struct node *p) { char *c = (char *)p; c[5] = 1; }
// CHECK: derived_pointers.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 1 bytes
int arith(void *v) { return *((int *)v + 3); }
// CHECK: derived_pointers.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 4 bytes
int through_global(void) { return *shared_field; }
// CHECK: derived_pointers.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 4 bytes
int round_trip(struct node *p) { uintptr_t bits = (uintptr_t)p; return ((struct node *)bits)->v; }
// CHECK: derived_pointers.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 4 bytes
int call_field_ptr(struct node *p) { return p->fn(2); }
// CHECK: derived_pointers.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 8 bytes
