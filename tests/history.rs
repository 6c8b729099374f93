//! `scan --git` end to end on repositories built here: what a range adds, `--all`, and
//! each credential's lineage (first commit, age, still at HEAD, rotated in place,
//! commits carrying it) in JSON, text and SARIF.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

/// A repository whose commits are made with fixed author dates, isolated from the
/// user's git configuration.
struct Repo {
    dir: TempDir,
}

impl Repo {
    fn new() -> Repo {
        let r = Repo {
            dir: TempDir::new().expect("tempdir"),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r.git(&["config", "commit.gpgsign", "false"]);
        r
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    /// Writes `files` (`None` deletes), commits everything at `date`, returns the id.
    fn commit(&self, date: &str, files: &[(&str, Option<&str>)]) -> String {
        for (rel, text) in files {
            match text {
                Some(t) => write(self.path(), rel, t),
                None => std::fs::remove_file(self.path().join(rel)).expect("rm"),
            }
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", date, "--date", date]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn tw(&self, args: &[&str]) -> (i32, String, String) {
        run_in(self.path(), args)
    }
}

/// Days from `iso` (`YYYY-MM-DD...`) to now, by the system clock.
fn days_since(y: i64, m: i64, d: i64) -> i64 {
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    now / 86_400 - days
}

/// Checks a SARIF log against the 2.1.0 schema with `scripts/validate_sarif.py` (needs
/// the `jsonschema` Python module, which `.ci/run` installs; skipped without it outside
/// CI).
fn schema_check(sarif: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let have = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(std::env::var_os("CI").is_none(), "jsonschema missing in CI");
        eprintln!("skipped the SARIF schema check: pip install -r scripts/requirements-ci.txt");
        return;
    }
    let dir = TempDir::new().expect("tempdir");
    let file = dir.path().join("history.sarif");
    std::fs::write(&file, sarif).expect("write");
    let out = Command::new("python3")
        .arg(root.join("scripts/validate_sarif.py"))
        .arg(root.join("scripts/sarif-schema-2.1.0.json"))
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn by_path<'a>(v: &'a Value, path: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no finding at {path}: {v}"))
}

#[test]
fn lineage_follows_a_secret_added_moved_rotated_and_removed() {
    let r = Repo::new();
    let (first, second, kept) = (github_pat(901), github_pat(902), github_pat(903));
    let c1 = r.commit(
        "2020-01-01T00:00:00Z",
        &[
            ("README.md", Some("# demo\n")),
            ("config/app.env", Some(&format!("DEBUG=0\nTOKEN={first}\n"))),
            ("keep.env", Some(&format!("KEEP={kept}\n"))),
        ],
    );
    // Moved to another file in one commit: not a new secret.
    let c2 = r.commit(
        "2020-02-01T00:00:00Z",
        &[
            ("config/app.env", Some("DEBUG=0\n")),
            (
                "deploy/prod.env",
                Some(&format!("REGION=eu\nTOKEN={first}\n")),
            ),
        ],
    );
    let _c3 = r.commit("2020-03-01T00:00:00Z", &[("README.md", Some("# demo 2\n"))]);
    // Rotated in place: the same file and rule now hold another value.
    let c4 = r.commit(
        "2020-04-01T00:00:00Z",
        &[(
            "deploy/prod.env",
            Some(&format!("REGION=eu\nTOKEN={second}\n")),
        )],
    );
    let c5 = r.commit(
        "2020-05-01T00:00:00Z",
        &[("deploy/prod.env", Some("REGION=eu\n"))],
    );

    let (code, out, err) = r.tw(&["scan", "--git", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("git history: 5 commits"), "{err}");
    let v = json(&out);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(3), "{out}");

    let a = by_path(&v, "config/app.env");
    assert_eq!(a["commit"]["id"], c1.as_str());
    assert_eq!(a["span"]["start_line"], 2);
    let l = &a["lineage"];
    assert_eq!(l["first_commit"], c1.as_str(), "{l}");
    assert_eq!(l["first_date"], "2020-01-01T00:00:00Z");
    let age = l["age_days"].as_i64().expect("age");
    assert!((age - days_since(2020, 1, 1)).abs() <= 1, "{age}");
    assert_eq!(l["at_head"], false);
    assert_eq!(l["rotated"], true);
    assert_eq!(l["rotated_in"], c4.as_str());
    // c1 (config/app.env), c2 and c3 (deploy/prod.env); c4 replaced it.
    assert_eq!(l["commits"], 3);

    let b = by_path(&v, "deploy/prod.env");
    assert_eq!(b["commit"]["id"], c4.as_str());
    let l = &b["lineage"];
    assert_eq!(l["first_commit"], c4.as_str());
    assert_eq!(l["first_date"], "2020-04-01T00:00:00Z");
    assert_eq!(l["at_head"], false);
    assert_eq!(l["rotated"], false);
    assert!(l.get("rotated_in").is_none(), "{l}");
    assert_eq!(l["commits"], 1, "removed again in c5");

    let k = by_path(&v, "keep.env");
    let l = &k["lineage"];
    assert_eq!(l["first_commit"], c1.as_str());
    assert_eq!(l["at_head"], true);
    assert_eq!(l["rotated"], false);
    assert_eq!(l["commits"], 5);
    for s in [&first, &second, &kept] {
        assert!(!out.contains(s.as_str()) && !err.contains(s.as_str()));
    }

    // Text and SARIF carry the same lineage.
    let (_, out, _) = r.tw(&["scan", "--git", "--color", "never"]);
    assert!(
        out.contains(&format!(
            "lineage: first committed {} (2020-01-01T00:00:00Z, {age} days ago); 3 commits carry it; gone from HEAD; rotated in place in {}",
            &c1[..12],
            &c4[..12]
        )),
        "{out}"
    );
    let (_, out, _) = r.tw(&["scan", "--git", "-f", "sarif"]);
    schema_check(&out);
    let sarif = json(&out);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let kept_result = results
        .iter()
        .find(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "keep.env")
        .unwrap_or_else(|| panic!("{out}"));
    let l = &kept_result["properties"]["lineage"];
    assert_eq!(l["first_commit"], c1.as_str(), "{out}");
    assert_eq!(l["at_head"], true);
    assert_eq!(l["commits"], 5);

    // The inventory lists the history's credentials with the same lineage.
    let (code, out, err) = r.tw(&["inventory", "--git", "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let inv = json(&out);
    let rows = inv["history_credentials"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{out}");
    let first_row = rows
        .iter()
        .find(|x| x["path"] == "config/app.env")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(first_row["commit"], c1.as_str());
    assert_eq!(first_row["first_commit"], c1.as_str());
    assert_eq!(first_row["first_date"], "2020-01-01T00:00:00Z");
    assert_eq!(first_row["age_days"], age);
    assert_eq!(first_row["at_head"], false);
    assert_eq!(first_row["rotated"], true);
    assert_eq!(first_row["commits"], 3);
    assert!(!out.contains(first.as_str()));
    let (code, out, _) = r.tw(&["inventory", "--git"]);
    assert_eq!(code, 0);
    assert!(out.contains("## Credentials in git history"), "{out}");
    assert!(
        out.contains(&format!("| `config/app.env:2` ({}) ", &c1[..12])),
        "{out}"
    );
    // Without --git the inventory has no history section.
    let (_, out, _) = r.tw(&["inventory", "-f", "json"]);
    assert!(json(&out).get("history_credentials").is_none());

    // A range reports what its commits add: c2 only moved the first token.
    let (code, out, _) = r.tw(&["scan", "--git", &format!("{c1}..{c2}"), "-f", "json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(findings(&json(&out)), vec![]);
    let (code, out, _) = r.tw(&["scan", "--git", &format!("{c2}..{c5}"), "-f", "json"]);
    assert_eq!(code, 1);
    let f = findings(&json(&out));
    assert_eq!(
        f,
        vec![(
            "github-pat-classic".to_string(),
            2,
            "deploy/prod.env".to_string()
        )]
    );
    assert_eq!(json(&out)["findings"][0]["commit"]["id"], c4.as_str());
}

#[test]
fn a_range_does_not_report_a_secret_its_parent_already_had_on_an_edited_line() {
    let r = Repo::new();
    let pat = github_pat(911);
    let base = r.commit(
        "2021-01-01T00:00:00Z",
        &[("app.env", Some(&format!("TOKEN={pat}\n")))],
    );
    // The line holding the secret is edited: the secret was already there.
    let edit = r.commit(
        "2021-01-02T00:00:00Z",
        &[("app.env", Some(&format!("TOKEN={pat} # prod\nMORE=1\n")))],
    );
    let (code, out, err) = r.tw(&["scan", "--git", &format!("{base}..{edit}"), "-f", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(findings(&json(&out)), vec![]);
    // The whole history reports it once, at the commit that added it.
    let (code, out, _) = r.tw(&["scan", "--git", "-f", "json"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(v["findings"][0]["commit"]["id"], base.as_str());
    assert_eq!(v["findings"][0]["lineage"]["commits"], 2);
}

#[test]
fn all_scans_every_ref_and_merges_are_diffed_against_their_first_parent() {
    let r = Repo::new();
    r.commit("2022-01-01T00:00:00Z", &[("README.md", Some("# x\n"))]);
    r.git(&["checkout", "-q", "-b", "side"]);
    let side_pat = github_pat(921);
    let side = r.commit(
        "2022-01-02T00:00:00Z",
        &[("side.env", Some(&format!("TOKEN={side_pat}\n")))],
    );
    r.git(&["checkout", "-q", "main"]);
    // Only on `side`: HEAD's history does not have it, `--all` does.
    let (code, out, _) = r.tw(&["scan", "--git", "-f", "json"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = r.tw(&["scan", "--git", "--all", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    assert_eq!(v["findings"][0]["commit"]["id"], side.as_str(), "{out}");
    // Merged: still attributed to the side commit, not to the merge.
    r.git(&["merge", "-q", "--no-ff", "--no-edit", "side"]);
    let (code, out, _) = r.tw(&["scan", "--git", "-f", "json"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(v["findings"][0]["commit"]["id"], side.as_str(), "{out}");
    assert_eq!(v["findings"][0]["lineage"]["at_head"], true);
    // side commit and merge commit carry it.
    assert_eq!(v["findings"][0]["lineage"]["commits"], 2);
    // `--all` without `--git` is a usage error.
    let (code, _, _) = r.tw(&["scan", "--all"]);
    assert_eq!(code, 2);
}

#[test]
fn a_secret_whose_allow_comment_is_dropped_is_reported_at_that_commit() {
    let r = Repo::new();
    let pat = github_pat(931);
    r.commit(
        "2023-01-01T00:00:00Z",
        &[(
            "app.env",
            Some(&format!(
                "TOKEN={pat} # tokenward:allow[github-pat-classic] revoked\n"
            )),
        )],
    );
    let (code, out, _) = r.tw(&["scan", "--git", "-f", "json"]);
    assert_eq!(code, 0, "{out}");
    let dropped = r.commit(
        "2023-02-01T00:00:00Z",
        &[("app.env", Some(&format!("TOKEN={pat}\n")))],
    );
    let (code, out, _) = r.tw(&["scan", "--git", "-f", "json"]);
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(v["findings"][0]["commit"]["id"], dropped.as_str());
}

#[test]
fn findings_past_the_history_cap_are_counted_and_said_not_kept_silently() {
    let r = Repo::new();
    for (i, date) in [
        "2023-01-01T00:00:00Z",
        "2023-02-01T00:00:00Z",
        "2023-03-01T00:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("svc{i}.env");
        let text = format!("TOKEN={}\n", github_pat(940 + i as u64));
        r.commit(date, &[(name.as_str(), Some(text.as_str()))]);
    }
    let (code, out, _) = r.tw(&["scan", "--git", "-f", "json"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(json(&out)["findings"].as_array().map(Vec::len), Some(3));
    let out = tokenward()
        .current_dir(r.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("TOKENWARD_MAX_HISTORY_FINDINGS", "1")
        .args(["scan", "--git", "-f", "json", "-j", "1"])
        .output()
        .expect("run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let v = json(&stdout);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1), "{stdout}");
    assert!(
        stderr.contains("more than 1 findings")
            && stderr.contains("2 more blob versions were not kept"),
        "{stderr}"
    );
}
