/* farcc: a drop-in replacement for cc that compiles C with the farmem plugin and links the
 * farmem runtime. It execs clang-14 with the extra arguments, so clang's diagnostics and exit
 * status reach the caller unchanged. */
#include "farcc.h"
#include "farcc_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void print_command(char **argv) {
  fprintf(stderr, "farcc:");
  for (; *argv; argv++) fprintf(stderr, " %s", *argv);
  fputc('\n', stderr);
}

static int wants_version(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--version") == 0) return 1;
  return 0;
}

/* --emit-rewritten needs C sources that are compiled, and one file name serves one source. */
static int emit_rewritten_usable(const struct farcc_mode *mode) {
  const char *problem = NULL;
  if (!mode->compiles || mode->preprocesses)
    problem = "needs a C source that is compiled (not only preprocessed)";
  else if (*mode->emit_rewritten && mode->c_sources > 1)
    problem = "=PATH takes one C source; without =PATH each source gets its own <source>.far.ll";
  if (problem) fprintf(stderr, "farcc: error: --emit-rewritten %s\n", problem);
  return problem == NULL;
}

int main(int argc, char **argv) {
  struct farcc_mode mode;
  struct farcc_paths paths;
  memset(&paths, 0, sizeof paths);
  farcc_classify(argc, argv, &mode);
  if (wants_version(argc, argv))
    printf("farcc %s (farmem) driving %s\n", FARCC_VERSION, FARCC_CLANG);
  if (mode.compiles && mode.foreign) {
    fprintf(stderr,
            "farcc: error: %s: cannot mix C and non-C sources in one command; compile it "
            "separately (non-C sources are not instrumented)\n",
            mode.first_foreign);
    return 1;
  }
  if (mode.emit_rewritten && !emit_rewritten_usable(&mode)) return 1;
  if (!mode.info_only && farcc_find_paths(&paths) != 0) return 1;
  char **clang_argv = farcc_clang_argv(argc, argv, &mode, &paths);
  if (mode.verbose) print_command(clang_argv);
  fflush(stdout);
  execvp(clang_argv[0], clang_argv);
  fprintf(stderr, "farcc: cannot run %s: %s\n", clang_argv[0], strerror(errno));
  return 127;
}
