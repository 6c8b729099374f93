//! One pass over a script line for every word the catalog's script tables name
//! ([`catalog::SCRIPT_SCOPES`], [`catalog::SCRIPT_HINTS`], [`catalog::RELEASE_WORDS`],
//! [`catalog::OPAQUE_TOKEN_USES`], [`catalog::TOKEN_WORDS`], [`catalog::ID_TOKEN_HINTS`]):
//! a case-insensitive Aho-Corasick automaton built once, instead of one substring search
//! (and one searcher) per word per line.

use super::catalog;
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::OnceLock;

/// Which table a pattern comes from, and whether it must stand as a whole word.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// Part `part` of [`catalog::SCRIPT_SCOPES`] entry `entry`.
    Scope { entry: usize, part: usize },
    /// Entry of [`catalog::SCRIPT_HINTS`].
    Hint(usize),
    /// Entry of [`catalog::PUBLISH_COMMANDS`].
    Publish(usize),
    /// A [`catalog::RELEASE_WORDS`] word.
    Release,
    /// A [`catalog::OPAQUE_TOKEN_USES`] text (anywhere).
    Opaque,
    /// A [`catalog::TOKEN_WORDS`] word.
    TokenWord,
    /// A [`catalog::ID_TOKEN_HINTS`] text (anywhere).
    IdHint,
}

impl Origin {
    fn whole_word(self) -> bool {
        !matches!(self, Origin::Opaque | Origin::IdHint)
    }
}

struct Matcher {
    automaton: AhoCorasick,
    /// For each automaton pattern, every table entry that names it.
    origins: Vec<Vec<Origin>>,
}

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(|| {
        let mut texts: Vec<String> = Vec::new();
        let mut origins: Vec<Vec<Origin>> = Vec::new();
        let mut add = |text: &str, origin: Origin| {
            let text = text.to_ascii_lowercase();
            match texts.iter().position(|t| *t == text) {
                Some(i) => origins[i].push(origin),
                None => {
                    texts.push(text);
                    origins.push(vec![origin]);
                }
            }
        };
        for (entry, (parts, _)) in catalog::SCRIPT_SCOPES.iter().enumerate() {
            for (part, p) in parts.iter().enumerate() {
                add(p, Origin::Scope { entry, part });
            }
        }
        for (i, (w, _)) in catalog::SCRIPT_HINTS.iter().enumerate() {
            add(w, Origin::Hint(i));
        }
        for (i, (c, _)) in catalog::PUBLISH_COMMANDS.iter().enumerate() {
            add(c, Origin::Publish(i));
        }
        for w in catalog::RELEASE_WORDS {
            add(w, Origin::Release);
        }
        for w in catalog::OPAQUE_TOKEN_USES {
            add(w, Origin::Opaque);
        }
        for w in catalog::TOKEN_WORDS {
            add(w, Origin::TokenWord);
        }
        for w in catalog::ID_TOKEN_HINTS {
            add(w, Origin::IdHint);
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&texts)
            .unwrap_or_else(|e| panic!("catalog script words are valid patterns: {e}"));
        Matcher { automaton, origins }
    })
}

/// What the catalog's script tables say about one line.
#[derive(Debug, Default)]
pub struct LineWords {
    /// Scopes of [`catalog::SCRIPT_SCOPES`] entries whose every part is on the line.
    pub needs: Vec<&'static str>,
    /// Scopes of [`catalog::SCRIPT_HINTS`] entries on the line.
    pub hints: Vec<&'static str>,
    /// Registries of [`catalog::PUBLISH_COMMANDS`] on the line, in table order.
    pub publishes: Vec<catalog::Provider>,
    /// A release or deploy word is on the line.
    pub release: bool,
    /// A raw API use is on the line.
    pub opaque: bool,
    /// A word that hands the token to a tool is on the line.
    pub token_word: bool,
    /// A trusted-publishing, provenance or signing hint is on the line.
    pub id_token_hint: bool,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Reads one line against every script table in one automaton pass.
pub fn read_line(line: &str) -> LineWords {
    let m = matcher();
    let bytes = line.as_bytes();
    let mut out = LineWords::default();
    let mut parts_seen: Vec<(usize, usize)> = Vec::new();
    let mut publish_seen: Vec<usize> = Vec::new();
    for hit in m.automaton.find_overlapping_iter(line) {
        let bounded = (hit.start() == 0 || !is_word(bytes[hit.start() - 1]))
            && (hit.end() >= bytes.len() || !is_word(bytes[hit.end()]));
        for &origin in &m.origins[hit.pattern().as_usize()] {
            if origin.whole_word() && !bounded {
                continue;
            }
            match origin {
                Origin::Scope { entry, part } => parts_seen.push((entry, part)),
                Origin::Hint(i) => out.hints.push(catalog::SCRIPT_HINTS[i].1),
                Origin::Publish(i) => publish_seen.push(i),
                Origin::Release => out.release = true,
                Origin::Opaque => out.opaque = true,
                Origin::TokenWord => out.token_word = true,
                Origin::IdHint => out.id_token_hint = true,
            }
        }
    }
    publish_seen.sort_unstable();
    publish_seen.dedup();
    out.publishes = publish_seen
        .into_iter()
        .map(|i| catalog::PUBLISH_COMMANDS[i].1)
        .collect();
    for (entry, (parts, scope)) in catalog::SCRIPT_SCOPES.iter().enumerate() {
        if (0..parts.len()).all(|p| parts_seen.contains(&(entry, p))) {
            out.needs.push(scope);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::read_line;

    #[test]
    fn one_pass_reads_every_table() {
        let w = read_line("docker push ghcr.io/org/app && gh release create v1");
        assert_eq!(w.needs, ["packages"]);
        assert!(w.hints.contains(&"contents") && w.hints.contains(&"packages"));
        assert!(w.token_word && w.release);
        let w = read_line("git pushx; octokit.rest");
        assert!(w.needs.is_empty() && w.opaque);
        assert!(read_line("./tools/build.ts --publish-only").id_token_hint);
        assert!(!read_line("cargo test --workspace").release);
    }
}
