/* Test probe: counts known amounts from several threads, names the evacuator-wait site with a
 * string that needs JSON escaping, and prints the FAR_STATS summary in the format argv[1] names
 * ("json" or "text") for check_stats_json.py to parse. */
#include <far/stats.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

static void *count(void *arg) {
  for (int i = 0; i < 1000; i++) {
    FAR_STAT_INC(miss);
    FAR_STAT_ADD(bytes_written_back, 64);
  }
  FAR_STAT_MAX(local_bytes_peak_meta, (uintptr_t)arg);
  return NULL;
}

static const char *site_name(unsigned site) { return site == 9 ? "dir \"x\"\\a.c:7\n" : NULL; }

int main(int argc, char **argv) {
  pthread_t t[4];
  for (uintptr_t i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, count, (void *)(i * 100));
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  FAR_STAT_INC(evacuations);
  far_stats_site_names(site_name);
  far_stats_set_evac_wait_site(9, 123456);
  far_stats_print(stdout, argc > 1 && !strcmp(argv[1], "json"));
  return 0;
}
