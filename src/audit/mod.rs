//! Pipeline audits: CI workflow files parsed with spans, one audit per file.
//! (Interface only; the audits land in the pipeline-audits work.)

use crate::finding::{Confidence, Finding, Severity};

/// Documentation and defaults of one audit; `rules explain ID` prints it.
#[derive(Debug, Clone)]
pub struct AuditDoc {
    /// Kebab-case id, e.g. `excessive-permissions`.
    pub id: &'static str,
    /// One-line name.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Default confidence.
    pub confidence: Confidence,
    /// What it finds, why it matters, an example (Markdown).
    pub description: &'static str,
    /// The fix.
    pub remediation: &'static str,
}

/// Every registered audit's documentation.
pub fn docs() -> Vec<AuditDoc> {
    Vec::new()
}

/// Whether a path (relative, `/`-separated) is a CI file the audits parse.
pub fn is_pipeline_file(_rel_path: &str) -> bool {
    false
}

/// Runs the enabled audits on one pipeline file. `Err` is a one-line description of why
/// the file could not be parsed (`line:col: problem`).
pub fn audit_file(
    _rel_path: &str,
    _text: &str,
    _enabled: &dyn Fn(&str) -> bool,
) -> Result<Vec<Finding>, String> {
    Ok(Vec::new())
}
