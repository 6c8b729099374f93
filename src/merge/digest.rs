//! The fleet digest: per repository, findings by severity and kind, long-lived
//! credentials, identities and owners; across repositories, secret values reused (by
//! keyed hash), secret names and third-party actions many repositories share; the most
//! exposed repositories first. [`Fleet`] gathers, [`Fleet::digest`] summarises; the
//! JSON form is [`Digest`] (schema version [`VERSION`]), the Markdown form is
//! [`super::markdown`].

use super::finding_key;
use crate::finding::Severity;
use crate::inventory::model::Inventory;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Version of the digest's JSON schema.
pub const VERSION: u32 = 1;

/// How the exposure score is computed (also written into the digest).
pub const EXPOSURE_FORMULA: &str = "10 per critical, 5 per high, 2 per medium, 1 per low finding; \
+5 per long-lived hard-coded credential; +5 per secret an untrusted trigger can reach; \
+3 per static-key cloud or registry login; +10 per secret value also found in another repository";

/// Most locations listed per reused value.
const MAX_REUSE_LOCATIONS: usize = 50;

/// One finding as the digest sees it.
#[derive(Debug, Clone)]
struct Item {
    rule_id: String,
    kind: String,
    severity: Severity,
    long_lived: bool,
    path: String,
    line: u64,
    owner: Option<String>,
    value_hash: Option<String>,
}

/// What is known about one repository.
#[derive(Debug, Default)]
struct RepoAcc {
    seen: HashSet<String>,
    items: Vec<Item>,
    inventory: Option<Inventory>,
}

/// Gathers findings and inventories per repository.
#[derive(Debug, Default)]
pub struct Fleet {
    repos: BTreeMap<String, RepoAcc>,
    /// Findings dropped as the same finding seen in another input.
    pub duplicates: usize,
}

fn severity_of_level(level: &str) -> Severity {
    match level {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        _ => Severity::Low,
    }
}

impl Fleet {
    /// Names a repository that has results (even an empty scan).
    pub fn touch(&mut self, repo: &str) {
        self.repos.entry(repo.to_string()).or_default();
    }

    fn push(&mut self, repo: &str, key: String, item: Item) {
        let acc = self.repos.entry(repo.to_string()).or_default();
        if acc.seen.insert(key) {
            acc.items.push(item);
        } else {
            self.duplicates += 1;
        }
    }

    /// Adds one finding of a scan JSON file.
    pub fn add_json(&mut self, repo: &str, f: &Map<String, Value>) {
        let s = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
        let item = Item {
            rule_id: s("rule_id").unwrap_or_default(),
            kind: s("kind").unwrap_or_else(|| "other".into()),
            severity: s("severity")
                .as_deref()
                .and_then(Severity::parse)
                .unwrap_or(Severity::Medium),
            long_lived: s("lifetime").as_deref() == Some("long-lived"),
            path: s("path").unwrap_or_default(),
            line: f
                .get("span")
                .and_then(|v| v.get("start_line"))
                .and_then(Value::as_u64)
                .unwrap_or(0),
            owner: s("owner"),
            value_hash: s("value_hash").filter(|h| !h.is_empty()),
        };
        self.push(repo, finding_key::of_json(f), item);
    }

