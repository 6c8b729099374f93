//! The first detection stage: one ASCII-case-insensitive Aho-Corasick automaton over
//! every rule keyword, run once per file, chooses the candidate rules and where their
//! keywords occur.

use crate::rules::Rule;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::noncontiguous;
use aho_corasick::{Anchored, MatchKind, PatternID, dfa};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes scanned before the full DFA pays for its construction (a few milliseconds
/// for hundreds of keywords): a pre-commit run over a handful of files never builds it.
const DFA_AFTER_BYTES: u64 = 4 << 20;

/// Independent automaton walks run in lockstep over one file. Walking a DFA costs one
/// table load per byte that depends on the previous one, so a single walk is bound by
/// load latency; four independent walks over four parts of the file keep the CPU's
/// load units busy (about 2.5x the single-walk throughput here).
const LANES: usize = 4;
const _: () = assert!(LANES == 4, "the lockstep loop names four lanes");

/// Files shorter than this are walked in one lane (splitting costs more than it saves).
const MIN_LANED_LEN: usize = 1024;

/// Builds the DFA: every keyword's rule candidates come from overlapping matches, so
/// the match kind is `Standard`; no prefilter (hundreds of keywords defeat it) and no
/// anchored start state (never used).
fn build_dfa(keywords: &[String]) -> Option<dfa::DFA> {
    dfa::Builder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        .start_kind(aho_corasick::StartKind::Unanchored)
        .build(keywords)
        .ok()
}

/// The keyword automaton and the map from keyword to the rules that use it.
#[derive(Debug)]
pub struct Prefilter {
    /// Cheap to build, slower to search: used until enough bytes were scanned.
    nfa: noncontiguous::NFA,
    /// Several times faster for overlapping search; built once, on demand.
    dfa: OnceLock<Option<dfa::DFA>>,
    keywords: Vec<String>,
    scanned: AtomicU64,
    rules_by_keyword: Vec<Vec<usize>>,
}

/// A keyword occurrence for one rule: the rule's index and the byte range of the hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Byte offset where the keyword starts.
    pub start: usize,
    /// Byte offset just past the keyword.
    pub end: usize,
}

impl Prefilter {
    /// Builds the automaton over all rules' keywords.
    pub fn new(rules: &[Rule]) -> Result<Prefilter, String> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut rules_by_keyword: Vec<Vec<usize>> = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for kw in &rule.spec.keywords {
                let kw = kw.to_ascii_lowercase();
                let slot = *index.entry(kw.clone()).or_insert_with(|| {
                    keywords.push(kw);
                    rules_by_keyword.push(Vec::new());
                    rules_by_keyword.len() - 1
                });
                if !rules_by_keyword[slot].contains(&ri) {
                    rules_by_keyword[slot].push(ri);
                }
            }
        }
        let nfa = noncontiguous::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&keywords)
            .map_err(|e| format!("cannot build keyword automaton: {e}"))?;
        Ok(Prefilter {
            nfa,
            dfa: OnceLock::new(),
            keywords,
            scanned: AtomicU64::new(0),
            rules_by_keyword,
        })
    }

    /// The DFA, once enough bytes were scanned to pay for building it.
    fn dfa_for(&self, len: usize) -> Option<&dfa::DFA> {
        if let Some(dfa) = self.dfa.get() {
            return dfa.as_ref();
        }
        let total = self.scanned.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        if total < DFA_AFTER_BYTES {
            return None;
        }
        self.dfa.get_or_init(|| build_dfa(&self.keywords)).as_ref()
    }

    /// Appends every (rule, keyword hit) in `haystack` for which `keep(rule, start)`
    /// holds to `hits` (in no particular order).
    pub fn hits(
        &self,
        haystack: &[u8],
        hits: &mut Vec<Hit>,
        mut keep: impl FnMut(usize, usize) -> bool,
    ) {
        let mut push = |pattern: PatternID, end: usize| {
            let len = self.keywords[pattern.as_usize()].len();
            for &rule in &self.rules_by_keyword[pattern.as_usize()] {
                if keep(rule, end - len) {
                    hits.push(Hit {
                        rule,
                        start: end - len,
                        end,
                    });
                }
            }
        };
        match self.dfa_for(haystack.len()) {
            Some(dfa) => overlapping_matches(dfa, haystack, &mut push),
            None => overlapping_matches(&self.nfa, haystack, &mut push),
        }
    }

    /// All keywords the automaton searches for (for the benchmark's `rg -f`).
    pub fn keyword_count(&self) -> usize {
        self.rules_by_keyword.len()
    }
}

