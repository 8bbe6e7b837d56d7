/* Quantiles of latency samples, shared by the benchmarks that report medians and p99s. */
#ifndef BENCH_QUANTILE_H
#define BENCH_QUANTILE_H
#include <stddef.h>
/* Sorts v in place and returns its q-quantile (0 <= q <= 1). */
double quantile(double *v, size_t n, double q);
#endif
