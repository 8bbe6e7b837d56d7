// libc calls whose pointer arguments may be far: far-aware versions or bounce buffers.
// FARCC: -O0 -S -emit-llvm -o -
#define _GNU_SOURCE /* asprintf */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void copy_in(struct node *p, const char *s, size_t n) { memcpy(p->name, s, n); }
// CHECK-LABEL: define {{.*}} @copy_in(
// CHECK: call i8* @far_memcpy(
size_t length(struct node *p) { return strlen(p->name); }
// CHECK-LABEL: define {{.*}} @length(
// CHECK: call i64 @far_strlen(
void print(struct node *p) {
  char local[8] = "x";
  printf("%s %d %s %.*s\n", p->name, p->v, local, 3, p->name);
}
// CHECK-LABEL: define {{.*}} @print(
// CHECK: [[B1:%.*]] = call i8* @farcc_bounce_in(i8* {{%.*}}, i64 0)
// CHECK: [[B2:%.*]] = call i8* @farcc_bounce_in(i8* {{%.*}}, i64 0)
// CHECK: call i32 (i8*, ...) @printf(i8* {{.*}}, i8* {{.*}}[[B1]], i32 {{.*}}, i8* {{.*}}, i32 {{.*}}3, i8* {{.*}}[[B2]])
// CHECK-DAG: call void @farcc_bounce_release(i8* [[B1]],
// CHECK-DAG: call void @farcc_bounce_release(i8* [[B2]],
void read_number(struct node *p) { scanf("%d", &p->v); }
// CHECK-LABEL: define {{.*}} @read_number(
// CHECK: [[D:%.*]] = call i8* @farcc_bounce_in(i8* {{%.*}}, i64 4)
// CHECK: call i32 (i8*, ...) @__isoc99_scanf(
// CHECK: call void @farcc_bounce_out(i8* {{%.*}}, i8* [[D]], i64 4)
static int by_v(const void *a, const void *b) {
  return ((const struct node *)a)->v - ((const struct node *)b)->v;
}
void sort(struct node *array, size_t n) { qsort(array, n, sizeof *array, by_v); }
// CHECK-LABEL: define {{.*}} @sort(
// CHECK: call void @farcc_qsort(
void save(struct node *array, size_t n, FILE *f) { fwrite(array, sizeof *array, n, f); }
// CHECK-LABEL: define {{.*}} @save(
// CHECK: call i64 @farcc_fwrite(
int number(struct node *p) { return atoi(p->name); }
// CHECK-LABEL: define {{.*}} @number(
// CHECK: call i8* @farcc_bounce_in(
// CHECK: call i32 @atoi(
// The tokenizers keep a position in the string between calls: every call goes to the far-aware
// version, also one whose arguments are all local (it continues in a far string).
char *first_word(struct node *p) { return strtok(p->name, " "); }
// CHECK-LABEL: define {{.*}} @first_word(
// CHECK: call i8* @farcc_strtok(
char *next_word(void) { return strtok(NULL, " "); }
// CHECK-LABEL: define {{.*}} @next_word(
// CHECK: call i8* @farcc_strtok(i8* noundef null,
char *next_field(char **rest) { return strsep(rest, ","); }
// CHECK-LABEL: define {{.*}} @next_field(
// CHECK: call i8* @farcc_strsep(
size_t bounded(struct node *p) { return strnlen(p->name, 8) + (size_t)strpbrk(p->name, "ab"); }
// CHECK-LABEL: define {{.*}} @bounded(
// CHECK: call i64 @far_strnlen(
// CHECK: call i8* @farcc_strpbrk(
int collate(struct node *p) { return strcoll(p->name, "m"); }
// CHECK-LABEL: define {{.*}} @collate(
// CHECK: call i8* @farcc_bounce_in(
// CHECK: call i32 @strcoll(
// asprintf: %s arguments get bounce buffers, and so does the pointer it stores when that is far.
char *format(struct node *p) { char *s = 0; asprintf(&s, "%s", p->name); return s; }
// CHECK-LABEL: define {{.*}} @format(
// CHECK: [[A:%.*]] = call i8* @farcc_bounce_in(i8* {{%.*}}, i64 0)
// CHECK: call i32 (i8**, i8*, ...) @asprintf(i8** {{.*}}, i8* {{.*}}, i8* {{.*}}[[A]])
void format_into(struct node *p, char **far_slot) { asprintf(far_slot, "%d", p->v); }
// CHECK-LABEL: define {{.*}} @format_into(
// CHECK: [[D:%.*]] = call i8* @farcc_bounce_in(i8* {{%.*}}, i64 8)
// CHECK: call void @farcc_bounce_out(i8* {{%.*}}, i8* [[D]], i64 8)
