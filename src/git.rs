//! Git sources for `scan`: `--staged` reads the blobs staged in the index, `--git
//! [REV-RANGE]` reads the lines each commit added from one `git log -p` stream. Both
//! feed the same per-file engine as the walk and return a [`ScanResult`], so
//! suppression, reporting and exit codes stay shared with a plain scan.
//!
//! Both shell out to the `git` command rather than linking `gix`: `git log -p` is
//! git's own, heavily optimised diff machinery (delta-aware pack reads, rename
//! detection, the user's `.mailmap`-free raw author data), it is already on every
//! machine that has a repository to scan, and it keeps the build lean.

use crate::detect::matcher::Matcher;
use crate::finding::{CommitInfo, Finding};
use crate::scan::Engine;
use crate::walk::{ScanResult, WalkOptions, one_line};
use anyhow::{Context, anyhow, bail};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};

/// Settings that make git's output the same whatever the user's configuration says.
const STABLE_CONFIG: &[&str] = &[
    "core.quotePath=false",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "diff.external=",
    "log.showSignature=false",
    "log.showRoot=true",
    "color.ui=false",
];

/// A `git` command run in `dir` with output-shaping configuration pinned.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir);
    for kv in STABLE_CONFIG {
        c.args(["-c", kv]);
    }
    c.env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .env_remove("GIT_PAGER");
    c
}

/// Runs `git args` in `dir` and returns its standard output, or git's own error.
fn git_output(dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = git(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| anyhow!("cannot run `git` ({e}); install git or put it on PATH"))?;
    if !out.status.success() {
        bail!(
            "{}: git {}: {}",
            dir.display(),
            args.first().copied().unwrap_or_default(),
            one_line(&String::from_utf8_lossy(&out.stderr))
        );
    }
    Ok(out.stdout)
}

/// The one directory a git scan runs in: the scan paths must name exactly one
/// directory inside a repository.
pub fn repo_dir(paths: &[PathBuf]) -> anyhow::Result<&Path> {
    match paths {
        [only] if only.is_dir() => Ok(only),
        [only] => bail!(
            "{}: --staged and --git take a directory inside a git repository",
            only.display()
        ),
        _ => bail!("--staged and --git scan one repository; give at most one PATH"),
    }
}

/// The hooks directory of the repository around `dir`, honouring `core.hooksPath`.
pub fn hooks_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let out = git_output(dir, &["rev-parse", "--git-path", "hooks"])?;
    let rel = String::from_utf8_lossy(&out)
        .trim_end_matches('\n')
        .to_string();
    Ok(dir.join(rel))
}

/// Scans the content staged in the index (added, copied, modified, renamed files),
/// not the working tree. Paths are relative to the repository root.
pub fn scan_staged(dir: &Path, opts: &WalkOptions, engine: &Engine) -> anyhow::Result<ScanResult> {
    let raw = git_output(
        dir,
        &[
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--ignore-submodules",
            "--diff-filter=ACMR",
        ],
    )?;
    let mut result = ScanResult::default();
    let mut staged: Vec<(String, String)> = Vec::new();
    let mut fields = raw.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
        // `:100644 100644 <old> <new> M`: the new blob and its mode.
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let (Some(mode), Some(sha)) = (parts.get(1), parts.get(3)) else {
            bail!("unexpected `git diff --raw` output: {meta}");
        };
        let path = String::from_utf8_lossy(path).into_owned();
        match *mode {
            "100644" | "100755" => staged.push((sha.to_string(), path)),
            "120000" => bump(&mut result, "symlink"),
            _ => bump(&mut result, "submodule"),
        }
    }
    if staged.is_empty() {
        return Ok(result);
    }
    let mut matcher = Matcher::default();
    read_blobs(dir, &staged, opts.max_file_size, |i, blob| {
        let path = &staged[i].1;
        let content = match blob {
            Blob::Content(c) => c,
            Blob::TooLarge => return bump(&mut result, "too-large"),
            Blob::Missing => {
                bump(&mut result, "unreadable");
                result
                    .errors
                    .push(format!("{path}: staged blob {} is missing", staged[i].0));
                return;
            }
        };
        let wide = crate::detect::utf16::decode_with_bom(content);
        let content = wide.as_ref().map_or(content, |s| s.as_bytes());
        if content[..content.len().min(8192)].contains(&0) {
            return bump(&mut result, "binary");
        }
        result.stats.files += 1;
        result.stats.bytes += content.len() as u64;
        if std::str::from_utf8(content).is_err() {
            result.stats.non_utf8 += 1;
        }
        let outcome = engine.scan_file(&mut matcher, path, content);
        result.stats.import_dropped += outcome.import_dropped;
        result.findings.extend(outcome.findings);
        result.suppressed_inline.extend(outcome.suppressed_inline);
        result.errors.extend(outcome.error);
    })?;
    Ok(result)
}

