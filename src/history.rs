//! `scan --git`: history as distinct blobs. One `git log --raw` lists, per commit, the
//! blobs its tree diff introduces (no content diffs); each distinct (blob, path) is read
//! once through `git cat-file --batch` (one process per worker thread) and scanned once
//! by the shared [`Worker`]; findings are then attributed to the oldest commit that added
//! them, and [`crate::lineage`] follows each credential through the commits.
//!
//! Semantics: a commit *adds* a secret (rule and value) when one of the blobs it
//! introduces holds it and none of the blobs it replaces or deletes does (so a rename
//! or a move within one commit adds nothing, and a range `A..B` reports only what its
//! commits add to the versions before them). Merge commits are diffed against their
//! first parent only (`--diff-merges=first-parent`): what a merge brings from its other
//! parents is attributed to the older commits on that side, and a conflict resolution
//! that writes a new value is attributed to the merge. Textconv and external diff
//! drivers are off, submodules and symlinks are not followed.

use crate::finding::{CommitInfo, Finding};
use crate::git::{Blob, HistoryStats, finish, git, next_blob, rev_args};
use crate::outcome::ScanResult;
use crate::scan::Engine;
use crate::source::Worker;
use crate::walk::{WalkOptions, one_line};
use anyhow::{Context, anyhow, bail};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// No blob on this side of a change (an added or deleted file).
pub const NONE: u32 = u32::MAX;

/// One commit of the log, in `git log --topo-order` order (children before parents).
#[derive(Debug, Clone)]
pub struct Commit {
    /// Id, author and author date.
    pub info: Arc<CommitInfo>,
    /// The first parent's id, if any (diffs are against it).
    pub first_parent: Option<String>,
    /// This commit's changes: `changes[range]` of the [`History`].
    pub changes: std::ops::Range<usize>,
}

/// One file a commit's tree diff touched: blob indices before and after (or [`NONE`]).
#[derive(Debug, Clone, Copy)]
pub struct Change {
    /// Index into [`History::paths`].
    pub path: u32,
    /// Blob the parent had at `path`.
    pub old: u32,
    /// Blob this commit has at `path`.
    pub new: u32,
}

/// The scanned history: commits, their changes, and what each (blob, path) holds.
#[derive(Debug, Default)]
pub struct History {
    /// Commits, newest first (topological order).
    pub commits: Vec<Commit>,
    /// Every change, grouped by commit.
    pub changes: Vec<Change>,
    /// Interned paths.
    pub paths: Vec<Arc<str>>,
    /// Interned blob ids (hex).
    pub blobs: Vec<Arc<str>>,
    /// Findings (and whether an inline comment hides each) per (blob, path) that has any.
    pub found: HashMap<(u32, u32), Found>,
}

/// A (blob, path) pair's findings, each with whether an inline comment hides it.
pub type Found = Vec<(Finding, bool)>;

/// The identity of a credential across paths and commits: rule and value.
pub type Key = (String, String);

impl History {
    /// The credential keys of the blob `blob` at `path` (empty for [`NONE`]).
    pub fn keys(&self, blob: u32, path: u32) -> impl Iterator<Item = Key> + '_ {
        self.found
            .get(&(blob, path))
            .into_iter()
            .flatten()
            .filter_map(|(f, _)| Some((f.rule_id.clone(), f.secret.clone()?)))
    }
}

