// In a loop holding a scope, a region's barrier uses the loop's scope: it enters it if it is not
// held yet, and opens no scope of its own (a nested scope per region would cost a depth increment,
// a decrement and the pending test per barrier). The loop's scope is left on the latch every 32
// iterations and at the exit. -farpass-nest-loop-regions brings the nested scope back.
// FARCC: -O1 -c -o /dev/null -mllvm -farpass-rewritten-file=/dev/stdout
#include "common.h"

int total(const struct node *p) {
  int n = 0;
  while (p) {
    n += p->v;
    p = p->next;
  }
  return n;
}
// CHECK-LABEL: define {{.*}} @total(
// CHECK: call void @far_scope_enter(
// CHECK-NOT: @far_scope_enter(
// CHECK: call i8* @far_read(i8* {{.*}}, i64 32,
// CHECK-NOT: @far_scope_enter(
// CHECK: call void @far_scope_exit()
// CHECK-NOT: @far_scope_
// CHECK: call void @far_scope_exit()
// CHECK-NOT: @far_scope_
// CHECK: define internal void @__farcc_register_sites
