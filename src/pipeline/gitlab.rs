//! The GitLab CI syntax view: a parsed `.gitlab-ci.yml` (or a file it includes) with
//! YAML merge keys and `!reference` tags resolved, every job (hidden ones too) with
//! `extends:`, `default:` and global `variables:` applied, and the `include:` entries.
//!
//! Resolved values are copies of the nodes where they are written, positions included,
//! so a finding about an inherited value lands on its definition: a password in a
//! hidden `.base` job inherited by two jobs is one place, not three.

use super::catalog;
use super::yaml::{self, Node, Value};
use std::collections::HashMap;

/// How many `extends:` levels are followed (GitLab's own limit is 11).
pub const MAX_EXTENDS_DEPTH: usize = 11;
/// How many nested `!reference` tags are followed (GitLab's limit is 10).
pub const MAX_REFERENCE_DEPTH: usize = 10;
/// How deep below a job `!reference` tags are looked for.
const MAX_NESTING: usize = 32;
/// How many `include:` entries are read.
pub const MAX_INCLUDES: usize = 150;
/// Most YAML nodes the jobs' resolved mappings may hold in total: `extends:` copies its
/// parents into every job, so a small file can ask for a quadratic amount of memory.
pub const MAX_RESOLVED_NODES: usize = 500_000;

fn count_nodes(n: &Node) -> usize {
    count_nodes_up_to(n, usize::MAX)
}

/// The kind of an `include:` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeKind {
    /// A file of this repository (`local:`, or a plain path).
    Local,
    /// A file fetched over HTTP(S) when the pipeline is created (`remote:`).
    Remote,
    /// A file of another project (`project:` + `file:`, optional `ref:`).
    Project,
    /// A GitLab-maintained template (`template:`).
    Template,
    /// A CI/CD catalog component (`component:` with `@version`).
    Component,
}

/// One `include:` entry.
#[derive(Debug, Clone)]
pub struct Include {
    /// Its kind.
    pub kind: IncludeKind,
    /// The path, URL, project or component it names.
    pub target: String,
    /// The `ref:` of a project include, or the version after `@` of a component.
    pub version: Option<String>,
    /// The node to point at (the value naming the target).
    pub node: Node,
    /// YAML path of the entry (`include[2]`).
    pub path: String,
    /// Whether the entry pins the content's hash (`integrity:`).
    pub integrity: bool,
}

/// One job (or hidden job, or template) of a GitLab CI file.
#[derive(Debug, Clone)]
pub struct GlJob {
    /// Its name.
    pub id: String,
    /// Its key node.
    pub key: Node,
    /// Whether its name starts with `.` (never run by itself).
    pub hidden: bool,
    /// Its mapping as written (merge keys and `!reference` tags resolved).
    pub own: Node,
    /// Its effective mapping: `extends:` parents deep-merged, `default:` keys filled in.
    pub effective: Node,
    /// Its effective variables: global ones it inherits, then its own (later wins).
    pub variables: Vec<(Node, Node)>,
    /// `extends:` targets that are not defined in this file (another file's, or none).
    pub unresolved_extends: Vec<String>,
}

impl GlJob {
    /// The value of `key` in the effective mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.effective.get(key)
    }

    /// Script lines of `before_script`, `script` and `after_script`, each the scalar
    /// node it comes from (a `|` block is one node).
    pub fn script_nodes(&self) -> Vec<(&'static str, &Node)> {
        let mut out = Vec::new();
        for key in ["before_script", "script", "after_script"] {
            if let Some(n) = self.get(key) {
                collect_scalars(n, key, &mut out, 0);
            }
        }
        out
    }

    /// The value of effective variable `name`, as its key and value nodes.
    pub fn variable(&self, name: &str) -> Option<(&Node, &Node)> {
        self.variables
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(k, v)| (k, v))
    }
}

