//! Audit `secrets-in-workflow-env`: secrets placed in workflow-level or job-level `env:`,
//! where every step and action can read them. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::secret_ref;

/// Documentation of `secrets-in-workflow-env`.
pub const DOC: AuditDoc = AuditDoc {
    id: "secrets-in-workflow-env",
    name: "Secret exposed to every step through workflow or job env",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    description: include_str!("docs/secrets_in_workflow_env.md"),
    remediation: "Move the secret to the `env:` (or `with:`) of the single step that uses \
it: `- run: npm publish` with `env: { NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }} }`.",
};

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    if wf.kind != crate::pipeline::github::FileKind::Workflow {
        return;
    }
    // One job with one step: the workflow env reaches only the step that uses it.
    let single_step =
        wf.jobs.len() == 1 && wf.jobs[0].uses().is_none() && wf.jobs[0].steps.len() <= 1;
    if let Some(env) = wf.env.filter(|_| !single_step) {
        for (k, v) in env.entries() {
            let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            if let Some(secret) = secret_ref(val) {
                let msg = format!(
                    "Secret `{secret}` is set in workflow-level `env.{name}`, so every step of every job (including third-party actions) can read it; move it to the `env:` of the one step that needs it."
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(cx.src.pair_span(k, v), format!("env.{name}"), msg),
                );
            }
        }
    }
    for job in &wf.jobs {
        if job.steps.len() < 2 {
            continue;
        }
        let Some(env) = job.node.get("env") else {
            continue;
        };
        for (k, v) in env.entries() {
            let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            if let Some(secret) = secret_ref(val) {
                let msg = format!(
                    "Secret `{secret}` is set in the job-level `env.{name}` of job `{}`, so all {} of its steps can read it; move it to the `env:` of the step that needs it.",
                    job.id,
                    job.steps.len()
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        cx.src.pair_span(k, v),
                        format!("{}.env.{name}", job.path),
                        msg,
                    ),
                );
            }
        }
    }
}
