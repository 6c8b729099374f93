//! The GitHub Actions front end: turns a workflow or action's syntax view
//! ([`super::github::Workflow`]) into the platform-neutral [`Pipeline`] facts, looking
//! every piece of platform knowledge up in [`super::catalog`].

use super::catalog::{self, Provider};
use super::github::{
    FileKind, Job, Step, Workflow, action_matches, contains_word, expressions, has_expr,
    secret_names, uses_github_token,
};
use super::yaml::{Node, Source, Value};
use super::{
    Grant, JobFacts, Login, Method, PassedAs, Pipeline, Platform, Publish, Scopes, SecretRef,
    TokenUse, UsesRef,
};
use std::collections::BTreeMap;

/// Computes the facts of one parsed workflow or action.
pub fn facts(path: &str, src: &Source<'_>, wf: &Workflow<'_>) -> Pipeline {
    let platform = match wf.kind {
        FileKind::Workflow => Platform::GitHubWorkflow,
        FileKind::Action => Platform::GitHubAction,
    };
    let mut p = Pipeline {
        platform,
        path: path.to_string(),
        triggers: wf
            .triggers
            .iter()
            .map(|t| (t.clone(), catalog::exposure(t)))
            .collect(),
        jobs: Vec::new(),
        secret_refs: Vec::new(),
        logins: Vec::new(),
        publishes: Vec::new(),
        uses: Vec::new(),
    };
    for (ji, job) in wf.jobs.iter().enumerate() {
        p.jobs.push(job_facts(src, wf, job));
        if let Some((_, v)) = job.uses() {
            p.uses
                .extend(v.as_str().and_then(|u| UsesRef::parse(u, ji, None, v.line)));
        }
        for step in &job.steps {
            if let Some((_, v)) = step.uses_entry() {
                p.uses.extend(
                    v.as_str()
                        .and_then(|u| UsesRef::parse(u, ji, Some(step.index), v.line)),
                );
            }
        }
        publishes(src, ji, job, &mut p.publishes);
    }
    secret_refs(src, wf, &mut p.secret_refs);
    logins(src, wf, &p.publishes, &mut p.logins);
    // An OIDC login mints the job's OIDC token.
    for l in &p.logins {
        if l.method == Method::Oidc
            && let Some(job) = l.job.and_then(|j| p.jobs.get_mut(j))
        {
            merge_scope(&mut job.token.needs, "id-token", "write");
        }
    }
    p
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether a job's `if:` keeps fork pull requests out.
pub fn same_repo_only(job: &Job<'_>) -> bool {
    let cond = squash(job.condition());
    catalog::SAME_REPO_GUARDS.iter().any(|g| cond.contains(g))
}

/// The scopes a `permissions:` value grants.
pub fn scopes_of(perms: &Node) -> Scopes {
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

fn job_facts(src: &Source<'_>, wf: &Workflow<'_>, job: &Job<'_>) -> JobFacts {
    let grant = if let Some((_, p)) = job.permissions() {
        Grant {
            source: "job",
            scopes: scopes_of(p),
        }
    } else if let Some((_, p)) = wf.permissions {
        Grant {
            source: "workflow",
            scopes: scopes_of(p),
        }
    } else {
        Grant {
            source: "default",
            scopes: Scopes::new(),
        }
    };
    let environment = job.node.get("environment").and_then(|e| {
        e.as_str()
            .or_else(|| e.get("name").and_then(Node::as_str))
            .map(str::to_string)
    });
    let secrets_node = job.node.get("secrets");
    let inherits_secrets = secrets_node
        .and_then(Node::as_str)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("inherit"));
    let call_secrets = secrets_node
        .map(|s| {
            s.entries()
                .iter()
                .filter_map(|(k, v)| {
                    let names = expressions(v.as_str()?)
                        .into_iter()
                        .flat_map(|(_, e)| secret_names(e))
                        .map(str::to_string)
                        .collect();
                    Some((k.as_str()?.to_string(), names))
                })
                .collect()
        })
        .unwrap_or_default();
    JobFacts {
        id: job.id.to_string(),
        span: src.node_span(job.key),
        calls: job
            .uses()
            .and_then(|(_, u)| u.as_str())
            .map(|u| u.trim().to_string()),
        environment,
        same_repo_only: same_repo_only(job),
        grant,
        token: token_use(job),
        steps: job.steps.iter().map(step_label).collect(),
        step_uses: job
            .steps
            .iter()
            .map(|s| s.uses().map(|u| u.trim().to_string()))
            .collect(),
        inherits_secrets,
        call_secrets,
        runs_on: Vec::new(),
    }
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

/// Whether `gh` in this step runs with the job's token (not `GH_TOKEN` set to another
/// secret).
fn gh_uses_job_token(job: &Job<'_>, step: &Step<'_>) -> bool {
    fn lookup(env: Option<&Node>) -> Option<&str> {
        let e = env?;
        ["GH_TOKEN", "GITHUB_TOKEN"]
            .iter()
            .find_map(|k| e.get(k).and_then(Node::as_str))
    }
    lookup(step.node.get("env"))
        .or_else(|| lookup(job.node.get("env")))
        .is_none_or(uses_github_token)
}

/// Whether a script line runs a program kept in the repository (`./release.sh`,
/// `bash scripts/publish.sh`, `python tools/bump.py`): what it does with the token
/// cannot be read from the workflow.
pub fn runs_repo_program(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let Some(mut first) = words.next() else {
        return false;
    };
    if catalog::SCRIPT_INTERPRETERS.contains(&first) {
        match words.find(|w| !w.starts_with('-')) {
            Some(w) => first = w,
            None => return false,
        }
    }
    let first = first.trim_matches(['"', '\'']);
    if first.contains("://") || first.starts_with('$') {
        return false;
    }
    first.starts_with("./")
        || (first.contains('/') && !first.starts_with('/'))
        || catalog::SCRIPT_EXTENSIONS
            .iter()
            .any(|e| first.ends_with(e))
}

/// Reads one script line's token needs into `t`.
fn script_line(line: &str, job_token: bool, t: &mut TokenUse) {
    let l = line.trim();
    if l.starts_with('#') {
        return;
    }
    let words = super::script_words::read_line(l);
    for scope in words.needs {
        merge_scope(&mut t.needs, scope, "write");
    }
    for scope in words.hints {
        if !t.plausible.contains(&scope) {
            t.plausible.push(scope);
        }
    }
    if words.release {
        for scope in catalog::RELEASE_SCOPES {
            if !t.plausible.contains(scope) {
                t.plausible.push(scope);
            }
        }
    }
    if runs_repo_program(l) {
        t.repo_program = true;
    }
    if words.id_token_hint && !t.plausible.contains(&"id-token") {
        t.plausible.push("id-token");
    }
    t.opaque |= words.opaque;
    t.handed_out |= words.token_word;
    let mut words = l.split_whitespace();
    while let Some(w) = words.next() {
        if w != "gh" || !job_token {
            continue;
        }
        let (Some(group), sub) = (words.next(), words.next()) else {
            t.opaque = true;
            return;
        };
        let sub = sub.unwrap_or("");
        match catalog::GH_GROUP_SCOPES.iter().find(|(g, _)| *g == group) {
            Some((_, scope)) if catalog::GH_READ_SUBCOMMANDS.contains(&sub) => {
                merge_scope(&mut t.needs, scope, "read");
            }
            Some((_, scope)) => merge_scope(&mut t.needs, scope, "write"),
            None => t.opaque = true,
        }
    }
}

/// What a job does with its token.
fn token_use(job: &Job<'_>) -> TokenUse {
    let mut t = TokenUse::default();
    if job.uses().is_some() {
        t.opaque = true;
        return t;
    }
    if let Some(env) = job.node.get("env") {
        env.walk_scalars("", &mut |_, _, v| t.handed_out |= uses_github_token(v));
    }
    for step in &job.steps {
        step.node
            .walk_scalars("", &mut |_, _, v| t.handed_out |= uses_github_token(v));
        let label = step_label(step).to_ascii_lowercase();
        if catalog::ID_TOKEN_HINTS.iter().any(|h| label.contains(h))
            && !t.plausible.contains(&"id-token")
        {
            t.plausible.push("id-token");
        }
        if let Some(u) = step.uses() {
            match catalog::action_scopes(u) {
                Some(needs) => {
                    for (scope, level) in needs {
                        merge_scope(&mut t.needs, scope, level);
                    }
                }
                None => t.opaque = true,
            }
            if action_matches(u, "docker/login-action")
                && step
                    .with_str("registry")
                    .is_some_and(|r| catalog::GITHUB_REGISTRIES.iter().any(|g| r.contains(g)))
            {
                merge_scope(&mut t.needs, "packages", "write");
            }
        }
        if let Some(script) = step.run_str() {
            let job_token = gh_uses_job_token(job, step);
            for line in script.lines() {
                script_line(line, job_token, &mut t);
            }
        }
    }
    t
}

/// The registries one step publishes to, and the line of each.
fn step_publishes(src: &Source<'_>, step: &Step<'_>) -> Vec<(Provider, usize, bool, bool)> {
    let mut out = Vec::new();
    if let Some(u) = step.uses() {
        if let Some(a) = catalog::login_action(u).filter(|a| a.publishes) {
            out.push((a.provider, step.node.line, false, false));
        }
        for (action, provider, input) in catalog::PUBLISH_ACTIONS {
            let ok = action_matches(u, action)
                && input.is_none_or(|(name, values)| {
                    step.with_str(name)
                        .is_some_and(|v| values.is_empty() || values.contains(&v.trim()))
                        || (values.is_empty() && step.with_entry(name).is_some())
                });
            if ok {
                out.push((*provider, step.node.line, false, false));
            }
        }
    }
    if let Some((_, run)) = step.run()
        && let Some(script) = run.as_str()
    {
        for l in script.lines() {
            for provider in catalog::publish_commands(l) {
                let line = src
                    .find_in_node(run, l.trim(), 0)
                    .map_or(run.line, |s| s.start_line);
                let with_secret = expressions(l)
                    .iter()
                    .any(|(_, e)| !secret_names(e).is_empty());
                out.push((provider, line, l.contains("--provenance"), with_secret));
            }
        }
    }
    out
}

fn publishes(src: &Source<'_>, ji: usize, job: &Job<'_>, out: &mut Vec<Publish>) {
    let github_npm = job.steps.iter().any(|s| {
        s.is_action("actions/setup-node")
            && s.with_str("registry-url")
                .is_some_and(|u| u.contains("npm.pkg.github.com"))
    });
    for step in &job.steps {
        for (provider, line, provenance, with_secret) in step_publishes(src, step) {
            if github_npm && provider == Provider::Npm {
                continue;
            }
            out.push(Publish {
                provider,
                job: ji,
                step: step.index,
                line,
                provenance,
                with_secret,
            });
        }
    }
}

fn secret_refs(src: &Source<'_>, wf: &Workflow<'_>, out: &mut Vec<SecretRef>) {
    // What each step's script says, read once however many secrets the step uses.
    let mut scripts: BTreeMap<(usize, usize), ScriptPurpose> = BTreeMap::new();
    let mut visit = |job: Option<(usize, &Job<'_>)>, path: &str, node: &Node, value: &str| {
        if !has_expr(value) {
            return;
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (raw, inner) in expressions(value) {
            let nth = seen.entry(raw).or_insert(0);
            let this = *nth;
            *nth += 1;
            for name in secret_names(inner) {
                let span = src
                    .find_in_node(node, raw, this)
                    .unwrap_or_else(|| src.node_span(node));
                let (ji, step) = match job {
                    Some((ji, j)) => (
                        Some(ji),
                        path.strip_prefix(&format!("{}.steps[", j.path))
                            .and_then(|r| r.split(']').next())
                            .and_then(|n| n.parse().ok()),
                    ),
                    None => (None, None),
                };
                let key = path
                    .rsplit('.')
                    .next()
                    .unwrap_or("")
                    .split('[')
                    .next()
                    .unwrap_or("")
                    .to_string();
                let in_call =
                    job.is_some_and(|(_, j)| path.starts_with(&format!("{}.secrets.", j.path)));
                let passed_as = if in_call {
                    PassedAs::CallSecrets
                } else if path.contains(".env.") || path.starts_with("env.") {
                    PassedAs::Env
                } else if path.contains(".with.") {
                    PassedAs::Input
                } else if key == "run" {
                    PassedAs::Script
                } else {
                    PassedAs::Other
                };
                let purpose = if in_call {
                    Some("reusable-workflow".to_string())
                } else {
                    let step = match (job, step) {
                        (Some((ji, j)), Some(i)) => {
                            j.steps.iter().find(|s| s.index == i).map(|s| (ji, s))
                        }
                        _ => None,
                    };
                    let script = match step {
                        Some((ji, s)) => *scripts
                            .entry((ji, s.index))
                            .or_insert_with(|| ScriptPurpose::of(s.run_str().unwrap_or(""))),
                        None => ScriptPurpose::of(""),
                    };
                    purpose_of(step.map(|(_, s)| s), &key, name, script)
                };
                out.push(SecretRef {
                    name: name.to_string(),
                    job: ji,
                    step,
                    key,
                    passed_as,
                    purpose,
                    span,
                });
            }
        }
    };
    if let Some(env) = wf.env {
        env.walk_scalars("env", &mut |p, n, v| visit(None, p, n, v));
    }
    for (ji, job) in wf.jobs.iter().enumerate() {
        job.node
            .walk_scalars(&job.path, &mut |p, n, v| visit(Some((ji, job)), p, n, v));
    }
}

/// Names of the stored secrets in a value.
fn names_in(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, e) in expressions(value) {
        for n in secret_names(e) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(n)) {
                out.push(n.to_string());
            }
        }
    }
    out
}

