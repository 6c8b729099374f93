//! Audit `debug-tracing`: GitLab's `CI_DEBUG_TRACE` / `CI_DEBUG_SERVICES` set to true,
//! which writes every variable, masked ones too, to the job log. Its documentation is
//! [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog;
use crate::pipeline::gitlab::variable_value;
use std::collections::HashSet;

/// Documentation of `debug-tracing`.
pub const DOC: AuditDoc = AuditDoc {
    id: "debug-tracing",
    name: "Debug tracing that prints every variable to the job log",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/debug_tracing.md"),
    remediation: "Remove `CI_DEBUG_TRACE` / `CI_DEBUG_SERVICES` from the file; when a job \
must be debugged, set it for one manual run, then delete the job log and rotate any \
secret the job could read.",
};

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(v) = cx.other() {
        for nv in &v.variables {
            let (Some(name), Some(val)) = (nv.key.as_str(), nv.value.as_str()) else {
                continue;
            };
            if catalog::AZURE_DEBUG_VARIABLES.contains(&name)
                && val.trim().eq_ignore_ascii_case("true")
            {
                let msg = format!(
                    "`{name}: true` turns on debug logging for every run: commands and variable values go to the log, and secrets Azure does not know about (values derived from secrets, tokens written by scripts) are not masked; remove it and queue a debug run by hand when needed."
                );
                let span = if nv.key.line == nv.value.line {
                    cx.src.pair_span(&nv.key, &nv.value)
                } else {
                    cx.src.node_span(&nv.key)
                };
                cx.report(
                    out,
                    &DOC,
                    Hit::new(span, format!("{}.{name}", nv.path), msg),
                );
            }
        }
        return;
    }
    let Some(gl) = cx.gitlab() else { return };
    let mut seen = HashSet::new();
    for (path, block) in gl.variable_blocks() {
        for (k, v) in block.entries() {
            let Some(name) = k
                .as_str()
                .filter(|n| catalog::GITLAB_DEBUG_VARIABLES.contains(n))
            else {
                continue;
            };
            let on = variable_value(v)
                .and_then(|n| n.as_str())
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"));
            if !on || !seen.insert((k.line, k.col)) {
                continue;
            }
            let msg = format!(
                "`{name}: true` prints every variable of the job, masked and protected ones included, to the job log, which everyone who can read the job's logs sees; remove it."
            );
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.pair_span(k, v), format!("{path}.{name}"), msg),
            );
        }
    }
}
