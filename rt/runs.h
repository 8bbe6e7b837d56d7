/* Runs of consecutive largest-class ids backing allocations above 64 KiB: the length of each live run
 * (so far_free and far_usable_size know it) and the freed runs available for reuse. Callers hold the
 * largest class's heap lock. */
#ifndef FAR_RUNS_H
#define FAR_RUNS_H

#include <stdbool.h>
#include <stdint.h>

struct far_run {
  unsigned cls;
  uint64_t start, count;
};

void far_runs_remember(uint64_t start, uint64_t count);
/* Forgets a live run and returns its length; 1 when start begins no run (a single object). */
uint64_t far_runs_forget(uint64_t start);
uint64_t far_runs_length(uint64_t start);
/* Freed runs: first fit, the rest of a longer run stays free. */
bool far_runs_take_free(uint64_t count, uint64_t *start);
void far_runs_give_free(uint64_t start, uint64_t count);

#endif