/// Logins through `env:` variables: one per provider and mapping, at its first
/// variable.
#[allow(clippy::too_many_arguments)]
fn env_logins(
    src: &Source<'_>,
    env: &Node,
    path: &str,
    job: Option<usize>,
    step: Option<usize>,
    publishes_to: &dyn Fn(Provider) -> bool,
    out: &mut Vec<Login>,
) {
    let mut found: Vec<Login> = Vec::new();
    for (k, v) in env.entries() {
        let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
            continue;
        };
        let Some(provider) =
            catalog::cloud_credential_env(name).or_else(|| catalog::registry_token_env(name))
        else {
            continue;
        };
        let secrets = names_in(val);
        if secrets.is_empty() {
            continue;
        }
        if let Some(l) = found.iter_mut().find(|l| l.provider == provider) {
            for s in secrets {
                if !l.secrets.contains(&s) {
                    l.secrets.push(s);
                }
            }
            continue;
        }
        found.push(Login {
            provider,
            method: Method::StaticKey,
            job,
            step,
            span: src.pair_span(k, v),
            key: format!("{path}.{name}"),
            via: name.to_string(),
            secrets,
            from_expression: true,
            publishes: provider.is_package_registry() && publishes_to(provider),
        });
    }
    out.extend(found);
}

fn logins(src: &Source<'_>, wf: &Workflow<'_>, pubs: &[Publish], out: &mut Vec<Login>) {
    let any_publishes = |p: Provider| pubs.iter().any(|x| x.provider == p);
    if let Some(env) = wf.env {
        env_logins(src, env, "env", None, None, &any_publishes, out);
    }
    for (ji, job) in wf.jobs.iter().enumerate() {
        let job_publishes = |p: Provider| pubs.iter().any(|x| x.job == ji && x.provider == p);
        if let Some(env) = job.node.get("env") {
            env_logins(
                src,
                env,
                &format!("{}.env", job.path),
                Some(ji),
                None,
                &job_publishes,
                out,
            );
        }
        for step in &job.steps {
            let mine: Vec<Provider> = pubs
                .iter()
                .filter(|x| x.job == ji && x.step == step.index)
                .map(|x| x.provider)
                .collect();
            let step_publishes = |p: Provider| {
                if mine.is_empty() {
                    job_publishes(p)
                } else {
                    mine.contains(&p)
                }
            };
            if let Some(env) = step.node.get("env") {
                env_logins(
                    src,
                    env,
                    &format!("{}.env", step.path),
                    Some(ji),
                    Some(step.index),
                    &step_publishes,
                    out,
                );
            }
            action_login(src, ji, step, out);
            let regs: Vec<Provider> = if mine.is_empty() {
                let mut r: Vec<Provider> = pubs
                    .iter()
                    .filter(|x| x.job == ji)
                    .map(|x| x.provider)
                    .collect();
                r.sort_unstable();
                r
            } else {
                mine
            };
            script_logins(src, ji, step, regs.first().copied(), out);
        }
    }
}

