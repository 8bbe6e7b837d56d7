// With optimisation, a barrier in a loop holding a scope first checks whether its bytes lie in the
// far object the loop's barriers last reached, in the same scope generation: then it uses that
// object's far-to-local offset and takes no barrier (loop_objects.h). In a tree insert, the slot
// read of one iteration lies in the node reached by the previous one.
// FARCC: -g -O1 -c -o /dev/null -Rpass=farpass
// OUTPUT: stderr
#include "common.h"

struct __remoteable tnode {
  unsigned long key;
  struct tnode *left, *right;
};

struct tnode **find_slot(struct tnode **slot, unsigned long key) {
  while (*slot && (*slot)->key != key)
    slot = key < (*slot)->key ? &(*slot)->left : &(*slot)->right;
  return slot;
}
// `*slot` checks the remembered object (slot is carried from the previous iteration, where it was
// derived from the node then read); `(*slot)->key` reaches a new node, so it only remembers it.
// CHECK: loop_objects.c:15:{{[0-9]+}}: remark: loop holds one scope
// CHECK: loop_objects.c:15:10: remark: far_read barrier of 8 bytes for 1 access(es), or the loop's last object
// CHECK: loop_objects.c:15:28: remark: far_read barrier of 8 bytes for 1 access(es) [
// CHECK: loop_objects.c:16:{{[0-9]+}}: remark: far_read barrier of 8 bytes for 1 access(es), or the loop's last object
// CHECK: loop_objects.c:16:{{[0-9]+}}: remark: far_read barrier of 8 bytes for 1 access(es) [

// Outside loops, and for don't-cache accesses, there is no remembered object.
int first(struct node *p) { return p->v + __nocache(p->next->v); }
// CHECK-NOT: last object
// CHECK: loop_objects.c:[[@LINE-2]]:{{[0-9]+}}: remark: far_read barrier of 32 bytes for 2 access(es) [
// CHECK-NOT: last object
// CHECK: loop_objects.c:[[@LINE-4]]:{{[0-9]+}}: remark: far_read_nt barrier of 4 bytes for 1 access(es) [
