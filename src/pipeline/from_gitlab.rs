//! The GitLab CI front end: turns a file's syntax view ([`super::gitlab::GitLabCi`]) into
//! the platform-neutral [`Pipeline`] facts (jobs and the pipelines that run them, stored
//! variables they use, cloud logins, `CI_JOB_TOKEN` uses, publishes), looking platform
//! knowledge up in [`super::catalog`].

use super::catalog::{self, Exposure, Provider};
use super::gitlab::{GitLabCi, GlJob, local_span, variable_value};
use super::yaml::{Node, Source, Value};
use super::{
    Grant, JobFacts, Login, Method, PassedAs, Pipeline, Platform, Publish, Scopes, SecretRef,
    TokenUse,
};
use crate::finding::Span;

/// The event name of a merge-request pipeline, as the inventory lists it.
pub const MERGE_REQUEST_EVENT: &str = "merge_request_event";

/// One `$NAME` or `${NAME}` reference in a value: the name and its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarRef<'t> {
    /// The variable's name.
    pub name: &'t str,
    /// Byte offset of the `$`.
    pub start: usize,
    /// Byte offset past the reference.
    pub end: usize,
}

/// The variable references in `text` (`$$` is GitLab's escaped dollar; `$env:NAME` is
/// PowerShell's form).
pub fn var_refs(text: &str) -> Vec<VarRef<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'$') {
            i += 2;
            continue;
        }
        let start = i;
        let mut j = i + 1;
        if text[j..].starts_with("env:") {
            j += 4;
        }
        let braced = b.get(j) == Some(&b'{');
        if braced {
            j += 1;
        }
        let ns = j;
        while j < b.len() && is_name(b[j]) {
            j += 1;
        }
        if j > ns && !b[ns].is_ascii_digit() {
            let name = &text[ns..j];
            let mut end = j;
            if braced {
                if b.get(j) == Some(&b'}') {
                    end = j + 1;
                } else {
                    // `${NAME:-default}` and the like: up to the closing brace.
                    end = text[j..].find('}').map_or(j, |p| j + p + 1);
                }
            }
            out.push(VarRef { name, start, end });
            i = end.max(start + 1);
        } else {
            i = j.max(start + 1);
        }
    }
    out
}

/// Whether a variable name is one of GitLab's predefined variables.
pub fn predefined(name: &str) -> bool {
    catalog::GITLAB_PREDEFINED_PREFIXES
        .iter()
        .any(|p| name.starts_with(p))
}

/// Whether a variable name is the job token under one of its names.
pub fn job_token_var(name: &str) -> bool {
    catalog::GITLAB_JOB_TOKEN_VARIABLES.contains(&name)
}

/// Whether a stored variable of this name holds a credential.
pub fn secret_name(name: &str) -> bool {
    !predefined(name)
        && (catalog::credential_name(name)
            || catalog::cloud_credential_env(name).is_some()
            || catalog::registry_token_env(name).is_some())
}

/// Script lines of a scalar, with `\`-continued lines joined, each with the line it
/// starts on (1-based, in the source) when it can be found.
pub fn commands(src: &Source<'_>, node: &Node) -> Vec<(String, usize)> {
    let Some(text) = node.as_str() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut first: Option<&str> = None;
    for line in text.lines() {
        let t = line.trim();
        if first.is_none() {
            first = Some(t);
        }
        if let Some(head) = t.strip_suffix('\\') {
            cur.push_str(head);
            cur.push(' ');
            continue;
        }
        cur.push_str(t);
        let at = first
            .filter(|f| !f.is_empty())
            .and_then(|f| src.find_in_node(node, f, 0))
            .map_or(node.line, |s| s.start_line);
        out.push((std::mem::take(&mut cur), at));
        first = None;
    }
    if !cur.is_empty() {
        out.push((cur, node.line));
    }
    out
}

/// Whether a rule's `when:` keeps the job out.
fn when_never(rule: &Node) -> bool {
    rule.get("when")
        .and_then(Node::as_str)
        .is_some_and(|w| w.trim() == "never")
}

