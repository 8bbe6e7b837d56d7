// Every write form gets a far_write barrier: =, compound assignment, ++, (*p).f, p[i].f, chains
// (whose intermediate loads get far_read barriers); a read-modify-write shares one barrier. Checked through -Rpass=farpass remarks.
// FARCC: -g -O0 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

void assign(struct node *p) { p->v = 1; }
// CHECK: write_forms.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes
void compound(struct node *p) { p->v += 2; }
// CHECK: write_forms.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes for 2 access(es)
void increment(struct node *p) { (*p).v++; }
// CHECK: write_forms.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes for 2 access(es)
void element(struct node *p, int i) { p[i].name[3] = 'x'; }
// CHECK: write_forms.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_write barrier of 1 bytes
void chain(struct node *p) { p->next->next->v = 7; }
// CHECK: write_forms.c:[[@LINE-1]]:{{[0-9]+}}: remark: far_read barrier of 8 bytes
// CHECK: write_forms.c:[[@LINE-2]]:{{[0-9]+}}: remark: far_read barrier of 8 bytes
// CHECK: write_forms.c:[[@LINE-3]]:{{[0-9]+}}: remark: far_write barrier of 4 bytes