/// Scans the history of `range` (default `HEAD`; `--all` and friends allowed) and
/// reports each secret once, at the oldest commit that added it.
pub fn scan_history(
    dir: &Path,
    range: &str,
    opts: &WalkOptions,
    engine: &Engine,
) -> anyhow::Result<(ScanResult, HistoryStats, History)> {
    let revs = rev_args(range)?;
    let mut stats = HistoryStats::default();
    let mut history = History::default();
    let mut result = ScanResult::default();
    let mut interner = Interner::default();
    let mut missing: HashSet<(u32, u32)> = HashSet::new();
    // When `git log` stops at an object it cannot read (a missing tree), the commit it
    // was on is recorded as unreadable and the commits after it are listed again, from
    // there, so the rest of the history is still scanned.
    let mut remaining: Option<Vec<String>> = None;
    loop {
        let run = run_log(
            dir,
            &revs,
            remaining.as_deref(),
            opts,
            engine,
            &mut history,
            &mut interner,
        )?;
        result.merge(run.result);
        missing.extend(run.missing);
        let Some(err) = run.failure else { break };
        let Some(failed) = history.commits.last().map(|c| c.info.id.clone()) else {
            bail!("{}: git log {range}: {err}", dir.display());
        };
        stats.unreadable.push((failed.clone(), err));
        let all = match &remaining {
            Some(list) => list.clone(),
            None => {
                let mut args = vec!["rev-list".to_string(), "--topo-order".to_string()];
                args.extend(revs.iter().cloned());
                args.push("--".to_string());
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                String::from_utf8_lossy(&crate::git::git_output(dir, &refs)?)
                    .lines()
                    .map(str::to_string)
                    .collect()
            }
        };
        let after: Vec<String> = all
            .iter()
            .skip_while(|c| **c != failed)
            .skip(1)
            .cloned()
            .collect();
        if after.is_empty() {
            break;
        }
        remaining = Some(after);
    }
    stats.commits = history.commits.len() as u64;
    stats.last_commit = history.commits.last().map(|c| c.info.id.clone());
    // Commits that introduce a blob git could not read.
    if !missing.is_empty() {
        for c in &history.commits {
            let hit = history.changes[c.changes.clone()]
                .iter()
                .find(|ch| missing.contains(&(ch.new, ch.path)));
            if let Some(ch) = hit {
                stats.unreadable.push((
                    c.info.id.clone(),
                    format!(
                        "blob {} of {} missing",
                        history.blobs[ch.new as usize], history.paths[ch.path as usize]
                    ),
                ));
            }
        }
    }
    let (findings, suppressed) = attribute(&history);
    result.findings = findings;
    result.suppressed_inline = suppressed;
    Ok((result, stats, history))
}

/// Per fingerprint, the finding at the oldest commit that added its secret (see the
/// module doc), with that commit; reported and inline-suppressed findings apart.
/// Rule, path and [`crate::finding::Fingerprint::identity`] of a finding.
type SeenKey<'a> = (&'a str, &'a str, (u8, &'a str));

fn attribute(h: &History) -> (Vec<Finding>, Vec<Finding>) {
    // Reported and hidden findings apart: a secret whose `tokenward:allow` comment a
    // later commit drops is reported at that commit.
    // By rule, path and cheap fingerprint identity: the slow fingerprints are derived
    // later, only if the report shows them.
    let mut seen: [HashSet<SeenKey>; 2] = Default::default();
    let mut out = (Vec::new(), Vec::new());
    for c in h.commits.iter().rev() {
        let changes = &h.changes[c.changes.clone()];
        if !changes
            .iter()
            .any(|ch| h.found.contains_key(&(ch.new, ch.path)))
        {
            continue;
        }
        // What the replaced blobs held, reported ([0]) and any ([1]).
        let mut removed: [HashSet<Key>; 2] = Default::default();
        for ch in changes {
            for (f, hidden) in h.found.get(&(ch.old, ch.path)).into_iter().flatten() {
                let key = (f.rule_id.clone(), f.secret.clone().unwrap_or_default());
                if !hidden {
                    removed[0].insert(key.clone());
                }
                removed[1].insert(key);
            }
        }
        for ch in changes {
            for (f, hidden) in h.found.get(&(ch.new, ch.path)).into_iter().flatten() {
                let i = usize::from(*hidden);
                let key = (f.rule_id.clone(), f.secret.clone().unwrap_or_default());
                if removed[i].contains(&key)
                    || !seen[i].insert((&f.rule_id, &f.path, f.fingerprint.identity()))
                {
                    continue;
                }
                let mut f = f.clone();
                f.commit = Some((*c.info).clone());
                if *hidden {
                    out.1.push(f);
                } else {
                    out.0.push(f);
                }
            }
        }
    }
    out
}

