//! End-to-end tests of the pipeline model: for each kind of catalog entry, `scan` (the
//! audits) and `inventory` read the same fact, so the audit finding and the inventory
//! row sit on the same line; and `inventory` sees the files, settings and exclusions
//! `scan` sees.

mod common;

use common::{Found, inventory_json, rows, run, scan_found, write};
use serde_json::Value;
use std::path::Path;

/// `scan -f json --no-config` of `root`: every finding.
fn scan(root: &Path) -> Vec<Found> {
    scan_found(root.to_str().expect("utf-8"), &["--no-config"])
}

fn inventory(root: &Path, extra: &[&str]) -> Value {
    inventory_json(root.to_str().expect("utf-8"), extra)
}

/// The line of `rule` in `path`, from a scan.
fn finding_line(found: &[Found], rule: &str, path: &str) -> Option<u64> {
    found
        .iter()
        .find(|f| f.rule == rule && f.path == path)
        .map(|f| f.line)
}

/// The authentication rows (provider, method, line) of `workflow`.
fn logins(inv: &Value, workflow: &str) -> Vec<(String, String, u64)> {
    rows(inv, "authentications")
        .iter()
        .filter(|a| a["workflow"] == workflow)
        .map(|a| {
            (
                a["provider"].as_str().expect("provider").to_string(),
                a["method"].as_str().expect("method").to_string(),
                a["line"].as_u64().expect("line"),
            )
        })
        .collect()
}

const WF: &str = ".github/workflows/deploy.yml";

#[test]
fn cloud_credential_variable_is_one_fact() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\npermissions: {}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gcloud deploy\n        env:\n          GCP_SERVICE_ACCOUNT_KEY: ${{ secrets.GCP_KEY }}\n",
    );
    let line = finding_line(&scan(dir.path()), "long-lived-cloud-credentials", WF);
    assert_eq!(line, Some(9));
    let rows = logins(&inventory(dir.path(), &[]), WF);
    assert_eq!(rows, [("gcp".into(), "static-key".into(), 9)]);
}

#[test]
fn login_action_inputs_are_one_fact() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\npermissions:\n  id-token: write\njobs:\n  static:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: azure/login@v2\n        with:\n          creds: ${{ secrets.AZURE_CREDENTIALS }}\n  oidc:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn:aws:iam::1:role/x\n          aws-region: eu-west-1\n",
    );
    let found = scan(dir.path());
    assert_eq!(
        finding_line(&found, "long-lived-cloud-credentials", WF),
        Some(10)
    );
    // OIDC is the fix, not a finding; and it is a use of `id-token: write`.
    assert_eq!(
        found
            .iter()
            .filter(|f| f.rule == "long-lived-cloud-credentials")
            .count(),
        1
    );
    let rows = logins(&inventory(dir.path(), &[]), WF);
    assert_eq!(
        rows,
        [
            ("azure".into(), "static-key".into(), 10),
            ("aws".into(), "oidc".into(), 16)
        ]
    );
}

#[test]
fn registry_token_and_publish_command_are_one_fact() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\npermissions: {}\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx lerna publish from-git\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
    );
    let found = scan(dir.path());
    assert_eq!(
        finding_line(&found, "long-lived-registry-token", WF),
        Some(9)
    );
    let rows = logins(&inventory(dir.path(), &[]), WF);
    assert_eq!(rows, [("npm".into(), "static-key".into(), 9)]);
}

#[test]
fn publish_action_with_password_is_one_fact() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\npermissions: {}\njobs:\n  pypi:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n        with:\n          password: ${{ secrets['PYPI_API_TOKEN'] }}\n",
    );
    let found = scan(dir.path());
    assert_eq!(
        finding_line(&found, "long-lived-registry-token", WF),
        Some(9)
    );
    let inv = inventory(dir.path(), &[]);
    assert_eq!(logins(&inv, WF), [("pypi".into(), "static-key".into(), 9)]);
    let names: Vec<&str> = rows(&inv, "secrets")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["PYPI_API_TOKEN"]);
}

