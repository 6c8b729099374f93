//! GitHub workflow-command annotations (`::error file=...::message`) within GitHub's
//! per-step limits (10 error, 10 warning and 10 notice annotations per step, as the
//! actions/toolkit problem-matcher documentation states); the rest as plain lines.

use super::Report;
use crate::finding::{FindingKind, Severity};
use std::io::{self, Write};

/// Annotations of one level GitHub displays for one step.
pub const PER_STEP: usize = 10;

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

/// Writes annotations: at most [`PER_STEP`] of each level (most severe first within a
/// level, in report order), then the findings left out as plain log lines, saying so.
/// The summary line is printed once, on stderr, by the caller.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let level_of = |s: Severity| match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    };
    let mut used = [0usize; 3];
    let slot = |l: &str| match l {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    };
    // Config notices take notice slots before info findings.
    let notices: Vec<&String> = report.notices.iter().take(PER_STEP).collect();
    used[2] = notices.len();
    let mut left_out = Vec::new();
    for f in report.findings {
        let level = level_of(f.severity);
        if used[slot(level)] >= PER_STEP {
            left_out.push(f);
            continue;
        }
        used[slot(level)] += 1;
        writeln!(
            w,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.path),
            f.span.start_line,
            f.span.start_column,
            f.span.end_line,
            f.span.end_column,
            escape_property(&format!("tokenward {}", f.rule_id)),
            escape_data(&message(f))
        )?;
    }
    for r in report.reductions {
        writeln!(
            w,
            "::warning title=tokenward coverage reduced::{}",
            escape_data(&r.line())
        )?;
    }
    for n in &notices {
        writeln!(w, "::notice title=tokenward::{}", escape_data(n))?;
    }
    if !left_out.is_empty() {
        writeln!(
            w,
            "tokenward: {} not annotated (GitHub shows at most {PER_STEP} error, {PER_STEP} warning and {PER_STEP} notice annotations per step); they are:",
            crate::term::plural(left_out.len() as u64, "finding is", "findings are")
        )?;
        for f in left_out {
            writeln!(
                w,
                "  {}:{}:{}: {} {} {}",
                escape_data(&crate::escape::for_display(&f.path)),
                f.span.start_line,
                f.span.start_column,
                f.severity,
                f.rule_id,
                escape_data(&crate::escape::for_display(&f.message))
            )?;
        }
    }
    Ok(())
}

/// The annotation text: message, snippet (labelled by kind), commit and fix.
fn message(f: &crate::finding::Finding) -> String {
    let mut msg = crate::escape::for_display(&f.message).into_owned();
    if !f.snippet.is_empty() {
        let label = match f.kind {
            FindingKind::Secret => "secret",
            FindingKind::Pipeline => "code",
            FindingKind::Config => "setting",
        };
        msg.push_str(&format!(
            " [{label}: {}]",
            crate::escape::for_display(&f.snippet)
        ));
    }
    if let Some(c) = &f.commit {
        msg.push_str(&format!(
            " Added in commit {} by {} on {}.",
            c.id.get(..12).unwrap_or(&c.id),
            crate::escape::for_display(&c.author),
            c.date
        ));
    }
    if let Some(l) = &f.lineage {
        msg.push_str(&format!(" {}.", crate::escape::for_display(&l.line())));
    }
    if !f.remediation.is_empty() {
        msg.push_str(&format!(" Fix: {}", f.remediation));
    }
    msg
}