/// Calls `on_match(pattern, end)` for every overlapping match of `aut` in `hay` (each
/// exactly once, as `find_overlapping_iter` would report them, but not in text order).
///
/// Files of at least [`MIN_LANED_LEN`] bytes are cut into [`LANES`] parts walked in
/// lockstep. Part `k` reports the matches that end inside it; it starts walking
/// `max_pattern_len - 1` bytes early (reporting nothing there) so that a keyword
/// straddling the cut is still seen whole.
fn overlapping_matches<A: Automaton>(
    aut: &A,
    hay: &[u8],
    on_match: &mut impl FnMut(PatternID, usize),
) {
    let Ok(start) = aut.start_state(Anchored::No) else {
        return;
    };
    let overlap = aut.max_pattern_len().saturating_sub(1);
    let n = hay.len();
    let part = n.div_ceil(LANES);
    if n < MIN_LANED_LEN || overlap >= part {
        walk(aut, hay, 0, start, on_match);
        return;
    }
    // Parts 0..LANES-1 are `part` bytes long; the last one may be shorter.
    let last = n - (LANES - 1) * part;
    let mut sid = [start; LANES];
    for (k, s) in sid.iter_mut().enumerate().skip(1) {
        for &b in &hay[k * part - overlap..k * part] {
            *s = aut.next_state(Anchored::No, *s, b);
        }
    }
    // Four named states and slices (not arrays) keep the walk in registers.
    let (l0, l1, l2, l3) = (
        &hay[..last],
        &hay[part..part + last],
        &hay[2 * part..2 * part + last],
        &hay[3 * part..3 * part + last],
    );
    let [mut s0, mut s1, mut s2, mut s3] = sid;
    for i in 0..last {
        s0 = aut.next_state(Anchored::No, s0, l0[i]);
        s1 = aut.next_state(Anchored::No, s1, l1[i]);
        s2 = aut.next_state(Anchored::No, s2, l2[i]);
        s3 = aut.next_state(Anchored::No, s3, l3[i]);
        // Special states (match, dead) have the lowest IDs: one test covers all lanes.
        // The prefilter tests compare against the crate's own iterator, so a change of
        // that layout fails them.
        if aut.is_special(s0.min(s1).min(s2).min(s3)) {
            report_lanes(aut, [s0, s1, s2, s3], part, i + 1, on_match);
        }
    }
    let sid = [s0, s1, s2, s3];
    // The longer parts' tails, one lane at a time.
    for (k, &s) in sid.iter().enumerate().take(LANES - 1) {
        let from = k * part + last;
        walk(aut, &hay[..(k + 1) * part], from, s, on_match);
    }
}

/// One walk of `hay[from..]` starting in state `sid`, reporting matches by end offset.
fn walk<A: Automaton>(
    aut: &A,
    hay: &[u8],
    from: usize,
    mut sid: StateID,
    on_match: &mut impl FnMut(PatternID, usize),
) {
    for (i, &b) in hay.iter().enumerate().skip(from) {
        sid = aut.next_state(Anchored::No, sid, b);
        if aut.is_special(sid) {
            report(aut, sid, i + 1, on_match);
        }
    }
}

/// Reports the matches of the lockstep walk's four states; lane `k`'s offset `end` is
/// `k * part + end` in the file. Out of line: keeping the four states in memory for
/// this rare path made the compiler spill them on every step of the hot loop.
#[cold]
#[inline(never)]
fn report_lanes<A: Automaton>(
    aut: &A,
    sids: [StateID; LANES],
    part: usize,
    end: usize,
    on_match: &mut impl FnMut(PatternID, usize),
) {
    for (k, s) in sids.into_iter().enumerate() {
        report(aut, s, k * part + end, on_match);
    }
}

/// Reports every keyword that ends at `end` if `sid` is a match state.
#[inline]
fn report<A: Automaton>(
    aut: &A,
    sid: StateID,
    end: usize,
    on_match: &mut impl FnMut(PatternID, usize),
) {
    if aut.is_match(sid) {
        for i in 0..aut.match_len(sid) {
            on_match(aut.match_pattern(sid, i), end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (pattern, end) pair the crate's own overlapping iterator reports.
    fn reference(keywords: &[&str], hay: &[u8]) -> Vec<(usize, usize)> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .expect("reference automaton");
        let mut v: Vec<_> = ac
            .find_overlapping_iter(hay)
            .map(|m| (m.pattern().as_usize(), m.end()))
            .collect();
        v.sort_unstable();
        v
    }

    fn laned<A: Automaton>(aut: &A, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        overlapping_matches(aut, hay, &mut |p, end| v.push((p.as_usize(), end)));
        v.sort_unstable();
        v
    }

    #[test]
    fn laned_walk_reports_exactly_the_overlapping_matches() {
        let keywords = [
            "sk",
            "ghp_",
            "key",
            "secret_key",
            "api_key",
            "KEY=",
            "aaaaaaaa",
        ];
        let owned: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        let dfa = build_dfa(&owned).expect("dfa");
        let nfa = noncontiguous::Builder::new()
            .ascii_case_insensitive(true)
            .build(keywords)
            .expect("nfa");
        // A deterministic pseudo-random text over the keywords' letters, so keywords
        // straddle every lane boundary at some length.
        let alphabet = b"skghp_eyKEY=crta aa\n";
        let mut x: u32 = 12345;
        let mut text = Vec::new();
        for _ in 0..20_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            text.push(alphabet[(x >> 16) as usize % alphabet.len()]);
        }
        for len in [
            0, 1, 100, 1023, 1024, 1025, 4097, 5001, 8191, 12_345, 20_000,
        ] {
            let hay = &text[..len];
            let want = reference(&keywords, hay);
            assert_eq!(laned(&dfa, hay), want, "dfa, len {len}");
            assert_eq!(laned(&nfa, hay), want, "nfa, len {len}");
        }
    }

    #[test]
    fn keyword_cut_by_every_lane_boundary_is_found_once() {
        let owned = vec!["secret_key".to_string()];
        let dfa = build_dfa(&owned).expect("dfa");
        let n = 8000;
        let part = n / LANES;
        for shift in 0..10 {
            let mut hay = vec![b'.'; n];
            for k in 1..LANES {
                let at = k * part - shift;
                hay[at..at + 10].copy_from_slice(b"SECRET_KEY");
            }
            let got = laned(&dfa, &hay);
            assert_eq!(got.len(), LANES - 1, "shift {shift}");
        }
    }
}
