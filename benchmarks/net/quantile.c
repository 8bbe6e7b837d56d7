/* Quantiles of latency samples (see quantile.h). */
#include "quantile.h"
#include <stdlib.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double quantile(double *v, size_t n, double q) {
  qsort(v, n, sizeof *v, cmp_double);
  return v[(size_t)(q * (double)(n - 1))];
}