/// Interned paths and blob ids, and the (blob, path) pairs already sent to a worker.
#[derive(Default)]
struct Interner {
    paths: HashMap<Arc<str>, u32>,
    blobs: HashMap<Arc<str>, u32>,
    sent: HashSet<(u32, u32)>,
}

impl Interner {
    fn path(&mut self, h: &mut History, p: &str) -> u32 {
        if let Some(&i) = self.paths.get(p) {
            return i;
        }
        let a: Arc<str> = Arc::from(p);
        let i = h.paths.len() as u32;
        h.paths.push(Arc::clone(&a));
        self.paths.insert(a, i);
        i
    }

    fn blob(&mut self, h: &mut History, id: &str) -> u32 {
        if let Some(&i) = self.blobs.get(id) {
            return i;
        }
        let a: Arc<str> = Arc::from(id);
        let i = h.blobs.len() as u32;
        h.blobs.push(Arc::clone(&a));
        self.blobs.insert(a, i);
        i
    }
}

/// One blob to read and scan.
struct Job {
    blob: u32,
    path: u32,
    id: Arc<str>,
    shown: Arc<str>,
}

/// What one scanner thread produced.
#[derive(Default)]
struct Scanned {
    result: ScanResult,
    found: Vec<((u32, u32), Found)>,
}

/// What one `git log` run produced.
struct LogRun {
    result: ScanResult,
    missing: Vec<(u32, u32)>,
    /// git's error when it stopped early.
    failure: Option<String>,
}

/// Blobs per request to a `git cat-file` process.
const JOB_BATCH: usize = 64;

/// Runs `git log --raw` over `revs` (or exactly the commits `only`), appending commits
/// and changes to `h`, while worker threads read and scan the new (blob, path) pairs.
fn run_log(
    dir: &Path,
    revs: &[String],
    only: Option<&[String]>,
    opts: &WalkOptions,
    engine: &Engine,
    h: &mut History,
    interner: &mut Interner,
) -> anyhow::Result<LogRun> {
    let mut cmd = git(dir);
    cmd.args([
        "log",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "-z",
        "--topo-order",
        "--diff-merges=first-parent",
        "--root",
        "--no-textconv",
        "--no-ext-diff",
        "--ignore-submodules",
        "--format=%x01%H %P%x00%aI%x00%an <%ae>",
    ])
    .stdin(if only.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    match only {
        Some(_) => cmd.args(["--no-walk=unsorted", "--stdin"]),
        None => cmd.args(revs),
    };
    cmd.arg("--");
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot run `git` ({e}); install git or put it on PATH"))?;
    if let (Some(list), Some(mut stdin)) = (only, child.stdin.take()) {
        let text: String = list.iter().map(|c| format!("{c}\n")).collect();
        // A writer thread: git may start writing before it has read all of stdin.
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    let stdout = child.stdout.take().context("git log: no stdout")?;
    let mut stderr = child.stderr.take().context("git log: no stderr")?;
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let threads = opts.threads.max(1);
    let (tx, rx) = mpsc::sync_channel::<Vec<Job>>(4);
    let (blob_tx, blob_rx) = mpsc::sync_channel::<Vec<Read1>>(threads * 2);
    let blob_rx = Mutex::new(blob_rx);
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    let kept = AtomicUsize::new(0);
    let (parsed, read, scanned) = std::thread::scope(|s| {
        let reader = s.spawn(|| read_blobs(dir, rx, blob_tx, free_rx, opts.max_file_size));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let free = free_tx.clone();
                let blob_rx = &blob_rx;
                let kept = &kept;
                s.spawn(move || scan_blobs(blob_rx, free, engine, opts.max_file_size, kept))
            })
            .collect();
        drop(free_tx);
        let parsed = parse_raw(BufReader::with_capacity(1 << 20, stdout), h, interner, &tx);
        drop(tx);
        let read = reader
            .join()
            .map_err(|p| crate::source::panic_message(p.as_ref()));
        let scanned: Vec<Result<Scanned, String>> = workers
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|p| crate::source::panic_message(p.as_ref()))
            })
            .collect();
        (parsed, read, scanned)
    });
    let status = child.wait()?;
    let err = err_reader.join().unwrap_or_default();
    parsed?;
    let mut run = LogRun {
        result: ScanResult::default(),
        missing: Vec::new(),
        failure: (!status.success()).then(|| one_line(&err)),
    };
    match read {
        Ok(Ok(missing)) => {
            for &(b, p) in &missing {
                run.result.error(
                    "unreadable",
                    format!(
                        "{}: blob {} cannot be read",
                        h.paths[p as usize], h.blobs[b as usize]
                    ),
                );
            }
            run.missing.extend(missing);
        }
        Ok(Err(e)) => bail!("{e:#}"),
        Err(msg) => bail!("git cat-file reader failed: {}", one_line(&msg)),
    }
    let capped_before = run
        .result
        .stats
        .skipped
        .get(FINDINGS_CAP)
        .copied()
        .unwrap_or(0);
    for s in scanned {
        match s {
            Ok(s) => {
                run.result.merge(s.result);
                h.found.extend(s.found);
            }
            Err(msg) => run.result.error(
                crate::source::INTERNAL_ERROR,
                format!(
                    "history scanner thread failed ({}); the blobs it had taken were not scanned",
                    one_line(&msg)
                ),
            ),
        }
    }
    let capped = run
        .result
        .stats
        .skipped
        .get(FINDINGS_CAP)
        .copied()
        .unwrap_or(0)
        - capped_before;
    if capped > 0 {
        run.result.errors.push(format!(
            "history: more than {} findings; those of {capped} more blob versions were not kept (coverage reduced: scan a narrower range, or clean up the flagged files first)",
            findings_cap()
        ));
    }
    Ok(run)
}

