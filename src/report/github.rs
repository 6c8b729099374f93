//! GitHub workflow-command annotations (`::error file=...::message`), at most 50 (the
//! most severe, in report order: GitHub shows no more per step), then a summary line.

use super::Report;
use crate::finding::Severity;
use std::io::{self, Write};

/// Most annotations GitHub displays for one step.
const MAX_ANNOTATIONS: usize = 50;

/// Escapes a workflow-command property value: the data escapes plus `:` and `,`,
/// which end a property.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Escapes workflow-command message data: `%`, CR and LF as GitHub's runner expects
/// (it decodes them back for display), after [`crate::escape::for_display`] has made
/// every other control character visible, so nothing in a scanned name or value can
/// end the command or start another one.
fn escape_data(s: &str) -> String {
    crate::escape::for_display(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Writes annotations and the summary.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    // Past the limit, annotate the most severe findings (still in report order).
    let mut shown: Vec<usize> = (0..report.findings.len()).collect();
    if shown.len() > MAX_ANNOTATIONS {
        shown.sort_by_key(|&i| std::cmp::Reverse(report.findings[i].severity));
        shown.truncate(MAX_ANNOTATIONS);
        shown.sort_unstable();
    }
    for f in shown.into_iter().map(|i| &report.findings[i]) {
        let level = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium | Severity::Low => "warning",
            Severity::Info => "notice",
        };
        let mut msg = f.message.clone();
        if !f.snippet.is_empty() {
            msg.push_str(&format!(" [{}]", f.snippet));
        }
        if let Some(c) = &f.commit {
            msg.push_str(&format!(
                " Added in commit {} by {} on {}.",
                c.id.get(..12).unwrap_or(&c.id),
                c.author,
                c.date
            ));
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
            "::warning title=tokenward::{} more findings not annotated (the {MAX_ANNOTATIONS} most severe are); see the SARIF or text report",
            report.findings.len() - MAX_ANNOTATIONS
        )?;
    }
    for r in report.reductions {
        writeln!(
            w,
            "::warning title=tokenward coverage reduced::{}",
            escape_data(&r.line())
        )?;
    }
    for n in report.notices {
        writeln!(w, "::notice title=tokenward::{}", escape_data(n))?;
    }
    writeln!(w, "tokenward: {}", report.summary_line())
}
