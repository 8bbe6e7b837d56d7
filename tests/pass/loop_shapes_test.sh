#!/bin/sh
# Versioned and strip-mined loops compute what the native build computes, under memory pressure
# (FAR_LOCAL_MEM=4M, the minimum, for up to 9 MiB of far data) and with all data local, at -O2
# and -O0 (no loop work), for workloads from one element to many 64 KiB objects.
# usage: loop_shapes_test.sh FARCC NATIVE_CC SOURCE
set -u
farcc=$1 native_cc=$2 source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
include=$(dirname "$(dirname "$farcc")")/include
"$native_cc" -O2 -I"$include" -o "$work/native" "$source" || fail "native build"
"$farcc" -O2 -o "$work/far" "$source" || fail "farcc -O2 build"
"$farcc" -O0 -o "$work/far0" "$source" || fail "farcc -O0 build"
for n in 1 7 4097 300000; do
  expected=$("$work/native" $n)
  for build in far far0; do
    for budget in 4M 1G; do
      got=$(FAR_LOCAL_MEM=$budget "$work/$build" $n) || fail "$build $n at $budget exited $?"
      [ "$got" = "$expected" ] || fail "$build $n at $budget: $got, native $expected"
    done
  done
done
echo "loop shapes: ok"
