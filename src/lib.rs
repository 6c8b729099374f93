//! tokenward: finds hard-coded credentials, long-lived tokens and over-broad CI/CD
//! pipeline privileges in a repository, and reports them as text, JSON, SARIF or
//! GitHub annotations.

pub mod audit;
pub mod baseline;
pub mod bounded;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod detect;
pub mod escape;
pub mod finding;
pub mod git;
pub mod gitleaks;
pub mod hook;
pub mod inventory;
pub mod report;
pub mod rules;
pub mod rules_cmd;
pub mod scan;
pub mod suppress;
pub mod walk;

use cli::{Cli, Command, FailOn, Format, ScanArgs};
use finding::{FindingKind, Severity, sort_findings};
use report::{Report, RuleMeta};
use scan::Engine;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;
use walk::{WalkOptions, walk_and_scan};

/// Exit code: no finding at or above the failing level.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: findings at or above the failing level.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or runtime error.
pub const EXIT_ERROR: u8 = 2;

/// Runs the parsed command line; errors become exit code 2 in `main`.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan_command(&args, false),
        Command::Baseline(args) => scan_command(&args, true),
        Command::Rules(args) => rules_cmd::run(&args),
        Command::InstallHook(args) => hook::install(&args),
        Command::Inventory(args) => inventory::run(&args),
    }
}

/// Metadata of every built-in secret rule and audit, for reporters.
pub fn rule_metas(rules: &[rules::Rule]) -> Vec<RuleMeta> {
    let mut metas: Vec<RuleMeta> = rules
        .iter()
        .map(|r| RuleMeta {
            id: r.spec.id.clone(),
            name: r.spec.name.clone(),
            kind: FindingKind::Secret,
            severity: r.spec.severity,
            lifetime: Some(r.spec.lifetime),
            family: r.spec.family.clone(),
            description: r.spec.description.clone(),
            remediation: r.spec.remediation.clone(),
            references: r.spec.references.clone(),
        })
        .collect();
    metas.extend(audit::docs().into_iter().map(|d| RuleMeta {
        id: d.id.to_string(),
        name: d.name.to_string(),
        kind: FindingKind::Pipeline,
        severity: d.severity,
        lifetime: None,
        family: "pipeline".to_string(),
        description: d.description.to_string(),
        remediation: d.remediation.to_string(),
        references: Vec::new(),
    }));
    metas.extend(suppress::docs().into_iter().map(|d| RuleMeta {
        id: d.id.to_string(),
        name: d.name.to_string(),
        kind: FindingKind::Config,
        severity: d.severity,
        lifetime: None,
        family: "config".to_string(),
        description: d.description.to_string(),
        remediation: d.remediation.to_string(),
        references: Vec::new(),
    }));
    metas
}

fn fail_threshold(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    }
}

