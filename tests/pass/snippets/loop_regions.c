// In a loop holding a scope, a region's barrier uses the loop's scope: it enters it if it is not
// held yet, and opens no scope of its own (a nested scope per region would cost a depth increment,
// a decrement and the pending test per barrier). The loop's scope is left on the latch every 32
// iterations and at the exit. -farpass-nest-loop-regions brings the nested scope back. That holds
// too for a region after a chunked access in the same block (chunking splits the block).
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

// q->v is chunked (its pointer is invariant; the loop writes it, so it is not hoisted), which
// splits the blocks before p's regions: they still open no scope of their own, so the only exits
// are the loop's (latch and exit) and then the scope of `return q->v`.
int count_into(const struct node *p, struct node *q) {
  while (p) {
    q->v++;
    q->v += p->v;
    p = p->next;
  }
  return q->v;
}
// CHECK-LABEL: define {{.*}} @count_into(
// CHECK: call void @far_scope_exit()
// CHECK-NOT: @far_scope_exit()
// CHECK: call void @far_scope_exit()
// CHECK-NOT: @far_scope_exit()
// CHECK: call void @far_scope_enter(
// CHECK-NOT: @far_scope_exit()
// CHECK: call void @far_scope_exit()
// CHECK-NOT: @far_scope_exit()
// CHECK: define internal void @__farcc_register_sites
