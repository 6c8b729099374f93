//! The bad-input suite: every attack from the "hostile pull request" issue, built at
//! test time, run through the binary. Each test checks that the scan does not crash
//! or hang, exits with the right code, names the bad file on one line, still scans the
//! other files (a planted secret is still found) and prints no secret whole.

mod common;

use common::*;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

/// Runs `tokenward ARGS` in `dir` with a deadline (a hang fails the test instead of
/// blocking it); returns (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = tokenward()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("run");
    outcome(out)
}

/// A tree with a planted PAT in `planted/.env` and enough other files that the
/// parallel walker (not the calling thread) scans them.
fn tree_with_planted_secret() -> (TempDir, String) {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(77);
    write(dir.path(), "planted/.env", &format!("GITHUB_TOKEN={pat}\n"));
    for i in 0..40 {
        write(dir.path(), &format!("filler/f{i}.txt"), "nothing here\n");
    }
    (dir, pat)
}

/// Whether the planted PAT is among the JSON findings.
fn found_planted(out: &str) -> bool {
    findings(&json(out))
        .iter()
        .any(|(id, _, path)| id == "github-pat-classic" && path.ends_with("planted/.env"))
}

/// No output line may start a workflow command other than our own annotations (whose
/// properties carry `title=tokenward`), carry an escape character, or hold the secret
/// whole.
fn assert_inert(all: &str, secret: &str) {
    assert!(!all.contains(secret), "secret printed whole:\n{all}");
    assert!(!all.contains('\u{1b}'), "escape character printed:\n{all}");
    for line in all.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("::") {
            let props = rest.split("::").next().unwrap_or_default();
            assert!(
                ["error ", "warning ", "notice "]
                    .iter()
                    .any(|ok| rest.starts_with(ok))
                    && props.contains("title=tokenward"),
                "injected workflow command: {line}"
            );
        }
    }
}

fn deep_workflow() -> String {
    format!(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - {}x\n",
        "- ".repeat(2_500)
    )
}

#[test]
fn deep_yaml_nesting_is_one_warning_on_walker_threads_and_other_files_are_scanned() {
    let (dir, pat) = tree_with_planted_secret();
    write(dir.path(), ".github/workflows/deep.yml", &deep_workflow());
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-j", "2", "-f", "json"]);
    assert_eq!(code, 1, "stderr: {err}");
    assert!(found_planted(&out), "{out}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("deep.yml")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("nesting deeper than"), "{err}");
    assert_inert(&format!("{out}{err}"), &pat);
    for sub in [["baseline", "."], ["inventory", "."]] {
        let (code, _, err) = run_in(dir.path(), &sub);
        assert_eq!(code, 0, "{sub:?}: {err}");
        assert!(err.contains("nesting deeper than"), "{sub:?}: {err}");
    }
}

#[test]
fn deep_yaml_nesting_given_as_a_file_is_one_warning_on_the_main_thread() {
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), ".github/workflows/deep.yml", &deep_workflow());
    let (code, out, err) = run_in(dir.path(), &["scan", ".github/workflows/deep.yml"]);
    // A CI file nobody could check is a finding (`unparsable-ci-file`), and a warning.
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("unparsable-ci-file"), "{out}");
    assert!(
        err.contains("deep.yml:") && err.contains("nesting"),
        "{err}"
    );
}

#[test]
fn alias_bomb_is_refused() {
    let (dir, _) = tree_with_planted_secret();
    let mut doc = String::from("on: push\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = format!("*a{}", i - 1);
        doc.push_str(&format!("a{i}: &a{i} [{}]\n", vec![p; 10].join(", ")));
    }
    write(dir.path(), ".github/workflows/bomb.yml", &doc);
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(found_planted(&out));
    assert!(
        err.contains("bomb.yml") && err.contains("expands to more than"),
        "{err}"
    );
}

#[test]
fn gitlab_reference_bomb_is_refused_and_a_reference_cycle_is_read() {
    let (dir, _) = tree_with_planted_secret();
    // Each level names the one below four times: 4^30 script lines unbounded.
    let mut doc = String::from(".a0:\n  script: [echo a, echo b]\n");
    for i in 1..30 {
        doc.push_str(&format!(".a{i}:\n  script:\n"));
        for _ in 0..4 {
            doc.push_str(&format!("    - !reference [.a{}, script]\n", i - 1));
        }
    }
    doc.push_str("job:\n  script:\n    - !reference [.a29, script]\n");
    write(dir.path(), "bomb/.gitlab-ci.yml", &doc);
    // A reference to itself (it overflowed the stack): the rest is still audited.
    write(
        dir.path(),
        "cycle/.gitlab-ci.yml",
        ".a:\n  script:\n    - !reference [.a, script]\n    - echo a\njob:\n  extends: .a\n  variables:\n    CI_DEBUG_TRACE: \"true\"\n",
    );
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(found_planted(&out));
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("bomb/")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("`!reference` tags resolve to more than"),
        "{err}"
    );
    let found = findings(&json(&out));
    assert!(
        found.iter().any(|(id, line, path)| id == "debug-tracing"
            && *line == 8
            && path.ends_with("cycle/.gitlab-ci.yml")),
        "{found:?}"
    );
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo");
    assert!(ok.success());
}

#[cfg(unix)]
#[test]
fn helper_files_that_are_devices_or_fifos_are_not_read_and_special_files_are_counted() {
    use std::os::unix::fs::symlink;
    let (dir, pat) = tree_with_planted_secret();
    let root = dir.path();
    symlink("/dev/zero", root.join(".gitignore")).expect("link");
    symlink("/dev/zero", root.join("planted/.ignore")).expect("link");
    symlink("/dev/zero", root.join("CODEOWNERS")).expect("link");
    std::fs::create_dir_all(root.join("other")).expect("mkdir");
    mkfifo(&root.join("other/.gitignore"));
    mkfifo(&root.join("other/.ignore"));
    mkfifo(&root.join("data.fifo"));
    write(
        root,
        "other/app.env",
        &format!("TOKEN={}\n", github_pat(78)),
    );
    let (code, out, err) = run_in(root, &["scan", ".", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(found_planted(&out), "{out}");
    assert!(
        findings(&json(&out))
            .iter()
            .any(|(_, _, p)| p == "other/app.env")
    );
    assert!(
        err.lines()
            .any(|l| l.contains(".gitignore: not a regular file (a character device)")),
        "{err}"
    );
    assert!(
        err.lines().any(|l| l.contains("data.fifo: a FIFO")),
        "{err}"
    );
    let skipped = &json(&out)["summary"]["files_skipped"];
    assert!(
        skipped["special-file"].as_u64().unwrap_or(0) >= 1,
        "{skipped}"
    );
    assert_inert(&format!("{out}{err}"), &pat);
    // A FIFO or device as the config is refused on one line, never read.
    let (code, _, err) = run_in(root, &["scan", ".", "--config", "data.fifo"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("data.fifo: not a regular file (a FIFO)"),
        "{err}"
    );
    let (code, _, err) = run_in(root, &["scan", ".", "--baseline", "CODEOWNERS"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn thread_counts_are_clamped_to_the_cores_with_a_notice() {
    let (dir, _) = tree_with_planted_secret();
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-j", "100000", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(found_planted(&out));
    assert!(err.contains("100000 threads requested; using"), "{err}");
    write(dir.path(), "tokenward.toml", "threads = 1000\n");
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("1000 threads requested; using"), "{err}");
    let red = json(&out)["summary"]["coverage_reductions"].to_string();
    assert!(red.contains("\"threads\""), "{red}");
}

#[test]
fn many_findings_on_one_line_are_all_reported_and_the_cap_is_stated() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(5);
    write(dir.path(), "one.txt", &format!("{pat} ").repeat(3_000));
    let (code, out, err) = run_in(dir.path(), &["scan", "one.txt", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    let f = v["findings"].as_array().expect("findings");
    assert_eq!(f.len(), 3_000);
    // Columns are right at the end of the line (computed incrementally).
    let last = &f[2_999]["span"];
    assert_eq!(last["start_column"], 2_999 * (pat.len() + 1) + 1);
    write(dir.path(), "one.txt", &format!("{pat} ").repeat(50_010));
    let (code, out, err) = run_in(dir.path(), &["scan", "one.txt", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        json(&out)["findings"].as_array().map(Vec::len),
        Some(50_000)
    );
    assert!(
        err.contains("one.txt: 50010 secret matches; only the first 50000 are reported"),
        "{err}"
    );
}

#[test]
fn a_repeated_keyword_and_a_backtracking_custom_regex_finish() {
    let (dir, pat) = tree_with_planted_secret();
    write(dir.path(), "quay.txt", &"quay".repeat(1 << 20));
    write(
        dir.path(),
        "a.txt",
        &format!("{}c\n", "a".repeat(1 << 20)).repeat(2),
    );
    write(
        dir.path(),
        "gl.toml",
        "[[rules]]\nid = \"evil\"\nregex = '''((a|aa)+c)'''\nkeywords = [\"a\"]\n",
    );
    let (code, out, err) = run_in(
        dir.path(),
        &["scan", ".", "--gitleaks-config", "gl.toml", "-f", "json"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(found_planted(&out));
    assert_inert(&format!("{out}{err}"), &pat);
}

#[test]
fn an_oversized_user_regex_is_one_error_line() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "gl.toml",
        &format!(
            "[[rules]]\nid = \"huge\"\nregex = '''{}'''\nkeywords = [\"x\"]\n",
            "x".repeat(5_000)
        ),
    );
    write(dir.path(), "a.txt", "x\n");
    let (code, _, err) = run_in(dir.path(), &["scan", ".", "--gitleaks-config", "gl.toml"]);
    assert!(code == 0 || code == 2, "{err}");
    assert!(err.contains("at most 4096"), "{err}");
}

#[test]
fn a_dot_ignore_hiding_everything_is_stated() {
    let (dir, pat) = tree_with_planted_secret();
    write(dir.path(), ".ignore", "*\n");
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let red = &json(&out)["summary"]["coverage_reductions"];
    let red_s = red.to_string();
    assert!(red_s.contains("\".ignore\""), "{red_s}");
    assert!(red_s.contains("42 files hidden"), "{red_s}");
    assert!(err.contains("coverage reduced by `.ignore`"), "{err}");
    // The CI mode does not honour the tree's ignore files.
    let cfg = TempDir::new().expect("tempdir");
    write(cfg.path(), "trusted.toml", "");
    let trusted = cfg.path().join("trusted.toml");
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--trusted-config",
            trusted.to_str().expect("path"),
            "-f",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(found_planted(&out));
    assert_inert(&format!("{out}{err}"), &pat);
}

#[test]
fn committed_settings_that_reduce_coverage_are_stated_in_text_json_and_sarif() {
    let (dir, _) = tree_with_planted_secret();
    write(
        dir.path(),
        "vendor/x.env",
        &format!("T={}\n", github_pat(9)),
    );
    write(dir.path(), "big.txt", &"x".repeat(2048));
    write(
        dir.path(),
        "gl.toml",
        "[[rules]]\nid = \"custom-thing\"\nregex = '''custom_[a-z]{12}'''\nkeywords = [\"custom_\"]\n[allowlist]\nregexes = ['''.*''']\n",
    );
    write(
        dir.path(),
        "tokenward.toml",
        "fail-on = \"never\"\nexclude = [\"vendor/**\"]\nmax-file-size = \"1K\"\ngitleaks-config = \"gl.toml\"\n",
    );
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 0, "fail-on = never from the tree: {err}");
    let red = json(&out)["summary"]["coverage_reductions"].to_string();
    for want in [
        "\"fail-on\"",
        "no finding fails the run",
        "\"exclude\"",
        "1 files skipped",
        "\"max-file-size\"",
        "\"gitleaks-config\"",
        "findings dropped by the allowlists",
    ] {
        assert!(red.contains(want), "{want} missing from {red}");
    }
    // The imported global allowlist dropped the planted PAT, and says so with a count.
    assert!(red.contains("1 findings dropped"), "{red}");
    let (_, text_out, text_err) = run_in(dir.path(), &["scan", "."]);
    let summary = text_err
        .lines()
        .find(|l| l.starts_with("tokenward: scanned"))
        .expect("summary line");
    assert!(summary.contains("coverage reduced"), "{summary}");
    assert!(
        text_err.contains("coverage reduced by `exclude`"),
        "{text_out}{text_err}"
    );
    let (_, sarif, _) = run_in(dir.path(), &["scan", ".", "-f", "sarif"]);
    let props = json(&sarif)["runs"][0]["properties"]["coverageReductions"].to_string();
    assert!(
        props.contains("\"fail-on\"") && props.contains("\"exclude\""),
        "{props}"
    );
    let (_, gh, _) = run_in(dir.path(), &["scan", ".", "-f", "github"]);
    assert!(
        gh.contains("::warning title=tokenward coverage reduced::"),
        "{gh}"
    );
    // Turning rules off from the tree is stated with the ids.
    write(
        dir.path(),
        "tokenward.toml",
        "enable = [\"aws-access-key-id\"]\n",
    );
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let red = json(&out)["summary"]["coverage_reductions"].to_string();
    assert!(
        red.contains("\"enable\"") && red.contains("off (only aws-access-key-id on)"),
        "{red}"
    );
    // --trusted-config: the tree's config is not read at all.
    let cfg = TempDir::new().expect("tempdir");
    write(cfg.path(), "base.toml", "");
    let base = cfg.path().join("base.toml");
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--trusted-config",
            base.to_str().expect("path"),
            "-f",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(found_planted(&out));
    assert_eq!(
        json(&out)["summary"]["coverage_reductions"],
        serde_json::json!([])
    );
}

#[test]
fn tracked_files_hidden_by_gitignore_are_stated() {
    let (dir, _) = tree_with_planted_secret();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "one"]);
    write(dir.path(), ".gitignore", "planted/\n");
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let red = json(&out)["summary"]["coverage_reductions"].to_string();
    assert!(
        red.contains("\".gitignore\"") && red.contains("1 files tracked"),
        "{red}"
    );
}

#[test]
fn history_scans_see_through_diff_attributes() {
    let dir = TempDir::new().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".gitattributes", "* -diff\n");
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "attrs"]);
    let pat = github_pat(11);
    write(dir.path(), "later.env", &format!("GITHUB_TOKEN={pat}\n"));
    // A big blob over the limit is read past, not kept.
    write(dir.path(), "big.txt", &"y".repeat(300_000));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "secret"]);
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--git",
            "--max-file-size",
            "100K",
            "-f",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let f = findings(&json(&out));
    assert!(
        f.iter()
            .any(|(id, _, p)| id == "github-pat-classic" && p == "later.env"),
        "{f:?}"
    );
    assert_eq!(
        json(&out)["summary"]["files_skipped"]["too-large"],
        1,
        "{out}"
    );
    assert_inert(&format!("{out}{err}"), &pat);
    // Staged blobs: the size is checked before the content is kept.
    write(dir.path(), "big2.txt", &"z".repeat(300_000));
    write(
        dir.path(),
        "staged.env",
        &format!("GITHUB_TOKEN={}\n", github_pat(12)),
    );
    git(dir.path(), &["add", "-A"]);
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--staged",
            "--max-file-size",
            "100K",
            "-f",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        json(&out)["summary"]["files_skipped"]["too-large"],
        1,
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn names_and_values_cannot_inject_workflow_commands_or_escape_sequences() {
    let (dir, pat) = tree_with_planted_secret();
    let evil_pat = github_pat(13);
    write(
        dir.path(),
        "y\n::add-mask::MASKED\n.env",
        &format!("TOKEN={evil_pat}\n"),
    );
    write(
        dir.path(),
        "t\u{1b}]0;owned\u{7}\u{1b}[2J.env",
        &format!("TOKEN={}\n", github_pat(14)),
    );
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "name: \"x\\n::stop-commands::abc\"\non: pull_request\njobs:\n  \"j\\n::error file=a::forged\":\n    runs-on: ubuntu-latest\n    steps:\n      - uses: \"actions/checkout@v4\\n::add-mask::x\"\n",
    );
    write(
        dir.path(),
        ".github/workflows/broken.yml",
        "on: push\njobs: [\n::stop-commands::zzz\n",
    );
    for format in ["text", "json", "sarif", "github"] {
        let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", format]);
        assert_eq!(code, 1, "{format}: {err}");
        assert_inert(&format!("{out}{err}"), &pat);
        assert_inert(&format!("{out}{err}"), &evil_pat);
        if format != "json" && format != "sarif" {
            assert!(!out.contains("\n::add-mask::"), "{format}: {out}");
        }
    }
    let (code, out, err) = run_in(dir.path(), &["inventory", "."]);
    assert_eq!(code, 0, "{err}");
    assert_inert(&format!("{out}{err}"), &pat);
}

#[test]
fn url_passwords_in_workflows_are_never_printed_whole() {
    let dir = TempDir::new().expect("tempdir");
    let password = "Zq8vN3kLm2Rt7Wx";
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        &format!(
            "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker://deploy:{password}@registry.example.com/img:1\n"
        ),
    );
    for format in ["text", "json", "sarif", "github"] {
        let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", format]);
        assert_eq!(code, 1, "{format}: {err}");
        assert!(
            !out.contains(password) && !err.contains(password),
            "{format}: {out}"
        );
    }
    let (_, out, _) = run_in(dir.path(), &["inventory", "."]);
    assert!(!out.contains(password), "{out}");
}

#[test]
fn baseline_fingerprints_are_slow_salted_and_stable_across_line_moves() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(21);
    write(dir.path(), "a.env", &format!("GITHUB_TOKEN={pat}\n"));
    let (_, first, _) = run_in(dir.path(), &["baseline", "."]);
    write(
        dir.path(),
        "a.env",
        &format!("# moved\n\nGITHUB_TOKEN={pat}\n"),
    );
    let (_, second, _) = run_in(dir.path(), &["baseline", "."]);
    assert_eq!(first, second);
    let v = json(&first);
    let fp = v
        .as_array()
        .and_then(|a| a.first())
        .map(|e| e["fingerprint"].as_str().expect("fingerprint").to_string())
        .or_else(|| v["findings"][0]["fingerprint"].as_str().map(str::to_string))
        .expect("a fingerprint");
    // Not the cheap hash of rule, path and secret that a word list could be run against.
    assert_ne!(
        fp,
        tokenward::finding::fingerprint("github-pat-classic", "a.env", &pat)
    );
    assert_eq!(
        fp,
        tokenward::finding::secret_fingerprint("github-pat-classic", "a.env", &pat)
    );
    assert!(!first.contains(&pat));
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16_files_with_a_bom_are_decoded_and_positions_are_right() {
    let dir = TempDir::new().expect("tempdir");
    // Two different tokens: one value in two files would be one `secret-reuse` finding.
    let text = |pat: String| format!("# settings\r\n\r\n$token = \"{pat}\"\r\n");
    std::fs::write(
        dir.path().join("le.ps1"),
        utf16(&text(github_pat(31)), false),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("be.ps1"),
        utf16(&text(github_pat(32)), true),
    )
    .expect("write");
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    let found: Vec<_> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "github-pat-classic")
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["span"]["start_line"].as_u64(),
                f["span"]["start_column"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("be.ps1".to_string(), Some(3), Some(11)),
            ("le.ps1".to_string(), Some(3), Some(11)),
        ]
    );
    assert!(!out.contains(&github_pat(31)) && !out.contains(&github_pat(32)));
}

#[test]
fn a_committed_setting_that_removed_nothing_is_not_a_coverage_reduction() {
    let (dir, _) = tree_with_planted_secret();
    write(
        dir.path(),
        "tokenward.toml",
        "exclude = [\"no-such-folder/**\"]\nmax-file-size = \"1M\"\n",
    );
    let (code, out, err) = run_in(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let red = json(&out)["summary"]["coverage_reductions"].to_string();
    assert!(!red.contains("exclude"), "{red}");
    assert!(!red.contains("max-file-size"), "{red}");
    assert!(!err.contains("coverage reduced"), "{err}");
}
