//! The ranked register: every identity of the inventory scored as lifetime x privilege
//! x exposure (each 1 to 3), highest risk first, with the reason for each factor.

use super::model::{Inventory, RegisterEntry, SecretEntry};

/// Purposes that let a secret act on production systems or publish artefacts.
const HIGH_PRIVILEGE_PURPOSES: &[&str] = &["cloud-login", "registry-publish", "deploy"];

fn secret_entry(s: &SecretEntry) -> Option<RegisterEntry> {
    if s.kind == "identifier" {
        return None;
    }
    let (lifetime, life_why) = (3, "long-lived stored secret");
    let high = s
        .purposes
        .iter()
        .find(|p| HIGH_PRIVILEGE_PURPOSES.iter().any(|h| p.starts_with(h)));
    let third_party = s
        .uses
        .iter()
        .flat_map(|u| &u.consumers)
        .any(|c| c.trust.starts_with("third-party"));
    let (privilege, priv_why) = if s.name == "*" {
        (3, "every secret (secrets: inherit)".to_string())
    } else if crate::pipeline::catalog::is_read_only_name(&s.name) {
        (1, "read-only by its name".to_string())
    } else if let Some(p) = high {
        (3, format!("used for {p}"))
    } else if s.purposes.iter().any(|p| p == "notification") && !third_party {
        (1, "notification only".to_string())
    } else {
        (2, "scope unknown".to_string())
    };
    // The use that sets the exposure is the location shown.
    let untrusted = s
        .uses
        .iter()
        .find_map(|u| u.untrusted_triggers.first().map(|t| (u, t)));
    let unpinned = s.uses.iter().find_map(|u| {
        u.consumers
            .iter()
            .find(|c| c.trust == "third-party-unpinned")
            .map(|c| (u, c))
    });
    let mut envs: Vec<&str> = s
        .uses
        .iter()
        .filter_map(|u| u.environment.as_deref())
        .collect();
    envs.sort_unstable();
    envs.dedup();
    let (exposure, exp_why, at) = if let Some((u, t)) = untrusted {
        (3, format!("reached by {t}"), Some(u))
    } else if let Some((u, c)) = unpinned {
        (3, format!("handed to unpinned {}", c.receiver), Some(u))
    } else if envs.len() > 1 {
        (
            3,
            format!("shared by environments {}", envs.join(", ")),
            None,
        )
    } else if third_party {
        (2, "handed to a pinned third party".to_string(), None)
    } else {
        (1, "trusted events, own code".to_string(), None)
    };
    let first = at.or(s.uses.first());
    Some(RegisterEntry {
        risk: lifetime * privilege * exposure,
        kind: "secret".into(),
        name: s.name.clone(),
        location: first.map_or(String::new(), |u| format!("{}:{}", u.workflow, u.line)),
        lifetime,
        privilege,
        exposure,
        why: format!("{life_why} x {priv_why} x {exp_why}"),
        owner: s.owner.clone(),
    })
}

/// Ranks every identity of `inv` (its `register` field is ignored).
pub fn rank(inv: &Inventory) -> Vec<RegisterEntry> {
    let mut out: Vec<RegisterEntry> = inv.secrets.iter().filter_map(secret_entry).collect();
    // Static logins are ranked through their secrets; OIDC logins are identities of
    // their own.
    for a in inv.authentications.iter().filter(|a| a.method == "oidc") {
        let untrusted = inv.secrets.iter().flat_map(|s| &s.uses).any(|u| {
            u.workflow == a.workflow && u.job == a.job && !u.untrusted_triggers.is_empty()
        });
        let (exposure, exp_why) = if untrusted {
            (3, "job reached by untrusted triggers")
        } else {
            (1, "trusted events")
        };
        out.push(RegisterEntry {
            risk: exposure * 3,
            kind: "authentication".into(),
            name: format!("{} {}", a.provider, a.method),
            location: format!("{}:{}", a.workflow, a.line),
            lifetime: 1,
            privilege: 3,
            exposure,
            why: format!("short-lived (OIDC) x {} login x {exp_why}", a.provider),
            owner: a.owner.clone(),
        });
    }
    let mut ranked_places: std::collections::HashSet<String> = Default::default();
    for h in &inv.hardcoded_credentials {
        // One value in several places is one identity, ranked at its first place.
        let here = format!("{}:{}", h.path, h.line);
        if ranked_places.contains(&here) {
            continue;
        }
        ranked_places.extend(h.same_value_at.iter().cloned());
        let (lifetime, life_why) = match h.lifetime.as_str() {
            "long-lived" => (3, "long-lived"),
            "short-lived" => (1, "short-lived"),
            _ => (2, "lifetime unknown"),
        };
        out.push(RegisterEntry {
            risk: lifetime * 2 * 3,
            kind: "hardcoded".into(),
            name: h.rule.clone(),
            location: format!("{}:{}", h.path, h.line),
            lifetime,
            privilege: 2,
            exposure: 3,
            why: if h.same_value_at.is_empty() {
                format!(
                    "{life_why} x scope unknown x committed: readable by everyone who can read the repository, and in its history"
                )
            } else {
                let envs = crate::reuse::environments(
                    std::iter::once(h.path.as_str())
                        .chain(h.same_value_at.iter().map(|p| p.rsplit_once(':').map_or(p.as_str(), |(f, _)| f))),
                );
                let across = if envs.len() > 1 {
                    format!(", across {}", envs.into_iter().collect::<Vec<_>>().join(", "))
                } else {
                    String::new()
                };
                format!(
                    "{life_why} x scope unknown x committed in {} places{across}",
                    h.same_value_at.len() + 1
                )
            },
            owner: h.owner.clone(),
        });
    }
    for p in &inv.permissions {
        let (privilege, priv_why) = if p.writes.iter().any(|w| w == "*") {
            (3, "write-all".to_string())
        } else if p.permissions.source == "default" {
            (2, "repository default permissions".to_string())
        } else if !p.writes.is_empty() {
            (2, format!("writes {}", p.writes.join(", ")))
        } else {
            (1, "read only".to_string())
        };
        let untrusted = inv.secrets.iter().flat_map(|s| &s.uses).any(|u| {
            u.workflow == p.workflow && u.job == p.job && !u.untrusted_triggers.is_empty()
        });
        let (exposure, exp_why) = if untrusted {
            (3, "reached by untrusted triggers")
        } else {
            (1, "trusted events")
        };
        out.push(RegisterEntry {
            risk: privilege * exposure,
            kind: "token".into(),
            name: format!("{}#{}", p.workflow, p.job),
            location: format!("{}:{}", p.workflow, p.line),
            lifetime: 1,
            privilege,
            exposure,
            why: format!("short-lived GITHUB_TOKEN x {priv_why} x {exp_why}"),
            owner: p.owner.clone(),
        });
    }
    out.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then_with(|| (&a.kind, &a.name, &a.location).cmp(&(&b.kind, &b.name, &b.location)))
    });
    out
}
