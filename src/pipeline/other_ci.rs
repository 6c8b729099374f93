//! The syntax view of Azure Pipelines, CircleCI and Bitbucket Pipelines files (YAML) and
//! Jenkinsfiles (Groovy, read line by line): the places credentials, scripts, images and
//! third-party code references are written, each once, with its position.
//!
//! These systems share GitLab's shape for what the audits judge (variable blocks,
//! script lines, images, versioned references), so one walk over the document collects
//! them, driven by the per-platform key tables in [`super::catalog`].

use super::Platform;
use super::catalog;
use super::yaml::{Node, Value};

/// How deep the YAML walk goes.
const MAX_DEPTH: usize = 64;

/// A versioned reference to third-party CI code: a CircleCI orb, a Bitbucket pipe, an
/// Azure template repository, a Jenkins shared library.
#[derive(Debug, Clone)]
pub struct CodeRef {
    /// What it is (`orb`, `pipe`, `repository`, `library`).
    pub kind: &'static str,
    /// The name without the version.
    pub name: String,
    /// The version or ref, when one is given.
    pub version: Option<String>,
    /// 1-based line.
    pub line: usize,
    /// 1-based start and end columns on that line.
    pub cols: (usize, usize),
}

/// A named value in a variables block (`NAME: value`, or Azure's `- name: N value: V`).
#[derive(Debug, Clone)]
pub struct NamedValue {
    /// YAML path of the block.
    pub path: String,
    /// The name node.
    pub key: Node,
    /// The value node.
    pub value: Node,
}

/// What the audits read in one non-GitLab, non-GitHub CI file.
#[derive(Debug, Default)]
pub struct OtherCi {
    /// The document, for YAML platforms.
    pub root: Option<Node>,
    /// Every named value of every variables/env block.
    pub variables: Vec<NamedValue>,
    /// Every script scalar, with its YAML path.
    pub scripts: Vec<(String, Node)>,
    /// Every image reference, with its YAML path.
    pub images: Vec<(String, Node)>,
    /// Versioned third-party code references.
    pub code_refs: Vec<CodeRef>,
    /// Azure `checkout:` steps with `persistCredentials: true` (the flag's key and value).
    pub persisted_checkouts: Vec<(Node, Node)>,
    /// Job or step names with their key nodes, in source order.
    pub jobs: Vec<(String, Node)>,
    /// Whether Bitbucket steps sit under `pull-requests:` (paths that start with it).
    pub pr_paths: Vec<String>,
    /// Azure: the top-level `pr:` trigger, when it runs the pipeline for pull requests
    /// (anything but `none`/`false`).
    pub pr_trigger: Option<(Node, Node)>,
    /// Azure: paths of stages, jobs and steps whose `condition:` (or a `${{ if }}` key)
    /// keeps pull-request builds out.
    pub non_pr_paths: Vec<String>,
    /// CircleCI: jobs that a workflow runs on every branch (no `filters: branches:
    /// only:`, no branch `when:`), so on pull-request branches too.
    pub every_branch_jobs: Vec<BranchJob>,
    /// CircleCI: the reusable commands each job runs, directly or through other
    /// commands, as the YAML paths of their definitions (`commands.publish`,
    /// `orbs.tools.commands.notify`), by job name, in source order.
    pub job_commands: Vec<(String, Vec<String>)>,
}

/// A CircleCI job that a workflow runs on every branch.
#[derive(Debug, Clone)]
pub struct BranchJob {
    /// The job's name (`build`, or `orb/job` for an orb's job).
    pub name: String,
    /// The workflow entry's name node.
    pub entry: Node,
    /// The entry's `context:` value, when it hands the job a context's secrets.
    pub context: Option<Node>,
}

/// Whether an Azure condition (or `${{ if }}` expression) keeps pull-request builds
/// out: `ne(variables['Build.Reason'], 'PullRequest')`, a branch test on
/// `Build.SourceBranch` (a PR build's branch is `refs/pull/N/merge`), or a test that the
/// reason is something else (`eq(variables['Build.Reason'], 'Schedule')`).
pub fn azure_condition_excludes_pr(text: &str) -> bool {
    let s: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '"')
        .flat_map(char::to_lowercase)
        .collect();
    let reason = ["variables[build.reason]", "variables.build.reason"];
    if s.contains("pullrequest") {
        return reason
            .iter()
            .any(|r| s.contains(&format!("ne({r},pullrequest)")));
    }
    let branch = [
        "variables[build.sourcebranch]",
        "variables.build.sourcebranch",
    ];
    branch.iter().any(|b| {
        ["eq(", "startswith("].iter().any(|f| {
            s.contains(&format!("{f}{b},refs/heads/")) || s.contains(&format!("{f}{b},refs/tags/"))
        })
    }) || reason
        .iter()
        .any(|r| s.contains(&format!("eq({r},")) || s.contains(&format!("in({r},")))
}

