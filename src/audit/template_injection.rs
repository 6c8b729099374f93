//! Audit `template-injection`: attacker-controlled `${{ }}` contexts expanded into shell
//! scripts or `actions/github-script` code. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::{Step, expressions};
use crate::pipeline::yaml::Node;
use std::collections::HashMap;

/// Documentation of `template-injection`.
pub const DOC: AuditDoc = AuditDoc {
    id: "template-injection",
    name: "Attacker-controlled expression expanded into code",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/template_injection.md"),
    remediation: "Pass the value through an environment variable and quote it in the \
shell: `env: { TITLE: ${{ github.event.pull_request.title }} }` and `run: echo \"$TITLE\"` \
(in github-script read `context.payload` instead of expanding).",
};

/// Contexts an outsider controls. `*` matches one path segment (an array index).
const ATTACKER_CONTEXTS: &[&str] = &[
    "github.head_ref",
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.head.repo.description",
    "github.event.pull_request.head.repo.homepage",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.pages.*.page_name",
    "github.event.commits.*.message",
    "github.event.commits.*.author.email",
    "github.event.commits.*.author.name",
    "github.event.commits.*.committer.email",
    "github.event.commits.*.committer.name",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.head_commit.committer.email",
    "github.event.head_commit.committer.name",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author.email",
    "github.event.workflow_run.head_commit.author.name",
    "github.event.workflow_run.head_commit.committer.email",
    "github.event.workflow_run.head_commit.committer.name",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.event.workflow_run.head_repository.description",
    "github.event.check_suite.head_branch",
    "github.event.check_run.check_suite.head_branch",
    "github.event.merge_group.head_commit.message",
    "github.event.merge_group.head_commit.author.name",
    "github.event.merge_group.head_commit.author.email",
    "github.event.changes.title.from",
    "github.event.changes.body.from",
];

/// Extracts dotted context paths (`a.b[0].c`, `a['b']`) from an expression, normalised
/// to lowercase dotted form with `*` for indexes.
pub(crate) fn contexts(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Skip string literals.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            continue;
        }
        let starts = (c.is_ascii_alphabetic() || c == '_')
            && (i == 0
                || !(chars[i - 1].is_ascii_alphanumeric()
                    || matches!(chars[i - 1], '_' | '.' | '-')));
        if !starts {
            i += 1;
            continue;
        }
        let mut path = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                path.push(c.to_ascii_lowercase());
                i += 1;
            } else if c == '.'
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_' || *n == '*')
            {
                path.push('.');
                i += 1;
                if chars[i] == '*' {
                    path.push('*');
                    i += 1;
                }
            } else if c == '[' {
                let close = chars[i..].iter().position(|&x| x == ']').map(|p| i + p);
                let Some(close) = close else { break };
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Some(name) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    path.push('.');
                    path.push_str(&name.to_ascii_lowercase());
                } else {
                    path.push_str(".*");
                }
                i = close + 1;
            } else {
                break;
            }
        }
        // Function names (`contains(`) are not contexts.
        if chars.get(i) != Some(&'(') {
            out.push(path);
        }
    }
    out
}

/// Whether `path` matches `pattern` segment by segment (`*` on either side matches any
/// one segment); with `prefix`, whether it matches the pattern's first segments.
fn pattern_matches(pattern: &str, path: &str, prefix: bool) -> bool {
    let mut p = pattern.split('.');
    for b in path.split('.') {
        match p.next() {
            Some(a) if a == "*" || b == "*" || a == b => {}
            _ => return false,
        }
    }
    prefix || p.next().is_none()
}

/// Whether `path` is attacker-controlled; with `whole_object`, also a parent of such a
/// context (as in `toJSON(github.event.issue)`).
pub(crate) fn is_attacker_controlled(path: &str, whole_object: bool) -> bool {
    // Every pattern starts with `github.`: other contexts need no comparison.
    if !path.starts_with("github") {
        return false;
    }
    ATTACKER_CONTEXTS.iter().any(|p| {
        pattern_matches(p, path, false)
            || (whole_object && path.len() > "github".len() && pattern_matches(p, path, true))
    })
}

