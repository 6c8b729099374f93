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

/// The keyword DFA as one flat transition table, copied from the crate's DFA. The
/// crate pads each state's row to a power of two and reads the byte's class from a
/// table of its own; here a row is exactly as wide as the keywords' distinct bytes
/// (ASCII case folded) plus one class for every other byte, so the table is about a
/// fifth smaller and more of the states a walk visits stay in cache (a walk is bound
/// by the latency of one table load per byte). Measured on the generated 160 MB tree,
/// keyword stage alone: 1.65 -> 1.37 ns per byte.
#[derive(Debug)]
struct Table {
    /// Byte to class.
    classes: [u8; 256],
    /// Row width: the number of classes.
    stride: usize,
    /// `trans[s + class]` is the next state, premultiplied by `stride` (a state is the
    /// offset of its row); padded to a power-of-two length.
    trans: Vec<u32>,
    /// Match states come last, from this offset on, a power of two that every other
    /// state is below: a state is a match state when it has a bit of `!(match_base - 1)`,
    /// so one OR of four lanes' states and one test tell whether any lane matched.
    match_base: usize,
    /// For match state `s`, `patterns[ranges[(s - match_base) / stride]]` are the
    /// keywords ending there.
    ranges: Vec<(u32, u32)>,
    /// Keyword ids, by match state.
    patterns: Vec<PatternID>,
    /// The unanchored start state.
    start: usize,
    /// Length of the longest keyword.
    max_len: usize,
}

impl Table {
    /// Copies `dfa` over `keywords` (lowercased) into a flat table; `None` when it
    /// does not fit in 32-bit offsets.
    fn new(dfa: &dfa::DFA, keywords: &[String]) -> Option<Table> {
        let mut used = [false; 256];
        for k in keywords {
            for b in k.bytes() {
                used[usize::from(b.to_ascii_lowercase())] = true;
            }
        }
        // One class per keyword byte (both cases), one for all other bytes.
        let mut classes = [0u8; 256];
        let mut reps: Vec<u8> = Vec::new();
        for b in 0..=255u8 {
            if used[usize::from(b)] && b == b.to_ascii_lowercase() {
                classes[usize::from(b)] = u8::try_from(reps.len()).ok()?;
                reps.push(b);
            }
        }
        let mut other = None;
        for b in 0..=255u8 {
            let lower = b.to_ascii_lowercase();
            if used[usize::from(lower)] {
                classes[usize::from(b)] = classes[usize::from(lower)];
            } else {
                let class = *other.get_or_insert_with(|| {
                    reps.push(b);
                    reps.len() - 1
                });
                classes[usize::from(b)] = u8::try_from(class).ok()?;
            }
        }
        let stride = reps.len();
        // Every state reachable from the start, breadth first.
        let start = dfa.start_state(Anchored::No).ok()?;
        let mut order = vec![start];
        let mut index: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
        let mut next = 0;
        while next < order.len() {
            let s = order[next];
            next += 1;
            for &r in &reps {
                let t = dfa.next_state(Anchored::No, s, r);
                index.entry(t).or_insert_with(|| {
                    order.push(t);
                    order.len() - 1
                });
            }
        }
        // Other states first, then (from a power of two on) the match states, each
        // group breadth first: `number` is a state's row among its group's.
        let mut number = vec![0usize; order.len()];
        let (mut others, mut matches) = (0, 0);
        for (i, &s) in order.iter().enumerate() {
            let count = if dfa.is_match(s) {
                &mut matches
            } else {
                &mut others
            };
            number[i] = *count;
            *count += 1;
        }
        let match_base = others
            .checked_mul(stride)?
            .max(1)
            .checked_next_power_of_two()?;
        let used = match_base.checked_add(matches.checked_mul(stride)?)?;
        u32::try_from(used).ok()?;
        let offset = |i: usize| {
            let row = number[i] * stride;
            (if dfa.is_match(order[i]) {
                match_base + row
            } else {
                row
            }) as u32
        };
        // A power-of-two length lets the walk mask its index instead of checking it
        // (the padding is never read, nor touched: zeroed pages are mapped on demand).
        let mut trans = vec![0u32; used.checked_next_power_of_two()?];
        let mut ranges = vec![(0, 0); matches];
        let mut patterns = Vec::new();
        for (i, &s) in order.iter().enumerate() {
            let row = offset(i) as usize;
            for (class, &r) in reps.iter().enumerate() {
                trans[row + class] = offset(index[&dfa.next_state(Anchored::No, s, r)]);
            }
            if dfa.is_match(s) {
                let from = patterns.len() as u32;
                patterns.extend((0..dfa.match_len(s)).map(|m| dfa.match_pattern(s, m)));
                ranges[number[i]] = (from, patterns.len() as u32);
            }
        }
        Some(Table {
            classes,
            stride,
            trans,
            match_base,
            ranges,
            patterns,
            start: offset(0) as usize,
            max_len: dfa.max_pattern_len(),
        })
    }
}