/// Whether a CircleCI `branches:` filter keeps pull-request branches out: an `only:`
/// list without a catch-all pattern, or `ignore: /.*/` (tags only).
fn circle_branches_filtered(branches: &Node) -> bool {
    let values = |n: &Node| -> Vec<String> {
        match n.as_str() {
            Some(s) => vec![s.trim().to_string()],
            None => n
                .items()
                .iter()
                .filter_map(Node::as_str)
                .map(|s| s.trim().to_string())
                .collect(),
        }
    };
    let catch_all = |v: &str| matches!(v, "/.*/" | "/.+/" | "/pull\\/.*/" | "/pull\\/[0-9]+/");
    if let Some(only) = branches.get("only") {
        let v = values(only);
        return !v.is_empty() && !v.iter().any(|x| catch_all(x));
    }
    branches
        .get("ignore")
        .is_some_and(|i| values(i).iter().any(|x| x == "/.*/"))
}

/// Most commands one CircleCI job is followed through (commands that run commands).
const MAX_COMMANDS_PER_JOB: usize = 256;

/// The value of `key` in a mapping, or in a mapping it merges (`<<: *defaults`, which
/// CircleCI's YAML reader resolves).
fn get_merged<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    node.get(key).or_else(|| {
        let merged = node.get("<<")?;
        match &merged.value {
            Value::Map(_) => merged.get(key),
            _ => merged.items().iter().find_map(|m| m.get(key)),
        }
    })
}

/// The names of the steps of a CircleCI `steps:` list that are not `run:` and the
/// other built-in steps' keys (`- notify` or `- publish: {tag: x}`), in order; the
/// steps of `when:` and `unless:` steps included.
fn invoked(steps: &Node, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for step in steps.items() {
        let (name, conf) = match &step.value {
            Value::Str(s) => (s.trim(), None),
            Value::Map(m) if m.len() == 1 => match m[0].0.as_str() {
                Some(k) => (k.trim(), Some(&m[0].1)),
                None => continue,
            },
            _ => continue,
        };
        if matches!(name, "when" | "unless") {
            if let Some(inner) = conf.and_then(|c| c.get("steps")) {
                invoked(inner, out, depth + 1);
            }
        } else {
            out.push(name.to_string());
        }
    }
}

