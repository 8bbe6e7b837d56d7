// Inline asm operands that may refer to far memory are errors with file:line:col.
// FARCC: -c -o /dev/null
// OUTPUT: stderr
// STATUS: fail
#include "common.h"

void asm_far(struct node *p) {
  int local = 0;
  __asm__ volatile("" : "+m"(p->v));
  // CHECK: diag_asm.c:[[@LINE-1]]:33: error: inline asm operand may refer to far memory
  __asm__ volatile("" : : "r"(&p->name[0]));
  // CHECK: diag_asm.c:[[@LINE-1]]:31: error: inline asm operand may refer to far memory
  __asm__ volatile("" : "+r"(local));
  // CHECK-NOT: diag_asm.c:[[@LINE-1]]
}
