//! End-to-end tests of the command line people run in CI (issue 15): no silent passes,
//! paths and config as ruff and ripgrep users expect, triage-first output, SARIF for
//! code scanning. Each test runs the built binary.

mod common;

use common::*;
use std::path::Path;
use std::process::Command as StdCommand;
use tempfile::TempDir;

/// Runs `tokenward args` in `dir` (stdin closed) and returns (code, stdout, stderr).
fn tw_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    tw_stdin(dir, args, "")
}

/// Runs `tokenward args` in `dir` with `input` on stdin.
fn tw_stdin(dir: &Path, args: &[&str], input: &str) -> (i32, String, String) {
    let out = tokenward()
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CI")
        .args(args)
        .write_stdin(input.to_string())
        .output()
        .expect("run tokenward");
    outcome(out)
}

/// A git repository holding `sub/` with a leaked PAT and a workflow.
fn repo() -> (TempDir, String) {
    let dir = TempDir::new().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let pat = github_pat(41);
    write(dir.path(), "sub/app/.env", &format!("GITHUB_TOKEN={pat}\n"));
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n",
    );
    (dir, pat)
}

const WORKFLOW: &str = "name: deploy\non: push\npermissions: write-all\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";

#[test]
fn unknown_select_id_is_a_usage_error_with_a_suggestion() {
    let (dir, _) = repo();
    let (code, out, err) = tw_in(dir.path(), &["scan", "--select", "github-pat-clasic"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("did you mean `github-pat-classic`?"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn an_unparsable_workflow_is_a_finding_that_fails_the_run() {
    let (dir, _) = repo();
    write(
        dir.path(),
        ".github/workflows/broken.yml",
        "on: push\njobs:\n  a:\n    runs-on: x: y\n",
    );
    let (code, out, err) = tw_in(dir.path(), &["scan", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let f = findings(&json(&out));
    assert!(
        f.contains(&(
            "unparsable-ci-file".into(),
            4,
            ".github/workflows/broken.yml".into()
        )),
        "{f:?}"
    );
    let (_, explain, _) = tw_in(dir.path(), &["rules", "explain", "unparsable-ci-file"]);
    assert!(explain.contains("cannot be parsed"), "{explain}");
}

#[test]
fn a_workflow_named_on_the_command_line_is_audited_for_what_it_is() {
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), "deployments/aws.yml", WORKFLOW);
    let (code, out, err) = tw_in(
        dir.path(),
        &["scan", "deployments/aws.yml", "--format", "json"],
    );
    assert_eq!(code, 1, "{err}");
    let f = findings(&json(&out));
    assert!(
        f.iter()
            .any(|(id, _, p)| id == "excessive-permissions" && p == "deployments/aws.yml"),
        "{f:?}"
    );
    // Found by walking, outside `.github/workflows/`, it is not a workflow GitHub runs.
    let (code, out, _) = tw_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn partial_git_history_reports_findings_names_the_commit_and_exits_2() {
    let (dir, _) = repo();
    let d = dir.path();
    for i in 0..3 {
        write(
            d,
            &format!("f{i}.env"),
            &format!("TOKEN={}\n", github_pat(60 + i)),
        );
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", &format!("c{i}")]);
    }
    let blob = git(d, &["rev-parse", "HEAD~1:f1.env"]);
    let bad = git(d, &["rev-parse", "HEAD~1"]);
    std::fs::remove_file(d.join(".git/objects").join(&blob[..2]).join(&blob[2..]))
        .expect("rm blob");
    let (code, out, err) = tw_in(d, &["scan", "--git", "--format", "json"]);
    assert_eq!(code, 2, "{err}");
    let f = findings(&json(&out));
    assert!(f.iter().any(|(_, _, p)| p == "f0.env"), "{f:?}");
    assert!(f.iter().any(|(_, _, p)| p == "f2.env"), "{f:?}");
    assert!(
        err.contains("partial history: 1 commit could not be read"),
        "{err}"
    );
    assert!(err.contains(&bad[..12]), "{err}");
}

#[test]
fn text_paths_are_relative_to_the_current_folder_and_sarif_to_the_repository() {
    let (dir, _) = repo();
    let sub = dir.path().join("sub");
    let (code, out, err) = tw_in(&sub, &["scan", "app", "--concise", "--color", "never"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("app/.env:1:"), "{out}");
    let (_, out, _) = tw_in(&sub, &["scan", "app", "--format", "sarif"]);
    let v = json(&out);
    let uri =
        &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "sub/app/.env");
    // --root anchors SARIF paths elsewhere.
    let (_, out, _) = tw_in(&sub, &["scan", "app", "--root", ".", "--format", "sarif"]);
    let v = json(&out);
    let uri =
        &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "app/.env");
}

#[test]
fn the_nearest_config_applies_walking_up_to_the_repository_root() {
    let (dir, _) = repo();
    write(
        dir.path(),
        ".github/tokenward.toml",
        "[[allow]]\nrule = \"github-pat-classic\"\npaths = [\"sub/app/.env\"]\nreason = \"test token\"\n",
    );
    let sub = dir.path().join("sub");
    let (code, out, err) = tw_in(&sub, &["scan", "app", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("tokenward.toml applied"), "{err}");
    // A nearer config wins, and its paths are relative to its own folder.
    write(
        dir.path(),
        "sub/tokenward.toml",
        "[[allow]]\nrule = \"github-pat-classic\"\npaths = [\"other/\"]\nreason = \"r\"\n",
    );
    let (code, _, err) = tw_in(&sub, &["scan", "app/.env"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("sub/tokenward.toml"), "{err}");
}

#[test]
fn findings_come_most_severe_first_with_each_fix_once_and_a_summary_by_severity() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "a.env",
        &format!(
            "SECRET_KEY_1 = \"{}\"\nSECRET_KEY_2 = \"{}\"\n",
            random_alnum(5, 40),
            random_alnum(6, 40)
        ),
    );
    write(
        dir.path(),
        "z.env",
        &format!("GITHUB_TOKEN={}\n", github_pat(7)),
    );
    let (code, out, err) = tw_in(dir.path(), &["scan", "--color", "never"]);
    assert_eq!(code, 1);
    let first = out.lines().next().expect("a line");
    assert!(
        first.starts_with("z.env:1:") && first.contains(" high "),
        "{out}"
    );
    assert_eq!(
        out.matches("    fix: ").count(),
        2,
        "one fix per rule: {out}"
    );
    assert!(
        err.contains("3 findings (1 high, 2 medium; 3 secrets)"),
        "{err}"
    );
    assert!(err.contains("scanned 2 files"), "{err}");
    let (_, out, _) = tw_in(dir.path(), &["scan", "--concise", "--color", "never"]);
    assert_eq!(out.lines().count(), 3, "{out}");
    write(dir.path(), "a.env", "x\n");
    let (_, _, err) = tw_in(dir.path(), &["scan"]);
    assert!(err.contains("1 finding (1 high; 1 secret)"), "{err}");
}

#[test]
fn min_severity_and_confidence_hide_but_the_exit_code_follows_fail_on() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "a.env",
        &format!("SECRET_KEY_1 = \"{}\"\n", random_alnum(5, 40)),
    );
    let (code, out, err) = tw_in(
        dir.path(),
        &["scan", "--min-severity", "high", "--format", "json"],
    );
    assert_eq!(code, 1, "the medium finding still fails the run");
    assert!(findings(&json(&out)).is_empty());
    assert!(
        err.contains("1 below --min-severity/--min-confidence not shown"),
        "{err}"
    );
    let (_, out, _) = tw_in(
        dir.path(),
        &["scan", "--min-confidence", "high", "--format", "json"],
    );
    assert!(findings(&json(&out)).is_empty(), "{out}");
}

#[test]
fn quiet_prints_only_findings_and_color_follows_flags_and_environment() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "z.env",
        &format!("GITHUB_TOKEN={}\n", github_pat(7)),
    );
    let (_, out, err) = tw_in(dir.path(), &["scan", "-q"]);
    assert!(err.is_empty(), "{err}");
    assert!(!out.contains('\x1b'));
    let (_, out, _) = tw_in(dir.path(), &["scan", "--color", "always"]);
    assert!(out.contains("\x1b["), "{out}");
    let forced = tokenward()
        .current_dir(dir.path())
        .env("FORCE_COLOR", "1")
        .args(["scan"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\x1b["));
    let no = tokenward()
        .current_dir(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["scan"])
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&no.stdout).contains("\x1b["));
}

#[test]
fn completions_and_help_examples() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, _) = run("completions", &[shell]);
        assert_eq!(code, 0);
        assert!(
            out.contains("tokenward") && out.contains("min-severity"),
            "{shell}"
        );
    }
    let (code, out, _) = run("scan", &["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Examples:") && out.contains("--stdin-filename"),
        "{out}"
    );
}

