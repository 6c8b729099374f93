//! Human-readable output: `path:line:col: severity rule-id message` (path relative to
//! the current folder), the redacted snippet, and each rule's fix once, at its first
//! finding; `--concise` keeps only the first line. Everything from the scanned tree is
//! escaped before it is printed.

use super::Report;
use crate::escape::for_display;
use crate::finding::{FindingKind, Severity};
use std::collections::HashSet;
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
    let mut fixed: HashSet<&str> = HashSet::new();
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
            paint("1", &report.shown_path(&f.path)),
            f.span.start_line,
            f.span.start_column,
            paint(sev_color, f.severity.as_str()),
            paint("35", &f.rule_id),
            for_display(&f.message)
        )?;
        if report.view.concise {
            continue;
        }
        if !f.snippet.is_empty() {
            let label = match f.kind {
                FindingKind::Secret => "secret",
                FindingKind::Pipeline => "code",
                FindingKind::Config => "setting",
            };
            writeln!(w, "    {label}: {}", for_display(&f.snippet))?;
        }
        for r in &f.related {
            writeln!(
                w,
                "    also: {}:{}:{} ({})",
                report.shown_path(&r.path),
                r.span.start_line,
                r.span.start_column,
                for_display(&r.message)
            )?;
        }
        if let Some(c) = &f.commit {
            writeln!(
                w,
                "    commit: {} ({}, {})",
                for_display(&c.id),
                for_display(&c.author),
                for_display(&c.date)
            )?;
        }
        if let Some(l) = &f.lineage {
            writeln!(w, "    {}", for_display(&l.line()))?;
        }
        if let Some(o) = &f.owner {
            writeln!(w, "    owner: {}", for_display(o))?;
        }
        if !f.remediation.is_empty() && fixed.insert(f.rule_id.as_str()) {
            writeln!(w, "    fix: {}", for_display(&f.remediation))?;
        }
    }
    for s in report.suppressed {
        writeln!(
            w,
            "{}:{}:{}: suppressed ({}{}) {}",
            report.shown_path(&s.finding.path),
            s.finding.span.start_line,
            s.finding.span.start_column,
            for_display(&s.by),
            if s.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", for_display(&s.reason))
            },
            for_display(&s.finding.rule_id)
        )?;
    }
    Ok(())
}
