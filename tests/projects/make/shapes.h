/* Shapes kept in far memory; the same sources build with any C compiler. */
#include <far/annotations.h>

struct __remoteable shape {
  double width, height;
  char name[48];
  struct shape *next;
};

struct shape *shape_new(const char *name, double width, double height, struct shape *next);
double shapes_area(const struct shape *list);
void shapes_free(struct shape *list);
