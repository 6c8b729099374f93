//! End-to-end tests of organisation-scale scanning: the local driver
//! (`scripts/fleet-scan.sh`) over 210 generated repositories, `tokenward merge --digest`
//! (totals, cross-repository value reuse, no secret in any output, SARIF split within
//! GitHub's limits and valid against the schema), the keyed `value_hash` of scan JSON,
//! bad inputs, and the Kubernetes per-index script run locally.

mod common;

use common::{git, github_pat, json, tokenward, write};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const KEY: &str = "3f1a9c0e5b7d2486af13c9e07b5d4a2c8e6f0b1d3a5c7e9f2b4d6a8c0e1f3a5b";
const REPOS: usize = 210;
/// The repositories holding the one value planted in three places.
const SHARED_IN: [usize; 3] = [7, 42, 133];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("tokenward")
}

fn name(i: usize) -> String {
    format!("repo-{i:03}")
}

/// Writes the generated repositories; returns every secret planted.
fn generate(root: &Path) -> Vec<String> {
    let mut secrets = Vec::new();
    let shared = github_pat(424_242);
    secrets.push(shared.clone());
    for i in 0..REPOS {
        let dir = root.join(name(i));
        // A token of its own in every seventh repository: each one costs the debug
        // binary a regex compilation per run, and 30 are plenty to prove redaction.
        if i % 7 == 0 {
            let own = github_pat(10_000 + i as u64);
            write(
                &dir,
                "config/app.env",
                &format!("APP_NAME=svc{i}\nGITHUB_PAT={own}\n"),
            );
            secrets.push(own);
        } else {
            write(&dir, "config/app.env", &format!("APP_NAME=svc{i}\n"));
        }
        write(&dir, "src/main.py", "print('hello')\n");
        if i % 3 == 0 {
            write(
                &dir,
                ".github/workflows/ci.yml",
                "on: push\npermissions:\n  contents: read\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme-tools/setup-thing@v2\n      - run: ./deploy.sh\n        env:\n          DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n",
            );
        }
        if SHARED_IN.contains(&i) {
            write(&dir, "deploy/shared.env", &format!("SHARED_PAT={shared}\n"));
        }
    }
    secrets
}

fn read_json(p: &Path) -> serde_json::Value {
    json(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Whether `python3 -c "import jsonschema"` works; under `CI` it must (.ci/run installs it).
fn have_jsonschema() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python module jsonschema is missing; .ci/run installs it"
        );
        eprintln!("skipped the SARIF schema check: pip install -r scripts/requirements-ci.txt");
    }
    ok
}

