//! Reads the repository's GitHub Actions workflows through the audits' model
//! ([`crate::audit::model`]) and collects what the inventory lists about them: secret
//! uses in the context of the events that can run them, cloud and registry logins, and
//! each job's `GITHUB_TOKEN` grant with a least-privilege suggestion.
//!
//! Reusable workflows are followed through their local callers: a secret used in a
//! called workflow is listed under the caller's secret name (`secrets: inherit` keeps the
//! name, an explicit `secrets:` mapping renames it), with the caller's triggers.

use super::codeowners::CodeOwners;
use super::model::{
    Authentication, EffectivePermissions, PermissionGrant, Scopes, SecretEntry, SecretUse,
};
use crate::audit::model::{
    FileKind, Job, Step, Workflow, action_matches, contains_word, expressions,
};
use crate::audit::yaml::{self, Node, Source, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// What the workflows contribute to the inventory.
#[derive(Debug, Default)]
pub struct Collected {
    /// Secrets, sorted by name.
    pub secrets: Vec<SecretEntry>,
    /// Logins, sorted by workflow and line.
    pub authentications: Vec<Authentication>,
    /// One grant per job, sorted by workflow and line.
    pub permissions: Vec<PermissionGrant>,
    /// Files that could not be read or parsed.
    pub errors: Vec<String>,
}

/// Events an outsider can cause that run a job with the repository's secrets.
const UNTRUSTED_TRIGGERS: &[&str] = &[
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
];

/// `with:` inputs and `env:` names whose secret is an identifier, not a credential.
const IDENTIFIER_KEYS: &[&str] = &[
    "role-to-assume",
    "aws-region",
    "workload_identity_provider",
    "service_account",
    "project_id",
    "client-id",
    "tenant-id",
    "subscription-id",
    "arm_client_id",
    "arm_tenant_id",
    "arm_subscription_id",
    "azure_client_id",
    "azure_tenant_id",
    "azure_subscription_id",
];

/// Environment variables that carry a cloud credential.
const CLOUD_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "aws"),
    ("AWS_SECRET_ACCESS_KEY", "aws"),
    ("AWS_SESSION_TOKEN", "aws"),
    ("ARM_CLIENT_SECRET", "azure"),
    ("AZURE_CLIENT_SECRET", "azure"),
    ("AZURE_CREDENTIALS", "azure"),
    ("GOOGLE_CREDENTIALS", "gcp"),
    ("GOOGLE_APPLICATION_CREDENTIALS", "gcp"),
    ("GOOGLE_APPLICATION_CREDENTIALS_JSON", "gcp"),
    ("GCP_SA_KEY", "gcp"),
    ("GCP_CREDENTIALS", "gcp"),
    ("GCLOUD_SERVICE_KEY", "gcp"),
];

/// Environment variables that carry a registry's publish token (the audit's table).
fn registry_env(name: &str) -> Option<&'static str> {
    crate::audit::long_lived_registry_token::env_registry(name).map(|r| r.id())
}

/// The registry a script line publishes to.
fn publish_target(line: &str) -> Option<&'static str> {
    let l = line.trim();
    if l.starts_with('#') || l.contains("--dry-run") {
        return None;
    }
    let has = |w: &str| contains_word(l, w);
    if has("npm publish") || has("yarn publish") || has("pnpm publish") {
        Some("npm")
    } else if has("twine upload")
        || has("poetry publish")
        || has("uv publish")
        || has("flit publish")
        || has("hatch publish")
        || has("maturin publish")
    {
        Some("pypi")
    } else if has("cargo publish") {
        Some("crates.io")
    } else if has("gem push") {
        Some("rubygems")
    } else if has("nuget push") {
        Some("nuget")
    } else {
        None
    }
}

