#!/bin/sh
# farcc as CC of a make project and of a CMake project: both build, and the programs print what
# the same sources print when built with plain clang (using far/annotations.h).
# usage: run_projects.sh FARCC SOURCE_DIR
set -eu
farcc=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
include=$(dirname "$(dirname "$farcc")")/include
expected=$(cd "$src/make" && clang-14 -O2 -I"$include" -o "$work/native" main.c shapes.c && "$work/native")

cp -r "$src/make" "$work/make"
make -s -C "$work/make" CC="$farcc"
got=$(FAR_LOCAL_MEM=16M "$work/make/shapes_demo")
[ "$got" = "$expected" ] || { echo "make project: '$got' != '$expected'"; exit 1; }

CC="$farcc" cmake -S "$src/cmake" -B "$work/cmake" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
got=$(FAR_LOCAL_MEM=16M "$work/cmake/shapes_demo")
[ "$got" = "$expected" ] || { echo "CMake project: '$got' != '$expected'"; exit 1; }
echo "projects: ok ($expected)"
