#!/usr/bin/env python3
# Runs probe_runtime (argv[1]) with FAR_STATS=json and a budget smaller than its 1 MiB array, and
# checks that stderr holds exactly one JSON object whose counters reflect the run.
import json
import os
import subprocess
import sys

env = dict(os.environ, FAR_STATS="json", FAR_LOCAL_MEM="4M", FARMEMD=sys.argv[2])
env.pop("FAR_SERVER", None)
run = subprocess.run([sys.argv[1]], env=env, capture_output=True, text=True, timeout=120)
assert run.returncode == 0, run.stderr
n = (1 << 17)
assert run.stdout == "sum %d\n" % (n * (n - 1) // 2), run.stdout
lines = [l for l in run.stderr.splitlines() if l.startswith("{")]
assert len(lines) == 1, run.stderr
d = json.loads(lines[0])
assert d["barrier_slow"] > 0, d
assert d["local_bytes_peak_data"] >= 1 << 20, d
assert d["local_bytes_peak_meta"] > 0, d
assert d["local_bytes_peak_data"] <= d["local_bytes_peak"] <= 4 << 20, d  # metadata counts in the budget
print("runtime stats json ok")
