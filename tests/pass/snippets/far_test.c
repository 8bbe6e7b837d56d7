// A barrier's far test is the runtime's own first step, class = (address >> 51) - (0xFA << 5)
// and far when class <= 16 (far_access_ in far/rt.h writes it the same way), so after the barrier
// is inlined into the far branch LLVM keeps one test: no tag-byte compare, no second class compare.
// FARCC: -O2 -S -emit-llvm -o -
#include "common.h"

int get(struct node *p) { return p->v; }
// CHECK-LABEL: define {{.*}} @get(
// CHECK-NOT: -432345564227567616
// CHECK: %[[CLASS:[0-9]+]] = add nsw i64 %{{[0-9]+}}, -8000
// CHECK-NEXT: icmp ult i64 %[[CLASS]], 17
// CHECK-NOT: icmp {{.*}} %[[CLASS]], {{1[67]}}
// CHECK: ret i32
