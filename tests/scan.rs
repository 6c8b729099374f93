//! End-to-end tests of `tokenward scan`: run the built binary on fixtures and on
//! temporary trees, and check findings, lines, exit codes, formats, redaction, and
//! which files the walk visits.

mod common;

use common::*;
use tempfile::TempDir;

/// The tree from the core issue's acceptance line: a GitHub PAT in `.env`, an AWS key
/// pair in `config/app.yml`, a PEM private key in `.github/deploy.key`.
fn leaky_tree() -> (TempDir, String, String, String) {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(1);
    let key_id = aws_key_id(2);
    let secret = aws_secret(3);
    write(
        dir.path(),
        ".env",
        &format!("# deploy settings\nAPP_ENV=production\nGITHUB_TOKEN={pat}\n"),
    );
    write(
        dir.path(),
        "config/app.yml",
        &format!(
            "aws:\n  region: eu-west-1\n  aws_access_key_id: {key_id}\n  aws_secret_access_key: {secret}\n"
        ),
    );
    write(dir.path(), ".github/deploy.key", &pem_private_key(4));
    (dir, pat, key_id, secret)
}

#[test]
fn reports_pat_aws_pair_and_private_key_at_their_lines() {
    let (dir, ..) = leaky_tree();
    let (code, out, err) = scan(&[dir.path().to_str().expect("path"), "--format", "json"]);
    assert_eq!(code, 1, "stderr: {err}");
    let f = findings(&json(&out));
    assert!(
        f.contains(&("github-pat-classic".into(), 3, ".env".into())),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(id, line, p)| id.starts_with("aws-") && *line == 4 && p == "config/app.yml"),
        "AWS secret at line 4: {f:?}"
    );
    assert!(
        f.iter().any(|(id, line, p)| id.contains("private-key")
            && *line == 1
            && p == ".github/deploy.key"),
        "private key: {f:?}"
    );
}

#[test]
fn placeholders_and_documented_examples_are_quiet() {
    let (code, out, err) = scan(&["fixtures/clean", "--format", "json"]);
    assert_eq!(findings(&json(&out)), vec![], "stderr: {err}");
    assert_eq!(code, 0);
}

#[test]
fn generic_assignments_in_fixture_are_found() {
    let (code, out, _) = scan(&["fixtures/leaky", "--format", "json"]);
    assert_eq!(code, 1);
    let f = findings(&json(&out));
    assert!(
        f.iter()
            .any(|(_, l, p)| p == "fixtures/leaky/config/database.yml" && *l == 5),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(_, l, p)| p == "fixtures/leaky/.github/notes.txt" && *l == 2),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(_, l, p)| p == "fixtures/leaky/settings.py" && *l == 5),
        "{f:?}"
    );
    assert!(
        !f.iter()
            .any(|(_, l, p)| p == "fixtures/leaky/settings.py" && *l == 6),
        "env lookup is not a secret: {f:?}"
    );
}

#[test]
fn missing_path_is_one_clear_error_line() {
    let (code, out, err) = scan(&["does/not/exist"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("does/not/exist"), "{err}");
}

#[test]
fn no_secret_is_printed_whole_unless_asked() {
    let (dir, pat, key_id, secret) = leaky_tree();
    let root = dir.path().to_str().expect("path");
    for format in ["text", "json", "sarif", "github"] {
        let (code, out, err) = scan(&[root, "--format", format]);
        assert_eq!(code, 1);
        for s in [&pat, &key_id, &secret] {
            assert!(
                !out.contains(s.as_str()) && !err.contains(s.as_str()),
                "{format} leaks {s}"
            );
        }
        assert!(!out.contains(&pat[8..20]), "{format} leaks part of the PAT");
    }
    let (_, out, _) = scan(&[root, "--format", "json", "--no-redact"]);
    assert!(out.contains(&pat), "--no-redact shows the secret");
}

#[test]
fn sarif_has_what_code_scanning_reads() {
    let (dir, ..) = leaky_tree();
    let (code, out, _) = scan(&[dir.path().to_str().expect("path"), "--format", "sarif"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert!(results.len() >= 3);
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(
            !uri.starts_with('/') && !uri.contains('\\') && !uri.contains("tmp"),
            "{uri}"
        );
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(loc["region"][k].as_u64().expect(k) >= 1);
        }
        assert!(r["partialFingerprints"]["tokenward/v1"].as_str().is_some());
        let rule = rules
            .iter()
            .find(|x| x["id"] == id)
            .expect("rule for result");
        assert!(rule["properties"]["security-severity"].as_str().is_some());
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(rule["help"]["markdown"].as_str().is_some());
        let tags = rule["properties"]["tags"].as_array().expect("tags");
        assert!(tags.len() <= 10 && tags.iter().any(|t| t == "security"));
    }
}

#[test]
fn sarif_columns_count_code_points_after_emoji() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(9);
    write(dir.path(), "notes.md", &format!("🔑 token {pat}\n"));
    let (_, out, _) = scan(&[dir.path().to_str().expect("path"), "--format", "sarif"]);
    let v = json(&out);
    let region = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        region["startColumn"], 9,
        "emoji is one code point: {region}"
    );
    assert_eq!(region["endColumn"], 9 + 40);
}

