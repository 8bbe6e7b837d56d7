// __scope { } opens one scope around the block and closes it on every exit path: fall-through,
// break, continue and return all run the guard's cleanup.
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
// CHECK-LABEL: define {{.*}} @sum_until(
// CHECK: call i32 @__far_scope_open(i32 noundef 9, i32 noundef 0)
// CHECK: call void @__far_scope_close(i32* noundef
// CHECK: ret i32
// CHECK: define internal i32 @__far_scope_open(
// CHECK: define internal void @__far_scope_close(
