/* Classifies a cc command line: which inputs are C sources, whether clang will compile,
 * preprocess only, or link, so farcc adds the plugin and the prelude only when C is compiled and
 * the runtime only when linking. Everything else passes through to clang unchanged. */
#include "farcc.h"

#include <string.h>

/* Options whose value is the next argument, so that argument is not an input file. */
static const char *const separate_value_options[] = {
    "-o", "-I", "-L", "-D", "-U", "-include", "-imacros", "-isystem", "-idirafter", "-iquote",
    "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isysroot", "-x", "-MF", "-MT", "-MQ",
    "-Xlinker", "-Xclang", "-Xassembler", "-Xpreprocessor", "-l", "-u", "-T", "-z", "-target",
    "-arch", "--sysroot", "-aux-info", "-main-file-name", "-dependency-file", "-B", "-e", NULL};

static int takes_separate_value(const char *arg) {
  for (const char *const *o = separate_value_options; *o; o++)
    if (strcmp(arg, *o) == 0) return 1;
  return 0;
}

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* INPUT_PREPROCESSED: C that is compiled but not preprocessed again (a .i, -x cpp-output). */
enum input_kind { INPUT_C, INPUT_PREPROCESSED, INPUT_FOREIGN, INPUT_LINK };

/* The kind of an input, from an active `-x LANG` or else from its name. */
static enum input_kind input_kind(const char *name, const char *language) {
  if (language && strcmp(language, "none") != 0) {
    if (strcmp(language, "cpp-output") == 0) return INPUT_PREPROCESSED;
    return strcmp(language, "c") == 0 || strcmp(language, "c-header") == 0 ? INPUT_C
                                                                           : INPUT_FOREIGN;
  }
  if (has_suffix(name, ".c") || has_suffix(name, ".h")) return INPUT_C;
  if (has_suffix(name, ".i")) return INPUT_PREPROCESSED;
  static const char *const foreign[] = {".s", ".S", ".sx", ".cc", ".cpp", ".cxx", ".C",
                                        ".c++", ".m", ".ii", NULL};
  for (const char *const *f = foreign; *f; f++)
    if (has_suffix(name, *f)) return INPUT_FOREIGN;
  return INPUT_LINK;
}

static void note_input(struct farcc_mode *mode, const char *arg, const char *language,
                       int *inputs, int *c_sources) {
  (*inputs)++;
  switch (input_kind(arg, language)) {
  case INPUT_C:
    (*c_sources)++;
    mode->preprocesses_c = 1;
    break;
  case INPUT_PREPROCESSED: (*c_sources)++; break;
  case INPUT_FOREIGN:
    if (!mode->foreign++) mode->first_foreign = arg;
    break;
  case INPUT_LINK: break;
  }
}

static const char emit_rewritten[] = "--emit-rewritten";

int farcc_is_own_option(const char *arg) {
  size_t n = sizeof emit_rewritten - 1;
  return strncmp(arg, emit_rewritten, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

void farcc_classify(int argc, char **argv, struct farcc_mode *mode) {
  int no_link = 0, dep_only = 0, dep_with_compile = 0, inputs = 0, c_sources = 0;
  const char *language = NULL;
  memset(mode, 0, sizeof *mode);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-") == 0 || a[0] != '-') {
      note_input(mode, a, language, &inputs, &c_sources);
    } else if (strcmp(a, "-x") == 0 && i + 1 < argc) {
      language = argv[++i];
    } else if (strncmp(a, "-x", 2) == 0) {
      language = a + 2;
    } else if (takes_separate_value(a)) {
      i++;
    } else if (!strcmp(a, "-c") || !strcmp(a, "-S") || !strcmp(a, "-fsyntax-only")) {
      no_link = 1;
    } else if (!strcmp(a, "-E")) {
      no_link = mode->preprocesses = 1;
    } else if (!strcmp(a, "-M") || !strcmp(a, "-MM")) {
      dep_only = 1;
    } else if (!strcmp(a, "-MD") || !strcmp(a, "-MMD")) {
      dep_with_compile = 1;
    } else if (!strcmp(a, "-shared")) {
      mode->shared = 1;
    } else if (!strcmp(a, "-static")) {
      mode->static_link = 1;
    } else if (!strcmp(a, "-v") || !strcmp(a, "-###")) {
      mode->verbose = 1;
    } else if (farcc_is_own_option(a)) {
      mode->emit_rewritten = a[sizeof emit_rewritten - 1] ? a + sizeof emit_rewritten : "";
    } else if (!strncmp(a, "-g", 2)) {
      mode->debug_info = 1;
    }
  }
  if (dep_only && !dep_with_compile) no_link = mode->preprocesses = 1;
  mode->info_only = inputs == 0;
  mode->compiles = c_sources > 0;
  mode->c_sources = c_sources;
  mode->links = inputs > 0 && !no_link;
}
