/* Runtime statistics: per-thread counters cheap enough for the barrier fast path.
 *
 * Each thread counts into its own thread-local block (a plain load and store, no atomic
 * read-modify-write, no shared cache line); the block joins a global list the first time the thread
 * counts anything, and a thread that exits folds its counts into a global total first. A snapshot or
 * the FAR_STATS summary sums the exited total and every live thread's block. */
#ifndef FAR_STATS_H
#define FAR_STATS_H

#include "far/libc_types.h" /* uint64_t, FILE */

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, kind, description): kind SUM adds up over threads, MAX takes the largest value. */
#define FAR_STATS_COUNTERS(X)                                                        \
  X(barrier_fast_read, SUM, "read barriers served by the fast path")                 \
  X(barrier_fast_write, SUM, "write barriers served by the fast path")               \
  X(barrier_slow, SUM, "barriers that took the slow path")                           \
  X(miss, SUM, "objects fetched from the memory server on demand")                   \
  X(bytes_fetched, SUM, "bytes read from the memory server")                         \
  X(bytes_written_back, SUM, "bytes written back to the memory server")              \
  X(evacuations, SUM, "evacuation rounds")                                           \
  X(objects_evacuated, SUM, "objects moved out of local memory")                     \
  X(hot_dropped, SUM, "hot objects evacuated because their copy did not fit")       \
  X(prefetch_issued, SUM, "objects prefetched")                                      \
  X(prefetch_requests, SUM, "requests the prefetched objects were sent in")          \
  X(prefetch_used, SUM, "prefetched objects later accessed")                         \
  X(local_bytes_peak_data, MAX, "peak local bytes holding object data")              \
  X(local_bytes_peak_meta, MAX, "peak local bytes holding metadata (table, bitmaps)") \
  X(local_bytes_peak, MAX, "peak local bytes in all, data and metadata (FAR_LOCAL_MEM)") \
  X(mutator_blocks, SUM, "times a thread waited for local memory")                   \
  X(offload_calls, SUM, "far_offload calls farmemd answered with a result")         \
  X(evac_wait_ns_max, MAX, "longest evacuator wait for threads inside a scope (ns)")

struct far_stats_counters {
#define FAR_STATS_FIELD_(name, kind, text) uint64_t name;
  FAR_STATS_COUNTERS(FAR_STATS_FIELD_)
#undef FAR_STATS_FIELD_
};

/* One per thread; only its own thread writes it (other threads read it with relaxed loads). */
struct far_stats_thread {
  struct far_stats_counters c;
  struct far_stats_thread *next, *prev;
  int linked;
};

extern __thread struct far_stats_thread far_stats_tls __attribute__((tls_model("initial-exec")));
/* Puts the calling thread's block on the global list (out of line, once per thread). */
void far_stats_thread_link(void);

#define FAR_STAT_SLOT_(name)                                                         \
  (__builtin_expect(!far_stats_tls.linked, 0) ? far_stats_thread_link() : (void)0, \
   &far_stats_tls.c.name)
#define FAR_STAT_ADD(name, n)                                                        \
  do {                                                                               \
    uint64_t *far_slot_ = FAR_STAT_SLOT_(name);                                      \
    __atomic_store_n(far_slot_, __atomic_load_n(far_slot_, __ATOMIC_RELAXED) + (uint64_t)(n), \
                     __ATOMIC_RELAXED);                                              \
  } while (0)
#define FAR_STAT_INC(name) FAR_STAT_ADD(name, 1)
#define FAR_STAT_MAX(name, v)                                                        \
  do {                                                                               \
    uint64_t *far_slot_ = FAR_STAT_SLOT_(name);                                      \
    uint64_t far_v_ = (uint64_t)(v);                                                 \
    if (far_v_ > __atomic_load_n(far_slot_, __ATOMIC_RELAXED))                       \
      __atomic_store_n(far_slot_, far_v_, __ATOMIC_RELAXED);                         \
  } while (0)

/* Totals over all threads, live and exited. */
struct far_stats_totals {
  struct far_stats_counters c;
  unsigned evac_wait_site; /* scope site behind evac_wait_ns_max (0 = unknown) */
};

/* Records that the evacuator waited ns for a thread inside the scope opened at site; keeps the longest
 * wait and its site (also raises evac_wait_ns_max). Thread-safe. */
void far_stats_set_evac_wait_site(unsigned site, uint64_t ns);
/* Names of call sites ("file.c:42") for the summary. A table (static storage, not copied) is
 * registered once, e.g. by a constructor the plugin emits per module; a resolver function is asked
 * for ids no table knows, and may return NULL. */
struct far_site_name {
  unsigned site;
  const char *name;
};
void far_stats_register_sites(const struct far_site_name *sites, unsigned count);
void far_stats_site_names(const char *(*fn)(unsigned site));
void far_stats_snapshot(struct far_stats_totals *out);
/* The same, by value, for programs. */
struct far_stats_totals far_stats(void);
/* The FAR_STATS summary: readable text, or (json != 0) one JSON object on one line. */
void far_stats_print(FILE *out, int json);

#ifdef __cplusplus
}
#endif

#endif
