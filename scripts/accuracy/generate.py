#!/usr/bin/env python3
"""Generate a labeled corpus of realistic small repositories for tokenward's accuracy benchmark.

    python3 scripts/accuracy/generate.py --out DIR [--repos 40] [--seed 1]

writes DIR/repos/<repo>/... (the tree to scan) and DIR/labels.json:

    {"seed": 1, "repos": 40,
     "positives": [{"path": "repo-00-.../.env", "line": 4, "end_line": 4,
                    "kind": "github-pat", "family": "source-hosting", "secret": "ghp_..."}],
     "traps":     [{"path": "...", "line": 9, "kind": "placeholder"}]}

Paths are relative to DIR/repos. A positive is a live-looking credential planted on a
known line (or line range, for PEM blocks and paired AWS keys); a trap is a line that
looks secret-ish but is not a leak and must not be reported. Lines not listed under
either are ordinary filler and must not be reported either.

Honesty rules this file follows: every credential is generated from the vendor's
documented FORMAT (prefix, length, alphabet, checksum, embedded structure), never copied
from or shaped after the examples in rules/*.toml. Standard library only; deterministic
for a given seed.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import string
import zlib

R = random.Random(1)

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
B62 = DIGITS + UPPER + LOWER  # GitHub / npm checksum alphabet order
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE32 = UPPER + "234567"


# --------------------------------------------------------------------------- random bits

def rs(alpha, n):
    return "".join(R.choice(alpha) for _ in range(n))


def mixed(n, alpha=ALNUM):
    """Random string with at least one upper, lower and digit when the alphabet has them."""
    while True:
        s = rs(alpha, n)
        ok = True
        for cls in (UPPER, LOWER, DIGITS):
            if any(c in alpha for c in cls) and not any(c in cls for c in s):
                ok = False
        if ok:
            return s


def hexs(n):
    return rs(HEX, n)


def uuid4():
    h = hexs(32)
    h = h[:12] + "4" + h[13:16] + R.choice("89ab") + h[17:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def rbytes(n):
    return bytes(R.getrandbits(8) for _ in range(n))


def b64(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def base62_crc32(body):
    n = zlib.crc32(body.encode()) & 0xFFFFFFFF
    out = ""
    for _ in range(6):
        out = B62[n % 62] + out
        n //= 62
    return out


def sha(kind, text=None):
    data = (text or rs(ALNUM, 24)).encode()
    return getattr(hashlib, kind)(data)


def wrap(s, width):
    return [s[i:i + width] for i in range(0, len(s), width)]


WORDS = ["harbor", "falcon", "copper", "meadow", "orbit", "lantern", "cedar", "quartz",
         "willow", "ember", "summit", "delta", "prairie", "nimbus", "granite", "maple"]
COMPANIES = ["northwind", "contoso", "globex", "initech", "hooli", "vandelay", "tyrell",
             "cyberdyne", "wonka", "umbrella", "soylent", "stark", "wayne", "gringotts",
             "oscorp", "monarch", "aperture", "blackmesa", "massive", "prestige"]
APPS = ["billing", "checkout", "inventory", "notifier", "gateway", "reports", "auth",
        "search", "ledger", "scheduler", "ingest", "webhooks", "catalog", "profile"]
USERS = ["deploy", "svc_app", "app", "admin", "ci-bot", "etl", "reporting", "backend",
         "jenkins", "release"]


def company():
    return R.choice(COMPANIES)


def host(kind="db"):
    c = company()
    return R.choice([
        f"{kind}.{c}.internal",
        f"{kind}-prod.{c}.io",
        f"{R.choice(APPS)}-{kind}.{c}-corp.net",
        f"10.{R.randint(0, 254)}.{R.randint(0, 254)}.{R.randint(2, 254)}",
        f"{c}-{kind}.c{hexs(8)}.us-east-1.rds.amazonaws.com",
    ])


def human_password():
    w = R.choice(WORDS)
    return R.choice([
        f"{w.capitalize()}{R.randint(10, 99)}{R.choice('!#$*')}{R.choice(WORDS).capitalize()}",
        f"{w.capitalize()}-{R.choice(WORDS).capitalize()}-{R.randint(100, 999)}",
    ])


def strong_password(n=None, specials="!#%*-_.@^"):
    """A generated password: starts with a letter or digit (as password managers' output
    pasted into YAML/URLs does in practice), at least one special character."""
    n = n or R.randint(14, 28)
    while True:
        s = R.choice(ALNUM) + mixed(n - 1, ALNUM + specials)
        if any(c in specials for c in s):
            return s


def quoted_password():
    """A password for a quoted string in code: generated passwords may begin with a symbol."""
    pw = password()
    return R.choice("!*-_.@^#%") + pw[1:] if R.random() < 0.25 else pw


def password(url_safe=False):
    if R.random() < 0.12:
        return human_password().replace("#", "-").replace("%", "-").replace("$", "-") if url_safe else human_password()
    return strong_password(specials="-_.~") if url_safe else strong_password()


# --------------------------------------------------------------------------- credentials

class Cred:
    """One planted credential: value, label kind and family, and names it is stored under."""

    def __init__(self, kind, family, value, names, pair=None):
        self.kind = kind
        self.family = family
        self.value = value
        self.names = names  # list of word lists, e.g. [["github", "token"]]
        self.pair = pair  # (id_names, id_value) for two-part credentials (AWS)


def gh(prefix):
    body = mixed(30)
    return f"{prefix}_{body}{base62_crc32(body)}"


def jwt(payload, alg="RS256", sig_bytes=256):
    head = {"alg": alg, "typ": "JWT"}
    if alg.startswith("RS"):
        head["kid"] = b64url(rbytes(24))
    return ".".join([b64url(json.dumps(head, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(rbytes(sig_bytes))])


def pypi_token():
    # PyPI API tokens are "pypi-" + base64url(macaroon v2); the macaroon's location is pypi.org.
    ident = json.dumps({"version": 1, "permissions": "user"}) if R.random() < .5 else uuid4()
    mac = (b"\x02\x01\x08pypi.org\x02" + bytes([len(ident)]) + ident.encode()
           + b"\x00\x02\x2b" + json.dumps({"project_ids": [uuid4()]}).encode()
           + b"\x00\x00\x06\x20" + rbytes(32))
    return "pypi-" + b64url(mac)


def rsa_der():
    return bytes.fromhex("308204a40201000282010100") + rbytes(1180)


def pem(label, der, width=64):
    return [f"-----BEGIN {label}-----"] + wrap(b64(der), width) + [f"-----END {label}-----"]


def private_key_lines(kind):
    if kind == "rsa":
        return pem("RSA PRIVATE KEY", rsa_der())
    if kind == "pkcs8":
        der = bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8") + rsa_der()
        return pem("PRIVATE KEY", der)
    if kind == "ec":
        der = (bytes.fromhex("30770201010420") + rbytes(32)
               + bytes.fromhex("a00a06082a8648ce3d030107a144034200") + b"\x04" + rbytes(64))
        return pem("EC PRIVATE KEY", der)
    # OpenSSH ed25519 key: "openssh-key-v1\0" + cipher/kdf "none", one key, public and private parts.
    pub = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + rbytes(32)
    check = rbytes(4)
    body = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01" + len(pub).to_bytes(4, "big") + pub
            + b"\x00\x00\x00\x98" + check + check + pub + b"\x00\x00\x00\x40" + rbytes(64)
            + b"\x00\x00\x00\x0e" + f"{R.choice(USERS)}@{R.choice(APPS)}".encode()[:14].ljust(14, b"x")
            + b"\x01\x02\x03\x04\x05")
    return pem("OPENSSH PRIVATE KEY", body, 70)


def public_key_lines():
    der = bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100") + rbytes(270)
    return pem("PUBLIC KEY", der)


def cert_lines():
    return pem("CERTIFICATE", bytes.fromhex("308203") + rbytes(R.randint(700, 900)))


def ssh_pub():
    if R.random() < 0.5:
        blob = b64(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + rbytes(32))
        return f"ssh-ed25519 {blob} {R.choice(USERS)}@{R.choice(APPS)}"
    blob = b64(b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00\x01\x00\x00\x01\x01\x00" + rbytes(256))
    return f"ssh-rsa {blob} {R.choice(USERS)}@{company()}"


def png(n):
    return b64(b"\x89PNG\r\n\x1a\n" + rbytes(n))


def make_cred(kind):
    """Credential of the given kind, generated from the vendor's documented format."""
    if kind == "aws-keypair":
        kid = "AKIA" + rs(BASE32, 16)
        secret = mixed(40, ALNUM + "+/")
        return Cred(kind, "cloud", secret,
                    [["aws", "secret", "access", "key"]],
                    pair=([["aws", "access", "key", "id"]], kid))
    table = {
        "github-pat": ("source-hosting", lambda: gh("ghp"), [["github", "token"], ["gh", "token"], ["github", "pat"]]),
        "github-oauth": ("source-hosting", lambda: gh("gho"), [["github", "oauth", "token"]]),
        "github-app-installation": ("source-hosting", lambda: gh("ghs"), [["github", "app", "token"]]),
        "github-fine-grained": ("source-hosting", lambda: f"github_pat_{mixed(22)}_{mixed(59)}", [["github", "token"], ["gh", "pat"]]),
        "gitlab-pat": ("source-hosting", lambda: "glpat-" + mixed(20, ALNUM + "-_"), [["gitlab", "token"], ["gl", "token"], ["ci", "push", "token"]]),
        "slack-bot": ("messaging", lambda: f"xoxb-{R.randint(10**10, 10**13 - 1)}-{R.randint(10**10, 10**13 - 1)}-{mixed(24)}", [["slack", "bot", "token"], ["slack", "token"]]),
        "slack-user": ("messaging", lambda: f"xoxp-{R.randint(10**10, 10**12)}-{R.randint(10**10, 10**12)}-{R.randint(10**12, 10**13 - 1)}-{hexs(32)}", [["slack", "user", "token"]]),
        "slack-webhook": ("messaging", lambda: f"https://hooks.slack.com/services/T{rs(UPPER + DIGITS, 8)}/B{rs(UPPER + DIGITS, 10)}/{mixed(24)}", [["slack", "webhook", "url"], ["alerts", "webhook"]]),
        "stripe-live": ("payments", lambda: "sk_live_" + (mixed(24) if R.random() < .4 else "51" + mixed(97)), [["stripe", "secret", "key"], ["stripe", "api", "key"]]),
        "stripe-restricted": ("payments", lambda: "rk_live_" + "51" + mixed(97), [["stripe", "restricted", "key"]]),
        "stripe-webhook": ("payments", lambda: "whsec_" + mixed(32), [["stripe", "webhook", "secret"]]),
        "google-api-key": ("cloud", lambda: "AIza" + mixed(35, ALNUM + "-_"), [["google", "api", "key"], ["maps", "api", "key"], ["gcp", "api", "key"]]),
        "gcp-oauth-secret": ("cloud", lambda: "GOCSPX-" + mixed(28, ALNUM + "-_"), [["google", "client", "secret"]]),
        "openai": ("ai", lambda: "sk-proj-" + mixed(74, ALNUM + "-_") + "T3BlbkFJ" + mixed(74, ALNUM + "-_"), [["openai", "api", "key"]]),
        "anthropic": ("ai", lambda: "sk-ant-api03-" + mixed(93, ALNUM + "-_") + "AA", [["anthropic", "api", "key"], ["claude", "api", "key"]]),
        "huggingface": ("ai", lambda: "hf_" + mixed(34), [["hf", "token"], ["huggingface", "token"]]),
        "groq": ("ai", lambda: "gsk_" + mixed(52), [["groq", "api", "key"]]),
        "twilio-api-key": ("messaging", lambda: "SK" + hexs(32), [["twilio", "api", "key"]]),
        "twilio-auth-token": ("messaging", lambda: hexs(32), [["twilio", "auth", "token"]]),
        "sendgrid": ("messaging", lambda: f"SG.{mixed(22, ALNUM + '-_')}.{mixed(43, ALNUM + '-_')}", [["sendgrid", "api", "key"], ["mail", "api", "key"]]),
        "mailgun": ("messaging", lambda: "key-" + hexs(32), [["mailgun", "api", "key"]]),
        "mailchimp": ("messaging", lambda: f"{hexs(32)}-us{R.randint(1, 21)}", [["mailchimp", "api", "key"]]),
        "telegram": ("messaging", lambda: f"{R.randint(10**8, 10**10 - 1)}:AA{mixed(33, ALNUM + '-_')}", [["telegram", "bot", "token"]]),
        "discord-webhook": ("messaging", lambda: f"https://discord.com/api/webhooks/{R.randint(10**17, 10**19 - 1)}/{mixed(68, ALNUM + '-_')}", [["discord", "webhook", "url"]]),
        "datadog-api-key": ("observability", lambda: hexs(32), [["dd", "api", "key"], ["datadog", "api", "key"]]),
        "newrelic-user-key": ("observability", lambda: "NRAK-" + rs(UPPER + DIGITS, 27), [["new", "relic", "api", "key"]]),
        "sentry-user-token": ("saas", lambda: "sntryu_" + hexs(64), [["sentry", "auth", "token"]]),
        "grafana-sa": ("observability", lambda: f"glsa_{mixed(32)}_{hexs(8)}", [["grafana", "token"]]),
        "shopify": ("saas", lambda: "shpat_" + hexs(32), [["shopify", "access", "token"]]),
        "linear": ("saas", lambda: "lin_api_" + mixed(40), [["linear", "api", "key"]]),
        "postman": ("saas", lambda: f"PMAK-{hexs(24)}-{hexs(34)}", [["postman", "api", "key"]]),
        "atlassian": ("saas", lambda: "ATATT3xFfGF0" + mixed(171, ALNUM + "-_") + "=" + rs("0123456789ABCDEF", 8), [["jira", "api", "token"], ["confluence", "token"]]),
        "vault": ("secret-manager", lambda: "hvs.CAESI" + mixed(86, ALNUM + "-_"), [["vault", "token"]]),
        "terraform-cloud": ("secret-manager", lambda: f"{mixed(14)}.atlasv1.{mixed(67)}", [["tfe", "token"], ["tf", "api", "token"]]),
        "doppler": ("secret-manager", lambda: f"dp.st.prd.{mixed(43)}", [["doppler", "token"]]),
        "databricks": ("database", lambda: "dapi" + hexs(32), [["databricks", "token"]]),
        "supabase": ("database", lambda: "sbp_" + hexs(40), [["supabase", "access", "token"]]),
        "npm": ("registry", lambda: gh("npm"), [["npm", "token"]]),
        "pypi": ("registry", pypi_token, [["pypi", "token"], ["twine", "password"]]),
        "rubygems": ("registry", lambda: "rubygems_" + hexs(48), [["gem", "host", "api", "key"]]),
        "dockerhub": ("registry", lambda: "dckr_pat_" + mixed(27, ALNUM + "-_"), [["docker", "hub", "token"], ["dockerhub", "password"]]),
        "digitalocean": ("cloud", lambda: "dop_v1_" + hexs(64), [["digitalocean", "token"], ["do", "token"]]),
        "heroku": ("cloud", uuid4, [["heroku", "api", "key"]]),
        "azure-entra-secret": ("cloud", lambda: mixed(3, ALNUM) + R.choice(DIGITS) + "Q~" + mixed(34, ALNUM + "_~.-"), [["azure", "client", "secret"], ["arm", "client", "secret"]]),
        "azure-storage": ("cloud", lambda: f"DefaultEndpointsProtocol=https;AccountName={company()}{R.choice(APPS)}sa;AccountKey={b64(rbytes(64))};EndpointSuffix=core.windows.net", [["azure", "storage", "connection", "string"]]),
        "alibaba": ("cloud", lambda: "LTAI" + mixed(20), [["alibaba", "access", "key", "id"]]),
        "square": ("payments", lambda: "EAAA" + mixed(60, ALNUM + "-_"), [["square", "access", "token"]]),
        "jwt-secret": ("generic", lambda: hexs(64) if R.random() < .5 else b64(rbytes(48)), [["jwt", "secret"], ["jwt", "signing", "key"]]),
        "django-secret": ("generic", lambda: "django-insecure-" + rs(LOWER + DIGITS + "!@#$%^&*(-_=+)", 50) if R.random() < .3 else rs(LOWER + DIGITS + "!@#$%^&*(-_=+)", 50), [["secret", "key"]]),
        "generic-api-key": ("generic", lambda: mixed(R.choice([32, 40, 48])), [["api", "key"], ["partner", "api", "key"], ["service", "token"], ["client", "secret"], ["auth", "token"]]),
        "generic-password": ("generic", password, [["db", "password"], ["password"], ["admin", "password"], ["smtp", "password"], ["redis", "password"], ["ldap", "bind", "password"]]),
    }
    fam, fn, names = table[kind]
    return Cred(kind, fam, fn(), names)