/// Most findings a history scan keeps in memory (each blob version of a file holding
/// many matches, rewritten in thousands of commits, would otherwise keep them all);
/// past it, blob versions' findings are counted under [`FINDINGS_CAP`] and said.
/// `TOKENWARD_MAX_HISTORY_FINDINGS` lowers it (for tests and small machines).
pub const MAX_HISTORY_FINDINGS: usize = 200_000;

/// [`MAX_HISTORY_FINDINGS`], or the lower limit the environment sets.
fn findings_cap() -> usize {
    std::env::var("TOKENWARD_MAX_HISTORY_FINDINGS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(MAX_HISTORY_FINDINGS, |n| n.min(MAX_HISTORY_FINDINGS))
}

/// Skip reason of a blob version whose findings were past [`MAX_HISTORY_FINDINGS`].
pub const FINDINGS_CAP: &str = "findings-cap";

/// Parses `git log --raw -z` output into commits and changes, sending each new
/// (blob, path) pair to the workers.
fn parse_raw(
    mut input: impl BufRead,
    h: &mut History,
    interner: &mut Interner,
    tx: &mpsc::SyncSender<Vec<Job>>,
) -> anyhow::Result<()> {
    let mut field = Vec::with_capacity(256);
    let mut batch: Vec<Job> = Vec::new();
    let mut header: Option<(String, Option<String>)> = None;
    let mut date: Option<String> = None;
    // The `:meta` field waiting for its path.
    let mut meta: Option<Vec<u8>> = None;
    let mut hung_up = false;
    let close = |h: &mut History| {
        if let Some(c) = h.commits.last_mut() {
            c.changes.end = h.changes.len();
        }
    };
    loop {
        field.clear();
        if read_field(&mut input, &mut field, MAX_FIELD)? == 0 {
            break;
        }
        let f = field.strip_suffix(b"\0").unwrap_or(&field);
        if let Some(m) = meta.take() {
            let path = String::from_utf8_lossy(f);
            add_change(h, interner, &m, &path, &mut batch);
            if batch.len() >= JOB_BATCH {
                // With every worker gone, jobs are dropped (the failure is reported).
                hung_up = hung_up || tx.send(std::mem::take(&mut batch)).is_err();
                batch.clear();
            }
            continue;
        }
        if let Some((id, parent)) = header.take() {
            match date.take() {
                None => {
                    date = Some(String::from_utf8_lossy(f).into_owned());
                    header = Some((id, parent));
                }
                Some(d) => {
                    close(h);
                    let start = h.changes.len();
                    h.commits.push(Commit {
                        info: Arc::new(CommitInfo {
                            id,
                            author: String::from_utf8_lossy(f).into_owned(),
                            date: d,
                        }),
                        first_parent: parent,
                        changes: start..start,
                    });
                }
            }
            continue;
        }
        let f = trim_newlines(f);
        if let Some(rest) = f.strip_prefix(b"\x01") {
            let text = String::from_utf8_lossy(rest);
            let mut ids = text.split(' ');
            let id = ids.next().unwrap_or_default().to_string();
            if id.is_empty() {
                bail!("unexpected `git log` commit header: {}", one_line(&text));
            }
            header = Some((id, ids.next().filter(|p| !p.is_empty()).map(str::to_string)));
        } else if f.starts_with(b":") {
            meta = Some(f.to_vec());
        }
    }
    close(h);
    if !batch.is_empty() && !hung_up {
        let _ = tx.send(batch);
    }
    Ok(())
}

/// Longest `git log` field kept (a path); the rest of a longer one is skipped.
const MAX_FIELD: usize = 64 * 1024;

fn trim_newlines(mut f: &[u8]) -> &[u8] {
    while let Some(rest) = f.strip_prefix(b"\n") {
        f = rest;
    }
    f
}

/// Records one `:oldmode newmode old new status` change of the current commit, and
/// queues a job for each (blob, path) pair never seen before.
fn add_change(h: &mut History, it: &mut Interner, meta: &[u8], path: &str, jobs: &mut Vec<Job>) {
    if h.commits.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(meta);
    let parts: Vec<&str> = text.trim_start_matches(':').split(' ').collect();
    let [old_mode, new_mode, old, new, ..] = parts[..] else {
        return;
    };
    let is_file = |mode: &str| matches!(mode, "100644" | "100755" | "100664");
    let null = |id: &str| id.bytes().all(|b| b == b'0');
    let p = it.path(h, path);
    let old = if is_file(old_mode) && !null(old) {
        it.blob(h, old)
    } else {
        NONE
    };
    let new = if is_file(new_mode) && !null(new) {
        it.blob(h, new)
    } else {
        NONE
    };
    if old == NONE && new == NONE {
        return;
    }
    h.changes.push(Change { path: p, old, new });
    // The replaced side is read too: a range's first commits replace blobs from before
    // the range, and what they held is not "added". In a whole history it is always
    // some older commit's new side, so this costs nothing there.
    for b in [new, old] {
        if b != NONE && it.sent.insert((b, p)) {
            jobs.push(Job {
                blob: b,
                path: p,
                id: Arc::clone(&h.blobs[b as usize]),
                shown: Arc::clone(&h.paths[p as usize]),
            });
        }
    }
}

/// Reads one NUL-terminated field (with its NUL) into `out`, keeping at most `cap`
/// bytes; returns the bytes consumed (0 at the end).
fn read_field(input: &mut impl BufRead, out: &mut Vec<u8>, cap: usize) -> std::io::Result<usize> {
    let mut consumed = 0;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(consumed);
        }
        let (take, done) = match memchr::memchr(0, buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&buf[..take.min(room)]);
        input.consume(take);
        consumed += take;
        if done {
            return Ok(consumed);
        }
    }
}

