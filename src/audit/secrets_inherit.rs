//! Audit `secrets-inherit`: reusable-workflow calls that pass every secret with
//! `secrets: inherit`. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};

/// Documentation of `secrets-inherit`.
pub const DOC: AuditDoc = AuditDoc {
    id: "secrets-inherit",
    name: "Reusable workflow call inherits every secret",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/secrets_inherit.md"),
    remediation: "Pass only the secrets the callee declares, e.g. `secrets: { DEPLOY_KEY: \
${{ secrets.DEPLOY_KEY }} }`, and declare them under `on.workflow_call.secrets` in the callee.",
};

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    for job in &wf.jobs {
        if job.uses().is_none() {
            continue;
        }
        let Some((k, v)) = job.node.entry("secrets") else {
            continue;
        };
        if v.as_str()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("inherit"))
        {
            let callee = job.uses().and_then(|(_, u)| u.as_str()).unwrap_or("?");
            let msg = format!(
                "Job `{}` passes every secret to `{callee}` with `secrets: inherit`: the callee and everything it runs can read all of them; pass only the secrets it needs by name.",
                job.id
            );
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.pair_span(k, v), format!("{}.secrets", job.path), msg),
            );
        }
    }
}
