//! Command-line interface (clap derive): `scan`, `baseline`, `rules`, `install-hook`, `inventory`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// tokenward: finds hard-coded credentials, long-lived tokens and over-broad CI/CD
/// privileges in a repository.
#[derive(Debug, Parser)]
#[command(name = "tokenward", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Examples shown at the end of `tokenward --help` and `tokenward scan --help`.
pub const EXAMPLES: &str = "\
Examples:
  tokenward scan                          scan the current folder
  tokenward scan --concise --min-severity high
                                          one line per high or critical finding
  tokenward scan -f sarif -o tokenward.sarif --sarif-category secrets
                                          SARIF for GitHub code scanning
  tokenward scan --staged --pre-commit    what a commit hook runs
  tokenward scan --git origin/main..HEAD  what the commits of a branch add
  git show HEAD:.env | tokenward scan - --stdin-filename .env
                                          scan standard input
  tokenward rules explain excessive-permissions
  tokenward completions bash > /etc/bash_completion.d/tokenward";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders for secrets and pipeline privilege problems.
    #[command(after_help = EXAMPLES)]
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
    Inventory(InventoryArgs),
    /// Print a shell completion script (bash, zsh or fish) to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Merge the JSON, SARIF and inventory results of many repositories' runs into one
    /// set (SARIF split within GitHub's upload limits); `--digest` adds the fleet digest.
    Merge(MergeArgs),
}

/// Shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set; `FORCE_COLOR` or `CLICOLOR_FORCE` force it.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Severity names for `--min-severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    /// Info and above.
    Info,
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
}

impl SeverityArg {
    /// The matching severity.
    pub fn severity(self) -> crate::finding::Severity {
        use crate::finding::Severity;
        match self {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// Confidence names for `--min-confidence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfidenceArg {
    /// Every finding.
    Low,
    /// Medium and high confidence.
    Medium,
    /// High confidence only.
    High,
}

impl ConfidenceArg {
    /// The matching confidence.
    pub fn confidence(self) -> crate::finding::Confidence {
        use crate::finding::Confidence;
        match self {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Human-readable lines (default).
    #[default]
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
#[derive(Debug, Clone, Default, Args)]
pub struct ScanArgs {
    /// Files or folders to scan; `-` reads standard input.
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
    /// Scan the history of REV-RANGE (default: all history reachable from HEAD): every
    /// distinct file version once, each finding at the oldest commit that added its
    /// secret (a range reports only what its commits add), with the credential's
    /// lineage. Merges are diffed against their first parent only.
    #[arg(
        long,
        value_name = "REV-RANGE",
        num_args = 0..=1,
        default_missing_value = "HEAD"
    )]
    pub git: Option<String>,
    /// With `--git`: the history of every ref (branches, tags, remotes, stashes), not
    /// only what HEAD (or REV-RANGE) reaches.
    #[arg(long, requires = "git")]
    pub all: bool,
    /// Also audit workflows in `.github/workflows` folders below the root (vendored
    /// code, test data), which GitHub never runs.
    #[arg(long)]
    pub all_workflows: bool,
    /// Commit-hook mode: short redacted output, nothing when clean, exit 1 blocks.
    #[arg(long, conflicts_with = "no_redact")]
    pub pre_commit: bool,
    /// Paths in SARIF (and config globs) are relative to DIR [default: the git top level
    /// of the first PATH, else the scanned folder].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// One line per finding, without code and fix lines.
    #[arg(long)]
    pub concise: bool,
    /// Show only findings at or above this severity (the exit code still follows
    /// `--fail-on`).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<SeverityArg>,
    /// Show only findings at or above this confidence (the exit code still follows
    /// `--fail-on`).
    #[arg(long, value_enum, value_name = "CONFIDENCE")]
    pub min_confidence: Option<ConfidenceArg>,
    /// Print only findings: no summary, notes or warnings on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour text output [honours NO_COLOR, FORCE_COLOR and CLICOLOR_FORCE].
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// With `scan -`: the file name standard input stands for (picks rules and audits
    /// by name, e.g. `.github/workflows/ci.yml`).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// SARIF `runAutomationDetails.id` (the category GitHub code scanning files the
    /// results under).
    #[arg(long, value_name = "CATEGORY")]
    pub sarif_category: Option<String>,
    /// Print a summary instead of the findings: `frameworks` counts findings per
    /// control of the OWASP NHI Top 10, OWASP CI/CD Top 10 and NIST CSF 2.0.
    #[arg(long, value_enum, value_name = "KIND", conflicts_with = "pre_commit")]
    pub summary: Option<SummaryKind>,
}

/// Summaries `scan --summary` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryKind {
    /// Findings per framework control.
    Frameworks,
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

/// Output formats of `inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// A readable report with one summary table (default).
    Markdown,
    /// Versioned JSON (schema version 2).
    Json,
}

/// Options of `tokenward inventory`.
#[derive(Debug, Clone, Args)]
pub struct InventoryArgs {
    /// The repository (or folder) to inventory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = InventoryFormat::Markdown)]
    pub format: InventoryFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// List only what the working tree adds compared with BASE_REF (a git revision):
    /// new secrets, new write permissions, new long-lived credentials.
    #[arg(long, value_name = "BASE_REF")]
    pub diff: Option<String>,
    /// Also list the hard-coded credentials of the git history of REV-RANGE (default:
    /// all history reachable from HEAD) with their lineage: first committed, age, still
    /// at HEAD, rotated in place, commits carrying them.
    #[arg(
        long,
        value_name = "REV-RANGE",
        num_args = 0..=1,
        default_missing_value = "HEAD",
        conflicts_with = "diff"
    )]
    pub git: Option<String>,
    /// With `--diff`: exit 1 when the change adds one of these (comma-separated):
    /// `static-credential`, `write-scope`, `third-party-consumer`, `exception`, `any`
    /// (all four, the default) or `none`.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "KIND",
        requires = "diff"
    )]
    pub fail_on: Vec<Gate>,
    /// Settings shared with `scan`.
    #[command(flatten)]
    pub settings: InventorySettings,
}

