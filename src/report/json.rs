//! JSON output: a versioned object (`"version": 1`) holding the findings, the
//! suppression counts and the scan totals. Documented in README.md.
//!
//! When `TOKENWARD_FLEET_KEY` is set, each secret finding also carries `value_hash`, a
//! keyed hash of the secret (see [`crate::fleet_key`]) that `tokenward merge --digest`
//! uses to find one value reused across repositories.

use super::Report;
use crate::finding::Finding;
use crate::fleet_key::FleetKey;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Version of the JSON schema; bumped on any incompatible change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Writes the JSON report; reads the fleet key from the environment.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let key = FleetKey::from_env().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    write_with_key(report, key.as_ref(), w)
}

/// Writes the JSON report; with a fleet key, secret findings carry `value_hash`.
pub fn write_with_key(
    report: &Report,
    key: Option<&FleetKey>,
    w: &mut dyn Write,
) -> io::Result<()> {
    // Serialized straight from borrowed data: no intermediate JSON tree, which for tens
    // of thousands of findings costs more than the scan.
    #[derive(Serialize)]
    struct Doc<'a> {
        version: u32,
        tool: Tool,
        findings: Vec<FindingOut<'a>>,
        suppressed: Vec<SuppressedEntry<'a>>,
        summary: Summary<'a>,
    }
    #[derive(Serialize)]
    struct Tool {
        name: &'static str,
        version: &'static str,
    }
    #[derive(Serialize)]
    struct FindingOut<'a> {
        #[serde(flatten)]
        finding: &'a Finding,
        #[serde(skip_serializing_if = "Option::is_none")]
        value_hash: Option<String>,
    }
    #[derive(Serialize)]
    struct SuppressedEntry<'a> {
        by: &'a str,
        reason: &'a str,
        finding: &'a Finding,
    }
    #[derive(Serialize)]
    struct Summary<'a> {
        files_scanned: u64,
        bytes_scanned: u64,
        files_skipped: &'a BTreeMap<String, u64>,
        non_utf8_files: u64,
        findings: usize,
        long_lived_credentials: usize,
        suppressed: &'a BTreeMap<String, u64>,
        notices: &'a [String],
        coverage_reductions: &'a [crate::coverage::Reduction],
    }
    let doc = Doc {
        version: JSON_SCHEMA_VERSION,
        tool: Tool {
            name: "tokenward",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report
            .findings
            .iter()
            .map(|f| FindingOut {
                finding: f,
                value_hash: key.zip(f.secret.as_deref()).map(|(k, s)| k.value_hash(s)),
            })
            .collect(),
        suppressed: report
            .suppressed
            .iter()
            .map(|s| SuppressedEntry {
                by: &s.by,
                reason: &s.reason,
                finding: &s.finding,
            })
            .collect(),
        summary: Summary {
            files_scanned: report.stats.files,
            bytes_scanned: report.stats.bytes,
            files_skipped: &report.stats.skipped,
            non_utf8_files: report.stats.non_utf8,
            findings: report.findings.len(),
            long_lived_credentials: report.long_lived(),
            suppressed: &report.suppressed_counts,
            notices: report.notices,
            coverage_reductions: report.reductions,
        },
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
