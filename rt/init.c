/* Start-up and shut-down of the runtime. Initialisation is lazy (the first far_malloc) and happens once: read the
 * FAR_* configuration, start the embedded farmemd when FAR_SERVER is unset, connect, install the
 * safety net, set up the table, the cache and the evacuator. At exit the evacuator finishes its
 * round and stops, and FAR_STATS prints its summary, before the embedded server is stopped. */
#include <stdlib.h>
#include <unistd.h>

#include "core.h"
#include "support.h"

struct far_runtime far_rt;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_bool exiting;

static void at_exit(void) {
  atomic_store(&exiting, true);
  far_evac_stop();
  if (far_rt.net) far_net_close(far_rt.net); /* goodbye before the embedded server is stopped */
  if (far_rt.stats_mode != FAR_STATS_OFF) far_stats_print(stderr, far_rt.stats_mode == FAR_STATS_JSON);
}

static void connect_servers(const struct far_config *cfg) {
  far_net_config nc = {.servers = cfg->servers, .token = cfg->token};
  char err[512];
  far_rt.net = far_net_open(&nc, err, sizeof err);
  if (!far_rt.net) {
    fprintf(stderr, "farmem: FAR_SERVER=%s: %s\n", cfg->servers, err);
    exit(2);
  }
}

static void init_once(void) {
  struct far_config cfg;
  far_config_load(&cfg);
  far_rt.budget = cfg.local_mem;
  far_rt.evac_threads = cfg.evac_threads;
  far_rt.stats_mode = cfg.stats;
  if (!cfg.servers[0]) far_embedded_start(cfg.servers, sizeof cfg.servers);
  connect_servers(&cfg);
  far_safety_net_install();
  far_scope_init();
  far_table_init();
  far_heap_init();
  far_live_init();
  far_group_init(cfg.group);
  far_cache_init(cfg.local_mem);
  far_evac_start(cfg.evac_threads);
  atexit(at_exit); /* registered after the embedded server's handler, so it runs before it */
  __atomic_store_n(&far_rt.ready, 1, __ATOMIC_RELEASE);
}

void far_init(void) {
  if (!__atomic_load_n(&far_rt.ready, __ATOMIC_ACQUIRE)) pthread_once(&once, init_once);
}

void far_net_fail(const char *what, int status) {
  if (atomic_load(&exiting)) /* the server is going away with the process: nothing to report */
    for (;;) pause();
  far_fatal("memory server %s failed: %s", what, far_status_name(status));
}
