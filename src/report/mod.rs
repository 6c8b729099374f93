//! Reporters: each output format is one module that consumes a finished [`Report`];
//! none of them detects anything.

pub mod frameworks;
pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use crate::finding::{Finding, FindingKind, Lifetime, Severity};
use crate::outcome::ScanStats;
use std::collections::BTreeMap;

pub use crate::finding::RuleMeta;
pub use crate::suppress::Suppressed;

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
    /// How to present it: path anchoring, concise mode, SARIF run details.
    pub view: View,
}

/// Presentation choices that do not change what was found.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Repository root and current folder: text paths are shown relative to the latter.
    pub roots: Option<crate::paths::Roots>,
    /// One line per finding (`--concise`).
    pub concise: bool,
    /// Findings left out by `--min-severity` / `--min-confidence`.
    pub hidden: usize,
    /// SARIF `runAutomationDetails.id` (`--sarif-category`).
    pub sarif_category: Option<String>,
    /// SARIF `versionControlProvenance`, when the root is a git work tree.
    pub provenance: Option<Provenance>,
}

/// The repository a scan ran on, for SARIF `versionControlProvenance`.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// `remote.origin.url` as an absolute URI, else the root as a `file:` URI.
    pub repository_uri: String,
    /// The commit checked out.
    pub revision_id: Option<String>,
    /// The branch checked out.
    pub branch: Option<String>,
}

impl Report<'_> {
    /// Number of reported findings whose credential type is long-lived.
    pub fn long_lived(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.lifetime == Some(Lifetime::LongLived))
            .count()
    }

    /// The path of a finding as text output shows it (relative to the current folder).
    pub fn shown_path(&self, path: &str) -> String {
        let p = match &self.view.roots {
            Some(r) => r.show(path),
            None => path.to_string(),
        };
        crate::escape::for_display(&p).into_owned()
    }

    /// The one-line summary printed to stderr (and embedded in text output): files,
    /// findings by severity and kind, suppressions, skips.
    pub fn summary_line(&self) -> String {
        use crate::term::plural;
        let s = self.stats;
        let n = self.findings.len() as u64;
        let mut line = format!(
            "scanned {} ({:.1} MB) in {:.2}s; {}",
            plural(s.files, "file", "files"),
            s.bytes as f64 / 1e6,
            self.elapsed_secs,
            plural(n, "finding", "findings"),
        );
        if n > 0 {
            let mut parts = Vec::new();
            for sev in Severity::ALL.iter().rev() {
                let c = self.findings.iter().filter(|f| f.severity == *sev).count();
                if c > 0 {
                    parts.push(format!("{c} {sev}"));
                }
            }
            let mut kinds = Vec::new();
            for (kind, one, many) in [
                (FindingKind::Secret, "secret", "secrets"),
                (FindingKind::Pipeline, "pipeline issue", "pipeline issues"),
                (FindingKind::Config, "config issue", "config issues"),
            ] {
                let c = self.findings.iter().filter(|f| f.kind == kind).count() as u64;
                if c > 0 {
                    kinds.push(plural(c, one, many));
                }
            }
            line.push_str(&format!(" ({}; {})", parts.join(", "), kinds.join(", ")));
            let ll = self.long_lived() as u64;
            if ll > 0 {
                line.push_str(&format!(
                    "; {} long-lived",
                    plural(ll, "credential is", "credentials are")
                ));
            }
        }
        if self.view.hidden > 0 {
            line.push_str(&format!(
                "; {} below --min-severity/--min-confidence not shown",
                self.view.hidden
            ));
        }
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
            line.push_str(&format!(
                "; skipped {} ({})",
                plural(skipped, "file", "files"),
                parts.join(", ")
            ));
        }
        if s.non_utf8 > 0 {
            line.push_str(&format!(
                "; {} scanned as bytes",
                plural(s.non_utf8, "non-UTF-8 file", "non-UTF-8 files")
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
