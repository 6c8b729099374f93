//! Audit `excessive-permissions`: `GITHUB_TOKEN` permissions broader than the jobs need.
//! Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::Job;
use crate::pipeline::yaml::{Node, Value};

/// Documentation of `excessive-permissions`.
pub const DOC: AuditDoc = AuditDoc {
    id: "excessive-permissions",
    name: "Over-broad GITHUB_TOKEN permissions",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    description: include_str!("docs/excessive_permissions.md"),
    remediation: "Set `permissions: {}` or `contents: read` at the top of the workflow and \
grant write scopes only to the job that needs them, e.g. `contents: write` on the release \
job alone.",
};

fn scope_severity(scope: &str) -> Severity {
    match scope {
        "contents" | "packages" | "actions" | "id-token" | "pull-requests" | "deployments"
        | "issues" | "pages" | "attestations" => Severity::High,
        "statuses" | "checks" => Severity::Low,
        _ => Severity::Medium,
    }
}

/// Actions known not to use the token's write scopes.
/// The fix for an unused write scope: `id-token` is `write` or `none`, nothing between.
fn lesser(scope: &str) -> String {
    if scope == "id-token" {
        "drop it (`id-token` has no read level)".to_string()
    } else {
        format!("drop it or use `{scope}: read`")
    }
}

/// Whether job `index` may use `scope` of its token (see
/// [`crate::pipeline::TokenUse::may_use`]).
fn job_uses(cx: &Ctx<'_>, index: usize, scope: &str) -> bool {
    cx.facts
        .jobs
        .get(index)
        .is_none_or(|j| j.token.may_use(scope))
}

fn write_scopes(perms: &Node) -> Vec<(&Node, &Node, &str)> {
    perms
        .entries()
        .iter()
        .filter_map(|(k, v)| {
            let scope = k.as_str()?;
            (v.as_str()?.trim() == "write").then_some((k, v, scope))
        })
        .collect()
}

