#!/bin/sh
# farcc as CC of a make, a CMake and an autotools project: each builds, and its program prints
# what the same sources print when built with plain clang (using far/annotations.h). KIND install
# installs FARCC's build tree (cmake --install) into a temporary prefix and uses that farcc: one
# command mixing a .c, a .a, -l and -pthread, and a program larger than its budget, whose
# embedded farmemd must be found in the prefix.
# usage: run_projects.sh FARCC SOURCE_DIR KIND... (KIND: make, cmake, autotools or install;
# autotools exits 77, "skipped", when autoreconf is not installed)
set -eu
farcc=$1 src=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
include=$(dirname "$(dirname "$farcc")")/include
expected=$(cd "$src/make" && clang-14 -O2 -I"$include" -o "$work/native" main.c shapes.c && "$work/native")

# check NAME PROGRAM EXPECTED: the program's output at a 16 MiB budget is EXPECTED.
check() {
  got=$(FAR_LOCAL_MEM=16M "$2")
  [ "$got" = "$3" ] || { echo "$1 project: '$got' != '$3'"; exit 1; }
}

# quietly LOG COMMAND...: runs the command, its output to LOG, shown only when it fails.
quietly() {
  log=$1
  shift
  "$@" >>"$log" 2>&1 || { cat "$log"; exit 1; }
}

for kind in "$@"; do
  case $kind in
  make)
    cp -r "$src/make" "$work/make"
    make -s -C "$work/make" CC="$farcc"
    check make "$work/make/shapes_demo" "$expected" ;;
  cmake)
    quietly "$work/cmake.log" env CC="$farcc" cmake -S "$src/cmake" -B "$work/cmake"
    quietly "$work/cmake.log" cmake --build "$work/cmake"
    check CMake "$work/cmake/shapes_demo" "$expected" ;;
  autotools)
    command -v autoreconf >/dev/null || { echo "autoreconf not installed (./dev deps)"; exit 77; }
    mkdir "$work/at"
    cp -r "$src/make" "$src/autotools" "$work/at/"
    cd "$work/at/autotools"
    quietly "$work/at.log" autoreconf -i
    quietly "$work/at.log" ./configure CC="$farcc"
    grep -q 'dependency style of .*farcc\.\.\. gcc3' "$work/at.log" ||
      { cat "$work/at.log"; echo "configure did not take farcc's -M options"; exit 1; }
    quietly "$work/at.log" make
    [ -s .deps/gnu_check.Po ] || { echo "no dependency file from farcc -MD"; exit 1; }
    check autotools ./shapes_demo "$expected"
    check autotools ./gnu_check "Far Memory/Memory 2"
    cd - >/dev/null ;;
  install)
    quietly "$work/install.log" cmake --install "$(dirname "$(dirname "$farcc")")" --prefix "$work/prefix"
    installed=$work/prefix/bin/farcc
    mkdir "$work/inst" && cd "$work/inst"
    "$installed" -O2 -c "$src/make/shapes.c" -o shapes.o && ar rcs libshapes.a shapes.o
    "$installed" -O2 -pthread -o shapes_demo "$src/make/main.c" libshapes.a -lm
    check install ./shapes_demo "$expected"
    "$installed" -O2 -o big "$src/install/big.c"
    check install ./big "$(FAR_LOCAL_MEM=1G ./big)"
    cd - >/dev/null ;;
  *) echo "unknown project kind $kind"; exit 2 ;;
  esac
done
echo "projects ($*): ok ($expected)"
