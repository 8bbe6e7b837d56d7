/* Bookkeeping for multi-object allocations (see runs.h): an open-addressing hash table from a run's
 * first id to its length, and a plain array of freed runs searched first fit. Large allocations are
 * few, so simple structures are enough. */
#include <stdlib.h>

#include "runs.h"
#include "support.h"

struct slot {
  uint64_t start, count; /* count 0: empty */
};
static struct slot *table;
static size_t cap, used;
static struct far_run *freed;
static size_t nfreed, cap_freed;

static size_t hash(uint64_t start) { return (size_t)(start * 0x9E3779B97F4A7C15ull >> 20); }

static struct slot *find(uint64_t start) {
  if (!cap) return NULL;
  for (size_t i = hash(start) & (cap - 1);; i = (i + 1) & (cap - 1)) {
    if (table[i].count == 0) return NULL;
    if (table[i].start == start) return &table[i];
  }
}

static void insert(uint64_t start, uint64_t count) {
  size_t i = hash(start) & (cap - 1);
  while (table[i].count) i = (i + 1) & (cap - 1);
  table[i] = (struct slot){start, count};
  used++;
}

static void grow(void) {
  struct slot *old = table;
  size_t oldcap = cap;
  cap = cap ? 2 * cap : 64;
  table = calloc(cap, sizeof *table);
  if (!table) far_fatal("out of memory for the far heap's run table");
  used = 0;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i].count) insert(old[i].start, old[i].count);
  free(old);
}

void far_runs_remember(uint64_t start, uint64_t count) {
  if ((used + 1) * 2 > cap) grow();
  insert(start, count);
}

uint64_t far_runs_length(uint64_t start) {
  struct slot *s = find(start);
  return s ? s->count : 1;
}

/* Removal with backward shift, so probes never stop early at a hole. */
uint64_t far_runs_forget(uint64_t start) {
  struct slot *s = find(start);
  if (!s) return 1;
  uint64_t count = s->count;
  size_t hole = s - table;
  table[hole].count = 0;
  used--;
  for (size_t i = (hole + 1) & (cap - 1); table[i].count; i = (i + 1) & (cap - 1)) {
    struct slot moved = table[i];
    table[i].count = 0;
    used--;
    insert(moved.start, moved.count);
  }
  return count;
}

bool far_runs_take_free(uint64_t count, uint64_t *start) {
  for (size_t i = 0; i < nfreed; i++) {
    if (freed[i].count < count) continue;
    *start = freed[i].start;
    freed[i].start += count;
    freed[i].count -= count;
    if (freed[i].count == 0) freed[i] = freed[--nfreed];
    return true;
  }
  return false;
}

void far_runs_give_free(uint64_t start, uint64_t count) {
  if (nfreed == cap_freed) {
    cap_freed = cap_freed ? 2 * cap_freed : 16;
    freed = realloc(freed, cap_freed * sizeof *freed);
    if (!freed) far_fatal("out of memory for the far heap's free runs");
  }
  freed[nfreed++] = (struct far_run){.start = start, .count = count};
}
