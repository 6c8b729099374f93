//! Human-readable output: `path:line:col: severity rule-id message`, the redacted
//! snippet, and the fix; colour only on a terminal and never with `NO_COLOR`.

use super::Report;
use crate::escape::for_display as esc;
use crate::finding::Severity;
use std::io::{self, Write};

/// Writes the text report.
pub fn write(report: &Report, w: &mut dyn Write, color: bool) -> io::Result<()> {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    for f in report.findings {
        let sev_color = match f.severity {
            Severity::Critical | Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        writeln!(
            w,
            "{}:{}:{}: {} {} {}",
            paint("1", &esc(&f.path)),
            f.span.start_line,
            f.span.start_column,
            paint(sev_color, f.severity.as_str()),
            paint("35", &esc(&f.rule_id)),
            esc(&f.message)
        )?;
        if !f.snippet.is_empty() {
            let label = match f.kind {
                crate::finding::FindingKind::Secret => "secret",
                _ => "code",
            };
            writeln!(w, "    {label}: {}", esc(&f.snippet))?;
        }
        if let Some(c) = &f.commit {
            writeln!(
                w,
                "    commit: {} ({}, {})",
                esc(&c.id),
                esc(&c.author),
                esc(&c.date)
            )?;
        }
        if let Some(o) = &f.owner {
            writeln!(w, "    owner: {}", esc(o))?;
        }
        if !f.remediation.is_empty() {
            writeln!(w, "    fix: {}", esc(&f.remediation))?;
        }
    }
    for s in report.suppressed {
        writeln!(
            w,
            "{}:{}:{}: suppressed ({}{}) {}",
            esc(&s.finding.path),
            s.finding.span.start_line,
            s.finding.span.start_column,
            esc(&s.by),
            if s.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", esc(&s.reason))
            },
            esc(&s.finding.rule_id)
        )?;
    }
    Ok(())
}
