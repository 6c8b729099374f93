//! Security-framework mapping: which controls of the OWASP Non-Human Identities Top 10,
//! the OWASP Top 10 CI/CD Security Risks and NIST CSF 2.0 each secret rule, pipeline
//! audit and configuration check speaks to. The mapping is data (`mapping.toml`, next
//! to this file); secret rules are mapped by family and lifetime, so new rules in an
//! existing family are covered without a new line.

use crate::finding::RuleMeta;
use crate::finding::{Finding, FindingKind, Lifetime};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

const MAPPING: &str = include_str!("mapping.toml");

/// One framework and its controls, in the framework's order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Short id (`owasp-nhi`, `owasp-cicd`, `nist-csf-2.0`).
    pub id: String,
    /// Full name.
    pub name: String,
    /// Where the framework is published.
    pub url: String,
    /// `[control id, title]` pairs.
    pub controls: Vec<(String, String)>,
}

/// The whole mapping file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The frameworks and their controls.
    #[serde(default)]
    pub framework: Vec<Framework>,
    /// Controls of every secret rule (`all`).
    #[serde(default)]
    pub secret: BTreeMap<String, Vec<String>>,
    /// Additions by a secret rule's lifetime.
    #[serde(default)]
    pub lifetime: BTreeMap<String, Vec<String>>,
    /// Additions by a secret rule's family.
    #[serde(default)]
    pub family: BTreeMap<String, Vec<String>>,
    /// Additions for single secret rules.
    #[serde(default)]
    pub rule: BTreeMap<String, Vec<String>>,
    /// Controls of each pipeline audit.
    #[serde(default)]
    pub audit: BTreeMap<String, Vec<String>>,
    /// Controls of each configuration check.
    #[serde(default)]
    pub check: BTreeMap<String, Vec<String>>,
}

struct Loaded {
    mapping: Mapping,
    /// Control id -> (framework index, control index).
    order: HashMap<String, (usize, usize)>,
    error: Option<String>,
}

fn loaded() -> &'static Loaded {
    static L: OnceLock<Loaded> = OnceLock::new();
    L.get_or_init(|| {
        let (mapping, error) = match toml::from_str::<Mapping>(MAPPING) {
            Ok(m) => (m, None),
            Err(e) => (Mapping::default(), Some(e.to_string())),
        };
        let mut order = HashMap::new();
        for (fi, f) in mapping.framework.iter().enumerate() {
            for (ci, (id, _)) in f.controls.iter().enumerate() {
                order.insert(id.clone(), (fi, ci));
            }
        }
        Loaded {
            mapping,
            order,
            error,
        }
    })
}

/// The frameworks, in the order they are shown.
pub fn frameworks() -> &'static [Framework] {
    &loaded().mapping.framework
}

/// The framework and title of a control id.
pub fn control(id: &str) -> Option<(&'static Framework, &'static str)> {
    let l = loaded();
    let (fi, ci) = *l.order.get(id)?;
    let f = &l.mapping.framework[fi];
    Some((f, f.controls[ci].1.as_str()))
}

fn sorted(mut ids: Vec<&'static str>) -> Vec<&'static str> {
    let order = &loaded().order;
    ids.sort_by_key(|id| order.get(*id).copied().unwrap_or((usize::MAX, usize::MAX)));
    ids.dedup();
    ids
}

fn list(table: &'static BTreeMap<String, Vec<String>>, key: &str) -> Vec<&'static str> {
    table
        .get(key)
        .map(|v| v.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Controls of a secret rule: the shared ones, its lifetime's, its family's and its own.
pub fn for_secret(rule_id: &str, family: &str, lifetime: Option<Lifetime>) -> Vec<&'static str> {
    let m = &loaded().mapping;
    let mut ids = list(&m.secret, "all");
    if let Some(l) = lifetime {
        ids.extend(list(&m.lifetime, l.as_str()));
    }
    ids.extend(list(&m.family, family));
    ids.extend(list(&m.rule, rule_id));
    sorted(ids)
}

/// Controls of a pipeline audit.
pub fn for_audit(id: &str) -> Vec<&'static str> {
    sorted(list(&loaded().mapping.audit, id))
}

/// Controls of a configuration check.
pub fn for_check(id: &str) -> Vec<&'static str> {
    sorted(list(&loaded().mapping.check, id))
}

/// Controls of a reported rule, audit or check.
pub fn for_meta(m: &RuleMeta) -> Vec<&'static str> {
    match m.kind {
        FindingKind::Secret => for_secret(&m.id, &m.family, m.lifetime),
        FindingKind::Pipeline => for_audit(&m.id),
        FindingKind::Config => for_check(&m.id),
    }
}

/// Sets each finding's `frameworks` from its rule's metadata.
pub fn annotate(findings: &mut [Finding], metas: &[RuleMeta]) {
    let by_id: HashMap<&str, &RuleMeta> = metas.iter().map(|m| (m.id.as_str(), m)).collect();
    for f in findings {
        f.frameworks = match by_id.get(f.rule_id.as_str()) {
            Some(m) => for_meta(m),
            None => match f.kind {
                FindingKind::Pipeline => for_audit(&f.rule_id),
                FindingKind::Config => for_check(&f.rule_id),
                FindingKind::Secret => for_secret(&f.rule_id, "generic", f.lifetime),
            },
        }
        .into_iter()
        .map(str::to_string)
        .collect();
    }
}

