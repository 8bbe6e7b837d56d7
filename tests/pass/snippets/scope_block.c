// __scope { } opens one scope around the block and closes it on every exit path: fall-through,
// break, continue and return all run the guard's cleanup. Its site id is named after its line in
// the module's site table, which a constructor registers with the runtime.
// FARCC: -O0 -S -emit-llvm -o -
#include "common.h"

int sum_until(struct node *p, int limit) {
  int s = 0;
  for (; p; p = p->next) {
    __scope {
      if (p->v < 0) continue;
      if (s > limit) break;
      if (p->v == 42) return -1;
      s += p->v;
    }
  }
  return s;
}
// CHECK: [[NAME:@__farcc_site[.0-9]*]] = private unnamed_addr constant [17 x i8] c"scope_block.c:10\00"
// CHECK: @__farcc_site_names = private constant {{.*}} { i32 [[SITE:[-0-9]+]], i8* getelementptr inbounds ([17 x i8], [17 x i8]* [[NAME]],
// CHECK: @llvm.global_ctors = {{.*}} @__farcc_register_sites
// CHECK-LABEL: define {{.*}} @sum_until(
// CHECK: call i32 @__far_scope_open(i32 noundef [[SITE]], i32 noundef 0)
// CHECK: call void @__far_scope_close(i32* noundef
// CHECK: ret i32
// CHECK: define internal i32 @__far_scope_open(
// CHECK: define internal void @__far_scope_close(
// CHECK: define internal void @__farcc_register_sites()
// CHECK-NEXT: call void @far_stats_register_sites(i8* bitcast ({{.*}} @__farcc_site_names to i8*), i32
