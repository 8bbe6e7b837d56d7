/* AIFM's DataFrame benchmark in C: analytics over NYC yellow-taxi trips, stored column by column in
 * far vectors (ds-headers).
 *
 * The trips are generated, deterministically, with the schema of the Kaggle "NYC taxi trip
 * duration" data (id, vendor_id, pickup/dropoff datetime, passenger_count, pickup/dropoff
 * longitude/latitude, store_and_fwd_flag, trip_duration) and distributions like the real ones: two
 * vendors (53% / 47%), passengers 1-6 mostly 1, pickups over 2016 with weekly, seasonal and hourly
 * patterns, places drawn around Manhattan, Brooklyn, Queens and the airports inside the city's
 * lat/lon box, and log-normal durations that grow with the distance. Then come the steps of AIFM's
 * DataFrame example (from the C++ DataFrame library): unique vendors, passenger counts per vendor,
 * trip-duration statistics, store-and-forward counts, a haversine distance column, timestamp
 * analysis (new day column, counts per hour, weekday and month) and the median trip duration
 * grouped by day and by month (a partition of the durations by day, then a selection per group).
 *
 * Every pass works on blocks of BLOCK rows: it asks for the next blocks of each column it reads
 * (the vectors' explicit prefetch) and copies the current one out in one bulk call, so far memory
 * costs one scope per 64 KiB chunk, never a barrier per element. Built with -DFARDS_LOCAL the same
 * code runs on plain malloc (the local-only baseline).
 *
 * The aggregates of the duration and flag columns use the vectors' offloaded operations
 * (they run inside farmemd next to the data; DF_OFFLOAD=0 computes them here instead, through the
 * cache; the local-only build always computes them here).
 *
 * When the trips are generated, the cache holds the last of them, dirty. A program that knows its
 * load phase is over writes them back then, before the analytics (untimed): far memory with
 * far_write_back_ranges of the columns, the paging baseline (the local build under libfarpaging)
 * with its farpaging_write_back. DF_WRITEBACK=0 leaves them for the analytics, as before session 5.
 *
 *   dataframe [--rows N] [--ahead B]   (or DF_ROWS, DF_AHEAD; default 28 Mi rows, a 2.1 GiB working
 *                                       set; B blocks of 64 Ki rows prefetched ahead, default 16)
 *   dataframe --rows N --working-set   prints the working set in bytes and exits
 * Prints result lines, "time <step>=<s>" lines and "checksum=<hex>" (identical in every build). */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <far/ds.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app.h"

#define CHUNK (64u << 10) /* columns are scanned: large chunks */
FAR_VECTOR_DECLARE_CHUNK(col_i64, int64_t, CHUNK)
FAR_VECTOR_DECLARE_CHUNK(col_f64, double, CHUNK)
FAR_VECTOR_DECLARE_CHUNK(col_i32, int32_t, CHUNK)
FAR_VECTOR_DECLARE_CHUNK(col_u16, uint16_t, CHUNK)
FAR_VECTOR_DECLARE_CHUNK(col_u8, uint8_t, CHUNK)
FAR_VECTOR_OPS_DECLARE(col_u8, uint8_t)
FAR_VECTOR_OPS_DECLARE(col_i32, int32_t)

#define BLOCK 65536u /* rows per block */
static size_t ahead = 16; /* blocks prefetched ahead of the one being read (--ahead, DF_AHEAD) */
static int offload = 1;   /* aggregates run inside farmemd (DF_OFFLOAD=0: computed here) */
#define DAYS 366     /* 2016 */
#define EPOCH_2016 1451606400ll
#define SEED 20161u

/* Bytes of the source columns and of the three derived ones (distance, day, durations by day). */
#define ROW_BYTES (8 + 1 + 8 + 8 + 1 + 4 * 8 + 1 + 4)
#define DERIVED_BYTES (8 + 2 + 4)