/// CircleCI: the reusable commands each job runs (see [`OtherCi::job_commands`]).
fn circle_job_commands(root: &Node) -> Vec<(String, Vec<String>)> {
    // name -> (definition path, the orb it belongs to, its steps)
    let mut commands: Vec<(String, String, Option<&str>, Option<&Node>)> = Vec::new();
    let mut jobs: Vec<(String, Option<&str>, Option<&Node>)> = Vec::new();
    for (k, v) in root.get("commands").map_or(&[][..], Node::entries) {
        if let Some(name) = k.as_str() {
            commands.push((
                name.to_string(),
                format!("commands.{name}"),
                None,
                get_merged(v, "steps"),
            ));
        }
    }
    for (k, v) in root.get("jobs").map_or(&[][..], Node::entries) {
        if let Some(name) = k.as_str() {
            jobs.push((name.to_string(), None, get_merged(v, "steps")));
        }
    }
    // Inline orbs: their commands run as `orb/command` from outside, by bare name inside.
    for (ok, ov) in root.get("orbs").map_or(&[][..], Node::entries) {
        let Some(orb) = ok.as_str().filter(|_| ov.is_map()) else {
            continue;
        };
        for (k, v) in ov.get("commands").map_or(&[][..], Node::entries) {
            if let Some(name) = k.as_str() {
                commands.push((
                    format!("{orb}/{name}"),
                    format!("orbs.{orb}.commands.{name}"),
                    Some(orb),
                    get_merged(v, "steps"),
                ));
            }
        }
        for (k, v) in ov.get("jobs").map_or(&[][..], Node::entries) {
            if let Some(name) = k.as_str() {
                jobs.push((format!("{orb}/{name}"), Some(orb), get_merged(v, "steps")));
            }
        }
    }
    if commands.is_empty() {
        return Vec::new();
    }
    let find = |name: &str, orb: Option<&str>| {
        orb.and_then(|o| commands.iter().position(|c| c.0 == format!("{o}/{name}")))
            .or_else(|| commands.iter().position(|c| c.0 == name))
    };
    let mut out = Vec::new();
    for (job, orb, steps) in jobs {
        let Some(steps) = steps else { continue };
        // Breadth first over the commands the job reaches, each once.
        let mut reached: Vec<usize> = Vec::new();
        let mut queue: Vec<(String, Option<&str>)> = Vec::new();
        let mut names = Vec::new();
        invoked(steps, &mut names, 0);
        queue.extend(names.into_iter().map(|n| (n, orb)));
        let mut at = 0;
        while at < queue.len() && reached.len() < MAX_COMMANDS_PER_JOB {
            let (name, in_orb) = &queue[at];
            at += 1;
            let Some(i) = find(name, *in_orb) else {
                continue;
            };
            if reached.contains(&i) {
                continue;
            }
            reached.push(i);
            if let Some(steps) = commands[i].3 {
                let mut names = Vec::new();
                invoked(steps, &mut names, 0);
                let orb = commands[i].2;
                queue.extend(names.into_iter().map(|n| (n, orb)));
            }
        }
        if !reached.is_empty() {
            out.push((
                job,
                reached.into_iter().map(|i| commands[i].1.clone()).collect(),
            ));
        }
    }
    out
}

/// One job entry of a CircleCI workflow.
struct WorkflowEntry<'n> {
    /// The job's name node.
    key: &'n Node,
    /// The name other entries require it by (`name:`, else the job's).
    alias: String,
    /// Whether its own branch filter or an approval gates it.
    gated: bool,
    /// The entries it requires.
    requires: Vec<String>,
    /// Its settings (`context:`, `filters:`, ...).
    conf: Option<&'n Node>,
}

