//! Where users run tokenward, tested for real: `scan --staged` on a temporary
//! repository's index, `scan --git` on a history built here, `install-hook` with a
//! real `git commit`, the real `pre-commit` running this repository's hooks (the
//! `tokenward-system` hook with the built binary, and the `tokenward` hook that
//! `cargo install`s this source), and `action.yml`'s run steps under a fake runner.
//!
//! Tools other than git (pre-commit, check-jsonschema) are installed by `.ci/run`;
//! when one is missing outside CI the test says why it skipped, and under `CI` it fails.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// A new repository with one clean commit.
fn new_repo() -> TempDir {
    let dir = TempDir::new().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["config", "commit.gpgsign", "false"]);
    write(dir.path(), "README.md", "# demo\n");
    git(dir.path(), &["add", "README.md"]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    dir
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A Python tool run as `python3 -m MODULE` (works whether or not pip put its script
/// on PATH).
fn py_tool(module: &str) -> Command {
    let mut c = Command::new("python3");
    c.args(["-m", module]);
    c
}

/// Whether a Python module can run; outside CI a missing one skips the test (saying
/// why), under `CI` it fails: `.ci/run` installs it.
fn have_module(module: &str, probe: &[&str]) -> bool {
    let ok = Command::new("python3")
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python module `{module}` is missing; .ci/run installs it (scripts/requirements-ci.txt)"
        );
        eprintln!(
            "skipped: python module `{module}` is not installed (pip install -r scripts/requirements-ci.txt)"
        );
    }
    ok
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn staged_scan_reads_the_index_not_the_working_tree() {
    let repo = new_repo();
    let dir = repo.path();
    let staged = github_pat(601);
    let unstaged = github_pat(602);
    let untracked = github_pat(603);
    // Staged with a secret, then cleaned in the working tree only.
    write(dir, "app/.env", &format!("A=1\nGITHUB_TOKEN={staged}\n"));
    git(dir, &["add", "app/.env"]);
    write(dir, "app/.env", "A=1\nGITHUB_TOKEN=${GITHUB_TOKEN}\n");
    // A tracked file changed in the working tree only, and an untracked file.
    write(dir, "README.md", &format!("# demo\ntoken {unstaged}\n"));
    write(dir, "notes.txt", &format!("{untracked}\n"));

    let (code, out, err) = run_in(dir, &["scan", "--staged", "--format", "json"]);
    assert_eq!(code, 1, "stderr: {err}");
    let f = findings(&json(&out));
    assert_eq!(
        f,
        vec![("github-pat-classic".to_string(), 2, "app/.env".to_string())],
        "{err}"
    );
    for s in [&staged, &unstaged, &untracked] {
        assert!(!out.contains(s.as_str()) && !err.contains(s.as_str()));
    }

    // From a subdirectory, paths stay relative to the repository root.
    let (code, out, _) = run_in(&dir.join("app"), &["scan", "--staged", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json(&out))[0].2, "app/.env");

    // Staging the cleaned file makes the index clean again.
    git(dir, &["add", "app/.env"]);
    let (code, out, err) = run_in(dir, &["scan", "--staged", "--pre-commit"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "", "pre-commit mode prints nothing when clean");
}

#[test]
fn staged_scan_works_before_the_first_commit_and_outside_a_repository_fails() {
    let dir = TempDir::new().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    let pat = github_pat(604);
    write(dir.path(), "k.txt", &format!("{pat}\n"));
    git(dir.path(), &["add", "k.txt"]);
    let (code, out, err) = run_in(dir.path(), &["scan", "--staged", "--pre-commit"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("k.txt:1:1: high github-pat-classic"), "{out}");
    assert!(out.contains("commit blocked"), "{out}");
    assert!(!out.contains(&pat));

    let plain = TempDir::new().expect("tempdir");
    let (code, _, err) = run_in(plain.path(), &["scan", "--staged"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("git"), "{err}");
}

#[test]
fn history_scan_finds_a_deleted_secret_at_the_commit_that_added_it() {
    let repo = new_repo();
    let dir = repo.path();
    let pat = github_pat(611);
    write(
        dir,
        "deploy/config.env",
        &format!("REGION=eu-west-1\nDEBUG=0\nGITHUB_TOKEN={pat}\n"),
    );
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "add deploy config"]);
    let added = git(dir, &["rev-parse", "HEAD"]);
    // Moved down by a line in a later commit: same secret, same file, not reported again.
    write(
        dir,
        "deploy/config.env",
        &format!("# deploy\nREGION=eu-west-1\nDEBUG=0\nGITHUB_TOKEN={pat}\n"),
    );
    git(dir, &["commit", "-q", "-am", "comment"]);
    write(
        dir,
        "deploy/config.env",
        "# deploy\nREGION=eu-west-1\nDEBUG=0\n",
    );
    git(dir, &["commit", "-q", "-am", "remove token"]);
    let removed = git(dir, &["rev-parse", "HEAD"]);

    // The working tree is clean.
    let (code, _, _) = run_in(dir, &["scan", "."]);
    assert_eq!(code, 0);

    let (code, out, err) = run_in(dir, &["scan", "--git", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("git history: 4 commits"), "{err}");
    let v = json(&out);
    let all = v["findings"].as_array().expect("findings");
    assert_eq!(all.len(), 1, "{out}");
    let f = &all[0];
    assert_eq!(f["rule_id"], "github-pat-classic");
    assert_eq!(f["path"], "deploy/config.env");
    assert_eq!(
        f["span"]["start_line"], 3,
        "line in the adding commit's file"
    );
    assert_eq!(f["span"]["start_column"], 14);
    assert_eq!(f["commit"]["id"], added.as_str());
    assert_eq!(f["commit"]["author"], "Ada Tester <ada@example.com>");
    assert!(f["commit"]["date"].as_str().is_some_and(|d| d.len() >= 20));
    assert!(!out.contains(&pat) && !err.contains(&pat));

    // Text and SARIF carry the commit too.
    let (_, out, _) = run_in(dir, &["scan", "--git"]);
    assert!(
        out.contains(&format!("commit: {added} (Ada Tester")),
        "{out}"
    );
    let (_, out, _) = run_in(dir, &["scan", "--git=HEAD", "--format", "sarif"]);
    let sarif = json(&out);
    let props = &sarif["runs"][0]["results"][0]["properties"];
    assert_eq!(props["commit"], added.as_str(), "{out}");
    assert_eq!(props["author"], "Ada Tester <ada@example.com>");

    // A range that starts after the secret was added does not see it.
    let (code, out, _) = run_in(
        dir,
        &[
            "scan",
            "--git",
            &format!("{added}..{removed}"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(findings(&json(&out)), vec![]);

    // A range cannot smuggle in a git option.
    let (code, _, err) = run_in(dir, &["scan", "--git=--output=/tmp/x"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be an option"), "{err}");
}

#[test]
fn history_scan_handles_renames_odd_paths_and_empty_ranges() {
    let repo = new_repo();
    let dir = repo.path();
    let pat = github_pat(612);
    write(dir, "odd dir/a \"b\" é.txt", &format!("x\n{pat}\n"));
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "odd"]);
    git(dir, &["mv", "odd dir/a \"b\" é.txt", "renamed.txt"]);
    git(dir, &["commit", "-q", "-m", "rename"]);
    let (code, out, err) = run_in(dir, &["scan", "--git", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let f = findings(&json(&out));
    // A pure rename adds no line, so the secret is reported once, at its first path.
    assert_eq!(
        f,
        vec![(
            "github-pat-classic".to_string(),
            2,
            "odd dir/a \"b\" é.txt".to_string()
        )]
    );
    let (code, out, _) = run_in(dir, &["scan", "--git", "HEAD..HEAD", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(findings(&json(&out)), vec![]);
    let (code, _, err) = run_in(dir, &["scan", "--git", "no-such-branch"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-branch"), "{err}");
}

#[test]
fn install_hook_blocks_a_commit_with_a_secret_and_refuses_to_overwrite() {
    let repo = new_repo();
    let dir = repo.path();
    let (code, _, err) = run_in(dir, &["install-hook"]);
    assert_eq!(code, 0, "{err}");
    let hook = dir.join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).expect("hook written");
    assert!(script.contains("scan --staged --pre-commit"), "{script}");

    let (code, _, err) = run_in(dir, &["install-hook"]);
    assert_eq!(code, 2);
    assert!(err.contains("--force"), "{err}");
    let (code, _, err) = run_in(dir, &["install-hook", "--force"]);
    assert_eq!(code, 0, "{err}");

    let pat = github_pat(621);
    write(dir, "settings.py", &format!("TOKEN = \"{pat}\"\n"));
    git(dir, &["add", "settings.py"]);
    let out = git_cmd(dir)
        .args(["commit", "-m", "leak"])
        .output()
        .expect("git commit");
    let shown = text(&out);
    assert!(!out.status.success(), "the hook blocks the commit: {shown}");
    assert!(
        shown.contains("settings.py:1:10: high github-pat-classic"),
        "{shown}"
    );
    assert!(!shown.contains(&pat), "redacted: {shown}");
    assert_eq!(git(dir, &["rev-list", "--count", "HEAD"]), "1");

    write(dir, "settings.py", "TOKEN = os.environ[\"TOKEN\"]\n");
    git(dir, &["add", "settings.py"]);
    git(dir, &["commit", "-q", "-m", "clean"]);
    assert_eq!(git(dir, &["rev-list", "--count", "HEAD"]), "2");
}

#[test]
fn install_hook_respects_core_hooks_path() {
    let repo = new_repo();
    let dir = repo.path();
    git(dir, &["config", "core.hooksPath", "tools/hooks"]);
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    let (code, _, err) = run_in(&dir.join("sub"), &["install-hook"]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("tools/hooks/pre-commit").is_file());
    assert!(!dir.join(".git/hooks/pre-commit").exists());
}

/// A git repository holding `files` (paths relative to this crate), committed; returns
/// it and the commit id, for pre-commit's `repo:` and `rev:`.
fn hooks_repo(files: &[String]) -> (TempDir, String) {
    let dir = TempDir::new().expect("tempdir");
    for f in files {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(manifest_dir().join(f), &to).unwrap_or_else(|e| panic!("copy {f}: {e}"));
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(
        dir.path(),
        &["-c", "commit.gpgsign=false", "commit", "-q", "-m", "hooks"],
    );
    let rev = git(dir.path(), &["rev-parse", "HEAD"]);
    (dir, rev)
}

/// Runs the real pre-commit with hook `id` from `hooks` in a new repository: a clean
/// commit passes, a commit with a planted token is blocked with a redacted message.
fn pre_commit_blocks_planted_token(hooks: &Path, rev: &str, id: &str, envs: &[(&str, String)]) {
    let repo = TempDir::new().expect("tempdir");
    let dir = repo.path();
    let home = TempDir::new().expect("pre-commit home");
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
    write(
        dir,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {id}\n",
            hooks.display()
        ),
    );
    let bin_dir = assert_cmd::cargo::cargo_bin("tokenward")
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |args: &[&str]| {
        let mut c = git_cmd(dir);
        c.args(args)
            .env("PRE_COMMIT_HOME", home.path())
            .env("PATH", &path);
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().expect("run")
    };
    let out = {
        let mut c = py_tool("pre_commit");
        c.current_dir(dir)
            .arg("install")
            .env("PRE_COMMIT_HOME", home.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        c.output().expect("pre-commit install")
    };
    assert!(out.status.success(), "{}", text(&out));

    write(dir, "app.py", "import os\nTOKEN = os.environ[\"TOKEN\"]\n");
    git(dir, &["add", "."]);
    // The first commit installs the hook's environment: its time is the first-install time.
    let start = std::time::Instant::now();
    let out = run(&["commit", "-m", "clean"]);
    eprintln!(
        "pre-commit hook {id}: first commit (environment install + run) took {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "clean commit passes: {}", text(&out));
    assert!(text(&out).contains("Passed"), "{}", text(&out));

    let pat = github_pat(631);
    write(dir, "config/.env", &format!("APP=1\nGITHUB_TOKEN={pat}\n"));
    git(dir, &["add", "."]);
    let out = run(&["commit", "-m", "leak"]);
    let shown = text(&out);
    assert!(!out.status.success(), "planted token blocks: {shown}");
    assert!(shown.contains("Failed"), "{shown}");
    assert!(
        shown.contains("config/.env:2:14: high github-pat-classic [ghp_"),
        "{shown}"
    );
    assert!(!shown.contains(&pat), "redacted: {shown}");
    assert_eq!(git(dir, &["rev-list", "--count", "HEAD"]), "1");
}

#[test]
fn pre_commit_system_hook_uses_the_binary_on_path() {
    if !have_module("pre_commit", &["-m", "pre_commit", "--version"]) {
        return;
    }
    let (hooks, rev) = hooks_repo(&[".pre-commit-hooks.yaml".to_string()]);
    pre_commit_blocks_planted_token(hooks.path(), &rev, "tokenward-system", &[]);
}

/// The files of this crate a clean clone would have: tracked plus untracked, not ignored.
fn crate_files() -> Vec<String> {
    let out = git(
        &manifest_dir(),
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    out.split('\0')
        .filter(|f| !f.is_empty() && manifest_dir().join(f).is_file())
        .map(str::to_string)
        .collect()
}

#[test]
fn pre_commit_rust_hook_installs_this_source_with_cargo() {
    if !have_module("pre_commit", &["-m", "pre_commit", "--version"]) {
        return;
    }
    let (hooks, rev) = hooks_repo(&crate_files());
    // pre-commit runs `cargo install --path .` on the hook repository; a target dir of
    // our own keeps dependencies compiled between runs, and thin LTO off keeps the
    // release build to a couple of minutes on two cores.
    let target = manifest_dir().join("target/pre-commit-install");
    pre_commit_blocks_planted_token(
        hooks.path(),
        &rev,
        "tokenward",
        &[
            ("CARGO_TARGET_DIR", target.display().to_string()),
            ("CARGO_PROFILE_RELEASE_LTO", "false".to_string()),
            ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16".to_string()),
        ],
    );
}

/// The version in Cargo.toml, pyproject.toml's (the pre-commit package) and its pin of
/// the `tokenward` wheel must agree, or the `tokenward-pypi` hook installs another version.
#[test]
fn pre_commit_package_pins_the_wheel_of_this_version() {
    let cargo = std::fs::read_to_string(manifest_dir().join("Cargo.toml")).expect("Cargo.toml");
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("package version");
    let py = std::fs::read_to_string(manifest_dir().join("pyproject.toml")).expect("pyproject");
    assert!(py.contains(&format!("\nversion = \"{version}\"\n")), "{py}");
    assert!(
        py.contains(&format!("dependencies = [\"tokenward=={version}\"]")),
        "{py}"
    );
    let wheel = std::fs::read_to_string(manifest_dir().join("python/pyproject.toml"))
        .expect("python/pyproject.toml");
    assert!(wheel.contains("bindings = \"bin\""), "{wheel}");
}

/// The `tokenward-pypi` hook with the wheel at hand (built here with maturin; pip may not
/// use an index): a fresh venv gets a working `tokenward` from the wheel alone, and
/// pre-commit installs the hook from it in seconds and blocks a staged token.
#[test]
fn pre_commit_python_hook_installs_the_prebuilt_wheel() {
    if !have_module("pre_commit", &["-m", "pre_commit", "--version"])
        || !have_module("maturin", &["-m", "maturin", "--version"])
    {
        return;
    }
    let links = TempDir::new().expect("tempdir");
    // A release build: the same one `cargo build --release` makes, so it is reused.
    let out = py_tool("maturin")
        .current_dir(manifest_dir().join("python"))
        .args(["build", "--release", "--locked", "--out"])
        .arg(links.path())
        .output()
        .expect("maturin build");
    assert!(out.status.success(), "maturin build: {}", text(&out));
    // The build backend of the hook package, so pip needs no index at all.
    let out = py_tool("pip")
        .args(["download", "--quiet", "--only-binary", ":all:", "--dest"])
        .arg(links.path())
        .arg("setuptools>=77")
        .output()
        .expect("pip download");
    assert!(
        out.status.success(),
        "pip download setuptools: {}",
        text(&out)
    );

    let venv = TempDir::new().expect("venv");
    let out = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv.path())
        .output()
        .expect("venv");
    assert!(out.status.success(), "{}", text(&out));
    let out = Command::new(venv.path().join("bin/pip"))
        .args(["install", "--quiet", "--no-index", "--find-links"])
        .arg(links.path())
        .arg("tokenward")
        .output()
        .expect("pip install");
    assert!(
        out.status.success(),
        "pip install tokenward: {}",
        text(&out)
    );
    let out = Command::new(venv.path().join("bin/tokenward"))
        .arg("--version")
        .output()
        .expect("tokenward from the wheel");
    assert!(
        out.status.success() && text(&out).starts_with("tokenward "),
        "{}",
        text(&out)
    );

    let (hooks, rev) = hooks_repo(&crate_files());
    let links = links.path().display().to_string();
    pre_commit_blocks_planted_token(
        hooks.path(),
        &rev,
        "tokenward-pypi",
        &[("PIP_NO_INDEX", "1".to_string()), ("PIP_FIND_LINKS", links)],
    );
}

#[test]
fn action_metadata_validates_against_the_github_actions_schema() {
    if !have_module("check_jsonschema", &["-m", "check_jsonschema", "--version"]) {
        return;
    }
    let out = py_tool("check_jsonschema")
        .current_dir(manifest_dir())
        .args(["--builtin-schema", "vendor.github-actions", "action.yml"])
        .output()
        .expect("check-jsonschema");
    assert!(out.status.success(), "{}", text(&out));
    let out = py_tool("check_jsonschema")
        .current_dir(manifest_dir())
        .args([
            "--builtin-schema",
            "vendor.github-workflows",
            ".github/workflows/ci.yml",
            ".github/workflows/release.yml",
        ])
        .output()
        .expect("check-jsonschema");
    assert!(out.status.success(), "{}", text(&out));
}

/// The fenced block of `lang` that follows `heading` in README.md.
fn readme_block(heading: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README");
    let after = &readme[readme.find(heading).expect("README section")..];
    let start = after.find(&format!("```{lang}\n")).expect("code block") + lang.len() + 4;
    let len = after[start..].find("```").expect("block end");
    after[start..start + len].to_string()
}

#[test]
fn readme_examples_are_valid_workflow_and_pre_commit_config() {
    if !have_module("check_jsonschema", &["-m", "check_jsonschema", "--version"]) {
        return;
    }
    let dir = TempDir::new().expect("tempdir");
    let workflow = readme_block("### GitHub Action", "yaml");
    assert!(workflow.contains("security-events: write") && workflow.contains("contents: read"));
    write(dir.path(), "tokenward.yml", &workflow);
    let config = readme_block("### pre-commit", "yaml");
    write(dir.path(), "pre-commit.yaml", &config);
    let out = py_tool("check_jsonschema")
        .current_dir(dir.path())
        .args([
            "--builtin-schema",
            "vendor.github-workflows",
            "tokenward.yml",
        ])
        .output()
        .expect("check-jsonschema");
    assert!(out.status.success(), "README workflow: {}", text(&out));
    if have_module("pre_commit", &["-m", "pre_commit", "--version"]) {
        let out = py_tool("pre_commit")
            .current_dir(dir.path())
            .args(["validate-config", "pre-commit.yaml"])
            .output()
            .expect("pre-commit validate-config");
        assert!(
            out.status.success(),
            "README pre-commit config: {}",
            text(&out)
        );
        let out = py_tool("pre_commit")
            .current_dir(manifest_dir())
            .args(["validate-manifest", ".pre-commit-hooks.yaml"])
            .output()
            .expect("pre-commit validate-manifest");
        assert!(
            out.status.success(),
            ".pre-commit-hooks.yaml: {}",
            text(&out)
        );
    }
    let hooks =
        std::fs::read_to_string(manifest_dir().join(".pre-commit-hooks.yaml")).expect("hooks file");
    for id in ["tokenward", "tokenward-system", "tokenward-pypi"] {
        assert!(hooks.contains(&format!("- id: {id}\n")), "hook {id}");
        assert!(config.contains(&format!("id: {id} ")), "README names {id}");
    }
}

#[test]
fn action_run_steps_produce_sarif_and_outputs_under_a_fake_runner() {
    if !have_module("yaml", &["-c", "import yaml"]) {
        return;
    }
    let out = Command::new("bash")
        .current_dir(manifest_dir())
        .arg("scripts/test-action.sh")
        .output()
        .expect("run scripts/test-action.sh");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("action: all checks passed"),
        "{}",
        text(&out)
    );
}

#[test]
fn github_annotations_keep_10_per_level_say_what_was_left_out_and_name_the_commit() {
    let repo = new_repo();
    let dir = repo.path();
    // 55 medium generic secrets, then 5 high GitHub tokens further down.
    let mut text = String::new();
    for i in 0..55 {
        text.push_str(&format!(
            "SECRET_KEY_{i} = \"{}\"\n",
            random_alnum(700 + i, 40)
        ));
    }
    for i in 0..5 {
        text.push_str(&format!("TOKEN_{i} = \"{}\"\n", github_pat(750 + i)));
    }
    write(dir, "settings.py", &text);
    let (code, out, err) = run_in(dir, &["scan", ".", "--format", "github"]);
    assert_eq!(code, 1, "{err}");
    // GitHub shows 10 error, 10 warning and 10 notice annotations per step.
    let annotations: Vec<&str> = out.lines().filter(|l| l.contains(" file=")).collect();
    let errors = annotations
        .iter()
        .filter(|l| l.starts_with("::error ") && l.contains("github-pat-classic"))
        .count();
    assert_eq!(errors, 5, "every high finding is annotated: {out}");
    let warnings = annotations
        .iter()
        .filter(|l| l.starts_with("::warning "))
        .count();
    assert_eq!(warnings, 10, "{out}");
    assert!(
        out.contains("45 findings are not annotated (GitHub shows at most 10 error"),
        "{out}"
    );
    // The left-out findings are listed as plain lines; the summary is printed once.
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("  settings.py:"))
            .count(),
        45
    );
    assert_eq!(
        (out.clone() + &err).matches("tokenward: scanned").count(),
        1
    );

    git(dir, &["add", "settings.py"]);
    git(dir, &["commit", "-q", "-m", "leak"]);
    let sha = git(dir, &["rev-parse", "HEAD"]);
    let (_, out, _) = run_in(dir, &["scan", "--git", "--format", "github"]);
    assert!(
        out.contains(&format!("Added in commit {} by Ada Tester", &sha[..12])),
        "{out}"
    );
}
