//! Audit `hardcoded-credential`: literal passwords, tokens and keys written into a
//! workflow instead of referenced from secrets. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity, Span, redact};
use crate::pipeline::github::words;
use crate::pipeline::yaml::Node;
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Documentation of `hardcoded-credential`.
pub const DOC: AuditDoc = AuditDoc {
    id: "hardcoded-credential",
    name: "Literal credential in a workflow",
    severity: Severity::High,
    confidence: Confidence::Medium,
    description: include_str!("docs/hardcoded_credential.md"),
    remediation: "Rotate the credential now, store the new one as an encrypted secret \
(repository or environment) and reference it as `${{ secrets.NAME }}`; better, replace it \
with short-lived OIDC credentials where the service supports them.",
};

const CRED_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "privatekey",
];
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "ssh",
    "deploy",
    "signing",
    "auth",
    "encryption",
    "master",
];
const NOT_A_VALUE: &[&str] = &[
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "name",
    "user",
    "username",
    "id",
    "type",
    "env",
    "var",
    "length",
    "len",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "header",
    "prefix",
    "host",
    "endpoint",
    "method",
    "enabled",
    "enable",
    "mode",
    "version",
    "count",
    "size",
    "format",
    "kind",
    "field",
    "scope",
    "scopes",
    "audience",
    "region",
    "policy",
    "label",
    "location",
    "hash",
    "sha",
    "algorithm",
    "input",
    "output",
    "source",
    "target",
    "required",
    "ref",
    "server",
    "registry",
    "store",
    "provider",
    "account",
    "role",
    "email",
    "public",
    "description",
];

/// Whether a variable or input name suggests it holds a credential.
fn credential_name(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last() else { return false };
    if NOT_A_VALUE.contains(&last.as_str()) || w.iter().any(|x| x == "public") {
        return false;
    }
    if w.len() == 1 && (last == "pwd" || last == "pass") {
        return false;
    }
    w.iter().any(|x| CRED_WORDS.contains(&x.as_str()))
        || w.windows(2)
            .any(|p| p[1] == "key" && KEY_QUALIFIERS.contains(&p[0].as_str()))
}

/// Values that CI files use for throwaway service containers and test fixtures (a
/// `postgres` service with password `postgres`), on top of the secret detector's
/// placeholder filter ([`crate::detect::filters::is_placeholder`]), which every value
/// goes through first.
const THROWAWAY_VALUES: &[&str] = &[
    "fake",
    "your",
    "xxx",
    "***",
    "mock",
    "test",
    "notasecret",
    "not-a-secret",
    "insecure",
    "localhost",
    "password",
    "passw0rd",
    "postgres",
    "mysql",
    "root",
    "admin",
    "default",
    "secret",
    "token",
    "foobar",
    "12345",
    "abcdef",
    "none",
    "null",
    "undefined",
    "local",
    "dev",
    "demo",
    "guest",
    "user",
];

/// Whether a literal value looks like a real credential rather than config or a stand-in.
fn plausible_secret(v: &str, min_len: usize) -> bool {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    if v.chars().count() < min_len
        || v.contains("${{")
        || v.starts_with('$')
        || v.contains("${")
        || v.contains("$(")
    {
        return false;
    }
    if v.chars().any(char::is_whitespace)
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
    {
        return false;
    }
    if v.contains("://") {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off"
    ) || crate::detect::filters::is_placeholder(v)
        || THROWAWAY_VALUES.iter().any(|p| lower.contains(p))
    {
        return false;
    }
    if v.chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return false;
    }
    // Repeated single character (`aaaaaaaa`, `********`).
    let first = v.chars().next().unwrap_or(' ');
    !v.chars().all(|c| c == first)
}

static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[A-Za-z][A-Za-z0-9+.-]*://([^\s/:@'"$]+):([^\s/@'"]+)@[A-Za-z0-9.-]"#)
        .expect("static regex")
});
static DOCKER_LOGIN_PW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?:-p|--password)(?:\s+|=)(['"]?)([^\s'"]+)"#).expect("static regex")
});

struct Scan<'c, 'a> {
    cx: &'c Ctx<'a>,
    out: Vec<Finding>,
    lines: HashSet<usize>,
}

impl Scan<'_, '_> {
    fn emit(&mut self, span: Span, key: String, value: &str, what: &str) {
        if !self.lines.insert(span.start_line) {
            return;
        }
        let msg = format!(
            "{what} holds a literal credential: everyone who can read the repository (and its history) can use it; rotate it and reference an encrypted secret (`${{{{ secrets.NAME }}}}`) instead."
        );
        self.cx.report(
            &mut self.out,
            &DOC,
            Hit::new(span, key, msg).snippet(redact(value)),
        );
    }

    fn urls(&mut self, node: &Node, text: &str, path: &str) {
        for (i, c) in URL_PASSWORD.captures_iter(text).enumerate() {
            let (Some(user), Some(pw)) = (c.get(1), c.get(2)) else {
                continue;
            };
            if !plausible_secret(pw.as_str(), 3) || user.as_str().contains("${{") {
                continue;
            }
            let needle = format!(":{}@", pw.as_str());
            let span = self
                .cx
                .src
                .find_in_node(node, &needle, 0)
                .map(|s| Span {
                    start_column: s.start_column + 1,
                    end_column: s.end_column - 1,
                    ..s
                })
                .unwrap_or_else(|| self.cx.src.node_span(node));
            self.emit(
                span,
                format!("{path}#url{i}"),
                pw.as_str(),
                &format!("A URL in `{path}`"),
            );
        }
    }