#[test]
fn standard_input_is_scanned_and_stdin_filename_picks_the_audits() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(9);
    let (code, out, _) = tw_stdin(
        dir.path(),
        &["scan", "-", "--format", "json"],
        &format!("T={pat}\n"),
    );
    assert_eq!(code, 1);
    assert_eq!(findings(&json(&out))[0].2, "<stdin>");
    let (code, out, err) = tw_stdin(
        dir.path(),
        &[
            "scan",
            "-",
            "--stdin-filename",
            ".github/workflows/d.yml",
            "--format",
            "json",
        ],
        WORKFLOW,
    );
    assert_eq!(code, 1, "{err}");
    let f = findings(&json(&out));
    assert!(
        f.contains(&(
            "excessive-permissions".into(),
            3,
            ".github/workflows/d.yml".into()
        )),
        "{f:?}"
    );
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let dir = TempDir::new().expect("tempdir");
    for i in 0..50 {
        write(dir.path(), &format!("f{i}.txt"), "hello\n");
    }
    let (_, _, err) = tw_in(dir.path(), &["scan"]);
    assert!(!err.contains("scanning:") && !err.contains('\r'), "{err}");
}

#[test]
fn pipeline_findings_say_code_and_the_hook_footer_fits_the_kind() {
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), ".github/workflows/d.yml", WORKFLOW);
    let (_, out, _) = tw_in(dir.path(), &["scan", "--color", "never"]);
    assert!(
        out.contains("    code: ") && !out.contains("secret:"),
        "{out}"
    );
    let (_, out, _) = tw_in(dir.path(), &["scan", "--format", "sarif"]);
    assert!(!out.contains("Secret:") && out.contains("Code: "), "{out}");
    let (code, out, _) = tw_in(dir.path(), &["scan", "--pre-commit"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("change the workflow setting") || out.contains("Change the workflow setting"),
        "{out}"
    );
    assert!(!out.contains("emove the secret"), "{out}");
}

