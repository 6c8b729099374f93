//! The inventory's history section (`inventory --git`): the hard-coded credentials a
//! history scan finds, with each one's lineage, under the same settings as `scan`.

use super::model::HistoryCredential;
use crate::cli::{InventorySettings as Settings, ScanArgs};
use crate::scan::Engine;
use crate::walk::WalkOptions;
use std::path::Path;

/// Scans the history of `range` in the repository at `root` and lists its credentials
/// (config allows and inline comments applied), oldest first.
pub fn credentials(
    root: &Path,
    settings: &Settings,
    range: &str,
) -> anyhow::Result<Vec<HistoryCredential>> {
    let scan_args = ScanArgs {
        paths: vec![root.to_path_buf()],
        config: settings.config.clone(),
        no_config: settings.no_config,
        git: Some(range.to_string()),
        ..ScanArgs::default()
    };
    let roots = crate::paths::Roots::discover(&scan_args.paths, Some(root));
    let mut setup = crate::config::setup(&scan_args, false, &roots).map_err(anyhow::Error::msg)?;
    let engine = Engine::new(
        std::mem::take(&mut setup.rules),
        std::mem::take(&mut setup.engine),
    )
    .map_err(anyhow::Error::msg)?;
    let (threads, _) = crate::walk::clamp_threads(setup.args.threads);
    let opts = WalkOptions {
        no_ignore: true,
        max_file_size: setup.args.max_file_size(),
        threads,
    };
    let (mut result, stats, h) = crate::history::scan_history(root, range, &opts, &engine)?;
    crate::finding::resolve_fingerprints(&result.findings, opts.threads);
    if !stats.unreadable.is_empty() {
        eprintln!(
            "tokenward: warning: {}",
            crate::escape::for_display(&stats.partial_message())
        );
    }
    for e in &result.errors {
        eprintln!("tokenward: warning: {}", crate::escape::for_display(e));
    }
    crate::lineage::annotate_result(root, &h, &mut result);
    super::apply_config(&mut result, &setup)?;
    let mut out: Vec<HistoryCredential> = result
        .findings
        .iter()
        .filter_map(|f| {
            let (c, l) = (f.commit.as_ref()?, f.lineage.as_ref()?);
            Some(HistoryCredential {
                rule: f.rule_id.clone(),
                lifetime: f.lifetime.map_or("unknown", |l| l.as_str()).to_string(),
                path: f.path.clone(),
                line: f.span.start_line,
                snippet: f.snippet.clone(),
                fingerprint: f.fingerprint.get().to_string(),
                commit: c.id.clone(),
                author: c.author.clone(),
                first_commit: l.first_commit.clone(),
                first_date: l.first_date.clone(),
                age_days: l.age_days,
                at_head: l.at_head,
                rotated: l.rotated,
                commits: l.commits,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.first_date, &a.path, a.line).cmp(&(&b.first_date, &b.path, b.line)));
    Ok(out)
}
