/* The demo program: an ordinary C program whose only change for far memory is the __remoteable mark
 * on its struct. It builds a binary search tree of 100,000 records (about 25 MiB), looks records up,
 * updates them and walks the tree in order. scripts/demo builds it natively and with farcc, runs the
 * farcc build with a local-memory budget of a fraction of that, and compares the two outputs. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct __remoteable record {
  unsigned long number;
  char name[160];
  long calls;
  struct record *left, *right;
};

static unsigned long next_random(unsigned long *state) {
  *state = *state * 6364136223846793005ul + 1442695040888963407ul;
  return *state >> 17;
}

static struct record *insert(struct record *root, unsigned long number) {
  struct record **link = &root;
  while (*link) {
    if (number == (*link)->number) return root;
    link = number < (*link)->number ? &(*link)->left : &(*link)->right;
  }
  struct record *r = calloc(1, sizeof *r);
  r->number = number;
  snprintf(r->name, sizeof r->name, "subscriber-%lu", number % 1000003);
  *link = r;
  return root;
}

static struct record *find(struct record *r, unsigned long number) {
  while (r && r->number != number) r = number < r->number ? r->left : r->right;
  return r;
}

/* In-order walk without recursion depth limits: Morris traversal would write the tree, so use an
 * explicit stack of far pointers kept on the libc heap. */
static unsigned long walk_checksum(struct record *root, size_t count) {
  struct record **stack = malloc(count * sizeof *stack);
  size_t depth = 0;
  unsigned long sum = 0, position = 0;
  struct record *r = root;
  while (r || depth) {
    while (r) {
      stack[depth++] = r;
      r = r->left;
    }
    r = stack[--depth];
    sum += (++position) * (r->number ^ (unsigned long)r->calls) + strlen(r->name);
    r = r->right;
  }
  free(stack);
  return sum;
}

static void destroy(struct record *root, size_t count) {
  struct record **stack = malloc(count * sizeof *stack);
  size_t depth = 0;
  if (root) stack[depth++] = root;
  while (depth) {
    struct record *r = stack[--depth];
    if (r->left) stack[depth++] = r->left;
    if (r->right) stack[depth++] = r->right;
    free(r);
  }
  free(stack);
}

int main(void) {
  enum { RECORDS = 100000, LOOKUPS = 100000 };
  unsigned long seed = 42, numbers[64];
  struct record *root = NULL;
  for (int i = 0; i < RECORDS; i++) {
    unsigned long number = next_random(&seed) % 100000000ul;
    if (i < 64) numbers[i] = number;
    root = insert(root, number);
  }
  unsigned long found = 0;
  for (int i = 0; i < LOOKUPS; i++) {
    struct record *r = find(root, i % 4 ? numbers[i % 64] : next_random(&seed) % 100000000ul);
    if (r) {
      r->calls++;
      found++;
    }
  }
  struct record *first = find(root, numbers[1]);
  printf("records: %d, lookups: %d, found: %lu\n", RECORDS, LOOKUPS, found);
  printf("%s was called %ld times\n", first->name, first->calls);
  printf("in-order checksum: %lu\n", walk_checksum(root, RECORDS));
  destroy(root, RECORDS);
  return 0;
}
