/* Statistics: the per-thread counter blocks of <far/stats.h>, their registration, the totals over
 * live and exited threads, and the FAR_STATS summary (text or JSON). */
#include "stats_sites.h"

#include <far/stats.h>

#include <inttypes.h>
#include <pthread.h>
#include <string.h>

__thread struct far_stats_thread far_stats_tls __attribute__((tls_model("initial-exec")));

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct far_stats_thread *live_threads;      /* under stats_lock */
static struct far_stats_counters exited_threads;   /* under stats_lock */
static uint64_t evac_wait_ns;                      /* under stats_lock */
static unsigned evac_wait_site;                    /* under stats_lock */
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

enum { KIND_SUM, KIND_MAX };

/* into += from, counter by counter; from may be written concurrently by its thread. */
static void counters_merge(struct far_stats_counters *into, struct far_stats_counters *from) {
#define MERGE(name, kind, text)                                                      \
  {                                                                                  \
    uint64_t v = __atomic_load_n(&from->name, __ATOMIC_RELAXED);                     \
    into->name = KIND_##kind == KIND_SUM ? into->name + v : (v > into->name ? v : into->name); \
  }
  FAR_STATS_COUNTERS(MERGE)
#undef MERGE
}

/* Thread exit (pthread key destructor): fold the block into the exited total and unlink it. If a
 * later destructor counts again, the thread links itself again and this runs once more. */
static void thread_unlink(void *arg) {
  struct far_stats_thread *t = arg;
  pthread_mutex_lock(&stats_lock);
  counters_merge(&exited_threads, &t->c);
  if (t->prev)
    t->prev->next = t->next;
  else
    live_threads = t->next;
  if (t->next)
    t->next->prev = t->prev;
  memset(&t->c, 0, sizeof t->c);
  t->linked = 0;
  pthread_mutex_unlock(&stats_lock);
}

static void make_exit_key(void) { pthread_key_create(&exit_key, thread_unlink); }

void far_stats_thread_link(void) {
  struct far_stats_thread *t = &far_stats_tls;
  pthread_once(&exit_key_once, make_exit_key);
  pthread_mutex_lock(&stats_lock);
  t->prev = NULL;
  t->next = live_threads;
  if (live_threads)
    live_threads->prev = t;
  live_threads = t;
  t->linked = 1;
  pthread_mutex_unlock(&stats_lock);
  pthread_setspecific(exit_key, t);
}

void far_stats_set_evac_wait_site(unsigned site, uint64_t ns) {
  pthread_mutex_lock(&stats_lock);
  if (ns > evac_wait_ns) {
    evac_wait_ns = ns;
    evac_wait_site = site;
  }
  pthread_mutex_unlock(&stats_lock);
}

void far_stats_snapshot(struct far_stats_totals *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&stats_lock);
  counters_merge(&out->c, &exited_threads);
  for (struct far_stats_thread *t = live_threads; t; t = t->next)
    counters_merge(&out->c, &t->c);
  if (evac_wait_ns >= out->c.evac_wait_ns_max) {
    out->c.evac_wait_ns_max = evac_wait_ns;
    out->evac_wait_site = evac_wait_site;
  }
  pthread_mutex_unlock(&stats_lock);
}

struct far_stats_totals far_stats(void) {
  struct far_stats_totals t;
  far_stats_snapshot(&t);
  return t;
}

/* s as a JSON string literal. */
static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(out, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(out, "\\u%04x", ch);
    else
      fputc(ch, out);
  }
  fputc('"', out);
}

static void print_json(FILE *out, const struct far_stats_totals *t) {
  fputc('{', out);
#define JSON_FIELD(name, kind, text) fprintf(out, "\"" #name "\":%" PRIu64 ",", t->c.name);
  FAR_STATS_COUNTERS(JSON_FIELD)
#undef JSON_FIELD
  fprintf(out, "\"evac_wait_site\":%u,\"evac_wait_site_name\":", t->evac_wait_site);
  const char *name = far_stats_site_name(t->evac_wait_site);
  if (name)
    json_string(out, name);
  else
    fputs("null", out);
  fputs("}\n", out);
}

static void print_text(FILE *out, const struct far_stats_totals *t) {
  fputs("farmem statistics:\n", out);
#define TEXT_FIELD(name, kind, text) \
  fprintf(out, "  %-22s %20" PRIu64 "  %s\n", #name, t->c.name, text);
  FAR_STATS_COUNTERS(TEXT_FIELD)
#undef TEXT_FIELD
  if (!t->evac_wait_site)
    return;
  char number[16];
  const char *name = far_stats_site_name(t->evac_wait_site);
  snprintf(number, sizeof number, "site %u", t->evac_wait_site);
  fprintf(out, "  %-22s %20s  the scope that made the evacuator wait longest\n", "evac_wait_site",
          name ? name : number);
}

void far_stats_print(FILE *out, int json) {
  struct far_stats_totals t;
  far_stats_snapshot(&t);
  if (json)
    print_json(out, &t);
  else
    print_text(out, &t);
  fflush(out);
}
