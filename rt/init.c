/* Start-up and shut-down of the runtime. Initialisation is lazy (the first far_malloc) and happens
 * once: read the FAR_* configuration, connect to FAR_SERVER when it is set, install the safety net,
 * set up the table, the cache and the evacuator. With FAR_SERVER unset the embedded farmemd is
 * started later still, by far_server(), when something first has to go to the server (a write-back,
 * a flush, an offload; a miss or a free of remote data can only follow one of those): a program
 * whose data stays local never pays for starting it (6-10 ms, the warden, farmemd's own start-up
 * and two connections). At exit the evacuator finishes its round and stops and the connections
 * close before the embedded server is stopped; then FAR_STATS prints its summary. */
#include <stdlib.h>
#include <unistd.h>

#include "core.h"
#include "support.h"

struct far_runtime far_rt;
static pthread_once_t once = PTHREAD_ONCE_INIT, server_once = PTHREAD_ONCE_INIT;
static atomic_bool exiting;
static struct far_config config; /* kept for the embedded server's late start */

/* Everything that may still talk to the server stops, then the connections close: once. */
static void quiesce(void) {
  static atomic_flag done = ATOMIC_FLAG_INIT;
  if (atomic_flag_test_and_set(&done)) return;
  atomic_store(&exiting, true);
  far_evac_stop();
  if (far_rt.net) far_net_close(far_rt.net); /* goodbye before the embedded server is stopped */
}

static void at_exit(void) {
  quiesce();
  if (far_rt.stats_mode != FAR_STATS_OFF) far_stats_print(stderr, far_rt.stats_mode == FAR_STATS_JSON);
}

static void connect_servers(const struct far_config *cfg) {
  far_net_config nc = {.servers = cfg->servers, .token = cfg->token};
  char err[512];
  far_net *net = far_net_open(&nc, err, sizeof err);
  if (!net) {
    fprintf(stderr, "farmem: FAR_SERVER=%s: %s\n", cfg->servers, err);
    exit(2);
  }
  __atomic_store_n(&far_rt.net, net, __ATOMIC_RELEASE);
}

/* The embedded server's late start, on whichever thread first needs it (the evacuator, usually).
 * Its stop handler is registered now, after at_exit, so it would run first: quiesce is registered
 * once more, to run before it. A failure ends the process (far_embedded_start_late). */
static void start_embedded(void) {
  far_embedded_start_late(config.servers, sizeof config.servers);
  atexit(quiesce);
  connect_servers(&config);
}

far_net *far_server(void) {
  far_net *net = __atomic_load_n(&far_rt.net, __ATOMIC_ACQUIRE);
  if (__builtin_expect(net != NULL, 1)) return net;
  pthread_once(&server_once, start_embedded);
  return far_rt.net;
}

static void init_once(void) {
  far_config_load(&config);
  far_rt.budget = config.local_mem;
  far_rt.evac_threads = config.evac_threads;
  far_rt.stats_mode = config.stats;
  if (config.servers[0]) connect_servers(&config); /* FAR_SERVER: connect now, report errors early */
  far_safety_net_install();
  far_table_init();
  far_heap_init();
  far_live_init();
  far_group_init(config.group);
  far_cache_init(config.local_mem);
  far_evac_start(config.evac_threads);
  atexit(at_exit);
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