#[test]
fn inline_allow_reason_is_the_sarif_justification() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "a.env",
        &format!(
            "T={} # tokenward:allow[github-pat-classic] revoked in INC-42\n",
            github_pat(3)
        ),
    );
    let (code, out, _) = tw_in(
        dir.path(),
        &["scan", "--include-suppressed", "--format", "sarif"],
    );
    assert_eq!(code, 0);
    let v = json(&out);
    let s = &v["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(s["justification"], "revoked in INC-42", "{out}");
    assert_eq!(s["kind"], "inSource");
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    let bin = assert_cmd::cargo::cargo_bin("tokenward");
    // The SARIF report is far larger than a pipe's buffer, so its write always meets the
    // closed pipe; the others meet it because `true` exits at once.
    for (cmd, reader) in [
        ("rules", "true"),
        ("rules explain excessive-permissions", "true"),
        ("completions bash", "true"),
        ("scan --no-ignore --fail-on never fixtures", "true"),
        (
            "scan --no-ignore --fail-on never -f sarif fixtures",
            "head -c 1 >/dev/null",
        ),
    ] {
        let out = StdCommand::new("bash")
            .arg("-c")
            .arg(format!(
                "'{}' {cmd} | {reader}; exit ${{PIPESTATUS[0]}}",
                bin.display()
            ))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("bash");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{cmd}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn staged_outside_a_repository_is_one_short_line() {
    let dir = TempDir::new().expect("tempdir");
    let (code, out, err) = tw_in(dir.path(), &["scan", "--staged"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not inside a git repository"), "{err}");
}

#[test]
fn sarif_has_short_full_descriptions_precision_help_uris_category_and_provenance() {
    let (dir, _) = repo();
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "init"]);
    git(
        dir.path(),
        &[
            "remote",
            "add",
            "origin",
            "https://user:tok@github.com/acme/app.git",
        ],
    );
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    let (_, out, _) = tw_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "sarif",
            "--sarif-category",
            "tokenward-pr",
        ],
    );
    let v = json(&out);
    let run = &v["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "tokenward-pr");
    let vcp = &run["versionControlProvenance"][0];
    assert_eq!(vcp["repositoryUri"], "https://github.com/acme/app.git");
    assert_eq!(vcp["revisionId"], head.as_str());
    assert_eq!(vcp["branch"], "main");
    for r in run["tool"]["driver"]["rules"].as_array().expect("rules") {
        let full = r["fullDescription"]["text"].as_str().expect("full");
        assert!(full.chars().count() <= 1024, "{}", r["id"]);
        assert!(
            r["helpUri"].as_str().is_some_and(|u| u.contains('#')),
            "{}",
            r["id"]
        );
        let p = r["properties"]["precision"].as_str().expect("precision");
        assert!(["high", "medium", "low"].contains(&p));
    }
}

/// Long flags of `tokenward scan --help`, without `--help`.
fn help_flags() -> Vec<String> {
    let (_, out, _) = run("scan", &["--help"]);
    let mut flags: Vec<String> = out
        .lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t
                .strip_prefix("-")
                .and_then(|r| r.get(3..))
                .filter(|_| t.as_bytes().get(2) == Some(&b','))
                .unwrap_or(t);
            let name = t.strip_prefix("--")?;
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (name != "help" && !name.is_empty()).then_some(name)
        })
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

