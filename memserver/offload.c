/* The offload registry: loads the modules named on the command line (and farmem's own vector
 * module, installed next to farmemd), calls each one's farmemd_offload_register, and keeps the
 * functions they declare by name. It is filled once at startup, before any worker runs, and only
 * read afterwards, so lookups need no lock. */
#define _GNU_SOURCE
#include "offload.h"
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FUNCTIONS 256

struct entry {
  char name[FAR_WIRE_MAX_NAME + 1];
  far_offload_fn fn;
  const char *module;
};

static struct entry table[MAX_FUNCTIONS];
static unsigned nfunctions;
static const char *loading; /* the module whose register function is running */

unsigned offload_count(void) { return nfunctions; }

far_offload_fn offload_find(const char *name, size_t name_len) {
  for (unsigned i = 0; i < nfunctions; i++)
    if (strlen(table[i].name) == name_len && memcmp(table[i].name, name, name_len) == 0)
      return table[i].fn;
  return NULL;
}

/* api->add: only while a module registers. */
int offload_add(const struct farmemd_offload_api *api, const char *name, far_offload_fn fn) {
  size_t len = name ? strlen(name) : 0;
  if (!loading) {
    log_msg(LOG_ERROR, "offload: add('%s') called outside farmemd_offload_register", name ? name : "");
    return -1;
  }
  if (len == 0 || len > FAR_WIRE_MAX_NAME || !fn) {
    fprintf(stderr, "farmemd: --offload: %s: function name must be 1..%u bytes with a function\n",
            loading, FAR_WIRE_MAX_NAME);
    return -1;
  }
  if (offload_find(name, len)) {
    fprintf(stderr, "farmemd: --offload: %s: function '%s' is already registered\n", loading, name);
    return -1;
  }
  if (nfunctions == MAX_FUNCTIONS) {
    fprintf(stderr, "farmemd: --offload: %s: more than %d functions\n", loading, MAX_FUNCTIONS);
    return -1;
  }
  memcpy(table[nfunctions].name, name, len + 1);
  table[nfunctions].fn = fn;
  table[nfunctions].module = loading;
  nfunctions++;
  return 0;
}

/* dlopen, look up the entry point, run it. Returns -1 to continue, or 2 after one error line. */
static int load_module(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "farmemd: --offload: cannot load '%s': %s\n", path, dlerror());
    return 2;
  }
  int (*reg)(const struct farmemd_offload_api *) =
      (int (*)(const struct farmemd_offload_api *))dlsym(h, FARMEMD_OFFLOAD_ENTRY);
  if (!reg) {
    fprintf(stderr, "farmemd: --offload: '%s' has no entry point %s (see far/offload.h)\n", path,
            FARMEMD_OFFLOAD_ENTRY);
    dlclose(h);
    return 2;
  }
  unsigned before = nfunctions;
  loading = path;
  int rc = reg(&offload_host_api);
  loading = NULL;
  if (rc != 0) {
    fprintf(stderr, "farmemd: --offload: '%s': %s failed (returned %d; interface version %d)\n", path,
            FARMEMD_OFFLOAD_ENTRY, rc, FARMEMD_OFFLOAD_ABI);
    return 2;
  }
  log_msg(LOG_INFO, "offload: %s: %u functions", path, nfunctions - before);
  return -1; /* the module stays loaded for the server's lifetime */
}

/* farmem's own module: <dir of farmemd>/FARMEMD_MODULE_REL, where the build tree and an installed
 * prefix both put it. Returns 0 with the path, or -1 when it is not there. */
static int default_module(char *path, size_t len) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return -1;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash)
    return -1;
  *slash = '\0';
  int w = snprintf(path, len, "%s/%s", exe, FARMEMD_MODULE_REL);
  return w > 0 && (size_t)w < len && access(path, R_OK) == 0 ? 0 : -1;
}

/* The command line's modules first, so a bad one is reported before anything else is logged. */
int offload_load(const config *cfg) {
  static char bundled[PATH_MAX];
  for (unsigned i = 0; i < cfg->noffload; i++) {
    int rc = load_module(cfg->offload[i]);
    if (rc >= 0)
      return rc;
  }
  if (!cfg->default_offload)
    return -1;
  if (default_module(bundled, sizeof bundled) != 0) {
    log_msg(LOG_INFO, "offload: farmem's vector module (%s) not found beside farmemd", FARMEMD_MODULE_REL);
    return -1;
  }
  return load_module(bundled);
}
