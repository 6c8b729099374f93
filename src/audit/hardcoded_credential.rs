//! Audit `hardcoded-credential`: literal passwords, tokens and keys written into a
//! workflow instead of referenced from secrets. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity, Span, redact};
use crate::pipeline::catalog::credential_name;
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
(repository or environment) and reference it as `${{ secrets.NAME }}` (GitLab: a masked, \
protected CI/CD variable; Azure: a secret variable; CircleCI: a context; Bitbucket: a \
secured variable; Jenkins: a credential with `withCredentials`); better, replace it with \
short-lived OIDC credentials where the service supports them.",
};

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
        let msg = if self.cx.github().is_none() && self.cx.gitlab().is_none() {
            format!(
                "{what} holds a literal credential: everyone who can read the repository (and its history) can use it; rotate it, store it in the CI system's secret store (secret variables, contexts, secured variables, Jenkins credentials) and reference it by name instead."
            )
        } else if self.cx.gitlab().is_some() {
            format!(
                "{what} holds a literal credential: everyone who can read the repository (and its history) can use it; rotate it, store it as a masked and protected CI/CD variable (or in a secrets manager through `secrets:`) and reference it as `$NAME` instead."
            )
        } else {
            format!(
                "{what} holds a literal credential: everyone who can read the repository (and its history) can use it; rotate it and reference an encrypted secret (`${{{{ secrets.NAME }}}}`) instead."
            )
        };
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
        // Each login the loop looks for ends in ` login`: most scripts hold none.
        let logins = if text.contains(" login") {
            text.lines()
        } else {
            "".lines()
        };
        for line in logins {
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

static CURL_USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?:-u|--user)(?:\s+|=)(['"]?)([^\s:'"$]+):([^\s'"]+)"#)
        .expect("static regex")
});
static PASSWORD_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?:--password|--passwd|--token|--api-key|--secret)=(['"]?)([^\s'"]+)"#)
        .expect("static regex")
});
static SSHPASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"sshpass\s+-p\s*(['"]?)([^\s'"]+)"#).expect("static regex"));
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s|;)(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(['"]?)([^\s'"$;]+)"#)
        .expect("static regex")
});

impl Scan<'_, '_> {
    /// GitLab `variables:` entries: `NAME: value` or `NAME: {value: ...}`.
    fn gitlab_variables(&mut self, map: &Node, path: &str) {
        for (k, v) in map.entries() {
            self.named(k, v, path);
        }
    }

    /// One named value of a variables block.
    fn named(&mut self, k: &Node, v: &Node, path: &str) {
        {
            let Some(name) = k.as_str() else { return };
            let Some(val_node) = crate::pipeline::gitlab::variable_value(v) else {
                return;
            };
            let Some(val) = val_node.as_str() else {
                return;
            };
            let auth_config = name.eq_ignore_ascii_case("DOCKER_AUTH_CONFIG")
                && val.contains("\"auth\"")
                && !val.contains('$');
            if auth_config || (credential_name(name) && plausible_secret(val, 8)) {
                let span = self.cx.src.pair_span(k, val_node);
                // A value on its own line (`- name:`/`value:`, `{value: ...}`) is where the
                // literal is.
                let span = if val_node.line == k.line {
                    span
                } else {
                    self.cx.src.node_span(val_node)
                };
                self.emit(
                    span,
                    format!("{path}.{name}"),
                    val,
                    &format!("Variable `{name}`"),
                );
            } else if val.contains("://") {
                self.urls(val_node, val, &format!("{path}.{name}"));
            } else if val.contains("PRIVATE KEY-----") && !val.contains('$') {
                let span = self
                    .cx
                    .src
                    .find_in_node(val_node, "-----BEGIN", 0)
                    .unwrap_or_else(|| self.cx.src.node_span(k));
                self.emit(
                    span,
                    format!("{path}.{name}"),
                    val,
                    &format!("Variable `{name}`"),
                );
            }
        }
    }

    /// GitLab script lines: what `script` checks, plus `curl -u user:pass`,
    /// `--password=...`, `sshpass -p` and `NAME=literal` assignments.
    fn gitlab_script(&mut self, node: &Node, path: &str) {
        self.script(node, path);
        let Some(text) = node.as_str() else { return };
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with('#') {
                continue;
            }
            if let Some((what, value)) = line_hit(l) {
                let span = self
                    .cx
                    .src
                    .find_in_node(node, l, 0)
                    .unwrap_or_else(|| self.cx.src.node_span(node));
                self.emit(
                    span,
                    format!("{path}#literal"),
                    value,
                    &format!("{what} in `{path}`"),
                );
            }
        }
    }
}

static MYSQL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?:mysql|mysqldump|mariadb|mysqladmin)\s.*?\s-p(['"]?)([^\s'"$]{4,})"#)
        .expect("static regex")
});
static AUTH_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:authorization:\s*(?:bearer|token|basic)\s+|private-token:\s*|x-api-key:\s*|_authtoken=)([A-Za-z0-9._~+/=-]{12,})"#)
        .expect("static regex")
});

static LOGIN_QUOTED_PW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?:^|\s)-p(['"])([^'"\s$]+)['"]"#).expect("static regex"));
static ECHO_TO_LOGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:echo|printf)\s+(?:-n\s+)?(['"]?)([^\s'"$|]+)['"]?\s*\|\s*(?:sudo\s+)?(?:docker|podman|helm\s+registry|buildah|skopeo)\s+login"#)
        .expect("static regex")
});

