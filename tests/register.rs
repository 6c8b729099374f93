//! End-to-end tests of the machine-identity register: framework ids in every output,
//! one reuse finding for one value in several files, a secret's consumers matching the
//! `secret-to-untrusted-code` finding line, the exception register, and the
//! `inventory --diff` gate with its pull-request Markdown (snapshots in
//! `fixtures/register/`; `TOKENWARD_BLESS=1` rewrites them).

mod common;

use common::{found, git, github_pat, inventory_json, json, rows, run, scan, write};
use std::path::Path;

fn snapshot(name: &str, got: &str) {
    common::snapshot(&format!("fixtures/register/{name}"), got);
}

#[test]
fn findings_carry_framework_ids_in_json_sarif_and_explain() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "config.env",
        &format!("TOKEN={}\n", github_pat(7)),
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&[root, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    let f = &v["findings"][0];
    assert_eq!(f["rule_id"], "github-pat-classic");
    let ids: Vec<&str> = rows(f, "frameworks")
        .iter()
        .map(|x| x.as_str().expect("id"))
        .collect();
    for want in ["NHI2", "NHI7", "NHI10", "CICD-SEC-6", "PR.AA-01"] {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }

    let (_, out, _) = scan(&[root, "--format", "sarif"]);
    let v = json(&out);
    let rules = rows(&v["runs"][0]["tool"]["driver"], "rules");
    for r in rules {
        let tags = rows(&r["properties"], "tags");
        assert!(tags.len() <= 10, "{}: {} tags", r["id"], tags.len());
        let fw = r["properties"]["frameworks"].as_array();
        assert!(
            fw.is_some_and(|a| !a.is_empty()),
            "{} has no frameworks",
            r["id"]
        );
    }
    let pat = rules
        .iter()
        .find(|r| r["id"] == "github-pat-classic")
        .expect("rule");
    assert!(rows(&pat["properties"], "tags").iter().any(|t| t == "NHI2"));
    let result = &v["runs"][0]["results"][0];
    assert!(
        rows(&result["properties"], "frameworks")
            .iter()
            .any(|t| t == "NHI10")
    );

    let (code, out, _) = run("rules", &["explain", "excessive-permissions"]);
    assert_eq!(code, 0);
    assert!(out.contains("Frameworks:") && out.contains("NHI5"), "{out}");
    assert!(
        out.contains("CICD-SEC-5") && out.contains("PR.AA-05"),
        "{out}"
    );

    let (code, out, err) = scan(&[root, "--summary", "frameworks"]);
    assert_eq!(code, 1, "{err}");
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("NHI10 "))
        .expect("NHI10 row");
    assert!(line.contains(" 1 "), "{line}");
    let (_, out, _) = scan(&[root, "--summary", "frameworks", "--format", "json"]);
    let v = json(&out);
    let nhi2 = rows(&v, "controls")
        .iter()
        .find(|c| c["control"] == "NHI2")
        .expect("NHI2");
    assert_eq!(nhi2["findings"], 1);
    assert_eq!(nhi2["framework"], "owasp-nhi");
}

#[test]
fn one_value_in_three_files_across_prod_and_staging_is_one_raised_reuse_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pat = github_pat(11);
    write(
        dir.path(),
        "deploy/prod/app.env",
        &format!("GH_TOKEN={pat}\n"),
    );
    write(
        dir.path(),
        "deploy/prod/worker.env",
        &format!("# worker\nGH_TOKEN={pat}\n"),
    );
    write(
        dir.path(),
        "deploy/staging/app.env",
        &format!("GH_TOKEN={pat}\n"),
    );
    write(
        dir.path(),
        "deploy/dev/other.env",
        &format!("X={}\n", github_pat(12)),
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&[root, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains(&pat), "secret printed");
    let v = json(&out);
    let findings = rows(&v, "findings");
    assert_eq!(findings.len(), 2, "{out}");
    let reuse: Vec<_> = findings
        .iter()
        .filter(|f| f["rule_id"] == "secret-reuse")
        .collect();
    assert_eq!(reuse.len(), 1, "{out}");
    let r = reuse[0];
    // github-pat-classic is high; production and staging raise it to critical.
    assert_eq!(r["severity"], "critical");
    assert_eq!(rows(r, "related").len(), 2);
    let msg = r["message"].as_str().expect("message");
    assert!(
        msg.contains("3 places") && msg.contains("production, staging"),
        "{msg}"
    );
    assert!(rows(r, "frameworks").iter().any(|x| x == "NHI9"));

    // The inventory lists each copy with the others, and ranks the value once.
    let (code, out, err) = run("inventory", &[root, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&pat), "secret printed");
    let v = json(&out);
    let listed = rows(&v, "hardcoded_credentials");
    assert_eq!(listed.len(), 4);
    let copies: Vec<usize> = listed
        .iter()
        .map(|r| r["same_value_at"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(copies.iter().filter(|n| **n == 2).count(), 3, "{copies:?}");
    let ranked: Vec<&serde_json::Value> = rows(&v, "register")
        .iter()
        .filter(|r| r["kind"] == "hardcoded")
        .collect();
    assert_eq!(ranked.len(), 2, "{ranked:?}");
    assert!(ranked.iter().any(|r| {
        r["why"]
            .as_str()
            .is_some_and(|w| w.contains("3 places, across production, staging"))
    }));

    let (_, out, _) = scan(&[root, "--format", "sarif"]);
    assert!(!out.contains(&pat), "secret printed");
    let v = json(&out);
    let res = rows(&v["runs"][0], "results")
        .iter()
        .find(|x| x["ruleId"] == "secret-reuse")
        .expect("reuse result");
    let related = rows(res, "relatedLocations");
    assert_eq!(related.len(), 2);
    let uris: Vec<&str> = related
        .iter()
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
        })
        .collect();
    assert!(uris.iter().any(|u| u.contains("staging")), "{uris:?}");
}

