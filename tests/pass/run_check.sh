#!/bin/sh
# Compile test runner: compiles SNIPPET with farcc using the flags of its "// FARCC:" line and
# checks the chosen output ("// OUTPUT: stdout|stderr", default stdout) with FileCheck against the
# snippet's own CHECK lines. "// STATUS: fail" expects the compilation to fail.
# usage: run_check.sh FARCC FILECHECK SNIPPET
set -u
farcc=$1 filecheck=$2 snippet=$3
flags=$(sed -n 's|^// FARCC: ||p' "$snippet")
output=$(sed -n 's|^// OUTPUT: ||p' "$snippet")
status=$(sed -n 's|^// STATUS: ||p' "$snippet")
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
cd "$(dirname "$snippet")"
# shellcheck disable=SC2086
"$farcc" $flags "$(basename "$snippet")" >"$out" 2>"$err"
rc=$?
if [ "${status:-ok}" = fail ] && [ $rc -eq 0 ]; then echo "expected the compilation to fail"; cat "$err"; exit 1; fi
if [ "${status:-ok}" != fail ] && [ $rc -ne 0 ]; then echo "compilation failed ($rc)"; cat "$err"; exit 1; fi
if [ "${output:-stdout}" = stderr ]; then checked=$err; else checked=$out; fi
"$filecheck" --dump-input=fail "$snippet" <"$checked"
