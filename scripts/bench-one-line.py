#!/usr/bin/env python3
"""Linearity benchmark for hostile single-line inputs. Not a test: a measurement.

Times `tokenward scan` (CPU seconds, best of --rounds) on one line holding N and 10*N
copies of a token, N and 10*N repetitions of a rule keyword ("quay"), and an N- and
10*N-byte line for a backtracking-prone imported regex; prints each 10x ratio and exits 1
when one exceeds --max-ratio (default 12, the issue's bound).

    scripts/bench-one-line.py [--n 5000] [--rounds 3] [--max-ratio 12] [--binary PATH]

The default binary is target/release/tokenward (built when missing).
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A GitHub classic PAT shape with a valid checksum (a published test value of the rules'
# examples, not a live token).
TOKEN = "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"  # tokenward:allow[github-pat-classic] benchmark input


def cpu_seconds(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(cmd, rounds):
    return min(cpu_seconds(cmd) for _ in range(rounds))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-ratio", type=float, default=12.0)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/tokenward"))
    a = ap.parse_args()
    if not os.path.exists(a.binary):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    failed = False
    with tempfile.TemporaryDirectory() as d:
        gl = os.path.join(d, "gl.toml")
        with open(gl, "w") as f:
            f.write("[[rules]]\nid = \"evil\"\nregex = '''((a|aa)+c)'''\nkeywords = [\"a\"]\n")
        cases = [
            ("findings on one line", lambda n: (TOKEN + " ") * n, []),
            ("keyword repeated", lambda n: "quay" * (n * 20), []),
            ("backtracking regex", lambda n: ("a" * 200 + "c") * (n // 5),
             ["--gitleaks-config", gl]),
        ]
        for name, make, extra in cases:
            times = []
            for n in (a.n, a.n * 10):
                path = os.path.join(d, "line.txt")
                with open(path, "w") as f:
                    f.write(make(n) + "\n")
                size = os.path.getsize(path)
                cmd = [a.binary, "scan", path, "--no-config", "-j", "1", "-f", "json", "-o",
                       os.devnull] + extra
                t = best(cmd, a.rounds)
                times.append(t)
                print(f"{name}: N={n} ({size} bytes): {t:.3f} s CPU")
            ratio = times[1] / max(times[0], 1e-3)
            ok = ratio <= a.max_ratio
            failed |= not ok
            print(f"{name}: 10x N costs {ratio:.1f}x {'ok' if ok else 'TOO SLOW'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
