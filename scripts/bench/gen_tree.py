#!/usr/bin/env python3
"""Generate a deterministic, realistic source tree for the tokenward benchmark.

    python3 scripts/bench/gen_tree.py OUT_DIR [--size MB] [--seed N]

Python 3 standard library only. The same --size and --seed always give the same bytes.
The tree looks like a monorepo of many projects: source in several languages, tests,
configs (YAML, JSON, TOML, INI, .env examples), GitHub workflows, lock files
(package-lock.json, yarn.lock, Cargo.lock, poetry.lock, go.sum), minified JS bundles with
very long lines, vendored third-party code, docs, a few large files (SQL dump, log, JSON
fixture, CSV; all under tokenward's default 10 MB limit so every tool reads the same
bytes) and a few binary files. A handful of secrets are planted; their list is written
next to the tree (OUT_DIR.manifest.json), never inside it.

File sizes follow a log-normal law around a few KB, as in real repositories (the issue's
reference corpus: 1.67 GB in 198,624 files, 8.4 KB a file on average).
"""

import argparse
import base64
import hashlib
import json
import os
import random
import string
import zlib

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

WORDS = (
    "user account config data value request response handler client server session cache "
    "index buffer item list map entry node tree graph edge path file dir name id key count "
    "size len offset limit page query filter sort order result error status code message "
    "event stream reader writer parser lexer token scope context state store action "
    "payload header body params options settings env runtime worker job task queue pool "
    "thread lock mutex channel socket conn connection retry timeout deadline backoff "
    "metric span trace log logger level debug info warn check update create delete fetch "
    "load save parse render format encode decode hash digest sign verify login logout "
    "permission role group policy access admin owner member "
    "project branch commit build release deploy version schema table column row "
    "record batch chunk block frame packet route endpoint url host port address proxy "
    "image asset style theme layout widget button form input field label modal dialog"
).split()

HOSTS = (
    "github.com example.com api.example.com docs.python.org developer.mozilla.org "
    "registry.npmjs.org pypi.org crates.io golang.org pkg.go.dev www.w3.org "
    "schemas.microsoft.com maven.apache.org repo1.maven.org json-schema.org "
    "www.apache.org/licenses/LICENSE-2.0 opensource.org stackoverflow.com "
    "kubernetes.io docs.docker.com cdn.jsdelivr.net unpkg.com fonts.googleapis.com"
).split()


def ident(r, n=2):
    w = [r.choice(WORDS) for _ in range(n)]
    return w[0] + "".join(x.capitalize() for x in w[1:])


def snake(r, n=2):
    return "_".join(r.choice(WORDS) for _ in range(n))


def url(r):
    return "https://%s/%s/%s" % (r.choice(HOSTS), r.choice(WORDS), snake(r))


