//! Git plumbing for `scan`: `--staged` reads the blobs staged in the index through the
//! shared [`Worker`]; the helpers here (a `git` command with output-shaping settings
//! pinned, revision-range checks, provenance) also serve the history scan in
//! [`crate::history`].
//!
//! Both shell out to the `git` command rather than linking `gix`: git's own object
//! reading (delta-aware pack access, tree diffs) is already on every machine that has a
//! repository to scan, and it keeps the build lean.

use crate::scan::Engine;
use crate::source::Worker;
use crate::walk::{ScanResult, WalkOptions, one_line};
use anyhow::{Context, anyhow, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
pub(crate) fn git(dir: &Path) -> Command {
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
pub(crate) fn git_output(dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
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

/// The (path, blob id) pairs of `HEAD`'s tree (regular files only); empty when there is
/// no `HEAD` commit.
pub fn head_tree(dir: &Path) -> Vec<(String, String)> {
    let Ok(out) = git_output(dir, &["ls-tree", "-r", "-z", "--full-tree", "HEAD"]) else {
        return Vec::new();
    };
    out.split(|&b| b == 0)
        .filter_map(|entry| {
            // `<mode> blob <id>\t<path>`
            let tab = memchr::memchr(b'\t', entry)?;
            let meta = std::str::from_utf8(&entry[..tab]).ok()?;
            let mut parts = meta.split(' ');
            let (_, kind, id) = (parts.next()?, parts.next()?, parts.next()?);
            (kind == "blob").then(|| {
                (
                    String::from_utf8_lossy(&entry[tab + 1..]).into_owned(),
                    id.to_string(),
                )
            })
        })
        .collect()
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
    let mut worker = Worker::new(engine, opts.max_file_size);
    worker.result = result;
    read_blobs(dir, &staged, opts.max_file_size, |i, blob| {
        let path = &staged[i].1;
        match blob {
            Blob::Content(c) => {
                if let Some(outcome) = worker.scan_blob(path, c) {
                    worker.add(outcome);
                }
            }
            Blob::TooLarge => worker.skip("too-large"),
            Blob::Missing => worker.error(
                "unreadable",
                format!("{path}: staged blob {} is missing", staged[i].0),
            ),
        }
    })?;
    Ok(worker.finish())
}

fn bump(result: &mut ScanResult, reason: &str) {
    result.skip(reason);
}

/// One blob read from `git cat-file --batch`.
pub(crate) enum Blob<'a> {
    /// Its bytes.
    Content(&'a [u8]),
    /// Over the size limit: read past, not kept.
    TooLarge,
    /// Missing, or not a blob.
    Missing,
}

/// Reads the next answer of a `git cat-file --batch` process from `out`; blobs over
/// `max_size` are read past without being kept, so memory stays bounded by the limit.
pub(crate) fn next_blob<'b>(
    out: &mut impl BufRead,
    header: &mut Vec<u8>,
    buf: &'b mut Vec<u8>,
    max_size: u64,
) -> std::io::Result<Blob<'b>> {
    header.clear();
    out.read_until(b'\n', header)?;
    let h = String::from_utf8_lossy(header);
    let mut parts = h.split_whitespace();
    let (_, kind, size) = (parts.next(), parts.next(), parts.next());
    let Some(size) = size.and_then(|s| s.parse::<u64>().ok()) else {
        // `<id> missing` (or `ambiguous`): no content follows.
        return Ok(Blob::Missing);
    };
    if kind != Some("blob") || size > max_size {
        std::io::copy(&mut out.take(size + 1), &mut std::io::sink())?;
        return Ok(if kind == Some("blob") {
            Blob::TooLarge
        } else {
            Blob::Missing
        });
    }
    buf.clear();
    out.take(size + 1).read_to_end(buf)?;
    buf.pop(); // the newline after the content
    Ok(Blob::Content(buf))
}

/// A `git cat-file --batch` process in `dir`: the process, its input, and its output
/// buffered for [`next_blob`].
pub fn cat_file_batch(
    dir: &Path,
) -> anyhow::Result<(
    Child,
    std::process::ChildStdin,
    BufReader<std::process::ChildStdout>,
)> {
    let mut child = git(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot run `git` ({e}); install git or put it on PATH"))?;
    let stdin = child.stdin.take().context("git cat-file: no stdin")?;
    let out = BufReader::with_capacity(
        1 << 16,
        child.stdout.take().context("git cat-file: no stdout")?,
    );
    Ok((child, stdin, out))
}

/// Reads the blobs `ids[i].0` through one `git cat-file --batch` process and calls
/// `each(i, blob)` in order. Blobs over `max_size` are read past, not kept.
fn read_blobs(
    dir: &Path,
    ids: &[(String, String)],
    max_size: u64,
    mut each: impl FnMut(usize, Blob),
) -> anyhow::Result<()> {
    let (child, mut stdin, mut out) = cat_file_batch(dir)?;
    let request: Vec<u8> = ids
        .iter()
        .flat_map(|(sha, _)| format!("{sha}\n").into_bytes())
        .collect();
    // Write on another thread: git answers while we ask, and both pipes can fill.
    let writer = std::thread::spawn(move || stdin.write_all(&request));
    let mut header = Vec::new();
    let mut buf = Vec::new();
    for i in 0..ids.len() {
        each(i, next_blob(&mut out, &mut header, &mut buf, max_size)?);
    }
    writer
        .join()
        .map_err(|_| anyhow!("git cat-file: writer panicked"))??;
    finish(child, "cat-file")
}

/// Waits for `child` and turns a failure into git's own message.
pub(crate) fn finish(mut child: Child, what: &str) -> anyhow::Result<()> {
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

/// Revision arguments for `git log` from the user's REV-RANGE: whitespace-separated
/// revisions; options other than the ref-selecting ones are refused so that a range
/// can never smuggle in an option such as `--output`.
pub(crate) fn rev_args(range: &str) -> anyhow::Result<Vec<String>> {
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
    /// Commits read (merges included, diffed against their first parent).
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

#[cfg(test)]
mod tests {
    use super::*;

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