/// One line per problem with the mapping of the given rules, audits and checks: a
/// family, audit or check without an entry, an entry naming an unknown control, an
/// entry for something that does not exist, or a file that does not parse.
pub fn validate(metas: &[RuleMeta]) -> Vec<String> {
    let l = loaded();
    let mut problems = Vec::new();
    if let Some(e) = &l.error {
        problems.push(format!("src/frameworks/mapping.toml: {e}"));
        return problems;
    }
    let m = &l.mapping;
    let tables: [(&str, &BTreeMap<String, Vec<String>>); 6] = [
        ("secret", &m.secret),
        ("lifetime", &m.lifetime),
        ("family", &m.family),
        ("rule", &m.rule),
        ("audit", &m.audit),
        ("check", &m.check),
    ];
    for (table, entries) in tables {
        for (key, ids) in entries {
            for id in ids {
                if !l.order.contains_key(id) {
                    problems.push(format!("[{table}] {key}: unknown control `{id}`"));
                }
            }
        }
    }
    if list(&m.secret, "all").is_empty() {
        problems.push("[secret] all: missing".to_string());
    }
    for lt in ["long-lived", "short-lived", "unknown"] {
        if !m.lifetime.contains_key(lt) {
            problems.push(format!("[lifetime] {lt}: missing"));
        }
    }
    let has = |kind: FindingKind, id: &str| metas.iter().any(|x| x.kind == kind && x.id == id);
    for meta in metas {
        let missing = match meta.kind {
            FindingKind::Secret => (!m.family.contains_key(&meta.family))
                .then(|| format!("[family] {}: missing (rule `{}`)", meta.family, meta.id)),
            FindingKind::Pipeline => m
                .audit
                .get(&meta.id)
                .is_none_or(|v| v.is_empty())
                .then(|| format!("[audit] {}: missing", meta.id)),
            FindingKind::Config => m
                .check
                .get(&meta.id)
                .is_none_or(|v| v.is_empty())
                .then(|| format!("[check] {}: missing", meta.id)),
        };
        problems.extend(missing);
    }
    for (table, entries, kind) in [
        ("rule", &m.rule, FindingKind::Secret),
        ("audit", &m.audit, FindingKind::Pipeline),
        ("check", &m.check, FindingKind::Config),
    ] {
        for key in entries.keys() {
            if !has(kind, key) {
                problems.push(format!("[{table}] {key}: no such {}", kind.as_str()));
            }
        }
    }
    for fam in m.family.keys() {
        if !metas
            .iter()
            .any(|x| x.kind == FindingKind::Secret && &x.family == fam)
        {
            problems.push(format!("[family] {fam}: no rule has this family"));
        }
    }
    problems
}

/// Findings per control, in framework order: (framework, control id, title, count).
pub fn summarize(findings: &[Finding]) -> Vec<(&'static Framework, &'static str, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for f in findings {
        for id in &f.frameworks {
            *counts.entry(id.as_str()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for fw in frameworks() {
        for (id, _) in &fw.controls {
            out.push((
                fw,
                id.as_str(),
                counts.get(id.as_str()).copied().unwrap_or(0),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_audit_and_check_has_a_valid_mapping() {
        let rules = crate::rules::builtin_rules().unwrap_or_default();
        assert!(!rules.is_empty());
        let problems = validate(&crate::rule_metas(&rules));
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn frameworks_have_their_ten_or_more_controls() {
        let fws = frameworks();
        assert_eq!(fws.len(), 3);
        assert_eq!(fws[0].controls.len(), 10);
        assert_eq!(fws[0].controls[9].0, "NHI10");
        assert_eq!(fws[1].controls[3].0, "CICD-SEC-4");
        assert_eq!(
            control("PR.AA-05").map(|(f, _)| f.id.as_str()),
            Some("nist-csf-2.0")
        );
    }

    #[test]
    fn secret_rules_get_shared_family_and_lifetime_controls() {
        let ids = for_secret(
            "github-pat-classic",
            "source-hosting",
            Some(Lifetime::LongLived),
        );
        for want in [
            "NHI2",
            "NHI7",
            "NHI10",
            "CICD-SEC-2",
            "CICD-SEC-6",
            "PR.AA-01",
        ] {
            assert!(ids.contains(&want), "{want} in {ids:?}");
        }
        // Framework order: NHI before CICD before NIST.
        assert_eq!(ids.first(), Some(&"NHI2"));
        assert!(for_secret("x", "no-such-family", None).contains(&"NHI2"));
    }

    #[test]
    fn validation_catches_unknown_ids() {
        let meta = RuleMeta {
            id: "not-mapped".into(),
            name: String::new(),
            kind: FindingKind::Pipeline,
            severity: crate::finding::Severity::Low,
            confidence: crate::finding::Confidence::High,
            lifetime: None,
            family: "pipeline".into(),
            description: String::new(),
            remediation: String::new(),
            references: Vec::new(),
        };
        let problems = validate(&[meta]);
        assert!(problems.iter().any(|p| p == "[audit] not-mapped: missing"));
    }
}