# Kinds for ordinary NAME = value slots, with weights.
SLOT_KINDS = {
    "aws-keypair": 6, "github-pat": 5, "github-oauth": 1, "github-app-installation": 1,
    "github-fine-grained": 3, "gitlab-pat": 3, "slack-bot": 3, "slack-user": 1,
    "slack-webhook": 3, "stripe-live": 4, "stripe-restricted": 1, "stripe-webhook": 2,
    "google-api-key": 3, "gcp-oauth-secret": 1, "openai": 4, "anthropic": 3,
    "huggingface": 2, "groq": 1, "twilio-api-key": 1, "twilio-auth-token": 2, "sendgrid": 3,
    "mailgun": 1, "mailchimp": 1, "telegram": 1, "discord-webhook": 1,
    "datadog-api-key": 2, "newrelic-user-key": 1, "sentry-user-token": 1, "grafana-sa": 1,
    "shopify": 1, "linear": 1, "postman": 1, "atlassian": 1, "vault": 1,
    "terraform-cloud": 1, "doppler": 1, "databricks": 1, "supabase": 1, "npm": 2,
    "pypi": 1, "rubygems": 1, "dockerhub": 1, "digitalocean": 1, "heroku": 1,
    "azure-entra-secret": 2, "azure-storage": 2, "alibaba": 0, "square": 1,
    "jwt-secret": 3, "django-secret": 1, "generic-api-key": 5, "generic-password": 8,
}


def pick_kind(weights=SLOT_KINDS):
    kinds = list(weights)
    return R.choices(kinds, [weights[k] for k in kinds])[0]


def db_url(cred_pw=None):
    pw = cred_pw or password(url_safe=True)
    user = R.choice(USERS)
    c = company()
    scheme = R.choice(["postgres", "postgresql", "mysql", "mongodb+srv", "mongodb", "redis", "amqp", "postgresql+psycopg2"])
    if scheme.startswith("mongodb+srv"):
        return f"mongodb+srv://{user}:{pw}@cluster0.{rs(LOWER + DIGITS, 5)}.mongodb.net/{R.choice(APPS)}?retryWrites=true&w=majority"
    if scheme == "redis":
        return f"redis://{R.choice(['default', ''])}:{pw}@{host('redis')}:6379/0"
    if scheme == "amqp":
        return f"amqp://{user}:{pw}@{host('mq')}:5672/{R.choice(APPS)}"
    port = {"mysql": 3306, "mongodb": 27017}.get(scheme, 5432)
    return f"{scheme}://{user}:{pw}@{host()}:{port}/{R.choice(APPS)}"