fn validate_sarif(files: &[PathBuf]) {
    if !have_jsonschema() {
        return;
    }
    let mut schema = manifest_dir().join("../shared/schemas/sarif-schema-2.1.0.json");
    if !schema.exists() {
        schema = manifest_dir().join("scripts/sarif-schema-2.1.0.json");
    }
    let out = Command::new("python3")
        .arg(manifest_dir().join("scripts/validate_sarif.py"))
        .arg(&schema)
        .args(files)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "schema check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks GitHub's limits on each merged SARIF file; returns the results in all.
fn check_sarif_limits(files: &[PathBuf]) -> usize {
    let mut ids = BTreeSet::new();
    let mut results = 0;
    for f in files {
        let len = std::fs::metadata(f).expect("meta").len();
        assert!(len <= 10_000_000, "{}: {len} bytes", f.display());
        let doc = read_json(f);
        let runs = doc["runs"].as_array().expect("runs");
        assert!(!runs.is_empty() && runs.len() <= 20, "{} runs", runs.len());
        for r in runs {
            let n = r["results"].as_array().expect("results").len();
            assert!(n <= 25_000, "{n} results in one run");
            results += n;
            let id = r["automationDetails"]["id"]
                .as_str()
                .expect("id")
                .to_string();
            assert!(ids.insert(id.clone()), "category {id} twice");
        }
    }
    results
}

#[test]
fn fleet_driver_over_210_repositories_merges_into_a_digest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repos = tmp.path().join("repos");
    let secrets = generate(&repos);
    let list: String = (0..REPOS)
        .map(|i| format!("{}\n", repos.join(name(i)).display()))
        .collect();
    std::fs::write(tmp.path().join("list.txt"), list).expect("list");
    let out_dir = tmp.path().join("out");
    let out = Command::new("bash")
        .arg(manifest_dir().join("scripts/fleet-scan.sh"))
        .args(["-j", "2", "-o"])
        .arg(&out_dir)
        .arg("-l")
        .arg(tmp.path().join("list.txt"))
        .env("TOKENWARD", bin())
        .env("TOKENWARD_FLEET_KEY", KEY)
        .output()
        .expect("bash");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // Totals equal the sum of the per-repository results.
    let digest = read_json(&out_dir.join("merged/digest.json"));
    let mut per_repo: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..REPOS {
        let scan = read_json(&out_dir.join("results").join(name(i)).join("scan.json"));
        let n = scan["summary"]["findings"].as_u64().expect("findings");
        assert_eq!(n as usize, scan["findings"].as_array().expect("list").len());
        per_repo.insert(name(i), n);
    }
    let sum: u64 = per_repo.values().sum();
    // Every seventh repository: its own token; every third: an unpinned third-party
    // action; three: the shared token.
    assert!(sum >= (REPOS / 7 + REPOS / 3 + 3) as u64, "{sum}");
    assert_eq!(digest["totals"]["repositories"], REPOS);
    assert_eq!(digest["totals"]["findings"].as_u64(), Some(sum));
    let by_sev: u64 = digest["totals"]["by_severity"]
        .as_object()
        .expect("by_severity")
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert_eq!(by_sev, sum);
    let listed = digest["repositories"].as_array().expect("repositories");
    assert_eq!(listed.len(), REPOS);
    for r in listed {
        let n = r["name"].as_str().expect("name");
        assert_eq!(r["findings"].as_u64(), per_repo.get(n).copied(), "{n}");
    }
    // Most exposed first: the three holding the shared value lead.
    let exposures: Vec<u64> = listed
        .iter()
        .map(|r| r["exposure"].as_u64().expect("exposure"))
        .collect();
    assert!(exposures.windows(2).all(|w| w[0] >= w[1]));
    let top: BTreeSet<&str> = listed[..3]
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    let shared_names: BTreeSet<String> = SHARED_IN.iter().map(|&i| name(i)).collect();
    assert_eq!(
        top,
        shared_names
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
    );

    // The planted value is one reuse entry naming all three repositories.
    let reused = digest["reused_values"].as_array().expect("reused");
    assert_eq!(reused.len(), 1, "{reused:?}");
    let named: Vec<&str> = reused[0]["repositories"]
        .as_array()
        .expect("repos")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(named, vec!["repo-007", "repo-042", "repo-133"]);
    assert_eq!(reused[0]["rules"][0], "github-pat-classic");

    // Shared names and actions across repositories.
    let names = digest["shared_secret_names"].as_array().expect("names");
    assert_eq!(names[0]["name"], "DEPLOY_TOKEN");
    assert_eq!(names[0]["repositories"].as_array().expect("r").len(), 70);
    let actions = digest["shared_actions"].as_array().expect("actions");
    assert_eq!(actions[0]["name"], "acme-tools/setup-thing");
    assert_eq!(actions[0]["unpinned_in"].as_array().expect("u").len(), 70);
    let md = std::fs::read_to_string(out_dir.join("merged/digest.md")).expect("md");
    assert!(md.contains("## Secret values reused across repositories"));
    assert!(md.contains("repo-007, repo-042, repo-133"), "{md}");

    // No secret, and not the key, in any output.
    let mut files = Vec::new();
    all_files(&out_dir, &mut files);
    assert!(files.len() > REPOS * 3);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("utf-8 output");
        assert!(!text.contains(KEY), "{} holds the fleet key", f.display());
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{} holds a secret", f.display());
            assert!(
                !text.contains(&s[4..20]),
                "{} holds most of a secret",
                f.display()
            );
        }
    }
    assert!(!stderr.contains(KEY));

    // The merged SARIF: 210 runs need 11 files of at most 20; said so; valid.
    let merge = read_json(&out_dir.join("merged/merge.json"));
    let sarif: Vec<PathBuf> = merge["sarif_files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| out_dir.join("merged").join(f.as_str().expect("name")))
        .collect();
    assert_eq!(sarif.len(), 11);
    assert!(
        stderr.contains("SARIF split into 11 files of at most 20 runs"),
        "{stderr}"
    );
    assert!(merge["sarif_split"].as_str().is_some());
    assert_eq!(check_sarif_limits(&sarif) as u64, sum);
    validate_sarif(&sarif);
    // The merged JSON keeps every finding with its repository.
    let merged = read_json(&out_dir.join("merged/findings.json"));
    assert_eq!(
        merged["findings"].as_array().expect("findings").len() as u64,
        sum
    );
}

