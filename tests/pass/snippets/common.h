/* Types shared by the compile-test snippets. */
#include <stddef.h>
#include <stdint.h>

struct __remoteable node {
  int v;
  char name[16];
  struct node *next;
  int (*fn)(int);
};