#[test]
fn secret_to_unpinned_action_is_a_finding_and_a_consumer_row_on_the_same_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wf = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/workflows/secret-to-untrusted-code/unpinned.yml"),
    )
    .expect("fixture");
    write(dir.path(), ".github/workflows/deploy.yml", &wf);
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&[
        root,
        "--format",
        "json",
        "--select",
        "secret-to-untrusted-code",
    ]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    let f = rows(&v, "findings")
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .is_some_and(|m| m.contains("DEPLOY_KEY"))
        })
        .expect("DEPLOY_KEY finding")
        .clone();
    let line = f["span"]["start_line"].as_u64().expect("line");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("some-org/deploy-action@v2")
    );

    let (code, out, err) = run("inventory", &[root, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let secret = rows(&v, "secrets")
        .iter()
        .find(|s| s["name"] == "DEPLOY_KEY")
        .expect("DEPLOY_KEY row")
        .clone();
    let consumer = &secret["uses"][0]["consumers"][0];
    assert_eq!(consumer["receiver"], "some-org/deploy-action@v2");
    assert_eq!(consumer["trust"], "third-party-unpinned");
    assert_eq!(consumer["line"].as_u64(), Some(line));
    // The pinned consumer of another secret is listed, and not reported.
    let slack = rows(&v, "secrets")
        .iter()
        .find(|s| s["name"] == "SLACK_WEBHOOK")
        .expect("SLACK_WEBHOOK row")
        .clone();
    assert_eq!(
        slack["uses"][0]["consumers"][0]["trust"],
        "third-party-pinned"
    );
    // The register ranks the unpinned consumer's secret above the pinned one's.
    let reg = rows(&v, "register");
    let pos = |n: &str| reg.iter().position(|r| r["name"] == n).expect("ranked");
    assert!(pos("DEPLOY_KEY") < pos("SLACK_WEBHOOK"));
    assert_eq!(v["version"], 2);
}

#[test]
fn exception_register_lists_allows_warns_before_expiry_and_counts_missing_owners() {
    let dir = tempfile::tempdir().expect("tempdir");
    let soon = tokenward::suppress::Date::from_days_since_epoch(
        tokenward::inventory::exceptions::days_since_epoch(tokenward::suppress::Date::today()) + 5,
    );
    write(
        dir.path(),
        "tokenward.toml",
        &format!(
            "[[allow]]\nrule = \"github-pat-classic\"\npaths = [\"fixtures/**\"]\nreason = \"parser test data\"\nexpires = \"{soon}\"\n\n[[allow]]\npaths = [\"docs/**\"]\nreason = \"examples\"\nowner = \"@docs\"\nexpires = \"2999-01-01\"\n"
        ),
    );
    write(
        dir.path(),
        "fixtures/t.env",
        &format!("T={}\n", github_pat(3)),
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = run("inventory", &[root, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("expires") && err.contains("in 5 days"),
        "{err}"
    );
    assert!(err.contains("1 exception without an owner"), "{err}");
    let v = json(&out);
    assert_eq!(v["summary"]["exceptions"], 2);
    assert_eq!(v["summary"]["exceptions_without_owner"], 1);
    assert_eq!(v["summary"]["exceptions_expiring"], 1);
    assert_eq!(v["exceptions"][0]["status"], "expiring");
    assert_eq!(v["exceptions"][1]["status"], "active");
    // A narrower window: not expiring yet.
    let (_, out, _) = run(
        "inventory",
        &[root, "--format", "json", "--expiry-warning-days", "3"],
    );
    assert_eq!(json(&out)["summary"]["exceptions_expiring"], 0);
    let (_, md, _) = run("inventory", &[root]);
    assert!(
        md.contains("## Exceptions") && md.contains("**no owner**"),
        "{md}"
    );
}

const BASE_WORKFLOW: &str = "on: push
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
      contents: read
    steps:
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
      - run: ./deploy.sh
        env:
          SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}
";

fn base_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".github/workflows/deploy.yml", BASE_WORKFLOW);
    write(
        dir.path(),
        ".github/CODEOWNERS",
        "* @acme/platform @acme/platform\n",
    );
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    dir
}

