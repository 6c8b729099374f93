//! Merges SARIF runs from many inputs: one run per repository, tool and category,
//! results deduplicated by fingerprint and location, and the output split into files
//! that GitHub code scanning accepts.
//!
//! GitHub's limits for one uploaded SARIF file (docs.github.com, "SARIF results exceed
//! limit" and "SARIF file is too large", checked 2026-12): at most 20 runs per file,
//! 25,000 results per run (only the 5,000 most severe are shown), 25,000 rules per run,
//! 1,000 locations per result, 20 tags per rule, and 10 MB per file (gzip-compressed;
//! this module bounds the uncompressed size, which is stricter). Since 2025 GitHub also
//! rejects a file with two runs of the same tool and category, so every run here gets
//! its own category: `<category>/<repository>` (plus `/part-N` when one repository has
//! more results than one run may hold).

use super::finding_key;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// GitHub's limits, and the ones this merge applies (which may be set lower).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Runs per file (GitHub: 20).
    pub runs_per_file: usize,
    /// Results per run (GitHub: 25,000).
    pub results_per_run: usize,
    /// Bytes per file, uncompressed (GitHub: 10 MB compressed).
    pub bytes_per_file: usize,
}

impl Limits {
    /// GitHub code scanning's limits.
    pub const GITHUB: Limits = Limits {
        runs_per_file: 20,
        results_per_run: 25_000,
        bytes_per_file: 10_000_000,
    };
}

/// Results of one repository, tool and category, gathered from every input.
#[derive(Debug, Default)]
struct Group {
    /// The first input's driver (without its rules) and run fields we keep.
    driver: Map<String, Value>,
    column_kind: Option<Value>,
    /// Ids of the rules its results use (the rules themselves are kept once per tool
    /// in [`SarifMerge`]: a scan's SARIF describes every rule, hundreds per input).
    used: BTreeSet<String>,
    /// Results, in input order, each with its rule id.
    results: Vec<(String, Vec<u8>)>,
    seen: HashSet<String>,
    duplicates: usize,
}

/// Accumulates SARIF runs.
#[derive(Debug, Default)]
pub struct SarifMerge {
    groups: BTreeMap<(String, String, String), Group>,
    /// Rules by tool and id (the first description seen), only those results use.
    rules: HashMap<(String, String), Value>,
    /// Results dropped as duplicates.
    pub duplicates: usize,
    /// Results read.
    pub results_read: usize,
}

/// What [`SarifMerge::finish`] produced.
#[derive(Debug)]
pub struct SarifFiles {
    /// Serialized files, in order.
    pub files: Vec<Vec<u8>>,
    /// Runs in all files.
    pub runs: usize,
    /// Results in all files.
    pub results: usize,
    /// Repositories whose results were split over several runs (`repo (N runs)`).
    pub split_runs: Vec<String>,
}

/// The category of a run: `automationDetails.id` up to its last `/`, else `default`.
fn category_of(run: &Value, default: &str) -> String {
    let id = run
        .pointer("/automationDetails/id")
        .and_then(Value::as_str)
        .unwrap_or("");
    match id.rsplit_once('/') {
        Some((c, _)) if !c.is_empty() => c.to_string(),
        _ if !id.is_empty() => id.to_string(),
        _ => default.to_string(),
    }
}