# --------------------------------------------------------------------------- naming & rendering

def ident(words, style):
    if style == "UPPER":
        return "_".join(w.upper() for w in words)
    if style == "snake":
        return "_".join(words)
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "kebab":
        return "-".join(words)
    if style == "dot":
        return ".".join(words[:-1] + [words[-1]]) if len(words) < 3 else ".".join([words[0], "-".join(words[1:])])
    raise ValueError(style)


def assign(lang, words, value, raw=False, indent=""):
    """One line assigning `value` to a name made of `words` in language `lang`.

    raw=True: value is an expression (env lookup, variable) and is not quoted."""
    q = R.choice(['"', "'"])
    v = value if raw else f"{q}{value}{q}"
    vd = value if raw else f'"{value}"'
    if lang == "env":
        name = ident(words, "UPPER")
        if raw:
            return f"{name}={value}"
        return R.choice([f"{name}={value}", f'{name}="{value}"', f"export {name}={value}"])
    if lang == "sh":
        return f'{indent}export {ident(words, "UPPER")}={vd if not raw else value}'
    if lang == "yaml":
        return f"{indent}{ident(words, 'snake')}: {value if raw or R.random() < .6 else vd}"
    if lang == "yaml-upper":
        return f"{indent}{ident(words, 'UPPER')}: {value if raw or R.random() < .5 else vd}"
    if lang == "json":
        return f'{indent}"{ident(words, "camel")}": {vd if not raw else value},'
    if lang == "py":
        return f"{indent}{R.choice([ident(words, 'UPPER'), ident(words, 'snake')])} = {v}"
    if lang in ("js", "ts"):
        kw = R.choice(["const", "let"]) if lang == "js" else R.choice(["export const", "const"])
        return f"{indent}{kw} {ident(words, R.choice(['camel', 'UPPER']))} = {v};"
    if lang == "js-prop":
        return f"{indent}{ident(words, 'camel')}: {v},"
    if lang == "go":
        return f"{indent}{ident(words, 'camel')} := {vd if not raw else value}"
    if lang == "java":
        return f'{indent}private static final String {ident(words, "UPPER")} = {vd if not raw else value};'
    if lang == "rb":
        return f"{indent}{ident(words, R.choice(['UPPER', 'snake']))} = {v}"
    if lang == "props":
        return f"{indent}{R.choice(['app', 'spring', 'integration'])}.{ident(words, 'kebab')}={value}"
    if lang == "tf":
        return f"{indent}{ident(words, 'snake')} = {vd if not raw else value}"
    if lang == "toml":
        return f"{indent}{ident(words, 'snake')} = {vd}"
    if lang == "ini":
        return f"{indent}{ident(words, 'snake')} = {value}"
    if lang == "xml":
        n = ident(words, "camel")
        return f"{indent}<{n}>{value}</{n}>"
    raise ValueError(lang)


# Trap values for secret-named slots, by language. Each returns (value, raw, trap_kind).
def env_lookup(lang, words):
    n = ident(words, "UPPER")
    return {
        "py": R.choice([f'os.environ["{n}"]', f'os.getenv("{n}")', f'os.environ.get("{n}", "")', f'config("{n}")']),
        "js": R.choice([f"process.env.{n}", f'process.env["{n}"]', f"process.env.{n} ?? ''"]),
        "ts": f"process.env.{n} as string",
        "js-prop": f"process.env.{n}",
        "go": f'os.Getenv("{n}")',
        "java": f'System.getenv("{n}")',
        "rb": R.choice([f'ENV["{n}"]', f"ENV.fetch('{n}')", f"Rails.application.credentials.{ident(words, 'snake')}"]),
        "tf": R.choice([f"var.{ident(words, 'snake')}", f"data.aws_ssm_parameter.{ident(words, 'snake')}.value", f"random_password.{words[0]}.result"]),
        "props": "${" + n + "}",
        "env": R.choice(["${" + n + "}", "$" + n]),
        "sh": R.choice(['"${' + n + '}"', '"$(vault kv get -field=value secret/' + words[0] + ')"', '"$(cat /run/secrets/' + ident(words, "snake") + ')"']),
        "yaml": "${" + n + "}",
        "yaml-upper": "${" + n + "}",
        "json": '"${' + n + '}"',
        "toml": "${" + n + "}",
        "ini": "%(" + ident(words, "snake") + ")s",
        "xml": "${env." + n + "}",
    }.get(lang, "${" + n + "}")


PLACEHOLDERS = [
    "<YOUR_API_KEY>", "<your-token-here>", "YOUR_API_KEY_HERE", "your-secret-here", "changeme",
    "CHANGEME", "change-me-in-production", "xxxxxxxxxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXXXXX",
    "REPLACE_ME", "TODO", "********", "<redacted>", "REDACTED", "dummy", "placeholder",
    "insert-key-here", "null", "none", "<password>", "secret", "password", "test", "example",
]


def vendor_placeholder(words):
    """Placeholders shaped like a vendor token with the random part masked out."""
    return R.choice([
        "ghp_" + "x" * 36, "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "sk_live_" + "x" * 24,
        "sk-proj-...", "sk-ant-api03-...", "xoxb-your-bot-token", "xoxb-XXXXXXXXXXXX-XXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
        "AKIAXXXXXXXXXXXXXXXX", "glpat-xxxxxxxxxxxxxxxxxxxx", "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "npm_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX",
    ])


