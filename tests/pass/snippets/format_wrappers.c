// printf-like functions the libc interop does not list (a program's own wrapper declared with the
// format attribute, err.h's warnx): with a literal format, a %s argument that may be far is passed
// as a local bounce copy, released after the call; local strings and other conversions are not.
// FARCC: -O0 -S -emit-llvm -o -
#include "common.h"
#include <err.h>
__attribute__((format(printf, 2, 3))) void log_to(int level, const char *fmt, ...);
void wrapper(struct node *p, const char *local) {
  log_to(1, "%d %s %s %.*s", p->v, p->name, "lit", 2, p->name);
}
// CHECK-LABEL: define {{.*}} @wrapper(
// CHECK-NOT: __far_format_string
// CHECK: [[A:%.*]] = call i8* @farcc_bounce_in(i8* {{%.*}}, i64 0)
// CHECK: [[B:%.*]] = call i8* @farcc_bounce_in(i8* {{%.*}}, i64 0)
// CHECK: call void (i32, i8*, ...) @log_to(i32 noundef 1, i8* {{.*}}, i32 {{.*}}, i8* {{.*}}[[A]], i8* {{.*}}, i32 {{.*}}2, i8* {{.*}}[[B]])
// CHECK-DAG: call void @farcc_bounce_release(i8* [[A]],
// CHECK-DAG: call void @farcc_bounce_release(i8* [[B]],
void library(struct node *p) { warnx("%s", p->name); }
// CHECK-LABEL: define {{.*}} @library(
// CHECK: [[C:%.*]] = call i8* @farcc_bounce_in(
// CHECK: call void (i8*, ...) @warnx(i8* {{.*}}, i8* {{.*}}[[C]])
