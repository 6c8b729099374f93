//! `tokenward merge`: joins the results of many runs (one per repository, from a CI
//! matrix, Kubernetes Jobs or `scripts/fleet-scan.sh`) into one set of outputs, and
//! with `--digest` writes the organisation's digest.
//!
//! Inputs are scan JSON, SARIF and inventory JSON files, recognised by content
//! ([`input`]); the repository of each is named by its folder. Outputs, in one folder:
//! `findings.json` (every scan JSON finding with its `repository`), `tokenward.sarif`
//! or `tokenward-N.sarif` (one run per repository and category, split within GitHub's
//! upload limits: [`sarif`]), `inventory.json` (every inventory by repository), and
//! `digest.md` / `digest.json` ([`digest`], [`markdown`]). A finding that several
//! inputs carry (the JSON and SARIF of one scan) counts once ([`finding_key`]).

pub mod digest;
pub mod finding_key;
pub mod input;
pub mod markdown;
pub mod sarif;

use crate::cli::MergeArgs;
use crate::inventory::model::Inventory;
use input::InputKind;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::ExitCode;

/// What was merged, for the stderr summary and `merge.json`.
#[derive(Debug, Default, Serialize)]
struct MergeSummary {
    version: u32,
    inputs: BTreeMap<&'static str, usize>,
    repositories: usize,
    findings: usize,
    /// Findings that more than one input carried (e.g. a scan's JSON and SARIF), counted
    /// once.
    findings_in_several_inputs: usize,
    sarif_files: Vec<String>,
    sarif_runs: usize,
    sarif_results: usize,
    sarif_split: Option<String>,
    outputs: Vec<String>,
}

/// Runs `tokenward merge`.
pub fn run(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let located = input::locate(&args.inputs)?;
    prepare_output_dir(&args.output_dir)?;
    let mut fleet = digest::Fleet::default();
    let mut sarif = sarif::SarifMerge::default();
    let mut findings: Vec<Value> = Vec::new();
    let mut seen_json: HashSet<(String, String)> = HashSet::new();
    let mut scans: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut json_duplicates = 0;
    for loc in &located {
        let inp = input::read(loc)?;
        let name = input::shown(&inp.path);
        match inp.kind {
            InputKind::ScanJson => {
                *counts.entry("scan_json").or_default() += 1;
                fleet.touch(&inp.repo);
                let list = inp.doc.get("findings").and_then(Value::as_array);
                for (i, f) in list.into_iter().flatten().enumerate() {
                    let Some(f) = f.as_object() else {
                        anyhow::bail!("{name}: findings[{i}] is not an object");
                    };
                    fleet.add_json(&inp.repo, f);
                    if !seen_json.insert((inp.repo.clone(), finding_key::of_json(f))) {
                        json_duplicates += 1;
                        continue;
                    }
                    let mut out = Map::with_capacity(f.len() + 1);
                    out.insert("repository".into(), Value::String(inp.repo.clone()));
                    out.extend(f.iter().map(|(k, v)| (k.clone(), v.clone())));
                    findings.push(Value::Object(out));
                }
                if let Some(s) = inp.doc.get("summary") {
                    scans.entry(inp.repo.clone()).or_default().push(s.clone());
                }
            }
            InputKind::Sarif => {
                *counts.entry("sarif").or_default() += 1;
                sarif
                    .add(&inp.repo, &inp.doc, &args.category)
                    .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
                fleet.add_sarif(&inp.repo, &inp.doc);
            }
            InputKind::Inventory => {
                *counts.entry("inventory").or_default() += 1;
                let inv: Inventory = serde_json::from_value(inp.doc)
                    .map_err(|e| anyhow::anyhow!("{name}: not a tokenward inventory: {e}"))?;
                fleet.add_inventory(&inp.repo, inv);
            }
        }
    }
    let dir = &args.output_dir;
    let mut summary = MergeSummary {
        version: 1,
        inputs: counts.clone(),
        ..MergeSummary::default()
    };
    if counts.contains_key("scan_json") {
        write_findings(dir, &findings, &scans)?;
        summary.outputs.push("findings.json".into());
    }
    if counts.contains_key("sarif") {
        let limits = sarif::Limits {
            runs_per_file: args.max_runs_per_file as usize,
            results_per_run: args.max_results_per_run as usize,
            bytes_per_file: args.max_sarif_bytes as usize,
        };
        let read = sarif.results_read;
        let dropped = sarif.duplicates;
        let out = sarif.finish(limits);
        let n = out.files.len();
        for (i, bytes) in out.files.iter().enumerate() {
            let file = if n == 1 {
                "tokenward.sarif".to_string()
            } else {
                format!("tokenward-{}.sarif", i + 1)
            };
            write(&dir.join(&file), bytes)?;
            summary.sarif_files.push(file.clone());
            summary.outputs.push(file);
        }
        summary.sarif_runs = out.runs;
        summary.sarif_results = out.results;
        if n > 1 || !out.split_runs.is_empty() {
            let mut why = format!(
                "SARIF split into {n} files of at most {} runs, {} results per run and {} bytes (GitHub code scanning's upload limits: 20 runs per file, 25,000 results per run, 10 MB per file); upload each file on its own",
                limits.runs_per_file, limits.results_per_run, limits.bytes_per_file
            );
            if !out.split_runs.is_empty() {
                why.push_str(&format!(
                    "; repositories over the per-run limit were split into runs with categories ending `/part-N`: {}",
                    out.split_runs.join(", ")
                ));
            }
            summary.sarif_split = Some(why);
        }
        eprintln!(
            "tokenward: SARIF: {read} results read, {dropped} duplicates dropped, {} results in {} runs in {n} file(s)",
            out.results, out.runs
        );
    }
    let inventories: Vec<(&str, &Inventory)> = fleet.inventories().collect();
    if !inventories.is_empty() {
        #[derive(Serialize)]
        struct Entry<'a> {
            repository: &'a str,
            inventory: &'a Inventory,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            version: u32,
            repositories: Vec<Entry<'a>>,
        }
        let doc = Doc {
            version: 1,
            repositories: inventories
                .iter()
                .map(|(r, i)| Entry {
                    repository: r,
                    inventory: i,
                })
                .collect(),
        };
        write_json(&dir.join("inventory.json"), &doc)?;
        summary.outputs.push("inventory.json".into());
    }
    let d = fleet.digest(args.min_shared);
    summary.repositories = d.totals.repositories;
    summary.findings = d.totals.findings;
    summary.findings_in_several_inputs = fleet.duplicates;
    if args.digest {
        write_json(&dir.join("digest.json"), &d)?;
        write(
            &dir.join("digest.md"),
            markdown::render(&d, args.top).as_bytes(),
        )?;
        summary.outputs.push("digest.json".into());
        summary.outputs.push("digest.md".into());
    }
    summary.outputs.push("merge.json".into());
    write_json(&dir.join("merge.json"), &summary)?;
    if let Some(why) = &summary.sarif_split {
        eprintln!("tokenward: {why}");
    }
    eprintln!(
        "tokenward: merged {} files from {} repositories: {} findings ({} carried by several inputs, counted once; {} repeated scan JSON findings left out of findings.json); reused values {}; wrote {} to {}",
        located.len(),
        summary.repositories,
        summary.findings,
        summary.findings_in_several_inputs,
        json_duplicates,
        if d.totals.value_hashes == 0 {
            "not compared (no finding carried a value_hash: no secrets, or scanned without TOKENWARD_FLEET_KEY)"
                .to_string()
        } else {
            d.reused_values.len().to_string()
        },
        summary.outputs.join(", "),
        input::shown(dir),
    );
    Ok(ExitCode::from(crate::EXIT_CLEAN))
}

