/* Private to the statistics: naming call-site ids. */
#ifndef FAR_STATS_SITES_H
#define FAR_STATS_SITES_H

/* "file.c:42" for a site id from the registered tables or the resolver, else NULL (also for 0). */
const char *far_stats_site_name(unsigned site);

#endif
