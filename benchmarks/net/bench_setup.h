/* What the side-by-side network benchmarks (net_bench, farmemd_bench) share at start-up: the REPS
 * argument, the bare-TCP baseline server and a farmemd child, plus a clock and a fatal-error exit. */
#ifndef BENCH_SETUP_H
#define BENCH_SETUP_H

#include <stdint.h>
#include "farmemd_child.h"

typedef struct bench_setup {
  int reps;           /* interleaved repetitions, argv[2], 1..100 (default 5) */
  uint16_t bare_port; /* the bare-TCP baseline server */
  farmemd_child srv;  /* farmemd (argv[1]) on 127.0.0.1, one worker thread */
} bench_setup;

/* Parses "PROG FARMEMD [REPS]", starts both servers; exits with a message on any failure. */
void bench_setup_start(bench_setup *s, const char *prog, int argc, char **argv);
/* Monotonic time in microseconds. */
double bench_now_us(void);
/* Prints "PROG: what: detail" and exits 1. */
void bench_die(const char *what, const char *detail) __attribute__((noreturn));

#endif
