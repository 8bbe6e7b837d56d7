#!/bin/sh
# Site names: a farcc-built program's FAR_STATS names the scope behind the longest evacuator wait
# "file.c:LINE" (from the table the plugin registers per module), with and without -g.
# usage: site_names_test.sh FARCC SOURCE
set -u
farcc=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/out.txt" 2>/dev/null; exit 1; }
cp "$source" "$work/site_names.c"
cd "$work"
"$farcc" -g -O1 -o with_g site_names.c || fail "build with -g"
FAR_LOCAL_MEM=16M ./with_g >out.txt || fail "run with -g"
grep -q '"evac_wait_site_name":"site_names.c:22"' out.txt || fail "__scope block not named"
grep -q '"evac_wait_site_name":"site_names.c:14"' out.txt || fail "barrier region not named"
# Without line tables a __scope block is still named after its line, a barrier after its function.
"$farcc" -O1 -o without_g site_names.c || fail "build without -g"
FAR_LOCAL_MEM=16M ./without_g >out.txt || fail "run without -g"
grep -q '"evac_wait_site_name":"site_names.c:22"' out.txt || fail "__scope block not named without -g"
grep -q '"evac_wait_site_name":"site_names.c:region_site"' out.txt || fail "barrier not named without -g"
echo "site names: ok"
