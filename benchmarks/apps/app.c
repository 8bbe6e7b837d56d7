/* The application benchmarks' shared helpers (see app.h): deterministic random draws, Zipf,
 * options, timing, and the result checksum the run scripts compare across builds. */
#include "app.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double app_normal(struct app_rng *r) {
  double u = app_unit(r), v = app_unit(r);
  return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

unsigned app_pick(struct app_rng *r, const double *weight, unsigned n) {
  double total = 0;
  for (unsigned i = 0; i < n; i++)
    total += weight[i];
  double x = app_unit(r) * total;
  for (unsigned i = 0; i + 1 < n; i++) {
    if (x < weight[i])
      return i;
    x -= weight[i];
  }
  return n - 1;
}

/* ---- Zipf by rejection-inversion ---- */

static double zipf_helper1(double x) { return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x / 2; }
static double zipf_helper2(double x) { return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x / 2; }
static double zipf_h(const struct app_zipf *z, double x) { return exp(-z->s * log(x)); }
static double zipf_hint(const struct app_zipf *z, double x) {
  double lx = log(x);
  return zipf_helper2((1 - z->s) * lx) * lx;
}
static double zipf_hint_inv(const struct app_zipf *z, double x) {
  double t = x * (1 - z->s);
  if (t < -1)
    t = -1;
  return exp(zipf_helper1(t) * x);
}

void app_zipf_init(struct app_zipf *z, uint64_t n, double s) {
  z->s = s;
  z->n = (double)n;
  z->h_x1 = zipf_hint(z, 1.5) - 1;
  z->h_n = zipf_hint(z, z->n + 0.5);
  z->cut = 2 - zipf_hint_inv(z, zipf_hint(z, 2.5) - zipf_h(z, 2));
}

uint64_t app_zipf_draw(const struct app_zipf *z, struct app_rng *r) {
  for (;;) {
    double u = z->h_n + app_unit(r) * (z->h_x1 - z->h_n);
    double x = zipf_hint_inv(z, u);
    double k = floor(x + 0.5);
    if (k < 1)
      k = 1;
    else if (k > z->n)
      k = z->n;
    if (k - x <= z->cut || u >= zipf_hint(z, k + 0.5) - zipf_h(z, k))
      return (uint64_t)k;
  }
}

/* ---- Options ---- */

static uint64_t parse_size(const char *what, const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  uint64_t mult = 1;
  if (*end == 'K' || *end == 'k')
    mult = 1ull << 10, end++;
  else if (*end == 'M' || *end == 'm')
    mult = 1ull << 20, end++;
  else if (*end == 'G' || *end == 'g')
    mult = 1ull << 30, end++;
  if (errno || end == s || *end || v == 0 || *s == '-') {
    fprintf(stderr, "%s: expected a positive number such as 1000 or 4M, got '%s'\n", what, s);
    exit(2);
  }
  return (uint64_t)v * mult;
}

uint64_t app_option(int argc, char **argv, const char *name, const char *env, uint64_t def) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "%s: missing value\n", name);
        exit(2);
      }
      return parse_size(name, argv[i + 1]);
    }
  const char *e = env ? getenv(env) : NULL;
  return e && *e ? parse_size(env, e) : def;
}

int app_flag(int argc, char **argv, const char *name) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return 1;
  return 0;
}

double app_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- Results and checksum (FNV-1a, 64 bits) ---- */

static uint64_t checksum = 0xcbf29ce484222325ull;

void app_fold(const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  for (size_t i = 0; i < n; i++)
    checksum = (checksum ^ b[i]) * 0x100000001b3ull;
}

void app_result(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  fputs(line, stdout);
  fputc('\n', stdout);
  app_fold(line, strlen(line));
}

void app_checksum(void) { printf("checksum=%016llx\n", (unsigned long long)checksum); }

void app_time(const char *what, double seconds) {
  printf("time %s=%.3f\n", what, seconds);
  fflush(stdout);
}

void app_die(const char *what) {
  fprintf(stderr, "%s: out of memory\n", what);
  exit(1);
}
