// Allocation sites whose result becomes a pointer to a remoteable type go to the far heap,
// through typedefs, casts, initialisers, returns and embedded records; others stay on libc.
// FARCC: -O0 -S -emit-llvm -o -
#include "common.h"
#include <stdlib.h>
#include <string.h>

typedef struct node node_t;
struct holder { struct node inner; int extra; };
struct plain { int x; };

node_t *typedef_init(void) { node_t *n = malloc(sizeof *n); return n; }
// CHECK-LABEL: define {{.*}} @typedef_init(
// CHECK: call i8* @far_malloc(i64 noundef 40)
void *cast_site(size_t n) { return (struct node *)calloc(n, sizeof(struct node)); }
// CHECK-LABEL: define {{.*}} @cast_site(
// CHECK: call i8* @far_calloc(
struct node *returned(void) { return malloc(sizeof(struct node)); }
// CHECK-LABEL: define {{.*}} @returned(
// CHECK: call i8* @far_malloc(
void assigned(struct node **slot, size_t n) { *slot = realloc(*slot, n * sizeof **slot); }
// CHECK-LABEL: define {{.*}} @assigned(
// CHECK: call i8* @farcc_realloc_to_far(
struct holder *embedding(void) { return malloc(sizeof(struct holder)); }
// CHECK-LABEL: define {{.*}} @embedding(
// CHECK: call i8* @far_malloc(
struct plain *stays_local(void) { struct plain *p = malloc(sizeof *p); return p; }
// CHECK-LABEL: define {{.*}} @stays_local(
// CHECK: call noalias i8* @malloc(
char *string_stays_local(const char *s) { return strdup(s); }
// CHECK-LABEL: define {{.*}} @string_stays_local(
// CHECK: call {{.*}}i8* @farcc_strdup(
void release(struct node *p, struct plain *q) { free(p); free(q); }
// CHECK-LABEL: define {{.*}} @release(
// CHECK: call void @far_free(
// CHECK: call void @far_free(
void grown(struct node **slot, size_t n) { *slot = reallocarray(*slot, n, sizeof **slot); }
// CHECK-LABEL: define {{.*}} @grown(
// CHECK: call i8* @farcc_reallocarray_to_far(
void *untyped(struct node *p, size_t n) { return reallocarray(p, n, 64); }
// CHECK-LABEL: define {{.*}} @untyped(
// CHECK: call i8* @farcc_reallocarray(
