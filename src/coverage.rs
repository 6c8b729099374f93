//! Coverage reductions: settings that come from the scanned tree (its `tokenward.toml`,
//! its `.ignore` and `.gitignore` files) and make the scan see or report less. Each is
//! stated in every output format with what it removed, so a pull request cannot blind
//! the scanner silently; `--trusted-config` turns them all off for CI.

use crate::config::Config;
use crate::walk::ScanStats;
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
const MAX_IDS_SHOWN: usize = 8;

/// The reductions a config file found in the scanned tree makes, given the command
/// line it is merged with (a flag given on the command line wins and is not the
/// tree's doing). `known` is every rule and audit id, `active` those left on.
pub fn from_tree_config(
    c: &Config,
    source: &str,
    cli: &crate::cli::ScanArgs,
    known: &std::collections::HashSet<String>,
    active: Option<&std::collections::HashSet<String>>,
) -> Vec<Pending> {
    let mut out = Vec::new();
    let mut add = |setting: &str, effect: Effect| {
        out.push(Pending {
            setting: setting.to_string(),
            source: source.to_string(),
            effect,
        })
    };
    if c.exclude.is_some() {
        add("exclude", Effect::Skipped("excluded", String::new()));
    }
    if cli.select.is_empty()
        && (!c.enable.is_empty() || !c.disable.is_empty())
        && let Some(active) = active
    {
        let mut off: Vec<&str> = known
            .iter()
            .filter(|id| !active.contains(*id))
            .map(String::as_str)
            .collect();
        off.sort_unstable();
        if !off.is_empty() {
            // Name the shorter list: what is off, or what alone is still on.
            let mut on: Vec<&str> = active.iter().map(String::as_str).collect();
            on.sort_unstable();
            let (names, lead) = if on.len() < off.len() {
                (on, "only ")
            } else {
                (off.clone(), "")
            };
            let mut ids = names[..names.len().min(MAX_IDS_SHOWN)].join(", ");
            if names.len() > MAX_IDS_SHOWN {
                ids.push_str(&format!(", and {} more", names.len() - MAX_IDS_SHOWN));
            }
            if !lead.is_empty() {
                ids = format!("{lead}{} on", if ids.is_empty() { "none" } else { &ids });
            }
            let key = if c.enable.is_empty() {
                "disable"
            } else {
                "enable"
            };
            add(
                key,
                Effect::Text(format!(
                    "{} of {} rules and audits off ({ids})",
                    off.len(),
                    known.len()
                )),
            );
        }
    }
    if cli.fail_on.is_none()
        && let Some(f) = c.fail_on
    {
        use crate::cli::FailOn;
        let effect = match f {
            FailOn::Info | FailOn::Low => None,
            FailOn::Never => Some("no finding fails the run (exit 0 whatever is found)".into()),
            other => Some(format!(
                "findings below {} do not fail the run",
                format!("{other:?}").to_lowercase()
            )),
        };
        if let Some(e) = effect {
            add("fail-on", Effect::Text(e));
        }
    }
    if cli.max_file_size.is_none()
        && let Some(m) = c
            .max_file_size
            .filter(|&m| m < crate::cli::DEFAULT_MAX_FILE_SIZE)
    {
        add(
            "max-file-size",
            Effect::Skipped("too-large", format!(" (limit {m} bytes, default 10 MiB)")),
        );
    }
    if cli.threads == 0
        && let Some(t) = c.threads
    {
        add(
            "threads",
            Effect::Text(format!(
                "{t} walker threads requested (capped at the machine's cores)"
            )),
        );
    }
    for (id, sev) in &c.severity {
        if *sev <= crate::finding::Severity::Low {
            add(
                "severity",
                Effect::Text(format!("`{id}` findings lowered to {sev}")),
            );
        }
    }
    if !c.allows.is_empty() {
        add("allow", Effect::Suppressed("config"));
    }
    if cli.baseline.is_none() && c.baseline.is_some() {
        add("baseline", Effect::Suppressed("baseline"));
    }
    if cli.gitleaks_config.is_none()
        && let Some(g) = &c.gitleaks_config
    {
        add(
            "gitleaks-config",
            Effect::ImportDrops(g.display().to_string()),
        );
    }
    out
}

/// Turns pending reductions into statements with the scan's totals.
pub fn finish(
    pending: &[Pending],
    stats: &ScanStats,
    suppressed: &std::collections::BTreeMap<String, u64>,
) -> Vec<Reduction> {
    pending
        .iter()
        .map(|p| {
            let effect = match &p.effect {
                Effect::Text(t) => t.clone(),
                Effect::Skipped(reason, extra) => format!(
                    "{} files skipped{extra}",
                    stats.skipped.get(*reason).copied().unwrap_or(0)
                ),
                Effect::ImportDrops(file) => format!(
                    "{} findings dropped by the allowlists and path filters imported from {file}",
                    stats.import_dropped
                ),
                Effect::Suppressed(by) => format!(
                    "{} findings suppressed",
                    suppressed.get(*by).copied().unwrap_or(0)
                ),
            };
            Reduction {
                setting: p.setting.clone(),
                source: p.source.clone(),
                effect,
            }
        })
        .collect()
}

/// Reductions by the ignore files of the scanned tree: files that `.ignore` files hide
/// (git does not read them, so those files are in the repository), and files git
/// tracks although a `.gitignore` matches them. Only for a walk that honours ignore
/// files; counting walks the tree once more only when a `.ignore` file was seen.
pub fn from_ignore_files(roots: &[PathBuf], stats: &ScanStats) -> Vec<Reduction> {
    let mut out = Vec::new();
    if stats.dot_ignore_dirs > 0 {
        let all = count_files(roots, false);
        let kept = count_files(roots, true);
        out.push(Reduction {
            setting: ".ignore".to_string(),
            source: format!("{} folders of the scanned tree", stats.dot_ignore_dirs),
            effect: format!(
                "{} files hidden (git does not read .ignore: they are in the repository; --no-ignore scans them)",
                all.saturating_sub(kept)
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
