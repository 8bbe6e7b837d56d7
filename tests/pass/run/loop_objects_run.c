/* Pointer chases whose barriers reuse the loop's last object (pass/ir/loop_objects.cpp), run under
 * memory pressure against the native build (compare_test.sh): a tree insert through a slot pointer
 * into the last node, a list edited through `link = &(*link)->next`, a read then a write of one
 * object in a branch, and records straddling two far objects (no reuse across the boundary). */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable tnode {
  unsigned long key;
  long count;
  struct tnode *left, *right;
  char pad[480];
};
struct __remoteable item {
  long v;
  struct item *next;
};
struct __remoteable odd { char b[40]; }; /* 40-byte records: some straddle 64 KiB objects */

static unsigned long step(unsigned long *s) { return *s = *s * 6364136223846793005ull + 1442695040888963407ull, *s >> 33; }

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000, h = 0;
  unsigned long seed = 5;
  struct tnode *root = NULL;
  for (long i = 0; i < n; i++) {
    unsigned long key = step(&seed) % (unsigned long)(n / 2 + 1);
    struct tnode **slot = &root;
    while (*slot && (*slot)->key != key) slot = key < (*slot)->key ? &(*slot)->left : &(*slot)->right;
    if (*slot) {
      (*slot)->count++;
      continue;
    }
    struct tnode *t = calloc(1, sizeof *t);
    t->key = key;
    t->count = 1;
    *slot = t;
  }
  struct item *head = NULL;
  for (long i = 0; i < n; i++) {
    struct item *it = malloc(sizeof *it);
    it->v = i * 3;
    it->next = head;
    head = it;
  }
  struct item **link = &head;
  long index = 0;
  while (*link) { /* drop every third item, double the others */
    if (index++ % 3 == 2) {
      *link = (*link)->next;
    } else {
      (*link)->v *= 2;
      link = &(*link)->next;
    }
  }
  for (struct item *it = head; it; it = it->next) {
    if (it->v % 4 == 0) it->v += 1; /* read, then a write barrier on the same object */
    h += it->v;
  }
  struct odd *o = calloc(n, sizeof *o);
  for (long i = 0; i < n; i++) {
    struct odd *r = &o[(i * 7) % n];
    r->b[0] += (char)i;
    r->b[39] += (char)(r->b[0] + 1); /* the record's last byte: maybe in the next object */
  }
  for (long i = 0; i < n; i++) h += o[i].b[0] * 3 + o[i].b[39];
  /* A two-item list walked through a link pointer, from a on even rounds and from b (the object
   * the previous walk remembered last) on odd ones, after the whole tree went through local memory
   * (at 4 MiB, b has been evacuated meanwhile) and b->next changed: a remembered object must not
   * outlive the loop. */
  struct item *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
  a->v = 1;
  a->next = b;
  b->v = 2;
  b->next = NULL;
  c->v = 5;
  c->next = NULL;
  long nodes = 0, counts = 0;
  for (int round = 0; round < 6; round++) {
    for (struct item **at = round % 2 ? &b->next : &a->next; *at; at = &(*at)->next)
      (*at)->v = (*at)->v * 3 + round;
    struct tnode *stack[256];
    int top = 0;
    if (root) stack[top++] = root;
    while (top) {
      struct tnode *t = stack[--top];
      nodes++;
      counts += t->count * (long)(t->key % 7);
      t->count += round;
      if (t->left && top < 256) stack[top++] = t->left;
      if (t->right && top < 256) stack[top++] = t->right;
    }
    b->next = b->next ? NULL : c; /* b is fetched again, likely to another place */
  }
  printf("%ld %ld %ld %ld %ld %ld\n", nodes, counts, h, a->v, b->v, c->v);
  return 0;
}
