/* The loop's last object (pass/ir/loop_objects.cpp) must not outlive the loop's scope generation.
 * A list is walked in segments of a few items through `link = &(*link)->next`: each run of the
 * inner loop starts in the object the previous run remembered last (the item `link` points into).
 * Between two runs, other far data of the same size class (a second list, larger than a 4 MiB
 * budget) is walked and rewritten, so the remembered object is evacuated and its local memory
 * taken by other objects. A barrier that reused the remembered local address across the runs
 * would read another item's next pointer and leave the list (compare_test.sh compares the output
 * with the native build). Each iteration first touches a tally, whose barrier enters the loop's
 * scope, so that only the generation (not the scope's bounce-free flag, which is 0 before the
 * loop's scope is entered) stands between the check of `*link` and the stale address. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable item {
  long v;
  struct item *next;
  char pad[112]; /* 128 B: packed 32 to a 4 KiB far object, as many local slots as possible */
};

struct __remoteable tally { long n[8]; };

static struct item *build(long n, long first) {
  struct item *head = NULL;
  for (long i = n - 1; i >= 0; i--) {
    struct item *it = malloc(sizeof *it);
    it->v = first + i;
    it->next = head;
    head = it;
  }
  return head;
}

/* Reads and rewrites every item of LIST: fetches all its objects into local memory. */
static long churn(struct item *list, long round) {
  long sum = 0;
  for (struct item *it = list; it; it = it->next) {
    sum += it->v;
    it->v = (it->v * 5 + round) % 1000003;
  }
  return sum;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000, segment = 5, steps = 0;
  unsigned long h = 0;
  struct item *walked = build(n, 0), *other = build(4 * n, 1000000);
  struct tally *tally = calloc(1, sizeof *tally);
  struct item **link = &walked;
  for (long round = 0; round < 24; round++) {
    for (long k = 0; k < segment; k++, steps++) { /* resumes where the last run stopped */
      tally->n[k]++; /* first: its barrier enters the loop's scope before `*link` is checked */
      if (!*link) break;
      (*link)->v = (*link)->v * 3 + round;
      h += (*link)->v;
      link = &(*link)->next;
    }
    if (!*link) link = &walked;
    h += (unsigned long)churn(other, round);
  }
  for (struct item *it = walked; it; it = it->next) h = h * 31 + it->v;
  for (int k = 0; k < 8; k++) h = h * 31 + (unsigned long)tally->n[k];
  printf("%ld %lu\n", steps, h);
  return 0;
}
