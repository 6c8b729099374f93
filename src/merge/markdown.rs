//! The fleet digest as Markdown: totals, the most exposed repositories, reused secret
//! values, shared secret names and shared third-party actions. Every name from the
//! inputs goes through [`crate::escape::for_markdown`].

use super::digest::{Digest, RepoDigest};
use crate::escape::for_markdown as md;
use std::fmt::Write as _;

/// Most names listed in one table cell before "and N more".
const MAX_NAMES: usize = 10;

fn names(list: &[String]) -> String {
    let mut s: Vec<String> = list.iter().take(MAX_NAMES).map(|n| md(n)).collect();
    if list.len() > MAX_NAMES {
        s.push(format!("and {} more", list.len() - MAX_NAMES));
    }
    s.join(", ")
}

fn count(r: &RepoDigest, sev: &str) -> usize {
    r.by_severity.get(sev).copied().unwrap_or(0)
}

/// Renders the digest; `top` bounds the repository table (the JSON lists them all).
pub fn render(d: &Digest, top: usize) -> String {
    let mut o = String::new();
    let t = &d.totals;
    let _ = writeln!(o, "# tokenward fleet digest\n");
    let _ = writeln!(
        o,
        "{} repositories ({} with findings, {} with an inventory); {} findings; {} long-lived hard-coded credentials.\n",
        t.repositories,
        t.repositories_with_findings,
        t.repositories_with_inventory,
        t.findings,
        t.long_lived_credentials
    );
    let _ = writeln!(o, "| severity | findings |\n|---|---:|");
    for sev in ["critical", "high", "medium", "low", "info"] {
        let _ = writeln!(o, "| {sev} | {} |", t.by_severity.get(sev).unwrap_or(&0));
    }
    let _ = writeln!(o);
    if t.value_hashes == 0 {
        let _ = writeln!(
            o,
            "Secret values were **not** compared across repositories: no finding carried a `value_hash` (no secret was found, or the scans ran without `TOKENWARD_FLEET_KEY`; set it, with one key for every repository).\n"
        );
    }

    let _ = writeln!(o, "## Most exposed repositories\n");
    let _ = writeln!(o, "Exposure: {}.\n", d.exposure_formula);
    let _ = writeln!(
        o,
        "| # | repository | exposure | findings | critical | high | medium | low | info | secret | pipeline | long-lived | reused values | untrusted-reachable secrets | static logins | owners |"
    );
    let _ = writeln!(
        o,
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for (i, r) in d.repositories.iter().take(top).enumerate() {
        let (untrusted, static_logins) =
            r.identities
                .as_ref()
                .map_or(("n/a".to_string(), "n/a".to_string()), |id| {
                    (
                        id.secrets_reachable_from_untrusted.len().to_string(),
                        id.static_logins.to_string(),
                    )
                });
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            md(&r.name),
            r.exposure,
            r.findings,
            count(r, "critical"),
            count(r, "high"),
            count(r, "medium"),
            count(r, "low"),
            count(r, "info"),
            r.by_kind.get("secret").unwrap_or(&0),
            r.by_kind.get("pipeline").unwrap_or(&0),
            r.long_lived_credentials,
            r.reused_values,
            untrusted,
            static_logins,
            names(&r.owners),
        );
    }
    if d.repositories.len() > top {
        let _ = writeln!(
            o,
            "\n{} more repositories in `digest.json`.",
            d.repositories.len() - top
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Secret values reused across repositories\n");
    if d.reused_values.is_empty() {
        let _ = writeln!(o, "None found.\n");
    } else {
        let _ = writeln!(
            o,
            "The same credential in several repositories: one leak exposes them all, and revoking it breaks them all. Values are shown by keyed hash only.\n"
        );
        let _ = writeln!(
            o,
            "| value hash | repositories | count | rules | findings |\n|---|---|---:|---|---:|"
        );
        for v in &d.reused_values {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} | {} |",
                md(&v.value_hash),
                names(&v.repositories),
                v.repositories.len(),
                names(&v.rules),
                v.occurrences
            );
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(
        o,
        "## Secret names shared by {} or more repositories\n",
        d.min_shared
    );
    if d.shared_secret_names.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(o, "| secret | count | repositories |\n|---|---:|---|");
        for s in &d.shared_secret_names {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                md(&s.name),
                s.repositories.len(),
                names(&s.repositories)
            );
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(
        o,
        "## Third-party actions used by {} or more repositories\n",
        d.min_shared
    );
    if d.shared_actions.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(
            o,
            "| action | repositories | unpinned in | refs |\n|---|---:|---:|---|"
        );
        for a in &d.shared_actions {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                md(&a.name),
                a.repositories.len(),
                a.unpinned_in.len(),
                names(&a.references)
            );
        }
        let _ = writeln!(o);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::digest::Fleet;
    use serde_json::json;

    #[test]
    fn names_from_inputs_cannot_break_the_tables() {
        let mut f = Fleet::default();
        let finding = json!({"rule_id": "r", "kind": "secret", "severity": "high",
            "path": "a", "fingerprint": "1", "owner": "@x|y",
            "span": {"start_line": 1, "start_column": 1}});
        f.add_json(
            "evil|repo\n::error::x",
            finding.as_object().expect("object"),
        );
        let md = render(&f.digest(2), 10);
        let row = md
            .lines()
            .find(|l| l.starts_with("| 1 |"))
            .expect("repository row");
        assert!(row.contains("evil\\|repo\\n::error::x"), "{row}");
        assert!(row.contains("@x\\|y"), "{row}");
        assert!(!md.lines().any(|l| l.starts_with("::")));
    }
}
