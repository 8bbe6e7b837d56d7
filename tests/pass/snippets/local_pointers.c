// Provably local memory (stack and global instances of a remoteable type, the stack slots of
// pointer variables) gets no barrier.
// FARCC: -O0 -S -emit-llvm -o -
#include "common.h"

struct node global_node;
int locals(void) {
  struct node on_stack;
  on_stack.v = 3;
  global_node.v = on_stack.v;
  int array[4] = {1, 2, 3, 4};
  return array[2] + global_node.name[1];
}
// CHECK-LABEL: define {{.*}} @locals(
// CHECK-NOT: @far_
// CHECK: ret i32
