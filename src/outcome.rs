//! What a scan produced, whatever its source (a directory walk, staged blobs, history):
//! findings, inline-suppressed findings, per-file problems, totals and pipeline facts.
//! Suppression and reporters read it; only the scanners write it.

use crate::finding::Finding;
use std::collections::BTreeMap;

/// Totals for the summary line.
#[derive(Debug, Default, Clone)]
pub struct ScanStats {
    /// Files read and scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Skipped files by reason (`binary`, `too-large`, `unreadable`, ...).
    pub skipped: BTreeMap<String, u64>,
    /// Files scanned as bytes because they are not valid UTF-8.
    pub non_utf8: u64,
    /// Workflows below the root that were not audited (GitHub never runs them).
    pub unaudited_workflows: u64,
    /// Folders with a `.ignore` file (git does not read those: they can hide committed
    /// files from the scan).
    pub dot_ignore_dirs: u64,
    /// Those folders (the coverage statement counts what their `.ignore` hides).
    pub dot_ignore_folders: Vec<std::path::PathBuf>,
    /// Folders with a `.gitignore` file.
    pub gitignore_dirs: u64,
    /// Findings dropped by imported gitleaks allowlists and path filters.
    pub import_dropped: u64,
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Reported findings (unsorted until the caller sorts).
    pub findings: Vec<Finding>,
    /// Findings hidden by inline comments.
    pub suppressed_inline: Vec<Finding>,
    /// One-line problems with particular files (already printed as warnings).
    pub errors: Vec<String>,
    /// Totals.
    pub stats: ScanStats,
    /// Pipeline facts of the CI files, when the engine collects them.
    pub pipelines: Vec<crate::pipeline::Pipeline>,
}

impl ScanResult {
    /// Adds another part's results (a walker thread's, a deferred folder's).
    pub(crate) fn merge(&mut self, other: ScanResult) {
        self.findings.extend(other.findings);
        self.suppressed_inline.extend(other.suppressed_inline);
        self.errors.extend(other.errors);
        self.pipelines.extend(other.pipelines);
        self.stats.files += other.stats.files;
        self.stats.bytes += other.stats.bytes;
        self.stats.non_utf8 += other.stats.non_utf8;
        self.stats.unaudited_workflows += other.stats.unaudited_workflows;
        self.stats.dot_ignore_dirs += other.stats.dot_ignore_dirs;
        self.stats
            .dot_ignore_folders
            .extend(other.stats.dot_ignore_folders);
        self.stats.gitignore_dirs += other.stats.gitignore_dirs;
        self.stats.import_dropped += other.stats.import_dropped;
        for (k, v) in other.stats.skipped {
            *self.stats.skipped.entry(k).or_default() += v;
        }
    }

    /// Counts a skipped file under `reason`.
    pub(crate) fn skip(&mut self, reason: &str) {
        *self.stats.skipped.entry(reason.to_string()).or_default() += 1;
    }

    /// Counts a skipped file and keeps its one-line problem.
    pub(crate) fn error(&mut self, reason: &str, msg: String) {
        self.skip(reason);
        self.errors.push(msg);
    }
}
