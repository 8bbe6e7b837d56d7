// Don't-cache hints: __nocache(lvalue) gives that access far_read_nt / far_write_nt, whose inline
// fast paths fall back to far_read_nt_slow / far_write_nt_slow (and never to the ordinary slow
// paths); __scope_nocache { } opens a scope that is switched to non-temporal accesses, inline
// (far_self.pending |= FAR_PENDING_NT, no call).
// FARCC: -O1 -S -emit-llvm -o -
#include "common.h"

int scan(struct node *p) { return __nocache(p->v); }
// CHECK-LABEL: define {{.*}} @scan(
// CHECK-NOT: __far_nocache_mark
// CHECK-NOT: @far_read_slow(
// CHECK: call i8* @far_read_nt_slow(i8* {{.*}}, i64 noundef 4,
// CHECK-NOT: @far_read_slow(
// CHECK-LABEL: define {{.*}} @fill(
void fill(struct node *p) { __nocache(p->name[2]) = 'z'; }
// CHECK-NOT: @far_write_slow(
// CHECK: call i8* @far_write_nt_slow(i8* {{.*}}, i64 noundef 1,
// CHECK-NOT: @far_write_slow(
// CHECK-LABEL: define {{.*}} @stream(
void stream(struct node *p, int n) {
  __scope_nocache {
    for (int i = 0; i < n; i++) p[i].v = 0;
  }
}
// CHECK-NOT: call void @far_scope_nontemporal
// CHECK: [[PENDING:%.*]] = load i32, i32* getelementptr inbounds (%struct.far_thread, %struct.far_thread* @far_self, i64 0, i32 2)
// CHECK: [[NT:%.*]] = or i32 [[PENDING]], 1
// CHECK-NEXT: store i32 [[NT]], i32* getelementptr inbounds (%struct.far_thread, %struct.far_thread* @far_self, i64 0, i32 2)