#[test]
fn diff_gate_fails_on_an_added_static_cloud_login() {
    let dir = base_repo();
    let changed = format!(
        "{BASE_WORKFLOW}      - run: aws s3 sync dist s3://bucket\n        env:\n          AWS_ACCESS_KEY_ID: ${{{{ secrets.AWS_ACCESS_KEY_ID }}}}\n          AWS_SECRET_ACCESS_KEY: ${{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}\n"
    );
    write(dir.path(), ".github/workflows/deploy.yml", &changed);
    let root = dir.path().to_str().expect("utf-8");
    let (code, md, err) = run("inventory", &[root, "--diff", "HEAD"]);
    assert_eq!(code, 1, "{err}\n{md}");
    snapshot("diff-adds-static-login.md", &md);
    let (code, out, _) = run("inventory", &[root, "--diff", "HEAD", "--format", "json"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["failing"], serde_json::json!(["static-credential"]));
    // Only gating on write scopes: this change passes.
    let (code, _, err) = run(
        "inventory",
        &[root, "--diff", "HEAD", "--fail-on", "write-scope"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run("inventory", &[root, "--diff", "HEAD", "--fail-on", "none"]);
    assert_eq!(code, 0);
}

#[test]
fn diff_gate_passes_a_change_that_only_removes_identities() {
    let dir = base_repo();
    let changed = BASE_WORKFLOW.replace(
        "        env:\n          SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}\n",
        "",
    );
    assert_ne!(changed, BASE_WORKFLOW);
    write(dir.path(), ".github/workflows/deploy.yml", &changed);
    let root = dir.path().to_str().expect("utf-8");
    let (code, md, err) = run("inventory", &[root, "--diff", "HEAD"]);
    assert_eq!(code, 0, "{err}\n{md}");
    snapshot("diff-only-removes.md", &md);
}

#[test]
fn diff_gate_fails_on_a_secret_newly_handed_to_a_third_party() {
    let dir = base_repo();
    let changed = format!(
        "{BASE_WORKFLOW}      - uses: someone/notify@v1\n        with:\n          webhook: ${{{{ secrets.SLACK_WEBHOOK }}}}\n"
    );
    write(dir.path(), ".github/workflows/deploy.yml", &changed);
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = run("inventory", &[root, "--diff", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    assert_eq!(v["failing"], serde_json::json!(["third-party-consumer"]));
    assert_eq!(
        v["new_third_party_consumers"][0]["receiver"],
        "someone/notify@v1"
    );
}

#[test]
fn a_secret_named_as_settings_is_not_a_credential_in_the_register_or_the_audits() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".github/workflows/audit.yml",
        "on: push\npermissions: {}\njobs:\n  audit:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: someone/cargo-audit@v1\n        with:\n          options: ${{ secrets.CARGO_AUDIT_OPTIONS }}\n          token: ${{ secrets.AUDIT_TOKEN }}\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let v = inventory_json(root, &[]);
    let kind_of = |name: &str| {
        rows(&v, "secrets")
            .iter()
            .find(|s| s["name"] == name)
            .map(|s| s["kind"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(
        kind_of("CARGO_AUDIT_OPTIONS").as_deref(),
        Some("identifier")
    );
    assert_eq!(kind_of("AUDIT_TOKEN").as_deref(), Some("credential"));
    let (_, out, _) = scan(&[root, "--format", "json"]);
    let handed: Vec<String> = found(&json(&out))
        .into_iter()
        .filter(|f| f.rule == "secret-to-untrusted-code")
        .map(|f| f.message)
        .collect();
    assert!(
        handed.iter().any(|m| m.contains("AUDIT_TOKEN")),
        "{handed:?}"
    );
    assert!(
        !handed.iter().any(|m| m.contains("CARGO_AUDIT_OPTIONS")),
        "{handed:?}"
    );
}