fn prepare_output_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut rd) => {
            if rd.next().is_some() {
                anyhow::bail!(
                    "{}: not empty; give `merge` a new or empty folder so no stale SARIF file is left beside the new ones",
                    input::shown(dir)
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", input::shown(dir)))
        }
        Err(e) => Err(anyhow::anyhow!("{}: {e}", input::shown(dir))),
    }
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", input::shown(path)))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut buf = serde_json::to_vec_pretty(value)?;
    buf.push(b'\n');
    write(path, &buf)
}

/// `findings.json`: `{"version": 1, "tool", "repositories": [{"name", "scans": [summary
/// of each scan]}], "findings": [finding + "repository"], "summary"}`.
fn write_findings(
    dir: &Path,
    findings: &[Value],
    scans: &BTreeMap<String, Vec<Value>>,
) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Repo<'a> {
        name: &'a str,
        scans: &'a [Value],
    }
    #[derive(Serialize)]
    struct Summary {
        repositories: usize,
        findings: usize,
        long_lived_credentials: usize,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        version: u32,
        tool: digest::Tool,
        repositories: Vec<Repo<'a>>,
        findings: &'a [Value],
        summary: Summary,
    }
    let doc = Doc {
        version: 1,
        tool: digest::Tool {
            name: "tokenward",
            version: env!("CARGO_PKG_VERSION"),
        },
        repositories: scans
            .iter()
            .map(|(name, s)| Repo { name, scans: s })
            .collect(),
        findings,
        summary: Summary {
            repositories: scans.len(),
            findings: findings.len(),
            long_lived_credentials: findings
                .iter()
                .filter(|f| f.get("lifetime").and_then(Value::as_str) == Some("long-lived"))
                .count(),
        },
    };
    write_json(&dir.join("findings.json"), &doc)
}
