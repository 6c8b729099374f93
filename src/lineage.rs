//! Credential lineage (OWASP NHI7, long-lived secrets) from a history scan: for each
//! hard-coded credential, when it was first committed, how old it is, whether HEAD
//! still holds it, whether it was rotated in place, and how many commits carry it.
//!
//! A credential is a rule and a value, wherever it sits. Definitions:
//! - `first_commit`/`first_date`: the oldest scanned commit that added the value at any
//!   path (added as in [`crate::history`]: in a blob the commit introduces, in none it
//!   replaces), with its author date.
//! - `age_days`: whole days from that author date to the time of the scan.
//! - `at_head`: some file of the repository's `HEAD` commit holds the value.
//! - `rotated`: a later commit replaced the value in place: in a file that held it, the
//!   value is gone and a different value of the same rule is new (wherever the value
//!   had moved by then); `rotated_in` names the first such commit.
//! - `commits`: the scanned commits whose tree holds the value at some path. A commit's
//!   tree is its first parent's plus its first-parent diff, so this is exact for every
//!   commit whose first-parent chain stays in the scanned set (all of them for a whole
//!   history); for a range, what the commits before it held is not known and not
//!   counted.

use crate::finding::Finding;
use crate::history::{History, Key, NONE};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The lineage of one credential, attached to its findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// The oldest commit that added the value (any path).
    pub first_commit: String,
    /// Its author date, ISO 8601.
    pub first_date: String,
    /// Whole days from `first_date` to the scan.
    pub age_days: u64,
    /// Whether a file at `HEAD` still holds the value.
    pub at_head: bool,
    /// Whether a later commit replaced it, in a file that held it, by another value of
    /// the same rule.
    pub rotated: bool,
    /// The commit that first did so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotated_in: Option<String>,
    /// Scanned commits whose tree holds the value.
    pub commits: u64,
}

impl Lineage {
    /// One line for text reports.
    pub fn line(&self) -> String {
        format!(
            "lineage: first committed {} ({}, {} days ago); {}; {}; {}",
            short(&self.first_commit),
            self.first_date,
            self.age_days,
            crate::term::plural(self.commits, "commit carries it", "commits carry it"),
            if self.at_head {
                "still at HEAD"
            } else {
                "gone from HEAD"
            },
            match &self.rotated_in {
                Some(c) => format!("rotated in place in {}", short(c)),
                None => "not rotated in place".to_string(),
            }
        )
    }
}

