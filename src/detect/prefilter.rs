//! The first detection stage: one ASCII-case-insensitive Aho-Corasick automaton over
//! every rule keyword, run once per file, chooses the candidate rules and where their
//! keywords occur.

use crate::rules::Rule;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

/// The keyword automaton and the map from keyword to the rules that use it.
#[derive(Debug)]
pub struct Prefilter {
    automaton: AhoCorasick,
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
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // A full DFA: a few hundred keywords make a small table, and it is
            // several times faster than the default NFA for overlapping search.
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .map_err(|e| format!("cannot build keyword automaton: {e}"))?;
        Ok(Prefilter {
            automaton,
            rules_by_keyword,
        })
    }

    /// Appends every (rule, keyword hit) in `haystack` to `hits`, in text order.
    pub fn hits(&self, haystack: &[u8], hits: &mut Vec<Hit>) {
        for m in self.automaton.find_overlapping_iter(haystack) {
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
