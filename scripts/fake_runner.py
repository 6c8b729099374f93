#!/usr/bin/env python3
"""Runs a composite action's steps the way a GitHub runner would, on this machine.

Usage: fake_runner.py ACTION_DIR WORKSPACE RESULT_JSON [--input NAME=VALUE ...]
       [--event push|pull_request|fork_pull_request] [--cache-hit-if PATH]
       [--server-url URL] [--base-sha SHA] [--runner-os OS] [--runner-arch ARCH]

Each `run:` step executes in `bash --noprofile --norc -eo pipefail` (the runner's
`shell: bash`) with the runner's variables (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE, GITHUB_ACTION_PATH, RUNNER_TEMP, ...), its
`env:` and `if:` expressions evaluated over the inputs, step outputs and a fake `github`
context. `uses:` steps are simulated: actions/cache (and cache/restore) reports a hit when
the file given by --cache-hit-if exists, cache/save only logs, upload-sarif checks that its `sarif_file` exists and is SARIF.
--server-url sets GITHUB_SERVER_URL (where releases are downloaded from; default a closed
loopback port, so nothing leaves the machine); --base-sha the pull request's base commit;
--runner-os/--runner-arch the RUNNER_OS/RUNNER_ARCH the steps see (default Linux, X64).
Writes what happened (steps run or skipped, outcomes, the action's outputs) to RESULT_JSON.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|"
    r"(?P<num>\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_*][A-Za-z0-9_\-]*)*))"
)


def lookup(ctx, path):
    cur = ctx
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
    return cur


def evaluate(expr, ctx, status_ok):
    """Evaluates a GitHub expression (the subset actions use: literals, contexts,
    ==, !=, &&, ||, !, parentheses, always(), success(), failure(), cancelled())."""
    py = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse expression at {expr[pos:]!r}")
        pos = m.end()
        if m.group("str") is not None:
            py.append(repr(m.group("str")[1:-1].replace("''", "'")))
        elif m.group("num") is not None:
            py.append(m.group("num"))
        elif m.group("op"):
            py.append({"&&": " and ", "||": " or ", "!": " not "}.get(m.group("op"), m.group("op")))
        else:
            name = m.group("ident")
            rest = expr[pos:].lstrip()
            if rest.startswith("()"):
                pos = expr.index("()", pos) + 2
                py.append(repr({"always": True, "success": status_ok, "failure": not status_ok,
                                "cancelled": False}[name]))
            elif name in ("true", "false"):
                py.append(name.capitalize())
            elif name == "null":
                py.append("None")
            else:
                py.append(repr(lookup(ctx, name)))
    return eval("".join(py), {"__builtins__": {}}, {})  # noqa: S307 - our own tokens only


def as_string(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def interpolate(text, ctx, status_ok=True):
    return EXPR.sub(lambda m: as_string(evaluate(m.group(1), ctx, status_ok)), str(text))


def truthy(v):
    return v not in (None, False, "", 0)


def read_kv(path):
    """Parses a GITHUB_OUTPUT/GITHUB_ENV file: `k=v` lines and `k<<EOF` blocks."""
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            j = i + 1
            val = []
            while j < len(lines) and lines[j] != delim:
                val.append(lines[j])
                j += 1
            out[key] = "\n".join(val)
            i = j + 1
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
            i += 1
        else:
            i += 1
    return out


def main():
    args = sys.argv[1:]
    action_dir, workspace, result_path = args[:3]
    inputs_given, event, cache_file = {}, "push", None
    server_url, base_sha = "http://127.0.0.1:9", ""
    runner_os, runner_arch = "Linux", "X64"
    rest = args[3:]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--input":
            k, v = value.split("=", 1)
            inputs_given[k] = v
        elif flag == "--event":
            event = value
        elif flag == "--cache-hit-if":
            cache_file = value
        elif flag == "--server-url":
            server_url = value
        elif flag == "--base-sha":
            base_sha = value
        elif flag == "--runner-os":
            runner_os = value
        elif flag == "--runner-arch":
            runner_arch = value
        else:
            raise SystemExit(f"unknown option {flag}")
    action = yaml.safe_load(open(os.path.join(action_dir, "action.yml"), encoding="utf-8"))
    assert action["runs"]["using"] == "composite", "not a composite action"

    inputs = {}
    for name, spec in (action.get("inputs") or {}).items():
        inputs[name] = inputs_given.get(name, as_string(spec.get("default", "")))
    unknown = set(inputs_given) - set(inputs)
    assert not unknown, f"unknown inputs {unknown}"

    repo = "owner/repo"
    pr_head = "someone/fork" if event == "fork_pull_request" else repo
    github = {
        "event_name": "pull_request" if event.endswith("pull_request") else event,
        "repository": repo,
        "action_repository": "",  # as for `uses: ./`
        "server_url": server_url,
        "token": "fake-token",
        "workspace": workspace,
        "action_path": os.path.abspath(action_dir),
        "event": {"pull_request": {"head": {"repo": {"full_name": pr_head}},
                                   "base": {"sha": base_sha}}}
        if event.endswith("pull_request") else {},
    }
    temp = tempfile.mkdtemp(prefix="runner-temp-")
    files = {k: os.path.join(temp, f"_{k.lower()}") for k in
             ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
    runner = {"os": runner_os, "arch": runner_arch, "temp": temp}
    for name in set(inputs) - set(inputs_given):  # defaults such as ${{ github.token }}
        inputs[name] = interpolate(inputs[name], {"github": github})
    steps = {}
    ctx = {"inputs": inputs, "github": github, "runner": runner, "steps": steps, "env": {}}
    base_env = dict(os.environ)
    base_env.update({
        "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": workspace,
        "GITHUB_ACTION_PATH": os.path.abspath(action_dir), "GITHUB_REPOSITORY": repo,
        "GITHUB_EVENT_NAME": github["event_name"], "RUNNER_TEMP": temp, "RUNNER_OS": runner_os,
        "RUNNER_ARCH": runner_arch, "GITHUB_SHA": "0" * 40, "GITHUB_REF": "refs/heads/main",
        "GITHUB_SERVER_URL": server_url,
    })
    extra_path, exported = [], {}
    record, job_ok = [], True

    for i, step in enumerate(action["runs"]["steps"]):
        sid = step.get("id", f"__{i}")
        name = step.get("name", sid)
        cond = step.get("if")
        if cond is not None:
            cond = str(cond)
            cond = EXPR.sub(lambda m: m.group(1), cond) if cond.strip().startswith("${{") else cond
            run_it = truthy(evaluate(cond, ctx, job_ok))
            # Without a status function GitHub reads `if:` as `success() && (...)`.
            if not re.search(r"\b(always|success|failure|cancelled)\(\)", cond):
                run_it = run_it and job_ok
        else:
            run_it = job_ok
        if not run_it:
            steps[sid] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            record.append({"name": name, "id": sid, "outcome": "skipped"})
            print(f"-- skip: {name}", flush=True)
            continue
        print(f"-- run:  {name}", flush=True)
        outputs = {}
        if "run" in step:
            script = step["run"]
            assert "${{" not in script, f"step {name!r} interpolates an expression into its script"
            env = dict(base_env)
            env.update(exported)
            env["PATH"] = os.pathsep.join(list(reversed(extra_path)) + [base_env["PATH"]])
            for k, v in (step.get("env") or {}).items():
                env[k] = interpolate(v, ctx, job_ok)
            for k, f in files.items():
                open(f, "w").close()
                env[k] = f
            shell = step.get("shell")
            assert shell == "bash", f"step {name!r}: composite run steps need `shell: bash`"
            script_file = os.path.join(temp, f"step-{i}.sh")
            with open(script_file, "w", encoding="utf-8") as fh:
                fh.write(script)
            cwd = step.get("working-directory")
            cwd = os.path.join(workspace, interpolate(cwd, ctx)) if cwd else workspace
            rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", script_file],
                                 cwd=cwd, env=env)
            outputs = read_kv(files["GITHUB_OUTPUT"])
            exported.update(read_kv(files["GITHUB_ENV"]))
            extra_path += [p for p in open(files["GITHUB_PATH"]).read().split("\n") if p]
            with open(files["GITHUB_STEP_SUMMARY"]) as fh:
                summary = fh.read()
            if summary:
                print(f"   step summary: {summary.strip()}")
            outcome = "success" if rc == 0 else "failure"
        else:
            uses = step["uses"]
            with_ = {k: interpolate(v, ctx, job_ok) for k, v in (step.get("with") or {}).items()}
            assert re.search(r"@[0-9a-f]{40}$", uses), f"{uses} is not pinned to a commit"
            if uses.startswith("actions/cache/save@"):
                print(f"   (simulated cache save of {with_['path']} as {with_['key']})")
                outcome = "success"
            elif uses.startswith(("actions/cache@", "actions/cache/restore@")):
                hit = bool(cache_file) and os.path.exists(os.path.expanduser(cache_file))
                outputs = {"cache-hit": "true" if hit else "false"}
                outcome = "success"
            elif uses.startswith("github/codeql-action/upload-sarif@"):
                sarif = os.path.join(workspace, with_["sarif_file"])
                doc = json.load(open(sarif, encoding="utf-8"))
                assert doc["version"] == "2.1.0", "not SARIF 2.1.0"
                print(f"   (simulated upload of {with_['sarif_file']}, category {with_.get('category')})")
                outcome = "success"
            else:
                raise SystemExit(f"fake runner cannot simulate {uses}")
            rc = 0
        conclusion = outcome
        if outcome == "failure" and truthy(step.get("continue-on-error")):
            conclusion = "success"
        steps[sid] = {"outputs": outputs, "outcome": outcome, "conclusion": conclusion}
        record.append({"name": name, "id": sid, "outcome": outcome, "exit": rc})
        if conclusion == "failure":
            job_ok = False

    action_outputs = {k: interpolate(v["value"], ctx) for k, v in (action.get("outputs") or {}).items()}
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump({"ok": job_ok, "steps": record, "outputs": action_outputs}, fh, indent=2)
    print(f"-- job {'succeeded' if job_ok else 'failed'}; outputs {action_outputs}")


if __name__ == "__main__":
    main()
