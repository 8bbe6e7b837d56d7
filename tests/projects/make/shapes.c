/* The shape list: allocation (far heap under farcc), traversal and release. */
#include "shapes.h"

#include <stdlib.h>
#include <string.h>

struct shape *shape_new(const char *name, double width, double height, struct shape *next) {
  struct shape *s = malloc(sizeof *s);
  strncpy(s->name, name, sizeof s->name - 1);
  s->name[sizeof s->name - 1] = '\0';
  s->width = width;
  s->height = height;
  s->next = next;
  return s;
}

double shapes_area(const struct shape *list) {
  double total = 0;
  for (; list; list = list->next) total += list->width * list->height;
  return total;
}

void shapes_free(struct shape *list) {
  while (list) {
    struct shape *next = list->next;
    free(list);
    list = next;
  }
}
