/* farmemd's command line: every flag accepts "--flag VALUE" and "--flag=VALUE"; a bad flag or value
 * prints one line naming the flag and exits 2. A non-loopback --listen without --token-file is
 * refused, because the protocol itself is not encrypted and anyone who can reach the port could
 * otherwise use the server. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "log.h"

#define DEFAULT_SPIN_US 100
#define DEFAULT_IDLE_TIMEOUT_MS 10000
#define DEFAULT_MAX_CONNS 1024
#define MAX_CONNS 1000000
#define MAX_THREADS 256

static const char usage[] =
    "usage: farmemd [flags]\n"
    "  --listen ADDR        numeric IPv4/IPv6 address to listen on (default 127.0.0.1)\n"
    "  --port N             TCP port, 0 for an ephemeral one (default 0); prints 'listening on ADDR:PORT'\n"
    "  --capacity SIZE      cap on stored objects, all clients together, e.g. 512M, 8G (default: half of RAM)\n"
    "  --prefault SIZE      touch this much object storage in the background after start, so that\n"
    "                       storing objects later takes no page faults (default 0; at most the capacity)\n"
    "  --token-file PATH    clients must present this file's content (trailing newline removed)\n"
    "  --threads N          worker threads (default: half the CPUs, at least 1)\n"
    "  --spin-us N          most microseconds a worker busy-polls after activity before blocking (default 100)\n"
    "  --idle-timeout SECS  drop peers stalled this long: partial frame, no hello, unread replies (default 10)\n"
    "  --max-conns N        most client connections at once; more are closed at once (default 1024)\n"
    "  --log-level LEVEL    error, warn, info or debug (default info)\n"
    "  --offload PATH       load an offload module (see far/offload.h); repeatable, at most 16\n"
    "  --default-offload yes|no  load farmem's own vector module found beside farmemd (default yes)\n"
    "  --help, --version\n";

static int bad(const char *flag, const char *what, const char *value) {
  fprintf(stderr, "farmemd: %s: %s, got '%s' (see --help)\n", flag, what, value);
  return 2;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out) {
  char *end;
  errno = 0;
  if (*s < '0' || *s > '9')
    return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max)
    return -1;
  *out = v;
  return 0;
}

/* "8G", "512M", "64K", "1T", "4096", optionally with a trailing "B" or "iB". */
static int parse_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (*s < '0' || *s > '9')
    return -1;
  unsigned long long v = strtoull(s, &end, 10);
  unsigned shift = 0;
  switch (*end) {
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  case 't': case 'T': shift = 40; end++; break;
  }
  if (shift && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0))
    end += strlen(end);
  else if (!shift && strcmp(end, "B") == 0)
    end++;
  if (errno || *end || v == 0 || v > (UINT64_MAX >> shift))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

/* Seconds with an optional fraction, e.g. "10" or "0.5". */
static int parse_seconds(const char *s, unsigned *ms) {
  char *end;
  errno = 0;
  if ((*s < '0' || *s > '9') && *s != '.')
    return -1;
  double v = strtod(s, &end);
  if (errno || *end || v < 0.001 || v > 86400)
    return -1;
  *ms = (unsigned)(v * 1000);
  return 0;
}

static int read_token(const char *flag, const char *path, config *cfg) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "farmemd: %s: cannot open '%s': %s\n", flag, path, strerror(errno));
    return 2;
  }
  size_t n = fread(cfg->token, 1, sizeof cfg->token, f);
  int more = fgetc(f) != EOF;
  fclose(f);
  while (n && (cfg->token[n - 1] == '\n' || cfg->token[n - 1] == '\r'))
    n--;
  if (more || n == 0) {
    fprintf(stderr, "farmemd: %s: '%s' must hold a token of 1..%u bytes\n", flag, path, FAR_WIRE_MAX_TOKEN);
    return 2;
  }
  cfg->token_len = n;
  return -1;
}

