//! The `include: local` closure of a repository's `.gitlab-ci.yml`: the files it pulls
//! in, read from the scanned tree only (never fetched, never outside the repository,
//! never through a symlink), bounded in count, depth and size.
//!
//! The walker registers the scan root once ([`register_root`]); then every included
//! file is a GitLab CI file whatever its name ([`is_included`]), audited on its own, and
//! a file's jobs can `extends:` hidden jobs and inherit globals of the others
//! ([`context_for`]).

use super::gitlab::{IncludeKind, child_includes_of, includes_of};
use super::yaml::{self, Node};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Most files in one closure (GitLab's own limit is 150 includes per pipeline).
pub const MAX_FILES: usize = 150;
/// Deepest include nesting followed.
pub const MAX_DEPTH: usize = 10;
/// Largest included file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Most directory entries visited to expand `*` patterns.
const MAX_GLOB_ENTRIES: usize = 20_000;

/// One file of the closure.
#[derive(Debug)]
pub struct IncludedFile {
    /// Path relative to the repository root, `/`-separated.
    pub rel: String,
    /// Its document, when it parsed to a mapping.
    pub doc: Option<Node>,
}

/// The files a repository's `.gitlab-ci.yml` includes, itself first.
#[derive(Debug)]
pub struct Closure {
    /// The repository root.
    pub root: PathBuf,
    /// The files, root file first.
    pub files: Vec<IncludedFile>,
    /// Child pipelines' files (`trigger: include: local`): GitLab CI files of their
    /// own, outside this pipeline's context.
    pub children: Vec<String>,
    /// What findings' paths put before a path relative to the root (`gl/`, or empty).
    pub prefix: String,
}

static CLOSURES: Mutex<Vec<Arc<Closure>>> = Mutex::new(Vec::new());

fn closures() -> Vec<Arc<Closure>> {
    CLOSURES.lock().map(|g| g.clone()).unwrap_or_default()
}

/// Reads the include closure of `root/.gitlab-ci.yml` (when there is one) so later
/// lookups by path see it. Scanning the same root again reuses it.
///
/// `show` gives the path a finding shows for a file (what audits are later asked
/// about): the root's own prefix in that form (`gl/` for `tokenward scan gl`, nothing
/// for `scan .`) is kept with the closure.
pub fn register_root(root: &Path, show: impl Fn(&Path) -> String) {
    if closures().iter().any(|c| c.root == root) {
        return;
    }
    let Some(mut c) = closure(root) else { return };
    let probe = ".gitlab-ci.yml";
    let shown = show(&root.join(probe));
    c.prefix = shown
        .strip_suffix(probe)
        .filter(|p| p.is_empty() || p.ends_with('/'))
        .unwrap_or_default()
        .to_string();
    if let Ok(mut g) = CLOSURES.lock() {
        g.push(Arc::new(c));
    }
}

impl Closure {
    /// `shown` (a path as findings show it) relative to the root, when it is below it.
    fn rel<'a>(&self, shown: &'a str) -> Option<&'a str> {
        shown.strip_prefix(self.prefix.as_str())
    }
}

/// Whether `rel_path` (as findings show it) is included by its root's
/// `.gitlab-ci.yml`.
pub fn is_included(rel_path: &str) -> bool {
    closures().iter().any(|c| {
        c.rel(rel_path).is_some_and(|rel| {
            c.files.iter().skip(1).any(|f| f.rel == rel) || c.children.iter().any(|f| f == rel)
        })
    })
}

/// The documents of the other files of the closure `rel_path` belongs to (the root
/// file first), for `extends:`, `default:`, `variables:` and `workflow:` lookups.
pub fn context_for(rel_path: &str) -> Vec<Node> {
    for c in closures() {
        let Some(rel_path) = c.rel(rel_path) else {
            continue;
        };
        if c.files.iter().any(|f| f.rel == rel_path) {
            return c
                .files
                .iter()
                .filter(|f| f.rel != rel_path)
                .filter_map(|f| f.doc.clone())
                .collect();
        }
    }
    Vec::new()
}