#[test]
fn gitignored_files_are_skipped_unless_no_ignore_and_git_dir_never_scanned() {
    let dir = TempDir::new().expect("tempdir");
    let root = dir.path();
    write(root, ".gitignore", "ignored.env\n");
    write(root, "ignored.env", &format!("TOKEN={}\n", github_pat(5)));
    write(root, ".git/config", &format!("token = {}\n", github_pat(6)));
    write(
        root,
        ".github/workflows/notes.txt",
        &format!("TOKEN={}\n", github_pat(7)),
    );
    let r = root.to_str().expect("path");
    let paths = |args: &[&str]| -> Vec<String> {
        let (_, out, _) = scan(args);
        findings(&json(&out))
            .into_iter()
            .map(|(_, _, p)| p)
            .collect()
    };
    let default = paths(&[r, "--format", "json"]);
    assert_eq!(default, vec![".github/workflows/notes.txt".to_string()]);
    let all = paths(&[r, "--format", "json", "--no-ignore"]);
    assert!(all.contains(&"ignored.env".to_string()), "{all:?}");
    assert!(!all.iter().any(|p| p.starts_with(".git/")), "{all:?}");
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = TempDir::new().expect("tempdir");
    for i in 0..40 {
        write(
            dir.path(),
            &format!("d{}/f{i}.env", i % 7),
            &format!("X=1\nTOKEN={}\n", github_pat(100 + i)),
        );
    }
    let r = dir.path().to_str().expect("path");
    let (_, one, _) = scan(&[r, "--format", "sarif", "--threads", "1"]);
    let (_, two, _) = scan(&[r, "--format", "sarif", "--threads", "2"]);
    let strip = |s: &str| {
        let mut v = json(s);
        v["runs"][0]["properties"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&one), strip(&two));
    assert_eq!(
        findings(&json(&scan(&[r, "--format", "json", "-j", "1"]).1)).len(),
        40
    );
}

