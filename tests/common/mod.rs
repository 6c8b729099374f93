//! Helpers shared by the end-to-end tests: run the built binary, make temporary trees,
//! and generate realistic fake credentials at test time (so that no token with a valid
//! checksum sits in the repository).

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
    let out = tokenward()
        .arg(subcommand)
        .args(args)
        .output()
        .expect("run");
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
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule_id").to_string(),
                f["span"]["start_line"].as_u64().expect("line"),
                f["path"].as_str().expect("path").to_string(),
            )
        })
        .collect()
}
