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
pub mod exceptions;
pub mod history;
pub mod json;
pub mod markdown;
pub mod model;
pub mod register;
pub mod workflows;

use crate::cli::{Gate, InventoryArgs, InventoryFormat, InventorySettings as Settings, ScanArgs};
use crate::finding::FindingKind;
use crate::scan::Engine;
use crate::walk::{WalkOptions, walk_and_scan};
use codeowners::CodeOwners;
use model::{HardcodedCredential, Inventory, Summary, UNOWNED, VERSION};
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// The gate kinds `diff` trips among `selected` (empty selection: `any`).
pub fn tripped(d: &model::InventoryDiff, selected: &[Gate]) -> Vec<String> {
    let all = selected.is_empty() || selected.contains(&Gate::Any);
    let on = |g: Gate| !selected.contains(&Gate::None) && (all || selected.contains(&g));
    let mut out = Vec::new();
    let checks = [
        (
            Gate::StaticCredential,
            "static-credential",
            !d.new_long_lived_credentials.is_empty(),
        ),
        (
            Gate::WriteScope,
            "write-scope",
            !d.new_write_permissions.is_empty(),
        ),
        (
            Gate::ThirdPartyConsumer,
            "third-party-consumer",
            !d.new_third_party_consumers.is_empty(),
        ),
        (Gate::Exception, "exception", !d.new_exceptions.is_empty()),
    ];
    for (g, name, added) in checks {
        if added && on(g) {
            out.push(name.to_string());
        }
    }
    out
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
    let mut current = build(&args.path, &args.settings)?;
    if let Some(range) = &args.git {
        current.history_credentials = history::credentials(&args.path, &args.settings, range)?;
    }
    for e in &current.errors {
        eprintln!("tokenward: warning: {}", crate::escape::for_display(e));
    }
    for n in exceptions::notices(&current.exceptions) {
        eprintln!("tokenward: note: {}", crate::walk::one_line(&n));
    }
    let mut buf = Vec::new();
    let mut code = crate::EXIT_CLEAN;
    if let Some(base) = &args.diff {
        let old = diff::inventory_at(&args.path, base, &args.settings)?;
        let mut d = diff::compare(base, &old, &current);
        d.failing = tripped(&d, &args.fail_on);
        if !d.failing.is_empty() {
            code = crate::EXIT_FINDINGS;
        }
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
    Ok(ExitCode::from(code))
}

/// Builds the inventory of the repository at `root` with the settings `scan` would
/// use there (config discovery or `--config`, excludes, disabled rules, allow entries,
/// ignore files): one walk that runs the secret rules and collects the pipeline facts
/// of every CI file the audits read.
pub fn build(root: &Path, settings: &Settings) -> anyhow::Result<Inventory> {
    let scan_args = ScanArgs {
        paths: vec![root.to_path_buf()],
        config: settings.config.clone(),
        no_config: settings.no_config,
        no_ignore: settings.no_ignore,
        all_workflows: settings.all_workflows,
        ..ScanArgs::default()
    };
    // Inventory paths are relative to the folder inventoried (its CODEOWNERS applies).
    let roots = crate::paths::Roots::discover(&scan_args.paths, Some(root));
    let mut setup = crate::config::setup(&scan_args, false, &roots).map_err(anyhow::Error::msg)?;
    for w in &setup.warnings {
        eprintln!("tokenward: warning: {w}");
    }
    let mut options = std::mem::take(&mut setup.engine);
    options.collect_pipelines = true;
    let engine =
        Engine::new(std::mem::take(&mut setup.rules), options).map_err(anyhow::Error::msg)?;
    let args = &setup.args;
    let opts = WalkOptions {
        no_ignore: args.no_ignore,
        max_file_size: args.max_file_size(),
        threads: args.threads,
    };
    let mut result = walk_and_scan(&args.paths, &opts, &engine);
    // Every hard-coded credential row carries its fingerprint.
    crate::finding::resolve_fingerprints(&result.findings, opts.threads);
    apply_config(&mut result, &setup)?;
    crate::finding::sort_findings(&mut result.findings);
    let co = CodeOwners::discover(root);
    let collected = workflows::collect(std::mem::take(&mut result.pipelines), &co);
    let mut hardcoded: Vec<HardcodedCredential> = result
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
            fingerprint: f.fingerprint.get().to_string(),
            owner: co.owner_or_unowned(&f.path),
            same_value_at: Vec::new(),
        })
        .collect();
    mark_same_values(&result.findings, &mut hardcoded);
    let mut errors = result.errors;
    errors.sort();
    let warn_days = settings
        .expiry_warning_days
        .unwrap_or(exceptions::DEFAULT_WARNING_DAYS);
    let exceptions = exceptions::register(&setup.allows, crate::suppress::Date::today(), warn_days);
    let mut inv = Inventory {
        version: VERSION,
        codeowners: co.path.clone(),
        summary: Summary::default(),
        secrets: collected.secrets,
        authentications: collected.authentications,
        permissions: collected.permissions,
        hardcoded_credentials: hardcoded,
        exceptions,
        register: Vec::new(),
        errors,
        actions: collected.actions,
        history_credentials: Vec::new(),
    };
    inv.summary = summarize(&inv);
    inv.register = register::rank(&inv);
    Ok(inv)
}

/// Fills each hard-coded credential's `same_value_at` with the other places of its
/// value (compared by keyed hash, see [`crate::reuse`]).
fn mark_same_values(findings: &[crate::finding::Finding], rows: &mut [HardcodedCredential]) {
    for group in crate::reuse::same_value_groups(findings) {
        let places: Vec<(String, String)> = group
            .iter()
            .map(|&i| {
                let f = &findings[i];
                (
                    f.fingerprint.get().to_string(),
                    format!("{}:{}", f.path, f.span.start_line),
                )
            })
            .collect();
        for row in rows.iter_mut() {
            if places.iter().any(|(fp, _)| *fp == row.fingerprint) {
                let here = format!("{}:{}", row.path, row.line);
                row.same_value_at = places
                    .iter()
                    .map(|(_, p)| p.clone())
                    .filter(|p| *p != here)
                    .collect();
            }
        }
    }
}

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
    s.exceptions = inv.exceptions.len();
    s.exceptions_without_owner = inv.exceptions.iter().filter(|e| e.owner.is_none()).count();
    s.exceptions_expiring = inv
        .exceptions
        .iter()
        .filter(|e| e.status == "expiring")
        .count();
    s.exceptions_expired = inv
        .exceptions
        .iter()
        .filter(|e| e.status == "expired")
        .count();
    s
}

/// Applies the config's allows and severity overrides to an inventory's scan (no
/// baseline: the inventory lists what is there).
pub(super) fn apply_config(
    result: &mut crate::outcome::ScanResult,
    setup: &crate::config::Setup,
) -> anyhow::Result<()> {
    crate::suppress::post_scan(
        result,
        &crate::suppress::PostScan {
            allows: &setup.allows,
            baseline: None,
            severity: &setup.severity,
            config_path: setup.config_display.as_deref(),
            today: crate::suppress::Date::today(),
            config_examples: &setup.config_examples,
        },
    )
    .map(drop)
    .map_err(anyhow::Error::msg)
}
