#!/usr/bin/env python3
# Parses the JSON summary printed by probe_stats (stdin) and checks every value it must hold.
import json
import sys

text = sys.stdin.read()
assert text.count("\n") == 1 and text.endswith("}\n"), "not one line: %r" % text
d = json.loads(text)
counters = ["barrier_fast_read", "barrier_fast_write", "barrier_slow", "miss", "bytes_fetched",
            "bytes_written_back", "evacuations", "objects_evacuated", "hot_dropped", "prefetch_issued", "prefetch_requests",
            "prefetch_used", "local_bytes_peak_data", "local_bytes_peak_meta", "local_bytes_peak",
            "mutator_blocks",
            "evac_wait_ns_max"]
for name in counters:
    assert isinstance(d[name], int), name
expected = {"miss": 4000, "bytes_written_back": 4 * 1000 * 64, "evacuations": 1,
            "local_bytes_peak_meta": 300, "evac_wait_ns_max": 123456, "evac_wait_site": 9,
            "evac_wait_site_name": 'dir "x"\\a.c:7\n', "barrier_slow": 0}
for name, value in expected.items():
    assert d[name] == value, "%s = %r, expected %r" % (name, d[name], value)
print("stats json ok")
