//! The parallel walk: `ignore`'s walker is the thread pool. Each walker thread owns
//! its matcher scratch state and read buffer, scans the files it visits, and hands
//! its findings over once, when it finishes; skips are counted by reason.

use crate::detect::matcher::Matcher;
use crate::finding::Finding;
use crate::scan::Engine;
use ignore::{WalkBuilder, WalkState};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bytes at the start of a file searched for a NUL to call the file binary.
const BINARY_SNIFF_LEN: usize = 8192;

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

/// Totals for the summary line.
#[derive(Debug, Default, Clone)]
pub struct ScanStats {
    /// Files read and scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Skipped files by reason (`binary`, `too-large`, `unreadable`, ...).
    pub skipped: BTreeMap<String, u64>,
    /// Files scanned as bytes because they are not valid UTF-8.
    pub non_utf8: u64,
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Reported findings (unsorted until the caller sorts).
    pub findings: Vec<Finding>,
    /// Findings hidden by inline comments.
    pub suppressed_inline: Vec<Finding>,
    /// One-line problems with particular files (already printed as warnings).
    pub errors: Vec<String>,
    /// Totals.
    pub stats: ScanStats,
}

impl ScanResult {
    fn merge(&mut self, other: ScanResult) {
        self.findings.extend(other.findings);
        self.suppressed_inline.extend(other.suppressed_inline);
        self.errors.extend(other.errors);
        self.stats.files += other.stats.files;
        self.stats.bytes += other.stats.bytes;
        self.stats.non_utf8 += other.stats.non_utf8;
        for (k, v) in other.stats.skipped {
            *self.stats.skipped.entry(k).or_default() += v;
        }
    }

    fn skip(&mut self, reason: &str) {
        *self.stats.skipped.entry(reason.to_string()).or_default() += 1;
    }

    fn error(&mut self, reason: &str, msg: String) {
        self.skip(reason);
        self.errors.push(msg);
    }
}

/// How paths are shown: relative to a single directory root, or as given.
#[derive(Debug, Clone)]
pub struct PathDisplay {
    base: Option<PathBuf>,
}

impl PathDisplay {
    /// Paths relative to `roots[0]` when it is the only root and a directory.
    pub fn for_roots(roots: &[PathBuf]) -> PathDisplay {
        let base = match roots {
            [only] if only.is_dir() => Some(only.clone()),
            _ => None,
        };
        PathDisplay { base }
    }

    /// The display form of `path`: relative, `/`-separated, without `./`.
    pub fn show(&self, path: &Path) -> String {
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

/// Walks `roots` in parallel and scans every file the options admit.
pub fn walk_and_scan(roots: &[PathBuf], opts: &WalkOptions, engine: &Engine) -> ScanResult {
    let display = PathDisplay::for_roots(roots);
    let mut builder = WalkBuilder::new(&roots[0]);
    for r in &roots[1..] {
        builder.add(r);
    }
    builder
        .hidden(false)
        .parents(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .require_git(false)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    let total = Mutex::new(ScanResult::default());
    builder.build_parallel().run(|| {
        let mut worker = Worker {
            engine,
            opts,
            display: &display,
            matcher: Matcher::default(),
            buf: Vec::with_capacity(64 * 1024),
            result: ScanResult::default(),
            total: &total,
        };
        Box::new(move |entry| {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file()) {
                        worker.scan_path(e.path());
                    } else if e.path_is_symlink() {
                        worker.result.skip("symlink");
                    }
                }
                Err(err) => {
                    let msg = one_line(&err.to_string());
                    let reason = if msg.contains("loop") {
                        "symlink-loop"
                    } else {
                        "walk-error"
                    };
                    worker.result.error(reason, msg);
                }
            }
            WalkState::Continue
        })
    });
    total.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// One walker thread's state; hands its results over when dropped.
struct Worker<'a> {
    engine: &'a Engine,
    opts: &'a WalkOptions,
    display: &'a PathDisplay,
    matcher: Matcher,
    buf: Vec<u8>,
    result: ScanResult,
    total: &'a Mutex<ScanResult>,
}

impl Worker<'_> {
    fn scan_path(&mut self, path: &Path) {
        let shown = self.display.show(path);
        if self.engine.excluded(&shown) {
            return self.result.skip("excluded");
        }
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return self.result.error("unreadable", format!("{shown}: {e}")),
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > self.opts.max_file_size {
            return self.result.skip("too-large");
        }
        self.buf.clear();
        // The head first: a binary file (NUL in its first 8 KiB, as git and ripgrep
        // judge) is skipped without reading the rest of it.
        let read = (&mut file)
            .take(BINARY_SNIFF_LEN as u64)
            .read_to_end(&mut self.buf)
            .and_then(|_| {
                if self.buf.contains(&0) || self.buf.len() < BINARY_SNIFF_LEN {
                    return Ok(0);
                }
                let rest = (self.opts.max_file_size + 1).saturating_sub(self.buf.len() as u64);
                self.buf
                    .reserve((len as usize).saturating_sub(self.buf.len()) + 1);
                (&mut file).take(rest).read_to_end(&mut self.buf)
            });
        if let Err(e) = read {
            return self.result.error("unreadable", format!("{shown}: {e}"));
        }
        if self.buf.len() as u64 > self.opts.max_file_size {
            return self.result.skip("too-large");
        }
        self.scan_bytes(&shown);
    }

    fn scan_bytes(&mut self, shown: &str) {
        let head = &self.buf[..self.buf.len().min(BINARY_SNIFF_LEN)];
        if head.contains(&0) {
            return self.result.skip("binary");
        }
        self.result.stats.files += 1;
        self.result.stats.bytes += self.buf.len() as u64;
        if std::str::from_utf8(&self.buf).is_err() {
            self.result.stats.non_utf8 += 1;
        }
        let outcome = self.engine.scan_file(&mut self.matcher, shown, &self.buf);
        self.result.findings.extend(outcome.findings);
        self.result
            .suppressed_inline
            .extend(outcome.suppressed_inline);
        if let Some(e) = outcome.error {
            self.result.errors.push(e);
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mine = std::mem::take(&mut self.result);
        let mut total = self.total.lock().unwrap_or_else(|p| p.into_inner());
        total.merge(mine);
    }
}

/// Collapses an error message to one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
