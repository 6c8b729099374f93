//! Command-line interface (clap derive): `scan`, `rules`.

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
#[derive(Debug, Args)]
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
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,
    /// Print secrets in full instead of a short prefix.
    #[arg(long)]
    pub no_redact: bool,
    /// Also scan files excluded by .gitignore and .ignore.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip files larger than this (bytes; K, M and G suffixes allowed).
    #[arg(long, default_value = "10M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Run only these rule or audit ids (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub select: Vec<String>,
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