    fn entries(&mut self, map: &Node, path: &str, what: &str) {
        for (k, v) in map.entries() {
            let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            if credential_name(name) && plausible_secret(val, 8) {
                let span = self.cx.src.pair_span(k, v);
                self.emit(
                    span,
                    format!("{path}.{name}"),
                    val,
                    &format!("{what} `{name}`"),
                );
            } else if val.contains("://") {
                self.urls(v, val, &format!("{path}.{name}"));
            }
        }
    }

    fn credentials(&mut self, node: &Node, path: &str) {
        let Some(creds) = node.get("credentials") else {
            return;
        };
        if let Some((k, v)) = creds.entry("password")
            && let Some(val) = v.as_str()
        {
            let t = val.trim();
            if !t.is_empty() && !t.contains("${{") && !t.starts_with('$') {
                self.emit(
                    self.cx.src.pair_span(k, v),
                    format!("{path}.credentials.password"),
                    val,
                    &format!("`{path}.credentials.password`"),
                );
            }
        }
    }

    fn script(&mut self, run: &Node, path: &str) {
        let Some(text) = run.as_str() else { return };
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with('#') {
                continue;
            }
            if l.contains("docker login")
                || l.contains("podman login")
                || l.contains("helm registry login")
            {
                for c in DOCKER_LOGIN_PW.captures_iter(l) {
                    let Some(pw) = c.get(2) else { continue };
                    if !plausible_secret(pw.as_str(), 3) {
                        continue;
                    }
                    let span = self
                        .cx
                        .src
                        .find_in_node(run, l, 0)
                        .unwrap_or_else(|| self.cx.src.node_span(run));
                    self.emit(
                        span,
                        format!("{path}#docker-login"),
                        pw.as_str(),
                        &format!("`docker login` in `{path}`"),
                    );
                }
            }
        }
        if text.contains("://") {
            self.urls(run, text, path);
        }
    }
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    let mut s = Scan {
        cx,
        out: Vec::new(),
        lines: HashSet::new(),
    };
    if let Some(env) = wf.env {
        s.entries(env, "env", "Workflow `env`");
    }
    for job in &wf.jobs {
        if let Some(env) = job.node.get("env") {
            s.entries(env, &format!("{}.env", job.path), "Job `env`");
        }
        if let Some(c) = job.node.get("container") {
            let p = format!("{}.container", job.path);
            s.credentials(c, &p);
            if let Some(env) = c.get("env") {
                s.entries(env, &format!("{p}.env"), "Container `env`");
            }
        }
        if let Some(services) = job.node.get("services") {
            for (k, svc) in services.entries() {
                let p = format!("{}.services.{}", job.path, k.as_str().unwrap_or("?"));
                s.credentials(svc, &p);
                if let Some(env) = svc.get("env") {
                    s.entries(env, &format!("{p}.env"), "Service `env`");
                }
            }
        }
        if let Some(secrets) = job.node.get("secrets").filter(|_| job.uses().is_some()) {
            // Everything passed under `secrets:` is a secret by declaration.
            for (k, v) in secrets.entries() {
                let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
                    continue;
                };
                if plausible_secret(val, 8) {
                    let span = s.cx.src.pair_span(k, v);
                    s.emit(
                        span,
                        format!("{}.secrets.{name}", job.path),
                        val,
                        &format!("Secret `{name}` passed to a reusable workflow"),
                    );
                }
            }
        }
        if job.uses().is_some()
            && let Some(with) = job.node.get("with")
        {
            s.entries(with, &format!("{}.with", job.path), "Input");
        }
        for step in &job.steps {
            if let Some(env) = step.node.get("env") {
                s.entries(env, &format!("{}.env", step.path), "Step `env`");
            }
            if let Some(with) = step.node.get("with") {
                s.entries(with, &format!("{}.with", step.path), "Input");
            }
            if let Some((_, run)) = step.run() {
                s.script(run, &format!("{}.run", step.path));
            }
        }
    }
    out.append(&mut s.out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "api-key",
            "NPM_TOKEN",
            "client_secret",
            "aws-secret-access-key",
            "apiKey",
            "SSH_KEY",
        ] {
            assert!(credential_name(n), "{n}");
        }
        for n in [
            "key",
            "TOKEN_URL",
            "SECRET_NAME",
            "PWD",
            "public-key",
            "cache-key",
            "token-format",
            "username",
        ] {
            assert!(!credential_name(n), "{n}");
        }
    }

    #[test]
    fn values() {
        assert!(plausible_secret("Tr0ub4dor-and-3", 8));
        assert!(!plausible_secret("postgres", 8));
        assert!(!plausible_secret("${{ secrets.X }}", 8));
        assert!(!plausible_secret("$DB_PASS", 3));
        assert!(!plausible_secret("changeme123", 8));
        assert!(!plausible_secret("xxxxxxxxxxxx", 8));
    }
}
