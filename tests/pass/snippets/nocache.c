// Don't-cache hints: __nocache(lvalue) gives that access far_read_nt / far_write_nt;
// __scope_nocache { } opens a scope that is switched to non-temporal accesses.
// FARCC: -O0 -S -emit-llvm -o -
#include "common.h"

int scan(struct node *p) { return __nocache(p->v); }
// CHECK-LABEL: define {{.*}} @scan(
// CHECK-NOT: __far_nocache_mark
// CHECK: call i8* @far_read_nt(i8* {{%.*}}, i64 4,
void fill(struct node *p) { __nocache(p->name[2]) = 'z'; }
// CHECK-LABEL: define {{.*}} @fill(
// CHECK: call i8* @far_write_nt(i8* {{%.*}}, i64 1,
void stream(struct node *p, int n) {
  __scope_nocache {
    for (int i = 0; i < n; i++) p[i].v = 0;
  }
}
// CHECK-LABEL: define {{.*}} @stream(
// CHECK: call i32 @__far_scope_open(i32 noundef {{[0-9]+}}, i32 noundef 1)
// CHECK: define internal i32 @__far_scope_open(
// CHECK: call void @far_scope_nontemporal()
