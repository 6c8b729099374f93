//! End-to-end tests of suppression and configuration: inline markers, `tokenward.toml`
//! (allows with expiry, excludes, severity, custom rules, errors with file:line:col),
//! baselines, gitleaks rule import, and how each output format reports suppression.

mod common;

use common::*;
use tempfile::TempDir;

fn arg(dir: &TempDir) -> &str {
    dir.path().to_str().expect("utf-8 temp path")
}

/// A fake Acme key matched by the custom gitleaks rule in the fixture.
fn acme_key(seed: u64) -> String {
    format!("acme_{}", random_alnum(seed, 32))
}

#[test]
fn inline_allow_naming_the_rule_hides_the_secret() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(11);
    write(
        dir.path(),
        "app.py",
        &format!("TOKEN = \"{pat}\"  # tokenward:allow[github-pat-classic] test fixture\n"),
    );
    let (code, out, err) = scan(&[arg(&dir), "--format", "json"]);
    assert_eq!(code, 0, "stderr: {err}");
    let v = json(&out);
    assert_eq!(findings(&v), vec![]);
    assert_eq!(v["summary"]["suppressed"]["inline"], 1, "{out}");
    assert!(err.contains("1 suppressed (inline 1)"), "{err}");
}

#[test]
fn inline_allow_naming_another_rule_does_not_hide_the_secret() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(12);
    write(
        dir.path(),
        "app.py",
        &format!("TOKEN = \"{pat}\"  # tokenward:allow[aws-access-key-id] test fixture\n"),
    );
    let (code, out, err) = scan(&[arg(&dir), "--format", "json"]);
    assert_eq!(code, 1, "stderr: {err}");
    assert_eq!(
        findings(&json(&out)),
        vec![("github-pat-classic".to_string(), 1, "app.py".to_string())]
    );
}

fn baseline(args: &[&str]) -> (i32, String, String) {
    common::run("baseline", args)
}

