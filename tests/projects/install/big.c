/* 24 MiB of far records, written and read back twice: more than run_projects.sh's 16 MiB budget,
 * so the runtime must start the embedded farmemd (found next to an installed farcc's runtime). */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable record { long id; char bytes[1016]; };

int main(void) {
  enum { N = 24 * 1024 };
  struct record **all = malloc(N * sizeof *all);
  for (long i = 0; i < N; i++) {
    all[i] = malloc(sizeof **all);
    all[i]->id = i;
    all[i]->bytes[i % 1000] = (char)i;
  }
  long sum = 0;
  for (int pass = 0; pass < 2; pass++)
    for (long i = 0; i < N; i++) sum += all[i]->id + all[i]->bytes[i % 1000];
  printf("sum %ld\n", sum);
  return 0;
}
