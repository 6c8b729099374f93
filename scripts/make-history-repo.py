#!/usr/bin/env python3
"""Builds a git repository with a long, realistic history for timing `scan --git`.

Usage: make-history-repo.py DIR [--commits N] [--files N] [--secrets N] [--seed S]
                            [--source SRC] [--merges]

Writes DIR as a new repository through `git fast-import` (seconds for thousands of
commits): N commits over a few hundred source, config and doc files, each commit
editing 1-4 files (adding and removing lines), with --secrets fake GitHub PATs (valid
checksum, generated here, never committed to tokenward) and AWS key pairs planted in
random commits; about half are deleted again a few commits later, so only a history
scan finds them. Prints the planted secrets' (commit index, path) to stdout as JSON.

--source SRC replays real text: the files are source files found under SRC (for example
Python's standard library or ~/.cargo/registry/src), and each edit inserts runs of lines
taken from other real files. --merges makes about a third of the commits on short topic
branches, each merged back with a merge commit, as pull-request histories look.
"""

import argparse
import json
import os
import random
import subprocess
import zlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
WORDS = ("config user request handler value result index buffer client server token "
         "session account payment order invoice report cache queue worker retry timeout "
         "deploy build release service region bucket table record field schema").split()


def github_pat(rng):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    n = zlib.crc32(body.encode())
    digits = ""
    for _ in range(6):
        digits = BASE62[n % 62] + digits
        n //= 62
    return f"ghp_{body}{digits}"


def aws_pair(rng):
    key_id = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = "".join(rng.choice(ALNUM + "/+") for _ in range(40))
    return key_id, secret


def code_line(rng, ext):
    a, b, c = rng.sample(WORDS, 3)
    n = rng.randint(0, 9999)
    if ext == "py":
        return rng.choice([f"    {a}_{b} = compute_{c}({a}, {n})",
                           f"def {a}_{b}({c}):", f"    return {a}.{b}({c}, limit={n})",
                           f"    # {a} {b} {c}: keep {n} entries", f"import {a}_{b}"])
    if ext == "js":
        return rng.choice([f"  const {a}{b.title()} = await {c}.fetch({n});",
                           f"export function {a}{b.title()}({c}) {{", f"  return {a}.{b}({c});",
                           "}", f"  // {a} {b} {c} ({n})"])
    if ext == "yml":
        return rng.choice([f"{a}_{b}: {n}", f"  {c}: {a}-{b}", f"  - name: {a} {b}",
                           f"    {a}: ${{{{ secrets.{c.upper()} }}}}"])
    return rng.choice([f"The {a} {b} keeps {n} {c} records.", f"## {a.title()} {b}",
                       f"- `{a}_{b}`: the {c} to use", ""])