/// A login action's login: static when a credential input is set, OIDC when an OIDC
/// input is (or by default).
fn action_login(src: &Source<'_>, ji: usize, step: &Step<'_>, out: &mut Vec<Login>) {
    let Some(action) = step.uses().and_then(catalog::login_action) else {
        return;
    };
    let set = |i: &&&str| step.with_str(i).is_some_and(|v| !v.trim().is_empty());
    let custom_index = ["repository-url", "repository_url"].iter().any(|i| {
        step.with_str(i)
            .is_some_and(|u| !u.contains("pypi.org") && !u.trim().is_empty())
    });
    let publishes = action.publishes && !custom_index;
    if let Some(first) = action.static_inputs.iter().find(set) {
        let Some((k, v)) = step.with_entry(first) else {
            return;
        };
        let value = v.as_str().unwrap_or("");
        let job_token = uses_github_token(value);
        let secrets = action
            .static_inputs
            .iter()
            .filter_map(|i| step.with_str(i))
            .flat_map(names_in)
            .collect();
        out.push(Login {
            provider: action.provider,
            method: if job_token {
                Method::JobToken
            } else {
                Method::StaticKey
            },
            job: Some(ji),
            step: Some(step.index),
            span: src.pair_span(k, v),
            key: format!("{}.with.{first}", step.path),
            via: format!("with.{first}"),
            secrets,
            from_expression: has_expr(value),
            publishes,
        });
    } else if action.oidc_by_default || action.oidc_inputs.iter().any(|i| set(&i)) {
        let span = action
            .oidc_inputs
            .iter()
            .find_map(|i| step.with_entry(i))
            .map_or_else(|| src.node_span(step.node), |(k, v)| src.pair_span(k, v));
        out.push(Login {
            provider: action.provider,
            method: Method::Oidc,
            job: Some(ji),
            step: Some(step.index),
            span,
            key: format!("{}.uses", step.path),
            via: "oidc".to_string(),
            secrets: Vec::new(),
            from_expression: false,
            publishes,
        });
    }
}

