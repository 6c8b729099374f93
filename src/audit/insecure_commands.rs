//! Audit `insecure-commands`: `ACTIONS_ALLOW_UNSECURE_COMMANDS` turns the deprecated
//! `set-env` and `add-path` workflow commands back on. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::INSECURE_COMMANDS_ENV;

/// Documentation of `insecure-commands`.
pub const DOC: AuditDoc = AuditDoc {
    id: "insecure-commands",
    name: "Deprecated set-env and add-path commands enabled",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/insecure_commands.md"),
    remediation: "Remove `ACTIONS_ALLOW_UNSECURE_COMMANDS` and write to the `$GITHUB_ENV` \
and `$GITHUB_PATH` files instead; upgrade any action that still prints `::set-env`.",
};

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    super::env_flags(cx, out, &DOC, INSECURE_COMMANDS_ENV, |name| {
        format!(
            "`{name}` lets any text a step prints run `::set-env` and `::add-path`: a crafted issue title, test name or log line can then set `LD_PRELOAD`, `NODE_OPTIONS` or `PATH` for later steps; remove it."
        )
    });
}
