//! Accuracy benchmark: generates a labeled corpus of realistic repositories with
//! `scripts/accuracy/generate.py` (seeded, so every run sees the same corpus), scans it with
//! the binary cargo built for the tests, and lets `scripts/accuracy/score.py` match findings
//! to the planted secrets. Fails when overall precision or recall falls below the project's
//! targets; the scorer's report (per-family scores, every false positive and false negative,
//! redacted) is printed in the failure message.

use std::path::Path;
use std::process::Command;

const MIN_PRECISION: &str = "0.99";
const MIN_RECALL: &str = "0.98";
const REPOS: &str = "40";
const SEED: &str = "1";

fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn accuracy_benchmark_meets_precision_and_recall_targets() {
    if !have_python() {
        eprintln!("accuracy benchmark skipped: python3 not found");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = tempfile::tempdir().expect("temp dir");

    let generated = Command::new("python3")
        .arg(root.join("scripts/accuracy/generate.py"))
        .arg("--out")
        .arg(corpus.path())
        .args(["--repos", REPOS, "--seed", SEED])
        .output()
        .expect("run generate.py");
    assert!(
        generated.status.success(),
        "generate.py failed:\n{}{}",
        String::from_utf8_lossy(&generated.stdout),
        String::from_utf8_lossy(&generated.stderr)
    );

    let scored = Command::new("python3")
        .arg(root.join("scripts/accuracy/score.py"))
        .arg("--corpus")
        .arg(corpus.path())
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_tokenward"))
        .arg("--rules-dir")
        .arg(root.join("rules"))
        .args(["--min-precision", MIN_PRECISION, "--min-recall", MIN_RECALL])
        .output()
        .expect("run score.py");
    let report = String::from_utf8_lossy(&scored.stdout);
    assert!(
        scored.status.code() == Some(0),
        "accuracy benchmark below target (precision >= {MIN_PRECISION}, recall >= {MIN_RECALL}) \
         or scorer error:\n{report}\n{}",
        String::from_utf8_lossy(&scored.stderr)
    );
}