/// Every secret name an expression references, uppercased (names are
/// case-insensitive); `GITHUB_TOKEN` is left to the permissions section.
pub fn secret_names(expr: &str) -> Vec<String> {
    let lower = expr.to_ascii_lowercase();
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = lower[from..].find("secrets") {
        let at = from + p;
        from = at + "secrets".len();
        let boundary = at == 0 || {
            let b = bytes[at - 1];
            !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        if !boundary {
            continue;
        }
        let rest = &expr[from..];
        let name: String = if let Some(r) = rest.strip_prefix('.') {
            r.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect()
        } else if let Some(r) = rest.strip_prefix('[') {
            let r = r.trim_start();
            match r.chars().next() {
                Some(q @ ('\'' | '"')) => r[1..].chars().take_while(|c| *c != q).collect(),
                _ => String::new(),
            }
        } else {
            String::new()
        };
        let name = name.to_ascii_uppercase();
        if !name.is_empty() && name != "GITHUB_TOKEN" && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Whether a value uses the job's `GITHUB_TOKEN`.
fn is_github_token(text: &str) -> bool {
    let l = text.to_ascii_lowercase();
    l.contains("secrets.github_token") || l.contains("github.token")
}

struct Loaded {
    rel: String,
    text: String,
    root: Node,
}

/// One way a workflow's jobs get run: directly by its own triggers, or by a caller job.
struct RunCtx {
    /// `(workflow index, job index)` of the calling job.
    caller: Option<(usize, usize)>,
    triggers: Vec<String>,
}

/// A secret reference found in a job, before it is put in context.
struct RawUse {
    name: String,
    line: usize,
    step: Option<usize>,
    /// Last key of the YAML path (`aws-access-key-id`, `NODE_AUTH_TOKEN`, `run`).
    key: String,
    /// Whether it sits in a reusable-workflow call's `secrets:` mapping.
    in_call_secrets: bool,
}

struct Repo<'a> {
    files: &'a [Loaded],
    wfs: Vec<Workflow<'a>>,
    srcs: Vec<Source<'a>>,
    /// Local callers of each workflow.
    callers: Vec<Vec<(usize, usize)>>,
    owners: Vec<String>,
}

/// Collects the workflow part of the inventory of the repository at `root`.
pub fn collect(root: &Path, co: &CodeOwners) -> Collected {
    let mut out = Collected::default();
    let files = load(root, &mut out.errors);
    let wfs: Vec<Workflow<'_>> = files
        .iter()
        .map(|f| Workflow::new(&f.root, FileKind::Workflow))
        .collect();
    let srcs = files.iter().map(|f| Source::new(&f.text)).collect();
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.rel.as_str(), i))
        .collect();
    let mut callers = vec![Vec::new(); files.len()];
    for (wi, wf) in wfs.iter().enumerate() {
        for (ji, job) in wf.jobs.iter().enumerate() {
            if let Some(callee) = local_callee(job).and_then(|c| index.get(c.as_str())) {
                callers[*callee].push((wi, ji));
            }
        }
    }
    let owners = files.iter().map(|f| co.owner_or_unowned(&f.rel)).collect();
    let repo = Repo {
        files: &files,
        wfs,
        srcs,
        callers,
        owners,
    };
    out.secrets = repo.secrets(&index);
    out.authentications = repo.authentications();
    out.permissions = repo.grants(&out.authentications);
    out
}

fn load(root: &Path, errors: &mut Vec<String>) -> Vec<Loaded> {
    let dir = root.join(".github/workflows");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let rel = format!(".github/workflows/{name}");
        let text =
            match crate::bounded::read_text(&dir.join(&name), crate::cli::DEFAULT_MAX_FILE_SIZE) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(format!("{rel}: {e}"));
                    continue;
                }
            };
        match yaml::parse(&text) {
            Ok(Some(root)) if root.is_map() => out.push(Loaded { rel, text, root }),
            Ok(_) => {}
            Err(e) => errors.push(format!("{rel}:{e}")),
        }
    }
    out
}

/// The repository-relative path of a job's local reusable workflow (`./.github/...`).
fn local_callee(job: &Job<'_>) -> Option<String> {
    let u = job.uses()?.1.as_str()?.trim();
    let p = u.strip_prefix("./")?;
    Some(p.split('@').next().unwrap_or(p).to_string())
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether a job's `if:` keeps fork pull requests out.
fn same_repo_only(job: &Job<'_>) -> bool {
    let c = squash(job.condition());
    c.contains("head.repo.full_name==github.repository")
        || c.contains("github.repository==github.event.pull_request.head.repo.full_name")
        || c.contains("head.repo.fork==false")
        || c.contains("!github.event.pull_request.head.repo.fork")
}

fn scopes_of(perms: &Node) -> Scopes {
    let mut s = Scopes::new();
    match &perms.value {
        Value::Str(v) => match v.trim() {
            "write-all" => {
                s.insert("*".into(), "write".into());
            }
            "read-all" => {
                s.insert("*".into(), "read".into());
            }
            _ => {}
        },
        Value::Map(m) => {
            for (k, v) in m {
                if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                    s.insert(k.to_string(), v.trim().to_string());
                }
            }
        }
        _ => {}
    }
    s
}

fn environment(job: &Job<'_>) -> Option<String> {
    let e = job.node.get("environment")?;
    e.as_str()
        .or_else(|| e.get("name").and_then(Node::as_str))
        .map(str::to_string)
}