/* Reads rows [from, from + n) of a column into buf after asking for the AHEAD blocks after them. */
#define DEFINE_READ(type, T)                                                                     \
  static void type##_read(type *c, size_t from, size_t n, T *buf) {                              \
    if (from + n < type##_size(c))                                                              \
      type##_prefetch(c, from + n, ahead * BLOCK);                                       \
    type##_copy_out(c, from, buf, n);                                                            \
  }
DEFINE_READ(col_i64, int64_t)
DEFINE_READ(col_f64, double)
DEFINE_READ(col_i32, int32_t)
DEFINE_READ(col_u16, uint16_t)
DEFINE_READ(col_u8, uint8_t)

struct frame {
  size_t rows;
  col_i64 *id, *pickup, *dropoff;
  col_u8 *vendor, *passengers, *flag;
  col_f64 *plon, *plat, *dlon, *dlat;
  col_i32 *duration;
};

/* One block of every source column, in local memory. */
struct rows {
  int64_t id[BLOCK], pickup[BLOCK], dropoff[BLOCK];
  uint8_t vendor[BLOCK], passengers[BLOCK], flag[BLOCK];
  double plon[BLOCK], plat[BLOCK], dlon[BLOCK], dlat[BLOCK];
  int32_t duration[BLOCK];
};

static size_t block_rows(size_t from, size_t rows) {
  return rows - from < BLOCK ? rows - from : BLOCK;
}

static double haversine_km(double lat1, double lon1, double lat2, double lon2) {
  const double r = M_PI / 180;
  double a = sin((lat2 - lat1) * r / 2), b = sin((lon2 - lon1) * r / 2);
  double h = a * a + cos(lat1 * r) * cos(lat2 * r) * b * b;
  return 2 * 6371.0 * asin(sqrt(h));
}

/* ---- The generator ---- */

struct place {
  double lat, lon, sigma, weight;
};
static const struct place places[] = {
    {40.7580, -73.9855, 0.012, 0.42}, /* Midtown */
    {40.7128, -74.0060, 0.010, 0.18}, /* Downtown */
    {40.7794, -73.9632, 0.012, 0.16}, /* Upper East / West Side */
    {40.6413, -73.7781, 0.004, 0.04}, /* JFK */
    {40.7769, -73.8740, 0.003, 0.04}, /* LaGuardia */
    {40.6782, -73.9442, 0.025, 0.10}, /* Brooklyn */
    {40.7282, -73.7949, 0.030, 0.06}, /* Queens */
};
#define NPLACES (sizeof places / sizeof places[0])

/* Cumulative weights, for drawing by binary search. */
struct cdf {
  unsigned n;
  double c[DAYS];
};

static void cdf_init(struct cdf *d, const double *w, unsigned n) {
  double total = 0;
  d->n = n;
  for (unsigned i = 0; i < n; i++)
    d->c[i] = total += w[i];
  for (unsigned i = 0; i < n; i++)
    d->c[i] /= total;
}

