//! Reads the inputs of `merge`: finds the files under the given paths, names the
//! repository each belongs to, and recognises what each file is (scan JSON, SARIF,
//! inventory JSON) from its content.

use anyhow::{Context, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Largest input file read, in bytes: a scan's outputs are far smaller; anything
/// bigger is refused rather than read into memory.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// What an input file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `tokenward scan --format json`.
    ScanJson,
    /// SARIF 2.1.0 (from tokenward or another tool).
    Sarif,
    /// `tokenward inventory --format json`.
    Inventory,
}

/// One input file, parsed.
#[derive(Debug)]
pub struct Input {
    /// The file, as given or found.
    pub path: PathBuf,
    /// The repository it belongs to.
    pub repo: String,
    /// What it is.
    pub kind: InputKind,
    /// Its content.
    pub doc: Value,
}

/// A file to read and the repository it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Located {
    /// The repository name.
    pub repo: String,
    /// The file.
    pub path: PathBuf,
}

/// Whether a file name looks like a result file (`.json` or `.sarif`).
fn is_result_file(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".sarif")
}

/// The files named by `paths`, each with its repository, sorted by repository then
/// path. A folder is searched recursively; a file under it belongs to the repository
/// named by its folder relative to the given one (`results/acme/api/scan.json` under
/// `results` is `acme/api`). A file named directly, or lying at the top of a given
/// folder, belongs to the repository named by its parent folder.
pub fn locate(paths: &[PathBuf]) -> anyhow::Result<Vec<Located>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| shown(p))?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, p, &mut out)?;
            if out.len() == before {
                bail!("{}: no .json or .sarif files in this folder", shown(p));
            }
        } else {
            out.push(Located {
                repo: parent_name(p)?,
                path: p.clone(),
            });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Located>) -> anyhow::Result<()> {
    let rd = std::fs::read_dir(dir).with_context(|| shown(dir))?;
    for entry in rd {
        let entry = entry.with_context(|| shown(dir))?;
        let path = entry.path();
        // Symlinks are not followed: a result folder holds plain files.
        let ft = entry.file_type().with_context(|| shown(&path))?;
        if ft.is_dir() {
            walk(root, &path, out)?;
        } else if ft.is_file() && entry.file_name().to_str().is_some_and(is_result_file) {
            let rel = dir.strip_prefix(root).unwrap_or(dir);
            let repo = if rel.as_os_str().is_empty() {
                parent_name(&path)?
            } else {
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            };
            out.push(Located { repo, path });
        }
    }
    Ok(())
}

/// A path made safe to print on one line (control characters escaped).
pub fn shown(p: &Path) -> String {
    crate::escape::for_display(&p.display().to_string()).into_owned()
}

fn parent_name(p: &Path) -> anyhow::Result<String> {
    let abs = std::path::absolute(p).with_context(|| shown(p))?;
    abs.parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: cannot name its repository (put each repository's results in a folder named after it)",
                shown(p)
            )
        })
}

/// Reads and recognises one file.
pub fn read(loc: &Located) -> anyhow::Result<Input> {
    let p = &loc.path;
    let meta = std::fs::metadata(p).with_context(|| shown(p))?;
    if meta.len() > MAX_INPUT_BYTES {
        bail!(
            "{}: {} bytes, over the {} MiB limit for one input",
            shown(p),
            meta.len(),
            MAX_INPUT_BYTES >> 20
        );
    }
    let bytes = std::fs::read(p).with_context(|| shown(p))?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", shown(p)))?;
    let kind = classify(&doc).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: not a tokenward scan JSON, SARIF 2.1.0 or inventory JSON file",
            shown(p)
        )
    })?;
    Ok(Input {
        path: p.clone(),
        repo: loc.repo.clone(),
        kind,
        doc,
    })
}

/// Recognises a document by its top-level keys.
pub fn classify(doc: &Value) -> Option<InputKind> {
    let o = doc.as_object()?;
    if o.get("version").and_then(Value::as_str) == Some("2.1.0") && o.get("runs")?.is_array() {
        return Some(InputKind::Sarif);
    }
    let version = o.get("version").and_then(Value::as_u64);
    if version == Some(1)
        && o.get("findings").is_some_and(Value::is_array)
        && o.get("tool").is_some()
    {
        return Some(InputKind::ScanJson);
    }
    // Inventory JSON: schema 1, and 2 (the ranked register adds fields, keeps these).
    if matches!(version, Some(1 | 2))
        && o.get("secrets").is_some_and(Value::is_array)
        && o.get("permissions").is_some_and(Value::is_array)
        && o.get("hardcoded_credentials").is_some()
    {
        return Some(InputKind::Inventory);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_the_three_formats_and_refuses_others() {
        assert_eq!(
            classify(&json!({"version": "2.1.0", "runs": []})),
            Some(InputKind::Sarif)
        );
        assert_eq!(
            classify(&json!({"version": 1, "tool": {}, "findings": []})),
            Some(InputKind::ScanJson)
        );
        assert_eq!(
            classify(&json!({"version": 1, "secrets": [], "permissions": [],
                "hardcoded_credentials": []})),
            Some(InputKind::Inventory)
        );
        assert_eq!(classify(&json!({"version": 1, "base": "x"})), None);
        assert_eq!(
            classify(&json!({"version": 2, "secrets": [], "permissions": [],
                "hardcoded_credentials": []})),
            Some(InputKind::Inventory)
        );
        assert_eq!(classify(&json!([1, 2])), None);
    }
}
