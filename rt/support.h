/* The runtime's support layer, as seen by the runtime core: configuration from the environment,
 * the embedded memory server, the fatal-error and safety-net reporting, and (through
 * <far/stats.h>) the statistics. Internal to rt/; not installed. */
#ifndef FAR_SUPPORT_H
#define FAR_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* ---- Configuration (config.c) ---- */

#define FAR_CONFIG_DEFAULT_LOCAL_MEM (256ull << 20) /* FAR_LOCAL_MEM unset */
#define FAR_CONFIG_MIN_LOCAL_MEM (4ull << 20)
#define FAR_CONFIG_MAX_LOCAL_MEM (1ull << 40)
#define FAR_CONFIG_DEFAULT_EVAC_THREADS 1u
#define FAR_CONFIG_MAX_EVAC_THREADS 64u
#define FAR_CONFIG_MAX_SERVERS 16u
#define FAR_CONFIG_DEFAULT_GROUP 32u /* FAR_GROUP unset: objects per small-object group */

enum far_stats_mode { FAR_STATS_OFF = 0, FAR_STATS_TEXT = 1, FAR_STATS_JSON = 2 };

struct far_config {
  size_t local_mem;      /* FAR_LOCAL_MEM in bytes */
  unsigned evac_threads; /* FAR_EVAC_THREADS */
  char servers[1024];    /* FAR_SERVER, validated "host:port[,host:port...]"; "" when unset */
  char *token;           /* contents of FAR_TOKEN_FILE without trailing newline (malloc'd); NULL when unset */
  int stats;             /* FAR_STATS: enum far_stats_mode */
  unsigned group;        /* FAR_GROUP: small objects per far object (1: no grouping) */
};

/* Reads and validates every FAR_* variable. A bad value prints one line naming the variable and
 * the value to stderr ("farmem: FAR_LOCAL_MEM=12XB: not a size (use e.g. 64M or 2G)") and exit(2)s. */
void far_config_load(struct far_config *c);

/* Parses a size as FAR_LOCAL_MEM takes it ("64M", "2G", "512K", "1T", plain bytes; optional "B" or
 * "iB"; powers of 1024). Returns 0 and sets *out, or -1. (Also used by the paging baseline.) */
int far_config_parse_size(const char *s, unsigned long long *out);

/* Splits a validated servers string: copies the i-th "host:port" entry's host into host (size
 * hostlen, brackets of an IPv6 literal removed) and sets *port. Returns 0, or -1 when there is no
 * i-th entry. */
int far_config_server(const char *servers, unsigned i, char *host, size_t hostlen, unsigned *port);

/* ---- Embedded memory server (embedded.c, embedded_find.c, embedded_spawn.c) ---- */

/* For FAR_SERVER unset: starts farmemd on 127.0.0.1 with an ephemeral port and writes
 * "127.0.0.1:PORT" into servers (len bytes). farmemd is found via $FARMEMD, else next to the running
 * library or executable (<dir>/../bin/farmemd, <dir>/farmemd), else $PATH. It is stopped at exit
 * (SIGTERM, then SIGKILL after 2 s) and killed if the process dies. A warden process starts it, so
 * it is not the program's child: wait()/waitpid(-1) never see it and no SIGCHLD comes from it. It
 * runs with --log-level warn; FAR_TOKEN_FILE, when set, is passed on as --token-file.
 * Failure: "farmem: cannot start the embedded memory server: ..." and exit(2). Call at most once. */
void far_embedded_start(char *servers, size_t len);
/* The same, started by the runtime when it first needs the server, on any thread: a failure prints
 * the same line, stops farmemd if it runs and ends the process at once (_exit(2)), since exit()'s
 * handlers could wait for the very thread that is starting it. */
void far_embedded_start_late(char *servers, size_t len);
/* The embedded server's pid, or 0 when none is running (diagnostics and tests). */
pid_t far_embedded_pid(void);

/* ---- Fatal errors and the safety net (report.c, safety_net.c) ---- */

/* SIGSEGV/SIGBUS handler on an alternate stack: a fault on a far address prints
 * "farmem: far pointer dereferenced without a barrier: address 0x..." and a backtrace, then
 * _exit(1); any other fault gets the previous handler (or the default action) as if we were not there. */
void far_safety_net_install(void);

/* "farmem: <message>" and a backtrace to stderr, then _exit(1). */
void far_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
