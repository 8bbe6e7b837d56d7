// The fast copy of a versioned counted loop has plain accesses (through p + delta, delta taken
// before the loop), so it still vectorises; the slow copy keeps its per-window checks.
// FARCC: -O2 -S -emit-llvm -o -
#include "common.h"

void fill(int *a, int n) {
  for (int i = 0; i < n; i++) a[i] = i;
}
// CHECK-LABEL: define {{.*}} @fill(
// CHECK: icmp {{.*}}, 65536
// CHECK: call i8* @far_write_slow
// CHECK: store <4 x i32>
// CHECK: ret void
