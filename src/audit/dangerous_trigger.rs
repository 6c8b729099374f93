//! Audit `dangerous-trigger`: privileged triggers (`pull_request_target`, `workflow_run`,
//! `issue_comment`) that check out and run pull-request code. Its documentation is
//! [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity, Span};
use crate::pipeline::catalog::PR_HEAD_TRIGGERS;
use crate::pipeline::from_github::same_repo_only;
use crate::pipeline::github::{Job, Step, action_matches};

/// Documentation of `dangerous-trigger`.
pub const DOC: AuditDoc = AuditDoc {
    id: "dangerous-trigger",
    name: "Privileged trigger runs untrusted pull-request code",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/dangerous_trigger.md"),
    remediation: "Run untrusted code under `pull_request` (no secrets, read-only token); if \
a privileged follow-up is needed, pass results as artifacts to a separate `workflow_run` \
job that never executes them. Never check out the PR head in a `pull_request_target` job \
that runs build or install steps.",
};

const UNTRUSTED_REFS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.merge_commit_sha",
    "github.head_ref",
    "refs/pull/",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id",
    "github.event.workflow_run.pull_requests[0].head",
];

const UNTRUSTED_REPOS: &[&str] = &[
    "github.event.pull_request.head.repo.full_name",
    "github.event.workflow_run.head_repository.full_name",
    "head.repo.full_name",
];

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn untrusted_ref(value: &str) -> bool {
    let v = squash(value);
    UNTRUSTED_REFS.iter().any(|p| v.contains(p))
        || (v.contains("steps.")
            && v.contains("outputs.")
            && (v.contains("head") || v.contains("pr_") || v.contains("pr-")))
}

/// Where a step checks out pull-request code, when it does: its span, YAML path, and a
/// short description.
pub(crate) fn untrusted_checkout(cx: &Ctx<'_>, step: &Step<'_>) -> Option<(Span, String, String)> {
    if step.is_action("actions/checkout") {
        if let Some((k, v)) = step.with_entry("ref")
            && v.as_str().is_some_and(untrusted_ref)
        {
            return Some((
                cx.src.pair_span(k, v),
                format!("{}.with.ref", step.path),
                format!("`ref: {}`", v.as_str().unwrap_or("").trim()),
            ));
        }
        if let Some((k, v)) = step.with_entry("repository") {
            let r = squash(v.as_str().unwrap_or(""));
            if UNTRUSTED_REPOS.iter().any(|p| r.contains(p)) {
                return Some((
                    cx.src.pair_span(k, v),
                    format!("{}.with.repository", step.path),
                    format!("`repository: {}`", v.as_str().unwrap_or("").trim()),
                ));
            }
        }
        return None;
    }
    let (_, run) = step.run()?;
    let script = run.as_str()?;
    // Env variables of this step that carry an untrusted ref (`HEAD: ${{ github.head_ref }}`).
    let tainted: Vec<&str> = step
        .node
        .get("env")
        .map(|e| {
            e.entries()
                .iter()
                .filter(|(_, v)| v.as_str().is_some_and(untrusted_ref))
                .filter_map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default();
    for line in script.lines() {
        let l = line.trim();
        let lower = l.to_ascii_lowercase();
        let git_ref_cmd = [
            "git checkout",
            "git switch",
            "git fetch",
            "git merge",
            "git pull",
            "git reset",
        ]
        .iter()
        .any(|c| lower.contains(c));
        let hit = lower.contains("gh pr checkout")
            || (lower.contains("git fetch") && lower.contains("pull/"))
            || (git_ref_cmd && UNTRUSTED_REFS.iter().any(|p| squash(l).contains(p)))
            || (git_ref_cmd
                && tainted
                    .iter()
                    .any(|t| l.contains(&format!("${t}")) || l.contains(&format!("${{{t}}}"))));
        if hit && !l.is_empty() {
            let span = cx
                .src
                .find_in_node(run, l, 0)
                .unwrap_or_else(|| cx.src.node_span(run));
            return Some((span, format!("{}.run", step.path), format!("`{l}`")));
        }
    }
    None
}

/// Actions that neither build nor execute the checked-out code.
const NON_EXECUTING: &[&str] = &[
    "actions/upload-artifact",
    "actions/download-artifact",
    "actions/cache",
    "actions/labeler",
    "actions/stale",
    "marocchino/sticky-pull-request-comment",
    "peter-evans/create-or-update-comment",
    "peter-evans/find-comment",
    "thollander/actions-comment-pull-request",
];

/// Whether a step builds, installs or otherwise runs code from the workspace.
fn executes(step: &Step<'_>) -> bool {
    if step.run().is_some() {
        return true;
    }
    match step.uses() {
        Some(u) => {
            let lower = u.to_ascii_lowercase();
            !(lower.starts_with("actions/setup-")
                || NON_EXECUTING.iter().any(|n| action_matches(u, n)))
        }
        None => false,
    }
}

/// Whether the workflow has a trigger that runs with the base repository's privileges
/// on pull-request input.
pub(crate) fn privileged(cx: &Ctx<'_>) -> bool {
    cx.facts
        .triggers
        .iter()
        .any(|(t, _)| PR_HEAD_TRIGGERS.contains(&t.as_str()))
}

/// The untrusted checkouts in a job that are followed by steps that run code.
pub(crate) fn untrusted_runs(cx: &Ctx<'_>, job: &Job<'_>) -> Vec<(usize, Span, String, String)> {
    let mut out = Vec::new();
    if !privileged(cx) || same_repo_only(job) {
        return out;
    }
    for (i, step) in job.steps.iter().enumerate() {
        let Some((span, path, what)) = untrusted_checkout(cx, step) else {
            continue;
        };
        // A script that checks out and then keeps going runs the code itself.
        let rest_in_script = step.run_str().is_some_and(|s| {
            let lines: Vec<&str> = s
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect();
            lines.len() > 1
        });
        if rest_in_script || job.steps[i + 1..].iter().any(executes) {
            out.push((i, span, path, what));
        }
    }
    out
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    if !privileged(cx) {
        return;
    }
    let trigger = PR_HEAD_TRIGGERS
        .iter()
        .copied()
        .find(|t| wf.has_trigger(t))
        .unwrap_or("pull_request_target");
    let mut reported = false;
    for job in &wf.jobs {
        for (_, span, path, what) in untrusted_runs(cx, job) {
            let msg = format!(
                "Job `{}` checks out pull-request code with {what} under `{trigger}` and then runs it, with the base repository's secrets and write token: anyone who opens a pull request can run code with them; build untrusted code under `pull_request` instead.",
                job.id
            );
            cx.report(out, &DOC, Hit::new(span, path, msg));
            reported = true;
        }
    }
    // The trigger itself, when no job runs pull-request code yet: a note, not a
    // failure, so the next change that adds a checkout gets a second look.
    if !reported && let Some(on) = wf.on_key {
        let msg = format!(
            "`{trigger}` runs with the base repository's secrets and a write token on events outsiders cause; no job here runs pull-request code, keep it that way (never check out the pull request's head here) or use `pull_request`."
        );
        cx.report(
            out,
            &DOC,
            Hit::new(cx.src.node_span(on), format!("on.{trigger}"), msg)
                .severity(Severity::Info)
                .confidence(Confidence::Medium),
        );
    }
}
