/* Site names end to end: the plugin's per-module table maps the site ids it gave a `__scope` block
 * and a barrier's region scope to "site_names.c:LINE", and FAR_STATS prints those names. The
 * program reads the site its scope published (far_self.slot->site) and reports it as the scope
 * behind the longest evacuator wait, then prints the JSON summary. Lines matter: see
 * site_names_test.sh. */
#include <far/annotations.h>
#include <far/rt.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable cell { long value; };

static __attribute__((noinline)) unsigned region_site(struct cell *c) { /* kept out of main */
  long v = c->value; /* line 14: a region barrier opens a scope with this site */
  return far_self.slot->site + (unsigned)(v & 0);
}

int main(void) {
  struct cell *c = malloc(sizeof *c);
  c->value = 7;
  unsigned scope_site = 0;
  __scope { /* line 22 */
    scope_site = far_self.slot->site;
  }
  far_stats_set_evac_wait_site(scope_site, 1000);
  far_stats_print(stdout, 1);
  far_stats_set_evac_wait_site(region_site(c), 2000);
  far_stats_print(stdout, 1);
  free(c);
  return 0;
}