/// A short label for a step: its `name`, `id`, `uses` or the start of its script.
pub fn step_label(step: &Step<'_>) -> String {
    let get = |k: &str| step.node.get(k).and_then(Node::as_str);
    if let Some(n) = get("name").or_else(|| get("id")).or_else(|| step.uses()) {
        return n.trim().to_string();
    }
    if let Some(r) = step.run_str() {
        let first = r
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let short: String = first.chars().take(40).collect();
        return format!("run: {short}");
    }
    format!("step {}", step.index + 1)
}

fn merge_scope(s: &mut Scopes, scope: &str, level: &str) {
    let rank = |l: &str| match l {
        "write" => 2,
        "read" => 1,
        _ => 0,
    };
    let cur = s.get(scope).map_or(0, |l| rank(l));
    if rank(level) > cur {
        s.insert(scope.to_string(), level.to_string());
    }
}

/// Actions whose token needs are known: `(action, [(scope, level)])`.
const KNOWN_ACTIONS: &[(&str, &[(&str, &str)])] = &[
    ("actions/checkout", &[("contents", "read")]),
    ("actions/cache", &[]),
    ("actions/upload-artifact", &[]),
    ("actions/download-artifact", &[]),
    ("actions/upload-pages-artifact", &[]),
    ("actions/configure-pages", &[]),
    (
        "actions/deploy-pages",
        &[("pages", "write"), ("id-token", "write")],
    ),
    (
        "actions/attest-build-provenance",
        &[("id-token", "write"), ("attestations", "write")],
    ),
    (
        "actions/labeler",
        &[("contents", "read"), ("pull-requests", "write")],
    ),
    (
        "actions/stale",
        &[("issues", "write"), ("pull-requests", "write")],
    ),
    ("dtolnay/rust-toolchain", &[]),
    ("Swatinem/rust-cache", &[]),
    ("docker/setup-buildx-action", &[]),
    ("docker/setup-qemu-action", &[]),
    ("docker/metadata-action", &[]),
    ("docker/build-push-action", &[]),
    ("docker/login-action", &[]),
    ("hashicorp/setup-terraform", &[]),
    ("aws-actions/configure-aws-credentials", &[]),
    ("aws-actions/amazon-ecr-login", &[]),
    ("google-github-actions/auth", &[]),
    ("google-github-actions/setup-gcloud", &[]),
    ("azure/login", &[]),
    ("pypa/gh-action-pypi-publish", &[]),
    ("JS-DevTools/npm-publish", &[]),
    ("rust-lang/crates-io-auth-action", &[("id-token", "write")]),
    ("slackapi/slack-github-action", &[]),
    ("8398a7/action-slack", &[]),
    ("rtCamp/action-slack-notify", &[]),
    ("softprops/action-gh-release", &[("contents", "write")]),
    (
        "stefanzweifel/git-auto-commit-action",
        &[("contents", "write")],
    ),
    (
        "peter-evans/create-pull-request",
        &[("contents", "write"), ("pull-requests", "write")],
    ),
    (
        "marocchino/sticky-pull-request-comment",
        &[("pull-requests", "write")],
    ),
    (
        "github/codeql-action",
        &[("contents", "read"), ("security-events", "write")],
    ),
];

/// `actions/setup-*`: toolchain installers that need no token scope.
const SETUP_ACTION: (&str, &[(&str, &str)]) = ("actions/setup-", &[]);

/// Adds what a script needs to `s`; `false` when it does something unrecognised with
/// the token (`gh api`, other `gh` commands), so no suggestion can be made.
fn script_needs(script: &str, job_token: bool, s: &mut Scopes) -> bool {
    for line in script.lines() {
        let l = line.trim();
        if l.starts_with('#') {
            continue;
        }
        if contains_word(l, "git push") {
            merge_scope(s, "contents", "write");
        }
        if l.contains("api.github.com") || l.contains("octokit") {
            return false;
        }
        if contains_word(l, "docker push") && l.contains("ghcr.io") {
            merge_scope(s, "packages", "write");
        }
        if publish_target(l) == Some("npm") && l.contains("--provenance") {
            merge_scope(s, "id-token", "write");
        }
        let mut words = l.split_whitespace();
        while let Some(w) = words.next() {
            // `gh` with `GH_TOKEN` set to another secret does not use the job's token.
            if w != "gh" || !job_token {
                continue;
            }
            let (Some(group), sub) = (words.next(), words.next()) else {
                return false;
            };
            let sub = sub.unwrap_or("");
            let reads = ["view", "list", "diff", "checks", "status", "download"];
            match group {
                "release" if reads.contains(&sub) => merge_scope(s, "contents", "read"),
                "release" => merge_scope(s, "contents", "write"),
                "pr" if reads.contains(&sub) => merge_scope(s, "pull-requests", "read"),
                "pr" => merge_scope(s, "pull-requests", "write"),
                "issue" if reads.contains(&sub) => merge_scope(s, "issues", "read"),
                "issue" => merge_scope(s, "issues", "write"),
                _ => return false,
            }
        }
    }
    true
}

