//! Audit `persist-credentials`: `actions/checkout` leaving the token in `.git/config` in
//! a job that later uploads the workspace, pushes, or runs untrusted code. Its
//! documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog;
use crate::pipeline::github::{Step, action_matches, contains_word, has_expr};

/// Documentation of `persist-credentials`.
pub const DOC: AuditDoc = AuditDoc {
    id: "persist-credentials",
    name: "Checkout persists the token for later steps",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/persist_credentials.md"),
    remediation: "Set `persist-credentials: false` on the checkout and give the token only \
to the step that pushes, e.g. `git push https://x-access-token:${GITHUB_TOKEN}@github.com/${{ \
github.repository }}` with `GITHUB_TOKEN` in that step's `env:`. Azure Pipelines: drop \
`persistCredentials: true` and pass `$(System.AccessToken)` only to the step that pushes.",
};

fn uploads_workspace(step: &Step<'_>, checkout_path: Option<&str>) -> bool {
    if !step.is_action("actions/upload-artifact") {
        return false;
    }
    let Some(path) = step.with_str("path") else {
        return false;
    };
    path.lines().map(str::trim).any(|p| {
        let p = p.trim_end_matches('/');
        matches!(
            p,
            "." | "./"
                | ""
                | "*"
                | "**"
                | "./*"
                | "./**"
                | "**/*"
                | "${{ github.workspace }}"
                | "$GITHUB_WORKSPACE"
                | "${GITHUB_WORKSPACE}"
        ) || checkout_path.is_some_and(|c| p == c.trim_end_matches('/'))
            || p.ends_with("/.git")
            || p == ".git"
    })
}

fn pushes(step: &Step<'_>) -> bool {
    if let Some(script) = step.run_str() {
        // A line that pushes holds the command: most scripts hold none of them.
        if !catalog::GIT_PUSH_COMMANDS
            .iter()
            .any(|c| script.contains(c))
        {
            return false;
        }
        return script.lines().any(|l| {
            let l = l.trim();
            !l.starts_with('#')
                && catalog::GIT_PUSH_COMMANDS
                    .iter()
                    .any(|c| contains_word(l, c))
        });
    }
    step.uses().is_some_and(|u| {
        catalog::PUSHING_ACTIONS
            .iter()
            .any(|a| action_matches(u, a))
    })
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(v) = cx.other() {
        for (k, val) in &v.persisted_checkouts {
            let msg = "`persistCredentials: true` leaves the pipeline's OAuth token (`System.AccessToken`) in the checkout's `.git/config` for every later step, script and task of the job to read or upload; drop it and pass the token only to the step that pushes.".to_string();
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.pair_span(k, val), "checkout.persistCredentials", msg),
            );
        }
        return;
    }
    let Some(wf) = cx.github() else { return };
    for job in &wf.jobs {
        let untrusted: Vec<usize> = super::dangerous_trigger::untrusted_runs(cx, job)
            .into_iter()
            .map(|(i, ..)| i)
            .collect();
        for (i, step) in job.steps.iter().enumerate() {
            if !step.is_action("actions/checkout") {
                continue;
            }
            let explicit = step.with_entry("persist-credentials");
            if let Some((_, v)) = explicit {
                let val = v.as_str().unwrap_or("").trim();
                if val.eq_ignore_ascii_case("false") || has_expr(val) {
                    continue;
                }
            }
            let checkout_path = step.with_str("path");
            let later = &job.steps[i + 1..];
            let reason = if untrusted.iter().any(|&u| u >= i) {
                Some("runs pull-request code under a privileged trigger")
            } else if later.iter().any(|s| uploads_workspace(s, checkout_path)) {
                Some("uploads the workspace, including `.git/config`, as an artifact")
            } else if later.iter().any(pushes) {
                Some("pushes with git")
            } else {
                None
            };
            let Some(reason) = reason else {
                // Nothing here reuses the token yet: a note, so it shows in reviews
                // without failing the build.
                if explicit.is_none()
                    && let Some((k, v)) = step.uses_entry()
                {
                    let msg = format!(
                        "`actions/checkout` in job `{}` leaves the token in `.git/config` (persist-credentials defaults to true), where every later step can read it; set `persist-credentials: false` unless a later step pushes.",
                        job.id
                    );
                    cx.report(
                        out,
                        &DOC,
                        Hit::new(
                            cx.src.pair_span(k, v),
                            format!("{}.with.persist-credentials", step.path),
                            msg,
                        )
                        .severity(Severity::Info)
                        .confidence(Confidence::Medium),
                    );
                }
                continue;
            };
            let span = match explicit {
                Some((k, v)) => cx.src.pair_span(k, v),
                None => match step.uses_entry() {
                    Some((k, v)) => cx.src.pair_span(k, v),
                    None => continue,
                },
            };
            let pushes_only = reason == "pushes with git";
            let (msg, severity) = if explicit.is_some() {
                (
                    format!(
                        "`persist-credentials: true` is set deliberately in job `{}`, and the job later {reason}; {}",
                        job.id,
                        if pushes_only {
                            "that is what it is for, but every step after checkout can read the token from `.git/config` too: pass it only to the pushing step (e.g. `git -c http.extraheader=...`) if the other steps run third-party code."
                        } else {
                            "so later steps or the artifact can reuse the token: set `persist-credentials: false` and give the token only to the step that needs it."
                        }
                    ),
                    if pushes_only {
                        Severity::Low
                    } else {
                        DOC.severity
                    },
                )
            } else {
                (
                    format!(
                        "`actions/checkout` in job `{}` leaves the token in `.git/config` (persist-credentials defaults to true) and the job later {reason}, so later steps or the artifact can reuse it; set `persist-credentials: false` and give the token only to the step that needs it.",
                        job.id
                    ),
                    DOC.severity,
                )
            };
            cx.report(
                out,
                &DOC,
                Hit::new(span, format!("{}.with.persist-credentials", step.path), msg)
                    .severity(severity),
            );
        }
    }
}