/// Fills the lineage of a history scan's findings (reported and inline-suppressed),
/// reading `HEAD`'s tree in `dir`.
pub fn annotate_result(
    dir: &std::path::Path,
    h: &History,
    result: &mut crate::outcome::ScanResult,
) {
    if result.findings.is_empty() && result.suppressed_inline.is_empty() {
        return;
    }
    let head = crate::git::head_tree(dir);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut all: Vec<&mut Finding> = result
        .findings
        .iter_mut()
        .chain(result.suppressed_inline.iter_mut())
        .collect();
    annotate(h, &head, now, &mut all);
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Fills `lineage` on every finding of `findings` (reported and suppressed) from the
/// scanned history; `head` lists the (path, blob id) pairs of `HEAD`'s tree, `now` is
/// the scan time in seconds since the epoch.
pub fn annotate(h: &History, head: &[(String, String)], now: i64, findings: &mut [&mut Finding]) {
    let mut index: HashMap<Key, u32> = HashMap::new();
    for f in findings.iter() {
        if let Some(s) = &f.secret {
            let n = index.len() as u32;
            index.entry((f.rule_id.clone(), s.clone())).or_insert(n);
        }
    }
    if index.is_empty() {
        return;
    }
    let keys_of = |blob: u32, path: u32| -> Vec<u32> {
        if blob == NONE {
            return Vec::new();
        }
        let mut v: Vec<u32> = h
            .keys(blob, path)
            .filter_map(|k| index.get(&k).copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let n = index.len();
    let mut rules: Vec<&str> = vec![""; n];
    for ((rule, _), &k) in &index {
        rules[k as usize] = rule.as_str();
    }
    let mut first: Vec<Option<usize>> = vec![None; n];
    // Key -> the first commit that replaced it in a file by another value.
    let mut rotated: HashMap<u32, usize> = HashMap::new();
    let by_id: HashMap<&str, usize> = h
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.info.id.as_str(), i))
        .collect();
    type State = Arc<HashMap<u32, i64>>;
    let empty: State = Arc::default();
    let mut state: Vec<Option<State>> = vec![None; h.commits.len()];
    // Oldest first: parents before children (`--topo-order` lists children first).
    for (ci, c) in h.commits.iter().enumerate().rev() {
        let base = c
            .first_parent
            .as_deref()
            .and_then(|p| by_id.get(p))
            .and_then(|&p| state[p].clone())
            .unwrap_or_else(|| Arc::clone(&empty));
        let changes = &h.changes[c.changes.clone()];
        let mut delta: HashMap<u32, i64> = HashMap::new();
        let mut removed: HashSet<u32> = HashSet::new();
        let mut added: Vec<(u32, u32)> = Vec::new();
        for ch in changes {
            let old = keys_of(ch.old, ch.path);
            let new = keys_of(ch.new, ch.path);
            for &k in &old {
                *delta.entry(k).or_default() -= 1;
                removed.insert(k);
            }
            for &k in &new {
                *delta.entry(k).or_default() += 1;
                added.push((k, ch.path));
            }
            // Rotated in place: an old value gone from this file, another value of the
            // same rule now in it.
            for &k in old.iter().filter(|k| !new.contains(k)) {
                let rule = rules[k as usize];
                let replaced = new
                    .iter()
                    .any(|&j| !old.contains(&j) && rules[j as usize] == rule);
                if replaced {
                    rotated.entry(k).or_insert(ci);
                }
            }
        }
        for (k, _) in added {
            if !removed.contains(&k) && first[k as usize].is_none() {
                first[k as usize] = Some(ci);
            }
        }
        delta.retain(|_, d| *d != 0);
        state[ci] = Some(if delta.is_empty() {
            base
        } else {
            let mut next = (*base).clone();
            for (k, d) in delta {
                let v = next.entry(k).or_default();
                *v += d;
                if *v <= 0 {
                    next.remove(&k);
                }
            }
            Arc::new(next)
        });
    }
    // Commits per distinct state, then keys per state: linear in commits plus states.
    let mut per_state: HashMap<*const HashMap<u32, i64>, (State, u64)> = HashMap::new();
    for s in state.into_iter().flatten() {
        per_state
            .entry(Arc::as_ptr(&s))
            .or_insert_with(|| (Arc::clone(&s), 0))
            .1 += 1;
    }
    let mut carrying = vec![0u64; n];
    for (s, count) in per_state.values() {
        for (&k, &v) in s.iter() {
            if v > 0 {
                carrying[k as usize] += count;
            }
        }
    }
    // HEAD: the keys of its blobs, wherever the history scan read them.
    let blob_ids: HashMap<&str, u32> = h
        .blobs
        .iter()
        .enumerate()
        .map(|(i, b)| (&**b, i as u32))
        .collect();
    let path_ids: HashMap<&str, u32> = h
        .paths
        .iter()
        .enumerate()
        .map(|(i, p)| (&**p, i as u32))
        .collect();
    let mut by_blob: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(b, p) in h.found.keys() {
        by_blob.entry(b).or_default().push(p);
    }
    let mut at_head = vec![false; n];
    for (path, blob) in head {
        let Some(&b) = blob_ids.get(blob.as_str()) else {
            continue;
        };
        let paths: Vec<u32> = match path_ids.get(path.as_str()) {
            Some(&p) if h.found.contains_key(&(b, p)) => vec![p],
            _ => by_blob.get(&b).cloned().unwrap_or_default(),
        };
        for p in paths {
            for k in keys_of(b, p) {
                at_head[k as usize] = true;
            }
        }
    }
    for f in findings.iter_mut() {
        let Some(s) = &f.secret else { continue };
        let Some(&k) = index.get(&(f.rule_id.clone(), s.clone())) else {
            continue;
        };
        let origin = first[k as usize].map(|i| &h.commits[i].info);
        let Some(origin) = origin.or(f
            .commit
            .as_ref()
            .and_then(|c| by_id.get(c.id.as_str()).map(|&i| &h.commits[i].info)))
        else {
            continue;
        };
        let rotated_in = rotated.get(&k).map(|&i| h.commits[i].info.id.clone());
        let age = epoch_seconds(&origin.date).map_or(0, |t| (now - t).max(0) / 86_400);
        f.lineage = Some(Lineage {
            first_commit: origin.id.clone(),
            first_date: origin.date.clone(),
            age_days: age as u64,
            at_head: at_head[k as usize],
            rotated: rotated_in.is_some(),
            rotated_in,
            commits: carrying[k as usize],
        });
    }
}

/// Seconds since the epoch of an ISO 8601 date-time with offset
/// (`2024-01-02T03:04:05+01:00`, `...Z`), as `git log --format=%aI` writes it.
pub fn epoch_seconds(iso: &str) -> Option<i64> {
    let num = |s: &str| -> Option<i64> {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = (
        num(iso.get(0..4)?)?,
        num(iso.get(5..7)?)?,
        num(iso.get(8..10)?)?,
    );
    let (hh, mm, ss) = (
        num(iso.get(11..13)?)?,
        num(iso.get(14..16)?)?,
        num(iso.get(17..19)?)?,
    );
    let offset = match iso.get(19..)? {
        "Z" | "" => 0,
        o => {
            let sign = match o.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            sign * (num(o.get(1..3)?)? * 3600 + num(o.get(4..6)?)? * 60)
        }
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_become_epoch_seconds() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_seconds("1970-01-02T00:00:00+00:00"), Some(86_400));
        assert_eq!(
            epoch_seconds("2024-03-01T01:00:00+01:00"),
            Some(1_709_251_200)
        );
        assert_eq!(
            epoch_seconds("2000-02-29T12:00:00-02:30"),
            Some(951_834_600)
        );
        assert_eq!(epoch_seconds("garbage"), None);
    }
}
