/* Builds the real clang command: the prelude and the plugin for C compilation, the runtime and
 * its dependencies for linking, the user's arguments untouched in between. */
#include "farcc.h"
#include "farcc_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct argv_builder {
  char **argv;
  int count, capacity;
};

static void push(struct argv_builder *b, const char *arg) {
  if (b->count + 2 > b->capacity) {
    b->capacity = b->capacity ? 2 * b->capacity : 64;
    b->argv = realloc(b->argv, (size_t)b->capacity * sizeof *b->argv);
    if (!b->argv) {
      perror("farcc");
      exit(1);
    }
  }
  b->argv[b->count++] = strdup(arg);
  b->argv[b->count] = NULL;
}

static void pushf(struct argv_builder *b, const char *fmt, const char *value) {
  char buf[8192];
  snprintf(buf, sizeof buf, fmt, value);
  push(b, buf);
}

/* Space-separated words of a configured list, each pushed as one argument. */
static void push_words(struct argv_builder *b, const char *words) {
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", words);
  for (char *w = strtok(copy, " "); w; w = strtok(NULL, " ")) push(b, w);
}

/* A preprocessed source (.i) already holds the prelude, if farcc made it. */
static void push_compile_flags(struct argv_builder *b, const struct farcc_mode *mode,
                               const struct farcc_paths *paths) {
  if (mode->preprocesses_c) {
    pushf(b, "-isystem%s/far/shield", paths->include); /* <pthread.h> without the __scope macro */
    pushf(b, "-isystem%s", paths->include);
    push(b, "-includefar/farcc.h"); /* found through -isystem: a system header */
  }
  if (mode->preprocesses) return;
  pushf(b, "-fplugin=%s", paths->plugin);
  pushf(b, "-fpass-plugin=%s", paths->plugin);
  if (!mode->emit_rewritten) return;
  push(b, "-mllvm");
  if (*mode->emit_rewritten) pushf(b, "-farpass-rewritten-file=%s", mode->emit_rewritten);
  else push(b, "-farpass-emit-rewritten");
  if (!mode->debug_info) push(b, "-gline-tables-only"); /* for the source-line annotations */
}

static void push_link_flags(struct argv_builder *b, const struct farcc_mode *mode,
                            const struct farcc_paths *paths) {
  pushf(b, "-L%s", paths->libdir);
  pushf(b, "-Wl,-rpath,%s", paths->libdir);
  push(b, "-lfarinterop");
  push(b, "-lfarrt");
  push_words(b, mode->static_link ? FARCC_STATIC_LINK_DEPS : FARCC_LINK_DEPS);
  push(b, "-pthread");
}

static const char *clang_program(void) {
  const char *env = getenv("FARCC_CLANG");
  return env && *env ? env : FARCC_CLANG;
}

char **farcc_clang_argv(int argc, char **argv, const struct farcc_mode *mode,
                        const struct farcc_paths *paths) {
  struct argv_builder b = {0};
  push(&b, clang_program());
  if (mode->compiles) push_compile_flags(&b, mode, paths);
  for (int i = 1; i < argc; i++)
    if (!farcc_is_own_option(argv[i])) push(&b, argv[i]);
  /* Fortified libc entry points (__memcpy_chk & co.) would bypass the libc interop. */
  if (mode->preprocesses_c) push(&b, "-U_FORTIFY_SOURCE");
  if (mode->links) push_link_flags(&b, mode, paths);
  return b.argv;
}
