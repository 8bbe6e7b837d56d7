/* Unbalanced binary search tree keyed by pseudo-random numbers: insert, look up, delete,
 * in-order walk (recursive) and height. About 20 MiB of tree nodes. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct __remoteable tree {
  unsigned long key;
  long count;
  struct tree *left, *right;
  double weight[120];
} tree_t;

static unsigned long lcg(unsigned long *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return *state >> 33;
}

static tree_t *insert(tree_t *root, unsigned long key) {
  tree_t **slot = &root;
  while (*slot) {
    if (key == (*slot)->key) {
      (*slot)->count++;
      return root;
    }
    slot = key < (*slot)->key ? &(*slot)->left : &(*slot)->right;
  }
  tree_t *node = calloc(1, sizeof *node);
  node->key = key;
  node->count = 1;
  for (int i = 0; i < 12; i++) node->weight[i] = (double)(key % 97) / (i + 1);
  *slot = node;
  return root;
}

static const tree_t *find(const tree_t *t, unsigned long key) {
  while (t && t->key != key) t = key < t->key ? t->left : t->right;
  return t;
}

static tree_t *remove_min(tree_t *t, tree_t **min) {
  if (!t->left) {
    *min = t;
    return t->right;
  }
  t->left = remove_min(t->left, min);
  return t;
}

static tree_t *erase(tree_t *t, unsigned long key) {
  if (!t) return NULL;
  if (key < t->key) t->left = erase(t->left, key);
  else if (key > t->key) t->right = erase(t->right, key);
  else {
    tree_t *left = t->left, *right = t->right, *min;
    free(t);
    if (!right) return left;
    right = remove_min(right, &min);
    min->left = left;
    min->right = right;
    return min;
  }
  return t;
}

static void walk(const tree_t *t, unsigned long *hash, double *total) {
  if (!t) return;
  walk(t->left, hash, total);
  *hash = *hash * 31 + t->key * (unsigned long)t->count;
  *total += t->weight[t->key % 12];
  walk(t->right, hash, total);
}

static int height(const tree_t *t) {
  if (!t) return 0;
  int l = height(t->left), r = height(t->right);
  return 1 + (l > r ? l : r);
}

static void destroy(tree_t *t) {
  if (!t) return;
  destroy(t->left);
  destroy(t->right);
  free(t);
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  tree_t *root = NULL;
  unsigned long state = 42;
  for (int i = 0; i < 16000 * scale; i++) root = insert(root, lcg(&state) % (100000 * scale));
  state = 42;
  long found = 0;
  for (int i = 0; i < 8000 * scale; i++) found += find(root, lcg(&state) % (100000 * scale)) != NULL;
  for (unsigned long k = 0; k < 100000 * (unsigned long)scale; k += 7) root = erase(root, k);
  unsigned long hash = 0;
  double total = 0;
  walk(root, &hash, &total);
  printf("found %ld height %d hash %lu total %.3f\n", found, height(root), hash, total);
  destroy(root);
  return 0;
}
