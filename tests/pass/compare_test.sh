#!/bin/sh
# A program built with farcc prints what its native build prints, under memory pressure
# (FAR_LOCAL_MEM=4M, the minimum; the programs have up to ~12 MiB of far data) and with all data
# local, at -O2 and -O0, for workloads (argv[1]) from one element to many 64 KiB objects. Used for
# the optimisations' own programs in run/ (loop versioning, reuse inside __scope).
# usage: compare_test.sh FARCC NATIVE_CC SOURCE [SIZES]  (SIZES: argv[1] values, default below)
set -u
farcc=$1 native_cc=$2 source=$3 sizes=${4:-"1 7 4097 300000"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
include=$(dirname "$(dirname "$farcc")")/include
"$native_cc" -O2 -I"$include" -o "$work/native" "$source" || fail "native build"
"$farcc" -O2 -o "$work/far" "$source" || fail "farcc -O2 build"
"$farcc" -O0 -o "$work/far0" "$source" || fail "farcc -O0 build"
for n in $sizes; do
  expected=$("$work/native" $n)
  for build in far far0; do
    for budget in 4M 1G; do
      got=$(FAR_LOCAL_MEM=$budget "$work/$build" $n) || fail "$build $n at $budget exited $?"
      [ "$got" = "$expected" ] || fail "$build $n at $budget: $got, native $expected"
    done
  done
done
echo "$(basename "$source"): ok"
