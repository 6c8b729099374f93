//! `scan --summary frameworks`: findings counted per control of each security
//! framework (OWASP NHI Top 10, OWASP CI/CD Top 10, NIST CSF 2.0), as text or JSON.

use super::Report;
use crate::frameworks;
use serde::Serialize;
use std::io::{self, Write};

/// Writes the per-framework summary of the report's findings.
pub fn write(report: &Report, json: bool, w: &mut dyn Write) -> io::Result<()> {
    let rows = frameworks::summarize(report.findings);
    if json {
        #[derive(Serialize)]
        struct Row<'a> {
            framework: &'a str,
            control: &'a str,
            title: &'a str,
            findings: usize,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            version: u32,
            findings: usize,
            controls: Vec<Row<'a>>,
        }
        let doc = Doc {
            version: super::json::JSON_SCHEMA_VERSION,
            findings: report.findings.len(),
            controls: rows
                .iter()
                .map(|(fw, id, n)| Row {
                    framework: &fw.id,
                    control: id,
                    title: frameworks::control(id).map_or("", |(_, t)| t),
                    findings: *n,
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        return writeln!(w);
    }
    let mut current = "";
    for (fw, id, n) in &rows {
        if fw.id != current {
            current = &fw.id;
            writeln!(w, "\n{} ({})", fw.name, fw.url)?;
        }
        let title = frameworks::control(id).map_or("", |(_, t)| t);
        writeln!(w, "  {id:<12} {n:>6}  {title}")?;
    }
    let unmapped = report
        .findings
        .iter()
        .filter(|f| f.frameworks.is_empty())
        .count();
    writeln!(
        w,
        "\n{} findings; {unmapped} without a framework control",
        report.findings.len()
    )
}
