/* Stack and global instances of a remoteable type mixed with heap ones: the same functions and
 * the same pointer fields handle all three, and heap objects point at stack and global ones. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct __remoteable cell {
  long value;
  struct cell *link;
  char label[1000];
};

static struct cell global_cells[16];
static struct cell sentinel = {-1, NULL, "sentinel"};

static long chase(const struct cell *c, int hops) {
  long total = 0;
  for (int i = 0; i < hops && c; i++, c = c->link) total += c->value + c->label[i % 8];
  return total;
}

static void init(struct cell *c, long value, struct cell *link, const char *label) {
  c->value = value;
  c->link = link;
  strncpy(c->label, label, sizeof c->label - 1);
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  const int N = 16000 * (int)scale;
  struct cell on_stack[4];
  for (int i = 0; i < 4; i++) init(&on_stack[i], 1000 + i, &sentinel, "stack");
  for (int i = 0; i < 16; i++) init(&global_cells[i], 2000 + i, &on_stack[i % 4], "global");
  struct cell **heap = malloc(N * sizeof *heap);
  for (int i = 0; i < N; i++) {
    heap[i] = malloc(sizeof(struct cell));
    memset(heap[i], 0, sizeof(struct cell));
    struct cell *target = i % 3 == 0 ? &global_cells[i % 16] : i ? heap[i - 1] : &on_stack[0];
    char label[32];
    snprintf(label, sizeof label, "heap%d", i);
    init(heap[i], i, target, label);
  }
  long total = 0;
  for (int i = 0; i < N; i += 3) total += chase(heap[i], 6);
  total += chase(&on_stack[2], 3) + chase(&global_cells[5], 4);
  struct cell swapped = *heap[N / 2]; /* heap -> stack */
  *heap[N / 2] = on_stack[1];         /* stack -> heap */
  on_stack[1] = swapped;
  printf("total %ld swapped %ld %s / %s %ld\n", total, on_stack[1].value, on_stack[1].label,
         heap[N / 2]->label, heap[N / 2]->link->value);
  for (int i = 0; i < N; i++) free(heap[i]);
  free(heap);
  return 0;
}
