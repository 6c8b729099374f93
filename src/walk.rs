//! The parallel walk: `ignore`'s walker is the thread pool. Each walker thread owns
//! its matcher scratch state and read buffer, scans the files it visits, and hands
//! its findings over once, when it finishes; skips are counted by reason.

use crate::scan::Engine;
use crate::source::Worker;
use ignore::{WalkBuilder, WalkState};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How the walk chooses files.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Also scan files `.gitignore`/`.ignore` exclude.
    pub no_ignore: bool,
    /// Files larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// Walker threads; 0 means all cores.
    pub threads: usize,
}

pub use crate::outcome::{ScanResult, ScanStats};

/// How paths are shown: relative to a single directory root, or as given.
#[derive(Debug, Clone)]
pub struct PathDisplay {
    base: Option<PathBuf>,
    anchor: Option<crate::paths::Roots>,
}

impl PathDisplay {
    /// Paths relative to `roots[0]` when it is the only root and a directory.
    pub fn for_roots(roots: &[PathBuf]) -> PathDisplay {
        let base = match roots {
            [only] if only.is_dir() => Some(only.clone()),
            _ => None,
        };
        PathDisplay { base, anchor: None }
    }

    /// Paths relative to the repository root of `roots` (see [`crate::paths::Roots`]).
    pub fn anchored(roots: crate::paths::Roots) -> PathDisplay {
        PathDisplay {
            base: None,
            anchor: Some(roots),
        }
    }

    /// The display form of `path`: relative, `/`-separated, without `./`.
    pub fn show(&self, path: &Path) -> String {
        if let Some(a) = &self.anchor {
            return a.rel(path);
        }
        let rel = match &self.base {
            Some(b) => path.strip_prefix(b).unwrap_or(path),
            None => path,
        };
        let s = rel.to_string_lossy().replace('\\', "/");
        let mut s = s.as_str();
        while let Some(rest) = s.strip_prefix("./") {
            s = rest;
        }
        if s.is_empty() {
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        } else {
            s.to_string()
        }
    }
}

/// Most explicitly named files scanned on the calling thread instead of by the
/// parallel walker (a pre-commit hook passes a few staged files): starting walker
/// threads, and a waiting walker thread's 1 ms back-off sleep, would cost more than
/// scanning them.
const SEQUENTIAL_FILES: usize = 32;

/// Walks `roots` in parallel and scans every file the options admit.
pub fn walk_and_scan(roots: &[PathBuf], opts: &WalkOptions, engine: &Engine) -> ScanResult {
    walk_and_scan_as(roots, opts, engine, &PathDisplay::for_roots(roots))
}

/// The ignore files the walker reads in each directory.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// The ignore files a walk saw: how many folders hold a `.gitignore`, and which hold a
/// `.ignore` (the coverage statement counts what those hide, below them only).
#[derive(Debug, Default)]
struct IgnoreSeen {
    gitignore: AtomicU64,
    dot_ignore: Mutex<Vec<PathBuf>>,
}

/// The first ignore file of `dir` that must not be read (a FIFO, a device, a link to
/// one, or a huge file), with the problem; records the folder's ignore files in `seen`.
/// One `lstat` per name; a missing file (most folders) costs nothing more.
fn unusable_ignore_file(dir: &Path, seen: &IgnoreSeen) -> Option<(PathBuf, String)> {
    IGNORE_FILES.iter().find_map(|name| {
        let p = dir.join(name);
        let meta = std::fs::symlink_metadata(&p).ok()?;
        if *name == ".ignore" {
            lock(&seen.dot_ignore).push(dir.to_path_buf());
        } else {
            seen.gitignore.fetch_add(1, Ordering::Relaxed);
        }
        let problem = if meta.file_type().is_symlink() {
            crate::bounded::helper_problem(&p)
        } else {
            crate::bounded::meta_problem(&meta)
        };
        problem.map(|why| (p, why))
    })
}

