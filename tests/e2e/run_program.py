#!/usr/bin/env python3
"""End-to-end check of one program: run its native build, then its farcc build with
FAR_LOCAL_MEM at a fraction of the native heap (the embedded farmemd holds the rest), and
require identical output and exit status, a peak RSS within the budget plus a fixed
overhead, and the runtime's own peak of local data and metadata (FAR_STATS) within the budget
plus a small slack. usage: run_program.py NATIVE FAR [--fraction 0.2] [--overhead-mib 12]
[--sanitized] (FAR is built with a sanitizer: its shadow memory counts in its RSS, and
LeakSanitizer cannot see the pointers a program keeps in far memory, so neither is checked)"""
import argparse, os, re, subprocess, sys, tempfile, time

MIN_BUDGET = 4 << 20  # the runtime's smallest FAR_LOCAL_MEM
# How far the runtime's peak may pass FAR_LOCAL_MEM: the evacuator starts before the budget is
# reached but races the program's threads (metadata grows with them); a scope held across many
# misses (a loop holding its scope too long) goes well past it.
PEAK_SLACK = 1.10


def run(cmd, env, timeout):
    """Runs cmd; returns (status, stdout, stderr, peak RSS in bytes of that process alone,
    read from its VmHWM while it runs: the embedded farmemd child is not counted). Output goes
    to files, not pipes, which a long report (a sanitizer's) would fill and block the program."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
    peak, deadline = 0, time.time() + timeout
    status_file = "/proc/%d/status" % proc.pid
    while proc.poll() is None:
        if time.time() > deadline:
            proc.kill()
            sys.exit("%s: timed out after %ds" % (cmd[0], timeout))
        try:
            with open(status_file) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
        except OSError:
            pass
        time.sleep(0.005)
    out.seek(0)
    err.seek(0)
    return proc.returncode, out.read(), err.read(), peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("native")
    parser.add_argument("far")
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--overhead-mib", type=int, default=12)
    parser.add_argument("--timeout", type=int, default=240)
    parser.add_argument("--sanitized", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("FAR_SERVER", None)
    n_status, n_out, n_err, n_peak = run([args.native], env, args.timeout)
    if n_status != 0:
        sys.exit("native build failed (%d): %s" % (n_status, n_err.decode()))
    budget = max(MIN_BUDGET, int(n_peak * args.fraction) // 4096 * 4096)
    env["FAR_LOCAL_MEM"] = str(budget)
    env["FAR_STATS"] = "1"
    if args.sanitized:
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    f_status, f_out, f_err, f_peak = run([args.far], env, args.timeout)
    name = os.path.basename(args.native).rsplit(".", 1)[0]
    limit = budget + (args.overhead_mib << 20)
    print("%s: native peak %.1f MiB, far peak %.1f MiB, budget %.1f MiB, limit %.1f MiB"
          % (name, n_peak / 2**20, f_peak / 2**20, budget / 2**20, limit / 2**20))
    sys.stdout.write(f_err.decode(errors="replace")[-3000:])
    if f_status != n_status:
        sys.exit("FAIL: exit status %d, native %d" % (f_status, n_status))
    if f_out != n_out:
        sys.exit("FAIL: output differs\n--- native\n%s--- far\n%s" % (n_out.decode(), f_out.decode()))
    if f_peak > limit and not args.sanitized:
        sys.exit("FAIL: peak RSS %.1f MiB above budget + overhead %.1f MiB" % (f_peak / 2**20, limit / 2**20))
    local_peak = re.search(rb"local_bytes_peak +(\d+)", f_err)
    if not local_peak:
        sys.exit("FAIL: no local_bytes_peak in the FAR_STATS report")
    if int(local_peak.group(1)) > budget * PEAK_SLACK:
        sys.exit("FAIL: local_bytes_peak %d above FAR_LOCAL_MEM %d x %.2f"
                 % (int(local_peak.group(1)), budget, PEAK_SLACK))
    print("ok")


if __name__ == "__main__":
    main()
