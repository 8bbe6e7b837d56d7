/* Barrier reuse inside `__scope` blocks (pass/ir/scope_reuse.cpp), run under memory pressure
 * against the native build (compare_test.sh): accesses after calls reuse the block's earlier
 * barriers, including in loops inside the block, across `continue`/`break`, and with callees that
 * touch other far objects (forcing misses and evacuations) while the block holds its scope. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable node { long a, b; char name[16]; struct node *next; };

/* Not inlined: a call ends a barrier region. Touches another far object. */
__attribute__((noinline)) static long touch(struct node *other, long v) {
  other->a += v & 3;
  return other->a;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000, s = 0;
  if (n < 2) n = 2;
  struct node **all = malloc(n * sizeof *all);
  for (long i = 0; i < n; i++) {
    all[i] = calloc(1, sizeof **all);
    all[i]->a = i;
    all[i]->name[i % 16] = (char)i;
  }
  for (long i = 0; i < n; i++) {
    struct node *p = all[i], *q = all[(i * 7919) % n];
    __scope {
      s += p->a + p->b;
      s += touch(q, s);
      p->b = s & 0xffff; /* a write: its own write barrier */
      s += touch(all[(i + 1) % n], p->b);
      p->b += 1; /* reuses that write barrier across the call */
      s += touch(q, 1);
      if (p->a % 5 == 0) continue; /* reuses the block's first (read) barrier */
      for (int k = 0; k < 3; k++) s += touch(q, k) + p->b + p->name[k];
      if (s < 0) break;
    }
  }
  for (long i = 0; i < n; i++) s += all[i]->a * 3 + all[i]->b;
  printf("%ld\n", s);
  return 0;
}
