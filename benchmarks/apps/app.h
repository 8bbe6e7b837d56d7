/* Shared pieces of the application benchmarks (AIFM's web frontend and DataFrame analytics).
 *
 * Both programs are built three ways from the same source: against far memory (ds-headers +
 * libfarrt), local-only (-DFARDS_LOCAL: the same structures on malloc), and the local-only binary
 * again under the paging baseline (LD_PRELOAD=libfarpaging.so). Their printed results must be
 * identical, so everything random here is deterministic: counter-based generators seeded from a row
 * or request number, so the values do not depend on how the work is split into blocks. Results go
 * through app_result(), which prints a line and folds it into the run's checksum; timings go to
 * separate "time" lines that the run scripts leave out of the comparison. */
#ifndef APPS_APP_H
#define APPS_APP_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64: a well-mixed 64-bit value from any 64-bit input. */
static inline uint64_t app_mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* A small deterministic stream: draw k of stream `seed` is app_mix(seed + k * golden). */
struct app_rng {
  uint64_t state;
};

static inline struct app_rng app_rng_at(uint64_t stream, uint64_t index) {
  struct app_rng r = {app_mix(stream * 0xd1b54a32d192ed03ull ^ index)};
  return r;
}

static inline uint64_t app_next(struct app_rng *r) {
  r->state += 0x9e3779b97f4a7c15ull;
  return app_mix(r->state);
}

/* Uniform in [0, 1), 53 bits. */
static inline double app_unit(struct app_rng *r) { return (double)(app_next(r) >> 11) * 0x1.0p-53; }

/* Standard normal (Box-Muller, one value per two draws). */
double app_normal(struct app_rng *r);

/* Index drawn from the discrete distribution of n weights (they need not sum to 1). */
unsigned app_pick(struct app_rng *r, const double *weight, unsigned n);

/* Zipf(s) over ranks 1..n by rejection-inversion (Hormann & Derflinger): O(1) memory and time per
 * draw, so the generator holds no table that would count against anyone's local memory. */
struct app_zipf {
  double s, n, h_x1, h_n, cut;
};
void app_zipf_init(struct app_zipf *z, uint64_t n, double s);
uint64_t app_zipf_draw(const struct app_zipf *z, struct app_rng *r); /* 1..n */

/* A positive integer option: "--name N" on the command line, else environment variable env, else
 * def. Accepts K/M/G suffixes (powers of 1024). A malformed value stops the program with a
 * message. */
uint64_t app_option(int argc, char **argv, const char *name, const char *env, uint64_t def);
/* Whether the flag "--name" is on the command line. */
int app_flag(int argc, char **argv, const char *name);

double app_now(void); /* monotonic seconds */

/* Prints one result line (printf format) and folds it into the checksum. */
void app_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Folds n bytes into the checksum without printing them. */
void app_fold(const void *p, size_t n);
/* Prints "checksum=<16 hex digits>": identical across the builds when the results are. */
void app_checksum(void);
/* Prints "time <what>=<seconds>" to stdout (not part of the checksum). */
void app_time(const char *what, double seconds);

/* Stops the program with "<prog>: <message>" when a structure ran out of memory. */
__attribute__((noreturn)) void app_die(const char *what);

#endif
