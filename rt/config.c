/* Configuration from the environment: every FAR_* variable is parsed and checked here, once, so a
 * mistake is reported at start-up as one line naming the variable instead of surfacing later as a
 * confusing failure. Exit status 2 means "bad configuration", as for farmemd's flags. */
#include "support.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <far/wire.h>

static void __attribute__((noreturn, format(printf, 3, 4)))
config_fail(const char *var, const char *value, const char *fmt, ...) {
  char why[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  fprintf(stderr, "farmem: %s=%s: %s\n", var, value, why);
  exit(2);
}

/* "64M", "2G", "512K", "1T", plain bytes; an optional "B" or "iB" after the unit; units are powers
 * of 1024. Returns 0 and sets *out, or -1. */
static int parse_size(const char *s, unsigned long long *out) {
  if (!isdigit((unsigned char)*s))
    return -1;
  errno = 0;
  char *end;
  unsigned long long n = strtoull(s, &end, 10);
  if (errno == ERANGE)
    return -1;
  static const char units[] = "KMGT";
  unsigned shift = 0;
  const char *unit = strchr(units, toupper((unsigned char)*end));
  if (*end && unit) {
    shift = 10 * (unsigned)(unit - units + 1);
    end++;
    if (*end == 'i')
      end++;
    if (*end == 'B' || *end == 'b')
      end++;
  } else if (*end == 'B' || *end == 'b') {
    end++;
  }
  if (*end || (shift && n > (~0ull >> shift)))
    return -1;
  *out = n << shift;
  return 0;
}

int far_config_parse_size(const char *s, unsigned long long *out) { return parse_size(s, out); }

static size_t load_local_mem(void) {
  const char *v = getenv("FAR_LOCAL_MEM");
  if (!v)
    return FAR_CONFIG_DEFAULT_LOCAL_MEM;
  unsigned long long n;
  if (parse_size(v, &n))
    config_fail("FAR_LOCAL_MEM", v, "not a size (use e.g. 64M or 2G)");
  if (n < FAR_CONFIG_MIN_LOCAL_MEM)
    config_fail("FAR_LOCAL_MEM", v, "below the minimum of %lluM", FAR_CONFIG_MIN_LOCAL_MEM >> 20);
  if (n > FAR_CONFIG_MAX_LOCAL_MEM)
    config_fail("FAR_LOCAL_MEM", v, "above the maximum of %lluG", FAR_CONFIG_MAX_LOCAL_MEM >> 30);
  return (size_t)n;
}

static unsigned load_evac_threads(void) {
  const char *v = getenv("FAR_EVAC_THREADS");
  if (!v)
    return FAR_CONFIG_DEFAULT_EVAC_THREADS;
  char *end;
  errno = 0;
  unsigned long n = isdigit((unsigned char)*v) ? strtoul(v, &end, 10) : 0;
  if (!isdigit((unsigned char)*v) || *end || errno || n < 1 || n > FAR_CONFIG_MAX_EVAC_THREADS)
    config_fail("FAR_EVAC_THREADS", v, "not a thread count (use 1 to %u)", FAR_CONFIG_MAX_EVAC_THREADS);
  return (unsigned)n;
}

/* One "host:port" entry of length len: host is a name or IPv4 address (letters, digits, '-', '.',
 * '_') or a bracketed IPv6 literal; port is 1..65535. Returns NULL or what is wrong with it. */
static const char *server_entry_error(const char *e, size_t len) {
  const char *colon = NULL;
  for (size_t i = 0; i < len; i++)
    if (e[i] == ':')
      colon = e + i;
  if (!colon)
    return "missing ':port'";
  size_t hostlen = (size_t)(colon - e);
  if (hostlen == 0)
    return "missing host before ':'";
  if (e[0] == '[') {
    if (hostlen < 3 || e[hostlen - 1] != ']')
      return "an IPv6 address must be written [addr]:port";
    for (size_t i = 1; i + 1 < hostlen; i++)
      if (!isxdigit((unsigned char)e[i]) && e[i] != ':' && e[i] != '.')
        return "bad character in IPv6 address";
  } else {
    for (size_t i = 0; i < hostlen; i++)
      if (!isalnum((unsigned char)e[i]) && !strchr("-._", e[i]))
        return "bad character in host name";
  }
  size_t portlen = len - hostlen - 1;
  if (portlen == 0 || portlen > 5)
    return "port must be 1 to 65535";
  unsigned port = 0;
  for (size_t i = 0; i < portlen; i++) {
    if (!isdigit((unsigned char)colon[1 + i]))
      return "port must be 1 to 65535";
    port = port * 10 + (unsigned)(colon[1 + i] - '0');
  }
  return port >= 1 && port <= 65535 ? NULL : "port must be 1 to 65535";
}

static void load_servers(char *out, size_t outlen) {
  const char *v = getenv("FAR_SERVER");
  out[0] = '\0';
  if (!v)
    return;
  if (!*v)
    config_fail("FAR_SERVER", v, "empty (unset it to use the embedded memory server)");
  if (strlen(v) >= outlen)
    config_fail("FAR_SERVER", v, "longer than %zu characters", outlen - 1);
  unsigned count = 0;
  for (const char *e = v;; count++) {
    size_t len = strcspn(e, ",");
    const char *why = len ? server_entry_error(e, len) : "empty entry";
    if (why)
      config_fail("FAR_SERVER", v, "entry %u: %s (use host:port[,host:port...])", count + 1, why);
    if (count + 1 > FAR_CONFIG_MAX_SERVERS)
      config_fail("FAR_SERVER", v, "more than %u servers", FAR_CONFIG_MAX_SERVERS);
    if (!e[len])
      break;
    e += len + 1;
  }
  memcpy(out, v, strlen(v) + 1);
}

int far_config_server(const char *servers, unsigned i, char *host, size_t hostlen, unsigned *port) {
  const char *e = servers;
  for (; i > 0 && *e; i--) {
    e += strcspn(e, ",");
    e += *e == ',';
  }
  if (!*e)
    return -1;
  size_t len = strcspn(e, ",");
  const char *colon = e + len;
  while (colon > e && *colon != ':')
    colon--;
  const char *h = e;
  size_t hl = (size_t)(colon - e);
  if (h[0] == '[') {
    h++;
    hl -= 2;
  }
  if (hl >= hostlen)
    return -1;
  memcpy(host, h, hl);
  host[hl] = '\0';
  *port = (unsigned)strtoul(colon + 1, NULL, 10);
  return 0;
}

/* The token is the file's contents without trailing newlines (as farmemd reads its --token-file);
 * it must not be empty. */
static char *load_token(void) {
  const char *path = getenv("FAR_TOKEN_FILE");
  if (!path)
    return NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    config_fail("FAR_TOKEN_FILE", path, "cannot open: %s", strerror(errno));
  /* Room for the longest token plus some trailing newlines; a file that fills it is too long. */
  size_t cap = FAR_WIRE_MAX_TOKEN + 64;
  char *tok = malloc(cap + 1);
  if (!tok)
    config_fail("FAR_TOKEN_FILE", path, "out of memory");
  size_t n = fread(tok, 1, cap, f);
  int err = ferror(f) ? errno : 0;
  fclose(f);
  if (err)
    config_fail("FAR_TOKEN_FILE", path, "cannot read: %s", strerror(err));
  if (n == cap)
    config_fail("FAR_TOKEN_FILE", path, "token longer than %u bytes", FAR_WIRE_MAX_TOKEN);
  while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
    n--;
  if (n > FAR_WIRE_MAX_TOKEN)
    config_fail("FAR_TOKEN_FILE", path, "token longer than %u bytes", FAR_WIRE_MAX_TOKEN);
  if (n == 0)
    config_fail("FAR_TOKEN_FILE", path, "the file is empty");
  if (memchr(tok, '\0', n))
    config_fail("FAR_TOKEN_FILE", path, "the token contains a NUL byte");
  tok[n] = '\0';
  return tok;
}

static int load_stats(void) {
  const char *v = getenv("FAR_STATS");
  if (!v || !*v || !strcmp(v, "0"))
    return FAR_STATS_OFF;
  if (!strcmp(v, "1") || !strcmp(v, "text"))
    return FAR_STATS_TEXT;
  if (!strcmp(v, "json"))
    return FAR_STATS_JSON;
  config_fail("FAR_STATS", v, "use 0, 1 (or text) or json");
}

/* Objects per small-object group: a power of two, 1 (no grouping) to 32. */
static unsigned load_group(void) {
  const char *v = getenv("FAR_GROUP");
  if (!v)
    return FAR_CONFIG_DEFAULT_GROUP;
  static const char *const valid[] = {"1", "2", "4", "8", "16", "32"};
  for (unsigned i = 0; i < sizeof valid / sizeof *valid; i++)
    if (!strcmp(v, valid[i]))
      return 1u << i;
  config_fail("FAR_GROUP", v, "objects per group: use 1 (off), 2, 4, 8, 16 or 32");
}

void far_config_load(struct far_config *c) {
  c->local_mem = load_local_mem();
  c->evac_threads = load_evac_threads();
  load_servers(c->servers, sizeof c->servers);
  c->token = load_token();
  c->stats = load_stats();
  c->group = load_group();
}
