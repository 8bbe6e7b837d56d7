// With optimisation, accesses to one object within a call-free region share one barrier,
// whose span covers all of them; a write makes it a far_write.
// FARCC: -O2 -S -emit-llvm -o -
#include "common.h"

int three_fields(struct node *p) { return p->v + p->name[0] + p->name[15]; }
// CHECK-LABEL: define {{.*}} @three_fields(
// CHECK: call i8* @far_read_slow(i8* {{.*}}, i64 noundef 20,
// CHECK-NOT: call i8* @far_read_slow
// CHECK: ret i32
void update(struct node *p) { p->v = p->name[1] + 1; }
// CHECK-LABEL: define {{.*}} @update(
// CHECK: call i8* @far_write_slow(i8* {{.*}}, i64 noundef 6,
// CHECK-NOT: @far_read_slow
// CHECK: ret void
