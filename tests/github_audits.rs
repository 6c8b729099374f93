//! End-to-end tests of GitHub Actions audit behaviour that depends on more than one
//! workflow file: `# zizmor: ignore[...]` comments, the `[pin-policy]` configuration,
//! and the fix text for `id-token`.

mod common;

use common::{Found, run, scan_found, write};
use std::path::Path;

fn scan(root: &Path, extra: &[&str]) -> Vec<Found> {
    scan_found(root.to_str().expect("utf-8"), extra)
}

const WF: &str = ".github/workflows/ci.yml";

#[test]
fn zizmor_ignore_comments_suppress_the_matching_audit() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: someone/tool@v1 # zizmor: ignore[unpinned-uses]\n      - uses: someone/other@v1 # zizmor: ignore[template-injection]\n",
    );
    let found = scan(dir.path(), &["--no-config"]);
    let lines: Vec<u64> = found
        .iter()
        .filter(|f| f.rule == "unpinned-action")
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [8], "{found:?}");
}

#[test]
fn pin_policy_defaults_and_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: my-org/setup@v2\n      - uses: someone/tool@v1\n      - uses: actions/cache@main\n",
    );
    let unpinned = |found: &[Found]| -> Vec<u64> {
        let mut lines: Vec<u64> = found
            .iter()
            .filter(|f| f.rule == "unpinned-action")
            .map(|f| f.line)
            .collect();
        lines.sort_unstable();
        lines
    };
    // Default: GitHub's own actions may use a version tag, not a branch.
    assert_eq!(unpinned(&scan(dir.path(), &["--no-config"])), [8, 9, 10]);
    write(
        dir.path(),
        "tokenward.toml",
        "[pin-policy]\n\"my-org/*\" = \"ref-pin\"\n\"actions/*\" = \"hash-pin\"\n",
    );
    assert_eq!(unpinned(&scan(dir.path(), &[])), [7, 9, 10]);
    write(
        dir.path(),
        "tokenward.toml",
        "[pin-policy]\n\"*\" = \"sha\"\n",
    );
    let (code, _, err) = run("scan", &[dir.path().to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(err.contains("pin-policy"), "{err}");
}

#[test]
fn id_token_fix_never_suggests_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: write\n    steps:\n      - run: make\n",
    );
    let found = scan(dir.path(), &["--no-config"]);
    let msg = &found
        .iter()
        .find(|f| f.rule == "excessive-permissions")
        .expect("finding")
        .message;
    assert!(!msg.contains("id-token: read"), "{msg}");
}

#[test]
fn an_aliased_false_is_false() {
    // `persist-credentials: *off` read as the text `*off`, which is not `false`.
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        WF,
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n        with:\n          persist-credentials: &off false\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n        with:\n          persist-credentials: *off\n      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02\n        with:\n          path: .\n",
    );
    let found = scan(dir.path(), &["--no-config"]);
    assert!(found.is_empty(), "{found:?}");
}