fn bump(result: &mut ScanResult, reason: &str) {
    *result.stats.skipped.entry(reason.to_string()).or_default() += 1;
}

/// One blob read from `git cat-file --batch`.
enum Blob<'a> {
    Content(&'a [u8]),
    TooLarge,
    Missing,
}

/// Reads the blobs `ids[i].0` through one `git cat-file --batch` process and calls
/// `each(i, blob)` in order. Blobs over `max_size` are read past, not kept.
fn read_blobs(
    dir: &Path,
    ids: &[(String, String)],
    max_size: u64,
    mut each: impl FnMut(usize, Blob),
) -> anyhow::Result<()> {
    let mut child = git(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot run `git` ({e}); install git or put it on PATH"))?;
    let mut stdin = child.stdin.take().context("git cat-file: no stdin")?;
    let request: Vec<u8> = ids
        .iter()
        .flat_map(|(sha, _)| format!("{sha}\n").into_bytes())
        .collect();
    // Write on another thread: git answers while we ask, and both pipes can fill.
    let writer = std::thread::spawn(move || stdin.write_all(&request));
    let mut out = BufReader::with_capacity(
        1 << 16,
        child.stdout.take().context("git cat-file: no stdout")?,
    );
    let mut header = Vec::new();
    let mut buf = Vec::new();
    for i in 0..ids.len() {
        header.clear();
        out.read_until(b'\n', &mut header)?;
        let h = String::from_utf8_lossy(&header);
        let mut parts = h.split_whitespace();
        let (_, kind, size) = (parts.next(), parts.next(), parts.next());
        let size = match (kind, size.and_then(|s| s.parse::<u64>().ok())) {
            (Some(_), Some(size)) => size,
            _ => {
                each(i, Blob::Missing);
                continue;
            }
        };
        buf.clear();
        if size > max_size {
            // Read past without keeping it: memory stays bounded by the size limit.
            std::io::copy(&mut (&mut out).take(size + 1), &mut std::io::sink())?;
            each(i, Blob::TooLarge);
        } else {
            (&mut out).take(size + 1).read_to_end(&mut buf)?;
            buf.pop(); // the newline after the content
            each(i, Blob::Content(&buf));
        }
    }
    writer
        .join()
        .map_err(|_| anyhow!("git cat-file: writer panicked"))??;
    finish(child, "cat-file")
}

/// Waits for `child` and turns a failure into git's own message.
fn finish(mut child: Child, what: &str) -> anyhow::Result<()> {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("git {what}: {}", one_line(&err));
    }
    Ok(())
}

/// The lines one commit added to one file, in file order.
struct Change {
    /// Position of the commit in `git log` order (larger is older).
    seq: usize,
    commit: Arc<CommitInfo>,
    path: String,
    /// The added lines, each with its newline.
    content: Vec<u8>,
    /// `lines[i]` is the line number, in the commit's file, of line `i + 1` of `content`.
    lines: Vec<usize>,
    /// The added lines passed the size limit: `content` was dropped, the change is
    /// counted as too large.
    oversized: bool,
}

