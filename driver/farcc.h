/* farcc's internal interface: the three parts of the driver (where the toolchain lives, what the
 * command line asks for, and building the clang command) share these declarations. */
#ifndef FARCC_H
#define FARCC_H

#include <stddef.h>

/* Where the installed (or built) toolchain lives, found relative to farcc's own executable. */
struct farcc_paths {
  char plugin[4096];  /* farpass.so: the AST stage (-fplugin) and the IR stage (-fpass-plugin) */
  char include[4096]; /* directory holding far/farcc.h, far/rt.h, far/annotations.h */
  char libdir[4096];  /* directory holding libfarrt and libfarinterop */
};

/* What one command line asks clang to do. */
struct farcc_mode {
  int compiles;     /* some C source is compiled or preprocessed */
  int links;        /* the final step is a link */
  int preprocesses; /* -E, or -M / -MM without -MD / -MMD: no code generation */
  int shared;       /* -shared: linking a shared object */
  int static_link;  /* -static: the runtime's dependencies' own dependencies too */
  int info_only;    /* --version, -dumpversion, -print-*: clang answers, nothing is built */
  int verbose;      /* -v or -### */
  int foreign;      /* number of non-C sources (assembly, C++) among the inputs */
  const char *first_foreign;
  int c_sources;    /* number of C sources among the inputs (preprocessed ones included) */
  int preprocesses_c; /* some C source is not preprocessed yet: it needs the prelude */
  /* --emit-rewritten[=PATH]: NULL if absent, "" for <source>.far.ll in the current directory */
  const char *emit_rewritten;
  int debug_info;   /* some -g option is given */
};

/* farcc's own option (not passed to clang): --emit-rewritten or --emit-rewritten=PATH. */
int farcc_is_own_option(const char *arg);

int farcc_find_paths(struct farcc_paths *paths);
void farcc_classify(int argc, char **argv, struct farcc_mode *mode);
/* Builds the clang argv (NULL-terminated, heap-allocated) for argv[1..argc-1]. */
char **farcc_clang_argv(int argc, char **argv, const struct farcc_mode *mode,
                        const struct farcc_paths *paths);

#endif
