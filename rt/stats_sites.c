/* Call-site names for the statistics. The plugin gives every barrier and scope a small site id; the
 * summary names the scope behind the longest evacuator wait, so ids are turned back into
 * "file.c:42" here, from tables registered at start-up or from a resolver function. Lookups happen
 * only when the summary is printed, so a linear search is enough. */
#include "stats_sites.h"

#include <far/stats.h>

#include <pthread.h>
#include <stdlib.h>

struct site_table {
  const struct far_site_name *sites;
  unsigned count;
  struct site_table *next;
};

static pthread_mutex_t sites_lock = PTHREAD_MUTEX_INITIALIZER;
static struct site_table *tables;             /* under sites_lock */
static const char *(*resolver)(unsigned);     /* atomic */

void far_stats_register_sites(const struct far_site_name *sites, unsigned count) {
  struct site_table *t = malloc(sizeof *t);
  if (!t)
    return; /* names are a convenience: without them the summary shows "site N" */
  *t = (struct site_table){.sites = sites, .count = count};
  pthread_mutex_lock(&sites_lock);
  t->next = tables;
  tables = t;
  pthread_mutex_unlock(&sites_lock);
}

void far_stats_site_names(const char *(*fn)(unsigned site)) {
  __atomic_store_n(&resolver, fn, __ATOMIC_RELEASE);
}

const char *far_stats_site_name(unsigned site) {
  if (!site)
    return NULL;
  const char *name = NULL;
  pthread_mutex_lock(&sites_lock);
  for (struct site_table *t = tables; t && !name; t = t->next)
    for (unsigned i = 0; i < t->count && !name; i++)
      if (t->sites[i].site == site)
        name = t->sites[i].name;
  pthread_mutex_unlock(&sites_lock);
  const char *(*fn)(unsigned) = __atomic_load_n(&resolver, __ATOMIC_ACQUIRE);
  return name || !fn ? name : fn(site);
}