/// Revision arguments for `git log` from the user's REV-RANGE: whitespace-separated
/// revisions; options other than the ref-selecting ones are refused so that a range
/// can never smuggle in an option such as `--output`.
fn rev_args(range: &str) -> anyhow::Result<Vec<String>> {
    const ALLOWED: &[&str] = &["--all", "--branches", "--tags", "--remotes"];
    let revs: Vec<String> = range.split_whitespace().map(str::to_string).collect();
    for r in &revs {
        if r.starts_with('-') && !ALLOWED.contains(&r.as_str()) {
            bail!(
                "--git `{r}`: a revision range cannot be an option (allowed: {})",
                ALLOWED.join(", ")
            );
        }
    }
    if revs.is_empty() {
        return Ok(vec!["HEAD".to_string()]);
    }
    Ok(revs)
}

/// What a history scan read, besides findings.
#[derive(Debug, Default, Clone)]
pub struct HistoryStats {
    /// Commits read (merges included; their diffs are not shown by `git log -p`).
    pub commits: u64,
    /// Commits git could not read in full (an object missing or corrupt), with git's
    /// message; their readable changes were still scanned.
    pub unreadable: Vec<(String, String)>,
    /// The last commit whose header was read (where a failing `git log` stopped).
    pub last_commit: Option<String>,
}

impl HistoryStats {
    /// The one line that says the history scan was partial.
    pub fn partial_message(&self) -> String {
        let named: Vec<String> = self
            .unreadable
            .iter()
            .take(5)
            .map(|(c, e)| format!("{} ({e})", c.get(..12).unwrap_or(c)))
            .collect();
        let more = self.unreadable.len().saturating_sub(5);
        format!(
            "partial history: {} could not be read in full and may hide findings: {}{}",
            crate::term::plural(self.unreadable.len() as u64, "commit", "commits"),
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    }
}

/// A remote URL as an absolute URI without credentials: `user:token@` is dropped and
/// `git@host:path` becomes `https://host/path`; `None` for anything else.
fn public_uri(url: &str) -> Option<String> {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit('@').next().unwrap_or(authority);
        return Some(format!("{scheme}://{host}/{path}"));
    }
    let (user_host, path) = url.split_once(':')?;
    let host = user_host.rsplit('@').next()?;
    (!host.is_empty() && !path.starts_with('/')).then(|| format!("https://{host}/{path}"))
}