/// One blob as read for a scanner thread.
struct Read1 {
    job: Job,
    /// The content, or `None` when it was over the size limit (read past).
    content: Option<Vec<u8>>,
}

/// Bytes of blob content per batch handed to the scanner threads.
const READ_BATCH_BYTES: usize = 1 << 20;

/// The reader thread: one `git cat-file --batch` process reads every blob the parser
/// asks for, in log order, and hands the contents to the scanner threads. One process,
/// not one per thread: consecutive versions of a file are deltas of each other, and one
/// process inflates each shared delta base once (two processes over interleaved
/// batches spent twice the CPU in git on a 12,000-commit history). Returns the
/// (blob, path) pairs git could not read.
fn read_blobs(
    dir: &Path,
    rx: mpsc::Receiver<Vec<Job>>,
    tx: mpsc::SyncSender<Vec<Read1>>,
    free: mpsc::Receiver<Vec<u8>>,
    max: u64,
) -> anyhow::Result<Vec<(u32, u32)>> {
    let (child, mut stdin, mut out) = crate::git::cat_file_batch(dir)?;
    let mut missing = Vec::new();
    let mut header = Vec::new();
    let mut buf = Vec::new();
    // The writer asks for the next batch while this thread reads the last one: both
    // pipes keep moving, and neither side waits on a full pipe.
    let (local_tx, local_rx) = mpsc::sync_channel::<Vec<Job>>(2);
    let outcome = std::thread::scope(|s| -> anyhow::Result<()> {
        s.spawn(move || {
            for batch in rx {
                let ids: String = batch.iter().map(|j| format!("{}\n", j.id)).collect();
                if stdin.write_all(ids.as_bytes()).is_err() || local_tx.send(batch).is_err() {
                    break;
                }
            }
            drop(stdin);
        });
        let mut out_batch: Vec<Read1> = Vec::new();
        let mut bytes = 0;
        for batch in local_rx {
            for job in batch {
                if buf.capacity() == 0 {
                    // A buffer a scanner is done with: its pages are already mapped
                    // (fresh ones cost a page fault and zeroing each).
                    buf = free.try_recv().unwrap_or_default();
                }
                let content = match next_blob(&mut out, &mut header, &mut buf, max)? {
                    Blob::Content(_) => Some(std::mem::take(&mut buf)),
                    Blob::TooLarge => None,
                    Blob::Missing => {
                        missing.push((job.blob, job.path));
                        continue;
                    }
                };
                bytes += content.as_ref().map_or(0, Vec::len) + 64;
                out_batch.push(Read1 { job, content });
                if bytes >= READ_BATCH_BYTES {
                    bytes = 0;
                    if tx.send(std::mem::take(&mut out_batch)).is_err() {
                        // Every scanner is gone; their failure is reported.
                        return Ok(());
                    }
                }
            }
        }
        if !out_batch.is_empty() {
            let _ = tx.send(out_batch);
        }
        Ok(())
    });
    drop(tx);
    // On a read error the writer may still hold a batch: dropping the process's
    // output lets it fail and stop.
    drop(out);
    let finished = finish(child, "cat-file");
    outcome?;
    finished?;
    Ok(missing)
}

