/* A plain program the paging tests run under LD_PRELOAD=libfarpaging.so in a child process (see
 * test_paging_env.c): `paging_child LINES MIB` fills MIB MiB of heap, prints LINES numbered lines to a
 * fully buffered stdout between fills (so the stdio buffer, which malloc put in the arena, is
 * evicted), and exits from main without flushing: the output must still arrive whole, which needs
 * the pager to work through exit(). With no arguments it just exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 3)
    return 0;
  long lines = atol(argv[1]);
  size_t bytes = (size_t)atol(argv[2]) << 20;
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  char *heap = malloc(bytes);
  if (!heap)
    return 3;
  for (long i = 0; i < lines; i++) {
    printf("line %ld of %ld\n", i, lines);
    if (i % (lines / 4 + 1) == 0)
      memset(heap, (int)i, bytes); /* pushes everything else out of the budget */
  }
  return heap[bytes - 1] == 0 ? 4 : 0; /* keeps the fills */
}