/// The SARIF provenance of the repository at `root`: origin URL (else the root as a
/// `file:` URI), the checked-out commit and branch.
pub fn provenance(root: &Path) -> Option<crate::report::Provenance> {
    let one = |args: &[&str]| {
        git_output(root, args)
            .ok()
            .map(|o| String::from_utf8_lossy(&o).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let revision_id = one(&["rev-parse", "--verify", "-q", "HEAD"]);
    let branch = one(&["symbolic-ref", "-q", "--short", "HEAD"]);
    let repository_uri = one(&["config", "--get", "remote.origin.url"])
        .and_then(|u| public_uri(&u))
        .unwrap_or_else(|| {
            let p = root.to_string_lossy().replace('\\', "/");
            let p = p.trim_end_matches('/');
            let p: String = p
                .chars()
                .map(|c| {
                    if c == ' ' {
                        "%20".to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            format!("file://{}{p}/", if p.starts_with('/') { "" } else { "/" })
        });
    Some(crate::report::Provenance {
        repository_uri,
        revision_id,
        branch,
    })
}

/// Scans the lines added by each commit in `range` (default `HEAD`: all history
/// reachable from it). Each secret is reported once, at the oldest commit in `git
/// log` order that added it (deduplicated by fingerprint: rule, path, secret); paths
/// and lines are those of that commit's file.
pub fn scan_history(
    dir: &Path,
    range: &str,
    opts: &WalkOptions,
    engine: &Engine,
) -> anyhow::Result<(ScanResult, HistoryStats)> {
    let revs = rev_args(range)?;
    let mut stats = HistoryStats::default();
    let mut outcomes = Vec::new();
    // One `git log -p` stream; when git stops at an object it cannot read, the commit it
    // was reading is recorded as unreadable and the commits after it are read again, on
    // from there, so the rest of the history is still scanned.
    let mut remaining: Option<Vec<String>> = None;
    loop {
        let (parsed, worked, failure) = run_log(
            dir,
            &revs,
            remaining.as_deref(),
            stats.commits,
            opts,
            engine,
        )?;
        outcomes.extend(worked);
        stats.commits = parsed.commits;
        let Some(err) = failure else { break };
        let Some(failed) = parsed.last_commit.clone() else {
            bail!("{}: git log {range}: {err}", dir.display());
        };
        stats.unreadable.push((failed.clone(), err));
        let all = match &remaining {
            Some(list) => list.clone(),
            None => {
                let mut args = vec!["rev-list".to_string()];
                args.extend(revs.iter().cloned());
                args.push("--".to_string());
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                String::from_utf8_lossy(&git_output(dir, &refs)?)
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

    let mut result = ScanResult::default();
    let mut first: HashMap<String, (usize, Finding)> = HashMap::new();
    let mut first_suppressed: HashMap<String, (usize, Finding)> = HashMap::new();
    for w in outcomes {
        result.stats.files += w.result.stats.files;
        result.stats.bytes += w.result.stats.bytes;
        result.stats.non_utf8 += w.result.stats.non_utf8;
        result.stats.import_dropped += w.result.stats.import_dropped;
        for (k, v) in w.result.stats.skipped {
            *result.stats.skipped.entry(k).or_default() += v;
        }
        result.errors.extend(w.result.errors);
        for (seq, f) in w.findings {
            keep_oldest(&mut first, seq, f);
        }
        for (seq, f) in w.suppressed {
            keep_oldest(&mut first_suppressed, seq, f);
        }
    }
    result.findings = first.into_values().map(|(_, f)| f).collect();
    result.suppressed_inline = first_suppressed.into_values().map(|(_, f)| f).collect();
    Ok((result, stats))
}

/// What one `git log` run produced: stats, the workers' findings, and git's error
/// when it stopped early.
type LogRun = (HistoryStats, Vec<Worked>, Option<String>);

/// Runs `git log -p` over `revs`, or over exactly the commits in `only` (read from
/// stdin, unwalked), scanning as it reads; commit positions continue from `first_seq`.
fn run_log(
    dir: &Path,
    revs: &[String],
    only: Option<&[String]>,
    first_seq: u64,
    opts: &WalkOptions,
    engine: &Engine,
) -> anyhow::Result<LogRun> {
    let mut cmd = git(dir);
    cmd.args([
        "log",
        "-p",
        "-M",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        // A committed `.gitattributes` with `* -diff` or `binary` would turn every later
        // change into "Binary files differ": diff everything as text.
        "--text",
        "--unified=0",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "--format=%x00%H%x00%aI%x00%an <%ae>",
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
    // Drain stderr as we go so a chatty git cannot block on a full pipe.
    let mut stderr = child.stderr.take().context("git log: no stderr")?;
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let (tx, rx) = mpsc::sync_channel::<Vec<Change>>(threads * 4);
    let rx = Mutex::new(rx);
    let (parsed, outcomes) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| scan_changes(&rx, engine, opts.max_file_size)))
            .collect();
        let parsed = parse_log(
            BufReader::with_capacity(1 << 20, stdout),
            &tx,
            first_seq,
            opts.max_file_size,
        );
        drop(tx);
        let outcomes: Vec<Worked> = workers.into_iter().filter_map(|w| w.join().ok()).collect();
        (parsed, outcomes)
    });
    let status = child.wait()?;
    let err = err_reader.join().unwrap_or_default();
    let stats = parsed?;
    let failure = (!status.success()).then(|| one_line(&err));
    Ok((stats, outcomes, failure))
}

/// Keeps, per fingerprint, the finding of the oldest commit (largest `seq`), and
/// within one commit the first line.
fn keep_oldest(map: &mut HashMap<String, (usize, Finding)>, seq: usize, f: Finding) {
    match map.get(&f.fingerprint) {
        Some((s, old)) if *s > seq || (*s == seq && old.span <= f.span) => {}
        _ => {
            map.insert(f.fingerprint.clone(), (seq, f));
        }
    }
}

/// What one history worker found: findings tagged with their commit's position.
struct Worked {
    result: ScanResult,
    findings: Vec<(usize, Finding)>,
    suppressed: Vec<(usize, Finding)>,
}

/// A worker: scans batches of changes until the parser hangs up.
fn scan_changes(rx: &Mutex<mpsc::Receiver<Vec<Change>>>, engine: &Engine, max: u64) -> Worked {
    let mut matcher = Matcher::default();
    let mut w = Worked {
        result: ScanResult::default(),
        findings: Vec::new(),
        suppressed: Vec::new(),
    };
    loop {
        let batch = match rx.lock() {
            Ok(r) => r.recv(),
            Err(p) => p.into_inner().recv(),
        };
        let Ok(batch) = batch else { break };
        for ch in batch {
            if ch.oversized || ch.content.len() as u64 > max {
                bump(&mut w.result, "too-large");
                continue;
            }
            if ch.content.contains(&0) {
                bump(&mut w.result, "binary");
                continue;
            }
            w.result.stats.files += 1;
            w.result.stats.bytes += ch.content.len() as u64;
            if std::str::from_utf8(&ch.content).is_err() {
                w.result.stats.non_utf8 += 1;
            }
            let outcome = engine.scan_secrets(&mut matcher, &ch.path, &ch.content);
            w.result.stats.import_dropped += outcome.import_dropped;
            let place = |mut f: Finding| {
                f.span.start_line = file_line(&ch.lines, f.span.start_line);
                f.span.end_line = file_line(&ch.lines, f.span.end_line);
                f.commit = Some((*ch.commit).clone());
                (ch.seq, f)
            };
            w.findings.extend(outcome.findings.into_iter().map(place));
            w.suppressed
                .extend(outcome.suppressed_inline.into_iter().map(place));
            if let Some(e) = outcome.error {
                w.result
                    .errors
                    .push(format!("{} (commit {}): {e}", ch.path, ch.commit.id));
            }
        }
    }
    w
}

/// Maps a 1-based line of a change's content to the line in the commit's file.
fn file_line(lines: &[usize], line: usize) -> usize {
    lines
        .get(line.saturating_sub(1))
        .or(lines.last())
        .copied()
        .unwrap_or(line)
}

/// Where the parser is inside `git log -p` output.
enum State {
    /// Commit or file headers: waiting for `+++` or `@@`.
    Header,
    /// Inside a hunk, with the number of removed and added lines still to come.
    Hunk { old: usize, new: usize, line: usize },
}

/// Parses the `git log -p --unified=0` stream into [`Change`]s, sent in batches.
fn parse_log(
    mut input: impl BufRead,
    tx: &mpsc::SyncSender<Vec<Change>>,
    first_seq: u64,
    max: u64,
) -> anyhow::Result<HistoryStats> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    const BATCH_BYTES: usize = 256 * 1024;
    let mut stats = HistoryStats {
        commits: first_seq,
        ..HistoryStats::default()
    };
    let mut batch: Vec<Change> = Vec::new();
    let mut batch_bytes = 0usize;
    let mut commit: Option<Arc<CommitInfo>> = None;
    let mut current: Option<Change> = None;
    let mut state = State::Header;
    let mut line = Vec::with_capacity(256);
    let mut send = |ch: Option<Change>, batch: &mut Vec<Change>, force: bool| -> bool {
        if let Some(ch) = ch.filter(|c| !c.content.is_empty() || c.oversized) {
            batch_bytes += ch.content.len() + 64;
            batch.push(ch);
        }
        if (force || batch_bytes >= BATCH_BYTES) && !batch.is_empty() {
            batch_bytes = 0;
            return tx.send(std::mem::take(batch)).is_ok();
        }
        true
    };
    loop {
        line.clear();
        // One line is read up to the size limit; the rest of a longer one is skipped.
        if read_line_bounded(&mut input, &mut line, max.saturating_add(2))? == 0 {
            break;
        }
        if let State::Hunk { old, new, line: n } = &mut state {
            let consumed = match line.first() {
                Some(b'+') if *new > 0 => {
                    *new -= 1;
                    if let Some(ch) = current.as_mut().filter(|c| !c.oversized) {
                        if ch.content.len() + line.len() > max.saturating_add(1) {
                            ch.oversized = true;
                            ch.content = Vec::new();
                            ch.lines = Vec::new();
                        } else {
                            ch.content.extend_from_slice(&line[1..]);
                            if !line.ends_with(b"\n") {
                                ch.content.push(b'\n');
                            }
                            ch.lines.push(*n);
                        }
                    }
                    *n += 1;
                    true
                }
                Some(b'-') if *old > 0 => {
                    *old -= 1;
                    true
                }
                Some(b'\\') => true,
                _ => false,
            };
            if consumed {
                if *old == 0 && *new == 0 {
                    state = State::Header;
                }
                continue;
            }
            state = State::Header;
        }
        if line.first() == Some(&0) {
            if !send(current.take(), &mut batch, false) {
                break;
            }
            stats.commits += 1;
            let c = parse_commit_header(&line)?;
            stats.last_commit = Some(c.id.clone());
            commit = Some(Arc::new(c));
        } else if line.starts_with(b"diff --git ") {
            if !send(current.take(), &mut batch, false) {
                break;
            }
        } else if let Some(rest) = line.strip_prefix(b"+++ ") {
            current = match (diff_path(rest), &commit) {
                (Some(path), Some(c)) => Some(Change {
                    seq: stats.commits as usize,
                    commit: Arc::clone(c),
                    path,
                    content: Vec::new(),
                    lines: Vec::new(),
                    oversized: false,
                }),
                _ => None, // deleted file (`+++ /dev/null`)
            };
        } else if line.starts_with(b"@@ ") {
            state = parse_hunk_header(&line).unwrap_or(State::Header);
        }
    }
    send(current.take(), &mut batch, true);
    Ok(stats)
}

/// Reads one line (with its newline) into `line`, keeping at most `cap` bytes and
/// skipping the rest of a longer line; returns the bytes consumed (0 at the end).
fn read_line_bounded(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<usize> {
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
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = cap.saturating_sub(line.len());
        line.extend_from_slice(&buf[..take.min(room)]);
        input.consume(take);
        consumed += take;
        if done {
            return Ok(consumed);
        }
    }
}

/// Parses `\0<sha>\0<date>\0<author>\n`.
fn parse_commit_header(line: &[u8]) -> anyhow::Result<CommitInfo> {
    let text = String::from_utf8_lossy(line);
    let mut parts = text.trim_end_matches('\n').split('\0').skip(1);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(id), Some(date), Some(author)) => Ok(CommitInfo {
            id: id.to_string(),
            author: author.to_string(),
            date: date.to_string(),
        }),
        _ => bail!("unexpected `git log` commit header: {}", one_line(&text)),
    }
}

/// Parses `@@ -a[,b] +c[,d] @@ ...` into a hunk state.
fn parse_hunk_header(line: &[u8]) -> Option<State> {
    let text = std::str::from_utf8(line).ok()?;
    let mut parts = text.split(' ').skip(1);
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    let count = |r: &str| -> Option<(usize, usize)> {
        match r.split_once(',') {
            Some((start, n)) => Some((start.parse().ok()?, n.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (_, old_n) = count(old)?;
    let (start, new_n) = count(new)?;
    Some(State::Hunk {
        old: old_n,
        new: new_n,
        line: start,
    })
}

/// The path after `+++ `: `b/path`, a C-quoted `"b/pa\"th"`, or `/dev/null`.
fn diff_path(rest: &[u8]) -> Option<String> {
    let mut rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    // git ends names that contain a space with a tab, for patch(1).
    rest = rest.strip_suffix(b"\t").unwrap_or(rest);
    let raw = if rest.first() == Some(&b'"') {
        unquote(rest)?
    } else {
        rest.to_vec()
    };
    let path = raw.strip_prefix(b"b/")?;
    Some(String::from_utf8_lossy(path).into_owned())
}

/// Undoes git's C-style quoting of a path (`\"`, `\\`, `\t`, `\n`, octal bytes).
fn unquote(q: &[u8]) -> Option<Vec<u8>> {
    let inner = q.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let next = *inner.get(i + 1)?;
        i += 2;
        out.push(match next {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 11,
            b'f' => 12,
            b'r' => b'\r',
            b'0'..=b'7' => {
                let digits = inner.get(i - 1..i + 2)?;
                i += 2;
                u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok()?
            }
            other => other,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Change>, HistoryStats) {
        let (tx, rx) = mpsc::sync_channel(100);
        let stats = parse_log(text.as_bytes(), &tx, 0, 1 << 20).expect("parse");
        drop(tx);
        (rx.into_iter().flatten().collect(), stats)
    }

    #[test]
    fn added_lines_keep_their_file_line_numbers() {
        let log = "\0aaaa\x002024-01-02T03:04:05+00:00\0Ann <ann@example.com>\n\n\
diff --git a/x.txt b/x.txt\n\
index 1..2 100644\n\
--- a/x.txt\n\
+++ b/x.txt\n\
@@ -3 +3,2 @@ ctx\n\
-old\n\
+new one\n\
+++ b/not-a-header\n\
@@ -10,0 +12 @@\n\
+later\n\
diff --git a/gone.txt b/gone.txt\n\
deleted file mode 100644\n\
--- a/gone.txt\n\
+++ /dev/null\n\
@@ -1 +0,0 @@\n\
-bye\n";
        let (changes, stats) = parse(log);
        assert_eq!(stats.commits, 1);
        assert_eq!(changes.len(), 1);
        let c = &changes[0];
        assert_eq!(c.path, "x.txt");
        assert_eq!(c.commit.author, "Ann <ann@example.com>");
        assert_eq!(
            String::from_utf8_lossy(&c.content),
            "new one\n++ b/not-a-header\nlater\n"
        );
        assert_eq!(c.lines, vec![3, 4, 12]);
    }

    #[test]
    fn quoted_paths_are_unquoted() {
        assert_eq!(
            diff_path(b"\"b/a \\\"q\\\"\\303\\251.txt\"\n").as_deref(),
            Some("a \"q\"é.txt")
        );
        assert_eq!(
            diff_path(b"b/with space.txt\t\n").as_deref(),
            Some("with space.txt")
        );
        assert_eq!(diff_path(b"/dev/null\n"), None);
    }

    #[test]
    fn ranges_cannot_be_options() {
        assert!(rev_args("--output=/tmp/x").is_err());
        assert_eq!(rev_args("").expect("ok"), vec!["HEAD"]);
        assert_eq!(
            rev_args("main ^origin/main").expect("ok"),
            vec!["main", "^origin/main"]
        );
        assert!(rev_args("--all").is_ok());
    }
}