#[test]
fn action_scopes_and_script_commands_are_one_fact() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\njobs:\n  release:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n      pull-requests: write\n    steps:\n      - uses: actions/checkout@v4\n      - run: git push origin HEAD:main\n",
    );
    let found = scan(dir.path());
    // `git push` uses contents: write; nothing uses pull-requests: write.
    let lines: Vec<u64> = found
        .iter()
        .filter(|f| f.rule == "excessive-permissions")
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [7]);
    let inv = inventory(dir.path(), &[]);
    let grant = &inv["permissions"][0];
    assert_eq!(grant["suggested"]["contents"], "write");
    assert!(grant["suggested"].get("pull-requests").is_none());
}

#[test]
fn untrusted_triggers_are_one_fact() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: issue_comment\npermissions: {}\njobs:\n  reply:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.comment.body }}\" | ./notify\n        env:\n          SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}\n",
    );
    let found = scan(dir.path());
    assert!(
        found
            .iter()
            .any(|f| f.rule == "template-injection" && f.line == 7),
        "{found:?}"
    );
    let inv = inventory(dir.path(), &[]);
    assert_eq!(
        inv["secrets"][0]["uses"][0]["untrusted_triggers"],
        serde_json::json!(["issue_comment"])
    );
}

#[test]
fn inventory_reads_nested_workflows_and_composite_actions() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "services/api/.github/workflows/ci.yml",
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n",
    );
    write(
        dir.path(),
        "actions/login/action.yml",
        "name: login\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo hi\n      env:\n        AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET }}\n",
    );
    // Workflows below the root are audited and listed only on request: GitHub never
    // runs them.
    assert_eq!(
        finding_line(
            &scan(dir.path()),
            "long-lived-cloud-credentials",
            "services/api/.github/workflows/ci.yml"
        ),
        None
    );
    let (_, _, err) = run(
        "scan",
        &[dir.path().to_str().expect("utf-8"), "--no-config"],
    );
    assert!(
        err.contains("1 workflow file in `.github/workflows` folders below the root not audited"),
        "{err}"
    );
    let found = scan_found(
        dir.path().to_str().expect("utf-8"),
        &["--no-config", "--all-workflows"],
    );
    let inv = inventory(dir.path(), &["--all-workflows"]);
    for path in [
        "services/api/.github/workflows/ci.yml",
        "actions/login/action.yml",
    ] {
        let line = finding_line(&found, "long-lived-cloud-credentials", path)
            .unwrap_or_else(|| panic!("scan audits {path}: {found:?}"));
        assert_eq!(
            logins(&inv, path),
            [("aws".into(), "static-key".into(), line)],
            "{path}"
        );
    }
}

#[test]
fn inventory_honours_config_excludes_and_allows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = common::github_pat(7);
    write(dir.path(), "fixtures/leak.env", &format!("TOKEN={token}\n"));
    write(dir.path(), "app/.env", &format!("TOKEN={token}\n"));
    write(
        dir.path(),
        "old/.github/workflows/ci.yml",
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: deploy\n        env:\n          AWS_ACCESS_KEY_ID: ${{ secrets.KEY }}\n",
    );
    write(
        dir.path(),
        "tokenward.toml",
        "exclude = [\"fixtures/\", \"old/\"]\n",
    );
    let paths = |inv: &Value| -> Vec<String> {
        rows(inv, "hardcoded_credentials")
            .iter()
            .map(|h| h["path"].as_str().expect("path").to_string())
            .collect()
    };
    let inv = inventory(dir.path(), &[]);
    assert_eq!(paths(&inv), ["app/.env"]);
    assert!(logins(&inv, "old/.github/workflows/ci.yml").is_empty());
    // --no-config: the tree's config is not read.
    let inv = inventory(dir.path(), &["--no-config", "--all-workflows"]);
    assert_eq!(paths(&inv).len(), 2);
    assert_eq!(logins(&inv, "old/.github/workflows/ci.yml").len(), 1);
    // --config FILE: another config's allow entries apply.
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        "[[allow]]\nrule = \"github-pat-classic\"\npaths = [\"app/**\"]\nreason = \"test token\"\n",
    )
    .expect("write");
    let inv = inventory(dir.path(), &["--config", other.to_str().expect("utf-8")]);
    assert_eq!(paths(&inv), ["fixtures/leak.env"]);
}