/// Long flags in the README's `scan` options table.
fn readme_flags() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let table = readme
        .split("### `scan` options")
        .nth(1)
        .expect("scan options section");
    let mut flags: Vec<String> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cell = l.split('|').nth(1)?;
            let at = cell.find("--")?;
            let name: String = cell[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            name.starts_with(|c: char| c.is_ascii_alphanumeric())
                .then_some(name)
        })
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn readme_flag_table_matches_scan_help() {
    let help = help_flags();
    assert!(help.contains(&"min-severity".to_string()), "{help:?}");
    assert_eq!(
        readme_flags(),
        help,
        "README `scan` options table vs `scan --help`"
    );
}

/// Runs `sh -c script` under `script(1)`, so that tokenward's stderr is a terminal.
fn on_a_terminal(script_text: &str, ci: bool) -> String {
    let mut c = StdCommand::new("script");
    c.args(["-qec", &format!("sh -c '{script_text}'"), "/dev/null"]);
    c.env_remove("CI");
    if ci {
        c.env("CI", "true");
    }
    let out = c.output().expect("script(1) from util-linux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_slow_scan_shows_progress_on_a_terminal_but_not_in_ci() {
    let bin = assert_cmd::cargo::cargo_bin("tokenward");
    // Standard input that arrives after 2 s keeps the scan running past the 1 s mark.
    let cmd = format!(
        "(sleep 2; echo hello) | \"{}\" scan - --format json >/dev/null",
        bin.display()
    );
    let tty = on_a_terminal(&cmd, false);
    assert!(
        tty.contains("scanning: 0 files (0.0 MB), 0 findings so far"),
        "{tty:?}"
    );
    let ci = on_a_terminal(&cmd, true);
    assert!(!ci.contains("scanning:"), "{ci:?}");
    assert!(ci.contains("tokenward: scanned 1 file"), "{ci:?}");
}
