//! Secret reuse: the same credential value found in several places is one finding with
//! related locations ("rotate once: it is in 3 files"), raised one severity level when
//! the places belong to different environments (production, staging, development,
//! test, inferred from path words). Values are compared by a hash keyed with a random
//! per-run key, so no value is kept or printed and the grouping key is worthless
//! outside the run.

use crate::audit::AuditDoc;
use crate::finding::{
    Confidence, Finding, FindingBuilder, FindingKind, Fingerprint, RelatedLocation, Severity,
};
use crate::pipeline::catalog::environment_of;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Id of the reuse finding.
pub const SECRET_REUSE: &str = "secret-reuse";

/// Documentation of `secret-reuse`.
pub const DOC: AuditDoc = AuditDoc {
    id: SECRET_REUSE,
    name: "The same credential in several places",
    severity: Severity::High,
    confidence: Confidence::High,
    description: "One credential value found in more than one place: the same key pasted \
into several files, or the same token used by production and staging. Each copy is a leak \
of the same identity, so they are one finding whose related locations list every copy: \
rotating the credential fixes all of them, and missing one copy keeps the old value alive. \
When the copies belong to different environments (inferred from words in their paths and \
file names: `prod`, `staging`, `dev`, `test`, ...) one identity crosses an environment \
boundary, and a leak of the least protected environment opens the most protected one; the \
severity is then raised one level.\n\nExample:\n\n```text\ndeploy/prod/app.env:3     \
API_KEY=sk_live_...\ndeploy/staging/app.env:3  API_KEY=sk_live_...   (same value)\n```",
    remediation: "Rotate the credential once, then give each environment (and each service) \
its own credential from a secret manager; remove every copy listed under related locations.",
};

/// The family the reuse finding is mapped under (see `src/frameworks/mapping.toml`).
pub const FAMILY: &str = "reuse";

fn run_key() -> [u8; 32] {
    let mut h = Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.update(now.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    // Address-space randomisation adds a little more.
    let local = 0u8;
    h.update((&local as *const u8 as usize).to_le_bytes());
    h.finalize().into()
}

/// HMAC-SHA-256 of `value` under `key` (RFC 2104).
fn keyed_hash(key: &[u8; 32], value: &str) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(value.as_bytes())
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn raise(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

/// Replaces every group of secret findings with the same value in two or more places
/// by one `secret-reuse` finding at the first place, with the others as related
/// locations.
pub fn group(findings: &mut Vec<Finding>) {
    let mut replace: Vec<(Vec<usize>, Finding)> = Vec::new();
    for idx in same_value_groups(findings) {
        if let Some(f) = reuse_finding(&idx.iter().map(|&i| &findings[i]).collect::<Vec<_>>()) {
            replace.push((idx, f));
        }
    }
    if replace.is_empty() {
        return;
    }
    let mut drop = vec![false; findings.len()];
    for (idx, _) in &replace {
        for &i in idx {
            drop[i] = true;
        }
    }
    let mut i = 0;
    findings.retain(|_| {
        let keep = !drop[i];
        i += 1;
        keep
    });
    findings.extend(replace.into_iter().map(|(_, f)| f));
}

/// Indexes of the secret findings that share one value with at least one finding at
/// another place, one group per value, in finding order.
pub fn same_value_groups(findings: &[Finding]) -> Vec<Vec<usize>> {
    let key = run_key();
    let mut groups: BTreeMap<[u8; 32], Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.kind != FindingKind::Secret {
            continue;
        }
        if let Some(s) = &f.secret {
            groups.entry(keyed_hash(&key, s)).or_default().push(i);
        }
    }
    let mut out: Vec<Vec<usize>> = groups
        .into_values()
        .filter(|idx| {
            let places: BTreeSet<(&str, usize)> = idx
                .iter()
                .map(|&i| (findings[i].path.as_str(), findings[i].span.start_line))
                .collect();
            places.len() > 1
        })
        .collect();
    out.sort();
    out
}

/// The environments of a group of places, from their paths.
pub fn environments<'a>(paths: impl Iterator<Item = &'a str>) -> BTreeSet<&'static str> {
    paths.filter_map(environment_of).collect()
}

fn reuse_finding(group: &[&Finding]) -> Option<Finding> {
    let first = *group.first()?;
    let envs: BTreeSet<&str> = group
        .iter()
        .filter_map(|f| environment_of(&f.path))
        .collect();
    let files: BTreeSet<&str> = group.iter().map(|f| f.path.as_str()).collect();
    let base = group
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(DOC.severity);
    let severity = if envs.len() > 1 { raise(base) } else { base };
    let mut message = format!(
        "The same `{}` credential is in {} places ({} file{}): rotate it once and remove every copy.",
        first.rule_id,
        group.len(),
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    if envs.len() > 1 {
        let list: Vec<&str> = envs.iter().copied().collect();
        message.push_str(&format!(
            " It crosses environments ({}): give each its own credential.",
            list.join(", ")
        ));
    }
    let mut b = FindingBuilder::new(SECRET_REUSE, FindingKind::Secret)
        .severity(severity)
        .confidence(
            group
                .iter()
                .map(|f| f.confidence)
                .max()
                .unwrap_or(first.confidence),
        )
        .message(message)
        .location(&first.path, first.span)
        .snippet(first.snippet.clone())
        .remediation(DOC.remediation)
        // Replaced below; the group's fingerprint derives from its first member's.
        .fingerprint_key(String::new());
    if let Some(l) = first.lifetime {
        b = b.lifetime(l);
    }
    if let Some(s) = &first.secret {
        b = b.secret(s.clone());
    }
    let mut f = b.build().ok()?;
    f.owner = first.owner.clone();
    f.related = group[1..]
        .iter()
        .map(|g| RelatedLocation {
            path: g.path.clone(),
            span: g.span,
            message: match environment_of(&g.path) {
                Some(e) => format!("same value ({e}), found by {}", g.rule_id),
                None => format!("same value, found by {}", g.rule_id),
            },
        })
        .collect();
    // The fingerprint names the group by its first member, which is stable.
    f.fingerprint = Fingerprint::derived(SECRET_REUSE, &first.path, &first.fingerprint);
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    fn secret(path: &str, value: &str) -> Finding {
        let span = Span {
            start_line: 3,
            start_column: 1,
            end_line: 3,
            end_column: 10,
        };
        FindingBuilder::new("some-key", FindingKind::Secret)
            .severity(Severity::High)
            .message("m")
            .location(path, span)
            .fingerprint_key(value)
            .secret(value)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn one_value_in_three_files_is_one_finding() {
        let mut f = vec![
            secret("deploy/prod/a.env", "v1"),
            secret("deploy/staging/a.env", "v1"),
            secret("deploy/prod/b.env", "v1"),
            secret("other.env", "v2"),
        ];
        group(&mut f);
        assert_eq!(f.len(), 2);
        let r = f.iter().find(|x| x.rule_id == SECRET_REUSE);
        let r = r.unwrap_or_else(|| panic!("no reuse finding"));
        assert_eq!(r.related.len(), 2);
        assert_eq!(r.severity, Severity::Critical);
        assert!(r.message.contains("production, staging"), "{}", r.message);
    }

    #[test]
    fn keyed_hash_differs_by_key_and_value() {
        let a = keyed_hash(&[1; 32], "x");
        assert_ne!(a, keyed_hash(&[2; 32], "x"));
        assert_ne!(a, keyed_hash(&[1; 32], "y"));
    }
}