/// A tokenward-shaped SARIF log of `n` results for one repository.
fn big_sarif(n: usize) -> String {
    let results: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "ruleId": "github-pat-classic", "ruleIndex": 0, "level": "error",
                "message": {"text": format!("GitHub token number {i}.")},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": format!("src/f{i}.env"), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 41}}}],
                "partialFingerprints": {"tokenward/v1": format!("{i:032x}")},
                "properties": {"severity": "high", "kind": "secret", "lifetime": "long-lived"}
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "tokenward", "rules": [
            {"id": "github-pat-classic", "shortDescription": {"text": "GitHub PAT"}}]}},
            "columnKind": "unicodeCodePoints", "results": results}]
    })
    .to_string()
}

#[test]
fn merge_splits_a_run_over_github_limits_and_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let res = tmp.path().join("results");
    write(&res, "big/scan.sarif", &big_sarif(25_010));
    write(&res, "small/scan.sarif", &big_sarif(3));
    let out_dir = tmp.path().join("merged");
    let out = tokenward()
        .arg("merge")
        .arg(&res)
        .arg("--digest")
        .arg("-o")
        .arg(&out_dir)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("split into runs with categories ending `/part-N`: big"));
    let merge = read_json(&out_dir.join("merge.json"));
    let files: Vec<PathBuf> = merge["sarif_files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| out_dir.join(f.as_str().expect("name")))
        .collect();
    assert_eq!(check_sarif_limits(&files), 25_013);
    let ids: Vec<String> = files
        .iter()
        .flat_map(|f| {
            read_json(f)["runs"]
                .as_array()
                .expect("runs")
                .iter()
                .map(|r| {
                    r["automationDetails"]["id"]
                        .as_str()
                        .expect("id")
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        ids.contains(&"tokenward/big/part-1/".to_string()),
        "{ids:?}"
    );
    assert!(ids.contains(&"tokenward/small/".to_string()), "{ids:?}");
    validate_sarif(&files);
    let digest = read_json(&out_dir.join("digest.json"));
    assert_eq!(digest["totals"]["findings"], 25_013);
    assert_eq!(digest["repositories"][0]["name"], "big");

    // A lower limit (e.g. for a GHES instance) splits files by runs.
    let out_dir2 = tmp.path().join("merged2");
    let out = tokenward()
        .args(["merge", "--max-runs-per-file", "1", "-o"])
        .arg(&out_dir2)
        .arg(res.join("small/scan.sarif"))
        .arg(res.join("big/scan.sarif"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let merge = read_json(&out_dir2.join("merge.json"));
    assert!(merge["sarif_files"].as_array().expect("files").len() >= 3);
    // GitHub's limits cannot be raised.
    let (code, _, err) = common::run(
        "merge",
        &["--max-runs-per-file", "21", "-o", "x", "in.sarif"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("21"), "{err}");
}

#[test]
fn merge_refuses_bad_inputs_with_one_line_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    write(root, "in/a/notes.json", "{\"hello\": 1}");
    write(
        root,
        "in/b/broken.sarif",
        "{\"version\": \"2.1.0\", \"runs\": [",
    );
    let (code, _, err) = common::run(
        "merge",
        &[
            root.join("in/a/notes.json").to_str().expect("utf-8"),
            "-o",
            root.join("o1").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("notes.json: not a tokenward scan JSON, SARIF 2.1.0 or inventory JSON file")
    );
    let (code, _, err) = common::run(
        "merge",
        &[
            root.join("in/b").to_str().expect("utf-8"),
            "-o",
            root.join("o2").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("broken.sarif: not JSON"), "{err}");
    // An output folder with files in it is refused (stale split files would remain).
    write(root, "full/old.sarif", "{}");
    write(
        root,
        "in/c/scan.json",
        "{\"version\": 1, \"tool\": {}, \"findings\": []}",
    );
    let (code, _, err) = common::run(
        "merge",
        &[
            root.join("in/c").to_str().expect("utf-8"),
            "-o",
            root.join("full").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn scan_json_carries_a_keyed_value_hash_only_with_a_fleet_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pat = github_pat(77);
    write(tmp.path(), "a/x.env", &format!("T={pat}\n"));
    write(tmp.path(), "b/y.env", &format!("OTHER={pat}\n"));
    let scan = |dir: &str, key: Option<&str>| {
        let mut c = tokenward();
        c.args(["scan", "--format", "json"])
            .arg(tmp.path().join(dir))
            .env_remove("TOKENWARD_FLEET_KEY");
        if let Some(k) = key {
            c.env("TOKENWARD_FLEET_KEY", k);
        }
        let out = c.output().expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, plain, _) = scan("a", None);
    assert_eq!(code, Some(1));
    assert!(!plain.contains("value_hash"));
    let (_, a, _) = scan("a", Some(KEY));
    let (_, b, _) = scan("b", Some(KEY));
    let other_key = KEY.replace('3', "4");
    let (_, c, _) = scan("a", Some(&other_key));
    let hash = |s: &str| {
        json(s)["findings"][0]["value_hash"]
            .as_str()
            .map(str::to_string)
    };
    let ha = hash(&a).expect("value_hash");
    assert_eq!(ha.len(), 32);
    assert!(ha.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        Some(ha.clone()),
        hash(&b),
        "same value, same key: same hash"
    );
    assert_ne!(Some(ha), hash(&c), "another key: another hash");
    assert!(!a.contains(&pat) && !a.contains(KEY));
    let (code, _, err) = scan("a", Some("too-short"));
    assert_eq!(code, Some(2));
    assert!(err.contains("TOKENWARD_FLEET_KEY is 9 bytes"), "{err}");
}

#[test]
fn k8s_per_index_script_scans_the_repository_at_its_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    for (i, n) in ["api", "web"].iter().enumerate() {
        let d = root.join("src").join(n);
        write(
            &d,
            "cfg.env",
            &format!("PAT={}\n", github_pat(900 + i as u64)),
        );
        git(&d, &["init", "-q"]);
        git(&d, &["add", "."]);
        git(&d, &["commit", "-qm", "init"]);
    }
    let list = format!(
        "# repositories\n{}\n\nacme/web {}\n",
        root.join("src/api").display(),
        root.join("src/web").display()
    );
    std::fs::write(root.join("repos.txt"), list).expect("list");
    let run = |index: &str| {
        Command::new("bash")
            .arg(manifest_dir().join("deploy/k8s/scan-index.sh"))
            .env("JOB_COMPLETION_INDEX", index)
            .env("REPO_LIST", root.join("repos.txt"))
            .env("RESULTS_DIR", root.join("results"))
            .env("WORK_DIR", root.join("work"))
            .env("TOKENWARD", bin())
            .env("TOKENWARD_FLEET_KEY", KEY)
            .output()
            .expect("bash")
    };
    let out = run("1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = read_json(&root.join("results/acme/web/scan.json"));
    assert_eq!(scan["findings"][0]["rule_id"], "github-pat-classic");
    assert!(scan["findings"][0]["value_hash"].is_string());
    assert!(root.join("results/acme/web/scan.sarif").is_file());
    assert!(root.join("results/acme/web/inventory.json").is_file());
    assert!(!root.join("results/src/api").exists(), "only index 1 ran");
    assert!(!root.join("work/clone-1").exists(), "clone removed");
    // Index 0 names the repository by the URL's last two parts.
    assert!(run("0").status.success());
    assert!(root.join("results/src/api/scan.json").is_file());
    // An index past the list fails and says how many there are.
    let out = run("2");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lists 2 repositories"));
    // The merge Job's command over the volume.
    let merged = root.join("merged");
    let out = tokenward()
        .arg("merge")
        .arg(root.join("results"))
        .arg("--digest")
        .arg("-o")
        .arg(&merged)
        .output()
        .expect("run");
    assert!(out.status.success());
    let digest = read_json(&merged.join("digest.json"));
    let names: Vec<&str> = digest["repositories"]
        .as_array()
        .expect("repos")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"acme/web") && names.contains(&"src/api"));
}
