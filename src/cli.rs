//! Command-line interface (clap derive): `scan`, `baseline`, `rules`, `install-hook`, `inventory`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// tokenward: finds hard-coded credentials, long-lived tokens and over-broad CI/CD
/// privileges in a repository.
#[derive(Debug, Parser)]
#[command(name = "tokenward", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders for secrets and pipeline privilege problems.
    Scan(ScanArgs),
    /// List rules and audits, explain one, or check every rule's examples.
    Rules(RulesArgs),
    /// Print a baseline (sorted JSON of finding fingerprints) of the current findings;
    /// takes the options of `scan` (`--format` is ignored).
    Baseline(ScanArgs),
    /// Write a git pre-commit hook that runs `tokenward scan --staged --pre-commit`.
    InstallHook(InstallHookArgs),
    /// List every machine credential the repository holds or its pipelines use: secrets,
    /// cloud and registry logins, token permissions, hard-coded credentials, owners.
    Inventory(crate::inventory::InventoryArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable lines (default).
    Text,
    /// Versioned JSON object.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub workflow-command annotations.
    Github,
}

/// Severity threshold names for `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Fail on info and above.
    Info,
    /// Fail on low and above (default).
    Low,
    /// Fail on medium and above.
    Medium,
    /// Fail on high and above.
    High,
    /// Fail only on critical.
    Critical,
    /// Never fail because of findings.
    Never,
}

/// Options of `tokenward scan`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains [default: low, or the
    /// config's `fail-on`].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Print secrets in full instead of a short prefix.
    #[arg(long)]
    pub no_redact: bool,
    /// Also scan files excluded by .gitignore and .ignore.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip files larger than this (bytes; K, M and G suffixes allowed) [default: 10M,
    /// or the config's `max-file-size`].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Run only these rule or audit ids (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub select: Vec<String>,
    /// Read this config file instead of a discovered `tokenward.toml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any `tokenward.toml` in the scanned tree.
    #[arg(long)]
    pub no_config: bool,
    /// CI mode: read the config only from FILE (e.g. the base branch's
    /// `tokenward.toml`), never from the scanned tree, and do not honour the tree's
    /// `.gitignore`/`.ignore` files, so a pull request cannot change what is scanned.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["config", "no_config"])]
    pub trusted_config: Option<PathBuf>,
    /// Report only findings whose fingerprint is not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Import the `[[rules]]` of a gitleaks or Betterleaks config file.
    #[arg(long, value_name = "FILE")]
    pub gitleaks_config: Option<PathBuf>,
    /// Also list suppressed findings (SARIF: results with `suppressions`).
    #[arg(long)]
    pub include_suppressed: bool,
    /// Scan what is staged in the git index (blob contents, not the working tree) of
    /// the repository around PATH.
    #[arg(long, conflicts_with = "git")]
    pub staged: bool,
    /// Scan the lines added by each commit in REV-RANGE (default: all history
    /// reachable from HEAD); each finding names the commit that introduced it.
    #[arg(
        long,
        value_name = "REV-RANGE",
        num_args = 0..=1,
        default_missing_value = "HEAD"
    )]
    pub git: Option<String>,
    /// Commit-hook mode: short redacted output, nothing when clean, exit 1 blocks.
    #[arg(long, conflicts_with = "no_redact")]
    pub pre_commit: bool,
}

/// Options of `tokenward install-hook`.
#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// A directory inside the repository.
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Replace an existing pre-commit hook.
    #[arg(long)]
    pub force: bool,
}

/// Default of `--max-file-size`: 10 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

impl ScanArgs {
    /// The failing level: the flag, else low.
    pub fn fail_on(&self) -> FailOn {
        self.fail_on.unwrap_or(FailOn::Low)
    }

    /// The size limit: the flag, else 10 MiB.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE)
    }
}

/// Options of `tokenward rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `list` (default), `explain ID`, or `check`.
    #[command(subcommand)]
    pub action: Option<RulesAction>,
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// List every secret rule and pipeline audit.
    List,
    /// Print a rule's or audit's description, fix, references and examples.
    Explain {
        /// Rule or audit id.
        id: String,
    },
    /// Run every rule's examples and negative examples through the full pipeline.
    Check,
}

/// Parses `10M`, `512K`, `1G` or a plain byte count.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('m' | 'M') => (&s[..s.len() - 1], 1 << 20),
        Some('g' | 'G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .map(|n| n.saturating_mul(mult))
        .map_err(|_| format!("`{s}` is not a size (try 10M, 512K or a byte count)"))
}