impl SarifMerge {
    /// Adds every run of one SARIF log that belongs to `repo`.
    pub fn add(&mut self, repo: &str, log: &Value, default_category: &str) -> Result<(), String> {
        let runs = log
            .get("runs")
            .and_then(Value::as_array)
            .ok_or("no `runs` array")?;
        for (ri, run) in runs.iter().enumerate() {
            let driver = run
                .pointer("/tool/driver")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("runs[{ri}]: no tool.driver"))?;
            let tool = driver
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("runs[{ri}]: tool.driver has no name"))?
                .to_string();
            let category = category_of(run, default_category);
            let empty = Vec::new();
            let rules: &Vec<Value> = driver
                .get("rules")
                .and_then(Value::as_array)
                .unwrap_or(&empty);
            let group = self
                .groups
                .entry((repo.to_string(), tool.clone(), category))
                .or_default();
            if group.driver.is_empty() {
                group.driver = driver
                    .iter()
                    .filter(|(k, _)| *k != "rules")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                group.column_kind = run.get("columnKind").cloned();
            }
            // Rules this input describes that no earlier input did, and its results use.
            let mut wanted: BTreeSet<String> = BTreeSet::new();
            let results = run.get("results").and_then(Value::as_array);
            for (i, res) in results.into_iter().flatten().enumerate() {
                self.results_read += 1;
                let mut res = res
                    .as_object()
                    .cloned()
                    .ok_or_else(|| format!("runs[{ri}].results[{i}]: not an object"))?;
                let rule_id = res
                    .get("ruleId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        let idx = res.get("ruleIndex").and_then(Value::as_u64)?;
                        rules
                            .get(usize::try_from(idx).ok()?)?
                            .get("id")?
                            .as_str()
                            .map(str::to_string)
                    })
                    .ok_or_else(|| format!("runs[{ri}].results[{i}]: no ruleId"))?;
                if !group.seen.insert(finding_key::of_sarif(&rule_id, &res)) {
                    group.duplicates += 1;
                    self.duplicates += 1;
                    continue;
                }
                // The index is recomputed against the merged rule list.
                res.remove("ruleIndex");
                res.insert("ruleId".into(), Value::String(rule_id.clone()));
                let bytes = serde_json::to_vec(&res).map_err(|e| e.to_string())?;
                if !self.rules.contains_key(&(tool.clone(), rule_id.clone())) {
                    wanted.insert(rule_id.clone());
                }
                group.used.insert(rule_id.clone());
                group.results.push((rule_id, bytes));
            }
            for r in rules.iter().filter(|_| !wanted.is_empty()) {
                if let Some(id) = r.get("id").and_then(Value::as_str)
                    && wanted.contains(id)
                {
                    self.rules
                        .entry((tool.clone(), id.to_string()))
                        .or_insert_with(|| r.clone());
                }
            }
        }
        Ok(())
    }

    /// Builds the runs and packs them into files within `limits`.
    pub fn finish(self, limits: Limits) -> SarifFiles {
        let mut runs: Vec<Vec<u8>> = Vec::new();
        let mut results = 0;
        let mut split_runs = Vec::new();
        // Room for the run's own fields beside its results.
        for ((repo, tool, category), g) in self.groups {
            let rules: BTreeMap<&str, &Value> = g
                .used
                .iter()
                .filter_map(|id| {
                    self.rules
                        .get(&(tool.clone(), id.clone()))
                        .map(|r| (id.as_str(), r))
                })
                .collect();
            let chunks = chunk(&g, &rules, limits);
            if chunks.len() > 1 {
                split_runs.push(format!("{repo} ({} runs)", chunks.len()));
            }
            let n = chunks.len();
            for (ci, range) in chunks.into_iter().enumerate() {
                results += range.len();
                let part = if n > 1 {
                    format!("/part-{}", ci + 1)
                } else {
                    String::new()
                };
                runs.push(build_run(&g, &rules, &repo, &category, &part, range));
            }
        }
        let run_count = runs.len();
        SarifFiles {
            files: pack(runs, limits),
            runs: run_count,
            results,
            split_runs,
        }
    }
}

/// Splits a group's results into ranges of at most `results_per_run` results and
/// about half a file's bytes, so that every run fits a file with room to spare.
fn chunk(g: &Group, rules: &BTreeMap<&str, &Value>, limits: Limits) -> Vec<std::ops::Range<usize>> {
    let rules_bytes: usize = rules
        .values()
        .map(|r| serde_json::to_vec(r).map_or(0, |v| v.len()))
        .sum();
    let budget = (limits.bytes_per_file / 2)
        .saturating_sub(rules_bytes)
        .max(1);
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (_, r)) in g.results.iter().enumerate() {
        let full = i - start >= limits.results_per_run.max(1);
        if i > start && (full || bytes + r.len() + 1 > budget) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += r.len() + 1;
    }
    if start < g.results.len() || out.is_empty() {
        out.push(start..g.results.len());
    }
    out
}

fn build_run(
    g: &Group,
    all_rules: &BTreeMap<&str, &Value>,
    repo: &str,
    category: &str,
    part: &str,
    range: std::ops::Range<usize>,
) -> Vec<u8> {
    // Only the rules this run's results use, indexed in order.
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, _) in &g.results[range.clone()] {
        used.insert(id.as_str(), 0);
    }
    let mut rules = Vec::new();
    for (id, idx) in used.iter_mut() {
        if let Some(r) = all_rules.get(*id) {
            *idx = rules.len();
            rules.push((*r).clone());
        } else {
            *idx = usize::MAX;
        }
    }
    let mut driver = g.driver.clone();
    driver.insert("rules".into(), Value::Array(rules));
    let mut run = Map::new();
    run.insert("tool".into(), json!({ "driver": driver }));
    run.insert(
        "automationDetails".into(),
        json!({ "id": format!("{category}/{repo}{part}/") }),
    );
    if let Some(ck) = &g.column_kind {
        run.insert("columnKind".into(), ck.clone());
    }
    run.insert(
        "properties".into(),
        json!({ "repository": repo, "category": category }),
    );
    run.insert("results".into(), Value::Array(Vec::new()));
    // Serialize the run with an empty result list, then splice in the results' bytes
    // (already serialized, with their new rule index) in place of `[]`.
    let head = serde_json::to_vec(&Value::Object(run)).unwrap_or_default();
    let marker = b"\"results\":[]";
    let at = head
        .windows(marker.len())
        .rposition(|w| w == marker)
        .unwrap_or(head.len());
    let mut out = Vec::with_capacity(head.len() + range.len() * 256);
    out.extend_from_slice(&head[..at]);
    out.extend_from_slice(b"\"results\":[");
    for (k, (id, bytes)) in g.results[range].iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        match used.get(id.as_str()) {
            Some(&idx) if idx != usize::MAX => {
                // `{"ruleIndex":N,` + the rest of the result object.
                out.extend_from_slice(format!("{{\"ruleIndex\":{idx}").as_bytes());
                if bytes.len() > 2 {
                    out.push(b',');
                }
                out.extend_from_slice(&bytes[1..]);
            }
            _ => out.extend_from_slice(bytes),
        }
    }
    out.push(b']');
    out.extend_from_slice(&head[(at + marker.len()).min(head.len())..]);
    out
}