def real_files(src, count, rng):
    """Up to `count` text files (1 KB - 64 KB) under `src`, by path relative to it."""
    found = []
    for root, dirs, names in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for n in sorted(names):
            if n.rsplit(".", 1)[-1] in ("py", "rs", "md", "toml", "txt", "c", "h", "js", "yml"):
                found.append(os.path.join(root, n))
    rng.shuffle(found)
    files = {}
    for f in found:
        if len(files) >= count:
            break
        try:
            if not 1024 <= os.path.getsize(f) <= 65536:
                continue
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            continue
        if "\0" in text:
            continue
        files[os.path.relpath(f, src).replace(os.sep, "/")] = text.split("\n")
    if not files:
        raise SystemExit(f"{src}: no text files of 1-64 KB found")
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--secrets", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--source", help="folder of real text files to replay")
    ap.add_argument("--merges", action="store_true", help="topic branches and merge commits")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    exts = ["py", "js", "yml", "md"]
    dirs = ["src", "src/api", "src/jobs", "lib", "config", "deploy", "docs", "web/app"]
    pool = []  # lines of real files, for edits
    if args.source:
        files = real_files(args.source, args.files, rng)
        paths = sorted(files)
        for lines in files.values():
            pool.extend(lines)
    else:
        paths = sorted({f"{rng.choice(dirs)}/{rng.choice(WORDS)}_{i}.{rng.choice(exts)}"
                        for i in range(args.files)})
        files = {p: [code_line(rng, p.rsplit(".", 1)[1]) for _ in range(rng.randint(20, 200))]
                 for p in paths}

    def new_lines(ext):
        n = rng.randint(1, 25)
        if pool:
            at = rng.randrange(len(pool))
            return pool[at:at + n]
        return [code_line(rng, ext) for _ in range(n)]
    plant_at = {rng.randrange(1, args.commits): k for k in range(args.secrets)}
    removals = {}
    planted = []

    subprocess.run(["git", "init", "-q", "-b", "main", args.dir], check=True)
    fi = subprocess.Popen(["git", "-C", args.dir, "fast-import", "--quiet"],
                          stdin=subprocess.PIPE)
    out = fi.stdin

    def data(text):
        raw = text.encode()
        out.write(f"data {len(raw)}\n".encode() + raw + b"\n")

    t0 = 1_600_000_000
    main_mark = None   # the tip of main
    topic = None       # [mark of the topic tip, files it changed, commits left]
    mark = 0
    for c in range(args.commits):
        changed = set()
        if c == 0:
            changed = set(paths)
        elif topic is not None and topic[2] == 0:
            # Merge the topic back: main's tree plus the files the topic changed.
            changed = topic[1]
        else:
            for p in rng.sample(paths, rng.randint(1, 4)):
                lines = files[p]
                ext = p.rsplit(".", 1)[1]
                at = rng.randint(0, len(lines))
                for _ in range(rng.randint(0, min(5, len(lines) // 4))):
                    if lines:
                        del lines[rng.randrange(len(lines))]
                lines[at:at] = new_lines(ext)
                changed.add(p)
        if c in plant_at:
            p = rng.choice(paths)
            if rng.random() < 0.5:
                secret = f'GITHUB_TOKEN = "{github_pat(rng)}"'
            else:
                kid, sec = aws_pair(rng)
                secret = f"aws_access_key_id = {kid}\naws_secret_access_key = {sec}"
            at = rng.randint(0, len(files[p]))
            for i, line in enumerate(secret.split("\n")):
                files[p].insert(at + i, line)
            changed.add(p)
            planted.append({"commit": c, "path": p, "kind": secret.split(" ")[0]})
            if rng.random() < 0.5:
                removals.setdefault(c + rng.randint(1, 50), []).append((p, secret.split("\n")))
        for p, lines in removals.pop(c, []):
            files[p] = [line for line in files[p] if line not in lines]
            changed.add(p)
        who = rng.choice(["Ada <ada@example.com>", "Bo <bo@example.com>", "Cy <cy@example.com>"])
        mark += 1
        merging = topic is not None and topic[2] == 0
        on_topic = topic is not None and not merging
        if on_topic:
            out.write(b"commit refs/heads/topic\n")
        else:
            out.write(b"commit refs/heads/main\n")
        out.write(f"mark :{mark}\n".encode())
        out.write(f"author {who} {t0 + c * 3600} +0000\n".encode())
        out.write(f"committer {who} {t0 + c * 3600} +0000\n".encode())
        data(f"change {c}\n")
        if on_topic:
            out.write(f"from :{topic[0]}\n".encode())
        elif main_mark is not None:
            out.write(f"from :{main_mark}\n".encode())
        if merging:
            out.write(f"merge :{topic[0]}\n".encode())
        for p in sorted(changed):
            out.write(f"M 100644 inline {p}\n".encode())
            data("\n".join(files[p]) + "\n")
        out.write(b"\n")
        if on_topic:
            topic = [mark, topic[1] | changed, topic[2] - 1]
        else:
            main_mark = mark
            topic = None
            if args.merges and c > 0 and rng.random() < 0.2:
                # The next 1-3 commits go to a topic branch off main, then a merge.
                topic = [main_mark, set(), rng.randint(1, 3)]
    if topic is not None:
        out.write(b"reset refs/heads/topic\n\n")
    out.close()
    if fi.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", args.dir, "reset", "-q", "--hard"], check=True)
    print(json.dumps(planted, indent=1))


if __name__ == "__main__":
    main()
