//! JSON output: a versioned object (`"version": 1`) holding the findings, the
//! suppression counts and the scan totals. Documented in README.md.

use super::Report;
use serde_json::json;
use std::io::{self, Write};

/// Version of the JSON schema; bumped on any incompatible change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Writes the JSON report.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let suppressed: Vec<_> = report
        .suppressed
        .iter()
        .map(|s| json!({"by": s.by, "reason": s.reason, "finding": s.finding}))
        .collect();
    let doc = json!({
        "version": JSON_SCHEMA_VERSION,
        "tool": {"name": "tokenward", "version": env!("CARGO_PKG_VERSION")},
        "findings": report.findings,
        "suppressed": suppressed,
        "summary": {
            "files_scanned": report.stats.files,
            "bytes_scanned": report.stats.bytes,
            "files_skipped": report.stats.skipped,
            "non_utf8_files": report.stats.non_utf8,
            "findings": report.findings.len(),
            "long_lived_credentials": report.long_lived(),
            "suppressed": report.suppressed_counts,
            "notices": report.notices,
        }
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
