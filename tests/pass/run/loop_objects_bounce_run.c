/* The loop's last object (pass/ir/loop_objects.cpp) next to bounce buffers: a chase over three
 * 40-byte records around each 64 KiB boundary of a large allocation, within one loop scope. A
 * group reading the boundary record's a..w straddles, so the runtime gives it a bounce buffer for
 * those 24 bytes; from then on the scope's barriers inside those bytes return the buffer. When the
 * chase comes back to that record, the barrier of `v` (inside the buffer, inside one object)
 * returned the buffer, and the loop remembered the buffer's offset for the whole object: the
 * record's `c` and `next` were then read past the end of the 24-byte buffer (a crash at every
 * budget before the fix). Compared with the native build by compare_test.sh. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

/* 40 bytes: the boundary at 64 KiB * m falls 8 bytes into a record when m % 5 == 3 */
struct __remoteable rec {
  long a, v, w;
  struct rec *next;
  long c;
};

/* Walks the cycle k-1 -> k -> k+1 for 30 steps (one loop scope generation). */
static unsigned long walk(struct rec *o, long k, unsigned long h) {
  o[k - 1].next = &o[k];
  o[k].next = &o[k + 1];
  o[k + 1].next = &o[k - 1];
  long steps = 0;
  for (struct rec *it = &o[k]; steps < 30; it = it->next, steps++) {
    long v = it->v;                                        /* one group: v */
    if (v % 3 == 0) h += (unsigned long)(it->a + it->w);   /* a..w: straddles at the boundary */
    h = h * 31 + (unsigned long)it->c;                     /* c and next: the loop's last object */
  }
  return h;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  struct rec *o = calloc(n, sizeof *o);
  for (long i = 0; i < n; i++) {
    o[i].a = i;
    o[i].v = 3 * i;
    o[i].w = i % 7;
    o[i].c = i * 11;
  }
  unsigned long h = 0;
  long walks = 0;
  for (long m = 1; m * 65536 / (long)sizeof *o + 1 < n; m++, walks++)
    h = walk(o, m * 65536 / (long)sizeof *o, h); /* the record holding the byte at 64 KiB * m */
  printf("%ld %lu\n", walks, h);
  return 0;
}
