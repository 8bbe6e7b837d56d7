/* The support tests' harness. The support layer's behaviour at start-up and at a crash (exit codes,
 * messages, signals) can only be observed from outside the process, so the tests run small probe
 * programs in a child process with a chosen environment and check their status and output. */
#ifndef FAR_TEST_HARNESS_H
#define FAR_TEST_HARNESS_H

#include <check.h>

struct probe_result {
  int status; /* as from waitpid */
  char out[16384];
  char err[16384];
};

/* argv[0] is the program. env: "NAME=VALUE" entries set, "NAME" entries unset; every other FAR_*
 * variable and FARMEMD is removed first so the caller's environment cannot leak in. NULL-terminated.
 * The probe's stdin is /dev/null; it is killed after 30 s. */
void probe_run(const char *const argv[], const char *const env[], struct probe_result *r);

/* Number of lines in s. */
int probe_lines(const char *s);

/* Runs every test of s (forking per test) and returns the process exit status. */
int harness_run_suite(Suite *s);

#endif
