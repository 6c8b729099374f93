//! Coverage reductions: settings that come from the scanned tree (its `tokenward.toml`,
//! its `.ignore` and `.gitignore` files) and make the scan see or report less. Each is
//! stated in every output format with what it removed, so a pull request cannot blind
//! the scanner silently; `--trusted-config` turns them all off for CI.

use crate::outcome::ScanStats;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One setting from the scanned tree that reduced coverage, and what it removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reduction {
    /// The setting: a config key (`exclude`, `disable`, `fail-on`, ...) or an ignore
    /// file name (`.ignore`, `.gitignore`).
    pub setting: String,
    /// The file it comes from, as shown in findings.
    pub source: String,
    /// What it removed, in words ("12 files skipped", "3 of 160 rules off: ...").
    pub effect: String,
}

impl Reduction {
    /// One line for the text summary and stderr notes.
    pub fn line(&self) -> String {
        format!(
            "coverage reduced by `{}` in {}: {}",
            self.setting, self.source, self.effect
        )
    }
}

/// What a reduction removed, when that is only known after the scan.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Known before the scan.
    Text(String),
    /// Files skipped for this skip reason (`excluded`, `too-large`).
    Skipped(&'static str, String),
    /// Findings dropped by the allowlists and path filters of this imported gitleaks
    /// file.
    ImportDrops(String),
    /// Findings suppressed by this mechanism (`config`, `baseline`).
    Suppressed(&'static str),
}

/// A reduction whose effect may still need the scan's totals.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The setting.
    pub setting: String,
    /// Where it comes from.
    pub source: String,
    /// What it removes.
    pub effect: Effect,
}

/// Most ids named in one "rules off" statement.
pub const MAX_IDS_SHOWN: usize = 8;

/// Turns pending reductions into statements with the scan's totals. A setting whose
/// effect is counted and removed nothing in this scan (an `exclude` that matched no
/// file) is left out: it did not reduce coverage, and a warning about it would only
/// teach readers to skip the warnings.
pub fn finish(
    pending: &[Pending],
    stats: &ScanStats,
    suppressed: &std::collections::BTreeMap<String, u64>,
) -> Vec<Reduction> {
    pending
        .iter()
        .filter_map(|p| {
            let effect = match &p.effect {
                Effect::Text(t) => t.clone(),
                Effect::Skipped(reason, extra) => {
                    let n = stats.skipped.get(*reason).copied().unwrap_or(0);
                    if n == 0 {
                        return None;
                    }
                    format!("{n} files skipped{extra}")
                }
                Effect::ImportDrops(file) => {
                    if stats.import_dropped == 0 {
                        return None;
                    }
                    format!(
                        "{} findings dropped by the allowlists and path filters imported from {file}",
                        stats.import_dropped
                    )
                }
                Effect::Suppressed(by) => {
                    let n = suppressed.get(*by).copied().unwrap_or(0);
                    if n == 0 {
                        return None;
                    }
                    format!("{n} findings suppressed")
                }
            };
            Some(Reduction {
                setting: p.setting.clone(),
                source: p.source.clone(),
                effect,
            })
        })
        .collect()
}

/// The reduction stated when files were not scanned because tokenward failed on them
/// (a panic caught in a worker, see [`crate::source`]).
pub fn internal_errors(stats: &ScanStats) -> Option<Reduction> {
    let n = stats.skipped.get(crate::source::INTERNAL_ERROR).copied()?;
    Some(Reduction {
        setting: crate::source::INTERNAL_ERROR.to_string(),
        source: "tokenward".to_string(),
        effect: format!(
            "{n} files not scanned because the scanner failed on them (see the warnings; please report it)"
        ),
    })
}

/// Reductions by the ignore files of the scanned tree: files that `.ignore` files hide
/// (git does not read them, so those files are in the repository), and files git
/// tracks although a `.gitignore` matches them. Only for a walk that honours ignore
/// files; counting walks the tree once more only when a `.ignore` file was seen.
pub fn from_ignore_files(roots: &[PathBuf], stats: &ScanStats) -> Vec<Reduction> {
    let mut out = Vec::new();
    // A `.ignore` file hides files below its own folder only: count there, from the
    // topmost such folders (or the roots, when the walk did not list them).
    let mut below: Vec<PathBuf> = stats.dot_ignore_folders.clone();
    below.sort();
    below.dedup();
    let mut tops: Vec<PathBuf> = Vec::new();
    for d in below {
        if !tops.iter().any(|t| d.starts_with(t)) {
            tops.push(d);
        }
    }
    if tops.is_empty() && stats.dot_ignore_dirs > 0 {
        tops = roots.to_vec();
    }
    let hidden = if tops.is_empty() {
        0
    } else {
        // The two counting walks run at once: they come after the scan, on one thread
        // otherwise, and the walk is most of their time. A walker thread that panics
        // counts nothing (the statement may then say less, never crash the scan).
        let (all, kept) = std::thread::scope(|s| {
            let all = s.spawn(|| count_files(&tops, false));
            let kept = count_files(&tops, true);
            (all.join().unwrap_or(0), kept)
        });
        all.saturating_sub(kept)
    };
    if hidden > 0 {
        out.push(Reduction {
            setting: ".ignore".to_string(),
            source: format!("{} folders of the scanned tree", stats.dot_ignore_dirs),
            effect: format!(
                "{hidden} files hidden (git does not read .ignore: they are in the repository; --no-ignore scans them)"
            ),
        });
    }
    if stats.gitignore_dirs > 0
        && let [root] = roots
        && let Some(n) = tracked_but_ignored(root)
        && n > 0
    {
        out.push(Reduction {
            setting: ".gitignore".to_string(),
            source: "the scanned tree".to_string(),
            effect: format!(
                "{n} files tracked by git but matched by .gitignore hidden (--no-ignore scans them)"
            ),
        });
    }
    out
}

/// Files a walk with (or without) `.ignore` files admits, `.gitignore` honoured in
/// both; folders whose ignore files cannot be read safely are left out of both.
fn count_files(roots: &[PathBuf], dot_ignore: bool) -> u64 {
    let Some((first, rest)) = roots.split_first() else {
        return 0;
    };
    let mut b = ignore::WalkBuilder::new(first);
    for r in rest {
        b.add(r);
    }
    b.hidden(false)
        .ignore(dot_ignore)
        .git_ignore(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            e.file_name() != ".git"
                && !(e.file_type().is_some_and(|t| t.is_dir())
                    && [".gitignore", ".ignore"]
                        .iter()
                        .any(|n| crate::bounded::helper_problem(&e.path().join(n)).is_some()))
        });
    b.build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .count() as u64
}

/// How many files git tracks under `root` that a `.gitignore` matches; `None` when
/// `root` is not in a git work tree or git is missing.
fn tracked_but_ignored(root: &Path) -> Option<u64> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--ignored",
            "--exclude-standard",
            "--",
            ".",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        out.stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .count() as u64,
    )
}
