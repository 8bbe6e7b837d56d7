/* Sequential scans over a large far array of remoteable samples (the pattern loop chunking and
 * the stride prefetcher target): prefix sums, a moving average and a reverse scan. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable sample {
  double value;
  double prefix;
  long flags;
  double smooth;
};

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  const long N = 700000 * scale;
  struct sample *s = malloc(N * sizeof *s);
  for (long i = 0; i < N; i++) {
    s[i].value = (double)((i * 7919) % 1000) / 10.0;
    s[i].flags = i % 5 == 0;
  }
  double running = 0;
  for (long i = 0; i < N; i++) {
    running += s[i].value;
    s[i].prefix = running;
  }
  for (long i = 8; i < N; i++) __scope_nocache {
      s[i].smooth = (s[i].prefix - s[i - 8].prefix) / 8;
    }
  double flagged = 0;
  for (long i = N - 1; i >= 0; i--) /* touched once: don't-cache hints */
    if (__nocache(s[i].flags)) flagged += __nocache(s[i].smooth);
  printf("total %.2f flagged %.2f last %.4f\n", running, flagged, s[N - 1].smooth);
  free(s);
  return 0;
}