/// Whether an `if:` condition selects merge-request pipelines (a positive comparison
/// with an MR event or an MR variable).
fn mr_condition(cond: &str) -> bool {
    catalog::GITLAB_MR_CONDITIONS.iter().any(|c| {
        cond.match_indices(c).any(|(p, _)| {
            // `!= "merge_request_event"` and `$CI_MERGE_REQUEST_IID == null` exclude.
            let before = cond[..p].trim_end();
            let after = cond[p + c.len()..].trim_start();
            let after_name = after.trim_start_matches(|ch: char| {
                ch.is_ascii_alphanumeric() || ch == '_' || ch == '}'
            });
            let op = before.trim_end_matches(['"', '\'', '/', '^']).trim_end();
            !op.ends_with("!=")
                && !op.ends_with("!~")
                && !after_name.trim_start().starts_with("!=")
                && !after_name.trim_start().starts_with("== null")
        })
    })
}

/// Whether the pipeline itself admits merge-request pipelines: `Some(true)` when a
/// `workflow: rules` entry creates them, `Some(false)` when the rules leave them out,
/// `None` without `workflow: rules`.
pub fn workflow_admits_mr(gl: &GitLabCi) -> Option<bool> {
    let rules = gl.workflow_rules();
    if rules.is_empty() {
        return None;
    }
    for r in rules {
        match r.get("if").map(Node::as_str) {
            Some(Some(c)) if mr_condition(c) => return Some(!when_never(r)),
            // Another condition, or one that cannot be read (an unresolved reference).
            Some(_) => {}
            // A catch-all rule: every pipeline that reaches it is created.
            None => return Some(!when_never(r)),
        }
    }
    Some(false)
}

/// Whether a job runs in merge-request pipelines, and the node that says so.
pub fn job_runs_on_mr<'j>(gl: &GitLabCi, job: &'j GlJob) -> Option<&'j Node> {
    let workflow = workflow_admits_mr(gl);
    if workflow == Some(false) {
        return None;
    }
    if let Some(rules) = job.get("rules") {
        for r in rules.items() {
            match r.get("if").map(Node::as_str) {
                Some(Some(c)) if mr_condition(c) => {
                    return (!when_never(r)).then(|| r.get("if").unwrap_or(r));
                }
                Some(_) => {}
                None if workflow == Some(true) && !when_never(r) => return Some(r),
                None => {}
            }
        }
        return None;
    }
    let mentions_mr = |n: &Node| {
        let mut hit = false;
        n.walk_scalars("", &mut |_, _, v| {
            hit |= catalog::GITLAB_MR_REFS.contains(&v.trim());
        });
        hit
    };
    if let Some(only) = job.get("only") {
        return mentions_mr(only).then_some(only);
    }
    if job.get("except").is_some_and(mentions_mr) {
        return None;
    }
    (workflow == Some(true)).then_some(&job.key)
}

