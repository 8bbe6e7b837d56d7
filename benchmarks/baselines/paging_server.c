/* The paging baseline's embedded memory server: with FAR_SERVER unset, farmemd is started on
 * 127.0.0.1 by the runtime's own code (far_embedded_start, rt/embedded.c) -- but in a detached
 * helper process instead of the program itself.
 *
 * Why a helper: far_embedded_start stops farmemd from an atexit handler, and a paged program still
 * touches its heap after the atexit handlers have run (stdio flushes buffers and walks FILE objects
 * that malloc placed in the arena, library destructors run), so farmemd must outlive every exit
 * path of the program. The helper (a grandchild, so the program's wait() never sees it; in its own
 * session, so a terminal's Ctrl-C does not reach it) starts farmemd, reports its address over a
 * pipe, and then waits for end-of-file on a second pipe whose write end only the program holds: when
 * the program has gone, in whatever way, the helper exit()s and its atexit handler stops farmemd.
 * The helper also reports its pid, which farpaging_server_pid() gives programs that want to account
 * for the server's CPU (farmemd is among the helper's descendants). */
#define _GNU_SOURCE
#include "paging.h"
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t server_helper;

/* The helper's pid (0 with FAR_SERVER set: no embedded server). */
__attribute__((visibility("default"))) pid_t farpaging_server_pid(void) { return server_helper; }

/* Runs in the helper; never returns. */
static void __attribute__((noreturn)) helper(int ctl, int rep) {
  setsid();
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
  }
  if (dup2(ctl, 3) < 0 || dup2(rep, 4) < 0)
    _exit(2);
  close_range(5, ~0u, 0); /* the program's descriptors (a pipe it writes to must see EOF when it exits) */
  unsetenv("LD_PRELOAD");  /* farmemd must not load this library */
  char servers[256];
  far_embedded_start(servers, sizeof servers); /* on failure: a message and exit(2) */
  dprintf(4, "%s\n%d\n", servers, (int)getpid());
  close(4);
  char b;
  ssize_t n;
  while ((n = read(3, &b, 1)) != 0 && (n > 0 || errno == EINTR))
    ; /* the program never writes: this returns at its end */
  exit(0); /* stops farmemd */
}

void pg_server_start(char *servers, size_t len) {
  int ctl[2], rep[2];
  if (pipe2(ctl, O_CLOEXEC) || pipe2(rep, O_CLOEXEC))
    pg_fatal("cannot create a pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child < 0)
    pg_fatal("cannot start the embedded memory server: fork: %s", strerror(errno));
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0)
      helper(ctl[0], rep[1]);
    _exit(grandchild < 0);
  }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  close(ctl[0]); /* ctl[1] stays open for the process's lifetime */
  close(rep[1]);
  size_t used = 0;
  ssize_t n;
  while (used + 1 < len && (n = read(rep[0], servers + used, len - 1 - used)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    used += (size_t)n;
  }
  close(rep[0]);
  servers[used] = '\0';
  char *pid = strchr(servers, '\n');
  if (pid) {
    *pid++ = '\0';
    server_helper = (pid_t)atoi(pid);
  }
  if (!servers[0]) {
    fprintf(stderr, "farpaging: cannot start the embedded memory server (see the message above)\n");
    exit(2);
  }
}