#[test]
fn named_files_are_scanned_as_the_walk_would_scan_them() {
    // A pre-commit hook names the staged files: they are scanned without starting the
    // parallel walker, even when an ignore file lists them (as the walker treats roots).
    let dir = TempDir::new().expect("tempdir");
    let root = dir.path();
    write(root, ".gitignore", "ignored.env\n");
    write(root, "ignored.env", &format!("TOKEN={}\n", github_pat(11)));
    write(root, "app.env", &format!("X=1\nTOKEN={}\n", github_pat(12)));
    let ignored = root.join("ignored.env");
    let app = root.join("app.env");
    let (code, out, err) = scan(&[
        app.to_str().expect("path"),
        ignored.to_str().expect("path"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    let mut lines: Vec<(String, u64)> = findings(&v)
        .into_iter()
        .map(|(id, line, p)| (format!("{id} {}", p.rsplit('/').next().unwrap_or(&p)), line))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            ("github-pat-classic app.env".to_string(), 2),
            ("github-pat-classic ignored.env".to_string(), 1)
        ]
    );
    assert_eq!(v["summary"]["files_scanned"], 2, "{v}");
    // A named symlink is followed (as by the walker, and by ripgrep for named paths).
    #[cfg(unix)]
    {
        let link = root.join("link.env");
        std::os::unix::fs::symlink(&app, &link).expect("symlink");
        let (_, out, err) = scan(&[link.to_str().expect("path"), "--format", "json"]);
        let v = json(&out);
        assert_eq!(findings(&v).len(), 1, "{err}");
        assert_eq!(v["summary"]["files_scanned"], 1, "{v}");
    }
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(8);
    std::fs::write(dir.path().join("blob.bin"), format!("\0\0{pat}")).expect("write");
    write(
        dir.path(),
        "big.txt",
        &format!("{}\n{pat}\n", "a".repeat(3000)),
    );
    write(dir.path(), "bad-utf8.txt", "");
    std::fs::write(
        dir.path().join("bad-utf8.txt"),
        [b"TOKEN=".as_slice(), pat.as_bytes(), b"\n\xff\xfe\n"].concat(),
    )
    .expect("write");
    let (code, out, err) = scan(&[
        dir.path().to_str().expect("path"),
        "--format",
        "json",
        "--max-file-size",
        "2K",
    ]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(
        findings(&v),
        vec![("github-pat-classic".into(), 1, "bad-utf8.txt".into())]
    );
    assert_eq!(v["summary"]["files_skipped"]["binary"], 1);
    assert_eq!(v["summary"]["files_skipped"]["too-large"], 1);
    assert!(
        err.contains("binary 1") && err.contains("too-large 1"),
        "{err}"
    );
}

#[test]
fn fail_on_threshold_sets_exit_code() {
    let (code, _, _) = scan(&["fixtures/leaky", "--fail-on", "critical"]);
    assert_eq!(code, 0);
    let (code, _, _) = scan(&["fixtures/leaky", "--fail-on", "medium"]);
    assert_eq!(code, 1);
}

#[test]
fn output_file_and_text_format() {
    let dir = TempDir::new().expect("tempdir");
    let report = dir.path().join("report.txt");
    let (code, out, _) = scan(&["fixtures/leaky", "--output", report.to_str().expect("path")]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    let text = std::fs::read_to_string(report).expect("report");
    assert!(text.contains("settings.py:5:"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn base64_github_token_in_kubernetes_secret_is_found_at_the_encoded_value() {
    use base64::Engine as _;
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(21);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pat);
    write(
        dir.path(),
        "k8s/secret.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci-token\ntype: Opaque\ndata:\n  user: YWRtaW4=\n  token: {encoded}\n"
        ),
    );
    let (code, out, _) = scan(&[dir.path().to_str().expect("path"), "--format", "json"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(
        findings(&v),
        vec![("github-pat-classic".into(), 8, "k8s/secret.yaml".into())]
    );
    assert_eq!(v["findings"][0]["span"]["start_column"], 10);
    assert!(!out.contains(&pat) && !out.contains(&encoded));
}

#[test]
fn aws_key_pair_is_reported_once_at_the_secret() {
    let (dir, ..) = leaky_tree();
    let (_, out, _) = scan(&[
        dir.path().join("config").to_str().expect("path"),
        "--format",
        "json",
    ]);
    let f = findings(&json(&out));
    assert_eq!(
        f,
        vec![("aws-secret-access-key".into(), 4, "app.yml".into())]
    );
}

#[test]
fn lone_aws_key_id_is_still_reported() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "deploy.sh",
        &format!("export AWS_ACCESS_KEY_ID={}\n", aws_key_id(31)),
    );
    let (code, out, _) = scan(&[dir.path().to_str().expect("path"), "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json(&out)),
        vec![("aws-access-key-id".into(), 1, "deploy.sh".into())]
    );
}

#[test]
fn lock_files_only_report_distinctive_formats() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "package-lock.json",
        "{\"packages\": {\"node_modules/x\": {\"integrity\": \"sha512-Zq4Wm8Kp2Xr7Tn5Lb9Vc3Hd6Jf\", \"token\": \"Rk5Tz8Qm3Wx7Lp2Nv9Bc4Hy\"}}}\n",
    );
    let (code, out, _) = scan(&[dir.path().to_str().expect("path"), "--format", "json"]);
    assert_eq!(findings(&json(&out)), vec![]);
    assert_eq!(code, 0);
}

#[test]
fn a_report_written_into_the_scanned_tree_does_not_report_itself() {
    // Users write `tokenward.sarif` next to their code; the next scan reads it. Rule and
    // audit help in the report must not hold anything a rule takes for a secret.
    let dir = tempfile::tempdir().expect("tmp");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    for format in ["sarif", "json"] {
        let report = dir.path().join(format!("report.{format}"));
        let report = report.to_str().expect("utf-8");
        let out = common::tokenward()
            .args([
                "scan",
                fixtures,
                "--no-ignore",
                "--format",
                format,
                "--output",
                report,
            ])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "the fixtures have findings");
        let again = common::tokenward()
            .args(["scan", report, "--no-config", "--format", "json"])
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&again.stdout);
        assert_eq!(again.status.code(), Some(0), "{format}: {stdout}");
    }
}

#[test]
fn a_folder_named_from_outside_git_is_the_repository_its_workflows_are_audited() {
    // `tokenward scan case` from a parent folder that is not a git repository: `case`
    // is the root, so `case/.github/workflows` is the folder GitHub runs, not a nested one.
    let parent = TempDir::new().expect("tmp");
    write(
        &parent.path().join("case"),
        ".github/workflows/ci.yml",
        "on: pull_request_target\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    );
    for arg in ["case", parent.path().join("case").to_str().expect("utf-8")] {
        let out = common::tokenward()
            .current_dir(parent.path())
            .args(["scan", arg, "--format", "json", "--no-config"])
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v = json(&stdout);
        let ids: Vec<&str> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["rule_id"].as_str())
            .collect();
        assert!(ids.contains(&"template-injection"), "{arg}: {stdout}");
        assert_eq!(
            v["findings"][0]["path"], ".github/workflows/ci.yml",
            "{arg}: paths relative to the scanned folder"
        );
    }
}
