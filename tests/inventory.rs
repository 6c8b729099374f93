//! End-to-end tests of `tokenward inventory`: the fixture monorepo's JSON inventory
//! against its known answer, untrusted-trigger reachability, credential lifetimes, the
//! Markdown report's shape, CODEOWNERS owners on `scan` findings, and `--diff` against
//! a git revision.
//!
//! Set `TOKENWARD_BLESS=1` to rewrite `fixtures/inventory/expected.json` from a run.

mod common;

use common::{git, json, tokenward, write};

const REPO: &str = "fixtures/inventory/repo";
const EXPECTED: &str = "fixtures/inventory/expected.json";

fn inventory(args: &[&str]) -> (i32, String, String) {
    common::run("inventory", args)
}

fn fixture_json() -> serde_json::Value {
    let (code, out, err) = inventory(&[REPO, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    json(&out)
}

#[test]
fn fixture_inventory_matches_expected_json() {
    let (code, out, err) = inventory(&[REPO, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    if std::env::var_os("TOKENWARD_BLESS").is_some() {
        std::fs::write(EXPECTED, &out).expect("bless");
    }
    let expected = std::fs::read_to_string(EXPECTED).expect("expected JSON");
    assert_eq!(
        json(&out),
        json(&expected),
        "inventory differs from {EXPECTED}; rerun with TOKENWARD_BLESS=1 after checking"
    );
    assert_eq!(out, expected, "same values, different formatting");
}

#[test]
fn secret_only_under_pull_request_target_is_reachable_from_untrusted() {
    let v = fixture_json();
    assert_eq!(v["version"], 2);
    assert_eq!(
        v["summary"]["secrets_reachable_from_untrusted"],
        serde_json::json!(["LABELER_TOKEN"])
    );
    let secrets = v["secrets"].as_array().expect("secrets");
    let labeler = secrets
        .iter()
        .find(|s| s["name"] == "LABELER_TOKEN")
        .expect("LABELER_TOKEN listed");
    assert_eq!(labeler["reachable_from_untrusted"], true);
    assert_eq!(
        labeler["uses"][0]["untrusted_triggers"],
        serde_json::json!(["pull_request_target"])
    );
    // A secret under push and pull_request (fork PRs get no secrets) is not reachable.
    let slack = secrets
        .iter()
        .find(|s| s["name"] == "SLACK_WEBHOOK_URL")
        .expect("SLACK_WEBHOOK_URL listed");
    assert_eq!(slack["reachable_from_untrusted"], false);
    // And the Markdown summary says so.
    let (_, md, _) = inventory(&[REPO]);
    assert!(
        md.contains("| Secrets reachable from untrusted triggers | 1 (`LABELER_TOKEN`) |"),
        "{md}"
    );
}

#[test]
fn aws_stored_keys_are_long_lived_and_role_with_id_token_short_lived() {
    let v = fixture_json();
    let auths = v["authentications"].as_array().expect("authentications");
    let aws: Vec<_> = auths.iter().filter(|a| a["provider"] == "aws").collect();
    assert_eq!(aws.len(), 2, "{aws:?}");
    let stored = aws
        .iter()
        .find(|a| a["job"] == "legacy-aws")
        .expect("legacy");
    assert_eq!(stored["method"], "static-key");
    assert_eq!(stored["lifetime"], "long-lived");
    assert_eq!(
        stored["secrets"],
        serde_json::json!(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    );
    let oidc = aws.iter().find(|a| a["job"] == "aws").expect("oidc job");
    assert_eq!(oidc["method"], "oidc");
    assert_eq!(oidc["lifetime"], "short-lived");
    assert_eq!(oidc["id_token_write"], true);
    assert!(oidc["note"].is_null());
    // The role ARN kept in a secret is an identifier, not a credential.
    let role = v["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .find(|s| s["name"] == "AWS_DEPLOY_ROLE_ARN")
        .expect("role secret");
    assert_eq!(role["kind"], "identifier");
}

#[test]
fn markdown_has_headings_and_exactly_one_table() {
    let (code, md, err) = inventory(&[REPO]);
    assert_eq!(code, 0, "{err}");
    assert!(md.starts_with("# Machine-identity inventory\n"), "{md}");
    for h in [
        "## Summary",
        "## Secrets",
        "## Cloud and registry logins",
        "## GITHUB_TOKEN permissions",
        "## Hard-coded credentials",
    ] {
        assert!(md.lines().any(|l| l == h), "missing {h}:\n{md}");
    }
    let separators = md.lines().filter(|l| l.starts_with("|---")).count();
    assert_eq!(separators, 1, "{md}");
    assert!(md.contains("| Long-lived credentials |"));
    assert!(md.contains("| Owned credentials |"));
    assert!(md.contains("| Jobs with write permissions |"));
    // Hard-coded credentials are redacted.
    assert!(!md.contains("AKIAPKHFIYXBKGAQNM3E"));
    assert!(md.contains("`AKIA************`"));
}

#[test]
fn output_file_and_unowned_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("inv.json");
    let (code, stdout, err) = inventory(&[
        REPO,
        "--format",
        "json",
        "--output",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let v = json(&std::fs::read_to_string(&out).expect("written"));
    let hard = v["hardcoded_credentials"].as_array().expect("hardcoded");
    let web = hard
        .iter()
        .find(|h| h["path"] == "apps/web/deploy.sh")
        .expect("planted STS key");
    assert_eq!(web["owner"], "unowned");
    assert_eq!(web["lifetime"], "short-lived");
}

#[test]
fn scan_findings_carry_codeowners_owner_in_sarif() {
    let out = tokenward()
        .args(["scan", REPO, "--root", REPO, "--format", "sarif"])
        .output()
        .expect("run");
    let v = json(&String::from_utf8_lossy(&out.stdout));
    let results = v["runs"][0]["results"].as_array().expect("results");
    let api = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "services/api/config/settings.py"
        })
        .expect("finding in settings.py");
    assert_eq!(api["properties"]["owner"], "@acme/api");
}

#[test]
fn diff_lists_a_newly_added_secret_and_write_permission() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n        env:\n          API_KEY: ${{ secrets.OLD_KEY }}\n",
    );
    write(root, ".github/CODEOWNERS", "* @acme/ci\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    write(
        root,
        ".github/workflows/release.yml",
        "on: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NEW_NPM_TOKEN }}\n",
    );
    let root_s = root.to_str().expect("utf-8");
    // The change adds identities: the gate fails (exit 1) by default.
    let (code, out, err) = inventory(&[root_s, "--diff", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    assert_eq!(v["base"], "HEAD");
    let names: Vec<&str> = v["new_secrets"]
        .as_array()
        .expect("new_secrets")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["NEW_NPM_TOKEN"]);
    assert_eq!(
        v["new_write_permissions"],
        serde_json::json!([{"workflow": ".github/workflows/release.yml", "job": "publish", "scope": "contents", "owner": "@acme/ci"}])
    );
    let kinds: Vec<&str> = v["new_long_lived_credentials"]
        .as_array()
        .expect("new long-lived")
        .iter()
        .map(|c| c["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["secret", "authentication"]);

    let (code, md, err) = inventory(&[root_s, "--diff", "HEAD"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        md.contains("- `NEW_NPM_TOKEN` (credential), owner @acme/ci"),
        "{md}"
    );
    assert!(!md.contains("OLD_KEY"), "{md}");

    let (code, _, err) = inventory(&[root_s, "--diff", "no-such-ref"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-ref"), "{err}");
}