/// Computes the facts of one GitLab CI file.
pub fn facts(path: &str, src: &Source<'_>, gl: &GitLabCi) -> Pipeline {
    let mut p = Pipeline {
        uses: Vec::new(),
        platform: Platform::GitLabCi,
        path: path.to_string(),
        triggers: vec![("push".to_string(), Exposure::Trusted)],
        jobs: Vec::new(),
        secret_refs: Vec::new(),
        logins: Vec::new(),
        publishes: Vec::new(),
    };
    for job in gl.runnable() {
        let ji = p.jobs.len();
        let mr = job_runs_on_mr(gl, job).is_some();
        let runs_on = if mr {
            vec![
                ("push".to_string(), Exposure::Trusted),
                (MERGE_REQUEST_EVENT.to_string(), Exposure::ForkPullRequest),
            ]
        } else {
            vec![("push".to_string(), Exposure::Trusted)]
        };
        let facts = JobScan::new(src, gl, job, ji).run(&mut p);
        let mut scopes = Scopes::new();
        if job.get("id_tokens").is_some_and(Node::is_map) {
            scopes.insert("id-token".into(), "write".into());
        }
        p.jobs.push(JobFacts {
            step_uses: Vec::new(),
            id: job.id.clone(),
            span: src.node_span(&job.key),
            calls: None,
            environment: job.get("environment").and_then(|e| {
                e.as_str()
                    .or_else(|| e.get("name").and_then(Node::as_str))
                    .map(str::to_string)
            }),
            same_repo_only: false,
            grant: Grant {
                source: if scopes.is_empty() { "default" } else { "job" },
                scopes,
            },
            token: TokenUse {
                handed_out: facts.job_token,
                ..TokenUse::default()
            },
            steps: job
                .script_nodes()
                .iter()
                .map(|(k, n)| {
                    let first = n.as_str().unwrap_or("").lines().next().unwrap_or("");
                    format!("{k}: {}", first.trim().chars().take(40).collect::<String>())
                })
                .collect(),
            inherits_secrets: false,
            call_secrets: Vec::new(),
            runs_on,
        });
    }
    if p.jobs.iter().any(|j| j.runs_on.len() > 1) {
        p.triggers
            .push((MERGE_REQUEST_EVENT.to_string(), Exposure::ForkPullRequest));
    }
    p
}

/// What one job's scan found beyond the facts pushed to the pipeline.
struct JobSummary {
    job_token: bool,
}

struct JobScan<'a, 's> {
    src: &'a Source<'s>,
    gl: &'a GitLabCi,
    job: &'a GlJob,
    ji: usize,
}

impl<'a, 's> JobScan<'a, 's> {
    fn new(src: &'a Source<'s>, gl: &'a GitLabCi, job: &'a GlJob, ji: usize) -> Self {
        JobScan { src, gl, job, ji }
    }

    /// Whether the job sees `name` defined in this file: then it is not a stored variable
    /// (a stored one it copies is recorded where the definition references it).
    fn defined_in_file(&self, name: &str) -> bool {
        self.job.variable(name).is_some()
    }

    fn span_of(&self, node: &Node, needle: &str) -> Span {
        if node.foreign {
            return self.src.node_span(&self.job.key);
        }
        self.src
            .find_in_node(node, needle, 0)
            .unwrap_or_else(|| self.src.node_span(node))
    }

    fn secret_ref(&self, p: &mut Pipeline, name: &str, key: &str, passed_as: PassedAs, span: Span) {
        let purpose = catalog::cloud_credential_env(name)
            .map(|c| format!("cloud-login/{}", c.id()))
            .or_else(|| {
                catalog::registry_token_env(name).map(|r| format!("registry-publish/{}", r.id()))
            });
        let dup = p
            .secret_refs
            .iter()
            .any(|r| r.job == Some(self.ji) && r.name == name && r.span == span);
        if !dup {
            p.secret_refs.push(SecretRef {
                name: name.to_string(),
                job: Some(self.ji),
                step: None,
                key: key.to_string(),
                passed_as,
                purpose,
                span,
            });
        }
    }

    fn login(
        &self,
        p: &mut Pipeline,
        provider: Provider,
        method: Method,
        span: Span,
        (key, via): (String, &str),
        secrets: Vec<String>,
    ) {
        if p.logins
            .iter()
            .any(|l| l.job == Some(self.ji) && l.span == span && l.provider == provider)
        {
            return;
        }
        p.logins.push(Login {
            provider,
            method,
            job: Some(self.ji),
            step: None,
            span,
            key,
            via: via.to_string(),
            secrets,
            from_expression: true,
            publishes: false,
        });
    }

