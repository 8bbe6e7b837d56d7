/* K&R-style code: old-style function definitions and the word-count tree of "The C Programming
 * Language" 6.5 (addtree/treeprint) over a generated text, with remoteable tree nodes that also
 * keep the list of positions where each word occurs. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct __remoteable occurrence {
  long position;
  struct occurrence *next;
  char context[1000];
};

struct __remoteable tnode {
  char *word;
  int count;
  struct occurrence *seen;
  struct tnode *left;
  struct tnode *right;
};

struct tnode *talloc();
char *copyword();
static long threshold = 40; /* words seen more often are printed */

struct occurrence *note(list, position, w)
struct occurrence *list;
long position;
char *w;
{
  struct occurrence *o;
  o = (struct occurrence *) malloc(sizeof *o);
  o->position = position;
  sprintf(o->context, "%s@%ld", w, position);
  o->next = list;
  return o;
}

struct tnode *addtree(p, w, position)
struct tnode *p;
char *w;
long position;
{
  int cond;
  if (p == NULL) {
    p = talloc();
    p->word = copyword(w);
    p->count = 1;
    p->seen = note(NULL, position, w);
    p->left = p->right = NULL;
  } else if ((cond = strcmp(w, p->word)) == 0) {
    p->count++;
    p->seen = note(p->seen, position, w);
  } else if (cond < 0)
    p->left = addtree(p->left, w, position);
  else
    p->right = addtree(p->right, w, position);
  return p;
}

long treeprint(p)
struct tnode *p;
{
  long words = 0, positions;
  struct occurrence *o;
  if (p != NULL) {
    words += treeprint(p->left);
    positions = 0;
    for (o = p->seen; o != NULL; o = o->next) positions += o->position % 1000 + strlen(o->context);
    if (p->count > threshold) printf("%4d %s %ld\n", p->count, p->word, positions);
    words += p->count;
    words += treeprint(p->right);
  }
  return words;
}

struct tnode *talloc()
{
  return (struct tnode *) malloc(sizeof(struct tnode));
}

char *copyword(s)
char *s;
{
  char *p;
  p = (char *) malloc(strlen(s) + 1);
  if (p != NULL) strcpy(p, s);
  return p;
}

int main(argc, argv)
int argc;
char **argv;
{
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  long scale = argc > 1 ? atol(argv[1]) : 1;
  static char *syllables[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi"};
  struct tnode *root = NULL;
  unsigned state = 1;
  long i;
  int n;
  char word[32];
  threshold = 40 * scale;
  for (i = 0; i < 14000 * scale; i++) {
    word[0] = '\0';
    state = state * 1664525u + 1013904223u;
    for (n = 0; n < 1 + (int)(state >> 29) % 3; n++)
      strcat(word, syllables[(state >> (3 * n + 8)) & 7]);
    root = addtree(root, word, i);
  }
  printf("words %ld\n", treeprint(root));
  return 0;
}