fn collect_scalars<'a>(
    n: &'a Node,
    key: &'static str,
    out: &mut Vec<(&'static str, &'a Node)>,
    depth: usize,
) {
    match &n.value {
        Value::Str(_) => out.push((key, n)),
        // A `!reference` left unresolved (its target is in a file we do not read, or
        // it names itself) holds a job and key name, not commands.
        Value::Seq(_) if n.tag.as_deref() == Some("reference") => {}
        Value::Seq(items) if depth < MAX_REFERENCE_DEPTH => {
            for i in items {
                collect_scalars(i, key, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// The string value of a variable definition (`NAME: value` or `NAME: {value: ...}`).
pub fn variable_value(v: &Node) -> Option<&Node> {
    if v.is_map() { v.get("value") } else { Some(v) }
}

/// A parsed GitLab CI file.
#[derive(Debug)]
pub struct GitLabCi {
    /// The document, merge keys and `!reference` tags resolved.
    pub root: Node,
    /// Every job, hidden ones too, in source order.
    pub jobs: Vec<GlJob>,
    /// The `include:` entries.
    pub includes: Vec<Include>,
    /// `workflow:`, this file's or an including file's.
    pub workflow: Option<Node>,
}

impl GitLabCi {
    /// Builds the view of a parsed document (a mapping). `Err` when resolving
    /// `extends:` would exceed [`MAX_RESOLVED_NODES`].
    pub fn new(parsed: &Node) -> Result<GitLabCi, String> {
        GitLabCi::with_context(parsed, Vec::new())
    }

    /// Builds the view of a parsed document whose pipeline also reads `context` (the
    /// other files of its `include:` closure): their jobs can be `extends:` targets,
    /// their `variables:`, `default:` and `workflow:` apply where this file sets none.
    /// Nodes taken from them are marked [`Node::foreign`].
    pub fn with_context(parsed: &Node, context: Vec<Node>) -> Result<GitLabCi, String> {
        let mut root = parsed.clone();
        yaml::resolve_merge_keys(&mut root);
        let mut context: Vec<Node> = context
            .into_iter()
            .map(|mut d| {
                yaml::resolve_merge_keys(&mut d);
                yaml::mark_foreign(&mut d);
                d
            })
            .collect();
        // `!reference` names a job of any file of the pipeline; this file's win.
        let mut lookup = root.clone();
        if let Value::Map(m) = &mut lookup.value {
            for d in &context {
                m.extend(d.entries().iter().cloned());
            }
        }
        let mut refs = References {
            root: &lookup,
            budget: MAX_RESOLVED_NODES,
            open: Vec::new(),
            exceeded: None,
        };
        refs.resolve(&mut root, 0);
        for d in &mut context {
            refs.resolve(d, 0);
        }
        if let Some((line, col)) = refs.exceeded {
            return Err(format!(
                "{line}:{col}: `!reference` tags resolve to more than {MAX_RESOLVED_NODES} YAML nodes; the file is not audited"
            ));
        }
        drop(lookup);
        flatten_rules(&mut root);
        for d in &mut context {
            flatten_rules(d);
        }
        let mut includes = includes_of(&root);
        includes.extend(child_includes_of(&root));
        let mut raw: Vec<(Node, Node)> = Vec::new();
        for (k, v) in root.entries() {
            let Some(name) = k.as_str() else { continue };
            if catalog::GITLAB_GLOBAL_KEYS.contains(&name) || !v.is_map() {
                continue;
            }
            raw.push((k.clone(), v.clone()));
        }
        let mut foreign: Vec<(Node, Node)> = Vec::new();
        let mut ctx_vars: Vec<(Node, Node)> = Vec::new();
        let mut ctx_default: Option<Node> = None;
        let mut workflow = root.get("workflow").cloned();
        for doc in context {
            for (k, v) in doc.entries() {
                match k.as_str() {
                    Some("variables") => ctx_vars.extend(v.entries().iter().cloned()),
                    Some("default") if ctx_default.is_none() => ctx_default = Some(v.clone()),
                    Some("workflow") if workflow.is_none() => workflow = Some(v.clone()),
                    Some(n) if !catalog::GITLAB_GLOBAL_KEYS.contains(&n) && v.is_map() => {
                        foreign.push((k.clone(), v.clone()));
                    }
                    _ => {}
                }
            }
        }
        let mut by_name: HashMap<&str, &Node> = foreign
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
            .collect();
        by_name.extend(raw.iter().filter_map(|(k, v)| Some((k.as_str()?, v))));
        let mut memo: HashMap<String, Node> = HashMap::new();
        let own_default = root.get("default").cloned();
        let default = match (own_default, ctx_default) {
            (Some(mut own), Some(ctx)) => {
                let mut merged = ctx;
                deep_merge(&mut merged, own.clone());
                own = merged;
                Some(own)
            }
            (own, ctx) => own.or(ctx),
        };
        let default = default.as_ref();
        let globals_node: Option<Node> = if ctx_vars.is_empty() {
            root.get("variables").cloned()
        } else {
            let mut vars = ctx_vars;
            if let Some(own) = root.get("variables") {
                vars.extend(own.entries().iter().cloned());
            }
            let mut n = root
                .get("variables")
                .cloned()
                .unwrap_or_else(|| root.clone());
            n.value = Value::Map(vars);
            Some(n)
        };
        let globals = globals_node.as_ref();
        let mut jobs = Vec::new();
        let mut budget = MAX_RESOLVED_NODES;
        for (k, v) in &raw {
            let id = k.as_str().unwrap_or("").to_string();
            let mut missing = Vec::new();
            let mut stack = Vec::new();
            let mut effective = extended(&id, v, &by_name, &mut memo, &mut stack, &mut missing);
            apply_defaults(&mut effective, &root, default);
            let variables = job_variables(&effective, globals);
            let size = count_nodes(&effective) + 2 * variables.len();
            budget = budget.checked_sub(size).ok_or_else(|| {
                format!(
                    "1:1: `extends:`, `default:` and global variables resolve to more than {MAX_RESOLVED_NODES} YAML nodes across the jobs (at job `{}`); the file is not audited",
                    k.as_str().unwrap_or("?")
                )
            })?;
            jobs.push(GlJob {
                hidden: id.starts_with('.'),
                id,
                key: k.clone(),
                own: v.clone(),
                effective,
                variables,
                unresolved_extends: missing,
            });
        }
        Ok(GitLabCi {
            root,
            jobs,
            includes,
            workflow,
        })
    }

    /// Jobs that run (not hidden).
    pub fn runnable(&self) -> impl Iterator<Item = &GlJob> {
        self.jobs.iter().filter(|j| !j.hidden)
    }

    /// Every place a script line is written, once per definition: each job's own
    /// scripts (hidden ones too), `default:` and the legacy top level. Entries are
    /// `(YAML path, key, scalar node)`; inherited copies are not repeated.
    pub fn script_definitions(&self) -> Vec<(String, &'static str, &Node)> {
        let mut out = Vec::new();
        let mut holders: Vec<(String, &Node)> = vec![(String::new(), &self.root)];
        if let Some(d) = self.root.get("default") {
            holders.push(("default.".into(), d));
        }
        for j in &self.jobs {
            holders.push((format!("{}.", j.id), &j.own));
        }
        for (prefix, node) in holders {
            for key in ["before_script", "script", "after_script"] {
                if let Some(n) = node.get(key) {
                    let mut v = Vec::new();
                    collect_scalars(n, key, &mut v, 0);
                    out.extend(v.into_iter().map(|(k, n)| (format!("{prefix}{k}"), k, n)));
                }
            }
        }
        out
    }

    /// Every `variables:` mapping written in the file, with its YAML path: global,
    /// each job's own, `services:` entries, `rules:` and `workflow: rules` entries.
    pub fn variable_blocks(&self) -> Vec<(String, &Node)> {
        let mut out = Vec::new();
        fn add<'n>(prefix: &str, holder: &'n Node, out: &mut Vec<(String, &'n Node)>) {
            if let Some(v) = holder.get("variables").filter(|v| v.is_map()) {
                out.push((format!("{prefix}variables"), v));
            }
            if let Some(s) = holder.get("services") {
                for (i, svc) in s.items().iter().enumerate() {
                    if let Some(v) = svc.get("variables").filter(|v| v.is_map()) {
                        out.push((format!("{prefix}services[{i}].variables"), v));
                    }
                }
            }
            if let Some(r) = holder.get("rules") {
                for (i, rule) in r.items().iter().enumerate() {
                    if let Some(v) = rule.get("variables").filter(|v| v.is_map()) {
                        out.push((format!("{prefix}rules[{i}].variables"), v));
                    }
                }
            }
        }
        add("", &self.root, &mut out);
        if let Some(d) = self.root.get("default") {
            add("default.", d, &mut out);
        }
        if let Some(w) = self.root.get("workflow") {
            add("workflow.", w, &mut out);
        }
        for j in &self.jobs {
            add(&format!("{}.", j.id), &j.own, &mut out);
        }
        out
    }

    /// The `workflow: rules` entries.
    pub fn workflow_rules(&self) -> &[Node] {
        self.workflow
            .as_ref()
            .and_then(|w| w.get("rules"))
            .map_or(&[], Node::items)
    }
}

/// The span a finding about `node` in `job` gets: the node's own when it is written in
/// this file, else the job's key (the place in this file that pulls it in).
pub fn local_span(src: &super::yaml::Source<'_>, job: &GlJob, node: &Node) -> crate::finding::Span {
    if node.foreign {
        src.node_span(&job.key)
    } else {
        src.node_span(node)
    }
}

/// Resolves `!reference [job, key, ...]` tags: each is replaced by a copy of what it
/// names in `root` (flattened into a list it sits in, as GitLab does for scripts and
/// rules), its own references resolved. A reference that names nothing, or is nested
/// more than [`MAX_REFERENCE_DEPTH`] deep, or names what is being resolved (a cycle:
/// GitLab refuses the file) stays as written. Copies are counted: references that fan
/// out (each level naming the one below several times) would otherwise take memory
/// exponential in the file's size.
struct References<'r> {
    root: &'r Node,
    /// Nodes copies may still add.
    budget: usize,
    /// The paths of the references being resolved, outermost first.
    open: Vec<Vec<String>>,
    /// Where the budget ran out.
    exceeded: Option<(usize, usize)>,
}

impl References<'_> {
    /// Replaces the references below `node`.
    fn resolve(&mut self, node: &mut Node, depth: usize) {
        if depth > MAX_NESTING || self.exceeded.is_some() {
            return;
        }
        match &mut node.value {
            Value::Map(entries) => {
                for (_, v) in entries.iter_mut() {
                    if let Some(r) = self.target(v) {
                        *v = r;
                    } else {
                        self.resolve(v, depth + 1);
                    }
                }
            }
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for mut item in items.drain(..) {
                    match self.target(&item) {
                        Some(Node {
                            value: Value::Seq(inner),
                            ..
                        }) => out.extend(inner),
                        Some(r) => out.push(r),
                        None => {
                            self.resolve(&mut item, depth + 1);
                            out.push(item);
                        }
                    }
                }
                *items = out;
            }
            Value::Str(_) | Value::Null => {}
        }
    }

    /// What a `!reference` node names, its own references resolved; `None` when
    /// `node` is not a reference or it stays as written.
    fn target(&mut self, node: &Node) -> Option<Node> {
        if node.tag.as_deref() != Some("reference")
            || self.open.len() >= MAX_REFERENCE_DEPTH
            || self.exceeded.is_some()
        {
            return None;
        }
        let path: Vec<String> = node
            .items()
            .iter()
            .map(|p| p.as_str().map(str::to_string))
            .collect::<Option<_>>()?;
        if path.is_empty() || self.open.contains(&path) {
            return None;
        }
        let mut cur = self.root;
        for part in &path {
            cur = cur.get(part)?;
        }
        let size = count_nodes_up_to(cur, self.budget);
        if size > self.budget {
            self.exceeded = Some((node.line, node.col + 1));
            return None;
        }
        self.budget -= size;
        let mut out = cur.clone();
        self.open.push(path);
        let resolved = if out.tag.as_deref() == Some("reference") {
            self.target(&out)
        } else {
            self.resolve(&mut out, 0);
            Some(out)
        };
        self.open.pop();
        resolved
    }
}

/// Flattens the lists nested in each job's and the workflow's `rules:`, as GitLab does
/// (`rules: [*common, {if: ...}]` with `.common: &common [...]` is one list of rules).
fn flatten_rules(doc: &mut Node) {
    let Value::Map(entries) = &mut doc.value else {
        return;
    };
    for (_, holder) in entries.iter_mut() {
        let Value::Map(keys) = &mut holder.value else {
            continue;
        };
        for (k, v) in keys.iter_mut() {
            if k.as_str() == Some("rules") && matches!(v.value, Value::Seq(_)) {
                let mut flat = Vec::new();
                flatten_into(std::mem::replace(&mut v.value, Value::Null), &mut flat, 0);
                v.value = Value::Seq(flat);
            }
        }
    }
}

fn flatten_into(value: Value, out: &mut Vec<Node>, depth: usize) {
    let Value::Seq(items) = value else { return };
    for item in items {
        if matches!(item.value, Value::Seq(_)) && depth < MAX_REFERENCE_DEPTH {
            flatten_into(item.value, out, depth + 1);
        } else {
            out.push(item);
        }
    }
}

/// The nodes of `n`, counting stopped once past `limit`.
fn count_nodes_up_to(n: &Node, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![n];
    while let Some(n) = stack.pop() {
        count += 1;
        if count > limit {
            break;
        }
        match &n.value {
            Value::Map(m) => stack.extend(m.iter().map(|(_, v)| v)),
            Value::Seq(s) => stack.extend(s.iter()),
            Value::Str(_) | Value::Null => {}
        }
    }
    count
}

/// The `extends:` targets of a job mapping.
fn extends_of(job: &Node) -> Vec<String> {
    match job.get("extends") {
        Some(n) => match &n.value {
            Value::Str(s) => vec![s.trim().to_string()],
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(|s| s.trim().to_string()))
                .collect(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// A job's mapping with its `extends:` parents deep-merged under it (bounded, cycle-safe,
/// memoised so every job is resolved once).
fn extended(
    id: &str,
    job: &Node,
    by_name: &HashMap<&str, &Node>,
    memo: &mut HashMap<String, Node>,
    stack: &mut Vec<String>,
    missing: &mut Vec<String>,
) -> Node {
    if let Some(done) = memo.get(id) {
        return done.clone();
    }
    let parents = extends_of(job);
    let mut base: Option<Node> = None;
    if stack.len() < MAX_EXTENDS_DEPTH {
        stack.push(id.to_string());
        for p in parents {
            if stack.contains(&p) {
                continue;
            }
            let Some(pnode) = by_name.get(p.as_str()) else {
                missing.push(p);
                continue;
            };
            let resolved = extended(&p, pnode, by_name, memo, stack, missing);
            base = Some(match base {
                None => resolved,
                Some(mut b) => {
                    deep_merge(&mut b, resolved);
                    b
                }
            });
        }
        stack.pop();
    }
    let mut own = job.clone();
    if let Value::Map(m) = &mut own.value {
        m.retain(|(k, _)| k.as_str() != Some("extends"));
    }
    let out = match base {
        Some(mut b) => {
            deep_merge(&mut b, own);
            // The job's own key and position, its parents' content.
            b.line = job.line;
            b.col = job.col;
            b.index = job.index;
            b.end_index = job.end_index;
            b
        }
        None => own,
    };
    memo.insert(id.to_string(), out.clone());
    out
}

/// Merges `over` into `base` as `extends:` does: mappings key by key, recursively;
/// anything else replaced.
fn deep_merge(base: &mut Node, over: Node) {
    let (Value::Map(b), Value::Map(o)) = (&mut base.value, over.value) else {
        return;
    };
    for (k, v) in o {
        let key = k.as_str().map(str::to_string);
        match b
            .iter_mut()
            .find(|(bk, _)| key.is_some() && bk.as_str() == key.as_deref())
        {
            Some((_, bv)) if bv.is_map() && v.is_map() => deep_merge(bv, v),
            Some(slot) => *slot = (k, v),
            None => b.push((k, v)),
        }
    }
}

/// What a job's `inherit:` lets through for `what` (`default` or `variables`):
/// `None` for everything, `Some(list)` for those keys only.
fn inherit(job: &Node, what: &str) -> Option<Vec<String>> {
    let v = job.get("inherit")?.get(what)?;
    match &v.value {
        Value::Str(s) if s.trim() == "false" => Some(Vec::new()),
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

fn apply_defaults(job: &mut Node, root: &Node, default: Option<&Node>) {
    let allowed = inherit(job, "default");
    let Value::Map(m) = &mut job.value else {
        return;
    };
    for key in catalog::GITLAB_DEFAULT_KEYS {
        if m.iter().any(|(k, _)| k.as_str() == Some(key))
            || allowed
                .as_ref()
                .is_some_and(|a| !a.iter().any(|x| x == key))
        {
            continue;
        }
        let from = default
            .and_then(|d| d.entry(key))
            .or_else(|| root.entry(key));
        if let Some((k, v)) = from {
            m.push((k.clone(), v.clone()));
        }
    }
}

fn job_variables(job: &Node, globals: Option<&Node>) -> Vec<(Node, Node)> {
    let allowed = inherit(job, "variables");
    let mut out: Vec<(Node, Node)> = globals
        .map(|g| {
            g.entries()
                .iter()
                .filter(|(k, _)| {
                    allowed
                        .as_ref()
                        .is_none_or(|a| a.iter().any(|x| Some(x.as_str()) == k.as_str()))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(own) = job.get("variables") {
        out.extend(own.entries().iter().cloned());
    }
    out
}

/// The `include:` entries of a document.
pub fn includes_of(root: &Node) -> Vec<Include> {
    match root.get("include") {
        Some(inc) => include_entries(inc, "include"),
        None => Vec::new(),
    }
}

/// The `trigger: include:` entries of the document's jobs: child pipelines, separate
/// pipelines that share nothing with this one but its repository.
pub fn child_includes_of(root: &Node) -> Vec<Include> {
    let mut out = Vec::new();
    for (k, v) in root.entries() {
        let Some(name) = k.as_str() else { continue };
        if let Some(inc) = v.get("trigger").and_then(|t| t.get("include")) {
            out.extend(include_entries(inc, &format!("{name}.trigger.include")));
        }
        if out.len() >= MAX_INCLUDES {
            break;
        }
    }
    out
}

fn include_entries(inc: &Node, prefix: &str) -> Vec<Include> {
    let items: Vec<&Node> = match &inc.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![inc],
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().take(MAX_INCLUDES).enumerate() {
        let path = format!("{prefix}[{i}]");
        if let Some(s) = item.as_str() {
            let s = s.trim();
            let kind = if s.starts_with("http://") || s.starts_with("https://") {
                IncludeKind::Remote
            } else {
                IncludeKind::Local
            };
            out.push(Include {
                kind,
                target: s.to_string(),
                version: None,
                node: item.clone(),
                path,
                integrity: false,
            });
            continue;
        }
        let field = |k: &str| item.get(k).filter(|n| n.as_str().is_some());
        let (kind, node) = if let Some(n) = field("local") {
            (IncludeKind::Local, n)
        } else if let Some(n) = field("remote") {
            (IncludeKind::Remote, n)
        } else if let Some(n) = field("project") {
            (IncludeKind::Project, n)
        } else if let Some(n) = field("template") {
            (IncludeKind::Template, n)
        } else if let Some(n) = field("component") {
            (IncludeKind::Component, n)
        } else {
            continue;
        };
        let target = node.as_str().unwrap_or("").trim().to_string();
        let version = match kind {
            IncludeKind::Project => item
                .get("ref")
                .and_then(Node::as_str)
                .map(|r| r.trim().to_string()),
            IncludeKind::Component => target.rsplit_once('@').map(|(_, v)| v.to_string()),
            _ => None,
        };
        out.push(Include {
            kind,
            target,
            version,
            node: node.clone(),
            path,
            integrity: item.get("integrity").is_some(),
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn view(text: &str) -> GitLabCi {
        GitLabCi::new(&yaml::parse(text).unwrap().unwrap()).unwrap()
    }

    #[test]
    fn extends_multi_level_keeps_definition_positions() {
        let gl = view(
            ".a:\n  variables:\n    X: one\n  script: [echo a]\n.b:\n  extends: .a\n  image: alpine\njob:\n  extends: .b\n  variables:\n    Y: two\n",
        );
        let job = gl.jobs.iter().find(|j| j.id == "job").unwrap();
        assert!(!job.hidden);
        assert_eq!(job.get("image").unwrap().as_str(), Some("alpine"));
        assert_eq!(job.variable("X").unwrap().1.line, 3);
        assert_eq!(job.variable("Y").unwrap().1.line, 11);
        assert_eq!(job.script_nodes()[0].1.line, 4);
    }

    #[test]
    fn extends_cycles_and_missing_parents_end() {
        let gl = view(".a:\n  extends: .b\n.b:\n  extends: .a\njob:\n  extends: [.a, .other]\n");
        let job = gl.jobs.iter().find(|j| j.id == "job").unwrap();
        assert_eq!(job.unresolved_extends, [".other"]);
    }

    #[test]
    fn references_and_defaults() {
        let gl = view(
            "default:\n  before_script: [echo d]\nvariables:\n  G: g\n.setup:\n  script:\n    - echo s\njob:\n  inherit:\n    variables: false\n  script:\n    - !reference [.setup, script]\n    - echo j\n",
        );
        let job = gl.jobs.iter().find(|j| j.id == "job").unwrap();
        let lines: Vec<usize> = job.script_nodes().iter().map(|(_, n)| n.line).collect();
        assert_eq!(lines, [2, 7, 13]);
        assert!(job.variable("G").is_none());
    }

    #[test]
    fn nested_references_resolve_and_a_cycle_stays_as_written() {
        // GitLab resolves a reference to content that holds references (the "snippets"
        // example of its docs) and flattens them into the script.
        let gl = view(
            ".s:\n  one: [echo 1]\n  two:\n    - !reference [.s, one]\n    - echo 2\njob:\n  script:\n    - !reference [.s, two]\n    - echo 3\n",
        );
        let job = gl.jobs.iter().find(|j| j.id == "job").unwrap();
        let lines: Vec<&str> = job
            .script_nodes()
            .iter()
            .filter_map(|(_, n)| n.as_str())
            .collect();
        assert_eq!(lines, ["echo 1", "echo 2", "echo 3"]);
        // A reference to what holds it: no endless copying (it overflowed the stack),
        // the rest of the file is read.
        let gl = view(
            ".a:\n  script:\n    - !reference [.a, script]\n    - echo a\njob:\n  extends: .a\n  variables:\n    X: x\n",
        );
        let job = gl.jobs.iter().find(|j| j.id == "job").unwrap();
        assert!(job.variable("X").is_some());
        let lines: Vec<&str> = job
            .script_nodes()
            .iter()
            .filter_map(|(_, n)| n.as_str())
            .collect();
        // The reference left as written (after one copy of what it names) is not read
        // as the commands `.a` and `script`.
        assert!(
            !lines.is_empty() && lines.iter().all(|l| *l == "echo a"),
            "{lines:?}"
        );
    }

    #[test]
    fn references_that_fan_out_are_refused_within_a_budget() {
        // Each level names the one below four times: 4^20 copies unbounded.
        let mut text = String::from(".a0:\n  script: [echo a, echo b]\n");
        for i in 1..20 {
            text.push_str(&format!(".a{i}:\n  script:\n"));
            for _ in 0..4 {
                text.push_str(&format!("    - !reference [.a{}, script]\n", i - 1));
            }
        }
        let root = yaml::parse(&text).unwrap().unwrap();
        let e = GitLabCi::new(&root).unwrap_err();
        assert!(e.contains("`!reference` tags resolve to more than"), "{e}");
    }

    #[test]
    fn lists_nested_in_rules_are_flattened() {
        let gl = view(
            ".mr: &mr\n  - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\njob:\n  rules:\n    - *mr\n    - when: never\n  script: [x]\n",
        );
        let job = gl.jobs.iter().find(|j| j.id == "job").unwrap();
        let rules = job.get("rules").unwrap().items();
        assert_eq!(rules.len(), 2);
        assert!(rules[0].get("if").is_some());
    }

    #[test]
    fn include_kinds() {
        let gl = view(
            "include:\n  - local: ci/a.yml\n  - remote: https://x/y.yml\n  - project: g/p\n    file: a.yml\n    ref: main\n  - component: gitlab.com/g/c/x@1.0\n  - template: Auto-DevOps.gitlab-ci.yml\n  - b.yml\n",
        );
        let kinds: Vec<IncludeKind> = gl.includes.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                IncludeKind::Local,
                IncludeKind::Remote,
                IncludeKind::Project,
                IncludeKind::Component,
                IncludeKind::Template,
                IncludeKind::Local
            ]
        );
        assert_eq!(gl.includes[2].version.as_deref(), Some("main"));
        assert_eq!(gl.includes[3].version.as_deref(), Some("1.0"));
    }
}
