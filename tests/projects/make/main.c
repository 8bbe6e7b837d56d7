/* Builds a list of shapes and prints its total area and first name. */
#include "shapes.h"

#include <stdio.h>

int main(void) {
  struct shape *list = NULL;
  char name[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "shape-%d", i);
    list = shape_new(name, i % 7 + 1, i % 5 + 0.5, list);
  }
  printf("area %.1f first %s\n", shapes_area(list), list->name);
  shapes_free(list);
  return 0;
}
