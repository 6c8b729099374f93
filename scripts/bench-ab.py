#!/usr/bin/env python3
"""Times two tokenward binaries on the same scan, in alternating rounds within one run,
and prints each one's median and min-max wall time and CPU time (user + system, child
processes included), and the ratio of the medians. Not a test: a measurement, for
before/after figures on a shared, noisy machine (the CPU time is the steadier one).

Usage: scripts/bench-ab.py BASE NEW [--rounds N] -- SCAN-ARGS...
  e.g. scripts/bench-ab.py /tmp/tw-old target/release/tokenward --rounds 5 -- \\
           scan /dev/shm/tree -j2 --fail-on never
Both binaries' stdout and stderr are discarded.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def one(binary, args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def summary(values):
    return f"{statistics.median(values):7.3f}  ({min(values):.3f}-{max(values):.3f})"


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("new")
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args(argv[:split])
    args = argv[split + 1:]
    for b in (a.base, a.new):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench-ab: not an executable: {b}")
    times = {a.base: [], a.new: []}
    one(a.base, args)  # warm the page cache
    for _ in range(a.rounds):
        for b in (a.base, a.new):
            times[b].append(one(b, args))
    print(f"scan: {' '.join(args)}; {a.rounds} alternating rounds")
    print(f"{'':10} {'wall median (min-max), s':>28} {'CPU median (min-max), s':>28}")
    for name, b in (("base", a.base), ("new", a.new)):
        walls = [w for w, _ in times[b]]
        cpus = [c for _, c in times[b]]
        print(f"{name:10} {summary(walls):>28} {summary(cpus):>28}   {b}")
    ratio = lambda i: statistics.median(x[i] for x in times[a.new]) / statistics.median(
        x[i] for x in times[a.base])
    print(f"new / base: wall {ratio(0):.3f}, CPU {ratio(1):.3f}")


if __name__ == "__main__":
    main()
