/* Test probe for the embedded memory server: starts it, prints "SERVERS PID" on stdout, then, per
 * argv[1]:
 *   exit      waits for EOF on stdin and returns from main
 *   exit_call waits for EOF on stdin and calls exit(0) from a nested function
 *   hold      waits until it is killed
 *   children  also runs a child process of its own with a SIGCHLD handler, and prints
 *             "children ok" when wait() saw exactly that child and one SIGCHLD, then as "exit"
 *   closed_std starts the server while descriptors 0 and 1 are closed, then as "exit" */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t sigchld_count;

static void on_sigchld(int sig) { sigchld_count++; }

static int own_children_ok(void) {
  struct sigaction sa = {.sa_handler = on_sigchld};
  sigaction(SIGCHLD, &sa, NULL);
  pid_t child = fork();
  if (child == 0)
    _exit(7);
  int status;
  pid_t got;
  while ((got = wait(&status)) < 0 && errno == EINTR)
    ;
  int ok = got == child && WIFEXITED(status) && WEXITSTATUS(status) == 7;
  ok = ok && wait(&status) == -1 && errno == ECHILD; /* farmemd is not a child wait() can see */
  for (int i = 0; i < 100 && sigchld_count == 0; i++)
    usleep(10000);
  return ok && sigchld_count == 1;
}

static void wait_for_eof(void) {
  char buf[64];
  while (read(0, buf, sizeof buf) > 0)
    ;
}

static void __attribute__((noinline)) leave_with_exit(void) { exit(0); }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "exit";
  char servers[64];
  int closed = !strcmp(mode, "closed_std");
  if (closed) { /* keep copies in 8 and 9, put them back afterwards */
    dup2(0, 8);
    dup2(1, 9);
    close(0);
    close(1);
  }
  far_embedded_start(servers, sizeof servers);
  if (closed) {
    dup2(8, 0);
    dup2(9, 1);
    close(8);
    close(9);
  }
  printf("%s %d\n", servers, (int)far_embedded_pid());
  fflush(stdout);
  if (!strcmp(mode, "hold"))
    for (;;)
      pause();
  if (!strcmp(mode, "children"))
    puts(own_children_ok() ? "children ok" : "children FAILED");
  fflush(stdout);
  wait_for_eof();
  if (!strcmp(mode, "exit_call"))
    leave_with_exit();
  return 0;
}