/// A scanner thread: one [`Worker`] over the blobs the reader hands out.
fn scan_blobs(
    rx: &Mutex<mpsc::Receiver<Vec<Read1>>>,
    free: mpsc::Sender<Vec<u8>>,
    engine: &Engine,
    max: u64,
    kept: &AtomicUsize,
) -> Scanned {
    let cap = findings_cap();
    let mut worker = Worker::new(engine, max).secrets_only();
    let mut scanned = Scanned::default();
    loop {
        let batch = match rx.lock() {
            Ok(r) => r.recv(),
            Err(p) => p.into_inner().recv(),
        };
        let Ok(batch) = batch else { break };
        for Read1 { job, content } in batch {
            let Some(content) = content else {
                worker.skip("too-large");
                continue;
            };
            let outcome = worker.scan_blob(&job.shown, &content);
            // Back to the reader; at most as many buffers circulate as blobs in flight.
            let _ = free.send(content);
            let Some(o) = outcome else {
                continue;
            };
            scanned
                .result
                .errors
                .extend(o.error.map(|e| format!("{e} (blob {})", job.id)));
            scanned.result.stats.import_dropped += o.import_dropped;
            let mut all: Vec<(Finding, bool)> =
                o.findings.into_iter().map(|f| (f, false)).collect();
            all.extend(o.suppressed_inline.into_iter().map(|f| (f, true)));
            if !all.is_empty() {
                if kept.fetch_add(all.len(), Ordering::Relaxed) + all.len() > cap {
                    kept.fetch_sub(all.len(), Ordering::Relaxed);
                    scanned.result.skip(FINDINGS_CAP);
                    continue;
                }
                crate::term::PROGRESS.found(all.len());
                scanned.found.push(((job.blob, job.path), all));
            }
        }
    }
    let mut result = worker.finish();
    result.merge(std::mem::take(&mut scanned.result));
    scanned.result = result;
    scanned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(stream: &[u8]) -> (History, Vec<Job>) {
        let mut h = History::default();
        let mut it = Interner::default();
        let (tx, rx) = mpsc::sync_channel(100);
        parse_raw(stream, &mut h, &mut it, &tx).expect("parse");
        drop(tx);
        (h, rx.into_iter().flatten().collect())
    }

    #[test]
    fn raw_log_records_commits_changes_and_hostile_paths() {
        let b1 = "1".repeat(40);
        let b2 = "2".repeat(40);
        let zero = "0".repeat(40);
        let mut s = Vec::new();
        // A merge (two parents) changing a file whose name holds a newline and \x01.
        s.extend_from_slice(
            format!(
                "\x01{} {} {}\0",
                "c".repeat(40),
                "p".repeat(40),
                "q".repeat(40)
            )
            .as_bytes(),
        );
        s.extend_from_slice(b"2024-01-02T03:04:05+00:00\0Ann <ann@example.com>\0\n");
        s.extend_from_slice(format!(":100644 100644 {b1} {b2} M\0odd\nname\x01.env\0").as_bytes());
        // Deleted file, a symlink and a submodule: no jobs.
        s.extend_from_slice(format!(":100644 000000 {b1} {zero} D\0gone.txt\0").as_bytes());
        s.extend_from_slice(format!(":000000 120000 {zero} {b2} A\0link\0").as_bytes());
        s.extend_from_slice(format!(":000000 160000 {zero} {b2} A\0sub\0").as_bytes());
        // A root commit with no changes.
        s.extend_from_slice(format!("\x01{}\0", "r".repeat(40)).as_bytes());
        s.extend_from_slice(b"2023-01-01T00:00:00Z\0Bo <bo@example.com>\0");
        let (h, jobs) = parse(&s);
        assert_eq!(h.commits.len(), 2);
        let c = &h.commits[0];
        assert_eq!(c.info.id, "c".repeat(40));
        assert_eq!(c.first_parent.as_deref(), Some("p".repeat(40).as_str()));
        assert_eq!(c.info.author, "Ann <ann@example.com>");
        assert_eq!(c.info.date, "2024-01-02T03:04:05+00:00");
        assert_eq!(c.changes, 0..2);
        assert_eq!(h.commits[1].first_parent, None);
        assert_eq!(h.commits[1].changes, 2..2);
        let ch = h.changes[0];
        assert_eq!(&*h.paths[ch.path as usize], "odd\nname\x01.env");
        assert_eq!(&*h.blobs[ch.new as usize], b2);
        assert_eq!(&*h.blobs[ch.old as usize], b1);
        assert_eq!(h.changes[1].new, NONE);
        // The modified file's new and old versions, and the deleted file's old one
        // (same blob, another path: scanned under its own path).
        let shown: Vec<&str> = jobs.iter().map(|j| &*j.shown).collect();
        assert_eq!(
            shown,
            vec!["odd\nname\x01.env", "odd\nname\x01.env", "gone.txt"]
        );
    }
}