fn is_write_all(v: &Node) -> bool {
    v.as_str().is_some_and(|s| s.trim() == "write-all")
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    if wf.kind != crate::pipeline::github::FileKind::Workflow || wf.jobs.is_empty() {
        return;
    }
    let only_call = !wf.triggers.is_empty() && wf.triggers.iter().all(|t| t == "workflow_call");
    let pr_only = !wf.triggers.is_empty()
        && wf.triggers.iter().all(|t| {
            matches!(
                t.as_str(),
                "pull_request" | "pull_request_review" | "pull_request_review_comment"
            )
        });

    // write-all, anywhere.
    if let Some((k, v)) = wf.permissions
        && is_write_all(v)
    {
        let msg = "`permissions: write-all` gives every job a token that can push code, publish packages and change settings; grant `contents: read` at the top and write scopes only to the jobs that need them.";
        cx.report(
            out,
            &DOC,
            Hit::new(cx.src.pair_span(k, v), "permissions", msg)
                .severity(Severity::High)
                .confidence(Confidence::High),
        );
    }
    for job in &wf.jobs {
        if let Some((k, v)) = job.permissions()
            && is_write_all(v)
        {
            let msg = format!(
                "Job `{}` has `permissions: write-all`: every step can push code, publish packages and change settings; list only the scopes it needs (e.g. `contents: read`).",
                job.id
            );
            cx.report(
                out,
                &DOC,
                Hit::new(
                    cx.src.pair_span(k, v),
                    format!("{}.permissions", job.path),
                    msg,
                )
                .severity(Severity::High)
                .confidence(Confidence::High),
            );
        }
    }

    // `read-all`: read access to every scope, including ones no job uses.
    let read_all = |v: &Node| v.as_str().is_some_and(|s| s.trim() == "read-all");
    let mut read_alls: Vec<(&Node, &Node, String, String)> = Vec::new();
    if let Some((k, v)) = wf.permissions
        && read_all(v)
    {
        read_alls.push((k, v, "permissions".into(), "every job".into()));
    }
    for job in &wf.jobs {
        if let Some((k, v)) = job.permissions()
            && read_all(v)
        {
            read_alls.push((
                k,
                v,
                format!("{}.permissions", job.path),
                format!("job `{}`", job.id),
            ));
        }
    }
    for (k, v, key, who) in read_alls {
        let msg = format!(
            "`permissions: read-all` gives {who} a token that reads every scope (code, packages, security alerts, deployments, ...) whether it needs them or not; list the scopes it uses, usually just `contents: read`."
        );
        cx.report(out, &DOC, Hit::new(cx.src.pair_span(k, v), key, msg));
    }

    // Default permissions.
    // Pull-request-only workflows get a read-only token from forks, but the default
    // (often read-write) one for branches of this repository: low, not silent.
    let default_severity = if pr_only { Severity::Low } else { DOC.severity };
    if wf.permissions.is_none() && !only_call {
        let without: Vec<&Job<'_>> = wf
            .jobs
            .iter()
            .filter(|j| j.permissions().is_none())
            .collect();
        if without.len() == wf.jobs.len() {
            if let Some(on) = wf.on_key {
                let msg = "No `permissions:` block in this workflow, so its jobs get the repository's default `GITHUB_TOKEN` permissions (often read-write); add `permissions: contents: read` at the top and grant writes per job.";
                cx.report(
                    out,
                    &DOC,
                    Hit::new(cx.src.node_span(on), "on", msg).severity(default_severity),
                );
            }
        } else {
            for job in without {
                let msg = format!(
                    "Job `{}` has no `permissions:` and the workflow sets none, so it gets the repository's default `GITHUB_TOKEN` permissions; add `permissions: contents: read` (or `{{}}`) to it.",
                    job.id
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        cx.src.node_span(job.key),
                        format!("{}.permissions", job.path),
                        msg,
                    )
                    .severity(default_severity),
                );
            }
        }
    }

    // Workflow-level write scopes.
    if let Some((_, perms)) = wf.permissions
        && matches!(perms.value, Value::Map(_))
    {
        let inheriting: Vec<(usize, &Job<'_>)> = wf
            .jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| j.permissions().is_none())
            .collect();
        for (k, v, scope) in write_scopes(perms) {
            let report = match inheriting.len() {
                0 => false,
                1 => !job_uses(cx, inheriting[0].0, scope),
                _ => true,
            };
            if !report {
                continue;
            }
            let msg = if inheriting.len() > 1 {
                format!(
                    "`{scope}: write` is granted at workflow level, so all {} jobs without their own `permissions:` inherit it; grant {} at the top and `{scope}: write` only to the job that needs it.",
                    inheriting.len(),
                    if scope == "id-token" {
                        "nothing".to_string()
                    } else {
                        format!("`{scope}: read` (or nothing)")
                    }
                )
            } else {
                format!(
                    "`{scope}: write` is granted at workflow level but job `{}` shows no use for it; a compromised step could abuse it: {}.",
                    inheriting[0].1.id,
                    lesser(scope)
                )
            };
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.pair_span(k, v), format!("permissions.{scope}"), msg)
                    .severity(scope_severity(scope)),
            );
        }
    }

    // Job-level write scopes with no visible use.
    for (ji, job) in wf.jobs.iter().enumerate() {
        let Some((_, perms)) = job.permissions() else {
            continue;
        };
        if job.uses().is_some() {
            continue;
        }
        for (k, v, scope) in write_scopes(perms) {
            if job_uses(cx, ji, scope) {
                continue;
            }
            let msg = format!(
                "Job `{}` is granted `{scope}: write` but none of its steps shows a use for it; a compromised step could abuse it: {}.",
                job.id,
                lesser(scope)
            );
            cx.report(
                out,
                &DOC,
                Hit::new(
                    cx.src.pair_span(k, v),
                    format!("{}.permissions.{scope}", job.path),
                    msg,
                )
                .severity(scope_severity(scope)),
            );
        }
    }
}