/// Packs runs into files: at most `runs_per_file` runs and `bytes_per_file` bytes each
/// (a run bigger than that alone gets a file of its own).
fn pack(runs: Vec<Vec<u8>>, limits: Limits) -> Vec<Vec<u8>> {
    const HEAD: &[u8] =
        b"{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[";
    const TAIL: &[u8] = b"]}\n";
    let mut files = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut in_cur = 0;
    for run in runs {
        let fits = in_cur < limits.runs_per_file.max(1)
            && cur.len() + run.len() + 1 + TAIL.len() <= limits.bytes_per_file;
        if in_cur > 0 && !fits {
            cur.extend_from_slice(TAIL);
            files.push(std::mem::take(&mut cur));
            in_cur = 0;
        }
        if in_cur == 0 {
            cur.extend_from_slice(HEAD);
        } else {
            cur.push(b',');
        }
        cur.extend_from_slice(&run);
        in_cur += 1;
    }
    if in_cur == 0 {
        cur.extend_from_slice(HEAD);
    }
    cur.extend_from_slice(TAIL);
    files.push(cur);
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: usize, tag: &str) -> Value {
        let results: Vec<Value> = (0..n)
            .map(|i| {
                json!({"ruleId": "r1", "ruleIndex": 0, "message": {"text": format!("{tag}{i}")},
                    "partialFingerprints": {"tokenward/v1": format!("{tag}{i}")},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"},
                        "region": {"startLine": 1}}}]})
            })
            .collect();
        json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "tokenward",
            "rules": [{"id": "r1"}, {"id": "r2"}]}}, "results": results}]})
    }

    fn parse(files: &[Vec<u8>]) -> Vec<Value> {
        files
            .iter()
            .map(|f| serde_json::from_slice(f).expect("valid JSON"))
            .collect()
    }

    #[test]
    fn dedups_and_keeps_one_run_per_repository_with_its_category() {
        let mut m = SarifMerge::default();
        m.add("a", &log(3, "x"), "tokenward").expect("add");
        m.add("a", &log(3, "x"), "tokenward").expect("add");
        m.add("b", &log(2, "y"), "tokenward").expect("add");
        assert_eq!(m.duplicates, 3);
        let out = m.finish(Limits::GITHUB);
        let docs = parse(&out.files);
        assert_eq!(docs.len(), 1);
        let runs = docs[0]["runs"].as_array().expect("runs");
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0]["automationDetails"]["id"], "tokenward/a/");
        assert_eq!(runs[0]["results"].as_array().expect("r").len(), 3);
        // Only the rule in use is kept, and the index points at it.
        assert_eq!(
            runs[0]["tool"]["driver"]["rules"]
                .as_array()
                .expect("r")
                .len(),
            1
        );
        assert_eq!(runs[0]["results"][0]["ruleIndex"], 0);
        assert_eq!(runs[0]["results"][0]["ruleId"], "r1");
    }

    #[test]
    fn splits_files_by_runs_and_runs_by_results() {
        let mut m = SarifMerge::default();
        for i in 0..5 {
            m.add(&format!("repo{i}"), &log(1, "z"), "tw").expect("add");
        }
        m.add("big", &log(7, "b"), "tw").expect("add");
        let limits = Limits {
            runs_per_file: 2,
            results_per_run: 3,
            bytes_per_file: 1_000_000,
        };
        let out = m.finish(limits);
        // big: 3 runs (3+3+1); plus 5 one-result runs = 8 runs, 2 per file.
        assert_eq!(out.runs, 8);
        assert_eq!(out.files.len(), 4);
        assert_eq!(out.results, 12);
        assert_eq!(out.split_runs, vec!["big (3 runs)".to_string()]);
        let docs = parse(&out.files);
        assert_eq!(
            docs[0]["runs"][0]["automationDetails"]["id"],
            "tw/big/part-1/"
        );
        for d in &docs {
            assert!(d["runs"].as_array().expect("runs").len() <= 2);
        }
    }

    #[test]
    fn splits_files_by_size() {
        let mut m = SarifMerge::default();
        for i in 0..6 {
            m.add(&format!("r{i}"), &log(20, "s"), "tw").expect("add");
        }
        let limits = Limits {
            runs_per_file: 20,
            results_per_run: 25_000,
            bytes_per_file: 8_000,
        };
        let out = m.finish(limits);
        assert!(out.files.len() > 1);
        for f in &out.files {
            assert!(f.len() <= 8_000, "{}", f.len());
        }
        assert_eq!(out.results, 120);
    }
}
