/* The data-structure tests' harness: abort checks in a child process, the suite runner. */
#define _GNU_SOURCE
#include "ds_harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  uintptr_t start;
  size_t len;
} *log_entry;
static size_t log_n, log_cap;

void ds_observe_prefetch(const void *far, size_t len) {
  pthread_mutex_lock(&log_lock);
  if (log_n == log_cap) {
    log_cap = log_cap ? 2 * log_cap : 1024;
    log_entry = realloc(log_entry, log_cap * sizeof *log_entry);
    if (!log_entry)
      abort();
  }
  log_entry[log_n].start = (uintptr_t)far;
  log_entry[log_n++].len = len;
  pthread_mutex_unlock(&log_lock);
}

void ds_prefetch_log_reset(void) {
  pthread_mutex_lock(&log_lock);
  log_n = 0;
  pthread_mutex_unlock(&log_lock);
}

size_t ds_prefetch_log_requests(void) {
  pthread_mutex_lock(&log_lock);
  size_t n = log_n;
  pthread_mutex_unlock(&log_lock);
  return n;
}

size_t ds_prefetch_log_chunks(size_t cb) {
  size_t chunks = 0;
  pthread_mutex_lock(&log_lock);
  for (size_t i = 0; i < log_n; i++)
    chunks += (log_entry[i].len + cb - 1) / cb;
  pthread_mutex_unlock(&log_lock);
  return chunks;
}

size_t ds_prefetch_log_covers(const void *far) {
  uintptr_t a = (uintptr_t)far;
  size_t hits = 0;
  pthread_mutex_lock(&log_lock);
  for (size_t i = 0; i < log_n; i++)
    hits += a >= log_entry[i].start && a - log_entry[i].start < log_entry[i].len;
  pthread_mutex_unlock(&log_lock);
  return hits;
}

void ds_expect_abort(void (*fn)(void *), void *arg, const char *message) {
  int pipefd[2];
  ck_assert_int_eq(pipe(pipefd), 0);
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    fn(arg);
    _exit(0); /* fn returned: the parent sees a clean exit instead of SIGABRT */
  }
  close(pipefd[1]);
  char err[4096] = "";
  size_t used = 0;
  ssize_t n;
  while (used < sizeof err - 1 && (n = read(pipefd[0], err + used, sizeof err - 1 - used)) > 0)
    used += (size_t)n;
  err[used] = '\0';
  close(pipefd[0]);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                "expected SIGABRT, got status 0x%x; stderr: %s", status, err);
  ck_assert_msg(strstr(err, message) != NULL, "stderr lacks \"%s\": %s", message, err);
}

int ds_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
