// A far-derived pointer passed to a library function farcc cannot see into (and has no
// interop for) gets a warning with file:line:col; handled libc functions and user functions don't.
// FARCC: -c -o /dev/null
// OUTPUT: stderr
#include "common.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void user_function(char *s);
long external(struct node *p, int fd) {
  write(fd, p->name, sizeof p->name);
  // CHECK: diag_external.c:[[@LINE-1]]:13: warning: pointer that may point to far memory passed to external function 'write'
  long n = strcoll(p->name, "x");
  // CHECK: diag_external.c:[[@LINE-1]]:20: warning: pointer that may point to far memory passed to external function 'strcoll'
  n += strlen(p->name);
  // CHECK-NOT: diag_external.c:[[@LINE-1]]
  user_function(p->name);
  // CHECK-NOT: diag_external.c:[[@LINE-1]]
  return n;
}