impl<'a> Repo<'a> {
    /// The events that can run workflow `wi`, following callers (bounded depth).
    fn triggers(&self, wi: usize, depth: usize) -> BTreeSet<String> {
        let mut t: BTreeSet<String> = self.wfs[wi]
            .triggers
            .iter()
            .filter(|t| *t != "workflow_call")
            .cloned()
            .collect();
        if depth < 4 {
            for (cw, _) in &self.callers[wi] {
                t.extend(self.triggers(*cw, depth + 1));
            }
        }
        t
    }

    fn contexts(&self, wi: usize) -> Vec<RunCtx> {
        let own: Vec<String> = self.wfs[wi]
            .triggers
            .iter()
            .filter(|t| *t != "workflow_call")
            .cloned()
            .collect();
        let mut out = Vec::new();
        if !own.is_empty() || self.callers[wi].is_empty() {
            out.push(RunCtx {
                caller: None,
                triggers: own,
            });
        }
        for &(cw, cj) in &self.callers[wi] {
            out.push(RunCtx {
                caller: Some((cw, cj)),
                triggers: self.triggers(cw, 1).into_iter().collect(),
            });
        }
        out
    }

    fn job(&self, wi: usize, ji: usize) -> &Job<'a> {
        &self.wfs[wi].jobs[ji]
    }

    /// Effective permissions of job `ji` of workflow `wi` when run through `caller`.
    fn perms(&self, wi: usize, ji: usize, caller: Option<(usize, usize)>) -> EffectivePermissions {
        let job = self.job(wi, ji);
        if let Some((_, p)) = job.permissions() {
            return EffectivePermissions {
                source: "job".into(),
                scopes: scopes_of(p),
            };
        }
        if let Some((_, p)) = self.wfs[wi].permissions {
            return EffectivePermissions {
                source: "workflow".into(),
                scopes: scopes_of(p),
            };
        }
        if let Some((cw, cj)) = caller {
            let first_caller = self.callers[cw].first().copied();
            let p = self.perms(cw, cj, first_caller.filter(|c| c.0 != cw));
            if p.source != "default" {
                return EffectivePermissions {
                    source: "caller".into(),
                    scopes: p.scopes,
                };
            }
        }
        EffectivePermissions {
            source: "default".into(),
            scopes: Scopes::new(),
        }
    }

    fn own_perms(&self, wi: usize, ji: usize) -> EffectivePermissions {
        let caller = self.contexts(wi).first().and_then(|c| c.caller);
        self.perms(wi, ji, caller)
    }

    /// Secret references in one job (and the workflow's `env:`).
    fn raw_uses(&self, wi: usize, ji: usize) -> Vec<RawUse> {
        let wf = &self.wfs[wi];
        let job = self.job(wi, ji);
        let src = &self.srcs[wi];
        let mut out = Vec::new();
        let mut visit = |path: &str, node: &Node, value: &str| {
            for (raw, inner) in expressions(value) {
                for name in secret_names(inner) {
                    let line = src
                        .find_in_node(node, raw, 0)
                        .map_or(node.line, |s| s.start_line);
                    let step = path
                        .strip_prefix(&format!("{}.steps[", job.path))
                        .and_then(|r| r.split(']').next())
                        .and_then(|n| n.parse().ok());
                    let key = path
                        .rsplit('.')
                        .next()
                        .unwrap_or("")
                        .split('[')
                        .next()
                        .unwrap_or("")
                        .to_string();
                    let in_call_secrets = path.starts_with(&format!("{}.secrets.", job.path));
                    out.push(RawUse {
                        name,
                        line,
                        step,
                        key,
                        in_call_secrets,
                    });
                }
            }
        };
        if let Some(env) = wf.env {
            env.walk_scalars("env", &mut visit);
        }
        job.node.walk_scalars(&job.path, &mut visit);
        out
    }

    /// The repository secret names a callee's `name` stands for under `ctx`; `None`
    /// when the caller passes nothing under that name.
    fn map_name(&self, ctx: &RunCtx, name: &str) -> Vec<String> {
        let Some((cw, cj)) = ctx.caller else {
            return vec![name.to_string()];
        };
        let caller = self.job(cw, cj);
        match caller.node.get("secrets") {
            Some(s) if s.as_str().is_some_and(|v| v.trim() == "inherit") => {
                vec![name.to_string()]
            }
            Some(s) => s
                .entries()
                .iter()
                .filter(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
                .filter_map(|(_, v)| v.as_str())
                .flat_map(|v| {
                    expressions(v)
                        .into_iter()
                        .flat_map(|(_, e)| secret_names(e))
                        .collect::<Vec<_>>()
                })
                .collect(),
            None => Vec::new(),
        }
    }

    fn secrets(&self, index: &HashMap<&str, usize>) -> Vec<SecretEntry> {
        // name -> (uses, keys of those uses)
        let mut by_name: BTreeMap<String, (Vec<SecretUse>, Vec<String>)> = BTreeMap::new();
        for (wi, wf) in self.wfs.iter().enumerate() {
            let rel = &self.files[wi].rel;
            let ctxs = self.contexts(wi);
            for (ji, job) in wf.jobs.iter().enumerate() {
                let env = environment(job);
                let guarded = same_repo_only(job);
                let mut raws = self.raw_uses(wi, ji);
                // `secrets: inherit` to a workflow we cannot read passes every secret.
                if let Some((_, s)) = job.node.entry("secrets")
                    && s.as_str().is_some_and(|v| v.trim() == "inherit")
                    && local_callee(job).is_none_or(|c| !index.contains_key(c.as_str()))
                {
                    raws.push(RawUse {
                        name: "*".into(),
                        line: s.line,
                        step: None,
                        key: "secrets".into(),
                        in_call_secrets: true,
                    });
                }
                for ctx in &ctxs {
                    let caller_guard = ctx
                        .caller
                        .is_some_and(|(cw, cj)| same_repo_only(self.job(cw, cj)));
                    let untrusted: Vec<String> = ctx
                        .triggers
                        .iter()
                        .filter(|t| UNTRUSTED_TRIGGERS.contains(&t.as_str()))
                        .filter(|t| !((guarded || caller_guard) && *t == "pull_request_target"))
                        .cloned()
                        .collect();
                    let perms = self.perms(wi, ji, ctx.caller);
                    let called_from = ctx
                        .caller
                        .map(|(cw, cj)| format!("{}#{}", self.files[cw].rel, self.job(cw, cj).id));
                    let via = match ctx.caller {
                        Some((cw, cj))
                            if self
                                .job(cw, cj)
                                .node
                                .get("secrets")
                                .and_then(Node::as_str)
                                .is_some_and(|v| v.trim() == "inherit") =>
                        {
                            "secrets-inherit"
                        }
                        _ => "expression",
                    };
                    for raw in &raws {
                        let step = raw
                            .step
                            .and_then(|i| job.steps.iter().find(|s| s.index == i));
                        let names = if raw.name == "*" {
                            vec!["*".to_string()]
                        } else {
                            self.map_name(ctx, &raw.name)
                        };
                        for name in names {
                            let purpose = if raw.in_call_secrets {
                                Some("reusable-workflow".to_string())
                            } else {
                                purpose_of(step, &raw.key, &name)
                            };
                            let via = if raw.name == "*" {
                                "secrets-inherit"
                            } else {
                                via
                            };
                            let entry = by_name.entry(name).or_default();
                            let u = SecretUse {
                                workflow: rel.clone(),
                                job: job.id.to_string(),
                                step: step.map(step_label),
                                line: raw.line,
                                called_from: called_from.clone(),
                                via: via.to_string(),
                                triggers: ctx.triggers.clone(),
                                untrusted_triggers: untrusted.clone(),
                                permissions: perms.clone(),
                                environment: env.clone(),
                                purpose,
                                owner: self.owners[wi].clone(),
                            };
                            if !entry.0.contains(&u) {
                                entry.0.push(u);
                                entry.1.push(raw.key.to_ascii_lowercase());
                            }
                        }
                    }
                }
            }
        }
        by_name
            .into_iter()
            .map(|(name, (mut uses, keys))| {
                uses.sort_by(|a, b| {
                    (&a.workflow, a.line, &a.job, &a.called_from).cmp(&(
                        &b.workflow,
                        b.line,
                        &b.job,
                        &b.called_from,
                    ))
                });
                let identifier = keys.iter().all(|k| IDENTIFIER_KEYS.contains(&k.as_str()));
                let (kind, lifetime) = if name == "*" {
                    ("all-secrets", None)
                } else if identifier {
                    ("identifier", None)
                } else {
                    ("credential", Some("long-lived".to_string()))
                };
                let purposes: BTreeSet<String> =
                    uses.iter().filter_map(|u| u.purpose.clone()).collect();
                let owners: BTreeSet<&str> = uses
                    .iter()
                    .map(|u| u.owner.as_str())
                    .filter(|o| *o != super::model::UNOWNED)
                    .collect();
                let owner = if owners.is_empty() {
                    super::model::UNOWNED.to_string()
                } else {
                    owners.into_iter().collect::<Vec<_>>().join(" ")
                };
                SecretEntry {
                    reachable_from_untrusted: uses.iter().any(|u| !u.untrusted_triggers.is_empty()),
                    name,
                    kind: kind.into(),
                    lifetime,
                    purposes: purposes.into_iter().collect(),
                    owner,
                    uses,
                }
            })
            .collect()
    }

    fn authentications(&self) -> Vec<Authentication> {
        let mut out = Vec::new();
        for (wi, wf) in self.wfs.iter().enumerate() {
            for (ji, job) in wf.jobs.iter().enumerate() {
                let perms = self.own_perms(wi, ji);
                let id_token = ["id-token", "*"]
                    .iter()
                    .any(|s| perms.scopes.get(*s).is_some_and(|l| l == "write"));
                let mut push = |provider: &str,
                                method: &str,
                                step: Option<&Step<'_>>,
                                line: usize,
                                secrets: Vec<String>| {
                    let oidc = method == "oidc";
                    let note = (oidc && !id_token).then(|| {
                        "OIDC needs `id-token: write`, which this job's token lacks".to_string()
                    });
                    out.push(Authentication {
                        provider: provider.into(),
                        method: method.into(),
                        lifetime: if method == "static-key" {
                            "long-lived"
                        } else {
                            "short-lived"
                        }
                        .into(),
                        workflow: self.files[wi].rel.clone(),
                        job: job.id.to_string(),
                        step: step.map(step_label),
                        line,
                        secrets,
                        id_token_write: id_token,
                        note,
                        owner: self.owners[wi].clone(),
                    });
                };
                let mut env_blocks: Vec<(Option<&Step<'_>>, &Node)> = Vec::new();
                if let Some(e) = wf.env {
                    env_blocks.push((None, e));
                }
                if let Some(e) = job.node.get("env") {
                    env_blocks.push((None, e));
                }
                for step in &job.steps {
                    if let Some(e) = step.node.get("env") {
                        env_blocks.push((Some(step), e));
                    }
                }
                let mut has_registry_token = false;
                for (step, env) in &env_blocks {
                    // One login per provider per env block; its secrets travel together.
                    let mut found: BTreeMap<&str, (usize, Vec<String>)> = BTreeMap::new();
                    for (k, v) in env.entries() {
                        let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
                            continue;
                        };
                        let provider = CLOUD_ENV
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case(name))
                            .map(|(_, p)| *p)
                            .or_else(|| registry_env(name));
                        let Some(provider) = provider else { continue };
                        let names: Vec<String> = expressions(val)
                            .into_iter()
                            .flat_map(|(_, e)| secret_names(e))
                            .collect();
                        if names.is_empty() {
                            continue;
                        }
                        if registry_env(name).is_some() {
                            has_registry_token = true;
                        }
                        let e = found.entry(provider).or_insert((k.line, Vec::new()));
                        e.1.extend(names);
                    }
                    for (provider, (line, secrets)) in found {
                        push(provider, "static-key", *step, line, secrets);
                    }
                }
                for step in &job.steps {
                    let with_secrets = |inputs: &[&str]| -> Vec<String> {
                        inputs
                            .iter()
                            .filter_map(|i| step.with_str(i))
                            .flat_map(|v| {
                                expressions(v)
                                    .into_iter()
                                    .flat_map(|(_, e)| secret_names(e))
                                    .collect::<Vec<_>>()
                            })
                            .collect()
                    };
                    let has = |i: &str| step.with_str(i).is_some_and(|v| !v.trim().is_empty());
                    let line = step.node.line;
                    if step.is_action("aws-actions/configure-aws-credentials") {
                        if has("aws-access-key-id") {
                            let s = with_secrets(&[
                                "aws-access-key-id",
                                "aws-secret-access-key",
                                "aws-session-token",
                            ]);
                            push("aws", "static-key", Some(step), line, s);
                        } else if has("role-to-assume") {
                            push("aws", "oidc", Some(step), line, Vec::new());
                        }
                    } else if step.is_action("google-github-actions/auth") {
                        if has("credentials_json") {
                            push(
                                "gcp",
                                "static-key",
                                Some(step),
                                line,
                                with_secrets(&["credentials_json"]),
                            );
                        } else if has("workload_identity_provider") {
                            push("gcp", "oidc", Some(step), line, Vec::new());
                        }
                    } else if step.is_action("google-github-actions/setup-gcloud") {
                        if has("service_account_key") {
                            push(
                                "gcp",
                                "static-key",
                                Some(step),
                                line,
                                with_secrets(&["service_account_key"]),
                            );
                        }
                    } else if step.is_action("azure/login") {
                        if has("creds") {
                            push(
                                "azure",
                                "static-key",
                                Some(step),
                                line,
                                with_secrets(&["creds"]),
                            );
                        } else if has("client-id") {
                            push("azure", "oidc", Some(step), line, Vec::new());
                        }
                    } else if step.is_action("pypa/gh-action-pypi-publish") {
                        if has("password") {
                            push(
                                "pypi",
                                "static-key",
                                Some(step),
                                line,
                                with_secrets(&["password"]),
                            );
                        } else {
                            push("pypi", "oidc", Some(step), line, Vec::new());
                        }
                    } else if step.is_action("JS-DevTools/npm-publish") {
                        if has("token") {
                            push(
                                "npm",
                                "static-key",
                                Some(step),
                                line,
                                with_secrets(&["token"]),
                            );
                        }
                    } else if step.is_action("rust-lang/crates-io-auth-action") {
                        push("crates.io", "oidc", Some(step), line, Vec::new());
                    } else if step.is_action("docker/login-action") {
                        let pw = step.with_str("password").unwrap_or("");
                        if is_github_token(pw) {
                            push(
                                "container-registry",
                                "github-token",
                                Some(step),
                                line,
                                Vec::new(),
                            );
                        } else if has("password") {
                            push(
                                "container-registry",
                                "static-key",
                                Some(step),
                                line,
                                with_secrets(&["password"]),
                            );
                        }
                    } else if let Some((_, run)) = step.run()
                        && let Some(script) = run.as_str()
                    {
                        for l in script.lines() {
                            let Some(target) = publish_target(l) else {
                                continue;
                            };
                            let names: Vec<String> = expressions(l)
                                .into_iter()
                                .flat_map(|(_, e)| secret_names(e))
                                .collect();
                            let at = self.srcs[wi]
                                .find_in_node(run, l.trim(), 0)
                                .map_or(run.line, |s| s.start_line);
                            if !names.is_empty() {
                                push(target, "static-key", Some(step), at, names);
                            } else if target == "npm" && !has_registry_token && id_token {
                                push("npm", "oidc", Some(step), at, Vec::new());
                            }
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| (&a.workflow, a.line, &a.job).cmp(&(&b.workflow, b.line, &b.job)));
        out
    }

    fn grants(&self, auths: &[Authentication]) -> Vec<PermissionGrant> {
        let mut out = Vec::new();
        for (wi, wf) in self.wfs.iter().enumerate() {
            let rel = &self.files[wi].rel;
            for (ji, job) in wf.jobs.iter().enumerate() {
                let permissions = self.own_perms(wi, ji);
                let writes = permissions
                    .scopes
                    .iter()
                    .filter(|(_, l)| *l == "write")
                    .map(|(s, _)| s.clone())
                    .collect();
                let oidc = auths
                    .iter()
                    .any(|a| &a.workflow == rel && a.job == job.id && a.method == "oidc");
                out.push(PermissionGrant {
                    workflow: rel.clone(),
                    job: job.id.to_string(),
                    line: job.key.line,
                    permissions,
                    writes,
                    suggested: suggest(job, oidc),
                    owner: self.owners[wi].clone(),
                });
            }
        }
        out
    }
}

/// The least privilege a job's steps show a need for; `None` when a step is not
/// recognised (a third-party action, `gh api`) or the job calls a reusable workflow.
fn suggest(job: &Job<'_>, oidc: bool) -> Option<Scopes> {
    if job.uses().is_some() {
        return None;
    }
    let mut s = Scopes::new();
    for step in &job.steps {
        if let Some(u) = step.uses() {
            let (_, needs) = KNOWN_ACTIONS
                .iter()
                .find(|(a, _)| action_matches(u, a))
                .or_else(|| {
                    u.to_ascii_lowercase()
                        .starts_with("actions/setup-")
                        .then_some(&SETUP_ACTION)
                })?;
            for (scope, level) in *needs {
                merge_scope(&mut s, scope, level);
            }
            if step.is_action("docker/login-action")
                && step
                    .with_str("registry")
                    .is_some_and(|r| r.contains("ghcr.io"))
                && step.with_str("password").is_some_and(is_github_token)
            {
                merge_scope(&mut s, "packages", "write");
            }
        }
        if let Some(script) = step.run_str()
            && !script_needs(script, gh_uses_job_token(job, step), &mut s)
        {
            return None;
        }
    }
    if oidc {
        merge_scope(&mut s, "id-token", "write");
    }
    Some(s)
}

/// Whether `gh` in this step authenticates with the job's token: true unless
/// `GH_TOKEN`/`GITHUB_TOKEN` in the step's or job's `env:` holds something else.
fn gh_uses_job_token(job: &Job<'_>, step: &Step<'_>) -> bool {
    fn lookup(env: Option<&Node>) -> Option<&str> {
        let e = env?;
        ["GH_TOKEN", "GITHUB_TOKEN"]
            .iter()
            .find_map(|k| e.get(k).and_then(Node::as_str))
    }
    lookup(step.node.get("env"))
        .or_else(|| lookup(job.node.get("env")))
        .is_none_or(is_github_token)
}

/// What a secret use is for, from its step and the key it is passed under.
fn purpose_of(step: Option<&Step<'_>>, key: &str, name: &str) -> Option<String> {
    let lname = name.to_ascii_lowercase();
    if let Some(step) = step {
        for (action, purpose) in [
            ("aws-actions/configure-aws-credentials", "cloud-login/aws"),
            ("google-github-actions/auth", "cloud-login/gcp"),
            ("google-github-actions/setup-gcloud", "cloud-login/gcp"),
            ("azure/login", "cloud-login/azure"),
            ("pypa/gh-action-pypi-publish", "registry-publish/pypi"),
            ("JS-DevTools/npm-publish", "registry-publish/npm"),
            ("docker/login-action", "registry-publish/container"),
            ("slackapi/slack-github-action", "notification"),
            ("8398a7/action-slack", "notification"),
            ("rtCamp/action-slack-notify", "notification"),
        ] {
            if step.is_action(action) {
                return Some(purpose.to_string());
            }
        }
    }
    if let Some((_, cloud)) = CLOUD_ENV.iter().find(|(n, _)| n.eq_ignore_ascii_case(key)) {
        return Some(format!("cloud-login/{cloud}"));
    }
    if let Some(reg) = registry_env(key) {
        return Some(format!("registry-publish/{reg}"));
    }
    let script = step.and_then(Step::run_str).unwrap_or("");
    if let Some(reg) = script.lines().find_map(publish_target) {
        return Some(format!("registry-publish/{reg}"));
    }
    let notify = ["slack", "discord", "teams", "telegram", "webhook"];
    if notify.iter().any(|w| lname.contains(w))
        || script.contains("hooks.slack.com")
        || script.contains("discord.com/api/webhooks")
    {
        return Some("notification".into());
    }
    let uses = step.and_then(Step::uses).unwrap_or("").to_ascii_lowercase();
    let deploy_words = [
        "kubectl",
        "helm",
        "terraform apply",
        "deploy",
        "rsync",
        "scp",
        "ssh",
        "flyctl",
        "vercel",
        "netlify",
        "wrangler",
    ];
    if lname.contains("deploy")
        || lname.contains("ssh")
        || uses.contains("deploy")
        || uses.contains("ssh")
        || deploy_words.iter().any(|w| contains_word(script, w))
    {
        return Some("deploy".into());
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_in_expressions() {
        assert_eq!(
            secret_names("secrets.npm_token || secrets['Other-One'] || secrets.GITHUB_TOKEN"),
            ["NPM_TOKEN", "OTHER-ONE"]
        );
        assert!(secret_names("mysecrets.X").is_empty());
        assert!(secret_names("toJSON(secrets)").is_empty());
    }

    #[test]
    fn scripts_needs() {
        let mut s = Scopes::new();
        assert!(script_needs(
            "git push origin v1\ngh release create v1",
            true,
            &mut s
        ));
        assert_eq!(s.get("contents").map(String::as_str), Some("write"));
        assert!(!script_needs("gh api repos/x", true, &mut s));
        let mut t = Scopes::new();
        assert!(script_needs("gh pr edit 1 --add-label x", false, &mut t));
        assert!(t.is_empty());
    }
}