#[test]
fn baseline_survives_lines_added_above_and_new_secrets_are_reported() {
    let dir = TempDir::new().expect("tempdir");
    let store = TempDir::new().expect("tempdir");
    let old = github_pat(21);
    write(
        dir.path(),
        "config/settings.py",
        &format!("DEBUG = False\nGITHUB_TOKEN = \"{old}\"\n"),
    );
    let (code, text, err) = baseline(&[arg(&dir)]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(
        !text.contains(&old[4..]),
        "a baseline never holds the secret"
    );
    let (_, again, _) = baseline(&[arg(&dir)]);
    assert_eq!(text, again, "baseline output is stable");
    let b = json(&text);
    assert_eq!(b["version"], 2);
    assert_eq!(b["findings"][0]["rule_id"], "github-pat-classic");
    assert_eq!(b["findings"][0]["path"], "config/settings.py");
    let file = store.path().join("baseline.json");
    std::fs::write(&file, &text).expect("write baseline");
    let file = file.to_str().expect("utf-8");

    // 20 new lines above the known secret: still hidden.
    let filler: String = (0..20).map(|i| format!("SETTING_{i} = {i}\n")).collect();
    write(
        dir.path(),
        "config/settings.py",
        &format!("{filler}DEBUG = False\nGITHUB_TOKEN = \"{old}\"\n"),
    );
    let (code, out, err) = scan(&[arg(&dir), "--baseline", file, "--format", "json"]);
    assert_eq!(code, 0, "stderr: {err}");
    let v = json(&out);
    assert_eq!(findings(&v), vec![]);
    assert_eq!(v["summary"]["suppressed"]["baseline"], 1);

    // A new secret in the same file is reported; the known one stays hidden.
    let new = github_pat(22);
    write(
        dir.path(),
        "config/settings.py",
        &format!("{filler}DEBUG = False\nGITHUB_TOKEN = \"{old}\"\nOTHER = \"{new}\"\n"),
    );
    let (code, out, err) = scan(&[arg(&dir), "--baseline", file, "--format", "json"]);
    assert_eq!(code, 1, "stderr: {err}");
    assert_eq!(
        findings(&json(&out)),
        vec![(
            "github-pat-classic".to_string(),
            23,
            "config/settings.py".to_string()
        )]
    );
}

/// `scan DIR --baseline FILE --format json`.
fn scan_json_with_baseline(dir: &TempDir, file: &std::path::Path) -> (i32, String, String) {
    scan(&[
        arg(dir),
        "--baseline",
        file.to_str().expect("p"),
        "--format",
        "json",
    ])
}

#[test]
fn a_baseline_hides_a_reused_secret_and_its_copies() {
    let dir = TempDir::new().expect("tempdir");
    let store = TempDir::new().expect("tempdir");
    let pat = github_pat(24);
    write(dir.path(), "a.env", &format!("T={pat}\n"));
    write(dir.path(), "b.env", &format!("T={pat}\n"));
    let (code, out, _) = scan(&[arg(&dir), "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json(&out))[0].0, "secret-reuse", "{out}");
    let (_, text, _) = baseline(&[arg(&dir)]);
    let rules: Vec<String> = json(&text)["findings"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["rule_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        rules,
        ["github-pat-classic", "secret-reuse", "github-pat-classic"],
        "the group and each copy are recorded: {text}"
    );
    let file = store.path().join("b.json");
    std::fs::write(&file, &text).expect("write");
    let (code, out, err) = scan(&[arg(&dir), "--baseline", file.to_str().expect("p")]);
    assert_eq!(code, 0, "{out}{err}");

    // A baseline that records only the group (as older versions wrote) still hides it.
    let group_only = json(&text)["findings"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["rule_id"] == "secret-reuse")
        .cloned()
        .collect::<Vec<_>>();
    let old = serde_json::json!({"version": 2, "tool": "tokenward", "findings": group_only});
    std::fs::write(&file, old.to_string()).expect("write");
    let (code, out, err) = scan(&[arg(&dir), "--baseline", file.to_str().expect("p")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("hid 1 reused-secret group"), "{err}");

    // A third copy in a new file is new: it is reported.
    write(dir.path(), "c.env", &format!("T={pat}\n"));
    std::fs::write(&file, &text).expect("write");
    let (code, out, _) = scan_json_with_baseline(&dir, &file);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json(&out)),
        vec![("github-pat-classic".to_string(), 1, "c.env".to_string())]
    );
}

#[test]
fn a_moved_file_is_a_new_finding() {
    let dir = TempDir::new().expect("tempdir");
    let store = TempDir::new().expect("tempdir");
    write(dir.path(), "a.env", &format!("T={}\n", github_pat(23)));
    let (_, text, _) = baseline(&[arg(&dir)]);
    let file = store.path().join("b.json");
    std::fs::write(&file, &text).expect("write");
    std::fs::rename(dir.path().join("a.env"), dir.path().join("b.env")).expect("mv");
    let (code, out, _) = scan_json_with_baseline(&dir, &file);
    assert_eq!(code, 1);
    assert_eq!(findings(&json(&out)).len(), 1);
}

#[test]
fn a_bad_baseline_is_an_error_with_position() {
    let dir = TempDir::new().expect("tempdir");
    let store = TempDir::new().expect("tempdir");
    write(dir.path(), "x.txt", "nothing\n");
    write(
        store.path(),
        "bad-baseline.json",
        "{\n  \"version\": 1,\n  oops\n}\n",
    );
    let bad = store.path().join("bad-baseline.json");
    let (code, _, err) = scan(&[arg(&dir), "--baseline", bad.to_str().expect("p")]);
    assert_eq!(code, 2);
    assert!(err.contains("bad-baseline.json:3:"), "{err}");
}

#[test]
fn config_allow_hides_until_it_expires_then_reports_itself() {
    let dir = TempDir::new().expect("tempdir");
    let pat = github_pat(31);
    write(
        dir.path(),
        "tests/fixtures/token.txt",
        &format!("token: {pat}\n"),
    );
    let config = |expires: &str| {
        format!(
            "# exceptions\n[[allow]]\nrule = \"github-pat-classic\"\npaths = [\"tests/fixtures/**\"]\nreason = \"fake token for parser tests\"\nowner = \"@platform-security\"\nexpires = \"{expires}\"\n"
        )
    };
    write(dir.path(), "tokenward.toml", &config("2999-12-31"));
    let (code, out, err) = scan(&[arg(&dir), "--format", "json"]);
    assert_eq!(code, 0, "stderr: {err}");
    let v = json(&out);
    assert_eq!(findings(&v), vec![]);
    assert_eq!(v["summary"]["suppressed"]["config"], 1);
    let notices = v["summary"]["notices"].to_string();
    assert!(notices.contains("tokenward.toml"), "{notices}");

    write(dir.path(), "tokenward.toml", &config("2020-01-31"));
    let (code, out, err) = scan(&[arg(&dir), "--format", "json"]);
    assert_eq!(code, 1, "stderr: {err}");
    let v = json(&out);
    let f = findings(&v);
    assert!(
        f.contains(&(
            "github-pat-classic".into(),
            1,
            "tests/fixtures/token.txt".into()
        )),
        "the expired allow stops suppressing: {f:?}"
    );
    assert!(
        f.contains(&("expired-allow".into(), 7, "tokenward.toml".into())),
        "{f:?}"
    );
    let expired = v["findings"]
        .as_array()
        .expect("array")
        .iter()
        .find(|x| x["rule_id"] == "expired-allow")
        .expect("expired-allow finding");
    let msg = expired["message"].as_str().expect("message");
    assert!(msg.contains("tokenward.toml:2"), "names the entry: {msg}");
    assert!(
        msg.contains("2020-01-31") && msg.contains("@platform-security"),
        "{msg}"
    );
    assert_eq!(expired["kind"], "config");
}

#[test]
fn expired_allow_is_explained() {
    let out = tokenward()
        .args(["rules", "explain", "expired-allow"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("expires"), "{text}");
}

fn assert_config_error(config: &str, expected: &str) {
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), "tokenward.toml", config);
    write(dir.path(), "a.txt", "hello\n");
    let (code, _, err) = scan(&[arg(&dir)]);
    assert_eq!(code, 2, "stderr: {err}");
    assert!(err.contains(expected), "expected `{expected}` in: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn malformed_config_exits_2_with_file_line_column() {
    assert_config_error(
        "fail-on = \"high\"\nexclude_path = [\"vendor\"]\n",
        "tokenward.toml:2:1: unknown key `exclude_path`; did you mean `exclude`?",
    );
    assert_config_error("exclude = [\"vendor\",\n", "tokenward.toml:");
    assert_config_error(
        "exclude = [\"ok\", \"src/[a\"]\n",
        "tokenward.toml:1:18: bad glob",
    );
    assert_config_error(
        "[[allow]]\npaths = [\"a\"]\nreason = \"r\"\nexpires = \"2027-13-01\"\n",
        "tokenward.toml:4:11: `expires` must be a real date",
    );
    assert_config_error(
        "[[allow]]\nrule = \"github-pat-classic\"\n",
        "tokenward.toml:1:1: missing field `reason`",
    );
    assert_config_error(
        "disable = [\"github-pat-clasic\"]\n",
        "tokenward.toml:1:12: unknown rule or audit `github-pat-clasic`; did you mean `github-pat-classic`?",
    );
    assert_config_error(
        "fail-on = \"sometimes\"\n",
        "tokenward.toml:1:11: `fail-on` must be one of",
    );
    assert_config_error(
        "\n[[rule]]\nid = \"acme-key\"\nname = \"Acme\"\nkeywords = [\"acme_\"]\nregex = '(acme_[a-z]{8'\nseverity = \"high\"\nconfidence = \"high\"\nlifetime = \"long-lived\"\ndescription = \"d\"\nremediation = \"r\"\n",
        "tokenward.toml:2:1: rule `acme-key`: bad regex",
    );
}

fn custom_rule(example: &str) -> String {
    format!(
        r#"[[rule]]
id = "acme-session-key"
name = "Acme session key"
family = "custom"
keywords = ["acmesk_"]
regex = '''\b(acmesk_[A-Za-z0-9]{{24}})\b'''
severity = "medium"
confidence = "high"
lifetime = "long-lived"
description = "Acme session signing key."
remediation = "Rotate it in the Acme console."
examples = ["key = {example}"]
negative_examples = ["key = acmesk_xxxxxxxxxxxxxxxxxxxxxxxx"]
"#
    )
}

#[test]
fn custom_rules_run_and_their_examples_are_checked_at_load_time() {
    let dir = TempDir::new().expect("tempdir");
    let key = format!("acmesk_{}", random_alnum(41, 24));
    write(
        dir.path(),
        ".github/tokenward.toml",
        &custom_rule(&format!("acmesk_{}", random_alnum(42, 24))),
    );
    write(dir.path(), "src/app.js", &format!("const k = \"{key}\";\n"));
    let (code, out, err) = scan(&[arg(&dir), "--format", "json"]);
    assert_eq!(code, 1, "stderr: {err}");
    assert_eq!(
        findings(&json(&out)),
        vec![("acme-session-key".to_string(), 1, "src/app.js".to_string())]
    );

    // An example the rule does not find is a load error pointing at the rule.
    write(
        dir.path(),
        ".github/tokenward.toml",
        &format!("\n{}", custom_rule("acmesk_short")),
    );
    let (code, _, err) = scan(&[arg(&dir)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(".github/tokenward.toml:2:1:") && err.contains("example not found"),
        "{err}"
    );
}

#[test]
fn exclude_disable_severity_and_fail_on_come_from_the_config() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "vendor/lib/x.env",
        &format!("T={}\n", github_pat(51)),
    );
    write(
        dir.path(),
        "app.env",
        &format!("T={}\nK={}\n", github_pat(52), aws_key_id(53)),
    );
    write(
        dir.path(),
        "tokenward.toml",
        "exclude = [\"vendor\"]\ndisable = [\"aws-access-key-id\"]\nfail-on = \"critical\"\n\n[severity]\ngithub-pat-classic = \"low\"\n",
    );
    let (code, out, err) = scan(&[arg(&dir), "--format", "json"]);
    assert_eq!(code, 0, "fail-on critical, PAT lowered to low: {err}");
    let v = json(&out);
    let f = findings(&v);
    assert_eq!(
        f,
        vec![("github-pat-classic".to_string(), 1, "app.env".to_string())]
    );
    assert_eq!(v["findings"][0]["severity"], "low");
    // The flag wins over the config; --no-config ignores it.
    let (code, _, _) = scan(&[arg(&dir), "--fail-on", "low"]);
    assert_eq!(code, 1);
    let (code, out, _) = scan(&[arg(&dir), "--no-config", "--format", "json"]);
    assert_eq!(code, 1);
    assert!(findings(&json(&out)).len() >= 3, "{out}");
}

#[test]
fn explicit_config_wins_over_the_discovered_one() {
    let dir = TempDir::new().expect("tempdir");
    let other = TempDir::new().expect("tempdir");
    write(dir.path(), "app.env", &format!("T={}\n", github_pat(61)));
    write(
        dir.path(),
        "tokenward.toml",
        "[[allow]]\nrule = \"github-pat-classic\"\nreason = \"a pull request tries to hide it\"\n",
    );
    write(other.path(), "strict.toml", "fail-on = \"low\"\n");
    let (code, out, err) = scan(&[arg(&dir), "--format", "github"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("::notice title=tokenward::config") && out.contains("tokenward.toml"),
        "github format names the config: {out}"
    );
    assert!(
        out.contains("allow entry") && out.contains("hid 1 finding"),
        "{out}"
    );
    assert!(err.contains("config 1"), "{err}");
    let strict = other.path().join("strict.toml");
    let (code, out, _) = scan(&[
        arg(&dir),
        "--config",
        strict.to_str().expect("p"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json(&out)).len(), 1);
}

#[test]
fn sarif_carries_suppressed_results_and_notices() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "a.env",
        &format!(
            "A={}  # tokenward:allow\nB={}\n",
            github_pat(71),
            github_pat(72)
        ),
    );
    write(
        dir.path(),
        "tokenward.toml",
        "[[allow]]\npaths = [\"a.env\"]\nrule = \"github-pat-classic\"\nreason = \"documented sample\"\nexpires = 2999-01-01\n",
    );
    let (code, out, err) = scan(&[arg(&dir), "--format", "sarif", "--include-suppressed"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let run = &v["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    let kinds: Vec<&str> = results
        .iter()
        .map(|r| r["suppressions"][0]["kind"].as_str().expect("kind"))
        .collect();
    assert!(
        kinds.contains(&"inSource") && kinds.contains(&"external"),
        "{kinds:?}"
    );
    assert!(
        out.contains("documented sample"),
        "justification carries the reason"
    );
    assert_eq!(run["properties"]["suppressed"]["inline"], 1);
    assert_eq!(run["properties"]["suppressed"]["config"], 1);
    let notices = run["properties"]["notices"].to_string();
    assert!(
        notices.contains("tokenward.toml") && notices.contains("documented sample"),
        "{notices}"
    );
    // Without the flag the suppressed results are left out, but still counted.
    let (_, out, _) = scan(&[arg(&dir), "--format", "sarif"]);
    let v = json(&out);
    assert_eq!(
        v["runs"][0]["results"].as_array().expect("results").len(),
        0
    );
    assert_eq!(v["runs"][0]["properties"]["suppressed"]["config"], 1);
}

#[test]
fn gitleaks_rules_find_what_they_describe_and_report_what_cannot_be_mapped() {
    let dir = TempDir::new().expect("tempdir");
    let key = acme_key(81);
    let token: String = random_alnum(82, 80)
        .chars()
        .map(|c| {
            "0123456789abcdef"
                .chars()
                .nth(c as usize % 16)
                .unwrap_or('a')
        })
        .take(40)
        .collect();
    write(
        dir.path(),
        "src/client.py",
        &format!("ACME = \"{key}\"\ndeploy_token = \"{token}\"\n"),
    );
    write(
        dir.path(),
        "vendor/acme.py",
        &format!("ACME = \"{}\"\n", acme_key(83)),
    );
    write(
        dir.path(),
        "testdata/t.cfg",
        &format!("deploy_token: {token}\n"),
    );
    let rules = std::fs::canonicalize("fixtures/config/gitleaks/custom.toml").expect("fixture");
    let (code, out, err) = scan(&[
        arg(&dir),
        "--gitleaks-config",
        rules.to_str().expect("p"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "stderr: {err}");
    let f = findings(&json(&out));
    assert_eq!(
        f,
        vec![
            ("acme-api-key".to_string(), 1, "src/client.py".to_string()),
            (
                "acme-deploy-token".to_string(),
                2,
                "src/client.py".to_string()
            ),
        ],
        "custom rules found; allowlisted paths (vendor/, testdata/) quiet"
    );
    let v = json(&out);
    let snippet = v["findings"][1]["snippet"].as_str().expect("snippet");
    assert!(
        !snippet.contains("deploy"),
        "secretGroup 2 is the secret: {snippet}"
    );
    assert!(
        err.contains("acme-legacy-key") && err.contains("skipped"),
        "{err}"
    );
    assert!(
        err.contains("custom.toml:5:") && err.contains("[extend]"),
        "{err}"
    );
    assert!(err.contains("imported as `acme-deploy-token`"), "{err}");
}

#[test]
fn gitleaks_stopwords_allow_a_secret() {
    let dir = TempDir::new().expect("tempdir");
    write(
        dir.path(),
        "a.cfg",
        "deploy_token = \"deadbeef0123456789abcdef0123456789abcdef\"\n",
    );
    let rules = std::fs::canonicalize("fixtures/config/gitleaks/custom.toml").expect("fixture");
    let (_, out, err) = scan(&[
        arg(&dir),
        "--gitleaks-config",
        rules.to_str().expect("p"),
        "--format",
        "json",
    ]);
    assert_eq!(findings(&json(&out)), vec![], "{err}");
}

#[test]
fn readme_config_example_loads_and_scans() {
    let readme = std::fs::read_to_string("README.md").expect("README");
    let start = readme
        .find("```toml\n# Paths never reported")
        .expect("README has the complete tokenward.toml example");
    let body = &readme[start + "```toml\n".len()..];
    let example = &body[..body.find("```").expect("closing fence")];
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), "tokenward.toml", example);
    write(dir.path(), "src/app.txt", "nothing to see\n");
    let (code, text, err) = baseline(&[arg(&dir)]);
    assert_eq!(code, 0, "baseline with the README config: {err}");
    write(dir.path(), ".tokenward-baseline.json", &text);
    let (code, _, err) = scan(&[arg(&dir)]);
    assert_eq!(code, 0, "scan with the README config: {err}");
    assert!(err.contains("allow entry"), "{err}");
}