pub(crate) fn read_bounded(path: &Path, canon_root: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let canon = path.canonicalize().ok()?;
    if !canon.starts_with(canon_root) {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// A local include target as a clean relative path, or `None` when it leaves the
/// repository or names a variable.
pub(crate) fn clean_target(t: &str) -> Option<String> {
    let t = t.trim().trim_start_matches('/');
    if t.is_empty() || t.contains('$') {
        return None;
    }
    let p = Path::new(t);
    if p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(t.replace('\\', "/"))
}

/// Every file below `root` (relative paths), bounded, `.git` skipped, symlinks not
/// followed.
fn all_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    let mut seen = 0;
    while let Some(rel) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for e in rd.flatten() {
            seen += 1;
            if seen > MAX_GLOB_ENTRIES {
                return out;
            }
            let name = e.file_name();
            if name == ".git" {
                continue;
            }
            let child = rel.join(&name);
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(child),
                Ok(t) if t.is_file() => out.push(child.to_string_lossy().replace('\\', "/")),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

fn closure(root: &Path) -> Option<Closure> {
    let canon_root = root.canonicalize().ok()?;
    let first = [".gitlab-ci.yml", ".gitlab-ci.yaml"]
        .into_iter()
        .find(|n| root.join(n).is_file())?;
    let mut files: Vec<IncludedFile> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: Vec<(String, usize)> = vec![(first.to_string(), 0)];
    let mut listing: Option<Vec<String>> = None;
    let mut children: Vec<String> = Vec::new();
    while let Some((rel, depth)) = queue.pop() {
        if files.len() >= MAX_FILES || !seen.insert(rel.clone()) {
            continue;
        }
        let Some(text) = read_bounded(&root.join(&rel), &canon_root) else {
            continue;
        };
        let doc = yaml::parse_last_key_wins(&yaml::Source::new(&text))
            .ok()
            .flatten()
            .filter(Node::is_map);
        let mut next: Vec<String> = Vec::new();
        if let Some(d) = &doc
            && depth < MAX_DEPTH
        {
            for inc in child_includes_of(d) {
                if inc.kind == IncludeKind::Local
                    && let Some(t) = clean_target(&inc.target)
                    && !t.contains('*')
                    && children.len() < MAX_FILES
                    && read_bounded(&root.join(&t), &canon_root).is_some()
                {
                    children.push(t);
                }
            }
            for inc in includes_of(d) {
                if inc.kind != IncludeKind::Local {
                    continue;
                }
                let Some(t) = clean_target(&inc.target) else {
                    continue;
                };
                if t.contains('*') {
                    let Ok(glob) = globset::GlobBuilder::new(&t)
                        .literal_separator(true)
                        .build()
                    else {
                        continue;
                    };
                    let m = glob.compile_matcher();
                    let all = listing.get_or_insert_with(|| all_files(root));
                    next.extend(all.iter().filter(|f| m.is_match(f.as_str())).cloned());
                } else {
                    next.push(t);
                }
            }
        }
        files.push(IncludedFile { rel, doc });
        // Depth-first in source order: reverse so the first include is read first.
        queue.extend(next.into_iter().rev().map(|n| (n, depth + 1)));
    }
    (files.len() > 1 || !children.is_empty()).then(|| Closure {
        root: root.to_path_buf(),
        files,
        children,
        prefix: String::new(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn targets_stay_inside() {
        assert_eq!(clean_target("/ci/a.yml").as_deref(), Some("ci/a.yml"));
        assert_eq!(clean_target("../x.yml"), None);
        assert_eq!(clean_target("ci/../../x.yml"), None);
        assert_eq!(clean_target("$CI_DIR/a.yml"), None);
    }

    #[test]
    fn closure_follows_local_includes_with_globs_and_cycles() {
        let d = tempfile::tempdir().unwrap();
        let w = |rel: &str, text: &str| {
            let p = d.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w(
            ".gitlab-ci.yml",
            "include:\n  - local: ci/a.yml\n  - local: 'jobs/*.yml'\n  - remote: https://x/y.yml\n  - local: ../outside.yml\n",
        );
        w(
            "ci/a.yml",
            "include: /.gitlab-ci.yml\n.base:\n  script: [x]\n",
        );
        w("jobs/one.yml", "one:\n  extends: .base\n");
        w("jobs/two.yml", "two:\n  script: [y]\n");
        let c = closure(d.path()).unwrap();
        let rels: Vec<&str> = c.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            rels,
            [".gitlab-ci.yml", "ci/a.yml", "jobs/one.yml", "jobs/two.yml"]
        );
    }
}