static unsigned cdf_draw(const struct cdf *d, struct app_rng *r) {
  double u = app_unit(r);
  unsigned lo = 0, hi = d->n - 1;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    if (u < d->c[mid])
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

struct model {
  struct cdf day, hour, place, passengers;
};

static void model_init(struct model *m) {
  /* 2016-01-01 was a Friday; weekday 0 = Monday. More trips late in the week, fewer in summer. */
  static const double weekday[7] = {0.92, 0.98, 1.00, 1.04, 1.08, 1.06, 0.94};
  static const double hour[24] = {36, 27, 20, 15, 11, 10, 23, 38, 45, 45, 44, 46,
                                  48, 48, 50, 49, 45, 52, 61, 62, 58, 56, 54, 46};
  static const double passengers[6] = {0.709, 0.144, 0.041, 0.019, 0.053, 0.034};
  double w[DAYS], pw[NPLACES];
  for (unsigned d = 0; d < DAYS; d++)
    w[d] = weekday[(d + 4) % 7] * (1 + 0.08 * cos(2 * M_PI * (d + 30) / DAYS));
  cdf_init(&m->day, w, DAYS);
  cdf_init(&m->hour, hour, 24);
  for (unsigned i = 0; i < NPLACES; i++)
    pw[i] = places[i].weight;
  cdf_init(&m->place, pw, NPLACES);
  cdf_init(&m->passengers, passengers, 6);
}

static double clamp(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* A point around a drawn place (or around `near`, when given), inside the city's box. */
static void draw_point(const struct model *m, struct app_rng *r, const double *near, double *lat,
                       double *lon) {
  const struct place *p = &places[cdf_draw(&m->place, r)];
  double clat = near ? near[0] : p->lat, clon = near ? near[1] : p->lon;
  double sigma = near ? 0.015 : p->sigma;
  *lat = clamp(clat + sigma * app_normal(r), 40.50, 40.92);
  *lon = clamp(clon + sigma * 1.3 * app_normal(r), -74.25, -73.70);
}

/* Trip i, from its own random stream (so blocks can be generated in any order). */
static void generate_row(const struct model *m, size_t i, struct rows *b, size_t k) {
  struct app_rng r = app_rng_at(SEED, i);
  b->id[k] = 2000000 + (int64_t)i;
  b->vendor[k] = app_unit(&r) < 0.465 ? 1 : 2;
  b->passengers[k] = (uint8_t)(1 + cdf_draw(&m->passengers, &r));
  int64_t t = EPOCH_2016 + (int64_t)cdf_draw(&m->day, &r) * 86400 +
              (int64_t)cdf_draw(&m->hour, &r) * 3600 + (int64_t)(app_unit(&r) * 3600);
  draw_point(m, &r, NULL, &b->plat[k], &b->plon[k]);
  double here[2] = {b->plat[k], b->plon[k]};
  draw_point(m, &r, app_unit(&r) < 0.55 ? here : NULL, &b->dlat[k], &b->dlon[k]);
  double km = haversine_km(b->plat[k], b->plon[k], b->dlat[k], b->dlon[k]);
  double secs = exp(log(110 + 200 * km) + 0.45 * app_normal(&r));
  if (app_unit(&r) < 0.001) /* the meter left running */
    secs = 80000 + app_unit(&r) * 6000;
  b->duration[k] = (int32_t)clamp(secs, 1, 86399);
  b->pickup[k] = t;
  b->dropoff[k] = t + b->duration[k];
  b->flag[k] = app_unit(&r) < 0.0055 ? 'Y' : 'N';
}

static void frame_generate(struct frame *f, size_t rows, struct rows *b) {
  struct model m;
  model_init(&m);
  f->rows = rows;
  f->id = col_i64_new(), f->pickup = col_i64_new(), f->dropoff = col_i64_new();
  f->vendor = col_u8_new(), f->passengers = col_u8_new(), f->flag = col_u8_new();
  f->plon = col_f64_new(), f->plat = col_f64_new();
  f->dlon = col_f64_new(), f->dlat = col_f64_new();
  f->duration = col_i32_new();
  if (!f->id || !f->pickup || !f->dropoff || !f->vendor || !f->passengers || !f->flag || !f->plon ||
      !f->plat || !f->dlon || !f->dlat || !f->duration)
    app_die("dataframe: columns");
  for (size_t from = 0; from < rows; from += BLOCK) {
    size_t n = block_rows(from, rows);
    for (size_t k = 0; k < n; k++)
      generate_row(&m, from + k, b, k);
    int rc = col_i64_append(f->id, b->id, n) | col_i64_append(f->pickup, b->pickup, n) |
             col_i64_append(f->dropoff, b->dropoff, n) | col_u8_append(f->vendor, b->vendor, n) |
             col_u8_append(f->passengers, b->passengers, n) | col_u8_append(f->flag, b->flag, n) |
             col_f64_append(f->plon, b->plon, n) | col_f64_append(f->plat, b->plat, n) |
             col_f64_append(f->dlon, b->dlon, n) | col_f64_append(f->dlat, b->dlat, n) |
             col_i32_append(f->duration, b->duration, n);
    if (rc != 0)
      app_die("dataframe: append");
  }
}

/* ---- The analytics ---- */

/* Unique vendor ids (AIFM: print_number_vendor_ids_and_unique). A scan with a table of seen values:
 * the vectors' unique operation sorts (16 bytes of scratch per row), far slower for one byte. */
static void step_unique_vendors(struct frame *f, struct rows *b) {
  unsigned char seen[256] = {0};
  for (size_t from = 0; from < f->rows; from += BLOCK) {
    size_t n = block_rows(from, f->rows);
    col_u8_read(f->vendor, from, n, b->vendor);
    for (size_t k = 0; k < n; k++)
      seen[b->vendor[k]] = 1;
  }
  unsigned unique = 0;
  char list[256 * 4] = "", *p = list;
  for (unsigned v = 0; v < 256; v++)
    if (seen[v])
      unique++, p += sprintf(p, "%s%u", p == list ? "" : ",", v);
  app_result("vendor_ids rows=%zu unique=%u values=%s", f->rows, unique, list);
}

/* Passenger counts per vendor (AIFM: print_passage_counts_by_vendor_id). */
static void step_passengers_per_vendor(struct frame *f, struct rows *b) {
  static size_t count[256][256];
  memset(count, 0, sizeof count);
  for (size_t from = 0; from < f->rows; from += BLOCK) {
    size_t n = block_rows(from, f->rows);
    col_u8_read(f->vendor, from, n, b->vendor);
    col_u8_read(f->passengers, from, n, b->passengers);
    for (size_t k = 0; k < n; k++)
      count[b->vendor[k]][b->passengers[k]]++;
  }
  for (unsigned v = 0; v < 256; v++)
    for (unsigned p = 0; p < 256; p++)
      if (count[v][p])
        app_result("passengers vendor=%u count=%u trips=%zu", v, p, count[v][p]);
}

/* Mean and range of the trip durations (AIFM: calculate_trip_duration): offloaded aggregates. */
static void step_duration_stats(struct frame *f) {
  int32_t lo = 0, hi = 0;
  int64_t sum = offload ? col_i32_sum(f->duration) : col_i32_sum_local(f->duration);
  int ok = offload ? col_i32_min(f->duration, &lo) && col_i32_max(f->duration, &hi)
                   : col_i32_min_local(f->duration, &lo) && col_i32_max_local(f->duration, &hi);
  if (!ok)
    app_die("dataframe: duration aggregates");
  app_result("trip_duration mean=%.4f min=%d max=%d", (double)sum / (double)f->rows, lo, hi);
}

/* Store-and-forward flags (AIFM: calculate_distribution_store_and_fwd_flag): an offloaded count. */
static void step_store_and_forward(struct frame *f) {
  size_t y = offload ? col_u8_count_if(f->flag, FARDS_EQ, 'Y')
                     : col_u8_count_if_local(f->flag, FARDS_EQ, 'Y');
  app_result("store_and_fwd Y=%zu N=%zu share_Y=%.6f", y, f->rows - y, (double)y / (double)f->rows);
}

/* A haversine distance column, and its distribution (AIFM: calculate_haversine_distance_column). */
static col_f64 *step_haversine(struct frame *f, struct rows *b, double *dist) {
  col_f64 *out = col_f64_new();
  size_t hist[31] = {0};
  double sum = 0, hi = 0;
  if (!out)
    app_die("dataframe: distance column");
  for (size_t from = 0; from < f->rows; from += BLOCK) {
    size_t n = block_rows(from, f->rows);
    col_f64_read(f->plat, from, n, b->plat);
    col_f64_read(f->plon, from, n, b->plon);
    col_f64_read(f->dlat, from, n, b->dlat);
    col_f64_read(f->dlon, from, n, b->dlon);
    for (size_t k = 0; k < n; k++) {
      double km = haversine_km(b->plat[k], b->plon[k], b->dlat[k], b->dlon[k]);
      dist[k] = km;
      sum += km;
      hi = km > hi ? km : hi;
      hist[km >= 30 ? 30 : (unsigned)km]++;
    }
    if (col_f64_append(out, dist, n) != 0)
      app_die("dataframe: distance column");
  }
  app_result("haversine mean_km=%.6f max_km=%.6f", sum / (double)f->rows, hi);
  for (unsigned k = 0; k < 31; k++)
    app_result("haversine km=%u%s trips=%zu", k, k == 30 ? "+" : "", hist[k]);
  return out;
}

/* Days since 1970-01-01 -> month (1..12) of the proleptic Gregorian calendar (Hinnant's
 * civil_from_days, month part). */
static unsigned month_of(int64_t days) {
  int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  return (unsigned)(mp < 10 ? mp + 3 : mp - 9);
}

/* Pickup hour, weekday, month and day of the year: a new day column and counts per hour, weekday
 * and month (AIFM: analyze_trip_timestamp). Fills trips_per_day. */
static col_u16 *step_timestamps(struct frame *f, struct rows *b, uint16_t *day,
                                size_t trips_per_day[DAYS]) {
  col_u16 *out = col_u16_new();
  size_t hour[24] = {0}, weekday[7] = {0}, month[13] = {0};
  if (!out)
    app_die("dataframe: day column");
  for (size_t from = 0; from < f->rows; from += BLOCK) {
    size_t n = block_rows(from, f->rows);
    col_i64_read(f->pickup, from, n, b->pickup);
    for (size_t k = 0; k < n; k++) {
      int64_t t = b->pickup[k], days = t / 86400;
      hour[t % 86400 / 3600]++;
      weekday[(days + 3) % 7]++; /* 1970-01-01 was a Thursday; 0 = Monday */
      month[month_of(days)]++;
      day[k] = (uint16_t)(days - EPOCH_2016 / 86400);
      trips_per_day[day[k]]++;
    }
    if (col_u16_append(out, day, n) != 0)
      app_die("dataframe: day column");
  }
  for (unsigned h = 0; h < 24; h++)
    app_result("pickups hour=%u trips=%zu", h, hour[h]);
  for (unsigned w = 0; w < 7; w++)
    app_result("pickups weekday=%u trips=%zu", w, weekday[w]);
  for (unsigned mo = 1; mo <= 12; mo++)
    app_result("pickups month=%u trips=%zu", mo, month[mo]);
  return out;
}

/* The k-th smallest of a[0..n) (quickselect with a three-way partition, since durations repeat;
 * a is reordered so that a[0..k) <= a[k]). */
static int32_t select_kth(int32_t *a, size_t n, size_t k) {
  size_t lo = 0, hi = n; /* k is in [lo, hi) */
  while (hi - lo > 1) {
    int32_t pivot = a[lo + (hi - lo) / 2], t;
    size_t lt = lo, i = lo, gt = hi; /* [lo, lt) < pivot, [lt, i) == pivot, [gt, hi) > pivot */
    while (i < gt) {
      if (a[i] < pivot)
        t = a[lt], a[lt++] = a[i], a[i++] = t;
      else if (a[i] > pivot)
        t = a[--gt], a[gt] = a[i], a[i] = t;
      else
        i++;
    }
    if (k < lt)
      hi = lt;
    else if (k >= gt)
      lo = gt;
    else
      return pivot;
  }
  return a[lo];
}

/* Median of a[0..n), n > 0 (the mean of the two middle values when n is even). */
static double median(int32_t *a, size_t n) {
  int32_t hi = select_kth(a, n, n / 2);
  if (n % 2)
    return hi;
  int32_t lo = a[0];
  for (size_t i = 1; i < n / 2; i++) /* after selection, a[0..n/2) holds the smaller half */
    lo = a[i] > lo ? a[i] : lo;
  return ((double)lo + hi) / 2;
}

/* Trip durations partitioned by pickup day: group d holds rows [start[d], start[d+1]). Each day's
 * writes are staged locally and copied in STAGE at a time. */
#define STAGE 1024u
static col_i32 *partition_by_day(struct frame *f, col_u16 *days, struct rows *b, uint16_t *day,
                                 const size_t start[DAYS + 1]) {
  col_i32 *out = col_i32_new();
  int32_t(*stage)[STAGE] = malloc(sizeof(int32_t[DAYS][STAGE]));
  size_t fill[DAYS] = {0}, at[DAYS];
  if (!out || !stage || col_i32_resize(out, f->rows) != 0)
    app_die("dataframe: partition");
  memcpy(at, start, sizeof at);
  for (size_t from = 0; from < f->rows; from += BLOCK) {
    size_t n = block_rows(from, f->rows);
    col_u16_read(days, from, n, day);
    col_i32_read(f->duration, from, n, b->duration);
    for (size_t k = 0; k < n; k++) {
      unsigned d = day[k];
      stage[d][fill[d]++] = b->duration[k];
      if (fill[d] == STAGE) {
        col_i32_copy_in(out, at[d], stage[d], STAGE);
        at[d] += STAGE, fill[d] = 0;
      }
    }
  }
  for (unsigned d = 0; d < DAYS; d++)
    col_i32_copy_in(out, at[d], stage[d], fill[d]);
  free(stage);
  return out;
}

/* Median trip duration by day and by month (AIFM: analyze_trip_durations_of_timestamps). Days are
 * in calendar order, so a month's groups are one contiguous range of the partition. */
static void step_group_medians(struct frame *f, col_u16 *days, struct rows *b, uint16_t *day,
                               const size_t trips_per_day[DAYS]) {
  size_t start[DAYS + 1] = {0}, biggest = 0;
  for (unsigned d = 0; d < DAYS; d++)
    start[d + 1] = start[d] + trips_per_day[d];
  col_i32 *part = partition_by_day(f, days, b, day, start);
  unsigned first[13];
  for (unsigned d = DAYS; d-- > 0;)
    first[month_of(EPOCH_2016 / 86400 + d) - 1] = d;
  first[12] = DAYS;
  for (unsigned mo = 0; mo < 12; mo++) {
    size_t n = start[first[mo + 1]] - start[first[mo]];
    biggest = n > biggest ? n : biggest;
  }
  int32_t *scratch = malloc((biggest ? biggest : 1) * sizeof *scratch);
  if (!scratch)
    app_die("dataframe: median scratch");
  double lo = INFINITY, hi = -INFINITY;
  for (unsigned d = 0; d < DAYS; d++) {
    size_t n = trips_per_day[d];
    if (!n)
      continue;
    col_i32_read(part, start[d], n, scratch);
    double m = median(scratch, n);
    app_fold(&m, sizeof m); /* all 366 medians count; a few are printed */
    lo = m < lo ? m : lo;
    hi = m > hi ? m : hi;
    if (d % 61 == 0)
      app_result("median_duration day=%u trips=%zu median=%.1f", d, n, m);
  }
  app_result("median_duration by_day min=%.1f max=%.1f", lo, hi);
  for (unsigned mo = 0; mo < 12; mo++) {
    size_t from = start[first[mo]], n = start[first[mo + 1]] - from;
    if (!n)
      continue;
    col_i32_read(part, from, n, scratch);
    app_result("median_duration month=%u trips=%zu median=%.1f", mo + 1, n, median(scratch, n));
  }
  free(scratch);
  col_i32_free(part);
}

static void frame_free(struct frame *f) {
  col_i64_free(f->id), col_i64_free(f->pickup), col_i64_free(f->dropoff);
  col_u8_free(f->vendor), col_u8_free(f->passengers), col_u8_free(f->flag);
  col_f64_free(f->plon), col_f64_free(f->plat), col_f64_free(f->dlon), col_f64_free(f->dlat);
  col_i32_free(f->duration);
}

/* ---- The end of the load phase ---- */

/* What is written back: every chunk of every source column, as {addr, len} ranges. */
#ifdef FARDS_LOCAL
struct span {
  const void *addr;
  size_t len;
}; /* as libfarpaging takes them */
#else
#define span far_range
#endif

static struct span *source_chunks(const struct frame *f, size_t *count) {
  const struct fards_seq *cols[] = {&f->id->seq,   &f->pickup->seq, &f->dropoff->seq, &f->vendor->seq,
                                    &f->passengers->seq, &f->flag->seq, &f->plon->seq, &f->plat->seq,
                                    &f->dlon->seq, &f->dlat->seq, &f->duration->seq};
  size_t n = 0;
  for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
    n += cols[c]->nchunks;
  struct span *s = malloc((n ? n : 1) * sizeof *s);
  if (!s)
    app_die("dataframe: write-back ranges");
  n = 0;
  for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
    for (size_t k = 0; k < cols[c]->nchunks; k++)
      s[n++] = (struct span){cols[c]->chunk[k], CHUNK};
  *count = n;
  return s;
}

/* Far memory: far_write_back_ranges. The local build: under the paging baseline its
 * farpaging_write_back; alone it has nothing to write. */
static void load_write_back(const struct frame *f) {
#ifdef FARDS_LOCAL
  void (*write_back)(const struct span *, size_t) =
      (void (*)(const struct span *, size_t))dlsym(RTLD_DEFAULT, "farpaging_write_back");
  if (!write_back)
    return;
#else
  void (*write_back)(const struct span *, size_t) = far_write_back_ranges;
#endif
  size_t n;
  struct span *s = source_chunks(f, &n);
  write_back(s, n);
  free(s);
}

/* ---- Per-step counters (DF_STEP_STATS=1) ---- */

static double process_cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

/* The memory system's counters so far, on the rest of a "step" line. */
static void print_counters(void) {
#ifdef FARDS_LOCAL
  void (*paging)(FILE *) = (void (*)(FILE *))dlsym(RTLD_DEFAULT, "farpaging_print_stats");
  if (paging)
    paging(stderr);
  else
    fputc('\n', stderr);
#else
  struct far_stats_totals t = far_stats();
  fprintf(stderr,
          "far: miss=%llu bytes_fetched=%llu prefetch_issued=%llu prefetch_requests=%llu "
          "bytes_written_back=%llu objects_evacuated=%llu mutator_blocks=%llu offload_calls=%llu\n",
          (unsigned long long)t.c.miss, (unsigned long long)t.c.bytes_fetched,
          (unsigned long long)t.c.prefetch_issued, (unsigned long long)t.c.prefetch_requests,
          (unsigned long long)t.c.bytes_written_back, (unsigned long long)t.c.objects_evacuated,
          (unsigned long long)t.c.mutator_blocks, (unsigned long long)t.c.offload_calls);
#endif
}

/* The calling thread's time on a CPU and waiting for one (the run queue), in seconds: on a shared
 * machine the second separates waiting for a core from waiting for data. */
static void thread_sched(double *run, double *wait) {
  unsigned long long r = 0, w = 0;
  FILE *f = fopen("/proc/thread-self/schedstat", "r");
  if (f) {
    if (fscanf(f, "%llu %llu", &r, &w) != 2)
      r = w = 0;
    fclose(f);
  }
  *run = (double)r * 1e-9, *wait = (double)w * 1e-9;
}

/* CPU seconds of root's descendants that are still running. */
static double descendants_cpu(pid_t root) {
  enum { MAXP = 4096 };
  static int pid[MAXP], ppid[MAXP];
  static double cpu[MAXP];
  int n = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && n < MAXP && (e = readdir(d)) != NULL) {
    char path[300];
    unsigned long ut, st;
    if (e->d_name[0] < '1' || e->d_name[0] > '9')
      continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f)
      continue;
    /* pid (comm) state ppid ... utime(14) stime(15); comm has no ')' for the processes we want */
    if (fscanf(f, "%d %*[^)]) %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &pid[n], &ppid[n],
               &ut, &st) == 4)
      cpu[n++] = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    fclose(f);
  }
  if (d)
    closedir(d);
  double total = 0;
  int mine[64] = {root}, nmine = 1;
  for (int k = 0; k < nmine; k++) /* breadth first over the process tree */
    for (int i = 0; i < n; i++)
      if (ppid[i] == mine[k] && nmine < 64)
        mine[nmine++] = pid[i], total += cpu[i];
  return total;
}