static int is_loopback(const char *addr) {
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, addr, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static void defaults(config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  strcpy(cfg->listen, "127.0.0.1");
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  cfg->threads = cpus >= 4 ? (unsigned)(cpus / 2) : 1;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  cfg->capacity = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 2 : 1ull << 30;
  cfg->spin_us = DEFAULT_SPIN_US;
  cfg->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
  cfg->max_conns = DEFAULT_MAX_CONNS;
  cfg->log_level = LOG_INFO;
  cfg->default_offload = 1;
}

static int known_flag(const char *flag) {
  static const char *const flags[] = {"--listen",  "--port",     "--capacity",     "--token-file",
                                      "--prefault",
                                      "--threads", "--spin-us",  "--idle-timeout", "--max-conns",
                                      "--log-level", "--offload", "--default-offload"};
  for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
    if (strcmp(flag, flags[i]) == 0)
      return 1;
  return 0;
}

/* Applies one flag with its value; -1 to continue, else an exit status. */
static int apply(const char *flag, const char *v, config *cfg) {
  unsigned long long n;
  struct in6_addr any;
  if (strcmp(flag, "--listen") == 0) {
    if (strlen(v) >= sizeof cfg->listen ||
        (inet_pton(AF_INET, v, &any) != 1 && inet_pton(AF_INET6, v, &any) != 1))
      return bad(flag, "expected a numeric IPv4 or IPv6 address", v);
    strcpy(cfg->listen, v);
  } else if (strcmp(flag, "--port") == 0) {
    if (parse_uint(v, 65535, &n) != 0)
      return bad(flag, "expected a port number 0..65535", v);
    cfg->port = (unsigned)n;
  } else if (strcmp(flag, "--capacity") == 0) {
    if (parse_size(v, &cfg->capacity) != 0)
      return bad(flag, "expected a size such as 512M or 8G", v);
  } else if (strcmp(flag, "--prefault") == 0) {
    if (strcmp(v, "0") != 0 && parse_size(v, &cfg->prefault) != 0)
      return bad(flag, "expected a size such as 512M or 8G", v);
  } else if (strcmp(flag, "--token-file") == 0) {
    return read_token(flag, v, cfg);
  } else if (strcmp(flag, "--threads") == 0) {
    if (parse_uint(v, MAX_THREADS, &n) != 0 || n == 0)
      return bad(flag, "expected a thread count 1..256", v);
    cfg->threads = (unsigned)n;
  } else if (strcmp(flag, "--spin-us") == 0) {
    if (parse_uint(v, 1000000, &n) != 0)
      return bad(flag, "expected microseconds 0..1000000", v);
    cfg->spin_us = (unsigned)n;
  } else if (strcmp(flag, "--idle-timeout") == 0) {
    if (parse_seconds(v, &cfg->idle_timeout_ms) != 0)
      return bad(flag, "expected seconds between 0.001 and 86400", v);
  } else if (strcmp(flag, "--max-conns") == 0) {
    if (parse_uint(v, MAX_CONNS, &n) != 0 || n == 0)
      return bad(flag, "expected a connection count 1..1000000", v);
    cfg->max_conns = (unsigned)n;
  } else if (strcmp(flag, "--offload") == 0) {
    if (cfg->noffload == sizeof cfg->offload / sizeof *cfg->offload || !*v)
      return bad(flag, "expected a module path (at most 16 modules)", v);
    cfg->offload[cfg->noffload++] = v;
  } else if (strcmp(flag, "--default-offload") == 0) {
    if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
      return bad(flag, "expected yes or no", v);
    cfg->default_offload = strcmp(v, "yes") == 0;
  } else { /* --log-level */
    if ((cfg->log_level = log_parse_level(v)) < 0)
      return bad(flag, "expected error, warn, info or debug", v);
  }
  return -1;
}

int flags_parse(int argc, char **argv, config *cfg) {
  defaults(cfg);
  for (int i = 1; i < argc; i++) {
    char flag[32];
    const char *arg = argv[i], *eq = strchr(arg, '=');
    if (strcmp(arg, "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (strcmp(arg, "--version") == 0) {
      printf("farmemd %s (wire protocol %u)\n", FARMEM_VERSION, FAR_WIRE_VERSION);
      return 0;
    }
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    snprintf(flag, sizeof flag, "%.*s", (int)len, arg);
    if (len >= sizeof flag || !known_flag(flag)) {
      fprintf(stderr, "farmemd: unknown flag '%s' (see --help)\n", arg);
      return 2;
    }
    const char *value = eq ? eq + 1 : argv[i + 1];
    if (!value) {
      fprintf(stderr, "farmemd: %s: missing value (see --help)\n", flag);
      return 2;
    }
    if (!eq)
      i++;
    int rc = apply(flag, value, cfg);
    if (rc >= 0)
      return rc;
  }
  if (!is_loopback(cfg->listen) && cfg->token_len == 0) {
    fprintf(stderr, "farmemd: --listen: refusing to listen on non-loopback address %s without "
                    "--token-file: anyone who can reach it could read and overwrite client memory\n",
            cfg->listen);
    return 2;
  }
  return -1;
}
