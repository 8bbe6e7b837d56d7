// Jumps into a __scope block (goto, a computed goto's label address, a case label of a switch
// outside it) would skip the block's scope entry but run its exit, and a longjmp inside it would
// leave its scope open: errors with file:line:col. Jumps out of a block, and jumps and switches
// wholly inside one, are fine.
// FARCC: -c -o /dev/null
// OUTPUT: stderr
// STATUS: fail
#include "common.h"
#include <setjmp.h>
jmp_buf env;
int jumps(struct node *p, int c) {
  if (c == 1) goto inside;
  // CHECK: diag_scope_jumps.c:[[@LINE-1]]:15: error: goto into the __scope block of line [[@LINE+1]] is not supported
  __scope {
  inside:
    p->v++;
    if (c == 2) goto out;
    if (c == 3) goto inside;
    __scope {
      if (c == 4) goto inside;
    nested:
      p->v--;
    }
    if (c == 5) goto nested;
    // CHECK: diag_scope_jumps.c:[[@LINE-1]]:17: error: goto into the __scope block of line [[@LINE-6]] is not supported
    switch (c) {
    case 6: p->v = 6; break;
    default: break;
    }
  }
out:
  return p->v;
}
int cases(struct node *p, int c) {
  switch (c) {
  case 0:
    __scope {
    case 1: p->v = 1;
    // CHECK: diag_scope_jumps.c:[[@LINE-1]]:5: error: a switch's case label into the __scope block of line [[@LINE-2]] is not supported
    }
  }
  return 0;
}
void *computed(struct node *p) {
  __scope {
  target:
    p->v = 2;
  }
  return &&target;
  // CHECK: diag_scope_jumps.c:[[@LINE-1]]:10: error: a computed goto into the __scope block of line [[@LINE-5]] is not supported
}
void escape(struct node *p) {
  __scope {
    if (p->v) longjmp(env, 1);
    // CHECK: diag_scope_jumps.c:[[@LINE-1]]:15: error: longjmp out of the __scope block of line [[@LINE-2]] is not supported
  }
}
// CHECK-NOT: error:
