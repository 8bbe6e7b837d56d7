/* Finds the plugin, the headers and the runtime relative to farcc's own location, so the same
 * binary works from the build tree (build/bin/farcc, build/lib, build/include) and after
 * `cmake --install` (<prefix>/bin/farcc, <prefix>/<libdir>, <prefix>/include). FARCC_PLUGIN,
 * FARCC_INCLUDE and FARCC_LIBDIR override each location. */
#include "farcc.h"
#include "farcc_config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exists(const char *path) { return access(path, R_OK) == 0; }

/* The installation prefix: the parent of the directory farcc runs from. */
static int own_prefix(char *out, size_t len) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  for (int level = 0; level < 2; level++) {
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
  }
  snprintf(out, len, "%s", exe);
  return 0;
}

/* First of prefix/<candidate>/<file> that exists, written (directory only) to out. */
static int pick_dir(const char *prefix, const char *const *candidates, const char *file, char *out,
                    size_t len) {
  for (; *candidates; candidates++) {
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/%s/%s", prefix, *candidates, file);
    if (exists(probe)) {
      snprintf(out, len, "%s/%s", prefix, *candidates);
      return 0;
    }
  }
  return -1;
}

static int from_env(const char *var, char *out, size_t len) {
  const char *value = getenv(var);
  if (!value || !*value) return -1;
  snprintf(out, len, "%s", value);
  return 0;
}

int farcc_find_paths(struct farcc_paths *paths) {
  static const char *const libdirs[] = {"lib", FARCC_INSTALL_LIBDIR, NULL};
  static const char *const incdirs[] = {"include", NULL};
  char prefix[PATH_MAX], libdir[4096];
  if (own_prefix(prefix, sizeof prefix) != 0) {
    fprintf(stderr, "farcc: cannot find its own location through /proc/self/exe\n");
    return -1;
  }
  if (from_env("FARCC_LIBDIR", paths->libdir, sizeof paths->libdir) != 0 &&
      pick_dir(prefix, libdirs, "farpass.so", paths->libdir, sizeof paths->libdir) != 0) {
    fprintf(stderr, "farcc: farpass.so not found under %s/{lib,%s} (set FARCC_LIBDIR)\n", prefix,
            FARCC_INSTALL_LIBDIR);
    return -1;
  }
  snprintf(libdir, sizeof libdir, "%s", paths->libdir);
  if (from_env("FARCC_PLUGIN", paths->plugin, sizeof paths->plugin) != 0)
    snprintf(paths->plugin, sizeof paths->plugin, "%s/farpass.so", libdir);
  if (from_env("FARCC_INCLUDE", paths->include, sizeof paths->include) != 0 &&
      pick_dir(prefix, incdirs, "far/farcc.h", paths->include, sizeof paths->include) != 0) {
    fprintf(stderr, "farcc: far/farcc.h not found under %s/include (set FARCC_INCLUDE)\n", prefix);
    return -1;
  }
  return 0;
}
