/* Loop shapes for counted-loop versioning and strip-mining (pass/ir/loop_ranges.cpp), run under
 * memory pressure against the native build (compare_test.sh): negative steps, elements that
 * straddle 64 KiB objects (24-byte records), inner counted loops, read-modify-write, loops that
 * never run, int pointers into far records, loop-carried values through memory, and do-while. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable rec { int a; short b; char c[10]; }; /* 16 bytes */
struct __remoteable big { char pad[3000]; };            /* 4 KiB objects */
struct __remoteable odd { char b[24]; };                /* straddles object boundaries */

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 50000, h = 0;
  struct rec *r = malloc(n * sizeof *r);
  struct odd *o = calloc(n, sizeof *o);
  struct big **bs = malloc(64 * sizeof *bs);
  for (long i = 0; i < n; i++) { r[i].a = (int)(i * 3); r[i].b = (short)i; r[i].c[i % 10] = (char)i; }
  for (long i = n - 1; i >= 0; i -= 2) h += r[i].a - r[i].b;
  for (long i = 0; i < n; i++)
    for (int j = 0; j < 24; j += 5) o[i].b[j] = (char)(o[i].b[j] + i + j);
  for (long i = 0; i < n; i++) h += o[i].b[0] + o[i].b[20];
  for (long i = 0; i < n; i += 7) { o[i].b[3] += 1; o[i].b[3] *= 2; }
  for (int k = 0; k < 64; k++) {
    bs[k] = malloc(sizeof *bs[k]);
    for (int j = 0; j < 3000; j++) bs[k]->pad[j] = (char)(j ^ k);
  }
  for (int k = 0; k < 64; k++) {
    long s = 0;
    for (int j = 2999; j >= 0; j--) s += bs[k]->pad[j];
    h += s;
  }
  for (long i = 0; i < 0; i++) h += r[i].a;
  int *ints = (int *)&r[1];
  for (long i = 0; i < n / 3; i++) h += ints[i];
  for (long i = 1; i < n; i++) r[i].a += r[i - 1].a & 7;
  long i = 0;
  do h += r[i].a + o[i].b[i % 24]; while (++i < n);
  printf("%ld\n", h);
  return 0;
}