# Public, documented example values from vendor docs (not secrets by definition).
DOC_EXAMPLES = [
    ("aws", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("aws", "AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"),
]
DOC_SINGLE = [
    "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",  # Google Maps docs
    "xoxb-not-a-real-token-this-will-not-work",  # Slack docs
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",  # jwt.io
]


def test_key():
    return R.choice([
        "sk_test_" + mixed(24), "sk_test_51" + mixed(97), "rk_test_51" + mixed(97),
        "pk_test_51" + mixed(97), "pk_live_51" + mixed(97),  # publishable keys are public
    ])


def trap_value(lang, words):
    """A non-secret value for a secret-named slot: (value, raw, trap kind, names to use)."""
    r = R.random()
    if r < 0.30:
        return env_lookup(lang, words), True, "env-lookup", words
    if r < 0.55:
        return R.choice(PLACEHOLDERS), False, "placeholder", words
    if r < 0.68:
        return vendor_placeholder(words), False, "masked-vendor-placeholder", words
    if r < 0.80:
        tmpl = R.choice(["{{ .Values.%s }}", "{{ %s }}", "${{ secrets.%s }}", "<%%= ENV['%s'] %%>", "#{%s}", "@@%s@@"])
        name = ident(words, "UPPER" if "secrets" in tmpl or "ENV" in tmpl else "snake")
        return tmpl % name, False, "templating", words
    if r < 0.88:
        v = test_key()
        names = ["stripe", "publishable", "key"] if v.startswith("pk_") else ["stripe", "secret", "key"]
        return v, False, "test-mode-key", names
    if r < 0.94:
        return "", False, "empty-value", words
    i = R.randrange(len(DOC_SINGLE))
    names = [["google", "maps", "api", "key"], ["slack", "bot", "token"], ["sample", "id", "token"]][i]
    return DOC_SINGLE[i], False, "documented-example", names


# --------------------------------------------------------------------------- files

class File:
    def __init__(self, path):
        self.path = path
        self.lines = []
        self.pos = []
        self.traps = []
        self.p = 0.4
        self.used = set()

    def add(self, *lines):
        for chunk in lines:
            self.lines.extend(chunk.split("\n"))

    @property
    def n(self):
        return len(self.lines)

    def positive(self, line, cred, value=None):
        self.add(line)
        self.pos.append({"line": self.n, "end_line": self.n, "kind": cred.kind,
                         "family": cred.family, "secret": value or cred.value})

    def positive_block(self, lines, cred, value=None):
        start = self.n + 1
        self.add(*lines)
        self.pos.append({"line": start, "end_line": self.n, "kind": cred.kind,
                         "family": cred.family, "secret": value or cred.value})

    def trap(self, line, kind):
        self.add(line)
        self.traps.append({"line": self.n, "kind": kind})

    def trap_block(self, lines, kind):
        start = self.n + 1
        self.add(*lines)
        self.traps.append({"line": start, "end_line": self.n, "kind": kind})


class Repo:
    def __init__(self, name):
        self.name = name
        self.files = []
        self.p_secret = 0.4  # chance that a secret-named slot holds a live credential

    def file(self, path):
        f = File(path)
        self.files.append(f)
        return f


QUOTED_LANGS = ("py", "js", "ts", "js-prop", "go", "java", "rb", "tf", "json")


def slot(f, lang, indent="", p=None, kinds=SLOT_KINDS):
    """A secret-named assignment: either a live credential (labeled) or a trap value."""
    p = f.p if p is None else p
    if R.random() < p:
        for _ in range(8):  # one key per name in a file (no duplicate keys in a YAML map)
            cred = make_cred(pick_kind(kinds))
            if not any(tuple(n) in f.used for n in cred.names + (cred.pair[0] if cred.pair else [])):
                break
        cred.names = [n for n in cred.names if tuple(n) not in f.used] or cred.names
        f.used.update(tuple(n) for n in cred.names + (cred.pair[0] if cred.pair else []))
        if cred.kind == "generic-password" and lang in QUOTED_LANGS:
            cred.value = quoted_password()
        if cred.pair:
            id_names, kid = cred.pair
            start = f.n + 1
            lines = [assign(lang, R.choice(id_names), kid, indent=indent),
                     assign(lang, R.choice(cred.names), cred.value, indent=indent)]
            if R.random() < 0.3:
                lines.insert(1, assign(lang, ["aws", "region"], R.choice(["us-east-1", "eu-west-1", "us-west-2"]), indent=indent))
            f.add(*lines)
            f.pos.append({"line": start, "end_line": f.n, "kind": cred.kind, "family": cred.family, "secret": cred.value})
            return
        f.positive(assign(lang, R.choice(cred.names), cred.value, indent=indent), cred)
        return
    words = R.choice(make_cred(pick_kind(kinds)).names)
    if R.random() < 0.08:
        ex = R.choice(DOC_EXAMPLES)
        f.trap(assign(lang, ["aws", "access", "key", "id"], ex[1], indent=indent), "documented-example")
        f.trap(assign(lang, ["aws", "secret", "access", "key"], ex[2], indent=indent), "documented-example")
        return
    v, raw, kind, words = trap_value(lang, words)
    if tuple(words) in f.used and kind != "env-lookup":
        v, raw, kind = env_lookup(lang, words), True, "env-lookup"
    f.used.add(tuple(words))
    f.trap(assign(lang, words, v, raw=raw, indent=indent), kind)


def nonsecret_slot(f, lang, indent=""):
    """Assignments with random-looking values under names that are not secrets."""
    choices = [
        (["request", "id"], uuid4(), "uuid"),
        (["tenant", "id"], uuid4(), "uuid"),
        (["subscription", "id"], uuid4(), "uuid"),
        (["client", "id"], uuid4(), "uuid"),
        (["commit", "sha"], sha("sha1").hexdigest(), "git-sha"),
        (["build", "revision"], sha("sha1").hexdigest(), "git-sha"),
        (["checksum"], sha("sha256").hexdigest(), "hash"),
        (["artifact", "sha256"], sha("sha256").hexdigest(), "hash"),
        (["etag"], sha("md5").hexdigest(), "hash"),
        (["kms", "key", "arn"], f"arn:aws:kms:us-east-1:{R.randint(10**11, 10**12 - 1)}:key/{uuid4()}", "cloud-resource-id"),
        (["secret", "arn"], f"arn:aws:secretsmanager:eu-west-1:{R.randint(10**11, 10**12 - 1)}:secret:prod/{R.choice(APPS)}/db-{mixed(6)}", "cloud-resource-id"),
        (["token", "url"], "https://oauth2.googleapis.com/token", "url-no-credentials"),
        (["auth", "endpoint"], f"https://login.{company()}.com/oauth2/v1/authorize", "url-no-credentials"),
        (["password", "min", "length"], str(R.randint(8, 16)), "password-field-name"),
        (["token", "ttl"], str(R.choice([300, 3600, 86400])), "password-field-name"),
        (["secret", "name"], f"{R.choice(APPS)}-credentials", "password-field-name"),
        (["api", "key", "header"], "X-API-Key", "password-field-name"),
        (["password", "file"], f"/run/secrets/{R.choice(APPS)}_db_password", "password-field-name"),
        (["image", "digest"], "sha256:" + sha("sha256").hexdigest(), "hash"),
        (["ga", "measurement", "id"], "G-" + rs(UPPER + DIGITS, 10), "public-id"),
        (["instance", "id"], "i-0" + hexs(16), "cloud-resource-id"),
        (["vpc", "id"], "vpc-0" + hexs(16), "cloud-resource-id"),
    ]
    words, v, kind = R.choice(choices)
    f.trap(assign(lang, words, v, indent=indent), kind)


def filler(lang):
    py = ["import logging", "from datetime import datetime, timezone", "logger = logging.getLogger(__name__)",
          "", "def health():", '    return {"status": "ok", "time": datetime.now(timezone.utc).isoformat()}',
          "", "class RetryPolicy:", "    max_attempts = 5", "    backoff_seconds = 1.5", ""]
    js = ["import express from 'express';", "const app = express();", "app.use(express.json());",
          "", "function retry(fn, attempts = 3) {", "  return fn().catch((e) => (attempts > 1 ? retry(fn, attempts - 1) : Promise.reject(e)));", "}", ""]
    go = ["package main", "", 'import (', '\t"log"', '\t"net/http"', '\t"os"', ')', "",
          "func health(w http.ResponseWriter, r *http.Request) {", '\tw.WriteHeader(http.StatusOK)', "}", ""]
    return {"py": py, "js": js, "ts": js, "go": go}.get(lang, [])


def gen_dotenv(repo, path=".env"):
    f = repo.file(path)
    f.p = 0.5
    f.add(f"# {R.choice(APPS)} service configuration", f"APP_ENV={R.choice(['production', 'staging', 'development'])}",
          f"PORT={R.choice([3000, 8000, 8080])}", f"LOG_LEVEL={R.choice(['info', 'debug'])}")
    for _ in range(R.randint(4, 9)):
        slot(f, "env")
        if R.random() < 0.3:
            nonsecret_slot(f, "env")
    if R.random() < 0.6:
        pw = password(url_safe=True)
        f.positive(f"DATABASE_URL={db_url(pw)}", Cred("db-url", "database", pw, []))
    else:
        f.trap(R.choice([f"DATABASE_URL=postgres://{R.choice(USERS)}:${{DB_PASSWORD}}@{host()}:5432/app",
                         f"DATABASE_URL=postgres://{R.choice(USERS)}@localhost:5432/app",
                         "DATABASE_URL=postgresql://user:password@localhost/dbname",
                         "REDIS_URL=redis://localhost:6379/0"]), "db-url-no-password")
    f.trap(R.choice(["DB_PASSWORD=", "SMTP_PASSWORD=", "# PASSWORD= (set in vault)", "ADMIN_PASSWORD="]), "password-field-name")


def gen_env_example(repo):
    f = repo.file(R.choice([".env.example", ".env.sample", ".env.template"]))
    f.p = 0.0
    f.add("# Copy to .env and fill in")
    for _ in range(R.randint(5, 10)):
        slot(f, "env", p=0.0)
    f.trap(f"AWS_ACCESS_KEY_ID={DOC_EXAMPLES[0][1]}", "documented-example")
    f.trap(f"AWS_SECRET_ACCESS_KEY={DOC_EXAMPLES[0][2]}", "documented-example")


def gen_python(repo, path):
    f = repo.file(path)
    f.p = repo.p_secret
    f.add("import os", "import json", "import hashlib", "import requests")
    f.add(*filler("py"))
    r = R.random()
    if r < 0.15:
        c = make_cred("aws-keypair")
        start = f.n + 1
        f.add("s3 = boto3.client(", '    "s3",', f'    aws_access_key_id="{c.pair[1]}",')
        f.add(f'    aws_secret_access_key="{c.value}",', ")")
        f.pos.append({"line": start + 2, "end_line": start + 3, "kind": c.kind, "family": c.family, "secret": c.value})
    elif r < 0.3:
        c = make_cred(R.choice(["openai", "anthropic", "stripe-live", "sendgrid"]))
        call = {"openai": "client = OpenAI(api_key={})", "anthropic": "client = anthropic.Anthropic(api_key={})",
                "stripe-live": "stripe.api_key = {}", "sendgrid": "sg = SendGridAPIClient({})"}[c.kind]
        f.positive(call.format(f'"{c.value}"'), c)
    else:
        f.trap(R.choice(['client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])', 'stripe.api_key = os.getenv("STRIPE_SECRET_KEY")',
                         's3 = boto3.client("s3")', 'sg = SendGridAPIClient(os.environ.get("SENDGRID_API_KEY"))']), "env-lookup")
    for _ in range(R.randint(2, 5)):
        slot(f, "py")
    for _ in range(R.randint(1, 3)):
        nonsecret_slot(f, "py")
    if R.random() < 0.35:
        c = make_cred("generic-password")
        c.value = quoted_password()
        f.positive(f'    conn = psycopg2.connect(host="{host()}", user="{R.choice(USERS)}", password="{c.value}", dbname="{R.choice(APPS)}")', c)
    # password field names without values / in logic
    f.trap(R.choice(['    password = request.form["password"]', "    if not check_password(user, password):",
                     '    password_field = forms.CharField(widget=forms.PasswordInput)', "def reset_password(token: str, new_password: str) -> None:",
                     '    hashed = hashlib.sha256(password.encode()).hexdigest()', "    token = generate_token(user_id)"]), "password-field-name")
    f.trap(f'    headers = {{"Authorization": f"Bearer {{token}}"}}', "templating")
    f.trap(f'EMPTY_SHA256 = "{hashlib.sha256(b"").hexdigest()}"', "hash")
    f.trap(f'DEFAULT_TRACE_ID = "{uuid4()}"', "uuid")


def gen_django_settings(repo):
    f = repo.file(f"{R.choice(APPS)}/settings.py")
    f.p = repo.p_secret
    f.add("from pathlib import Path", "import os", "", "BASE_DIR = Path(__file__).resolve().parent.parent", "")
    if R.random() < 0.55:
        c = make_cred("django-secret")
        f.positive(f"SECRET_KEY = '{c.value}'", c)
    else:
        f.trap(R.choice(["SECRET_KEY = os.environ['DJANGO_SECRET_KEY']", "SECRET_KEY = env('SECRET_KEY')",
                         "SECRET_KEY = get_random_secret_key()"]), "env-lookup")
    f.add("DEBUG = False", "ALLOWED_HOSTS = ['*']", "", "DATABASES = {", "    'default': {",
          "        'ENGINE': 'django.db.backends.postgresql',", f"        'NAME': '{R.choice(APPS)}',",
          f"        'USER': '{R.choice(USERS)}',")
    if R.random() < 0.4:
        c = make_cred("generic-password")
        c.value = quoted_password()
        f.positive(f"        'PASSWORD': '{c.value}',", c)
    else:
        f.trap(R.choice(["        'PASSWORD': os.environ.get('DB_PASSWORD', ''),", "        'PASSWORD': '',",
                         "        'PASSWORD': env('DATABASE_PASSWORD'),"]), "env-lookup")
    f.add(f"        'HOST': '{host()}',", "        'PORT': 5432,", "    }", "}", "")
    f.add("AUTH_PASSWORD_VALIDATORS = [")
    f.trap("    {'NAME': 'django.contrib.auth.password_validation.UserAttributeSimilarityValidator'},", "password-field-name")
    f.trap("    {'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'},", "password-field-name")
    f.add("]", "PASSWORD_HASHERS = ['django.contrib.auth.hashers.Argon2PasswordHasher']")
    f.trap("PASSWORD_RESET_TIMEOUT = 259200", "password-field-name")
    f.trap("CSRF_COOKIE_NAME = 'csrftoken'", "password-field-name")
    f.add("EMAIL_HOST = 'smtp.sendgrid.net'", "EMAIL_HOST_USER = 'apikey'")
    slot(f, "py", kinds={"sendgrid": 1, "generic-password": 1})


def gen_js(repo, path, lang):
    f = repo.file(path)
    f.p = repo.p_secret
    f.add(*filler(lang))
    f.add("export const config = {")
    for _ in range(R.randint(2, 5)):
        slot(f, "js-prop", indent="  ")
    f.add(f"  region: '{R.choice(['us-east-1', 'eu-central-1'])}',", "};", "")
    for _ in range(R.randint(1, 3)):
        slot(f, lang)
    if R.random() < 0.3:
        c = make_cred("stripe-live")
        f.positive(f"const stripe = new Stripe('{c.value}', {{ apiVersion: '2024-06-20' }});", c)
    else:
        f.trap(R.choice(["const stripe = new Stripe(process.env.STRIPE_SECRET_KEY);", "const pub = loadStripe('" + test_key() + "');"]), "env-lookup")
    f.trap(R.choice(['<input type="password" name="password" autocomplete="current-password" />',
                     "  if (password !== confirmPassword) throw new Error('Passwords do not match');",
                     "const PASSWORD_REGEX = /^(?=.*[A-Z])(?=.*\\d).{12,}$/;",
                     "const token = req.headers.authorization?.split(' ')[1];"]), "password-field-name")
    f.trap(f"const CHUNK = '{hexs(20)}'; // webpack chunk id", "webpack-chunk-id")
    f.trap(f"import styles from './Button.module.css'; // {R.choice(['button', 'card'])}_{mixed(5)}__{mixed(5)}", "css-class-hash")
    for _ in range(R.randint(0, 2)):
        nonsecret_slot(f, "js-prop", indent="  ")


def gen_go(repo):
    f = repo.file(R.choice(["cmd/server/main.go", "internal/config/config.go", "pkg/client/client.go"]))
    f.p = repo.p_secret
    f.add(*filler("go"))
    f.add("func loadConfig() Config {")
    for _ in range(R.randint(2, 4)):
        slot(f, "go", indent="\t")
    nonsecret_slot(f, "go", indent="\t")
    f.add("\treturn Config{}", "}", "")
    if R.random() < 0.3:
        c = make_cred(R.choice(["github-pat", "gitlab-pat", "slack-bot", "digitalocean"]))
        f.positive(f'const defaultToken = "{c.value}"', c)
    f.trap('\tif os.Getenv("API_TOKEN") == "" {', "env-lookup")
    f.add('\t\tlog.Fatal("missing API_TOKEN")', "\t}")


def gen_java(repo):
    base = f"src/main/java/com/{company()}/{R.choice(APPS)}"
    f = repo.file(f"{base}/Config.java")
    f.p = repo.p_secret
    f.add(f"package com.{company()}.{R.choice(APPS)};", "", "public final class Config {")
    for _ in range(R.randint(2, 4)):
        slot(f, "java", indent="    ")
    f.trap('    @Value("${spring.datasource.password}")', "templating")
    f.add("    private String dbPassword;")
    f.add("}")
    p = repo.file("src/main/resources/application.properties")
    p.p = repo.p_secret
    p.add(f"spring.application.name={R.choice(APPS)}", "server.port=8080")
    pw = make_cred("generic-password")
    p.add(f"spring.datasource.url=jdbc:postgresql://{host()}:5432/{R.choice(APPS)}", f"spring.datasource.username={R.choice(USERS)}")
    if R.random() < 0.5:
        p.positive(f"spring.datasource.password={pw.value}", pw)
    else:
        p.trap(R.choice(["spring.datasource.password=${DB_PASSWORD}", "spring.datasource.password=", "spring.datasource.password=${vcap.services.db.credentials.password}"]), "env-lookup")
    for _ in range(R.randint(1, 3)):
        slot(p, "props")
    if R.random() < 0.3:
        c = make_cred("generic-password")
        p.positive(f"spring.mail.password={c.value}", c)
    p.trap("management.endpoints.web.exposure.include=health,info", "filler")
    if R.random() < 0.4:
        m = repo.file(R.choice([".mvn/settings.xml", "settings.xml"]))
        m.add("<settings>", "  <servers>", "    <server>", f"      <id>{company()}-releases</id>", f"      <username>{R.choice(USERS)}</username>")
        if R.random() < 0.5:
            c = make_cred("generic-password")
            m.positive(f"      <password>{c.value.replace('&', '-').replace('<', '-')}</password>", Cred("maven-settings-password", "config-file", c.value.replace('&', '-').replace('<', '-'), []))
        else:
            if R.random() < 0.5:
                m.trap("      <password>${env.NEXUS_PASSWORD}</password>", "templating")
            else:  # encrypted with the master password (mvn --encrypt-password)
                m.trap(f"      <password>{{{b64(rbytes(R.choice([24, 32, 48])))}}}</password>", "maven-encrypted-password")
        m.add("    </server>", "  </servers>", "</settings>")
    if R.random() < 0.3:
        g = repo.file("gradle.properties")
        g.p = 0.6
        g.add("org.gradle.jvmargs=-Xmx2g", "org.gradle.parallel=true")
        slot(g, "props", kinds={"generic-password": 1})
        g.trap(f"signing.keyId={hexs(8).upper()}", "public-id")


def gen_ruby(repo):
    f = repo.file(f"config/initializers/{R.choice(['stripe', 'sentry', 'integrations', 'aws'])}.rb")
    f.p = repo.p_secret
    f.add("# frozen_string_literal: true", "")
    if R.random() < 0.4:
        c = make_cred(R.choice(["stripe-live", "sendgrid", "twilio-auth-token", "github-pat"]))
        lhs = {"stripe-live": "Stripe.api_key", "sendgrid": "SendGrid.api_key", "twilio-auth-token": "Twilio.auth_token", "github-pat": "Octokit.access_token"}[c.kind]
        f.positive(f"{lhs} = '{c.value}'", c)
    else:
        f.trap("Stripe.api_key = ENV.fetch('STRIPE_SECRET_KEY')", "env-lookup")
    for _ in range(R.randint(1, 3)):
        slot(f, "rb")
    d = repo.file("config/database.yml")
    d.p = repo.p_secret
    d.add("default: &default", "  adapter: postgresql", "  encoding: unicode", "  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 5 } %>", "",
          "development:", "  <<: *default", f"  database: {R.choice(APPS)}_development")
    d.trap("  password: <%= ENV['DATABASE_PASSWORD'] %>", "templating")
    d.add("", "production:", "  <<: *default", f"  database: {R.choice(APPS)}_production", f"  username: {R.choice(USERS)}")
    if R.random() < 0.45:
        c = make_cred("generic-password")
        d.positive(f"  password: {c.value}", c)
    else:
        d.trap(R.choice(["  password: <%= Rails.application.credentials.dig(:db, :password) %>", "  password:"]), "templating")
    d.add(f"  host: {host()}")


def gen_terraform(repo):
    f = repo.file(R.choice(["infra/main.tf", "terraform/main.tf", "main.tf"]))
    f.p = repo.p_secret
    f.add('terraform {', '  required_version = ">= 1.5"', '  backend "s3" {', f'    bucket = "{company()}-tfstate"', '    key    = "prod/terraform.tfstate"', '  }', '}', '')
    f.add('provider "aws" {', '  region = "us-east-1"')
    if R.random() < 0.3:
        c = make_cred("aws-keypair")
        start = f.n + 1
        f.add(f'  access_key = "{c.pair[1]}"', f'  secret_key = "{c.value}"')
        f.pos.append({"line": start, "end_line": f.n, "kind": c.kind, "family": c.family, "secret": c.value})
    else:
        f.trap(R.choice(['  profile = "prod"', "  access_key = var.aws_access_key", '  assume_role { role_arn = "arn:aws:iam::123456789012:role/deploy" }']), "env-lookup")
    f.add('}', '', 'resource "aws_db_instance" "main" {', f'  identifier        = "{R.choice(APPS)}-db"', '  engine            = "postgres"',
          '  instance_class    = "db.t3.medium"', f'  username          = "{R.choice(USERS).replace("-", "_")}"')
    if R.random() < 0.4:
        c = make_cred("generic-password")
        c.value = quoted_password()
        f.positive(f'  password          = "{c.value}"', c)
    else:
        f.trap(R.choice(["  password          = random_password.db.result", "  password          = var.db_password",
                         "  manage_master_user_password = true"]), "env-lookup")
    f.add('}', '')
    f.add('resource "aws_key_pair" "deploy" {', '  key_name   = "deploy"')
    f.trap(f'  public_key = "{ssh_pub()}"', "public-key")
    f.add('}', '', 'provider "azurerm" {', '  features {}')
    f.trap(f'  tenant_id       = "{uuid4()}"', "uuid")
    f.trap(f'  subscription_id = "{uuid4()}"', "uuid")
    f.trap(f'  client_id       = "{uuid4()}"', "uuid")
    slot(f, "tf", indent="  ", kinds={"azure-entra-secret": 3, "generic-api-key": 1})
    f.add('}', '')
    v = repo.file(f.path.rsplit("/", 1)[0] + "/variables.tf" if "/" in f.path else "variables.tf")
    v.p = 0.0
    for w in (["db", "password"], ["api", "token"], ["datadog", "api", "key"]):
        v.add(f'variable "{ident(w, "snake")}" {{', '  type      = string', '  sensitive = true')
        v.trap(R.choice(['  default   = ""', '  default   = "changeme"', '  description = "The password; set TF_VAR_db_password"']), "placeholder")
        v.add('}', '')
    if R.random() < 0.5:
        t = repo.file(R.choice(["terraform.tfvars", "prod.auto.tfvars"]))
        t.p = 0.6
        for _ in range(R.randint(2, 4)):
            slot(t, "tf")
    lock = repo.file(".terraform.lock.hcl")
    lock.add("# This file is maintained automatically by \"terraform init\".", "")
    for prov in ("hashicorp/aws", "hashicorp/azurerm", "hashicorp/random"):
        lock.add(f'provider "registry.terraform.io/{prov}" {{', f'  version     = "5.{R.randint(0, 60)}.0"', '  hashes = [')
        lock.trap(f'    "h1:{b64(rbytes(32))}",', "lockfile-hash")
        for _ in range(4):
            lock.trap(f'    "zh:{sha("sha256").hexdigest()}",', "lockfile-hash")
        lock.add('  ]', '}', '')


def gen_k8s(repo):
    app = R.choice(APPS)
    d = repo.file(f"k8s/{app}-deployment.yaml")
    d.p = repo.p_secret
    d.add("apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {app}", "spec:", "  replicas: 2",
          "  template:", "    spec:", "      containers:", f"        - name: {app}")
    d.trap(f"          image: ghcr.io/{company()}/{app}@sha256:{sha('sha256').hexdigest()}", "hash")
    d.add("          env:")
    for _ in range(R.randint(2, 4)):
        if R.random() < d.p:
            c = make_cred(pick_kind({k: v for k, v in SLOT_KINDS.items() if k != "aws-keypair"}))
            d.add(f"            - name: {ident(R.choice(c.names), 'UPPER')}")
            d.positive(f'              value: "{c.value}"', c)
        else:
            n = ident(R.choice(make_cred(pick_kind()).names), "UPPER")
            d.add(f"            - name: {n}", "              valueFrom:", "                secretKeyRef:", f"                  name: {app}-secrets")
            d.trap(f"                  key: {n.lower().replace('_', '-')}", "password-field-name")
    d.add("            - name: LOG_LEVEL", '              value: "info"')
    # Secret manifest with base64 data
    s = repo.file(f"k8s/{app}-secret.yaml")
    s.add("apiVersion: v1", "kind: Secret", "metadata:", f"  name: {app}-secrets", "type: Opaque", "data:")
    s.trap(f"  DB_HOST: {b64(host().encode())}", "base64-non-secret")
    s.trap(f"  DB_USER: {b64(R.choice(USERS).encode())}", "base64-non-secret")
    for _ in range(R.randint(1, 3)):
        if R.random() < 0.6:
            c = make_cred(R.choice(["github-pat", "generic-password", "slack-bot", "stripe-live", "generic-api-key", "sendgrid"]))
            enc = b64(c.value.encode())
            name = ident(R.choice(c.names), "UPPER")
            s.positive(f"  {name}: {enc}", Cred(c.kind + "-base64", c.family, c.value, []), value=enc)
        else:
            s.trap(f"  {R.choice(['API_TOKEN', 'DB_PASSWORD'])}: {b64(R.choice(['changeme', 'password', 'placeholder']).encode())}", "base64-placeholder")
    if R.random() < 0.4:
        s.add("stringData:")
        c = make_cred(R.choice(["generic-password", "openai", "datadog-api-key"]))
        s.positive(f"  {ident(R.choice(c.names), 'snake')}: \"{c.value}\"", c)
    # helm
    if R.random() < 0.6:
        v = repo.file("charts/app/values.yaml")
        v.p = repo.p_secret * 0.6
        v.add(f"replicaCount: 2", "image:", f"  repository: ghcr.io/{company()}/{app}", '  tag: "1.4.2"', "", "postgresql:", "  auth:", "    username: app")
        slot(v, "yaml", indent="    ", kinds={"generic-password": 1})
        v.add("", "secrets:")
        for _ in range(R.randint(1, 3)):
            slot(v, "yaml", indent="  ")
        t = repo.file("charts/app/templates/secret.yaml")
        t.add("apiVersion: v1", "kind: Secret", "metadata:", "  name: {{ include \"app.fullname\" . }}", "data:")
        t.trap("  db-password: {{ .Values.postgresql.auth.password | b64enc | quote }}", "templating")
        t.trap("  api-token: {{ required \"secrets.apiToken\" .Values.secrets.apiToken | b64enc }}", "templating")


def gen_compose(repo):
    f = repo.file(R.choice(["docker-compose.yml", "compose.yaml"]))
    f.p = repo.p_secret
    f.add("services:", "  db:", "    image: postgres:16", "    environment:")
    if R.random() < 0.5:
        f.trap(f"      POSTGRES_PASSWORD: {R.choice(['postgres', 'example', 'password', '${POSTGRES_PASSWORD:-postgres}'])}", "dev-default-password")
    else:
        c = make_cred("generic-password")
        f.positive(f"      POSTGRES_PASSWORD: {c.value}", c)
    f.add("  app:", f"    build: .", "    environment:")
    for _ in range(R.randint(2, 4)):
        slot(f, "yaml-upper", indent="      ")
    f.add('    ports:', '      - "8080:8080"')


def gen_ci(repo):
    f = repo.file(".github/workflows/ci.yml")
    f.add("name: ci", "on: [push, pull_request]", "permissions:", "  contents: read", "jobs:", "  test:", "    runs-on: ubuntu-latest", "    steps:")
    f.trap(f"      - uses: actions/checkout@{sha('sha1').hexdigest()} # v4.2.2", "git-sha")
    f.trap(f"      - uses: actions/setup-node@{sha('sha1').hexdigest()} # v4", "git-sha")
    f.add("      - run: npm ci && npm test", "        env:")
    f.trap("          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}", "templating")
    f.trap("          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}", "templating")
    f.trap("          DATABASE_URL: postgres://postgres:postgres@localhost:5432/test", "dev-default-password")
    if R.random() < 0.25:
        c = make_cred(R.choice(["slack-webhook", "npm", "sendgrid", "github-pat"]))
        f.add("      - name: notify", "        run: |")
        f.positive(f"          curl -sS -X POST -d @payload.json {c.value}" if c.kind == "slack-webhook" else
                   f"          echo \"//registry.npmjs.org/:_authToken={c.value}\" > ~/.npmrc" if c.kind == "npm" else
                   f"          curl -H 'Authorization: Bearer {c.value}' https://api.{company()}.com/deploy", c)
    if R.random() < 0.5:
        g = repo.file(".gitlab-ci.yml")
        g.p = repo.p_secret * 0.7
        g.add("stages: [test, deploy]", "variables:")
        g.trap('  DOCKER_DRIVER: overlay2', "filler")
        for _ in range(R.randint(1, 3)):
            slot(g, "yaml-upper", indent="  ")
        g.add("deploy:", "  stage: deploy", "  script:")
        g.trap('    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"', "env-lookup")
        g.trap('    - curl --header "JOB-TOKEN: $CI_JOB_TOKEN" "${CI_API_V4_URL}/projects"', "env-lookup")


def gen_tool_configs(repo):
    r = R.random()
    if r < 0.5:
        f = repo.file(".npmrc")
        f.add("registry=https://registry.npmjs.org/", "save-exact=true")
        if R.random() < 0.6:
            c = make_cred("npm")
            f.positive(f"//registry.npmjs.org/:_authToken={c.value}", c)
        else:
            f.trap("//registry.npmjs.org/:_authToken=${NPM_TOKEN}", "env-lookup")
        if R.random() < 0.3:
            c = Cred("npmrc-basic-auth", "config-file", b64(f"{R.choice(USERS)}:{strong_password()}".encode()), [])
            f.add(f"@{company()}:registry=https://{company()}.jfrog.io/artifactory/api/npm/npm/")
            f.positive(f"//{company()}.jfrog.io/artifactory/api/npm/npm/:_auth={c.value}", c)
    if R.random() < 0.4:
        f = repo.file(".pypirc")
        f.add("[distutils]", "index-servers =", "    pypi", "", "[pypi]", "username = __token__")
        if R.random() < 0.65:
            c = make_cred("pypi")
            f.positive(f"password = {c.value}", c)
        else:
            f.trap("password = <your PyPI token>", "placeholder")
    if R.random() < 0.3:
        f = repo.file(".netrc")
        c = Cred("netrc-password", "config-file", strong_password(), [])
        f.positive(f"machine {host('git')} login {R.choice(USERS)} password {c.value}", c)
        f.trap("machine api.heroku.com login me@localhost password $HEROKU_API_KEY", "env-lookup")
    if R.random() < 0.3:
        f = repo.file(".git-credentials")
        c = make_cred(R.choice(["github-pat", "gitlab-pat"]))
        hostn = "github.com" if c.kind == "github-pat" else f"gitlab.{company()}.com"
        f.positive(f"https://{R.choice(USERS)}:{c.value}@{hostn}", Cred(c.kind, c.family, c.value, []))
    if R.random() < 0.35:
        f = repo.file(".docker/config.json")
        f.add("{", '  "auths": {')
        reg = R.choice(["https://index.docker.io/v1/", "ghcr.io", f"registry.{company()}.io", f"{R.randint(10**11, 10**12 - 1)}.dkr.ecr.us-east-1.amazonaws.com"])
        f.add(f'    "{reg}": {{')
        c = Cred("docker-config-auth", "config-file", b64(f"{R.choice(USERS)}:{strong_password()}".encode()), [])
        f.positive(f'      "auth": "{c.value}"', c)
        f.add("    }", "  },")
        f.trap('  "credsStore": "desktop"', "password-field-name")
        f.add("}")
    if R.random() < 0.35:
        f = repo.file(R.choice([".kube/config", "deploy/kubeconfig.yaml"]))
        ca = b64("\n".join(cert_lines()).encode() + b"\n")
        f.add("apiVersion: v1", "kind: Config", "clusters:", "- cluster:")
        f.trap(f"    certificate-authority-data: {ca}", "certificate")
        f.add(f"    server: https://{R.choice(['10.0.0.1', 'k8s.' + company() + '.internal'])}:6443", "  name: prod",
              "contexts:", "- context:", "    cluster: prod", "    user: deployer", "  name: prod", "current-context: prod",
              "users:", "- name: deployer", "  user:")
        if R.random() < 0.5:
            key = b64(("\n".join(private_key_lines(R.choice(["rsa", "ec"]))) + "\n").encode())
            f.trap(f"    client-certificate-data: {b64(chr(10).join(cert_lines()).encode())}", "certificate")
            f.positive(f"    client-key-data: {key}", Cred("kubeconfig-client-key", "config-file", key, []))
        else:
            tok = jwt({"iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "ci",
                       "kubernetes.io/serviceaccount/service-account.name": "deployer", "sub": "system:serviceaccount:ci:deployer"})
            f.positive(f"    token: {tok}", Cred("kubeconfig-token", "config-file", tok, []))


def gen_keys(repo):
    if R.random() < 0.45:
        kind = R.choice(["rsa", "pkcs8", "ec", "openssh"])
        path = {"openssh": R.choice(["deploy/id_ed25519", "ansible/files/deploy_key"]), "ec": "certs/server-ec.key"}.get(kind, R.choice(["certs/server.key", "config/ssl/private.pem", "tls/tls.key"]))
        f = repo.file(path)
        lines = private_key_lines(kind)
        f.positive_block(lines, Cred(f"private-key-{kind}", "private-key", lines[1], []))
    if R.random() < 0.5:
        f = repo.file(R.choice(["certs/server.crt", "config/ssl/ca.pem", "tls/tls.crt"]))
        f.trap_block(cert_lines(), "certificate")
        if R.random() < 0.5:
            f.trap_block(cert_lines(), "certificate")
    if R.random() < 0.4:
        f = repo.file(R.choice(["deploy/id_ed25519.pub", "keys/jwt-public.pem"]))
        if f.path.endswith(".pub"):
            f.trap(ssh_pub(), "public-key")
        else:
            f.trap_block(public_key_lines(), "public-key")
    if R.random() < 0.25:
        # PEM embedded in source code
        f = repo.file(R.choice(["app/signing.py", "tests/fixtures/keys.py"]))
        f.add("from cryptography.hazmat.primitives import serialization", "")
        if R.random() < 0.6:
            lines = private_key_lines(R.choice(["rsa", "pkcs8"]))
            f.add('SIGNING_KEY = """\\')
            f.positive_block(lines, Cred("private-key-in-code", "private-key", lines[1], []))
            f.add('"""')
        else:
            f.add('PUBLIC_KEY = """\\')
            f.trap_block(public_key_lines(), "public-key")
            f.add('"""')
    if R.random() < 0.3:
        f = repo.file(R.choice(["credentials/gcp-service-account.json", "secrets/sa.json"]))
        pk = "\\n".join(private_key_lines("pkcs8")) + "\\n"
        proj = f"{company()}-{R.choice(APPS)}-{R.randint(100000, 999999)}"
        f.add("{", '  "type": "service_account",', f'  "project_id": "{proj}",', f'  "private_key_id": "{hexs(40)}",')
        c = Cred("gcp-service-account", "cloud", pk[:80], [])
        f.positive(f'  "private_key": "{pk}",', c)
        f.add(f'  "client_email": "deployer@{proj}.iam.gserviceaccount.com",', f'  "client_id": "{R.randint(10**20, 10**21 - 1)}",',
              '  "auth_uri": "https://accounts.google.com/o/oauth2/auth",', '  "token_uri": "https://oauth2.googleapis.com/token"', "}")


def gen_notebook(repo):
    f = repo.file(f"notebooks/{R.choice(['exploration', 'analysis', 'training', 'eval'])}.ipynb")
    f.p = repo.p_secret
    f.add("{", ' "cells": [')
    ncells = R.randint(2, 4)
    for ci in range(ncells):
        f.add("  {", '   "cell_type": "code",', f'   "execution_count": {ci + 1},', '   "metadata": {},')
        if ci == 0 and R.random() < 0.5:
            f.add('   "outputs": [', "    {", '     "data": {')
            f.trap(f'      "image/png": "{png(R.randint(600, 1500))}",', "base64-image")
            f.add('      "text/plain": [', '       "<Figure size 640x480 with 1 Axes>"', "      ]", "     },",
                  '     "metadata": {},', '     "output_type": "display_data"', "    }", "   ],")
        else:
            f.add('   "outputs": [],')
        f.add('   "source": [')
        f.add('    "import os\\n",')
        r = R.random()
        if r < f.p:
            c = make_cred(R.choice(["openai", "anthropic", "huggingface", "aws-keypair", "generic-api-key", "google-api-key"]))
            if c.pair:
                start = f.n + 1
                f.add(f'    "os.environ[\\"AWS_ACCESS_KEY_ID\\"] = \\"{c.pair[1]}\\"\\n",',
                      f'    "os.environ[\\"AWS_SECRET_ACCESS_KEY\\"] = \\"{c.value}\\"\\n",')
                f.pos.append({"line": start, "end_line": f.n, "kind": c.kind, "family": c.family, "secret": c.value})
            else:
                n = ident(R.choice(c.names), "UPPER")
                f.positive(R.choice([f'    "os.environ[\\"{n}\\"] = \\"{c.value}\\"\\n",', f'    "{n.lower()} = \\"{c.value}\\"\\n",']), c)
        else:
            f.trap('    "openai.api_key = os.environ[\\"OPENAI_API_KEY\\"]\\n",', "env-lookup")
        f.add('    "df = load_frame(\\"s3://bucket/path\\")"', "   ]", "  }" + ("," if ci < ncells - 1 else ""))
    f.add(" ],", ' "metadata": {', '  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}', " },",
          ' "nbformat": 4,', ' "nbformat_minor": 5', "}")


def gen_markdown(repo):
    f = repo.file("README.md")
    app = R.choice(APPS)
    f.add(f"# {company()}-{app}", "", f"Service that handles {app}.", "", "## Setup", "", "```sh")
    f.trap("export GITHUB_TOKEN=<your personal access token>", "placeholder")
    f.trap(f"export OPENAI_API_KEY=sk-...", "placeholder")
    f.trap(f"export AWS_ACCESS_KEY_ID={DOC_EXAMPLES[1][1]}", "documented-example")
    f.add("```", "", "Build status: ![ci](https://github.com/org/repo/actions/workflows/ci.yml/badge.svg)")
    f.trap(f"![logo](data:image/png;base64,{png(300)})", "base64-image")
    f.trap(f"Released in commit {sha('sha1').hexdigest()} (see CHANGELOG).", "git-sha")
    if R.random() < 0.35:
        c = make_cred(R.choice(["github-pat", "slack-webhook", "openai", "stripe-live", "gitlab-pat", "generic-password"]))
        f.add("", "## Quick test", "", "```sh")
        if c.kind == "generic-password":
            pw = password(url_safe=True)
            f.positive(f"psql \"postgresql://{R.choice(USERS)}:{pw}@{host()}:5432/{app}\"", Cred("db-url", "database", pw, []))
        else:
            f.positive(f"curl -H \"Authorization: Bearer {c.value}\" https://api.{company()}.com/v1/status" if c.kind != "slack-webhook" else f"curl -X POST -d '{{\"text\":\"hi\"}}' {c.value}", c)
        f.add("```")
    d = repo.file("CHANGELOG.md")
    d.add("# Changelog", "")
    for i in range(R.randint(3, 6)):
        d.trap(f"- {R.choice(['fix', 'feat', 'chore'])}: {R.choice(['rotate', 'refresh', 'validate'])} tokens on login ({sha('sha1').hexdigest()[:R.choice([7, 40])]})", "git-sha")


def gen_shell(repo):
    f = repo.file(R.choice(["scripts/deploy.sh", "bin/release.sh", "ops/backup.sh"]))
    f.p = repo.p_secret
    f.add("#!/usr/bin/env bash", "set -euo pipefail", "")
    for _ in range(R.randint(1, 3)):
        slot(f, "sh")
    f.trap(f'echo "{sha("sha256").hexdigest()}  terraform_1.9.5_linux_amd64.zip" | sha256sum -c -', "hash")
    f.trap('curl -fsSL -H "Authorization: token ${GITHUB_TOKEN}" https://api.github.com/user', "env-lookup")
    if R.random() < 0.35:
        c = make_cred(R.choice(["github-pat", "slack-bot", "datadog-api-key", "generic-password", "dockerhub"]))
        line = {
            "github-pat": f'git clone https://x-access-token:{c.value}@github.com/{company()}/{R.choice(APPS)}.git',
            "slack-bot": f'curl -s -H "Authorization: Bearer {c.value}" -d channel=C{rs(UPPER + DIGITS, 10)} https://slack.com/api/chat.postMessage',
            "datadog-api-key": f'curl -X POST "https://api.datadoghq.com/api/v1/series" -H "DD-API-KEY: {c.value}" -d @metrics.json',
            "generic-password": f'mysql -h {host()} -u {R.choice(USERS)} -p\'{c.value}\' < dump.sql',
            "dockerhub": f'echo "{c.value}" | docker login -u {R.choice(USERS)} --password-stdin',
        }[c.kind]
        f.positive(line, c)
    f.trap('read -rsp "Password: " PASSWORD', "password-field-name")


def gen_lockfiles(repo):
    if R.random() < 0.6:
        f = repo.file("package-lock.json")
        f.add("{", f'  "name": "{R.choice(APPS)}",', '  "lockfileVersion": 3,', '  "packages": {')
        for i in range(R.randint(15, 30)):
            name = R.choice(["lodash", "react", "express", "debug", "ms", "chalk", "semver", "yaml", "uuid", "tslib"]) + (f"-{i}" if i > 9 else "")
            f.add(f'    "node_modules/{name}": {{', f'      "version": "{R.randint(1, 9)}.{R.randint(0, 20)}.{R.randint(0, 9)}",',
                  f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",')
            f.trap(f'      "integrity": "sha512-{b64(rbytes(64))}"' + ("," if i % 3 else ""), "lockfile-hash")
            if i % 3:
                f.add('      "license": "MIT"')
            f.add("    },")
        f.add('    "": {}', "  }", "}")
    if R.random() < 0.3:
        f = repo.file("yarn.lock")
        for i in range(R.randint(8, 15)):
            f.add(f'"pkg-{i}@^1.0.0":', f'  version "1.{i}.0"', f'  resolved "https://registry.yarnpkg.com/pkg-{i}/-/pkg-{i}-1.{i}.0.tgz#{sha("sha1").hexdigest()}"')
            f.trap(f"  integrity sha512-{b64(rbytes(64))}", "lockfile-hash")
            f.add("")
    if R.random() < 0.4:
        f = repo.file("go.sum")
        for i in range(R.randint(10, 20)):
            mod = f"github.com/{R.choice(COMPANIES)}/{R.choice(APPS)} v1.{i}.0"
            f.trap(f"{mod} h1:{b64(rbytes(32))}", "lockfile-hash")
            f.trap(f"{mod}/go.mod h1:{b64(rbytes(32))}", "lockfile-hash")
    if R.random() < 0.3:
        f = repo.file("Cargo.lock")
        f.add("# This file is automatically @generated by Cargo.", "version = 4", "")
        for i in range(R.randint(8, 15)):
            f.add("[[package]]", f'name = "crate-{i}"', f'version = "0.{i}.1"', 'source = "registry+https://github.com/rust-lang/crates.io-index"')
            f.trap(f'checksum = "{sha("sha256").hexdigest()}"', "lockfile-hash")
            f.add("")
    if R.random() < 0.4:
        f = repo.file("requirements.txt")
        for pkg in R.sample(["requests", "boto3", "django", "flask", "numpy", "pandas", "urllib3", "certifi", "idna"], 5):
            f.add(f"{pkg}==2.{R.randint(0, 30)}.{R.randint(0, 9)} \\")
            f.trap(f"    --hash=sha256:{sha('sha256').hexdigest()} \\", "lockfile-hash")
            f.trap(f"    --hash=sha256:{sha('sha256').hexdigest()}", "lockfile-hash")
    if R.random() < 0.25:
        f = repo.file("poetry.lock")
        for i in range(R.randint(4, 8)):
            f.add("[[package]]", f'name = "lib{i}"', f'version = "1.{i}.0"', "files = [")
            f.trap(f'    {{file = "lib{i}-1.{i}.0-py3-none-any.whl", hash = "sha256:{sha("sha256").hexdigest()}"}},', "lockfile-hash")
            f.add("]", "")
    if R.random() < 0.2:
        f = repo.file("composer.lock")
        f.add("{", '    "packages": [', "        {", '            "name": "monolog/monolog",', '            "source": {', '                "type": "git",')
        f.trap(f'                "reference": "{sha("sha1").hexdigest()}"', "git-sha")
        f.add("            },", '            "dist": {')
        f.trap(f'                "shasum": "{sha("sha1").hexdigest()}"', "hash")
        f.add("            }", "        }", "    ]", "}")


def gen_web(repo):
    f = repo.file(f"public/static/js/main.{hexs(8)}.js")
    parts = []
    pos_cred = None
    for i in range(R.randint(30, 60)):
        r = R.random()
        if r < 0.3:
            parts.append(f'{hexs(4)}:function(e,t,n){{"use strict";n.r(t),n.d(t,{{default:function(){{return {rs(LOWER, 1)}}}}})}}')
        elif r < 0.5:
            parts.append(f'{rs(LOWER, 1)}.{rs(LOWER, 2)}="static/js/{R.randint(100, 999)}.{hexs(8)}.chunk.js"')
        elif r < 0.65:
            parts.append(f'className:"{R.choice(["Button", "Card", "Nav"])}_root__{mixed(5, ALNUM + "_-")} {mixed(6, LOWER)}"')
        elif r < 0.75:
            parts.append(f'src:"data:image/svg+xml;base64,{b64(rbytes(R.randint(60, 200)))}"')
        elif r < 0.85:
            parts.append(f'integrity:"sha384-{b64(rbytes(48))}"')
        else:
            parts.append(f'{rs(LOWER, 1)}=function(){{return {rs(LOWER, 1)}.apply(this,arguments)}}')
    if R.random() < 0.35:
        pos_cred = make_cred(R.choice(["stripe-live", "google-api-key", "slack-webhook", "sendgrid", "openai"]))
        parts.insert(R.randrange(len(parts)), f'{rs(LOWER, 1)}.{R.choice(["apiKey", "secretKey", "token"])}="{pos_cred.value}"')
    line = "!function(){var e={" + ",".join(parts) + "}}();"
    if pos_cred:
        f.positive(line, pos_cred)
    else:
        f.trap(line, "minified-js")
    f.add("//# sourceMappingURL=main.js.map")
    h = repo.file("public/index.html")
    h.add("<!doctype html>", "<html>", "<head>", '<meta charset="utf-8">')
    h.trap(f'<script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js" integrity="sha384-{b64(rbytes(48))}" crossorigin="anonymous"></script>', "hash")
    h.trap(f'<link rel="icon" href="data:image/png;base64,{png(200)}">', "base64-image")
    h.add("</head>", '<body><div id="root"></div>')
    h.trap('<form><input type="password" name="password" placeholder="Password"></form>', "password-field-name")
    h.add("</body>", "</html>")
    c = repo.file(f"public/static/css/main.{hexs(8)}.css")
    c.trap(f'.logo{{background:url(data:image/png;base64,{png(400)})}}.Button_root__{mixed(5)}{{color:red}}', "base64-image")


def gen_gitignore(repo):
    f = repo.file(".gitignore")
    f.add("node_modules/", "__pycache__/", "*.pyc", "build/", ".terraform/", "*.log", ".DS_Store", "coverage/")


GENERATORS = [
    (gen_dotenv, 0.75), (gen_env_example, 0.6), (gen_django_settings, 0.4), (gen_go, 0.35), (gen_java, 0.35),
    (gen_ruby, 0.3), (gen_terraform, 0.45), (gen_k8s, 0.5), (gen_compose, 0.55), (gen_ci, 0.8),
    (gen_tool_configs, 0.8), (gen_keys, 0.8), (gen_notebook, 0.3), (gen_markdown, 1.0), (gen_shell, 0.6),
    (gen_lockfiles, 0.9), (gen_web, 0.45), (gen_gitignore, 1.0),
]


def gen_repo(i):
    name = f"repo-{i:03d}-{company()}-{R.choice(APPS)}"
    repo = Repo(name)
    repo.p_secret = R.uniform(0.25, 0.5)
    for fn, p in GENERATORS:
        if R.random() < p:
            fn(repo)
    for _ in range(R.randint(1, 3)):
        gen_python(repo, f"{R.choice(['app', 'src', 'service'])}/{R.choice(['client', 'jobs', 'integrations', 'tasks', 'billing'])}_{R.randint(1, 99)}.py")
    for _ in range(R.randint(0, 2)):
        lang = R.choice(["js", "ts"])
        gen_js(repo, f"src/{R.choice(['api', 'lib', 'services'])}/{R.choice(['client', 'config', 'payments', 'notify'])}{R.randint(1, 99)}.{lang}", lang)
    return repo


def main():
    global R
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder (repos/ and labels.json go here)")
    ap.add_argument("--repos", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    R = random.Random(args.seed)
    root = os.path.join(args.out, "repos")
    if os.path.exists(root):
        shutil.rmtree(root)
    positives, traps = [], []
    nfiles = 0
    for i in range(args.repos):
        repo = gen_repo(i)
        seen = set()
        for f in repo.files:
            k = 2
            orig = f.path
            while f.path in seen:  # the same path twice: number the later file
                d, _, b = orig.rpartition("/")
                stem, dot, ext = b[1:].partition(".") if b.startswith(".") else b.partition(".")
                stem = ("." if b.startswith(".") else "") + stem
                f.path = (d + "/" if d else "") + f"{stem}-{k}" + (dot + ext if dot else "")
                k += 1
            seen.add(f.path)
            rel = f"{repo.name}/{f.path}"
            full = os.path.join(root, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8", newline="\n") as fh:
                fh.write("\n".join(f.lines) + "\n")
            nfiles += 1
            for p in f.pos:
                positives.append({"path": rel, **p})
            for t in f.traps:
                traps.append({"path": rel, **t})
    with open(os.path.join(args.out, "labels.json"), "w", encoding="utf-8") as fh:
        json.dump({"seed": args.seed, "repos": args.repos, "files": nfiles,
                   "positives": positives, "traps": traps}, fh, indent=1)
    print(f"generated {args.repos} repos, {nfiles} files, {len(positives)} positives, {len(traps)} traps into {args.out}")


if __name__ == "__main__":
    main()
