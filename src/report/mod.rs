//! Reporters: each output format is one module that consumes a finished [`Report`];
//! none of them detects anything.

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use crate::finding::{Finding, FindingKind, Lifetime, Severity};
use crate::walk::ScanStats;
use std::collections::BTreeMap;

/// What a reporter needs to know about one rule or audit.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// Rule or audit id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Secret rule or pipeline audit.
    pub kind: FindingKind,
    /// Default severity.
    pub severity: Severity,
    /// Credential lifetime, for secret rules.
    pub lifetime: Option<Lifetime>,
    /// Family (`cloud`, `ai`, ...) or `pipeline`.
    pub family: String,
    /// What it finds and why it matters.
    pub description: String,
    /// How to fix it.
    pub remediation: String,
    /// Documentation links.
    pub references: Vec<String>,
}

/// A finding that was hidden, with what hid it.
#[derive(Debug, Clone)]
pub struct Suppressed {
    /// The hidden finding.
    pub finding: Finding,
    /// `inline`, `config` or `baseline`.
    pub by: String,
    /// The reason given, when there is one.
    pub reason: String,
}

/// Everything a reporter prints.
#[derive(Debug)]
pub struct Report<'a> {
    /// Reported findings, sorted.
    pub findings: &'a [Finding],
    /// Metadata of every rule and audit that can appear.
    pub rules: &'a [RuleMeta],
    /// Walk totals.
    pub stats: &'a ScanStats,
    /// Number of suppressed findings by mechanism.
    pub suppressed_counts: BTreeMap<String, u64>,
    /// Suppressed findings, only when the user asked to include them.
    pub suppressed: &'a [Suppressed],
    /// Notices for the reader (applied config and allows, expired allows...).
    pub notices: &'a [String],
    /// Settings from the scanned tree that reduced coverage, with what they removed.
    pub reductions: &'a [crate::coverage::Reduction],
    /// Wall time in seconds.
    pub elapsed_secs: f64,
}

impl Report<'_> {
    /// Number of reported findings whose credential type is long-lived.
    pub fn long_lived(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.lifetime == Some(Lifetime::LongLived))
            .count()
    }

    /// The one-line summary printed to stderr (and embedded in text output).
    pub fn summary_line(&self) -> String {
        let s = self.stats;
        let mut line = format!(
            "scanned {} files ({:.1} MB) in {:.2}s; {} findings ({} long-lived credentials)",
            s.files,
            s.bytes as f64 / 1e6,
            self.elapsed_secs,
            self.findings.len(),
            self.long_lived()
        );
        let suppressed: u64 = self.suppressed_counts.values().sum();
        if suppressed > 0 {
            let parts: Vec<String> = self
                .suppressed_counts
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            line.push_str(&format!("; {suppressed} suppressed ({})", parts.join(", ")));
        }
        let skipped: u64 = s.skipped.values().sum();
        if skipped > 0 {
            let parts: Vec<String> = s.skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
            line.push_str(&format!("; skipped {skipped} files ({})", parts.join(", ")));
        }
        if s.non_utf8 > 0 {
            line.push_str(&format!(
                "; {} non-UTF-8 files scanned as bytes",
                s.non_utf8
            ));
        }
        if !self.reductions.is_empty() {
            let what: Vec<&str> = self.reductions.iter().map(|r| r.setting.as_str()).collect();
            line.push_str(&format!(
                "; coverage reduced by the scanned tree's settings ({})",
                what.join(", ")
            ));
        }
        line
    }
}
