/* Locating farmemd for the embedded memory server, so that a program built with farcc runs without
 * any setup both from the build tree (build/lib/libfarrt.so next to build/bin/farmemd, or a test
 * binary in build/bin) and from an installed prefix (lib/ next to bin/). */
#define _GNU_SOURCE
#include "embedded.h"
#include "support.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int executable(const char *path) { return access(path, X_OK) == 0; }

/* Tries <dir of file>/../bin/farmemd and <dir of file>/farmemd. */
static int find_beside(const char *file, char *path, size_t len) {
  char real[PATH_MAX];
  if (!file || !realpath(file, real))
    return -1;
  char *slash = strrchr(real, '/');
  if (!slash)
    return -1;
  *slash = '\0';
  static const char *const relative[] = {"../bin/farmemd", "farmemd"};
  for (size_t i = 0; i < sizeof relative / sizeof *relative; i++) {
    int n = snprintf(path, len, "%s/%s", real, relative[i]);
    if (n > 0 && (size_t)n < len && executable(path))
      return 0;
  }
  return -1;
}

static int find_in_path(char *path, size_t len) {
  const char *dirs = getenv("PATH");
  while (dirs && *dirs) {
    size_t n = strcspn(dirs, ":");
    int w = snprintf(path, len, "%.*s/farmemd", (int)n, n ? dirs : ".");
    if (w > 0 && (size_t)w < len && executable(path))
      return 0;
    dirs += n + (dirs[n] == ':');
  }
  return -1;
}

int far_embedded_find(char *path, size_t len, char *why, size_t whylen) {
  const char *env = getenv("FARMEMD");
  if (env) {
    if (executable(env) && strlen(env) < len) {
      memcpy(path, env, strlen(env) + 1);
      return 0;
    }
    snprintf(why, whylen, "FARMEMD=%s is not an executable file", env);
    return -1;
  }
  Dl_info info;
  if (dladdr((void *)far_embedded_find, &info) && find_beside(info.dli_fname, path, len) == 0)
    return 0;
  if (find_beside("/proc/self/exe", path, len) == 0 || find_in_path(path, len) == 0)
    return 0;
  snprintf(why, whylen, "farmemd not found next to the runtime nor in PATH "
                        "(set FARMEMD=/path/to/farmemd, or FAR_SERVER=host:port for a running server)");
  return -1;
}
