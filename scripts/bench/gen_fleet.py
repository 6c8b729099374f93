#!/usr/bin/env python3
"""Generates N small repositories for fleet benchmarks (deterministic for a seed).

usage: gen_fleet.py OUT_DIR N [SEED]
Each repository gets a CODEOWNERS, a few source files, three of the planted credential
files of gen_tree.py, one or two workflows referencing secrets from a shared pool and
third-party actions (some pinned, some not); one repository in fifty also holds one of
five tokens shared across repositories.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_tree  # noqa: E402

SECRET_NAMES = ["NPM_TOKEN", "DOCKERHUB_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "SLACK_WEBHOOK", "SONAR_TOKEN", "DEPLOY_KEY", "PYPI_TOKEN", "CODECOV_TOKEN",
                "GH_PAT", "SENTRY_AUTH_TOKEN", "DATADOG_API_KEY"]
ACTIONS = ["acme-tools/setup-thing@v2", "docker/login-action@v3",
           "codecov/codecov-action@v4", "aws-actions/configure-aws-credentials@v4",
           "slackapi/slack-github-action@v1.27.0",
           "docker/build-push-action@4f58ea79222b3b9dc2c8bbdd6debcef730109a75"]


def workflow(r):
    steps = ["      - uses: actions/checkout@v4\n"]
    for a in r.sample(ACTIONS, 2):
        steps.append("      - uses: %s\n" % a)
    for s in r.sample(SECRET_NAMES, 3):
        steps.append("      - run: ./ci.sh\n        env:\n          %s: ${{ secrets.%s }}\n" % (s, s))
    return ("on:\n  push:\n  pull_request:\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
            "    steps:\n" + "".join(steps))


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    r = random.Random(seed)
    shared = [gen_tree.github_pat(r) for _ in range(5)]
    for i in range(n):
        repo = os.path.join(out, "repo-%05d" % i)
        files = {".github/CODEOWNERS": "* @acme/team-%d\n" % (i % 17)}
        for k in range(3):
            files["src/mod%d.py" % k] = "def f%d():\n    return %d\n" % (k, r.randint(0, 99))
        for ext, text in r.sample(gen_tree.planted(r), 3):
            files["config/secret.%s" % ext] = files.get("config/secret.%s" % ext, "") + text
        for w in range(r.randint(1, 2)):
            files[".github/workflows/ci%d.yml" % w] = workflow(r)
        if i % 50 == 7:
            files["deploy/shared.env"] = "SHARED_TOKEN=%s\n" % shared[(i // 50) % 5]
        for rel, text in files.items():
            p = os.path.join(repo, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)


if __name__ == "__main__":
    main()
