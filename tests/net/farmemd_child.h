/* Runs the real farmemd as a child process for tests and benchmarks: starts it on an ephemeral
 * loopback port, reads its "listening on ADDR:PORT" line, and stops or kills it. Plain C with no test
 * framework, so any test suite or benchmark can link it (library farmemd_child). */
#ifndef FARMEMD_CHILD_H
#define FARMEMD_CHILD_H

#include <stddef.h>
#include <sys/types.h>

typedef struct farmemd_child {
  pid_t pid;
  char addr[64]; /* "127.0.0.1:PORT", as printed by the server */
  int port;
  char log_path[128]; /* where its stderr goes ("" when inherited) */
} farmemd_child;

/* Starts `path --port 0 [flags...]` (flags NULL-terminated, may be NULL) with its stderr going to
 * log_path (NULL: inherited) and waits up to 10 s for its listening line. 0, or -1 with err set. */
int farmemd_child_start(farmemd_child *c, const char *path, const char *const *flags, const char *log_path,
                        char *err, size_t errlen);
/* Sends sig and reaps the child (SIGKILL after 10 s). Returns the exit status, or 128 + signal. */
int farmemd_child_stop(farmemd_child *c, int sig);

#endif
