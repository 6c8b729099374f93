//! Where findings' paths are relative to: the repository root (`--root DIR`, else the git
//! top level around the first scanned path, else the one scanned folder, else the current
//! folder), and how a root-relative path is shown relative to the current folder in text
//! output.

use std::path::{Component, Path, PathBuf};

/// The scan's anchor: every finding's path is relative to [`Roots::root`] (stable whatever
/// folder or file the user names), and text output shows it relative to the current folder.
#[derive(Debug, Clone)]
pub struct Roots {
    /// Absolute, lexically normalised repository root.
    pub root: PathBuf,
    /// Absolute current folder.
    pub cwd: PathBuf,
    /// Whether the root is a git work tree (for SARIF `versionControlProvenance`).
    pub is_git: bool,
}

/// Lexically normalised absolute form of `p` (no symlink resolution): `.` and `..`
/// components are folded against `cwd`.
pub fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The nearest folder at or above `start` holding a `.git` entry (folder, or file for
/// worktrees and submodules).
pub fn git_toplevel(start: &Path) -> Option<PathBuf> {
    let mut dir = if start.is_dir() {
        start
    } else {
        start.parent()?
    };
    loop {
        if dir.join(".git").exists() {
            return Some(dir.to_path_buf());
        }
        dir = dir.parent()?;
    }
}

/// `path` relative to `base`, with `..` steps when it lies outside; both absolute.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

/// Whether `path`'s text is already its folded form: no `.` or `..` step, no doubled
/// or trailing separator (on `/`-separated systems only).
fn is_plain(path: &Path) -> bool {
    let b = path.as_os_str().as_encoded_bytes();
    std::path::MAIN_SEPARATOR == '/'
        && !b.ends_with(b"/")
        && !b.ends_with(b"/.")
        && !b.ends_with(b"/..")
        && !b.windows(2).any(|w| w == b"//")
        && !b.windows(3).any(|w| w == b"/./")
        && !b.windows(4).any(|w| w == b"/../")
}

/// Whether `t` is `/` followed by steps that are neither empty nor `.` nor `..`: each
/// step starts right after a `/` (a vectorised search finds them; most paths a scan
/// shows are plain).
fn is_plain_absolute(t: &str) -> bool {
    let b = t.as_bytes();
    b.first() == Some(&b'/')
        && memchr::memchr_iter(b'/', b).all(|i| {
            !matches!(
                &b[i + 1..],
                [] | [b'/', ..] | [b'.'] | [b'.', b'/', ..] | [b'.', b'.'] | [b'.', b'.', b'/', ..]
            )
        })
}

/// `/`-separated text of a relative path (`.` for the empty path).
pub fn slash(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}

impl Roots {
    /// Chooses the root for `paths`: `explicit` (`--root`), else the git top level around
    /// the first path, else the one folder scanned, else the current folder.
    pub fn discover(paths: &[PathBuf], explicit: Option<&Path>) -> Roots {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let abs: Vec<PathBuf> = paths.iter().map(|p| absolute(&cwd, p)).collect();
        let first = abs.first().cloned().unwrap_or_else(|| cwd.clone());
        if let Some(r) = explicit {
            let root = absolute(&cwd, r);
            let is_git = root.join(".git").exists();
            return Roots { root, cwd, is_git };
        }
        if let Some(top) = git_toplevel(&first) {
            return Roots {
                root: top,
                cwd,
                is_git: true,
            };
        }
        // Outside git, one folder scanned is the repository (its `.github/workflows` is
        // the one GitHub runs, from wherever it is named); anything else is anchored at
        // the current folder.
        let root = match abs.as_slice() {
            [only] if only.is_dir() => only.clone(),
            _ => cwd.clone(),
        };
        Roots {
            root,
            cwd,
            is_git: false,
        }
    }

    /// The root-relative, `/`-separated form of `path` (as given or walked, relative to
    /// the current folder); empty for the root itself; a path outside the root is shown
    /// as given.
    pub fn rel(&self, path: &Path) -> String {
        // The walked file of a directory scan: cut the root's text off the path's.
        if let Some(rel) = self.rel_of_plain_text(path) {
            return rel;
        }
        // A walked path below an absolute root is absolute and has no `..` step: it
        // is its own absolute form (rebuilding it one component at a time was a
        // twentieth of a directory scan's instructions).
        let plain = path.is_absolute() && is_plain(path);
        let rebuilt;
        let abs = if plain {
            path
        } else {
            rebuilt = absolute(&self.cwd, path);
            rebuilt.as_path()
        };
        match abs.strip_prefix(&self.root) {
            Ok(r) if !r.as_os_str().is_empty() => slash(r),
            // The root itself (a folder): the empty relative path.
            Ok(_) => String::new(),
            Err(_) => slash(path).trim_start_matches("./").to_string(),
        }
    }

    /// [`Roots::rel`] of an absolute, UTF-8 path without `.`, `..` or empty steps below
    /// the root, by text alone (comparing components cost more than scanning the
    /// file, for small files); `None` for any other path.
    fn rel_of_plain_text(&self, path: &Path) -> Option<String> {
        let text = path.to_str()?;
        let root = self.root.to_str()?;
        let plain = |t: &str| std::path::MAIN_SEPARATOR == '/' && is_plain_absolute(t);
        if !plain(text) || !(root == "/" || plain(root)) {
            return None;
        }
        let rest = text.strip_prefix(root)?;
        let rest = if root.ends_with('/') || rest.is_empty() {
            rest
        } else {
            rest.strip_prefix('/')?
        };
        Some(rest.replace('\\', "/"))
    }

    /// Shows a root-relative finding path relative to the current folder (text output).
    pub fn show(&self, rel: &str) -> String {
        let p = Path::new(rel);
        if p.is_absolute() {
            return rel.to_string();
        }
        slash(&relative_to(&self.root.join(p), &self.cwd))
    }
}

/// `path` (relative to the scan root) relative to `base` (also root-relative, `""` for
/// the root itself), or `None` when it lies outside `base`.
pub fn strip_base<'a>(base: &str, path: &'a str) -> Option<&'a str> {
    if base.is_empty() {
        return Some(path);
    }
    path.strip_prefix(base)?.strip_prefix('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_folds_dots() {
        let cwd = Path::new("/repo/sub");
        assert_eq!(
            absolute(cwd, Path::new("../a/./b")),
            PathBuf::from("/repo/a/b")
        );
        assert_eq!(absolute(cwd, Path::new(".")), PathBuf::from("/repo/sub"));
    }

    #[test]
    fn relative_paths_both_ways() {
        assert_eq!(
            slash(&relative_to(Path::new("/repo/a/x"), Path::new("/repo/sub"))),
            "../a/x"
        );
        assert_eq!(
            slash(&relative_to(
                Path::new("/repo/sub/x"),
                Path::new("/repo/sub")
            )),
            "x"
        );
    }

    #[test]
    fn plain_absolute_paths_have_no_empty_or_dot_steps() {
        for p in ["/a", "/a/b.c", "/a/...", "/a/.b/c", "/..a/b."] {
            assert!(is_plain_absolute(p), "{p}");
        }
        for p in [
            "", "a/b", "/", "//a", "/a/", "/a//b", "/./a", "/a/.", "/a/..", "/a/../b",
        ] {
            assert!(!is_plain_absolute(p), "{p}");
        }
    }

    #[test]
    fn rel_and_show_round_trip() {
        let r = Roots {
            root: PathBuf::from("/repo"),
            cwd: PathBuf::from("/repo/sub"),
            is_git: true,
        };
        assert_eq!(r.rel(Path::new("x/y.yml")), "sub/x/y.yml");
        assert_eq!(r.rel(Path::new("/repo/a/./b")), "a/b");
        assert_eq!(r.rel(Path::new("/repo/a/../b")), "b");
        assert_eq!(r.rel(Path::new("/repo//a/b/")), "a/b");
        assert_eq!(r.rel(Path::new("/repo")), "");
        assert_eq!(r.rel(Path::new("/other/x")), "/other/x");
        assert_eq!(r.rel(Path::new("/repo/a/b")), "a/b");
        assert_eq!(r.rel(Path::new("/repository/x")), "/repository/x");
        assert_eq!(r.rel(Path::new("/repo/a\\b")), "a/b");
        let top = Roots {
            root: PathBuf::from("/"),
            ..r.clone()
        };
        assert_eq!(top.rel(Path::new("/a/b")), "a/b");
        assert_eq!(top.rel(Path::new("/")), "");
        let unfolded = Roots {
            root: PathBuf::from("/repo/"),
            ..r.clone()
        };
        assert_eq!(unfolded.rel(Path::new("/repo/a/b")), "a/b");
        assert_eq!(r.show("sub/x/y.yml"), "x/y.yml");
        assert_eq!(r.show("other/z"), "../other/z");
    }
}