    fn run(self, p: &mut Pipeline) -> JobSummary {
        let mut job_token = false;
        // Variables: stored credentials handed over under a cloud variable name.
        for (k, v) in &self.job.variables {
            let (Some(name), Some(val)) = (k.as_str(), variable_value(v)) else {
                continue;
            };
            let Some(text) = val.as_str() else { continue };
            let refs = var_refs(text);
            for r in &refs {
                if job_token_var(r.name) {
                    job_token = true;
                }
                // `NPM_TOKEN: $NPM_TOKEN` copies the stored variable of the same name.
                if secret_name(r.name) && (r.name == name || !self.defined_in_file(r.name)) {
                    let span = self.span_of(val, &text[r.start..r.end]);
                    self.secret_ref(p, r.name, name, PassedAs::Env, span);
                }
            }
            if let Some(provider) = catalog::cloud_credential_env(name)
                && !refs.is_empty()
                && refs.iter().all(|r| !predefined(r.name))
            {
                let secrets = refs.iter().map(|r| r.name.to_string()).collect();
                self.login(
                    p,
                    provider,
                    Method::StaticKey,
                    if k.foreign {
                        self.src.node_span(&self.job.key)
                    } else {
                        self.src.pair_span(k, v)
                    },
                    (format!("variables.{name}"), name),
                    secrets,
                );
            }
        }
        // `secrets:` (Vault, cloud secret managers): secrets by declaration.
        if let Some(secrets) = self.job.get("secrets") {
            for (k, _) in secrets.entries() {
                if let Some(name) = k.as_str() {
                    self.secret_ref(
                        p,
                        name,
                        "secrets",
                        PassedAs::Other,
                        local_span(self.src, self.job, k),
                    );
                }
            }
        }
        // Scripts. A cloud variable the job exchanges an ID token for, or assigns itself,
        // is not a stored key.
        let mut oidc_hints: Vec<Provider> = Vec::new();
        let mut assigned: Vec<String> = Vec::new();
        let has_id_tokens = self.job.get("id_tokens").is_some_and(Node::is_map);
        for (_, node) in self.job.script_nodes() {
            for (cmd, _) in commands(self.src, node) {
                for (hint, provider) in catalog::OIDC_EXCHANGES {
                    if cmd.contains(hint) && !oidc_hints.contains(provider) {
                        oidc_hints.push(*provider);
                    }
                }
                for (name, _) in catalog::CLOUD_CREDENTIAL_ENV {
                    // `NAME=$(...)` or `NAME=literal` derives it; `NAME=$STORED` copies one.
                    let set = format!("{name}=");
                    let copy = format!("{name}=$");
                    let derive = format!("{name}=$(");
                    if cmd.contains(&derive) || (cmd.contains(&set) && !cmd.contains(&copy)) {
                        assigned.push((*name).to_string());
                    }
                }
            }
        }
        let derived = |name: &str| {
            assigned.iter().any(|a| a == name)
                || (has_id_tokens
                    && catalog::cloud_credential_env(name).is_some_and(|p| oidc_hints.contains(&p)))
        };
        for (key, node) in self.job.script_nodes() {
            for (cmd, _) in commands(self.src, node) {
                if cmd.trim_start().starts_with('#') {
                    continue;
                }
                let refs = var_refs(&cmd);
                for r in &refs {
                    let raw = &cmd[r.start..r.end];
                    if job_token_var(r.name) {
                        job_token = true;
                        let span = self.span_of(node, raw);
                        self.login(
                            p,
                            Provider::GitLab,
                            Method::GitLabJobToken,
                            span,
                            (format!("{}.{key}", self.job.id), key),
                            vec![r.name.to_string()],
                        );
                        continue;
                    }
                    if !secret_name(r.name) || self.defined_in_file(r.name) {
                        continue;
                    }
                    let span = self.span_of(node, raw);
                    self.secret_ref(p, r.name, key, PassedAs::Script, span);
                    if let Some(provider) = catalog::cloud_credential_env(r.name)
                        && self.job.variable(r.name).is_none()
                        && !derived(r.name)
                    {
                        self.login(
                            p,
                            provider,
                            Method::StaticKey,
                            span,
                            (format!("{}.{key}", self.job.id), r.name),
                            vec![r.name.to_string()],
                        );
                    }
                }
                let federated = catalog::OIDC_EXCHANGES.iter().any(|(h, _)| cmd.contains(h));
                for (parts, provider) in catalog::STATIC_LOGIN_COMMANDS {
                    if !federated && parts.iter().all(|w| cmd.contains(w)) {
                        let first = parts[0];
                        let span = self.span_of(node, first);
                        // A login command's own variables hold the key, whatever their names.
                        let secrets = refs
                            .iter()
                            .filter(|r| !predefined(r.name) && !self.defined_in_file(r.name))
                            .map(|r| r.name.to_string())
                            .collect();
                        self.login(
                            p,
                            *provider,
                            Method::StaticKey,
                            span,
                            (format!("{}.{key}", self.job.id), first),
                            secrets,
                        );
                    }
                }
                for provider in catalog::publish_commands(&cmd) {
                    let line = self
                        .span_of(node, cmd.split_whitespace().next().unwrap_or(""))
                        .start_line;
                    p.publishes.push(Publish {
                        provider,
                        job: self.ji,
                        step: 0,
                        line,
                        provenance: cmd.contains("--provenance"),
                        with_secret: refs.iter().any(|r| secret_name(r.name)),
                    });
                }
            }
        }
        // `id_tokens:`: OIDC, for the cloud its audience or script names.
        if let Some(tokens) = self.job.get("id_tokens") {
            for (k, v) in tokens.entries() {
                let aud = aud_text(v);
                let provider = audience_provider(&aud).or_else(|| oidc_hints.first().copied());
                if let Some(provider) = provider {
                    let name = k.as_str().unwrap_or("id_token");
                    self.login(
                        p,
                        provider,
                        Method::Oidc,
                        local_span(self.src, self.job, k),
                        (format!("id_tokens.{name}"), name),
                        Vec::new(),
                    );
                }
            }
        }
        let _ = self.gl;
        JobSummary { job_token }
    }
}

