/* Test probe with the whole runtime (libfarrt) and the embedded farmemd: writes and reads back a
 * far array through barriers, writes it back (which starts the embedded farmemd, lazily) and prints
 * its sum; with argv[1] = "raw" it then reads an element without a barrier, which the safety net
 * must report; with "local" it skips the write-back. */
#include <far/rt.h>

#include <stdio.h>
#include <string.h>

#define N (1 << 17)

__attribute__((noinline)) long read_without_barrier(long *p) { return p[5]; }

int main(int argc, char **argv) {
  long *p = far_malloc(N * sizeof *p);
  far_scope_enter(0);
  for (long i = 0; i < N; i++)
    *(long *)far_write(&p[i], sizeof *p, 0) = i;
  far_scope_exit();
  if (argc < 2 || strcmp(argv[1], "local")) /* "local": never needs the server, so never starts it */
    far_flush_range(p, N * sizeof *p); /* the embedded farmemd starts here: the first use of it */
  long sum = 0;
  far_scope_enter(0);
  for (long i = 0; i < N; i++)
    sum += *(long *)far_read(&p[i], sizeof *p, 0);
  far_scope_exit();
  printf("sum %ld\n", sum);
  fflush(stdout);
  if (argc > 1 && !strcmp(argv[1], "raw"))
    printf("raw %ld\n", read_without_barrier(p));
  return 0;
}