def rand_str(r, n, alphabet=ALNUM):
    return "".join(r.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------------------------------
# Line pools: each file is composed of lines drawn from a per-language pool built once, so
# that generating hundreds of MB stays fast in pure Python. Pools include the lines that
# make secret scanners work in real code: URLs, `password`/`token`/`secret`/`api_key`
# names bound to variables, env look-ups and placeholders, hashes and base64 blobs.


def pool_python(r):
    out = []
    for _ in range(6000):
        a, b, c = ident(r), snake(r), snake(r, 3)
        out.append(r.choice([
            "def %s(self, %s, %s=None):\n" % (c, b, snake(r)),
            "    %s = self.%s.get(%r, %d)\n" % (b, snake(r), snake(r), r.randint(0, 999)),
            "    if not %s:\n        raise ValueError(\"%s is required\")\n" % (b, b),
            "    return %s(%s, timeout=%d)\n" % (c, b, r.randint(1, 60)),
            "import %s\n" % r.choice(["os", "sys", "json", "logging", "re", "typing", "asyncio"]),
            "from .%s import %s\n" % (snake(r), a[0].upper() + a[1:]),
            "    # %s the %s before %s (see %s)\n" % (r.choice(WORDS), b, r.choice(WORDS), url(r)),
            "    password = os.environ.get(\"%s_PASSWORD\")\n" % b.upper(),
            "    token = self._get_token(%s)\n" % b,
            "    api_key = settings.%s_API_KEY\n" % b.upper(),
            "    secret = request.form.get(\"secret\")\n",
            "    headers = {\"Authorization\": f\"Bearer {self.token}\"}\n",
            "    logger.debug(\"%s %%s\", %s)\n" % (snake(r, 4), b),
            "class %s(%s):\n    \"\"\"%s.\"\"\"\n" % (a[0].upper() + a[1:], r.choice(["object", "Base", "Exception"]), snake(r, 6).replace("_", " ")),
            "        self.%s = %s\n" % (b, c),
            "    for %s in %s:\n        %s.append(%s)\n" % (b, c, snake(r), b),
            "    assert %s == %r\n" % (b, snake(r)),
            "\n",
        ]))
    return out


def pool_js(r):
    out = []
    for _ in range(6000):
        a, b = ident(r), ident(r, 3)
        out.append(r.choice([
            "export function %s(%s, %s) {\n" % (b, a, ident(r)),
            "  const %s = await fetch(`%s/${%s}`);\n" % (a, url(r), ident(r)),
            "  if (!%s) throw new Error('%s');\n" % (a, snake(r, 3)),
            "  return %s.%s(%s);\n" % (a, ident(r), ident(r)),
            "import { %s } from './%s';\n" % (a, ident(r)),
            "const %s = require('%s');\n" % (a, r.choice(WORDS)),
            "  // %s: %s\n" % (r.choice(["TODO", "NOTE", "FIXME"]), snake(r, 5).replace("_", " ")),
            "  const token = process.env.%s_TOKEN;\n" % snake(r).upper(),
            "  const apiKey = config.get('%s.apiKey');\n" % a,
            "  headers['Authorization'] = `Bearer ${token}`;\n",
            "  password: process.env.DB_PASSWORD,\n",
            "  %s: %d,\n" % (a, r.randint(0, 10000)),
            "  this.%s = %s || {};\n" % (a, b),
            "}\n",
            "\n",
        ]))
    return out


def pool_go(r):
    out = []
    for _ in range(5000):
        a, b = ident(r), ident(r, 3)
        out.append(r.choice([
            "func (s *%s) %s(ctx context.Context, %s string) error {\n" % (a.capitalize(), b.capitalize(), a),
            "\tif err := s.%s(ctx); err != nil {\n\t\treturn fmt.Errorf(\"%s: %%w\", err)\n\t}\n" % (b, snake(r)),
            "\t%s := os.Getenv(\"%s_TOKEN\")\n" % (a, snake(r).upper()),
            "\treq.Header.Set(\"Authorization\", \"Bearer \"+token)\n",
            "\t// %s\n" % snake(r, 6).replace("_", " "),
            "\t%s, err := http.Get(\"%s\")\n" % (a, url(r)),
            "\treturn %s, nil\n" % a,
            "}\n",
            "\n",
            "type %s struct {\n\t%s string `json:\"%s\"`\n\tPassword string `json:\"password\"`\n}\n" % (b.capitalize(), a.capitalize(), snake(r)),
        ]))
    return out


def pool_rust(r):
    out = []
    for _ in range(5000):
        a, b = snake(r), snake(r, 3)
        out.append(r.choice([
            "pub fn %s(%s: &str) -> Result<%s, Error> {\n" % (b, a, ident(r).capitalize()),
            "    let %s = self.%s.get(%s).ok_or(Error::NotFound)?;\n" % (a, snake(r), a),
            "    // %s\n" % b.replace("_", " "),
            "    let token = std::env::var(\"%s_TOKEN\")?;\n" % a.upper(),
            "    Ok(%s)\n" % a,
            "}\n",
            "use crate::%s::%s;\n" % (snake(r), ident(r).capitalize()),
            "    for %s in %s.iter() {\n        %s.push(%s.clone());\n    }\n" % (a, b, snake(r), a),
            "#[derive(Debug, Clone)]\npub struct %s {\n    pub %s: String,\n}\n" % (ident(r).capitalize(), a),
            "\n",
        ]))
    return out


def pool_java(r):
    out = []
    for _ in range(5000):
        a, b = ident(r), ident(r, 3)
        out.append(r.choice([
            "    public %s %s(%s %s) {\n" % (a.capitalize(), b, ident(r).capitalize(), a),
            "        final String password = System.getenv(\"%s_PASSWORD\");\n" % snake(r).upper(),
            "        if (%s == null) {\n            throw new IllegalArgumentException(\"%s\");\n        }\n" % (a, b),
            "        return this.%s.%s(%s);\n" % (a, b, ident(r)),
            "    }\n",
            "import org.%s.%s.%s;\n" % (r.choice(WORDS), r.choice(WORDS), a.capitalize()),
            "    /** %s. */\n" % snake(r, 7).replace("_", " "),
            "    private static final Logger LOG = LoggerFactory.getLogger(%s.class);\n" % a.capitalize(),
            "\n",
        ]))
    return out


def pool_c(r):
    out = []
    for _ in range(4000):
        a, b = snake(r), snake(r, 3)
        out.append(r.choice([
            "static int %s(struct %s *%s, size_t len)\n{\n" % (b, snake(r), a),
            "\tif (%s == NULL)\n\t\treturn -EINVAL;\n" % a,
            "\tmemcpy(%s, %s, len);\n" % (a, snake(r)),
            "\t/* %s */\n" % b.replace("_", " "),
            "#include <%s.h>\n" % r.choice(["stdio", "stdlib", "string", "errno", "stdint"]),
            "#define %s_%s %d\n" % (a.upper(), r.choice(WORDS).upper(), r.randint(0, 4096)),
            "\treturn 0;\n}\n",
            "\n",
        ]))
    return out


def pool_ruby(r):
    out = []
    for _ in range(3000):
        a, b = snake(r), snake(r, 3)
        out.append(r.choice([
            "  def %s(%s)\n" % (b, a),
            "    @%s ||= %s.find_by(%s: %s)\n" % (a, ident(r).capitalize(), snake(r), a),
            "    api_key = ENV.fetch('%s_API_KEY')\n" % a.upper(),
            "  end\n",
            "  # %s\n" % b.replace("_", " "),
            "require '%s'\n" % r.choice(WORDS),
            "\n",
        ]))
    return out


def pool_md(r):
    out = []
    for _ in range(3000):
        out.append(r.choice([
            "## %s\n\n" % snake(r, 3).replace("_", " ").title(),
            "%s. See [%s](%s).\n" % (snake(r, 12).replace("_", " ").capitalize(), r.choice(WORDS), url(r)),
            "- `%s`: %s\n" % (snake(r), snake(r, 8).replace("_", " ")),
            "```sh\nexport %s_TOKEN=<your-token>\ncurl -H \"Authorization: Bearer $%s_TOKEN\" %s\n```\n" % (snake(r).upper(), snake(r).upper(), url(r)),
            "Set `password` in your config to the value from your secret manager.\n",
            "\n",
        ]))
    return out


def pool_sh(r):
    out = []
    for _ in range(1500):
        out.append(r.choice([
            "set -euo pipefail\n",
            "%s=\"${%s:-%s}\"\n" % (snake(r).upper(), snake(r).upper(), r.choice(WORDS)),
            "curl -fsSL \"%s\" -o \"$TMP/%s\"\n" % (url(r), snake(r)),
            "docker login -u \"$REGISTRY_USER\" -p \"$REGISTRY_PASSWORD\" registry.example.com\n",
            "echo \"%s\"\n" % snake(r, 4).replace("_", " "),
            "\n",
        ]))
    return out


POOLS = {}

# Credential-looking lines (`password = os.environ[...]`, `Bearer ${token}`) are kept in a
# pool with this probability, so that keyword density matches real code: about 2-3
# keyword hits per KB (this tree: about 4, so a little harder than real code), as measured with `rg -o -i -F -f KEYWORDS` over the crates.io
# sources in ~/.cargo/registry (1.9/KB) and a Python installation (0.6/KB).
SECRETISH = ("password", "token", "api_key", "apikey", "secret", "authorization")
SECRETISH_KEEP = 0.12


def build_pools(seed):
    r = random.Random(seed * 7919 + 1)
    for name, fn in [("py", pool_python), ("js", pool_js), ("go", pool_go), ("rs", pool_rust),
                     ("java", pool_java), ("c", pool_c), ("rb", pool_ruby), ("md", pool_md),
                     ("sh", pool_sh)]:
        POOLS[name] = [line for line in fn(r)
                       if not any(w in line.lower() for w in SECRETISH) or r.random() < SECRETISH_KEEP]
        if name != "md":  # URLs: common in docs, rarer in code
            POOLS[name] = [line for line in POOLS[name] if "https://" not in line or r.random() < 0.3]
    POOLS["ts"] = POOLS["js"]


def from_pool(r, kind, size, header=""):
    pool = POOLS[kind]
    parts = [header]
    total = len(header)
    while total < size:
        chunk = r.choices(pool, k=64)
        parts.extend(chunk)
        total += sum(map(len, chunk))
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# Structured files


def gen_package_lock(r, size):
    parts = ['{\n  "name": "%s",\n  "lockfileVersion": 3,\n  "packages": {\n' % snake(r)]
    total = 0
    while total < size:
        name = "-".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
        ver = "%d.%d.%d" % (r.randint(0, 9), r.randint(0, 30), r.randint(0, 20))
        integ = base64.b64encode(r.randbytes(64)).decode()
        e = ('    "node_modules/%s": {\n      "version": "%s",\n'
             '      "resolved": "https://registry.npmjs.org/%s/-/%s-%s.tgz",\n'
             '      "integrity": "sha512-%s",\n      "dev": %s\n    },\n'
             % (name, ver, name, name, ver, integ, r.choice(["true", "false"])))
        parts.append(e)
        total += len(e)
    parts.append('    "": {}\n  }\n}\n')
    return "".join(parts)


def gen_yarn_lock(r, size):
    parts = ["# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n"]
    total = 0
    while total < size:
        name = "-".join(r.choice(WORDS) for _ in range(r.randint(1, 2)))
        ver = "%d.%d.%d" % (r.randint(0, 9), r.randint(0, 30), r.randint(0, 20))
        e = ('"%s@^%s":\n  version "%s"\n  resolved "https://registry.yarnpkg.com/%s/-/%s-%s.tgz#%s"\n'
             '  integrity sha512-%s\n\n'
             % (name, ver, ver, name, name, ver, r.randbytes(20).hex(),
                base64.b64encode(r.randbytes(64)).decode()))
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_cargo_lock(r, size):
    parts = ["# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n"]
    total = 0
    while total < size:
        e = ('[[package]]\nname = "%s"\nversion = "%d.%d.%d"\n'
             'source = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "%s"\n'
             'dependencies = [\n "%s",\n "%s",\n]\n\n'
             % (snake(r), r.randint(0, 3), r.randint(0, 40), r.randint(0, 30),
                r.randbytes(32).hex(), snake(r), snake(r)))
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_poetry_lock(r, size):
    parts = []
    total = 0
    while total < size:
        n = snake(r)
        v = "%d.%d.%d" % (r.randint(0, 9), r.randint(0, 30), r.randint(0, 20))
        e = ('[[package]]\nname = "%s"\nversion = "%s"\ndescription = "%s"\noptional = false\n'
             'python-versions = ">=3.8"\nfiles = [\n    {file = "%s-%s.tar.gz", hash = "sha256:%s"},\n'
             '    {file = "%s-%s-py3-none-any.whl", hash = "sha256:%s"},\n]\n\n'
             % (n, v, snake(r, 5).replace("_", " "), n, v, r.randbytes(32).hex(), n, v,
                r.randbytes(32).hex()))
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_go_sum(r, size):
    parts = []
    total = 0
    while total < size:
        m = "github.com/%s/%s" % (r.choice(WORDS), snake(r).replace("_", "-"))
        v = "v%d.%d.%d" % (r.randint(0, 3), r.randint(0, 30), r.randint(0, 20))
        e = "%s %s h1:%s=\n%s %s/go.mod h1:%s=\n" % (
            m, v, base64.b64encode(r.randbytes(32)).decode()[:43], m, v,
            base64.b64encode(r.randbytes(32)).decode()[:43])
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_minified(r, size):
    # One bundle: a few very long lines of short identifiers, string literals, URLs.
    parts = ["/*! %s v%d.%d.%d | MIT License | %s */\n" % (snake(r), r.randint(1, 9), r.randint(0, 20), r.randint(0, 20), url(r))]
    total = 0
    line = 0
    while total < size:
        toks = []
        for _ in range(2000):
            k = r.random()
            v = rand_str(r, r.randint(1, 3), string.ascii_letters)
            if k < 0.55:
                toks.append("%s=%s.%s(%s,%d);" % (v, rand_str(r, 1, string.ascii_letters), r.choice(WORDS), v, r.randint(0, 999)))
            elif k < 0.8:
                toks.append("function %s(%s){return %s&&%s.%s}" % (v, "e,t", "e", "t", r.choice(WORDS)))
            elif k < 0.95:
                toks.append('%s:"%s",' % (r.choice(WORDS), snake(r, 2)))
            elif k < 0.998:
                toks.append('"%s",' % url(r))
            else:
                toks.append('{token:e.token,apiKey:t.apiKey,password:n},')
        s = "".join(toks)
        parts.append(s)
        total += len(s)
        line += 1
        if line % 8 == 0:  # mostly one huge line, sometimes a break
            parts.append("\n")
    parts.append("\n")
    return "".join(parts)


def gen_yaml_k8s(r, size):
    parts = []
    total = 0
    while total < size:
        n = snake(r).replace("_", "-")
        e = ("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  labels:\n    app: %s\n"
             "spec:\n  replicas: %d\n  template:\n    spec:\n      containers:\n        - name: %s\n"
             "          image: registry.example.com/%s:%d.%d\n          env:\n"
             "            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n"
             "                  name: %s-secrets\n                  key: password\n"
             "            - name: API_URL\n              value: \"%s\"\n"
             % (n, n, r.randint(1, 5), n, n, r.randint(1, 9), r.randint(0, 99), n, url(r)))
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_workflow(r, _size):
    return ("name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\npermissions:\n  contents: read\n"
            "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
            "      - uses: actions/setup-node@v4\n        with:\n          node-version: %d\n"
            "      - run: npm ci && npm test\n        env:\n          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n"
            % r.choice([18, 20, 22]))


def gen_json_config(r, size):
    d = {}
    total = 0
    while total < size:
        k = snake(r)
        v = r.choice([r.randint(0, 10000), snake(r), url(r), True, None,
                      {"enabled": r.random() < 0.5, "url": url(r), "token": "${%s_TOKEN}" % k.upper()}])
        d[k] = v
        total += len(k) + 40
    return json.dumps(d, indent=2) + "\n"


def gen_toml(r, size):
    parts = ['[package]\nname = "%s"\nversion = "0.%d.0"\n\n' % (snake(r), r.randint(1, 40))]
    total = 0
    while total < size:
        e = "[%s]\n%s = %d\n%s = \"%s\"\n\n" % (snake(r), snake(r), r.randint(0, 99), snake(r), url(r))
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_ini(r, size):
    parts = []
    total = 0
    while total < size:
        e = "[%s]\nhost = %s\nport = %d\nuser = %s\npassword = ${%s_PASSWORD}\n\n" % (
            snake(r), r.choice(HOSTS), r.randint(1000, 9999), r.choice(WORDS), snake(r).upper())
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_env_example(r, _size):
    return ("# Copy to .env and fill in\nDATABASE_URL=postgres://user:changeme@localhost:5432/app\n"
            "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=<your-secret-key>\n"
            "STRIPE_API_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx\nGITHUB_TOKEN=${GITHUB_TOKEN}\n"
            "SENTRY_DSN=\nLOG_LEVEL=%s\n" % r.choice(["info", "debug"]))


def gen_sql(r, size):
    parts = ["-- MySQL dump 10.13\n--\n-- Host: localhost    Database: app\n\n"
             "CREATE TABLE `users` (\n  `id` int NOT NULL,\n  `email` varchar(255),\n"
             "  `password_hash` char(60),\n  `created_at` datetime\n);\n\n"]
    total = 0
    while total < size:
        rows = ",".join("(%d,'%s@%s','$2b$12$%s','2023-%02d-%02d 10:00:00')" % (
            r.randint(1, 10 ** 7), snake(r), r.choice(HOSTS), rand_str(r, 53, ALNUM + "./"),
            r.randint(1, 12), r.randint(1, 28)) for _ in range(200))
        e = "INSERT INTO `users` VALUES %s;\n" % rows
        parts.append(e)
        total += len(e)
    return "".join(parts)


def gen_log(r, size):
    parts = []
    total = 0
    while total < size:
        lines = "".join("2024-%02d-%02dT%02d:%02d:%02d.%03dZ %s [%s] %s %s request_id=%s duration_ms=%d\n" % (
            r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
            r.randint(0, 999), r.choice(["INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR"]),
            snake(r), r.choice(["GET", "POST", "PUT"]), "/%s/%s" % (r.choice(WORDS), snake(r)),
            r.randbytes(8).hex(), r.randint(1, 900))
            for _ in range(200))
        parts.append(lines)
        total += len(lines)
    return "".join(parts)


def gen_csv(r, size):
    parts = ["id,name,email,country,score,updated_at\n"]
    total = 0
    while total < size:
        lines = "".join("%d,%s,%s@%s,%s,%d.%02d,2024-01-%02d\n" % (
            r.randint(1, 10 ** 8), ident(r), snake(r), r.choice(HOSTS), r.choice(["US", "DE", "FR", "JP", "BR"]),
            r.randint(0, 100), r.randint(0, 99), r.randint(1, 28)) for _ in range(500))
        parts.append(lines)
        total += len(lines)
    return "".join(parts)


def gen_big_json(r, size):
    parts = ['{"fixtures": [\n']
    total = 0
    while total < size:
        e = '  {"id": "%s", "name": "%s", "url": "%s", "checksum": "%s", "tags": ["%s", "%s"]},\n' % (
            r.randbytes(16).hex(), ident(r, 3), url(r), r.randbytes(20).hex(), r.choice(WORDS), r.choice(WORDS))
        parts.append(e)
        total += len(e)
    parts.append('  {}\n]}\n')
    return "".join(parts)


def gen_binary(r, size, magic=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"):
    return magic + r.randbytes(max(0, size - len(magic)))


# ---------------------------------------------------------------------------------------
# Planted secrets (fake but well-formed; the GitHub one carries a valid CRC32).


def b62(n, width):
    s = ""
    while n:
        n, d = divmod(n, 62)
        s = B62[d] + s
    return s.rjust(width, "0")


def github_pat(r):
    body = rand_str(r, 30)
    return "ghp_" + body + b62(zlib.crc32(body.encode()), 6)


def planted(r):
    aws_id = "AKIA" + rand_str(r, 16, string.ascii_uppercase + "234567")
    pem_body = "\n".join(base64.b64encode(r.randbytes(48)).decode() for _ in range(20))
    return [
        ("py", "GITHUB_TOKEN = \"%s\"\n" % github_pat(r)),
        ("env", "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n" % (aws_id, rand_str(r, 40, ALNUM + "/+"))),
        ("js", "const stripe = require('stripe')('sk_live_%s');\n" % rand_str(r, 24)),
        ("yml", "slack_bot_token: xoxb-%d-%d-%s\n" % (r.randint(10 ** 10, 10 ** 11), r.randint(10 ** 11, 10 ** 12), rand_str(r, 24))),
        ("pem", "-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n" % pem_body),
        ("go", "\tdsn := \"postgres://app:%s@db.internal.example.net:5432/app\"\n" % rand_str(r, 20)),
        ("json", '{"npm_token": "npm_%s"}\n' % rand_str(r, 36)),
        ("rb", "  OPENAI_API_KEY = 'sk-proj-%s'\n" % rand_str(r, 48, ALNUM + "_-")),
        ("sh", "export GITLAB_TOKEN=glpat-%s\n" % rand_str(r, 20, ALNUM + "_-")),
        ("toml", "[auth]\napi_key = \"%s\"\n" % rand_str(r, 32, "0123456789abcdef")),
    ]


# ---------------------------------------------------------------------------------------

LANGS = [("py", ".py"), ("js", ".js"), ("ts", ".ts"), ("go", ".go"), ("rs", ".rs"),
         ("java", ".java"), ("c", ".c"), ("rb", ".rb"), ("sh", ".sh")]


# Mean of file_size()'s default lognormal (median 3,500, sigma 1.1) and the files per
# folder real repositories show (Python 3.11 + site-packages, cargo's registry sources and
# /usr/include: 5.9 files per folder; intermediate folders bring this layout to about 6).
MEAN_FILE = 6400
FILES_PER_DIR = 9


def file_size(r, median=3500, sigma=1.1, cap=400_000):
    return int(min(cap, max(80, r.lognormvariate(0, sigma) * median)))


class Writer:
    def __init__(self, root):
        self.root = root
        self.files = 0
        self.bytes = 0

    def write(self, rel, data):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(path, "wb") as f:
            f.write(data)
        self.files += 1
        self.bytes += len(data)


def gen_project(w, r, pname, budget, lang):
    """One project of about `budget` bytes."""
    start = w.bytes
    ext = dict(LANGS)[lang]
    w.write(pname + "/README.md", from_pool(r, "md", file_size(r, 4000), "# %s\n\n" % pname))
    w.write(pname + "/.gitignore", "/target\n/dist-local\n__pycache__/\n.venv/\n")
    w.write(pname + "/.github/workflows/ci.yml", gen_workflow(r, 0))
    w.write(pname + "/.env.example", gen_env_example(r, 0))
    cfg = r.choice([gen_json_config, gen_toml, gen_ini, gen_yaml_k8s])
    w.write(pname + "/config/" + {gen_json_config: "settings.json", gen_toml: "config.toml",
                                   gen_ini: "database.ini", gen_yaml_k8s: "deploy.yaml"}[cfg], cfg(r, file_size(r, 2000)))
    lock = {"js": ("package-lock.json", gen_package_lock), "ts": ("yarn.lock", gen_yarn_lock),
            "rs": ("Cargo.lock", gen_cargo_lock), "py": ("poetry.lock", gen_poetry_lock),
            "go": ("go.sum", gen_go_sum)}.get(lang)
    if lock:
        w.write(pname + "/" + lock[0], lock[1](r, int(budget * r.uniform(0.04, 0.12))))
    if lang in ("js", "ts") or r.random() < 0.25:
        w.write(pname + "/dist/bundle.min.js", gen_minified(r, int(budget * r.uniform(0.04, 0.1))))
    # vendored third-party code: a fifth of the project, in a few packages of a few
    # folders each (real trees hold about six files per folder, not one)
    vend_budget = int(budget * 0.2)
    vend_end = w.bytes + vend_budget
    vdir = "vendor" if lang != "js" else "third_party"
    vend_dirs = []
    for _ in range(max(1, vend_budget // (MEAN_FILE * FILES_PER_DIR * 2))):
        pkg = "%s/%s" % (vdir, snake(r).replace("_", "-"))
        for sub in r.sample(["src", "lib", "internal", "src/" + r.choice(WORDS)], r.randint(1, 3)):
            vend_dirs.append("%s/%s" % (pkg, sub))
    i = 0
    while w.bytes < vend_end:
        vl, vext = r.choice(LANGS)
        w.write("%s/%s/%s_%d%s" % (pname, r.choice(vend_dirs), snake(r), i, vext), from_pool(r, vl, file_size(r)))
        i += 1
    # docs
    for k in range(r.randint(2, 8)):
        w.write("%s/docs/%s_%d.md" % (pname, snake(r), k), from_pool(r, "md", file_size(r, 5000)))
    # binary assets
    for k in range(r.randint(0, 3)):
        w.write("%s/assets/%s_%d.png" % (pname, snake(r), k), gen_binary(r, file_size(r, 20000, 1.0, 300_000)))
    # source and tests until the budget is spent
    src_budget = max(0, budget - (w.bytes - start))
    src_dirs = ["src", "tests", "lib"]
    for _ in range(max(0, src_budget // (MEAN_FILE * FILES_PER_DIR) - len(src_dirs))):
        src_dirs.append(r.choice(["src/%s" % snake(r), "src/%s/%s" % (r.choice(WORDS), r.choice(WORDS)),
                                  "tests/%s" % r.choice(WORDS), "internal/%s" % r.choice(WORDS)]))
    i = 0
    while w.bytes - start < budget:
        l = lang if r.random() < 0.8 else r.choice(LANGS)[0]
        e = dict(LANGS)[l]
        sub = r.choice(src_dirs)
        w.write("%s/%s/%s_%d%s" % (pname, sub, snake(r), i, e), from_pool(r, l, file_size(r)))
        i += 1
    _ = ext


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=320, help="target size in MB (default 320)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    target = a.size * 1_000_000
    r = random.Random(a.seed)
    build_pools(a.seed)
    os.makedirs(a.out, exist_ok=True)
    w = Writer(a.out)

    # Large and binary files first: about 8% of the bytes.
    large = [("data/dump.sql", gen_sql), ("data/app.log", gen_log), ("data/fixtures.json", gen_big_json),
             ("data/export.csv", gen_csv)]
    per_large = min(9_500_000, target * 6 // 100 // len(large))
    for rel, fn in large:
        w.write(rel, fn(r, per_large))
    w.write("data/model.bin", gen_binary(r, min(9_000_000, target // 100), b"\x00\x01GGUF\x00"))
    w.write("data/release.tar.gz", gen_binary(r, min(6_000_000, target // 150), b"\x1f\x8b\x08\x00"))
    w.write("tools/libfoo.so", gen_binary(r, 2_000_000, b"\x7fELF\x02\x01\x01\x00"))

    # Projects until the target is reached.
    n = 0
    while w.bytes < target:
        lang = r.choice([l for l, _ in LANGS if l != "sh"])
        budget = int(min(target - w.bytes + 1, r.lognormvariate(0, 0.8) * 6_000_000))
        gen_project(w, r, "projects/%s-%s-%02d" % (r.choice(WORDS), r.choice(WORDS), n), max(budget, 200_000), lang)
        n += 1

    # Planted secrets, in ordinary-looking files of ordinary projects.
    manifest = []
    projects = sorted(os.listdir(os.path.join(a.out, "projects")))
    for k, (ext, text) in enumerate(planted(r)):
        p = projects[(k * 7) % len(projects)]
        rel = "projects/%s/src/%s_settings.%s" % (p, snake(r), ext)
        pool = ext if ext in dict(LANGS) else "md"
        body = text if ext == "pem" else from_pool(r, pool, 1500) + text + from_pool(r, pool, 800)
        w.write(rel, body)
        manifest.append({"path": rel, "kind": text.split("=")[0].strip()[:40]})

    with open(a.out.rstrip("/") + ".manifest.json", "w") as f:
        json.dump({"seed": a.seed, "size_mb": a.size, "files": w.files, "bytes": w.bytes,
                   "planted": manifest}, f, indent=2)
    print("generated %s: %d files, %.1f MB, %d projects, %d planted secrets" % (
        a.out, w.files, w.bytes / 1e6, n, len(manifest)))


if __name__ == "__main__":
    main()
