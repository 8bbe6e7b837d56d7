/* Start-up shared by the network benchmarks (see bench_setup.h), so each main only measures. */
#include "bench_setup.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bare.h"

static const char *bench_prog = "bench";

void bench_die(const char *what, const char *detail) {
  fprintf(stderr, "%s: %s: %s\n", bench_prog, what, detail);
  exit(1);
}

double bench_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

void bench_setup_start(bench_setup *s, const char *prog, int argc, char **argv) {
  bench_prog = prog;
  if (argc < 2) bench_die("usage", "FARMEMD [REPS]");
  s->reps = argc > 2 ? atoi(argv[2]) : 5;
  if (s->reps < 1 || s->reps > 100) bench_die("REPS", "expected 1..100");
  if (bare_server_start(&s->bare_port) < 0) bench_die("bare server", "cannot start");
  char err[512];
  const char *flags[] = {"--threads", "1", "--log-level", "warn", NULL};
  if (farmemd_child_start(&s->srv, argv[1], flags, NULL, err, sizeof err) != 0) bench_die("farmemd", err);
}