/* The embedded farmemd's CPU seconds: farmem's is a child of the warden the runtime started, the
 * paging baseline's a descendant of the helper process its library started (farpaging_server_pid). */
static double server_cpu(void) {
#ifdef FARDS_LOCAL
  pid_t (*helper)(void) = (pid_t(*)(void))dlsym(RTLD_DEFAULT, "farpaging_server_pid");
  return helper && helper() > 0 ? descendants_cpu(helper()) : 0;
#else
  return descendants_cpu(getpid());
#endif
}

static int step_stats;

/* "step NAME main_cpu=<s> main_runqueue=<s> process_cpu=<s> server_cpu=<s> <counters>": the CPU
 * figures since the previous step line (not counting the printing itself), the counters since the
 * start. */
static void print_step(const char *name) {
  static double last_run, last_wait, last_proc, last_server;
  if (!step_stats)
    return;
  double run, wait, proc = process_cpu(), server = server_cpu();
  thread_sched(&run, &wait);
  fprintf(stderr, "step %s main_cpu=%.3f main_runqueue=%.3f process_cpu=%.3f server_cpu=%.3f ", name,
          run - last_run, wait - last_wait, proc - last_proc, server - last_server);
  print_counters();
  thread_sched(&last_run, &last_wait);
  last_proc = process_cpu(), last_server = server;
}

