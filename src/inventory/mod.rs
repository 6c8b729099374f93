//! `tokenward inventory`: the repository's machine-identity inventory. Every secret its
//! workflows reference (with the jobs, triggers, permissions, environment and purpose of
//! each use), every cloud and registry login and how long its credential lives, every
//! job's `GITHUB_TOKEN` grant with a least-privilege suggestion, and every hard-coded
//! credential the secret scan finds, each with an owner from CODEOWNERS.
//!
//! Collection reuses the audits' workflow model and the scanner; rendering is
//! [`markdown`] (default) or [`json`]; [`diff`] compares with a git revision.

pub mod codeowners;
pub mod diff;
pub mod json;
pub mod markdown;
pub mod model;
pub mod workflows;

use crate::finding::FindingKind;
use crate::scan::{Engine, EngineOptions};
use crate::walk::{WalkOptions, walk_and_scan};
use clap::{Args, ValueEnum};
use codeowners::CodeOwners;
use model::{HardcodedCredential, Inventory, Summary, UNOWNED, VERSION};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// A readable report with one summary table (default).
    Markdown,
    /// Versioned JSON (schema version 1).
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
}

/// Runs `tokenward inventory`.
pub fn run(args: &InventoryArgs) -> anyhow::Result<ExitCode> {
    let meta = std::fs::metadata(&args.path)
        .map_err(|e| anyhow::anyhow!("{}: {}", args.path.display(), e))?;
    if !meta.is_dir() {
        anyhow::bail!(
            "{}: not a directory; `inventory` takes a repository folder",
            args.path.display()
        );
    }
    let current = build(&args.path)?;
    for e in &current.errors {
        eprintln!("tokenward: warning: {}", crate::escape::for_display(e));
    }
    let mut buf = Vec::new();
    if let Some(base) = &args.diff {
        let old = diff::inventory_at(&args.path, base)?;
        let d = diff::compare(base, &old, &current);
        match args.format {
            InventoryFormat::Markdown => markdown::write_diff(&d, &mut buf)?,
            InventoryFormat::Json => json::write(&d, &mut buf)?,
        }
    } else {
        match args.format {
            InventoryFormat::Markdown => markdown::write(&current, &mut buf)?,
            InventoryFormat::Json => json::write(&current, &mut buf)?,
        }
    }
    match &args.output {
        Some(p) => {
            std::fs::write(p, &buf).map_err(|e| anyhow::anyhow!("{}: {}", p.display(), e))?
        }
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(&buf).and_then(|()| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(ExitCode::from(crate::EXIT_CLEAN))
}

/// Builds the inventory of the repository at `root`.
pub fn build(root: &Path) -> anyhow::Result<Inventory> {
    let co = CodeOwners::discover(root);
    let collected = workflows::collect(root, &co);
    let hardcoded = hardcoded(root, &co)?;
    let mut inv = Inventory {
        version: VERSION,
        codeowners: co.path.clone(),
        summary: Summary::default(),
        secrets: collected.secrets,
        authentications: collected.authentications,
        permissions: collected.permissions,
        hardcoded_credentials: hardcoded,
        errors: collected.errors,
    };
    inv.summary = summarize(&inv);
    Ok(inv)
}

/// Runs the built-in secret rules (and the literal-credential audit) over `root`.
fn hardcoded(root: &Path, co: &CodeOwners) -> anyhow::Result<Vec<HardcodedCredential>> {
    let rules = crate::rules::builtin_rules().map_err(anyhow::Error::msg)?;
    let mut select: std::collections::HashSet<String> =
        rules.iter().map(|r| r.id().to_string()).collect();
    select.insert("hardcoded-credential".to_string());
    let engine = Engine::new(
        rules,
        EngineOptions {
            select: Some(select),
            ..EngineOptions::default()
        },
    )
    .map_err(anyhow::Error::msg)?;
    let opts = WalkOptions {
        no_ignore: false,
        max_file_size: crate::cli::DEFAULT_MAX_FILE_SIZE,
        threads: 0,
    };
    let mut result = walk_and_scan(&[root.to_path_buf()], &opts, &engine);
    crate::finding::sort_findings(&mut result.findings);
    Ok(result
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Secret || f.rule_id == "hardcoded-credential")
        .map(|f| HardcodedCredential {
            rule: f.rule_id.clone(),
            lifetime: f.lifetime.map_or("unknown", |l| l.as_str()).to_string(),
            path: f.path.clone(),
            line: f.span.start_line,
            column: f.span.start_column,
            snippet: f.snippet.clone(),
            fingerprint: f.fingerprint.clone(),
            owner: co.owner_or_unowned(&f.path),
        })
        .collect())
}

/// Counts for the summary table.
fn summarize(inv: &Inventory) -> Summary {
    let mut s = Summary::default();
    // (lifetime, owner) of every credential.
    let mut creds: Vec<(&str, &str)> = Vec::new();
    for sec in &inv.secrets {
        if sec.kind == "credential" {
            creds.push((sec.lifetime.as_deref().unwrap_or("unknown"), &sec.owner));
        }
    }
    for a in &inv.authentications {
        if a.method != "static-key" {
            creds.push((&a.lifetime, &a.owner));
        }
    }
    for h in &inv.hardcoded_credentials {
        creds.push((&h.lifetime, &h.owner));
    }
    s.credentials = creds.len();
    for (lifetime, owner) in creds {
        match lifetime {
            "long-lived" => s.long_lived += 1,
            "short-lived" => s.short_lived += 1,
            _ => s.unknown_lifetime += 1,
        }
        if owner == UNOWNED {
            s.unowned += 1;
        } else {
            s.owned += 1;
        }
    }
    s.secrets = inv.secrets.len();
    s.secrets_reachable_from_untrusted = inv
        .secrets
        .iter()
        .filter(|x| x.reachable_from_untrusted)
        .map(|x| x.name.clone())
        .collect();
    s.authentications = inv.authentications.len();
    s.oidc_authentications = inv
        .authentications
        .iter()
        .filter(|a| a.method == "oidc")
        .count();
    s.static_authentications = inv
        .authentications
        .iter()
        .filter(|a| a.method == "static-key")
        .count();
    s.jobs = inv.permissions.len();
    s.jobs_with_write_permissions = inv
        .permissions
        .iter()
        .filter(|p| !p.writes.is_empty())
        .count();
    s.jobs_with_default_permissions = inv
        .permissions
        .iter()
        .filter(|p| p.permissions.source == "default")
        .count();
    s.hardcoded_credentials = inv.hardcoded_credentials.len();
    s
}