static PASSWORD_ARG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?:--password|--passwd|--token|--api-key)\s+(['"]?)([^\s'"$]{6,})|(?:-D[\w.]*password|\bpassword)=(['"]?)([^\s'"$]{6,})"#)
        .expect("static regex")
});
static NETRC_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bmachine\s+\S+.*\bpassword\s+(['"]?)([^\s'"$]{6,})"#).expect("static regex")
});

static GROOVY_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*['"]([^'"$]+)['"]"#).expect("static regex")
});

/// The literal credential one script line passes, with what passes it.
fn line_hit(l: &str) -> Option<(String, &str)> {
    let mut hits: Vec<(String, &str)> = Vec::new();
    if l.contains("docker login") || l.contains("podman login") || l.contains("helm registry login")
    {
        for c in DOCKER_LOGIN_PW.captures_iter(l) {
            if let Some(pw) = c.get(2).filter(|p| plausible_secret(p.as_str(), 3)) {
                hits.push(("`docker login -p`".into(), pw.as_str()));
            }
        }
    }
    for c in CURL_USER.captures_iter(l) {
        if let Some(pw) = c.get(3).filter(|p| plausible_secret(p.as_str(), 3)) {
            hits.push(("`curl -u user:password`".into(), pw.as_str()));
        }
    }
    for re in [&*PASSWORD_FLAG, &*SSHPASS] {
        for c in re.captures_iter(l) {
            if let Some(pw) = c.get(2).filter(|p| plausible_secret(p.as_str(), 3)) {
                hits.push(("A password option".into(), pw.as_str()));
            }
        }
    }
    let login = l.contains(" login");
    for (re, what) in [
        (&*LOGIN_QUOTED_PW, "`docker login -p`"),
        (&*ECHO_TO_LOGIN, "A password piped to `docker login`"),
    ] {
        if !login {
            continue;
        }
        for c in re.captures_iter(l) {
            if let Some(pw) = c.get(2).filter(|p| plausible_secret(p.as_str(), 4)) {
                hits.push((what.into(), pw.as_str()));
            }
        }
    }
    for c in PASSWORD_ARG.captures_iter(l) {
        if let Some(pw) = c
            .get(2)
            .or_else(|| c.get(4))
            .filter(|p| plausible_secret(p.as_str(), 6))
        {
            hits.push(("A password option".into(), pw.as_str()));
        }
    }
    for (re, what) in [
        (&*NETRC_PASSWORD, "A `.netrc` password"),
        (&*MYSQL_PASSWORD, "A MySQL `-p` password"),
        (&*AUTH_HEADER, "An authorization header or `_authToken`"),
    ] {
        for c in re.captures_iter(l) {
            if let Some(pw) = c
                .get(c.len() - 1)
                .filter(|p| plausible_secret(p.as_str(), 4))
            {
                hits.push((what.into(), pw.as_str()));
            }
        }
    }
    for c in ASSIGNMENT.captures_iter(l) {
        let (Some(name), Some(val)) = (c.get(1), c.get(3)) else {
            continue;
        };
        if credential_name(name.as_str()) && plausible_secret(val.as_str(), 8) {
            hits.push((format!("Assignment to `{}`", name.as_str()), val.as_str()));
        }
    }
    hits.into_iter().next()
}

fn run_other(cx: &Ctx<'_>, v: &crate::pipeline::other_ci::OtherCi, out: &mut Vec<Finding>) {
    let mut s = Scan {
        cx,
        out: Vec::new(),
        lines: HashSet::new(),
    };
    for nv in &v.variables {
        s.named(&nv.key, &nv.value, &nv.path);
    }
    for (path, node) in &v.scripts {
        s.gitlab_script(node, path);
    }
    out.append(&mut s.out);
}

fn run_jenkins(cx: &Ctx<'_>, text: &str, out: &mut Vec<Finding>) {
    let mut s = Scan {
        cx,
        out: Vec::new(),
        lines: HashSet::new(),
    };
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with("//") || l.starts_with('*') {
            continue;
        }
        let hit = line_hit(l).or_else(|| {
            let c = GROOVY_ASSIGNMENT.captures(l)?;
            let (name, val) = (c.get(1)?.as_str(), c.get(2)?);
            (credential_name(name) && plausible_secret(val.as_str(), 8))
                .then(|| (format!("Assignment to `{name}`"), val.as_str()))
        });
        let Some((what, value)) = hit else { continue };
        let col = line
            .find(value)
            .map_or(1, |b| line[..b].chars().count() + 1);
        let span = Span {
            start_line: i + 1,
            start_column: col,
            end_line: i + 1,
            end_column: col + value.chars().count().max(1),
        };
        s.emit(span, format!("line{}#literal", i + 1), value, &what);
    }
    out.append(&mut s.out);
}

fn run_gitlab(cx: &Ctx<'_>, gl: &crate::pipeline::gitlab::GitLabCi, out: &mut Vec<Finding>) {
    let mut s = Scan {
        cx,
        out: Vec::new(),
        lines: HashSet::new(),
    };
    for (path, block) in gl.variable_blocks() {
        s.gitlab_variables(block, &path);
    }
    for (path, _, node) in gl.script_definitions() {
        s.gitlab_script(node, &path);
    }
    out.append(&mut s.out);
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(gl) = cx.gitlab() {
        return run_gitlab(cx, gl, out);
    }
    if let Some(v) = cx.other() {
        return run_other(cx, v, out);
    }
    if let Some((_, text)) = cx.jenkins() {
        return run_jenkins(cx, text, out);
    }
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
