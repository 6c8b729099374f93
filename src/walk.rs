//! The parallel walk: `ignore`'s walker is the thread pool. Each walker thread owns
//! its matcher scratch state and read buffer, scans the files it visits, and hands
//! its findings over once, when it finishes; skips are counted by reason.

use crate::detect::matcher::Matcher;
use crate::scan::Engine;
use ignore::{WalkBuilder, WalkState};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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

/// The first ignore file of `dir` that must not be read (a FIFO, a device, a link to
/// one, or a huge file), with the problem; counts the folder's ignore files in `seen`
/// (`.gitignore`, `.ignore`).
fn unusable_ignore_file(dir: &Path, seen: &[AtomicU64; 2]) -> Option<(PathBuf, String)> {
    IGNORE_FILES.iter().zip(seen).find_map(|(name, count)| {
        let p = dir.join(name);
        if std::fs::symlink_metadata(&p).is_ok() {
            count.fetch_add(1, Ordering::Relaxed);
        }
        crate::bounded::helper_problem(&p).map(|why| (p, why))
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
        let mut worker = Worker::new(engine, opts, display, &total);
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
    let seen: Arc<[AtomicU64; 2]> = Arc::default();
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
                if let Some((file, why)) =
                    unusable_ignore_file(dir, &[AtomicU64::new(0), AtomicU64::new(0)])
                {
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
            let mut worker = Worker::new(engine, opts, display, &shared);
            Box::new(move |entry| {
                match entry {
                    Ok(e) => {
                        let t = e.file_type();
                        if t.is_some_and(|t| t.is_file()) {
                            worker.scan_path(e.path());
                        } else if e.path_is_symlink() {
                            worker.result.skip("symlink");
                        } else if !t.is_some_and(|t| t.is_dir()) {
                            // FIFOs, sockets, devices: never opened (a FIFO blocks).
                            let kind = std::fs::symlink_metadata(e.path())
                                .map_or("a special file", |m| crate::bounded::file_kind(&m));
                            let shown = display.show(e.path());
                            worker
                                .result
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
                        worker.result.error(reason, msg);
                    }
                }
                WalkState::Continue
            })
        });
        total.merge(shared.into_inner().unwrap_or_else(|p| p.into_inner()));
    }
    total.stats.gitignore_dirs += seen[0].load(Ordering::Relaxed);
    total.stats.dot_ignore_dirs += seen[1].load(Ordering::Relaxed);
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

impl<'a> Worker<'a> {
    fn new(
        engine: &'a Engine,
        opts: &'a WalkOptions,
        display: &'a PathDisplay,
        total: &'a Mutex<ScanResult>,
    ) -> Worker<'a> {
        Worker {
            engine,
            opts,
            display,
            matcher: Matcher::default(),
            buf: Vec::new(),
            result: ScanResult::default(),
            total,
        }
    }

    fn scan_path(&mut self, path: &Path) {
        let shown = self.display.show(path);
        if self.engine.excluded(&shown) {
            return self.result.skip("excluded");
        }
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return self.result.error("unreadable", format!("{shown}: {e}")),
        };
        match read_file(&mut file, &mut self.buf, self.opts.max_file_size) {
            Ok(Contents::Text(len)) => self.scan_bytes(&shown, len),
            Ok(Contents::Binary) => self.result.skip("binary"),
            Ok(Contents::TooLarge) => self.result.skip("too-large"),
            Err(e) => self.result.error("unreadable", format!("{shown}: {e}")),
        }
    }

    fn scan_bytes(&mut self, shown: &str, len: usize) {
        let wide = crate::detect::utf16::decode_with_bom(&self.buf[..len]);
        let content = wide.as_ref().map_or(&self.buf[..len], |s| s.as_bytes());
        self.result.stats.files += 1;
        self.result.stats.bytes += len as u64;
        crate::term::PROGRESS.add(len as u64);
        if std::str::from_utf8(content).is_err() {
            self.result.stats.non_utf8 += 1;
        }
        let outcome = self.engine.scan_file(&mut self.matcher, shown, content);
        crate::term::PROGRESS.found(outcome.findings.len());
        self.result.stats.import_dropped += outcome.import_dropped;
        self.result.findings.extend(outcome.findings);
        self.result
            .suppressed_inline
            .extend(outcome.suppressed_inline);
        if let Some(e) = outcome.error {
            self.result.errors.push(e);
        }
        self.result.pipelines.extend(outcome.pipeline);
        self.result.stats.unaudited_workflows += u64::from(outcome.unaudited_workflow);
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mine = std::mem::take(&mut self.result);
        let mut total = self.total.lock().unwrap_or_else(|p| p.into_inner());
        total.merge(mine);
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
    let total = Mutex::new(ScanResult::default());
    let display = PathDisplay::for_roots(&[]);
    let mut worker = Worker::new(engine, opts, &display, &total);
    match read_file(input, &mut worker.buf, opts.max_file_size)? {
        Contents::Text(len) => worker.scan_bytes(name, len),
        Contents::Binary => worker.result.skip("binary"),
        Contents::TooLarge => worker.result.skip("too-large"),
    }
    drop(worker);
    Ok(total.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// What [`read_file`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contents {
    /// A text file of this many bytes, now in the buffer.
    Text(usize),
    /// A NUL in the first [`BINARY_SNIFF_LEN`] bytes (how git and ripgrep judge).
    Binary,
    /// More than the size limit.
    TooLarge,
}

/// Reads a file into `buf`, which keeps its length (zero-filled when it grows) so that
/// reads go straight into it: one `read` for most files plus the one that sees the end,
/// no `stat`. Stops early at a NUL in the head (binary) or past `max` bytes.
fn read_file(file: &mut impl Read, buf: &mut Vec<u8>, max: u64) -> std::io::Result<Contents> {
    // One byte over the limit tells a too-large file from one exactly at it.
    let limit = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
    let mut filled = 0;
    let mut sniffed = false;
    loop {
        if !sniffed && filled >= BINARY_SNIFF_LEN {
            if buf[..BINARY_SNIFF_LEN].contains(&0)
                && !crate::detect::utf16::has_bom(&buf[..filled])
            {
                return Ok(Contents::Binary);
            }
            sniffed = true;
        }
        if filled >= limit {
            return Ok(Contents::TooLarge);
        }
        if filled == buf.len() {
            let grown = (buf.len() * 2).clamp(READ_CHUNK, limit.max(READ_CHUNK));
            buf.resize(grown, 0);
        }
        let end = buf.len().min(limit);
        match file.read(&mut buf[filled..end]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if !sniffed && buf[..filled].contains(&0) && !crate::detect::utf16::has_bom(&buf[..filled]) {
        return Ok(Contents::Binary);
    }
    Ok(Contents::Text(filled))
}

/// Smallest read buffer; it grows to the largest file a thread reads.
const READ_CHUNK: usize = 64 * 1024;

/// Collapses an error message to one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, like a pipe or a slow disk.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read(data: &[u8], step: usize, max: u64) -> (Contents, Vec<u8>) {
        let mut buf = Vec::new();
        let got = read_file(&mut Trickle { data, step }, &mut buf, max).expect("reads");
        (got, buf)
    }

    #[test]
    fn reads_text_whole_in_any_chunking() {
        let text: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        for step in [1, 7, 4096, 65_536, 1 << 20] {
            // Byte-at-a-time reads of the whole text would be slow for nothing.
            let len = if step == 1 { 20_000 } else { text.len() };
            let (got, buf) = read(&text[..len], step, 1 << 20);
            assert_eq!(got, Contents::Text(len), "step {step}");
            assert_eq!(&buf[..len], &text[..len]);
        }
        assert_eq!(read(b"", 10, 100).0, Contents::Text(0));
    }

    #[test]
    fn a_nul_in_the_head_is_binary_and_later_is_text() {
        let mut data = vec![b'x'; 100_000];
        data[8_000] = 0;
        assert_eq!(read(&data, 100, 1 << 20).0, Contents::Binary);
        data[8_000] = b'x';
        data[9_000] = 0;
        assert_eq!(read(&data, 100, 1 << 20).0, Contents::Text(100_000));
        assert_eq!(read(b"ab\0", 1, 100).0, Contents::Binary);
    }

    #[test]
    fn the_size_limit_is_inclusive() {
        let data = vec![b'x'; 5_000];
        assert_eq!(read(&data, 512, 5_000).0, Contents::Text(5_000));
        assert_eq!(read(&data, 512, 4_999).0, Contents::TooLarge);
        assert_eq!(read(&data, 512, 0).0, Contents::TooLarge);
        assert_eq!(read(b"", 512, 0).0, Contents::Text(0));
    }
}
