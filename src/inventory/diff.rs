//! `inventory --diff BASE_REF`: builds the inventory of the tree at a git revision (from
//! `git archive` into a temporary folder) and lists what the working tree adds: new
//! secrets, new write scopes, new long-lived credentials.

use super::model::{
    Exception, Inventory, InventoryDiff, NewConsumer, NewCredential, NewWrite, VERSION,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run git: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        anyhow::bail!("git {}: {}", args.join(" "), crate::walk::one_line(&err));
    }
    Ok(out.stdout)
}

/// The inventory of `root` (a folder inside a git work tree) as of revision `base`.
pub fn inventory_at(
    root: &Path,
    base: &str,
    settings: &super::Settings,
) -> anyhow::Result<Inventory> {
    let prefix = String::from_utf8_lossy(&git(root, &["rev-parse", "--show-prefix"])?)
        .trim()
        .to_string();
    git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base}^{{commit}}"),
        ],
    )
    .map_err(|_| anyhow::anyhow!("{base}: not a git revision of {}", root.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = TempDir(std::env::temp_dir().join(format!(
        "tokenward-inventory-{}-{nanos}",
        std::process::id()
    )));
    std::fs::create_dir_all(&tmp.0).map_err(|e| anyhow::anyhow!("{}: {e}", tmp.0.display()))?;
    let tar = tmp.0.join("base.tar");
    let tree = if prefix.is_empty() {
        base.to_string()
    } else {
        format!("{base}:{}", prefix.trim_end_matches('/'))
    };
    let tar_arg = format!("--output={}", tar.display());
    git(root, &["archive", "--format=tar", &tar_arg, &tree])?;
    let tree_dir = tmp.0.join("tree");
    std::fs::create_dir_all(&tree_dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", tree_dir.display()))?;
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&tree_dir)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run tar: {e}"))?;
    if !status.success() {
        anyhow::bail!("tar could not unpack the archive of {base}");
    }
    super::build(&tree_dir, settings)
}

/// What `current` adds compared with `old`.
pub fn compare(base: &str, old: &Inventory, current: &Inventory) -> InventoryDiff {
    let old_secrets: HashSet<&str> = old.secrets.iter().map(|s| s.name.as_str()).collect();
    let new_secrets: Vec<_> = current
        .secrets
        .iter()
        .filter(|s| !old_secrets.contains(s.name.as_str()))
        .cloned()
        .collect();

    let old_writes: HashSet<(&str, &str, &str)> = old
        .permissions
        .iter()
        .flat_map(|p| {
            p.writes
                .iter()
                .map(move |w| (p.workflow.as_str(), p.job.as_str(), w.as_str()))
        })
        .collect();
    let mut new_write_permissions = Vec::new();
    for p in &current.permissions {
        for w in &p.writes {
            if !old_writes.contains(&(p.workflow.as_str(), p.job.as_str(), w.as_str())) {
                new_write_permissions.push(NewWrite {
                    workflow: p.workflow.clone(),
                    job: p.job.clone(),
                    scope: w.clone(),
                    owner: p.owner.clone(),
                });
            }
        }
    }

    let mut new_long_lived_credentials = Vec::new();
    for s in &new_secrets {
        if s.lifetime.as_deref() == Some("long-lived") {
            let location = s
                .uses
                .first()
                .map(|u| format!("{}#{}", u.workflow, u.job))
                .unwrap_or_default();
            new_long_lived_credentials.push(NewCredential {
                kind: "secret".into(),
                name: s.name.clone(),
                location,
                owner: s.owner.clone(),
            });
        }
    }
    let old_auths: HashSet<(&str, &str, &str, &str)> = old
        .authentications
        .iter()
        .map(|a| {
            (
                a.workflow.as_str(),
                a.job.as_str(),
                a.provider.as_str(),
                a.method.as_str(),
            )
        })
        .collect();
    for a in &current.authentications {
        let key = (
            a.workflow.as_str(),
            a.job.as_str(),
            a.provider.as_str(),
            a.method.as_str(),
        );
        if a.lifetime == "long-lived" && !old_auths.contains(&key) {
            new_long_lived_credentials.push(NewCredential {
                kind: "authentication".into(),
                name: format!("{} {}", a.provider, a.method),
                location: format!("{}#{}", a.workflow, a.job),
                owner: a.owner.clone(),
            });
        }
    }
    let old_hard: HashSet<&str> = old
        .hardcoded_credentials
        .iter()
        .map(|h| h.fingerprint.as_str())
        .collect();
    for h in &current.hardcoded_credentials {
        if h.lifetime == "long-lived" && !old_hard.contains(h.fingerprint.as_str()) {
            new_long_lived_credentials.push(NewCredential {
                kind: "hardcoded".into(),
                name: h.rule.clone(),
                location: format!("{}:{}", h.path, h.line),
                owner: h.owner.clone(),
            });
        }
    }
    InventoryDiff {
        version: VERSION,
        base: base.to_string(),
        new_secrets,
        new_write_permissions,
        new_long_lived_credentials,
        new_third_party_consumers: new_consumers(old, current),
        new_exceptions: new_exceptions(old, current),
        removed: removed(old, current),
        failing: Vec::new(),
    }
}

/// An action or workflow without its ref (`owner/repo/path`), so a version bump is the
/// same consumer.
fn without_ref(receiver: &str) -> &str {
    receiver.rsplit_once('@').map_or(receiver, |(n, _)| n)
}

fn trust_rank(trust: &str) -> u8 {
    match trust {
        "third-party-unpinned" => 2,
        "third-party-pinned" => 1,
        _ => 0,
    }
}

/// Third parties that receive a secret now and did not at the base, or now less
/// pinned than they were.
fn new_consumers(old: &Inventory, current: &Inventory) -> Vec<NewConsumer> {
    let mut before: HashMap<(&str, &str), u8> = HashMap::new();
    for s in &old.secrets {
        for u in &s.uses {
            for c in &u.consumers {
                let r = before
                    .entry((s.name.as_str(), without_ref(&c.receiver)))
                    .or_default();
                *r = (*r).max(trust_rank(&c.trust));
            }
        }
    }
    let mut out: Vec<NewConsumer> = Vec::new();
    for s in &current.secrets {
        for u in &s.uses {
            for c in &u.consumers {
                let rank = trust_rank(&c.trust);
                let was = before.get(&(s.name.as_str(), without_ref(&c.receiver)));
                if rank > 0 && was.is_none_or(|w| rank > *w) {
                    out.push(NewConsumer {
                        secret: s.name.clone(),
                        receiver: c.receiver.clone(),
                        trust: c.trust.clone(),
                        location: format!("{}:{}", u.workflow, c.line),
                        owner: u.owner.clone(),
                    });
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn exception_key(e: &Exception) -> (&Option<String>, &[String], &Option<String>, &str) {
    (&e.rule, &e.paths, &e.fingerprint, &e.reason)
}

/// Exceptions present now and not at the base (matched by what they cover and why,
/// not by line).
fn new_exceptions(old: &Inventory, current: &Inventory) -> Vec<Exception> {
    let before: HashSet<_> = old.exceptions.iter().map(exception_key).collect();
    current
        .exceptions
        .iter()
        .filter(|e| !before.contains(&exception_key(e)))
        .cloned()
        .collect()
}

/// Identities at the base that the change removes: secret names, logins and
/// hard-coded credentials.
fn removed(old: &Inventory, current: &Inventory) -> usize {
    let secrets: HashSet<&str> = current.secrets.iter().map(|s| s.name.as_str()).collect();
    let auth_key = |a: &super::model::Authentication| {
        (
            a.workflow.clone(),
            a.job.clone(),
            a.provider.clone(),
            a.method.clone(),
        )
    };
    let auths: HashSet<_> = current.authentications.iter().map(auth_key).collect();
    let hard: HashSet<&str> = current
        .hardcoded_credentials
        .iter()
        .map(|h| h.fingerprint.as_str())
        .collect();
    old.secrets
        .iter()
        .filter(|s| !secrets.contains(s.name.as_str()))
        .count()
        + old
            .authentications
            .iter()
            .filter(|a| !auths.contains(&auth_key(a)))
            .count()
        + old
            .hardcoded_credentials
            .iter()
            .filter(|h| !hard.contains(h.fingerprint.as_str()))
            .count()
}