/// What the laned walk needs of an automaton: its states are ordered so that every
/// state that may report a match compares below every other state.
trait Steps {
    /// A state.
    type State: Copy + Ord;
    /// The unanchored start state.
    fn start(&self) -> Option<Self::State>;
    /// Length of the longest keyword.
    fn max_len(&self) -> usize;
    /// The state after `byte`.
    fn next(&self, s: Self::State, byte: u8) -> Self::State;
    /// Whether `s` may be a match state (cheap; [`Steps::report`] decides).
    fn is_special(&self, s: Self::State) -> bool;
    /// Whether any of four states may be a match state.
    #[inline(always)]
    fn any_special(&self, s: [Self::State; LANES]) -> bool {
        // States that may match compare lowest (the default layout).
        self.is_special(s[0].min(s[1]).min(s[2]).min(s[3]))
    }
    /// Reports every keyword that ends at `end` if `s` is a match state.
    fn report(&self, s: Self::State, end: usize, on_match: &mut impl FnMut(PatternID, usize));
}

impl Steps for Table {
    // Held as `usize` (the table keeps `u32`s): no widening on the walk's critical path.
    type State = usize;

    fn start(&self) -> Option<usize> {
        Some(self.start)
    }

    fn max_len(&self) -> usize {
        self.max_len
    }

    #[inline(always)]
    fn next(&self, s: usize, byte: u8) -> usize {
        // Every offset is below the table's used part, so the mask changes nothing; it
        // only proves the index in bounds (`trans.len()` is a power of two).
        let mask = self.trans.len() - 1;
        self.trans[(s + usize::from(self.classes[usize::from(byte)])) & mask] as usize
    }

    #[inline(always)]
    fn is_special(&self, s: usize) -> bool {
        s >= self.match_base
    }

    #[inline(always)]
    fn any_special(&self, s: [usize; LANES]) -> bool {
        // Every other state is below `match_base`, a power of two.
        (s[0] | s[1] | s[2] | s[3]) >= self.match_base
    }

    #[inline]
    fn report(&self, s: usize, end: usize, on_match: &mut impl FnMut(PatternID, usize)) {
        if s >= self.match_base {
            let (from, to) = self.ranges[(s - self.match_base) / self.stride];
            for &p in &self.patterns[from as usize..to as usize] {
                on_match(p, end);
            }
        }
    }
}

impl<A: Automaton> Steps for A {
    type State = StateID;

    fn start(&self) -> Option<StateID> {
        self.start_state(Anchored::No).ok()
    }

    fn max_len(&self) -> usize {
        self.max_pattern_len()
    }

    #[inline(always)]
    fn next(&self, s: StateID, byte: u8) -> StateID {
        self.next_state(Anchored::No, s, byte)
    }

    #[inline(always)]
    fn is_special(&self, s: StateID) -> bool {
        // Special states (match, dead) have the lowest IDs. The prefilter tests compare
        // against the crate's own iterator, so a change of that layout fails them.
        Automaton::is_special(self, s)
    }

    #[inline]
    fn report(&self, s: StateID, end: usize, on_match: &mut impl FnMut(PatternID, usize)) {
        if self.is_match(s) {
            for i in 0..self.match_len(s) {
                on_match(self.match_pattern(s, i), end);
            }
        }
    }
}

