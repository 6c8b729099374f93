//! Audit `github-app-token`: GitHub App installation tokens minted with every permission
//! the App has, for every repository of its installation, or kept alive after the job.
//! Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::APP_TOKEN_ACTIONS;
use crate::pipeline::github::action_matches;

/// Documentation of `github-app-token`.
pub const DOC: AuditDoc = AuditDoc {
    id: "github-app-token",
    name: "GitHub App token not narrowed to what the job needs",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/github_app_token.md"),
    remediation: "List the permissions the job needs as `permission-<scope>: read|write` \
inputs, name the `repositories` it works on, and let the action revoke the token when the \
job ends (drop `skip-token-revoke`).",
};

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    for job in &wf.jobs {
        for step in &job.steps {
            let Some((uk, uv)) = step.uses_entry() else {
                continue;
            };
            let Some(uses) = uv.as_str() else { continue };
            let Some(action) = APP_TOKEN_ACTIONS
                .iter()
                .find(|a| action_matches(uses, a.action))
            else {
                continue;
            };
            let inputs: Vec<&str> = step
                .node
                .get("with")
                .map(|w| w.entries().iter().filter_map(|(k, _)| k.as_str()).collect())
                .unwrap_or_default();
            let name = action.action;
            if !inputs
                .iter()
                .any(|i| action.permission_inputs.iter().any(|p| i.starts_with(p)))
            {
                let msg = format!(
                    "`{name}` mints a token with every permission the GitHub App was granted, not just what this job needs; a leaked or misused token can do all of it: add `permission-<scope>` inputs (e.g. `permission-contents: read`)."
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        cx.src.pair_span(uk, uv),
                        format!("{}.with.permission", step.path),
                        msg,
                    ),
                );
            }
            if let Some(widening) = action.widening_input
                && let Some((k, v)) = step.with_entry(widening)
                && !inputs.contains(&action.repositories_input)
            {
                let msg = format!(
                    "`{widening}` without `{}` gives the token access to every repository the App is installed on; name the repositories this job works on.",
                    action.repositories_input
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        cx.src.pair_span(k, v),
                        format!("{}.with.{widening}", step.path),
                        msg,
                    )
                    .severity(Severity::High),
                );
            }
            if let Some((input, bad)) = action.keep_alive
                && let Some((k, v)) = step.with_entry(input)
                && v.as_str()
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case(bad))
            {
                let msg = format!(
                    "`{input}: {bad}` keeps the App token valid for up to an hour after the job ends; anything that copied it (a log, an artifact, a compromised step) can keep using it: let the action revoke it."
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        cx.src.pair_span(k, v),
                        format!("{}.with.{input}", step.path),
                        msg,
                    ),
                );
            }
        }
    }
}
