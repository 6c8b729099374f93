//! The first detection stage: one ASCII-case-insensitive Aho-Corasick automaton over
//! every rule keyword, run once per file, chooses the candidate rules and where their
//! keywords occur.

use crate::rules::Rule;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes scanned before the full DFA pays for its construction (a few milliseconds
/// for hundreds of keywords): a pre-commit run over a handful of files never builds it.
const DFA_AFTER_BYTES: u64 = 4 << 20;

/// The keyword automaton and the map from keyword to the rules that use it.
/// Keyword automaton settings shared by both kinds.
fn builder(kind: AhoCorasickKind) -> AhoCorasickBuilder {
    let mut b = AhoCorasickBuilder::new();
    b.ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(kind));
    b
}

#[derive(Debug)]
pub struct Prefilter {
    /// Cheap to build, slower to search: used until enough bytes were scanned.
    nfa: AhoCorasick,
    /// Several times faster for overlapping search; built once, on demand.
    dfa: OnceLock<Option<AhoCorasick>>,
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
        let nfa = builder(AhoCorasickKind::NoncontiguousNFA)
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

    /// The automaton to search `len` more bytes with.
    fn automaton(&self, len: usize) -> &AhoCorasick {
        if let Some(Some(dfa)) = self.dfa.get() {
            return dfa;
        }
        let total = self.scanned.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        if total < DFA_AFTER_BYTES {
            return &self.nfa;
        }
        self.dfa
            .get_or_init(|| builder(AhoCorasickKind::DFA).build(&self.keywords).ok())
            .as_ref()
            .unwrap_or(&self.nfa)
    }

    /// Appends every (rule, keyword hit) in `haystack` to `hits`, in text order.
    pub fn hits(&self, haystack: &[u8], hits: &mut Vec<Hit>) {
        for m in self
            .automaton(haystack.len())
            .find_overlapping_iter(haystack)
        {
            for &rule in &self.rules_by_keyword[m.pattern().as_usize()] {
                hits.push(Hit {
                    rule,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    }

    /// All keywords the automaton searches for (for the benchmark's `rg -f`).
    pub fn keyword_count(&self) -> usize {
        self.rules_by_keyword.len()
    }
}