/// The keyword automaton and the map from keyword to the rules that use it.
#[derive(Debug)]
pub struct Prefilter {
    /// Cheap to build, slower to search: used until enough bytes were scanned.
    nfa: noncontiguous::NFA,
    /// Several times faster for overlapping search; built once, on demand.
    dfa: OnceLock<Option<Table>>,
    keywords: Vec<String>,
    scanned: AtomicU64,
    rules_by_keyword: Vec<Vec<usize>>,
    /// The index of the keyword `secret`, when a rule uses it (see [`Prefilter::hits`]).
    secret_keyword: Option<usize>,
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
            secret_keyword: index.get("secret").copied(),
            keywords,
            scanned: AtomicU64::new(0),
            rules_by_keyword,
        })
    }

    /// The DFA, once enough bytes were scanned to pay for building it.
    fn dfa_for(&self, len: usize) -> Option<&Table> {
        if let Some(dfa) = self.dfa.get() {
            return dfa.as_ref();
        }
        let total = self.scanned.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        if total < DFA_AFTER_BYTES {
            return None;
        }
        self.dfa
            .get_or_init(|| Table::new(&build_dfa(&self.keywords)?, &self.keywords))
            .as_ref()
    }

    /// Appends every (rule, keyword hit) in `haystack` for which `keep(rule, start)`
    /// holds to `hits` (in no particular order). Returns whether `haystack` holds
    /// `secret` in any case (a Kubernetes `Secret`), `None` when no rule's keyword is
    /// `secret` and the automaton cannot tell.
    pub fn hits(
        &self,
        haystack: &[u8],
        hits: &mut Vec<Hit>,
        mut keep: impl FnMut(usize, usize) -> bool,
    ) -> Option<bool> {
        let mut secret = false;
        let mut push = |pattern: PatternID, end: usize| {
            secret |= Some(pattern.as_usize()) == self.secret_keyword;
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
        self.secret_keyword.map(|_| secret)
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
fn overlapping_matches<S: Steps>(aut: &S, hay: &[u8], on_match: &mut impl FnMut(PatternID, usize)) {
    let Some(start) = aut.start() else {
        return;
    };
    let overlap = aut.max_len().saturating_sub(1);
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
            *s = aut.next(*s, b);
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
        s0 = aut.next(s0, l0[i]);
        s1 = aut.next(s1, l1[i]);
        s2 = aut.next(s2, l2[i]);
        s3 = aut.next(s3, l3[i]);
        // One test covers all lanes.
        if aut.any_special([s0, s1, s2, s3]) {
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
fn walk<S: Steps>(
    aut: &S,
    hay: &[u8],
    from: usize,
    mut sid: S::State,
    on_match: &mut impl FnMut(PatternID, usize),
) {
    for (i, &b) in hay.iter().enumerate().skip(from) {
        sid = aut.next(sid, b);
        if aut.is_special(sid) {
            aut.report(sid, i + 1, on_match);
        }
    }
}

/// Reports the matches of the lockstep walk's four states; lane `k`'s offset `end` is
/// `k * part + end` in the file. Out of line: keeping the four states in memory for
/// this rare path made the compiler spill them on every step of the hot loop.
#[cold]
#[inline(never)]
fn report_lanes<S: Steps>(
    aut: &S,
    sids: [S::State; LANES],
    part: usize,
    end: usize,
    on_match: &mut impl FnMut(PatternID, usize),
) {
    for (k, s) in sids.into_iter().enumerate() {
        aut.report(s, k * part + end, on_match);
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

    fn laned<S: Steps>(aut: &S, hay: &[u8]) -> Vec<(usize, usize)> {
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
        let table = Table::new(&dfa, &owned).expect("table");
        let nfa = noncontiguous::Builder::new()
            .ascii_case_insensitive(true)
            .build(keywords)
            .expect("nfa");
        // A deterministic pseudo-random text over the keywords' letters, so keywords
        // straddle every lane boundary at some length.
        let alphabet = b"skghp_eyKEY=crta aa\nSGHP\xffx";
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
            assert_eq!(laned(&table, hay), want, "table, len {len}");
            assert_eq!(laned(&nfa, hay), want, "nfa, len {len}");
        }
    }

    #[test]
    fn hits_tell_whether_the_word_secret_occurs() {
        let rules = crate::rules::builtin_rules().expect("built-in rules load");
        let pf = Prefilter::new(&rules).expect("prefilter");
        let mut hits = Vec::new();
        let mut saw = |text: &str| pf.hits(text.as_bytes(), &mut hits, |_, _| true);
        assert_eq!(saw("kind: Secret\ndata:\n"), Some(true));
        assert_eq!(saw("x = 1 # SECRET"), Some(true));
        assert_eq!(saw("kind: ConfigMap\n"), Some(false));
        let others: Vec<Rule> = rules
            .into_iter()
            .filter(|r| {
                !r.spec
                    .keywords
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case("secret"))
            })
            .collect();
        let pf = Prefilter::new(&others).expect("prefilter");
        assert_eq!(pf.hits(b"kind: Secret", &mut hits, |_, _| true), None);
    }

    #[test]
    fn keyword_cut_by_every_lane_boundary_is_found_once() {
        let owned = vec!["secret_key".to_string()];
        let dfa = Table::new(&build_dfa(&owned).expect("dfa"), &owned).expect("table");
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
