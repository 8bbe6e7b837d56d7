// A far-derived pointer passed to a library function farcc cannot see into (and has no
// interop for) gets a warning with file:line:col; handled libc functions, user functions and
// arguments a library function only hands on (pthread_create's) don't.
// FARCC: -c -o /dev/null
// OUTPUT: stderr
#include "common.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void user_function(char *s);
long external(struct node *p, int fd) {
  write(fd, p->name, sizeof p->name);
  // CHECK: diag_external.c:[[@LINE-1]]:13: warning: pointer that may point to far memory passed to external function 'write'
  long n = strxfrm(NULL, p->name, 0);
  // CHECK: diag_external.c:[[@LINE-1]]:26: warning: pointer that may point to far memory passed to external function 'strxfrm'
  n += strcoll(p->name, "x") + (long)strnlen(p->name, 4) + (long)strtok(p->name, " ");
  // CHECK-NOT: diag_external.c:[[@LINE-1]]
  n += strlen(p->name);
  // CHECK-NOT: diag_external.c:[[@LINE-1]]
  user_function(p->name);
  // CHECK-NOT: diag_external.c:[[@LINE-1]]
  return n;
}
static void *thread_main(void *arg) { return ((struct node *)arg)->next; }
void start(struct node *p, pthread_t *thread) { pthread_create(thread, NULL, thread_main, p); }
// CHECK-NOT: diag_external.c:[[@LINE-1]]