/// Registry tokens passed on a publishing script's command line.
fn script_logins(
    src: &Source<'_>,
    ji: usize,
    step: &Step<'_>,
    registry: Option<Provider>,
    out: &mut Vec<Login>,
) {
    let Some(reg) = registry else { return };
    let Some((_, run)) = step.run() else { return };
    let Some(script) = run.as_str() else { return };
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for line in script.lines() {
        let lower = line.to_ascii_lowercase();
        for (raw, inner) in expressions(line) {
            let nth = count.entry(raw).or_insert(0);
            let this = *nth;
            *nth += 1;
            let Some(secret) = secret_names(inner).into_iter().next() else {
                continue;
            };
            let sl = secret.to_ascii_lowercase();
            let registry_secret = catalog::REGISTRY_WORDS.iter().any(|w| sl.contains(w));
            let registry_line = catalog::REGISTRY_WORDS.iter().any(|w| lower.contains(w))
                && catalog::TOKEN_FLAGS.iter().any(|h| lower.contains(h));
            if lower.contains("docker") || !(registry_secret || registry_line) {
                continue;
            }
            let span = src
                .find_in_node(run, raw, this)
                .unwrap_or_else(|| src.node_span(run));
            out.push(Login {
                provider: reg,
                method: Method::StaticKey,
                job: Some(ji),
                step: Some(step.index),
                span,
                key: format!("{}.run[{secret}]#{this}", step.path),
                via: "run".to_string(),
                secrets: vec![secret.to_string()],
                from_expression: true,
                publishes: true,
            });
        }
    }
}