    /// Adds the unsuppressed results of one SARIF log.
    pub fn add_sarif(&mut self, repo: &str, log: &Value) {
        self.touch(repo);
        let runs = log.get("runs").and_then(Value::as_array);
        for run in runs.into_iter().flatten() {
            let rules = run.pointer("/tool/driver/rules").and_then(Value::as_array);
            let results = run.get("results").and_then(Value::as_array);
            for r in results.into_iter().flatten() {
                let Some(r) = r.as_object() else { continue };
                if r.get("suppressions")
                    .and_then(Value::as_array)
                    .is_some_and(|s| !s.is_empty())
                {
                    continue;
                }
                let rule_id = r
                    .get("ruleId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        let i = usize::try_from(r.get("ruleIndex")?.as_u64()?).ok()?;
                        rules?.get(i)?.get("id")?.as_str().map(str::to_string)
                    })
                    .unwrap_or_default();
                let prop = |k: &str| {
                    r.get("properties")
                        .and_then(|p| p.get(k))
                        .and_then(Value::as_str)
                };
                let level = r.get("level").and_then(Value::as_str).unwrap_or("warning");
                let loc = r
                    .get("locations")
                    .and_then(|l| l.get(0))
                    .and_then(|l| l.get("physicalLocation"));
                let item = Item {
                    rule_id: rule_id.clone(),
                    kind: prop("kind").unwrap_or("other").to_string(),
                    severity: prop("severity")
                        .and_then(Severity::parse)
                        .unwrap_or_else(|| severity_of_level(level)),
                    long_lived: prop("lifetime") == Some("long-lived"),
                    path: loc
                        .and_then(|l| l.pointer("/artifactLocation/uri"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    line: loc
                        .and_then(|l| l.pointer("/region/startLine"))
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                    owner: prop("owner").map(str::to_string),
                    value_hash: None,
                };
                self.push(repo, finding_key::of_sarif(&rule_id, r), item);
            }
        }
    }

    /// Records a repository's inventory (the last one given wins).
    pub fn add_inventory(&mut self, repo: &str, inv: Inventory) {
        self.repos.entry(repo.to_string()).or_default().inventory = Some(inv);
    }

    /// The inventories, by repository.
    pub fn inventories(&self) -> impl Iterator<Item = (&str, &Inventory)> {
        self.repos
            .iter()
            .filter_map(|(n, r)| r.inventory.as_ref().map(|i| (n.as_str(), i)))
    }

    /// Builds the digest; names and actions count as shared from `min_shared`
    /// repositories on.
    pub fn digest(&self, min_shared: usize) -> Digest {
        let min_shared = min_shared.max(2);
        // Values reused across repositories first: they raise exposure.
        let mut by_hash: BTreeMap<&str, Vec<(&str, &Item)>> = BTreeMap::new();
        for (name, acc) in &self.repos {
            for it in &acc.items {
                if let Some(h) = &it.value_hash {
                    by_hash.entry(h).or_default().push((name, it));
                }
            }
        }
        let mut reused_values = Vec::new();
        let mut reused_in: BTreeMap<&str, usize> = BTreeMap::new();
        for (hash, uses) in &by_hash {
            let repos: BTreeSet<&str> = uses.iter().map(|(r, _)| *r).collect();
            if repos.len() < 2 {
                continue;
            }
            for r in &repos {
                *reused_in.entry(r).or_default() += 1;
            }
            reused_values.push(ReusedValue {
                value_hash: hash.to_string(),
                repositories: repos.iter().map(|s| s.to_string()).collect(),
                rules: uses
                    .iter()
                    .map(|(_, i)| i.rule_id.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                occurrences: uses.len(),
                locations: uses
                    .iter()
                    .take(MAX_REUSE_LOCATIONS)
                    .map(|(r, i)| format!("{r}:{}:{}", i.path, i.line))
                    .collect(),
            });
        }
        reused_values.sort_by(|a, b| {
            (b.repositories.len(), b.occurrences, &a.value_hash).cmp(&(
                a.repositories.len(),
                a.occurrences,
                &b.value_hash,
            ))
        });

        let mut repositories: Vec<RepoDigest> = self
            .repos
            .iter()
            .map(|(name, acc)| repo_digest(name, acc, reused_in.get(name.as_str()).copied()))
            .collect();
        repositories.sort_by(|a, b| {
            (b.exposure, b.findings, &a.name).cmp(&(a.exposure, a.findings, &b.name))
        });

        let mut totals = Totals {
            repositories: repositories.len(),
            repositories_with_findings: repositories.iter().filter(|r| r.findings > 0).count(),
            repositories_with_inventory: repositories
                .iter()
                .filter(|r| r.identities.is_some())
                .count(),
            ..Totals::default()
        };
        for r in &repositories {
            totals.findings += r.findings;
            totals.long_lived_credentials += r.long_lived_credentials;
            for (k, v) in &r.by_severity {
                *totals.by_severity.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &r.by_kind {
                *totals.by_kind.entry(k.clone()).or_default() += v;
            }
        }
        totals.value_hashes = by_hash.values().map(Vec::len).sum();

        Digest {
            version: VERSION,
            tool: Tool {
                name: "tokenward",
                version: env!("CARGO_PKG_VERSION"),
            },
            exposure_formula: EXPOSURE_FORMULA,
            min_shared,
            totals,
            repositories,
            reused_values,
            shared_secret_names: self.shared_secret_names(min_shared),
            shared_actions: self.shared_actions(min_shared),
        }
    }

    fn shared_secret_names(&self, min_shared: usize) -> Vec<Shared> {
        let mut names: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (repo, inv) in self.inventories() {
            for s in &inv.secrets {
                // `*` stands for `secrets: inherit`, not a name.
                if s.name != "*" && s.name != "GITHUB_TOKEN" {
                    names.entry(&s.name).or_default().insert(repo);
                }
            }
        }
        shared(names, min_shared)
    }

    fn shared_actions(&self, min_shared: usize) -> Vec<SharedAction> {
        // Per action: repositories using it, those using it unpinned, refs in use.
        type Uses<'a> = (BTreeSet<&'a str>, BTreeSet<&'a str>, BTreeSet<&'a str>);
        let mut acts: BTreeMap<&str, Uses<'_>> = BTreeMap::new();
        for (repo, inv) in self.inventories() {
            for a in &inv.actions {
                let owner = a.name.split('/').next().unwrap_or("").to_ascii_lowercase();
                if owner == "actions" || owner == "github" {
                    continue;
                }
                let e = acts.entry(&a.name).or_default();
                e.0.insert(repo);
                if !a.pinned {
                    e.1.insert(repo);
                }
                if let Some(r) = &a.reference {
                    e.2.insert(r);
                }
            }
        }
        let mut out: Vec<SharedAction> = acts
            .into_iter()
            .filter(|(_, (repos, _, _))| repos.len() >= min_shared)
            .map(|(name, (repos, unpinned, refs))| SharedAction {
                name: name.to_string(),
                repositories: repos.iter().map(|s| s.to_string()).collect(),
                unpinned_in: unpinned.iter().map(|s| s.to_string()).collect(),
                references: refs.iter().map(|s| s.to_string()).collect(),
            })
            .collect();
        out.sort_by(|a, b| {
            (b.repositories.len(), b.unpinned_in.len(), &a.name).cmp(&(
                a.repositories.len(),
                a.unpinned_in.len(),
                &b.name,
            ))
        });
        out
    }
}

fn shared(map: BTreeMap<&str, BTreeSet<&str>>, min_shared: usize) -> Vec<Shared> {
    let mut out: Vec<Shared> = map
        .into_iter()
        .filter(|(_, repos)| repos.len() >= min_shared)
        .map(|(name, repos)| Shared {
            name: name.to_string(),
            repositories: repos.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    out.sort_by(|a, b| (b.repositories.len(), &a.name).cmp(&(a.repositories.len(), &b.name)));
    out
}

fn repo_digest(name: &str, acc: &RepoAcc, reused: Option<usize>) -> RepoDigest {
    let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut owners: BTreeSet<String> = BTreeSet::new();
    let mut exposure = 0usize;
    let mut long_lived = 0;
    for it in &acc.items {
        *by_severity.entry(it.severity.as_str().into()).or_default() += 1;
        *by_kind.entry(it.kind.clone()).or_default() += 1;
        *by_rule.entry(it.rule_id.clone()).or_default() += 1;
        if let Some(o) = &it.owner {
            owners.extend(o.split_whitespace().map(str::to_string));
        }
        exposure += match it.severity {
            Severity::Critical => 10,
            Severity::High => 5,
            Severity::Medium => 2,
            Severity::Low => 1,
            Severity::Info => 0,
        };
        if it.long_lived && it.kind == "secret" {
            long_lived += 1;
        }
    }
    exposure += 5 * long_lived + 10 * reused.unwrap_or(0);
    let identities = acc.inventory.as_ref().map(|inv| {
        for o in inv
            .secrets
            .iter()
            .map(|s| &s.owner)
            .chain(inv.authentications.iter().map(|a| &a.owner))
        {
            owners.extend(o.split_whitespace().map(str::to_string));
        }
        let logins: BTreeSet<String> = inv
            .authentications
            .iter()
            .map(|a| format!("{} {}", a.provider, a.method))
            .collect();
        let s = &inv.summary;
        exposure += 5 * s.secrets_reachable_from_untrusted.len() + 3 * s.static_authentications;
        Identities {
            secrets_referenced: s.secrets,
            long_lived_secrets: inv
                .secrets
                .iter()
                .filter(|e| e.lifetime.as_deref() == Some("long-lived"))
                .map(|e| e.name.clone())
                .collect(),
            secrets_reachable_from_untrusted: s.secrets_reachable_from_untrusted.clone(),
            logins: logins.into_iter().collect(),
            static_logins: s.static_authentications,
            oidc_logins: s.oidc_authentications,
            jobs_with_write_permissions: s.jobs_with_write_permissions,
            jobs_with_default_permissions: s.jobs_with_default_permissions,
        }
    });
    RepoDigest {
        name: name.to_string(),
        exposure,
        findings: acc.items.len(),
        by_severity,
        by_kind,
        by_rule,
        long_lived_credentials: long_lived,
        reused_values: reused.unwrap_or(0),
        owners: owners.into_iter().collect(),
        identities,
    }
}

/// The digest (JSON schema version [`VERSION`]).
#[derive(Debug, Serialize)]
pub struct Digest {
    /// Schema version.
    pub version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// How [`RepoDigest::exposure`] is computed.
    pub exposure_formula: &'static str,
    /// Repositories from which a name or action counts as shared.
    pub min_shared: usize,
    /// Totals over every repository.
    pub totals: Totals,
    /// Every repository, most exposed first.
    pub repositories: Vec<RepoDigest>,
    /// Secret values found in two or more repositories, by keyed hash.
    pub reused_values: Vec<ReusedValue>,
    /// Secret names referenced by at least `min_shared` repositories' workflows.
    pub shared_secret_names: Vec<Shared>,
    /// Third-party actions (not `actions/*` or `github/*`) used by at least
    /// `min_shared` repositories.
    pub shared_actions: Vec<SharedAction>,
}

/// Tool name and version.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// `tokenward`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// Totals over the fleet.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    /// Repositories with any input.
    pub repositories: usize,
    /// Of those, with at least one finding.
    pub repositories_with_findings: usize,
    /// Of those, with an inventory.
    pub repositories_with_inventory: usize,
    /// Findings (each finding once, however many inputs carried it).
    pub findings: usize,
    /// Findings by severity.
    pub by_severity: BTreeMap<String, usize>,
    /// Findings by kind (`secret`, `pipeline`, `config`).
    pub by_kind: BTreeMap<String, usize>,
    /// Hard-coded credentials of long-lived types.
    pub long_lived_credentials: usize,
    /// Findings carrying a keyed value hash (0: values were not compared; scan with
    /// `TOKENWARD_FLEET_KEY` set).
    pub value_hashes: usize,
}

/// One repository.
#[derive(Debug, Serialize)]
pub struct RepoDigest {
    /// Repository name.
    pub name: String,
    /// Exposure score ([`EXPOSURE_FORMULA`]).
    pub exposure: usize,
    /// Findings.
    pub findings: usize,
    /// Findings by severity.
    pub by_severity: BTreeMap<String, usize>,
    /// Findings by kind.
    pub by_kind: BTreeMap<String, usize>,
    /// Findings by rule or audit id.
    pub by_rule: BTreeMap<String, usize>,
    /// Hard-coded credentials of long-lived types.
    pub long_lived_credentials: usize,
    /// Secret values here that other repositories hold too.
    pub reused_values: usize,
    /// Owners named by CODEOWNERS for its findings, secrets and logins.
    pub owners: Vec<String>,
    /// Machine identities from its inventory (absent without one).
    pub identities: Option<Identities>,
}

/// A repository's machine identities, from its inventory.
#[derive(Debug, Serialize)]
pub struct Identities {
    /// Distinct secret names its workflows reference.
    pub secrets_referenced: usize,
    /// Stored secrets holding long-lived credentials.
    pub long_lived_secrets: Vec<String>,
    /// Secrets an untrusted trigger can reach.
    pub secrets_reachable_from_untrusted: Vec<String>,
    /// Cloud and registry logins, `provider method`.
    pub logins: Vec<String>,
    /// Logins with stored keys.
    pub static_logins: usize,
    /// Logins by OIDC federation.
    pub oidc_logins: usize,
    /// Jobs whose token can write.
    pub jobs_with_write_permissions: usize,
    /// Jobs on the repository's default token permissions.
    pub jobs_with_default_permissions: usize,
}

/// One secret value found in several repositories.
#[derive(Debug, Serialize)]
pub struct ReusedValue {
    /// Keyed hash of the value (never the value).
    pub value_hash: String,
    /// The repositories holding it.
    pub repositories: Vec<String>,
    /// The rules that found it.
    pub rules: Vec<String>,
    /// Findings of it in all repositories.
    pub occurrences: usize,
    /// `repository:path:line`, at most 50.
    pub locations: Vec<String>,
}

/// A name several repositories share.
#[derive(Debug, Serialize)]
pub struct Shared {
    /// The name.
    pub name: String,
    /// The repositories.
    pub repositories: Vec<String>,
}

/// An action several repositories use.
#[derive(Debug, Serialize)]
pub struct SharedAction {
    /// `owner/repo[/path]` or `docker://image`.
    pub name: String,
    /// The repositories using it.
    pub repositories: Vec<String>,
    /// Those using it without a full commit SHA (or digest).
    pub unpinned_in: Vec<String>,
    /// The refs in use.
    pub references: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finding(fp: &str, sev: &str, hash: Option<&str>) -> Map<String, Value> {
        let mut v = json!({"rule_id": "github-pat-classic", "kind": "secret", "severity": sev,
            "lifetime": "long-lived", "path": "a.env", "fingerprint": fp,
            "span": {"start_line": 1, "start_column": 1}});
        if let Some(h) = hash {
            v["value_hash"] = json!(h);
        }
        v.as_object().expect("object").clone()
    }

    #[test]
    fn reuse_needs_two_repositories_and_raises_exposure() {
        let mut f = Fleet::default();
        f.add_json("a", &finding("1", "high", Some("h1")));
        f.add_json("a", &finding("1", "high", Some("h1")));
        f.add_json("b", &finding("2", "high", Some("h1")));
        f.add_json("c", &finding("3", "high", Some("h2")));
        f.add_json("c", &finding("4", "low", None));
        let d = f.digest(2);
        assert_eq!(f.duplicates, 1);
        assert_eq!(d.totals.findings, 4);
        assert_eq!(d.reused_values.len(), 1);
        assert_eq!(d.reused_values[0].repositories, vec!["a", "b"]);
        // a and b: 5 (high) + 5 (long-lived) + 10 (reused) = 20; c: (5 + 5) + (1 + 5) = 16.
        assert_eq!(d.repositories[0].exposure, 20);
        assert_eq!(d.repositories[2].name, "c");
        assert_eq!(d.repositories[2].exposure, 16);
    }
}
