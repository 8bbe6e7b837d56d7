// A field read through a pointer gets a checked barrier: far test (tag and heap size class, as the
// runtime's fast path computes it), then (far branch) the scope
// entry and far_read, a phi choosing the local address, the load, and a conditional scope exit.
// FARCC: -O0 -S -emit-llvm -o -
#include "common.h"

int get(struct node *p) { return p->v; }
// CHECK-LABEL: define {{.*}} @get(
// CHECK: [[START:%.*]] = getelementptr i8, i8* {{%.*}}, i64 0
// CHECK: [[INT:%.*]] = ptrtoint i8* [[START]] to i64
// CHECK: [[BITS:%.*]] = lshr i64 [[INT]], 51
// CHECK: [[CLASS:%.*]] = sub i64 [[BITS]], 8000
// CHECK: [[FAR:%.*]] = icmp ule i64 [[CLASS]], 16
// CHECK: br i1 [[FAR]], label %[[SLOW:.*]], label %[[JOIN:.*]]
// CHECK: [[SLOW]]:
// CHECK: call {{.*}} @far_thread_attach()
// CHECK: call i8* @far_read_slow(
// CHECK: [[JOIN]]:
// CHECK-NEXT: [[ADDR:%.*]] = phi i8* [ [[START]], %{{.*}} ], [ {{%.*}}, %{{.*}} ]
// CHECK-NEXT: [[FIELD:%.*]] = getelementptr i8, i8* [[ADDR]], i64 0
// CHECK-NEXT: [[TYPED:%.*]] = bitcast i8* [[FIELD]] to i32*
// CHECK-NEXT: load i32, i32* [[TYPED]]
// CHECK-NEXT: br i1 [[FAR]], label %[[EXIT:.*]], label
// CHECK: [[EXIT]]:
// CHECK: call void @far_scope_exit_pending()
// CHECK: ret i32