/// What a step's script says about the secrets the step uses.
#[derive(Debug, Clone, Copy)]
struct ScriptPurpose {
    /// The first registry a line of it publishes to.
    publishes: Option<Provider>,
    /// Whether it calls a notification webhook.
    notifies: bool,
    /// Whether it runs a deployment command.
    deploys: bool,
}

impl ScriptPurpose {
    fn of(script: &str) -> Self {
        ScriptPurpose {
            publishes: script
                .lines()
                .find_map(|l| catalog::publish_commands(l).next()),
            notifies: catalog::NOTIFY_HOSTS.iter().any(|h| script.contains(h)),
            deploys: catalog::DEPLOY_COMMANDS
                .iter()
                .any(|w| contains_word(script, w)),
        }
    }
}

/// What a secret referenced at `key` (in `step`, if any, whose script says `script`)
/// is for.
fn purpose_of(
    step: Option<&Step<'_>>,
    key: &str,
    name: &str,
    script: ScriptPurpose,
) -> Option<String> {
    let lname = name.to_ascii_lowercase();
    if let Some(u) = step.and_then(Step::uses) {
        if let Some(a) = catalog::login_action(u) {
            return Some(match a.provider {
                p if p.is_cloud() => format!("cloud-login/{}", p.id()),
                Provider::ContainerRegistry => "registry-publish/container".to_string(),
                p => format!("registry-publish/{}", p.id()),
            });
        }
        if let Some((_, purpose)) = catalog::PURPOSE_ACTIONS
            .iter()
            .find(|(a, _)| action_matches(u, a))
        {
            return Some((*purpose).to_string());
        }
    }
    if let Some(p) = catalog::cloud_credential_env(key) {
        return Some(format!("cloud-login/{}", p.id()));
    }
    if let Some(p) = catalog::registry_token_env(key) {
        return Some(format!("registry-publish/{}", p.id()));
    }
    if let Some(p) = script.publishes {
        return Some(format!("registry-publish/{}", p.id()));
    }
    if catalog::NOTIFY_WORDS.iter().any(|w| lname.contains(w)) || script.notifies {
        return Some("notification".into());
    }
    let uses = step.and_then(Step::uses).unwrap_or("").to_ascii_lowercase();
    if lname.contains("deploy")
        || lname.contains("ssh")
        || uses.contains("deploy")
        || uses.contains("ssh")
        || script.deploys
    {
        return Some("deploy".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::runs_repo_program;

    #[test]
    fn repository_programs() {
        assert!(runs_repo_program("./scripts/release.sh v1"));
        assert!(runs_repo_program("bash -e scripts/publish.sh"));
        assert!(runs_repo_program("python tools/bump.py"));
        assert!(runs_repo_program("node release.mjs"));
        assert!(!runs_repo_program("go test ./..."));
        assert!(!runs_repo_program("npm test"));
        assert!(!runs_repo_program("curl https://example.com/x.sh"));
        assert!(!runs_repo_program("/usr/bin/env"));
    }
}
