/* Test probe: loads the configuration from the environment and prints what it understood, one
 * field per line, so test_config can check parsing and the exit status of bad values. */
#include "support.h"

#include <stdio.h>

int main(void) {
  struct far_config c;
  far_config_load(&c);
  printf("local_mem=%zu\nevac_threads=%u\nservers=%s\ntoken=%s\nstats=%d\n", c.local_mem,
         c.evac_threads, c.servers, c.token ? c.token : "(none)", c.stats);
  char host[256];
  unsigned port;
  for (unsigned i = 0; far_config_server(c.servers, i, host, sizeof host, &port) == 0; i++)
    printf("server %u: %s port %u\n", i, host, port);
  return 0;
}
