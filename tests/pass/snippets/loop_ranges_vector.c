// The fast copy of a versioned counted loop has plain accesses (through p + delta, delta taken
// before each chunk: the iterations up to the end of the current far object, at most 65536) and
// one exit with a computable count, so it still vectorises; the slow copy keeps its per-window
// checks.
// FARCC: -O2 -S -emit-llvm -o -
#include "common.h"

void fill(int *a, int n) {
  for (int i = 0; i < n; i++) a[i] = i;
}
// CHECK-LABEL: define {{.*}} @fill(
// CHECK: call i64 @llvm.umin.i64({{.*}}, i64 65536)
// CHECK: call i8* @far_write_slow
// CHECK: store <4 x i32>
// CHECK: ret void
