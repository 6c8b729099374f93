//! Audit `runner-debug`: step or runner debug logging switched on in the workflow file.
//! Its documentation is [`DOC`].

use super::{AuditDoc, Ctx};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::DEBUG_ENV;

/// Documentation of `runner-debug`.
pub const DOC: AuditDoc = AuditDoc {
    id: "runner-debug",
    name: "Debug logging enabled in the workflow",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/runner_debug.md"),
    remediation: "Remove the variable from the workflow; to debug one run, re-run it with \
\"Enable debug logging\" or set the `ACTIONS_STEP_DEBUG` repository variable temporarily.",
};

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    super::env_flags(cx, out, &DOC, DEBUG_ENV, |name| {
        format!(
            "`{name}` makes every run write debug logs: expanded expressions, environment, inputs and action internals end up in logs anyone with read access can download, where derived or unregistered secrets are not masked; remove it."
        )
    });
}