int main(int argc, char **argv) {
  size_t rows = app_option(argc, argv, "--rows", "DF_ROWS", 28u << 20);
  ahead = app_option(argc, argv, "--ahead", "DF_AHEAD", ahead);
  const char *off = getenv("DF_OFFLOAD"), *ss = getenv("DF_STEP_STATS");
  offload = !(off && strcmp(off, "0") == 0);
  step_stats = ss && strcmp(ss, "1") == 0;
  if (app_flag(argc, argv, "--working-set")) {
    printf("%zu\n", rows * (size_t)(ROW_BYTES + DERIVED_BYTES));
    return 0;
  }
  printf("rows=%zu working_set_bytes=%zu\n", rows, rows * (size_t)(ROW_BYTES + DERIVED_BYTES));
  struct rows *b = malloc(sizeof *b);
  double *dist = malloc(BLOCK * sizeof *dist);
  uint16_t *day = malloc(BLOCK * sizeof *day);
  if (!b || !dist || !day)
    app_die("dataframe: buffers");
  struct frame f;
  double t0 = app_now();
  frame_generate(&f, rows, b);
  double t1 = app_now();
  app_time("generate", t1 - t0);
  const char *wb = getenv("DF_WRITEBACK");
  if (!(wb && strcmp(wb, "0") == 0)) {
    load_write_back(&f);
    app_time("load_write_back", app_now() - t1);
  }

  size_t trips_per_day[DAYS] = {0};
  print_step("start");
  double t = app_now(), now, busy = 0; /* busy: the steps' time, without printing DF_STEP_STATS */
#define STEP(name, call)                                                                         \
  call;                                                                                          \
  now = app_now(), busy += now - t, app_time(name, now - t);                                     \
  app_time("analytics_bound", busy); /* a lower bound if the run is stopped later */             \
  print_step(name), t = app_now()
  STEP("unique_vendors", step_unique_vendors(&f, b));
  STEP("passengers_per_vendor", step_passengers_per_vendor(&f, b));
  STEP("duration_stats", step_duration_stats(&f));
  STEP("store_and_forward", step_store_and_forward(&f));
  col_f64 *distance;
  STEP("haversine", distance = step_haversine(&f, b, dist));
  col_u16 *days;
  STEP("timestamps", days = step_timestamps(&f, b, day, trips_per_day));
  STEP("group_medians", step_group_medians(&f, days, b, day, trips_per_day));
  app_time("analytics", busy);
  app_checksum();
  col_f64_free(distance);
  col_u16_free(days);
  frame_free(&f);
  free(b), free(dist), free(day);
  return 0;
}
