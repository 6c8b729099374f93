//! Baselines: `tokenward baseline` records the current findings by fingerprint (rule,
//! path and a hash of the secret or YAML path; never the secret, never the line), and
//! `scan --baseline FILE` hides findings recorded there. Output is sorted and has no
//! timestamps, so it merges cleanly in git.

use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// Version of the baseline file format.
/// Version 2: secret fingerprints are slow and salted (`finding::secret_fingerprint`);
/// a version 1 baseline holds plain hashes, which must be regenerated.
pub const BASELINE_VERSION: u32 = 2;

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Path relative to the scan root, `/`-separated (for readers; matching uses the
    /// fingerprint, which already hashes the path).
    pub path: String,
    /// Rule or audit id.
    pub rule_id: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
}

/// The on-disk baseline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    /// Format version ([`BASELINE_VERSION`]).
    pub version: u32,
    /// Always `tokenward`.
    pub tool: String,
    /// Recorded findings, sorted by path, rule, fingerprint.
    pub findings: Vec<Entry>,
}

/// A loaded baseline: the set of recorded fingerprints.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

impl Baseline {
    /// Whether `fingerprint` is recorded.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// Number of recorded fingerprints.
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// Whether the baseline records nothing.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    /// Parses baseline JSON; `origin` names the file in errors (`file:line:col`).
    pub fn parse(origin: &str, text: &str) -> Result<Baseline, String> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
            format!(
                "{origin}:{}:{}: not a tokenward baseline: {e}",
                e.line(),
                e.column()
            )
        })?;
        if file.version != BASELINE_VERSION {
            return Err(format!(
                "{origin}: baseline version {} is not supported (expected {BASELINE_VERSION}); regenerate it with `tokenward baseline`",
                file.version
            ));
        }
        Ok(Baseline {
            fingerprints: file.findings.into_iter().map(|e| e.fingerprint).collect(),
        })
    }

    /// Reads and parses a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let origin = path.display().to_string();
        // A committed baseline is read like any helper file: regular, and bounded.
        let text =
            crate::bounded::read_text(path, 64 << 20).map_err(|e| format!("{origin}: {e}"))?;
        Baseline::parse(&origin, &text)
    }
}

/// The baseline JSON for `findings`: sorted, deduplicated, ending in a newline.
/// Expired-allow findings are left out: a baseline must not silence an exception
/// that ran out.
pub fn render(findings: &[Finding]) -> String {
    let mut entries: Vec<Entry> = findings
        .iter()
        .filter(|f| f.rule_id != crate::finding::EXPIRED_ALLOW)
        .map(|f| Entry {
            path: f.path.clone(),
            rule_id: f.rule_id.clone(),
            fingerprint: f.fingerprint.get().to_string(),
        })
        .collect();
    entries.sort();
    entries.dedup();
    let file = BaselineFile {
        version: BASELINE_VERSION,
        tool: "tokenward".to_string(),
        findings: entries,
    };
    let mut s = serde_json::to_string_pretty(&file).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_have_line_and_column() {
        let e = Baseline::parse("b.json", "{\n  \"version\": 2,\n  oops\n}").expect_err("bad");
        assert!(e.starts_with("b.json:3:"), "{e}");
    }

    #[test]
    fn round_trip() {
        let text = r#"{"version":2,"tool":"tokenward","findings":[{"path":"a","rule_id":"r","fingerprint":"00ff"}]}"#;
        let b = Baseline::parse("b", text).expect("parses");
        assert!(b.contains("00ff"));
        assert_eq!(b.len(), 1);
    }
}
