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
pub mod fleet_key;
pub mod frameworks;
pub mod git;
pub mod gitleaks;
pub mod history;
pub mod hook;
pub mod inventory;
pub mod lineage;
pub mod merge;
pub mod outcome;
pub mod paths;
pub mod pipeline;
pub mod report;
pub mod reuse;
pub mod rules;
pub mod rules_cmd;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod term;
pub mod walk;

use cli::{Cli, Command, FailOn, Format, ScanArgs};
use finding::{FindingKind, Severity, sort_findings};
use report::{Report, RuleMeta};
use scan::Engine;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;
use walk::WalkOptions;

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
        Command::Completions { shell } => completions(shell),
        Command::Merge(args) => merge::run(&args),
    }
}

/// Writes a completion script for `shell` to standard output.
fn completions(shell: cli::Shell) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    match shell {
        cli::Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "tokenward", &mut buf)
        }
        cli::Shell::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "tokenward", &mut buf)
        }
        cli::Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "tokenward", &mut buf)
        }
    }
    let mut out = io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Whether an error is a closed standard output (`tokenward rules | head`): not a
/// failure, so `main` ends quietly with exit 0.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
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
            confidence: r.spec.confidence,
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
        confidence: d.confidence,
        lifetime: None,
        family: "pipeline".to_string(),
        description: d.description.to_string(),
        remediation: d.remediation.to_string(),
        references: Vec::new(),
    }));
    metas.push(RuleMeta {
        id: reuse::DOC.id.to_string(),
        name: reuse::DOC.name.to_string(),
        kind: FindingKind::Secret,
        severity: reuse::DOC.severity,
        confidence: reuse::DOC.confidence,
        lifetime: None,
        family: reuse::FAMILY.to_string(),
        description: reuse::DOC.description.to_string(),
        remediation: reuse::DOC.remediation.to_string(),
        references: Vec::new(),
    });
    metas.extend(suppress::docs().into_iter().map(|d| RuleMeta {
        id: d.id.to_string(),
        name: d.name.to_string(),
        kind: FindingKind::Config,
        severity: d.severity,
        confidence: d.confidence,
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
    let stdin = cli_args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && cli_args.paths.len() > 1 {
        anyhow::bail!("`-` (standard input) cannot be combined with other paths");
    }
    if cli_args.stdin_filename.is_some() && !stdin {
        anyhow::bail!("--stdin-filename needs `-` as the path to scan");
    }
    for p in cli_args.paths.iter().filter(|p| p.as_os_str() != "-") {
        if let Err(e) = std::fs::metadata(p) {
            anyhow::bail!("{}: {}", escape::for_display(&p.display().to_string()), e);
        }
    }
    let roots = paths::Roots::discover(&cli_args.paths, cli_args.root.as_deref());
    let quiet = cli_args.quiet;
    let warn = |msg: &str| {
        if !quiet {
            eprintln!("tokenward: warning: {}", escape::for_display(msg));
        }
    };
    // Config file, custom and imported rules, baseline: merged with the flags.
    let mut setup = config::setup(cli_args, make_baseline, &roots).map_err(anyhow::Error::msg)?;
    for w in &setup.warnings {
        warn(w);
    }
    let stdin_name = cli_args
        .stdin_filename
        .as_deref()
        .map(|n| n.trim_start_matches("./").to_string())
        .unwrap_or_else(|| "<stdin>".to_string());
    setup.engine.named = if stdin {
        [stdin_name.clone()].into_iter().collect()
    } else {
        cli_args
            .paths
            .iter()
            .filter(|p| p.is_file())
            .map(|p| roots.rel(p))
            .collect()
    };
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
    let mut partial: Option<String> = None;
    let progress = term::PROGRESS.start(quiet || args.pre_commit);
    let scanned = if args.staged || args.git.is_some() {
        let dir = git::repo_dir(&args.paths)?;
        if paths::git_toplevel(&paths::absolute(&roots.cwd, dir)).is_none() {
            anyhow::bail!(
                "{}: not inside a git repository (--staged and --git read one)",
                escape::for_display(&dir.display().to_string())
            );
        }
        if args.staged {
            git::scan_staged(dir, &opts, &engine)
        } else {
            let range = git_range(args.git.as_deref(), args.all);
            history::scan_history(dir, &range, &opts, &engine).map(|(mut result, history, h)| {
                lineage::annotate_result(dir, &h, &mut result);
                if !quiet {
                    eprintln!(
                        "tokenward: git history: {}",
                        term::plural(history.commits, "commit", "commits")
                    );
                }
                if !history.unreadable.is_empty() {
                    partial = Some(history.partial_message());
                }
                result
            })
        }
    } else if stdin {
        walk::scan_stdin(&mut io::stdin().lock(), &stdin_name, &opts, &engine)
            .map_err(|e| anyhow::anyhow!("standard input: {e}"))
    } else {
        Ok(walk::walk_and_scan_as(
            &args.paths,
            &opts,
            &engine,
            &walk::PathDisplay::anchored(roots.clone()),
        ))
    };
    term::PROGRESS.finish(progress);
    let mut result = scanned?;
    // Secret fingerprints are slow by design and derived on first use; when the report
    // or the baseline needs them, derive them on every thread at once.
    if make_baseline
        || setup.baseline.is_some()
        || setup.allows.iter().any(|a| a.fingerprint.is_some())
        || matches!(args.format, Format::Json | Format::Sarif)
    {
        finding::resolve_fingerprints(&result.findings, threads);
        finding::resolve_fingerprints(&result.suppressed_inline, threads);
    }
    sort_findings(&mut result.findings);
    result.errors.sort();
    for e in &result.errors {
        warn(e);
    }
    // Suppression after the scan: config allows (and their expiry), then the baseline.
    let mut post = suppress::post_scan(
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
    // A baseline records the findings both before and after grouping: scanning with it
    // then hides the members, so no group forms again.
    let ungrouped = make_baseline.then(|| result.findings.clone());
    if args.git.is_none() {
        reuse::group(&mut result.findings);
    }
    if let Some((name, b)) = &setup.baseline {
        // A baseline made before it recorded the members holds only the group.
        suppress::baseline_groups(&mut result.findings, name, b, &mut post);
    }
    sort_findings(&mut result.findings);
    // Triage order: most severe first, then by place.
    result
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    if !stdin && !args.staged && args.git.is_none() {
        inventory::codeowners::assign_owners(&roots.root, &mut result.findings);
    }
    if make_baseline {
        let mut recorded = ungrouped.unwrap_or_default();
        recorded.extend(
            result
                .findings
                .iter()
                .filter(|f| f.rule_id == reuse::SECRET_REUSE)
                .cloned(),
        );
        let text = baseline::render(&recorded);
        match args.output.as_deref() {
            Some(p) => {
                std::fs::write(p, &text).map_err(|e| anyhow::anyhow!("{}: {}", p.display(), e))?
            }
            None => {
                let mut out = io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
        if !quiet {
            eprintln!(
                "tokenward: baseline records {}",
                term::plural(result.findings.len() as u64, "finding", "findings")
            );
        }
        return Ok(ExitCode::from(EXIT_CLEAN));
    }
    let mut reductions = coverage::finish(&setup.reductions, &result.stats, &post.counts);
    if !args.staged && args.git.is_none() && !args.no_ignore {
        reductions.extend(coverage::from_ignore_files(&args.paths, &result.stats));
    }
    reductions.extend(coverage::internal_errors(&result.stats));
    if !args.pre_commit {
        for r in &reductions {
            eprintln!("tokenward: warning: {}", escape::for_display(&r.line()));
        }
    }
    let mut notices = setup.notices.clone();
    notices.extend(post.notices);
    if result.stats.unaudited_workflows > 0 {
        notices.push(format!(
            "{} workflow file{} in `.github/workflows` folders below the root not audited (GitHub never runs them); --all-workflows audits them",
            result.stats.unaudited_workflows,
            if result.stats.unaudited_workflows == 1 { "" } else { "s" }
        ));
    }
    if matches!(args.format, Format::Text | Format::Json) && !args.pre_commit && !quiet {
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
    frameworks::annotate(&mut result.findings, &metas);
    let mut post_suppressed = post.suppressed;
    for s in &mut post_suppressed {
        frameworks::annotate(std::slice::from_mut(&mut s.finding), &metas);
    }
    let suppressed: &[report::Suppressed] = if args.include_suppressed {
        &post_suppressed
    } else {
        &[]
    };
    // The exit code follows every finding; --min-severity/--min-confidence only hide.
    let failing = fail_threshold(args.fail_on())
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    let min_sev = args.min_severity.map(|s| s.severity());
    let min_conf = args.min_confidence.map(|c| c.confidence());
    let total = result.findings.len();
    result.findings.retain(|f| {
        min_sev.is_none_or(|s| f.severity >= s) && min_conf.is_none_or(|c| f.confidence >= c)
    });
    let view = report::View {
        roots: Some(roots.clone()),
        concise: args.concise,
        hidden: total - result.findings.len(),
        sarif_category: args.sarif_category.clone().filter(|c| !c.is_empty()),
        provenance: if roots.is_git && args.format == Format::Sarif {
            git::provenance(&roots.root)
        } else {
            None
        },
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
        view,
    };
    if args.summary == Some(cli::SummaryKind::Frameworks) {
        let mut buf = Vec::new();
        report::frameworks::write(&report, args.format == Format::Json, &mut buf)?;
        let mut out = io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()?;
        if !quiet {
            eprintln!("tokenward: {}", report.summary_line());
        }
    } else if args.pre_commit {
        let mut buf = Vec::new();
        hook::write_short(&report, failing, &mut buf)?;
        let mut out = io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()?;
    } else {
        let color =
            args.output.is_none() && term::color_from_env(args.color, io::stdout().is_terminal());
        write_report(&report, args.format, args.output.as_deref(), color)?;
        if !quiet {
            eprintln!("tokenward: {}", report.summary_line());
        }
    }
    if let Some(msg) = partial {
        eprintln!("tokenward: error: {}", escape::for_display(&msg));
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    Ok(ExitCode::from(if failing {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }))
}

/// The revisions a history scan reads: the `--git` range (default `HEAD`), or every
/// ref with `--all` (plus the range's own revisions when one was given).
fn git_range(range: Option<&str>, all: bool) -> String {
    match (range.unwrap_or("HEAD"), all) {
        (r, false) => r.to_string(),
        ("HEAD", true) => "--all".to_string(),
        (r, true) => format!("{r} --all"),
    }
}

/// Writes a report in `format` to `output` (a file) or standard output.
pub fn write_report(
    report: &Report,
    format: Format,
    output: Option<&std::path::Path>,
    color: bool,
) -> anyhow::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
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
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(())
}
