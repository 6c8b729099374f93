//! The local templates an Azure Pipelines file uses (`template: path.yml` in stages,
//! jobs, steps, variables and `extends:`), read from the scanned tree only: never
//! fetched (`path@repository` is another repository's), never outside the repository,
//! never through a symlink, bounded in count, depth and size. A template is an Azure
//! Pipelines file whatever its name ([`is_template`]), so the credentials and images
//! it holds are audited where they are written.
//!
//! The walker registers the scan root once ([`register_root`]).

use super::gitlab_includes::{clean_target, read_bounded};
use super::yaml::{self, Node};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

/// Most template files followed from one repository (Azure's own limit is 100).
pub const MAX_FILES: usize = 100;
/// Deepest template nesting followed.
pub const MAX_DEPTH: usize = 20;
/// Folders whose YAML files are pipelines (besides `azure-pipelines*.yml` at the root).
const PIPELINE_DIRS: &[&str] = &[
    ".azure-pipelines",
    "azure-pipelines",
    ".azuredevops",
    ".pipelines",
];

/// A registered root and the templates found below it (as findings show their paths).
type Registered = (std::path::PathBuf, Vec<String>);

/// Registered roots.
static TEMPLATES: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// Finds the local templates of the Azure pipelines under `root`, once per root;
/// `show` gives a file's path as findings show it (what [`is_template`] is asked).
pub fn register_root(root: &Path, show: impl Fn(&Path) -> String) {
    let Ok(mut g) = TEMPLATES.lock() else { return };
    if g.iter().any(|(r, _)| r == root) {
        return;
    }
    let found = templates(root)
        .iter()
        .map(|rel| show(&root.join(rel)))
        .collect();
    g.push((root.to_path_buf(), found));
}

/// Whether `rel_path` (as findings show it) is a template an Azure pipeline of a
/// registered root uses.
pub fn is_template(rel_path: &str) -> bool {
    TEMPLATES
        .lock()
        .map(|g| g.iter().any(|(_, t)| t.iter().any(|f| f == rel_path)))
        .unwrap_or(false)
}

/// The pipeline files the closure starts from: `azure-pipelines*.yml` at the root and
/// the YAML files directly in the usual pipeline folders.
fn pipelines(root: &Path) -> Vec<String> {
    let yaml = |n: &str| n.ends_with(".yml") || n.ends_with(".yaml");
    let mut out = Vec::new();
    let list = |dir: &str, out: &mut Vec<String>, pred: &dyn Fn(&str) -> bool| {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            return;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| pred(n))
            .take(MAX_FILES)
            .map(|n| {
                if dir.is_empty() {
                    n
                } else {
                    format!("{dir}/{n}")
                }
            })
            .collect();
        names.sort();
        out.extend(names);
    };
    list("", &mut out, &|n| {
        n.starts_with("azure-pipelines") && yaml(n)
    });
    for d in PIPELINE_DIRS {
        list(d, &mut out, &yaml);
    }
    out
}

/// A `template:` value as a path relative to the root, from the file `from` that names
/// it: relative to that file's folder, or to the root with a leading `/`.
fn resolve(from: &str, target: &str) -> Option<String> {
    let t = target.trim();
    if t.is_empty() || t.contains('@') || t.contains("${{") || t.contains("$(") {
        return None;
    }
    if t.starts_with('/') {
        return clean_target(t);
    }
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    // `..` may climb within the repository: fold it before the containment check.
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for seg in t.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    clean_target(&parts.join("/"))
}

/// The `template:` values of a document.
fn template_refs(doc: &Node) -> Vec<String> {
    let mut out = Vec::new();
    doc.walk_scalars("", &mut |path, _, value| {
        let last = path.rsplit('.').next().unwrap_or(path);
        if last == "template" {
            out.push(value.to_string());
        }
    });
    out
}

/// The templates that the pipelines under `root` use, transitively.
fn templates(root: &Path) -> Vec<String> {
    let Ok(canon_root) = root.canonicalize() else {
        return Vec::new();
    };
    let starts = pipelines(root);
    let mut seen: HashSet<String> = starts.iter().cloned().collect();
    let mut queue: Vec<(String, usize)> = starts.into_iter().map(|s| (s, 0)).collect();
    let mut found = Vec::new();
    while let Some((rel, depth)) = queue.pop() {
        if depth >= MAX_DEPTH {
            continue;
        }
        let Some(text) = read_bounded(&root.join(&rel), &canon_root) else {
            continue;
        };
        let Ok(Some(doc)) = yaml::parse_last_key_wins(&yaml::Source::new(&text)) else {
            continue;
        };
        for t in template_refs(&doc) {
            let Some(target) = resolve(&rel, &t) else {
                continue;
            };
            if found.len() >= MAX_FILES || !seen.insert(target.clone()) {
                continue;
            }
            if read_bounded(&root.join(&target), &canon_root).is_some() {
                found.push(target.clone());
                queue.push((target, depth + 1));
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn template_paths_resolve_inside_the_repository() {
        assert_eq!(
            resolve("azure-pipelines.yml", "templates/a.yml").as_deref(),
            Some("templates/a.yml")
        );
        assert_eq!(
            resolve("eng/pipelines/ci.yml", "../templates/a.yml").as_deref(),
            Some("eng/templates/a.yml")
        );
        assert_eq!(
            resolve("eng/ci.yml", "/shared/a.yml").as_deref(),
            Some("shared/a.yml")
        );
        assert_eq!(resolve("ci.yml", "../outside.yml"), None);
        assert_eq!(resolve("ci.yml", "steps.yml@templates"), None);
        assert_eq!(resolve("ci.yml", "${{ parameters.t }}"), None);
    }

    #[test]
    fn templates_are_followed_transitively_and_bounded() {
        let d = tempfile::tempdir().unwrap();
        let w = |rel: &str, text: &str| {
            let p = d.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w(
            "azure-pipelines.yml",
            "extends:\n  template: eng/build.yml\nsteps:\n  - template: eng/steps/a.yml\n  - template: x.yml@other\n  - template: ../out.yml\n",
        );
        w("eng/build.yml", "jobs:\n  - template: jobs/j.yml\n");
        w(
            "eng/jobs/j.yml",
            "steps:\n  - template: /azure-pipelines.yml\n",
        );
        w("eng/steps/a.yml", "steps: []\n");
        assert_eq!(
            templates(d.path()),
            ["eng/build.yml", "eng/jobs/j.yml", "eng/steps/a.yml"]
        );
    }
}