/// CircleCI jobs that the workflows run on every branch.
fn circle_every_branch_jobs(root: &Node) -> Vec<BranchJob> {
    let mut out = Vec::new();
    let Some(workflows) = root.get("workflows") else {
        // Without workflows CircleCI runs the `build` job on every push.
        if let Some((k, _)) = root.get("jobs").and_then(|j| j.entry("build")) {
            out.push(BranchJob {
                name: "build".to_string(),
                entry: k.clone(),
                context: None,
            });
        }
        return out;
    };
    for (_, wf) in workflows.entries() {
        if !wf.is_map() {
            continue;
        }
        // A scheduled workflow, or one gated on the branch, does not run for PRs.
        let gated = ["when", "unless"].iter().any(|k| {
            get_merged(wf, k).is_some_and(|w| {
                let mut hit = false;
                w.walk_scalars("", &mut |_, _, v| {
                    hit |= v.contains("pipeline.git.branch")
                        || v.contains("pipeline.git.tag")
                        || v.contains("pipeline.trigger_source")
                        || v.contains("pipeline.schedule");
                });
                hit
            })
        }) || get_merged(wf, "triggers").is_some();
        if gated {
            continue;
        }
        // Each entry: its job, the name others require it by, whether its own filter or
        // an approval gates it, what it requires.
        let mut entries: Vec<WorkflowEntry<'_>> = Vec::new();
        for item in get_merged(wf, "jobs").map(Node::items).unwrap_or_default() {
            let (key, conf) = match &item.value {
                Value::Str(_) => (item, None),
                Value::Map(m) if m.len() == 1 => (&m[0].0, Some(&m[0].1)),
                _ => continue,
            };
            let Some(name) = key.as_str() else { continue };
            let filtered = conf
                .and_then(|c| get_merged(c, "filters"))
                .and_then(|f| get_merged(f, "branches"))
                .is_some_and(circle_branches_filtered);
            let approval = conf
                .and_then(|c| get_merged(c, "type"))
                .and_then(Node::as_str)
                .is_some_and(|t| t == "approval");
            let alias = conf
                .and_then(|c| get_merged(c, "name"))
                .and_then(Node::as_str)
                .unwrap_or(name)
                .to_string();
            let requires: Vec<String> = conf
                .and_then(|c| get_merged(c, "requires"))
                .map(|r| {
                    r.items()
                        .iter()
                        .filter_map(Node::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            entries.push(WorkflowEntry {
                key,
                alias,
                gated: filtered || approval,
                requires,
                conf,
            });
        }
        // A job that requires a filtered (or approved) job only runs when that one does
        // (CircleCI skips it otherwise): gating flows down `requires:`, to a fixpoint.
        let mut gated: Vec<bool> = entries.iter().map(|e| e.gated).collect();
        for _ in 0..entries.len() {
            let mut changed = false;
            for i in 0..entries.len() {
                if gated[i] {
                    continue;
                }
                let up = entries[i]
                    .requires
                    .iter()
                    .any(|r| entries.iter().zip(&gated).any(|(e, g)| *g && e.alias == *r));
                if up {
                    gated[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (WorkflowEntry { key, conf, .. }, g) in entries.into_iter().zip(gated) {
            let Some(name) = key.as_str().filter(|_| !g) else {
                continue;
            };
            out.push(BranchJob {
                name: name.to_string(),
                entry: key.clone(),
                context: conf.and_then(|c| get_merged(c, "context")).cloned(),
            });
        }
    }
    out
}

fn walk<'n>(
    node: &'n Node,
    path: &mut String,
    depth: usize,
    f: &mut dyn FnMut(&str, &'n Node, &'n Node),
) {
    if depth > MAX_DEPTH {
        return;
    }
    match &node.value {
        Value::Map(m) => {
            for (k, v) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k.as_str().unwrap_or("?"));
                f(path, k, v);
                walk(v, path, depth + 1, f);
                path.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(n, path, depth + 1, f);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn scalars<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
    match &n.value {
        Value::Str(_) => out.push(n),
        Value::Seq(items) => {
            for i in items {
                if i.as_str().is_some() {
                    out.push(i);
                }
            }
        }
        _ => {}
    }
}

fn split_version(s: &str, sep: char) -> (String, Option<String>) {
    match s.rsplit_once(sep) {
        Some((n, v)) if !n.is_empty() => (n.to_string(), Some(v.to_string())),
        _ => (s.to_string(), None),
    }
}

impl OtherCi {
    /// Reads a YAML CI file of `platform`.
    pub fn from_yaml(platform: Platform, root: Node, src: &super::yaml::Source<'_>) -> OtherCi {
        let mut v = OtherCi::default();
        let mut path = String::new();
        let var_keys = catalog::variable_block_keys(platform);
        let script_keys = catalog::script_keys(platform);
        {
            let vars = &mut v.variables;
            let scripts = &mut v.scripts;
            let images = &mut v.images;
            let refs = &mut v.code_refs;
            let checkouts = &mut v.persisted_checkouts;
            let jobs = &mut v.jobs;
            let prs = &mut v.pr_paths;
            let non_pr = &mut v.non_pr_paths;
            walk(&root, &mut path, 0, &mut |p, k, val| {
                let Some(key) = k.as_str() else { return };
                if platform == Platform::AzurePipelines {
                    if key == "condition" && val.as_str().is_some_and(azure_condition_excludes_pr) {
                        non_pr.push(p.strip_suffix(".condition").unwrap_or(p).to_string());
                    } else if key.trim_start().starts_with("${{")
                        && key.contains("if")
                        && !key.contains("else")
                        && azure_condition_excludes_pr(key)
                    {
                        non_pr.push(p.to_string());
                    }
                }
                if var_keys.contains(&key) {
                    if val.is_map() {
                        for (nk, nv) in val.entries() {
                            vars.push(NamedValue {
                                path: p.to_string(),
                                key: nk.clone(),
                                value: nv.clone(),
                            });
                        }
                    }
                    // Azure's list form: `- name: N` / `value: V`.
                    for item in val.items() {
                        if let (Some(name), Some(nv)) = (item.get("name"), item.get("value")) {
                            vars.push(NamedValue {
                                path: p.to_string(),
                                key: name.clone(),
                                value: nv.clone(),
                            });
                        }
                    }
                }
                if script_keys.contains(&key) {
                    let mut s = Vec::new();
                    scalars(val, &mut s);
                    scripts.extend(s.into_iter().map(|n| (p.to_string(), n.clone())));
                }
                match (platform, key) {
                    // Azure `pool: image:` names a VM image, not a container, and a
                    // template parameter's default is a value the template may use
                    // anywhere (WSL's test-stage.yml lists VM images there).
                    (_, "image")
                        if !p.contains("pool")
                            && (platform != Platform::AzurePipelines
                                || !p.starts_with("parameters")) =>
                    {
                        if let Some(s) = val.as_str().map(|_| val).or_else(|| val.get("name")) {
                            images.push((p.to_string(), s.clone()));
                        }
                    }
                    (Platform::AzurePipelines, "container") if !p.contains("containers[") => {
                        if let Some(s) = val.as_str().map(|_| val).or_else(|| val.get("image")) {
                            images.push((p.to_string(), s.clone()));
                        }
                    }
                    (Platform::AzurePipelines, "persistCredentials")
                        if val.as_str().is_some_and(|s| s.trim() == "true") =>
                    {
                        checkouts.push((k.clone(), val.clone()));
                    }
                    (Platform::AzurePipelines, "repositories") => {
                        for r in val.items() {
                            let external = r
                                .get("type")
                                .and_then(Node::as_str)
                                .is_some_and(|t| t != "git" || r.get("endpoint").is_some());
                            if let Some(name) =
                                r.get("name").and_then(Node::as_str).filter(|_| external)
                            {
                                let version =
                                    r.get("ref").and_then(Node::as_str).map(str::to_string);
                                let at = r.get("name").unwrap_or(r);
                                let span = src.node_span(at);
                                refs.push(CodeRef {
                                    kind: "repository",
                                    name: name.to_string(),
                                    version,
                                    line: span.start_line,
                                    cols: (span.start_column, span.end_column),
                                });
                            }
                        }
                    }
                    (Platform::CircleCi, "orbs") if p == "orbs" => {
                        for (_, ov) in val.entries() {
                            if let Some(s) = ov.as_str() {
                                let (name, version) = split_version(s.trim(), '@');
                                let span = src.node_span(ov);
                                refs.push(CodeRef {
                                    kind: "orb",
                                    name,
                                    version,
                                    line: span.start_line,
                                    cols: (span.start_column, span.end_column),
                                });
                            }
                        }
                    }
                    (Platform::CircleCi, "jobs") if p == "jobs" => {
                        jobs.extend(
                            val.entries()
                                .iter()
                                .filter_map(|(jk, _)| Some((jk.as_str()?.to_string(), jk.clone()))),
                        );
                    }
                    // An inline orb's jobs (`orbs: name: jobs:`), run as `name/job`.
                    (Platform::CircleCi, "jobs")
                        if p.starts_with("orbs.") && p.matches('.').count() == 2 =>
                    {
                        let orb = &p["orbs.".len()..p.len() - ".jobs".len()];
                        jobs.extend(val.entries().iter().filter_map(|(jk, _)| {
                            Some((format!("{orb}/{}", jk.as_str()?), jk.clone()))
                        }));
                    }
                    (Platform::Bitbucket, "pipe") => {
                        if let Some(s) = val.as_str() {
                            let (name, version) = split_version(s.trim(), ':');
                            let span = src.node_span(val);
                            refs.push(CodeRef {
                                kind: "pipe",
                                name,
                                version,
                                line: span.start_line,
                                cols: (span.start_column, span.end_column),
                            });
                        }
                    }
                    (Platform::Bitbucket, "step") => {
                        let name = val.get("name").and_then(Node::as_str).unwrap_or("step");
                        jobs.push((name.to_string(), k.clone()));
                        if p.starts_with("pipelines.pull-requests") {
                            prs.push(p.to_string());
                        }
                    }
                    (Platform::AzurePipelines, "job" | "deployment") => {
                        if let Some(name) = val.as_str() {
                            jobs.push((name.to_string(), k.clone()));
                        }
                    }
                    _ => {}
                }
            });
        }
        if platform == Platform::AzurePipelines
            && let Some((k, pr)) = root.entry("pr")
            && !pr
                .as_str()
                .is_some_and(|s| matches!(s.trim(), "none" | "false"))
        {
            v.pr_trigger = Some((k.clone(), pr.clone()));
        }
        if platform == Platform::CircleCi {
            v.every_branch_jobs = circle_every_branch_jobs(&root);
            v.job_commands = circle_job_commands(&root);
        }
        v.root = Some(root);
        v
    }

    /// CircleCI: the jobs that run the command whose definition holds `path` (a YAML
    /// path such as `commands.publish.steps[0].run`); `None` when `path` is not in a
    /// command.
    pub fn command_callers(&self, path: &str) -> Option<Vec<&str>> {
        let in_command = |c: &str| {
            path.strip_prefix(c)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        };
        let defined = path.starts_with("commands.")
            || (path.starts_with("orbs.") && path.split('.').nth(2) == Some("commands"));
        if !defined {
            return None;
        }
        Some(
            self.job_commands
                .iter()
                .filter(|(_, cmds)| cmds.iter().any(|c| in_command(c)))
                .map(|(job, _)| job.as_str())
                .collect(),
        )
    }

    /// Whether Azure `path` lies in a stage, job or step kept off pull-request builds.
    pub fn off_pr_builds(&self, path: &str) -> bool {
        self.non_pr_paths.iter().any(|p| {
            path.strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    /// Whether Bitbucket `path` lies in a step that runs for pull requests.
    pub fn in_pr_step(&self, path: &str) -> bool {
        self.pr_paths.iter().any(|p| path.starts_with(p.as_str()))
    }
}

/// A Jenkinsfile, read line by line.
#[derive(Debug, Default)]
pub struct Jenkinsfile {
    /// Credential variables bound by `withCredentials` or `credentials(...)`, with the
    /// line of the binding.
    pub credential_vars: Vec<(String, usize)>,
    /// Shared libraries (`@Library('name@ref')`).
    pub code_refs: Vec<CodeRef>,
    /// Docker images of agents and `docker.image(...)`.
    pub images: Vec<(String, usize, (usize, usize))>,
    /// Stage names with their lines.
    pub stages: Vec<(String, usize)>,
}

fn quoted_after<'t>(line: &'t str, key: &str) -> Vec<(&'t str, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = line[from..].find(key) {
        let s = from + p + key.len();
        let rest = &line[s..];
        let t = rest.trim_start_matches([' ', ':', '=', '(']);
        let off = s + (rest.len() - t.len());
        if let Some(q) = t.chars().next().filter(|c| *c == '\'' || *c == '"')
            && let Some(end) = t[1..].find(q)
        {
            out.push((&t[1..1 + end], off + 1));
        }
        from = s;
    }
    out
}

impl Jenkinsfile {
    /// Reads a Jenkinsfile's text.
    pub fn parse(text: &str) -> Jenkinsfile {
        let mut j = Jenkinsfile::default();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let l = line.trim();
            if l.starts_with("//") {
                continue;
            }
            for key in [
                "variable",
                "usernameVariable",
                "passwordVariable",
                "keyFileVariable",
                "passphraseVariable",
                "accessKeyVariable",
                "secretKeyVariable",
            ] {
                for (name, _) in quoted_after(line, &format!("{key}:")) {
                    j.credential_vars.push((name.to_string(), n));
                }
            }
            if let Some((lhs, rhs)) = l.split_once('=')
                && rhs.trim_start().starts_with("credentials(")
            {
                let name = lhs.trim().to_string();
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    // `credentials()` of a username/password also binds NAME_USR and NAME_PSW.
                    j.credential_vars.push((format!("{name}_USR"), n));
                    j.credential_vars.push((format!("{name}_PSW"), n));
                    j.credential_vars.push((name, n));
                }
            }
            for (lib, col) in quoted_after(line, "@Library") {
                let (name, version) = split_version(lib, '@');
                let chars = line[..col].chars().count();
                j.code_refs.push(CodeRef {
                    kind: "library",
                    name,
                    version,
                    line: n,
                    cols: (chars + 1, chars + 1 + lib.chars().count()),
                });
            }
            for key in ["image", "docker.image"] {
                for (img, col) in quoted_after(line, key) {
                    if key == "image" && line.contains("docker.image") {
                        continue;
                    }
                    let chars = line[..col].chars().count();
                    j.images.push((
                        img.to_string(),
                        n,
                        (chars + 1, chars + 1 + img.chars().count()),
                    ));
                }
            }
            for (stage, _) in quoted_after(line, "stage") {
                j.stages.push((stage.to_string(), n));
            }
        }
        j
    }
}