/// The attacker-controlled context in an expression, if any, resolving `env.NAME` through
/// the given env lookup.
pub(crate) fn dangerous_context(
    inner: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let whole = inner.to_ascii_lowercase().contains("tojson(");
    for ctx in contexts(inner) {
        if is_attacker_controlled(&ctx, whole) {
            return Some(ctx);
        }
        if let Some(name) = ctx.strip_prefix("env.")
            && let Some(val) = env(name)
        {
            for (_, e) in expressions(&val) {
                if let Some(c) = dangerous_context(e, &|_| None) {
                    return Some(format!("env.{name} = {c}"));
                }
            }
        }
    }
    None
}

pub(crate) fn env_lookup(envs: &[Option<&Node>], name: &str) -> Option<String> {
    envs.iter().flatten().find_map(|env| {
        env.entries()
            .iter()
            .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    })
}

fn sinks<'a>(step: &Step<'a>) -> Vec<(&'a Node, String)> {
    let mut out = Vec::new();
    if let Some((_, v)) = step.run() {
        out.push((v, format!("{}.run", step.path)));
    }
    if let Some(u) = step.uses() {
        for (action, input) in crate::pipeline::catalog::CODE_INPUTS {
            if crate::pipeline::github::action_matches(u, action)
                && let Some((_, v)) = step.with_entry(input)
            {
                out.push((v, format!("{}.with.{input}", step.path)));
            }
        }
    }
    out
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    let privileged = wf.kind == crate::pipeline::github::FileKind::Action
        || wf.has_privileged_untrusted_trigger();
    for job in &wf.jobs {
        for step in &job.steps {
            let envs = [step.node.get("env"), job.node.get("env"), wf.env];
            let lookup = |n: &str| env_lookup(&envs, n);
            for (node, path) in sinks(step) {
                let Some(text) = node.as_str() else { continue };
                if !crate::pipeline::github::has_expr(text) {
                    continue;
                }
                let mut seen: HashMap<&str, usize> = HashMap::new();
                for (raw, inner) in expressions(text) {
                    let nth = seen.entry(raw).or_insert(0);
                    let this = *nth;
                    *nth += 1;
                    let Some(ctx) = dangerous_context(inner, &lookup) else {
                        continue;
                    };
                    let span = cx
                        .src
                        .find_in_node(node, raw, this)
                        .unwrap_or_else(|| cx.src.node_span(node));
                    let sink = if path.ends_with(".run") {
                        "shell script".to_string()
                    } else {
                        format!(
                            "code input (`{}` of `{}`)",
                            path.rsplit('.').next().unwrap_or(""),
                            step.uses().unwrap_or("?")
                        )
                    };
                    let msg = format!(
                        "`{raw}` expands attacker-controlled `{ctx}` into a {sink}: text such as a crafted title or branch name becomes code running with this job's token and secrets; pass it through `env:` and use the quoted variable instead."
                    );
                    let severity = if privileged {
                        Severity::High
                    } else {
                        Severity::Medium
                    };
                    cx.report(
                        out,
                        &DOC,
                        Hit::new(span, format!("{path}[{ctx}]#{this}"), msg).severity(severity),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn context_extraction() {
        assert_eq!(
            contexts("github.event.commits[0].message"),
            ["github.event.commits.*.message"]
        );
        assert_eq!(
            contexts("github.event['issue'].title"),
            ["github.event.issue.title"]
        );
        assert_eq!(
            contexts("contains(github.head_ref, 'x.y') && env.A"),
            ["github.head_ref", "env.a"]
        );
    }

    #[test]
    fn attacker_control() {
        assert!(is_attacker_controlled("github.event.issue.title", false));
        assert!(is_attacker_controlled(
            "github.event.commits.*.message",
            false
        ));
        assert!(!is_attacker_controlled("github.event.issue.number", false));
        assert!(!is_attacker_controlled(
            "github.event.pull_request.head.sha",
            false
        ));
        assert!(!is_attacker_controlled("github.event.issue", false));
        assert!(is_attacker_controlled("github.event.issue", true));
        assert!(is_attacker_controlled("github.event", true));
        assert!(!is_attacker_controlled("github.sha", true));
    }
}