/// The `aud:` of an `id_tokens:` entry, as one string.
pub fn aud_text(token: &Node) -> String {
    let Some(aud) = token.get("aud") else {
        return String::new();
    };
    match &aud.value {
        Value::Str(s) => s.clone(),
        Value::Seq(items) => items
            .iter()
            .filter_map(Node::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The cloud an OIDC audience names.
fn audience_provider(aud: &str) -> Option<Provider> {
    let a = aud.to_ascii_lowercase();
    if a.contains("amazonaws") {
        Some(Provider::Aws)
    } else if a.contains("googleapis") || a.contains("workloadidentitypools") {
        Some(Provider::Gcp)
    } else if a.contains("azureadtokenexchange") || a.contains("azure") {
        Some(Provider::Azure)
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pipeline::yaml;

    #[test]
    fn variable_references() {
        let r: Vec<&str> = var_refs("a $X ${Y} $$Z ${W:-d} $env:V $1")
            .iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(r, ["X", "Y", "W", "V"]);
    }

    #[test]
    fn merge_request_exposure() {
        let text = "a:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n  script: [x]\nb:\n  rules:\n    - if: $CI_PIPELINE_SOURCE != \"merge_request_event\"\n  script: [x]\nc:\n  only: [merge_requests]\n  script: [x]\nd:\n  script: [x]\n";
        let gl = GitLabCi::new(&yaml::parse(text).unwrap().unwrap()).unwrap();
        let on: Vec<bool> = gl
            .runnable()
            .map(|j| job_runs_on_mr(&gl, j).is_some())
            .collect();
        assert_eq!(on, [true, false, true, false]);
        let text = "workflow:\n  rules:\n    - if: $CI_MERGE_REQUEST_IID\n    - if: $CI_COMMIT_BRANCH\nd:\n  script: [x]\n";
        let gl = GitLabCi::new(&yaml::parse(text).unwrap().unwrap()).unwrap();
        assert!(job_runs_on_mr(&gl, &gl.jobs[0]).is_some());
    }
}
