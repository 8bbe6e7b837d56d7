#!/bin/sh
# The safety net as a user meets it: a farcc program hands far memory to a function compiled by a
# plain compiler (which farcc cannot see into) and to write(2). farcc warns about the system
# function at compile time (file:line:col); at run time the plain function's far access is
# reported with a backtrace naming it, and the program exits with status 1.
# usage: safety_net.sh FARCC
set -u
farcc=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$work"
cat > plain.c <<'C'
long sum_plain(const long *v, int n) {
  long s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s;
}
C
cat > app.c <<'C'
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
struct __remoteable vec { long v[64]; };
long sum_plain(const long *v, int n);
int main(void) {
  struct vec *x = malloc(sizeof *x);
  for (int i = 0; i < 64; i++) x->v[i] = i;
  if (write(-1, x->v, 8) >= 0) return 2;
  printf("%ld\n", sum_plain(x->v, 64));
  return 0;
}
C
clang-14 -O1 -g -c plain.c -o plain.o || fail "plain compile"
"$farcc" -O1 -g -o app app.c plain.o 2>warn.txt || { cat warn.txt; fail "farcc build"; }
grep -q "app.c:10:17: warning: pointer that may point to far memory passed to external function 'write'" warn.txt ||
  { cat warn.txt; fail "no compile-time warning for write"; }
./app >out.txt 2>err.txt
status=$?
[ $status -eq 1 ] || { cat err.txt; fail "exit status $status, expected 1"; }
grep -q '^farmem: far pointer dereferenced without a barrier: address 0xfa' err.txt || { cat err.txt; fail "no report"; }
grep -q 'in sum_plain+0x' err.txt || { cat err.txt; fail "the backtrace does not name sum_plain"; }
grep -q 'in main+0x' err.txt || { cat err.txt; fail "the backtrace does not name main"; }
echo "safety net: ok"
