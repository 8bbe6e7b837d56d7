#!/bin/sh
# farcc as a cc: --version, -E, -M, -S, -c with several inputs, clang's errors and exit status
# passed through, -v showing the real command, the plugin's own error without the prelude.
# usage: driver_test.sh FARCC SNIPPET_DIR
set -u
farcc=$1 snippets=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$work"
printf '#include <far/annotations.h>\nstruct __remoteable n { int v; };\nint f(struct n *p) { return p->v; }\n' > one.c
printf 'int g(void) { return 2; }\n' > two.c
printf 'int broken(void) { return nosuch; }\n' > bad.c

"$farcc" --version | grep -q '^farcc .*clang' || fail "--version"
"$farcc" -E one.c | grep -q 'annotate("far_remoteable")' || fail "-E does not expand __remoteable"
"$farcc" -M one.c | grep -q 'far/farcc.h' || fail "-M does not list the prelude"
"$farcc" -MM -MF deps.d one.c && [ -s deps.d ] || fail "-MM -MF"
"$farcc" -S -O1 one.c -o one.s && grep -q 'far_read_slow' one.s || fail "-S has no barrier"
"$farcc" -c one.c two.c && [ -f one.o ] && [ -f two.o ] || fail "-c with two inputs"
"$farcc" -c -MD -o three.o two.c && [ -f three.o ] && [ -f three.d ] || fail "-c -MD -o"
"$farcc" -v -c two.c -o v.o 2>&1 | grep -q 'farcc: .*clang-14 .*-fplugin=.*farpass.so .*-fpass-plugin=' ||
  fail "-v does not show the real command"
"$farcc" -c bad.c -o bad.o 2>err.txt; rc=$?
[ $rc -ne 0 ] || fail "a compile error exits 0"
grep -q "bad.c:1:27: error: use of undeclared identifier 'nosuch'" err.txt || fail "clang's error not passed through"
"$farcc" -c one.c x.S 2>err.txt && fail "mixing C and assembly accepted"
grep -q 'cannot mix C and non-C sources' err.txt || fail "no message for mixed sources"
# The prelude reads no libc header, so the program's own feature-test macros still work (glibc
# fixes them at its first header), and <pthread.h> (a parameter named __scope) still parses.
printf 'int main(void) { return 0; }\n' > empty.c
"$farcc" -E empty.c | grep -q '/usr/include' && fail "the prelude includes libc headers"
cat > gnu.c <<'EOF'
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <far/annotations.h>
int main(void) {
  char *s;
  cpu_set_t c;
  pthread_attr_t attr;
  CPU_ZERO(&c);
  pthread_attr_init(&attr);
  int n = asprintf(&s, "%s", strcasestr("aBc", "b"));
  __scope { n += pthread_attr_setscope(&attr, PTHREAD_SCOPE_SYSTEM); }
  return n != 2;
}
EOF
"$farcc" -Werror=implicit-function-declaration -o gnu gnu.c && ./gnu || fail "#define _GNU_SOURCE in the source is lost"
printf '#define _POSIX_C_SOURCE 200809L\n#include <string.h>\nint main(void) { return strdup("x")[0] != 120; }\n' > posix.c
"$farcc" -std=c99 -Werror=implicit-function-declaration -o posix posix.c && ./posix || fail "#define _POSIX_C_SOURCE with -std=c99 is lost"
# -w silences the plugin's own warnings too (clang's -w does not reach custom diagnostics).
"$farcc" -w -c "$snippets/diag_external.c" -o /dev/null 2>err.txt || fail "-w diag_external.c"
[ -s err.txt ] && fail "-w: $(cat err.txt)"
printf '#include <stdint.h>\nstruct __remoteable n { int v; };\nuintptr_t k(struct n *p) { return (uintptr_t)p >> 4; }\n' > key.c
"$farcc" -w -c key.c -o /dev/null 2>err.txt && [ ! -s err.txt ] || fail "-w: $(cat err.txt)"
# -static links the runtime's dependencies' own (libunwind.a needs liblzma) and runs.
"$farcc" -static -O1 -o static_gnu gnu.c 2>/dev/null && ./static_gnu || fail "-static"
# The prelude is C89 too (old Makefiles say -ansi): __inline__, no // comments.
"$farcc" -std=c89 -pedantic-errors -Wall -Werror -c one.c -o c89.o || fail "-std=c89 -pedantic-errors"
# Preprocessed sources (farcc -E, then compiling the .i, as -save-temps and ccache do) are
# instrumented, as .i or as -x cpp-output, without the prelude's flags a second time.
"$farcc" -E one.c -o one.i || fail "-E -o one.i"
"$farcc" -O1 -c one.i -o i.o 2>err.txt && nm i.o | grep -q far_read || fail ".i not instrumented"
[ -s err.txt ] && fail "compiling a .i: $(cat err.txt)"
"$farcc" -O1 -x cpp-output -c one.i -o cpp.o && nm cpp.o | grep -q far_read || fail "-x cpp-output not instrumented"
# --emit-rewritten: the instrumented IR, headed by source lines, runtime calls marked; the object
# is still built. =PATH takes one source; preprocessing alone is refused.
"$farcc" --emit-rewritten -O1 -c one.c -o one.o && [ -f one.o ] || fail "--emit-rewritten -c"
grep -q '; one.c:3: int f(struct n \*p) { return p->v; }' one.c.far.ll || fail "--emit-rewritten: no source line"
grep -q 'call i8\* @far_read(.*; farmem: barrier' one.c.far.ll || fail "--emit-rewritten: no marked barrier"
"$farcc" --emit-rewritten=r.ll -O1 -c one.c && grep -q 'farmem: barrier' r.ll || fail "--emit-rewritten=PATH"
"$farcc" --emit-rewritten=r.ll -c one.c two.c 2>err.txt && fail "--emit-rewritten=PATH with two sources"
grep -q 'farcc: error: --emit-rewritten =PATH takes one C source' err.txt || fail "no message for two sources"
"$farcc" --emit-rewritten -E one.c >/dev/null 2>err.txt && fail "--emit-rewritten with -E accepted"
# The plugin without farcc's prelude explains itself.
plugin=$(dirname "$(dirname "$farcc")")/lib/farpass.so
clang-14 -fplugin="$plugin" -c two.c -o /dev/null 2>err.txt && fail "plugin without prelude accepted"
grep -q 'two.c:1:5: error: far/farcc.h was not included; compile with farcc' err.txt || fail "no prelude message"
# Plain compilers build annotated sources through far/annotations.h.
include=$(dirname "$(dirname "$farcc")")/include
clang-14 -I"$include" -c one.c -o plain.o || fail "annotated source does not build with plain clang"
echo "driver: ok"