/// [`walk_and_scan`] with findings' paths shown by `display`.
pub fn walk_and_scan_as(
    roots: &[PathBuf],
    opts: &WalkOptions,
    engine: &Engine,
    display: &PathDisplay,
) -> ScanResult {
    if let [only] = roots
        && only.is_dir()
    {
        // GitLab `include: local` files are CI files whatever their names.
        crate::pipeline::gitlab_includes::register_root(only, |p| display.show(p));
        // So are the local templates of Azure pipelines.
        crate::pipeline::azure_templates::register_root(only, |p| display.show(p));
    }
    let only_files = roots.len() <= SEQUENTIAL_FILES
        && roots
            .iter()
            .all(|r| std::fs::symlink_metadata(r).is_ok_and(|m| m.is_file()));
    if only_files {
        // Named files are scanned whatever the ignore files say, as the walker does.
        let total = Mutex::new(ScanResult::default());
        let mut worker = Handoff::new(engine, opts, display, &total);
        for r in roots {
            worker.scan_path(r);
        }
        drop(worker);
        return total.into_inner().unwrap_or_else(|p| p.into_inner());
    }
    // The walker reads each directory's ignore files itself, without bounds: a folder
    // whose ignore file is a FIFO, a device or huge is left out of this walk and walked
    // again afterwards without ignore files.
    let check = !opts.no_ignore;
    let deferred: Arc<Mutex<Vec<(PathBuf, PathBuf, String)>>> = Arc::default();
    let seen: Arc<IgnoreSeen> = Arc::default();
    let mut walk_roots = Vec::new();
    for r in roots {
        let unusable = if check && r.is_dir() {
            unusable_ignore_file(r, &seen)
        } else {
            None
        };
        match unusable {
            Some((file, why)) => lock(&deferred).push((r.clone(), file, why)),
            None => walk_roots.push(r.clone()),
        }
    }
    let mut parents = check;
    let mut total = ScanResult::default();
    if check {
        for r in roots {
            let abs = std::fs::canonicalize(r).unwrap_or_else(|_| r.clone());
            for dir in abs.ancestors().skip(1) {
                if let Some((file, why)) = unusable_ignore_file(dir, &IgnoreSeen::default()) {
                    parents = false;
                    total.errors.push(format!(
                        "{}: {why}; ignore files above the scanned folder not read",
                        file.display()
                    ));
                }
            }
        }
    }
    if let Some((first, rest)) = walk_roots.split_first() {
        let mut builder = WalkBuilder::new(first);
        for r in rest {
            builder.add(r);
        }
        let guard = Arc::clone(&deferred);
        let seen_below = Arc::clone(&seen);
        builder
            .hidden(false)
            .parents(parents)
            .ignore(check)
            .git_ignore(check)
            .git_global(check)
            .git_exclude(check)
            .require_git(false)
            .follow_links(false)
            .threads(opts.threads)
            .filter_entry(move |e| {
                if e.file_name() == ".git" {
                    return false;
                }
                if check
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && let Some((file, why)) = unusable_ignore_file(e.path(), &seen_below)
                {
                    lock(&guard).push((e.path().to_path_buf(), file, why));
                    return false;
                }
                true
            });
        let shared = Mutex::new(ScanResult::default());
        builder.build_parallel().run(|| {
            let mut worker = Handoff::new(engine, opts, display, &shared);
            Box::new(move |entry| {
                match entry {
                    Ok(e) => {
                        let t = e.file_type();
                        if t.is_some_and(|t| t.is_file()) {
                            worker.scan_path(e.path());
                        } else if e.path_is_symlink() {
                            worker.worker.skip("symlink");
                        } else if !t.is_some_and(|t| t.is_dir()) {
                            // FIFOs, sockets, devices: never opened (a FIFO blocks).
                            let kind = std::fs::symlink_metadata(e.path())
                                .map_or("a special file", |m| crate::bounded::file_kind(&m));
                            let shown = display.show(e.path());
                            worker
                                .worker
                                .error("special-file", format!("{shown}: {kind}, not scanned"));
                        }
                    }
                    Err(err) => {
                        let msg = one_line(&err.to_string());
                        let reason = if msg.contains("loop") {
                            "symlink-loop"
                        } else {
                            "walk-error"
                        };
                        worker.worker.error(reason, msg);
                    }
                }
                WalkState::Continue
            })
        });
        total.merge(shared.into_inner().unwrap_or_else(|p| p.into_inner()));
    }
    total.stats.gitignore_dirs += seen.gitignore.load(Ordering::Relaxed);
    let dot_ignore = std::mem::take(&mut *lock(&seen.dot_ignore));
    total.stats.dot_ignore_dirs += dot_ignore.len() as u64;
    total.stats.dot_ignore_folders.extend(dot_ignore);
    let deferred = std::mem::take(&mut *lock(&deferred));
    if !deferred.is_empty() {
        let dirs: Vec<PathBuf> = deferred.iter().map(|(d, _, _)| d.clone()).collect();
        for (_, file, why) in deferred {
            let shown = display.show(&file);
            total.errors.push(format!(
                "{shown}: {why}; not read, so nothing below its folder is ignored"
            ));
        }
        let plain = WalkOptions {
            no_ignore: true,
            ..opts.clone()
        };
        total.merge(walk_and_scan_as(&dirs, &plain, engine, display));
    }
    total
}

/// Locks a mutex, taking the data of a poisoned one (a panicking walker thread must
/// not lose the others' results).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Walker threads to use: `requested` (0 = all cores) clamped to the machine's cores,
/// and a notice when the request was cut. A tree's config or a typo (`-j 100000`)
/// must not start thousands of threads.
pub fn clamp_threads(requested: usize) -> (usize, Option<String>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        0 => (cores, None),
        n if n > cores => (
            cores,
            Some(format!(
                "{n} threads requested; using {cores}, the number of cores"
            )),
        ),
        n => (n, None),
    }
}

/// A walker thread's worker; hands its results over to `total` when dropped.
struct Handoff<'a> {
    worker: Worker<'a>,
    display: &'a PathDisplay,
    total: &'a Mutex<ScanResult>,
}

impl<'a> Handoff<'a> {
    fn new(
        engine: &'a Engine,
        opts: &WalkOptions,
        display: &'a PathDisplay,
        total: &'a Mutex<ScanResult>,
    ) -> Handoff<'a> {
        Handoff {
            worker: Worker::new(engine, opts.max_file_size),
            display,
            total,
        }
    }

    fn scan_path(&mut self, path: &Path) {
        let shown = self.display.show(path);
        self.worker.scan_path(path, &shown);
    }
}

impl Drop for Handoff<'_> {
    fn drop(&mut self) {
        let mine = std::mem::take(&mut self.worker.result);
        lock(self.total).merge(mine);
    }
}

/// Scans standard input as one file named `name` (`scan -`), with the same size and
/// binary limits as a file on disk.
pub fn scan_stdin(
    input: &mut impl Read,
    name: &str,
    opts: &WalkOptions,
    engine: &Engine,
) -> std::io::Result<ScanResult> {
    let mut worker = Worker::new(engine, opts.max_file_size);
    worker.scan_reader(input, name)?;
    Ok(worker.finish())
}

/// Collapses an error message to one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