/// What an `inventory --diff` gate fails on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Gate {
    /// A new long-lived credential: a stored secret, a static login, a hard-coded one.
    StaticCredential,
    /// A job gains a write scope.
    WriteScope,
    /// A third-party action or workflow receives a secret it did not.
    ThirdPartyConsumer,
    /// A new `[[allow]]` exception.
    Exception,
    /// All of the above.
    Any,
    /// Never fail.
    None,
}

/// The settings `inventory` shares with `scan`, so both see the same files and rules.
#[derive(Debug, Clone, Default, Args)]
pub struct InventorySettings {
    /// Read this config file instead of a discovered `tokenward.toml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any `tokenward.toml` in the scanned tree.
    #[arg(long)]
    pub no_config: bool,
    /// Also read files excluded by .gitignore and .ignore.
    #[arg(long)]
    pub no_ignore: bool,
    /// Also read workflows in `.github/workflows` folders below the root.
    #[arg(long)]
    pub all_workflows: bool,
    /// Days before an `[[allow]]` exception's `expires` date that it is reported as
    /// expiring [default: 14].
    #[arg(long, value_name = "DAYS")]
    pub expiry_warning_days: Option<u32>,
}

/// Options of `tokenward merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Result files or folders: scan JSON (`scan --format json`), SARIF, inventory JSON
    /// (`inventory --format json`). Folders are searched for `.json` and `.sarif` files;
    /// each file belongs to the repository named by its folder (relative to the folder
    /// given, e.g. `results/acme/api/scan.json` is `acme/api`).
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Folder for the merged outputs (created; must be empty if it exists).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Also write the fleet digest: `digest.md` and `digest.json`.
    #[arg(long)]
    pub digest: bool,
    /// Code scanning category of runs that name none (each run's category becomes
    /// `CATEGORY/REPOSITORY`).
    #[arg(long, default_value = "tokenward", value_name = "CATEGORY")]
    pub category: String,
    /// A secret name or action counts as shared when this many repositories use it.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub min_shared: usize,
    /// Repositories listed in `digest.md` (`digest.json` lists every one).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub top: usize,
    /// Most runs per SARIF file (GitHub accepts 20).
    #[arg(long, default_value_t = 20, value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=20))]
    pub max_runs_per_file: u64,
    /// Most results per SARIF run (GitHub accepts 25,000).
    #[arg(long, default_value_t = 25_000, value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=25_000))]
    pub max_results_per_run: u64,
    /// Most bytes per SARIF file, uncompressed (GitHub accepts 10 MB compressed).
    #[arg(long, default_value_t = 10_000_000, value_name = "BYTES",
        value_parser = clap::value_parser!(u64).range(10_000..=10_000_000))]
    pub max_sarif_bytes: u64,
}
