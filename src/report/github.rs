//! GitHub workflow-command annotations (`::error file=...::message`), at most the
//! first 50 (GitHub shows no more per step), then a summary line.

use super::Report;
use crate::finding::Severity;
use std::io::{self, Write};

/// Most annotations GitHub displays for one step.
const MAX_ANNOTATIONS: usize = 50;

/// Escapes a workflow-command property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Escapes workflow-command message data.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Writes annotations and the summary.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    for f in report.findings.iter().take(MAX_ANNOTATIONS) {
        let level = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium | Severity::Low => "warning",
            Severity::Info => "notice",
        };
        let mut msg = f.message.clone();
        if !f.snippet.is_empty() {
            msg.push_str(&format!(" [{}]", f.snippet));
        }
        if !f.remediation.is_empty() {
            msg.push_str(&format!(" Fix: {}", f.remediation));
        }
        writeln!(
            w,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.path),
            f.span.start_line,
            f.span.start_column,
            f.span.end_line,
            f.span.end_column,
            escape_property(&format!("tokenward {}", f.rule_id)),
            escape_data(&msg)
        )?;
    }
    if report.findings.len() > MAX_ANNOTATIONS {
        writeln!(
            w,
            "::warning title=tokenward::{} more findings not annotated; see the SARIF or text report",
            report.findings.len() - MAX_ANNOTATIONS
        )?;
    }
    for n in report.notices {
        writeln!(w, "::notice title=tokenward::{}", escape_data(n))?;
    }
    writeln!(w, "tokenward: {}", report.summary_line())
}