/// Runs a scan; with `make_baseline`, prints the baseline of its findings instead of
/// a report.
fn scan_command(cli_args: &ScanArgs, make_baseline: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    for p in &cli_args.paths {
        if let Err(e) = std::fs::metadata(p) {
            anyhow::bail!("{}: {}", p.display(), e);
        }
    }
    // Config file, custom and imported rules, baseline: merged with the flags.
    let mut setup = config::setup(cli_args, make_baseline).map_err(anyhow::Error::msg)?;
    for w in &setup.warnings {
        eprintln!("tokenward: warning: {}", escape::for_display(w));
    }
    let engine = Engine::new(
        std::mem::take(&mut setup.rules),
        std::mem::take(&mut setup.engine),
    )
    .map_err(anyhow::Error::msg)?;
    let args = &setup.args;
    let (threads, cut) = walk::clamp_threads(args.threads);
    setup.notices.extend(cut);
    let opts = WalkOptions {
        no_ignore: args.no_ignore,
        max_file_size: args.max_file_size(),
        threads,
    };
    let mut result = if args.staged {
        git::scan_staged(git::repo_dir(&args.paths)?, &opts, &engine)?
    } else if let Some(range) = &args.git {
        let (result, history) =
            git::scan_history(git::repo_dir(&args.paths)?, range, &opts, &engine)?;
        eprintln!("tokenward: git history: {} commits", history.commits);
        result
    } else {
        walk_and_scan(&args.paths, &opts, &engine)
    };
    sort_findings(&mut result.findings);
    result.errors.sort();
    for e in &result.errors {
        eprintln!("tokenward: warning: {}", escape::for_display(e));
    }
    // Suppression after the scan: config allows (and their expiry), then the baseline.
    let post = suppress::post_scan(
        &mut result,
        &suppress::PostScan {
            allows: &setup.allows,
            baseline: setup.baseline.as_ref().map(|(name, b)| (name.as_str(), b)),
            severity: &setup.severity,
            config_path: setup.config_display.as_deref(),
            today: suppress::Date::today(),
            config_examples: &setup.config_examples,
        },
    )
    .map_err(anyhow::Error::msg)?;
    sort_findings(&mut result.findings);
    if let [root] = args.paths.as_slice() {
        inventory::codeowners::assign_owners(root, &mut result.findings);
    }
    if make_baseline {
        let text = baseline::render(&result.findings);
        match args.output.as_deref() {
            Some(p) => {
                std::fs::write(p, &text).map_err(|e| anyhow::anyhow!("{}: {}", p.display(), e))?
            }
            None => io::stdout().lock().write_all(text.as_bytes())?,
        }
        eprintln!(
            "tokenward: baseline records {} findings",
            result.findings.len()
        );
        return Ok(ExitCode::from(EXIT_CLEAN));
    }
    let mut reductions = coverage::finish(&setup.reductions, &result.stats, &post.counts);
    if !args.staged && args.git.is_none() && !args.no_ignore {
        reductions.extend(coverage::from_ignore_files(&args.paths, &result.stats));
    }
    if !args.pre_commit {
        for r in &reductions {
            eprintln!("tokenward: warning: {}", escape::for_display(&r.line()));
        }
    }
    let mut notices = setup.notices.clone();
    notices.extend(post.notices);
    if matches!(args.format, Format::Text | Format::Json) && !args.pre_commit {
        for n in &notices {
            eprintln!("tokenward: note: {}", escape::for_display(n));
        }
    }
    let mut metas = rule_metas(&engine.rules);
    for m in &mut metas {
        if let Some(s) = setup.severity.get(&m.id) {
            m.severity = *s;
        }
    }
    let suppressed: &[report::Suppressed] = if args.include_suppressed {
        &post.suppressed
    } else {
        &[]
    };
    let report = Report {
        findings: &result.findings,
        rules: &metas,
        stats: &result.stats,
        suppressed_counts: post.counts,
        suppressed,
        notices: &notices,
        reductions: &reductions,
        elapsed_secs: started.elapsed().as_secs_f64(),
    };
    let failing = fail_threshold(args.fail_on())
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    if args.pre_commit {
        let mut buf = Vec::new();
        hook::write_short(&report, failing, &mut buf)?;
        io::stdout().lock().write_all(&buf)?;
    } else {
        write_report(&report, args.format, args.output.as_deref())?;
        eprintln!("tokenward: {}", report.summary_line());
    }
    Ok(ExitCode::from(if failing {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }))
}

/// Writes a report in `format` to `output` (a file) or standard output.
pub fn write_report(
    report: &Report,
    format: Format,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    let color =
        output.is_none() && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match format {
        Format::Text => report::text::write(report, &mut buf, color)?,
        Format::Json => report::json::write(report, &mut buf)?,
        Format::Sarif => report::sarif::write(report, &mut buf)?,
        Format::Github => report::github::write(report, &mut buf)?,
    }
    match output {
        Some(path) => {
            std::fs::write(path, &buf).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e))?
        }
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(&buf).and_then(|_| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(())
}
