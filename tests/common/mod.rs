//! Helpers shared by the end-to-end tests: run the built binary and read its JSON
//! output, make temporary trees and git repositories, compare snapshots, and generate
//! realistic fake credentials at test time (so that no token with a valid checksum sits
//! in the repository).

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::Path;

/// The built `tokenward` binary as a command.
pub fn tokenward() -> Command {
    let mut c = Command::cargo_bin("tokenward").expect("binary built");
    c.env_remove("NO_COLOR");
    c
}

/// Writes `text` to `root/rel`, creating folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// A deterministic pseudo-random alphanumeric string (xorshift; no `rand` dependency).
pub fn random_alnum(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % 62) as usize] as char
        })
        .collect()
}

/// A GitHub classic PAT with a valid CRC32 checksum.
pub fn github_pat(seed: u64) -> String {
    let body = random_alnum(seed, 30);
    format!(
        "ghp_{body}{}",
        tokenward::rules::checksum::base62_crc32(&body)
    )
}

/// An AWS access key id (`AKIA` + 16 base32 characters).
pub fn aws_key_id(seed: u64) -> String {
    let s: String = random_alnum(seed, 64)
        .chars()
        .filter(|c| c.is_ascii_uppercase() || ('2'..='7').contains(c))
        .take(16)
        .collect();
    format!("AKIA{s}")
}

/// A 40-character AWS-style secret access key.
pub fn aws_secret(seed: u64) -> String {
    let mut s = random_alnum(seed, 40);
    s.replace_range(10..11, "/");
    s.replace_range(25..26, "+");
    s
}

/// A PEM RSA private key with a random (not mathematically valid) body.
pub fn pem_private_key(seed: u64) -> String {
    let mut out = String::from("-----BEGIN RSA PRIVATE KEY-----\n");
    for i in 0..12 {
        out.push_str(&random_alnum(seed + i, 64));
        out.push('\n');
    }
    out.push_str("-----END RSA PRIVATE KEY-----\n");
    out
}

/// Runs `tokenward scan` with `args` and returns (exit code, stdout, stderr).
pub fn scan(args: &[&str]) -> (i32, String, String) {
    run("scan", args)
}

/// Runs `tokenward SUBCOMMAND args...` and returns (exit code, stdout, stderr).
pub fn run(subcommand: &str, args: &[&str]) -> (i32, String, String) {
    outcome(
        tokenward()
            .arg(subcommand)
            .args(args)
            .output()
            .expect("run"),
    )
}

/// Runs `tokenward args` in `dir`, with git isolated from the user's and the system's
/// configuration as in [`git_cmd`]; returns (exit code, stdout, stderr).
pub fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    outcome(
        tokenward()
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .output()
            .expect("run tokenward"),
    )
}

/// (exit code, stdout, stderr) of a finished process.
pub fn outcome(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses JSON output.
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("invalid JSON ({e}): {s}"))
}

/// (rule_id, start_line, path) of every finding in JSON output.
pub fn findings(v: &serde_json::Value) -> Vec<(String, u64, String)> {
    found(v)
        .into_iter()
        .map(|f| (f.rule, f.line, f.path))
        .collect()
}

/// One finding of `--format json` output: the fields the tests compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `rule_id`.
    pub rule: String,
    /// `kind`: `secret` or `pipeline`.
    pub kind: String,
    /// `path`.
    pub path: String,
    /// `span.start_line`.
    pub line: u64,
    /// `span.start_column`.
    pub column: u64,
    /// `message`.
    pub message: String,
    /// `snippet` (redacted).
    pub snippet: String,
}

/// Every finding of JSON scan output, in output order.
pub fn found(v: &serde_json::Value) -> Vec<Found> {
    let text = |f: &serde_json::Value, k: &str| f[k].as_str().unwrap_or_default().to_string();
    rows(v, "findings")
        .iter()
        .map(|f| Found {
            rule: f["rule_id"].as_str().expect("rule_id").to_string(),
            kind: text(f, "kind"),
            path: f["path"].as_str().expect("path").to_string(),
            line: f["span"]["start_line"].as_u64().expect("line"),
            column: f["span"]["start_column"].as_u64().expect("column"),
            message: text(f, "message"),
            snippet: text(f, "snippet"),
        })
        .collect()
}

/// `scan ROOT --format json EXTRA...`: its findings (it must exit 0 or 1).
pub fn scan_found(root: &str, extra: &[&str]) -> Vec<Found> {
    let mut args = vec![root, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = scan(&args);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    found(&json(&out))
}

/// `inventory ROOT --format json EXTRA...` (it must exit 0), parsed.
pub fn inventory_json(root: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![root, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run("inventory", &args);
    assert_eq!(code, 0, "{err}");
    json(&out)
}

/// The array at `key` of a JSON object (a test failure when it is not one).
pub fn rows<'v>(v: &'v serde_json::Value, key: &str) -> &'v [serde_json::Value] {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` array in {v}"))
}

/// Compares `got` with the snapshot file at `rel` (from the crate root); with
/// `TOKENWARD_BLESS` set, rewrites the file first.
pub fn snapshot(rel: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("TOKENWARD_BLESS").is_some() {
        std::fs::write(&path, got).expect("bless");
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with TOKENWARD_BLESS=1", path.display()));
    assert_eq!(
        got,
        want,
        "{} differs; rerun with TOKENWARD_BLESS=1 after checking",
        path.display()
    );
}

/// A `git` command in `dir`, isolated from the user's and the system's configuration
/// (and from a calling hook's repository), committing as Ada Tester.
pub fn git_cmd(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Tester")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Tester")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE");
    c
}

/// Runs git in `dir` and returns its trimmed output; a failure fails the test with
/// git's error.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
