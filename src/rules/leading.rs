//! Whether every match of a rule's regex begins with one of the rule's keywords.
//!
//! When it does, a match can only start where the keyword automaton reported a hit, so
//! the matcher runs the regex anchored at each hit instead of searching the lines around
//! it: no unanchored search over text that cannot start a match, and no reverse search
//! from every `=` or `:` on the line (what the regex engine does for an assignment
//! pattern whose only required literal is in the middle).

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Bound on the number of leading strings tracked (case variants multiply them).
const MAX_LEADING: usize = 4096;

/// Whether every match of `hir` starts with one of `keywords` (ASCII case ignored, as
/// the keyword automaton ignores it).
pub fn starts_with_a_keyword(hir: &Hir, keywords: &[String]) -> bool {
    let keywords: Vec<Vec<u8>> = keywords
        .iter()
        .map(|k| k.as_bytes().to_ascii_lowercase())
        .collect();
    let mut leading = vec![Vec::new()];
    extend(hir, &mut leading);
    leading
        .iter()
        .all(|l| keywords.iter().any(|k| !k.is_empty() && l.starts_with(k)))
}

/// Extends `leading` (strings every match so far starts with, lowercased) by what `hir`
/// matches next. Returns whether the strings still end exactly where `hir` ends, so that
/// what follows in a concatenation may extend them further.
fn extend(hir: &Hir, leading: &mut Vec<Vec<u8>>) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => {
            let lower = lit.0.to_ascii_lowercase();
            for l in leading.iter_mut() {
                l.extend_from_slice(&lower);
            }
            true
        }
        HirKind::Class(class) => match folded_bytes(class) {
            Some(bytes) if leading.len() * bytes.len() <= MAX_LEADING => {
                *leading = leading
                    .iter()
                    .flat_map(|l| {
                        bytes.iter().map(move |&b| {
                            let mut l = l.clone();
                            l.push(b);
                            l
                        })
                    })
                    .collect();
                true
            }
            _ => false,
        },
        HirKind::Capture(cap) => extend(&cap.sub, leading),
        HirKind::Concat(items) => items.iter().all(|item| extend(item, leading)),
        HirKind::Alternation(alts) => {
            let mut union = Vec::new();
            let mut open = true;
            for alt in alts {
                let mut branch = leading.clone();
                open &= extend(alt, &mut branch);
                union.extend(branch);
                if union.len() > MAX_LEADING {
                    // Keep what is known: every match starts with one of `leading`.
                    return false;
                }
            }
            union.sort_unstable();
            union.dedup();
            *leading = union;
            open
        }
        HirKind::Repetition(rep) if rep.min == 0 && rep.max == Some(1) => {
            // `x?`: the strings without `x` and the strings with it.
            let mut with = leading.clone();
            let open = extend(&rep.sub, &mut with);
            if leading.len() + with.len() > MAX_LEADING {
                return false;
            }
            leading.extend(with);
            leading.sort_unstable();
            leading.dedup();
            open
        }
        HirKind::Repetition(rep) => {
            if rep.min == 0 {
                return false;
            }
            let open = extend(&rep.sub, leading);
            open && rep.min == 1 && rep.max == Some(1)
        }
    }
}

/// Most distinct bytes (after ASCII case folding) a class may stand for to be followed
/// through (`[12]`, `[Ss]`); wider classes (`[A-Za-z0-9]`) end the leading strings.
const MAX_CLASS_BYTES: usize = 4;

/// The lowercased bytes a small class stands for (`[Ss]` is `s`, `[12]` is `1`, `2`).
fn folded_bytes(class: &Class) -> Option<Vec<u8>> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut bytes = Vec::new();
    for (lo, hi) in ranges {
        if hi - lo >= 2 * MAX_CLASS_BYTES as u32 {
            return None;
        }
        for c in lo..=hi {
            let b = u8::try_from(c).ok()?.to_ascii_lowercase();
            if !bytes.contains(&b) {
                bytes.push(b);
            }
        }
        if bytes.len() > MAX_CLASS_BYTES {
            return None;
        }
    }
    Some(bytes)
}

/// The bytes a match can start with, exactly (case kept), as a 256-bit set; `None`
/// when a match can be empty or the set is unknown.
pub fn first_bytes(hir: &Hir) -> Option<ByteSet> {
    let (set, nullable) = first(hir);
    (!nullable).then_some(set)
}

/// Whether every match of `hir` starts with `\b` before bytes that are all word
/// characters (`\b(ghp_...)`): then a match cannot start right after a word character,
/// and a keyword hit there (`ck_` in `check_`) needs no regex search.
pub fn starts_at_word_start(hir: &Hir) -> bool {
    fn leading_boundary(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Look(l) => matches!(l, Look::WordAscii | Look::WordUnicode),
            HirKind::Concat(items) => items.first().is_some_and(leading_boundary),
            HirKind::Capture(c) => leading_boundary(&c.sub),
            _ => false,
        }
    }
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    leading_boundary(hir)
        && first_bytes(hir).is_some_and(|set| (0..=255u8).all(|b| !set.contains(b) || word(b)))
}

/// Punctuation that every match of a rule may require, rarest in text first: a window
/// of text without the required byte cannot hold a match. Letters, digits and spaces
/// are too common for the test to pay.
const RARE_FIRST: &[u8] = b"@!#$%&*+<>?[]^`{|}~\\=;:/(),\"'-._";

/// A byte every match of `hir` contains (case kept), the rarest by [`RARE_FIRST`];
/// `None` when no such punctuation byte is known.
pub fn required_byte(hir: &Hir) -> Option<u8> {
    let set = required(hir);
    RARE_FIRST.iter().copied().find(|&b| set.contains(b))
}

/// Bytes every match of `hir` contains (a subset: only literal bytes are followed).
fn required(hir: &Hir) -> ByteSet {
    let mut set = ByteSet::default();
    match hir.kind() {
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                set.insert(b);
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            if let [r] = c.ranges()
                && r.start() == r.end()
            {
                set.insert(r.start());
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            if let [r] = c.ranges()
                && r.start() == r.end()
                && let Ok(b) = u8::try_from(u32::from(r.start()))
                && b.is_ascii()
            {
                set.insert(b);
            }
        }
        HirKind::Capture(cap) => set = required(&cap.sub),
        HirKind::Repetition(rep) if rep.min > 0 => set = required(&rep.sub),
        HirKind::Concat(items) => {
            for item in items {
                set.union(required(item));
            }
        }
        HirKind::Alternation(alts) => {
            let mut alts = alts.iter();
            if let Some(first) = alts.next() {
                set = required(first);
                for alt in alts {
                    set.intersect(required(alt));
                }
            }
        }
        HirKind::Empty | HirKind::Look(_) | HirKind::Repetition(_) => {}
    }
    set
}

/// Most leading positions [`prefix_sets`] follows: enough to reach past a keyword and
/// a vendor prefix into the token's alphabet.
const MAX_PREFIX: usize = 24;

/// Byte sets `p` such that every match of `hir` is at least `p.len()` bytes long and
/// its `i`-th byte is in `p[i]` (case kept): the fixed-width start of the pattern
/// (`pat[A-Za-z0-9]{14}\.` gives `p`, `a`, `t`, 14 alphanumeric sets and `.`). A
/// keyword hit whose next bytes fall outside these sets cannot start a match.
pub fn prefix_sets(hir: &Hir) -> Vec<ByteSet> {
    let mut out = Vec::new();
    prefix(hir, &mut out);
    out.truncate(MAX_PREFIX);
    out
}

/// Appends to `out` the byte sets of `hir`'s leading positions (see [`prefix_sets`]).
/// Returns whether every match of `hir` is exactly as long as what was appended, so
/// that what follows in a concatenation may append further.
fn prefix(hir: &Hir, out: &mut Vec<ByteSet>) -> bool {
    if out.len() >= MAX_PREFIX {
        return false;
    }
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                let mut set = ByteSet::default();
                set.insert(b);
                out.push(set);
            }
            true
        }
        HirKind::Class(class) => match one_byte_class(class) {
            Some(set) => {
                out.push(set);
                true
            }
            None => false,
        },
        HirKind::Capture(cap) => prefix(&cap.sub, out),
        HirKind::Concat(items) => items.iter().all(|item| prefix(item, out)),
        HirKind::Alternation(alts) => {
            let mut branches = Vec::new();
            let mut exact = true;
            for alt in alts {
                let mut branch = Vec::new();
                exact &= prefix(alt, &mut branch);
                branches.push(branch);
            }
            let shortest = branches.iter().map(Vec::len).min().unwrap_or(0);
            exact &= branches.iter().all(|b| b.len() == shortest);
            for i in 0..shortest {
                let mut set = ByteSet::default();
                for b in &branches {
                    set.union(b[i]);
                }
                out.push(set);
            }
            exact
        }
        HirKind::Repetition(rep) => {
            if rep.min == 0 {
                return rep.max == Some(0);
            }
            let mut once = Vec::new();
            if !prefix(&rep.sub, &mut once) {
                out.extend(once);
                return false;
            }
            for _ in 0..rep.min {
                if out.len() >= MAX_PREFIX {
                    return false;
                }
                out.extend_from_slice(&once);
            }
            rep.max == Some(rep.min)
        }
    }
}

/// The bytes a class matching exactly one byte stands for; `None` for a class that
/// may match a multi-byte UTF-8 sequence.
fn one_byte_class(class: &Class) -> Option<ByteSet> {
    let mut set = ByteSet::default();
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set.insert(b);
                }
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                let hi = u8::try_from(u32::from(r.end())).ok().filter(u8::is_ascii)?;
                for b in u8::try_from(u32::from(r.start())).ok()?..=hi {
                    set.insert(b);
                }
            }
        }
    }
    Some(set)
}

/// A set of bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn union(&mut self, other: ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    fn intersect(&mut self, other: ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a &= b;
        }
    }

    /// Whether `b` is in the set.
    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// The first bytes of `hir`'s matches, and whether it can match the empty string.
fn first(hir: &Hir) -> (ByteSet, bool) {
    let mut set = ByteSet::default();
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (set, true),
        HirKind::Literal(lit) => match lit.0.first() {
            Some(&b) => {
                set.insert(b);
                (set, false)
            }
            None => (set, true),
        },
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set.insert(b);
                }
            }
            (set, c.ranges().is_empty())
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                for ch in r.start()..=r.end() {
                    // A non-ASCII scalar starts with a UTF-8 lead byte.
                    let mut utf8 = [0; 4];
                    set.insert(ch.encode_utf8(&mut utf8).as_bytes()[0]);
                }
            }
            (set, c.ranges().is_empty())
        }
        HirKind::Capture(cap) => first(&cap.sub),
        HirKind::Repetition(rep) => {
            let (sub, nullable) = first(&rep.sub);
            (sub, nullable || rep.min == 0)
        }
        HirKind::Concat(items) => {
            for item in items {
                let (s, nullable) = first(item);
                set.union(s);
                if !nullable {
                    return (set, false);
                }
            }
            (set, true)
        }
        HirKind::Alternation(alts) => {
            let mut any_nullable = false;
            for alt in alts {
                let (s, nullable) = first(alt);
                set.union(s);
                any_nullable |= nullable;
            }
            (set, any_nullable)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pattern's syntax tree, parsed as rule regexes are (ASCII, bytes).
    fn parse(pattern: &str) -> Hir {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .expect("valid pattern")
    }

    fn check(pattern: &str, keywords: &[&str]) -> bool {
        let kws: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        starts_with_a_keyword(&parse(pattern), &kws)
    }

    #[test]
    fn vendor_prefixes_start_with_their_keyword() {
        assert!(check(r"\b(ghp_[A-Za-z0-9]{36})\b", &["ghp_"]));
        assert!(check(r"\b(SK[0-9a-f]{32})\b", &["sk"]));
        assert!(check(r"(?:ghp|gho)_[a-z]+", &["ghp_", "gho_"]));
    }

    #[test]
    fn case_insensitive_alternations_are_followed_through() {
        let generic = r"(?i)(?:secret|token|api[_-]?key|credentials?)[\w.-]{0,30}\s*=\s*(\S+)";
        assert!(check(
            generic,
            &[
                "secret",
                "token",
                "api_key",
                "apikey",
                "api-key",
                "credential"
            ]
        ));
        // `api[_-]?key` also matches `apikey` and `api-key`: all three must be keywords.
        assert!(!check(
            generic,
            &["secret", "token", "api_key", "credential"]
        ));
    }

    fn firsts(pattern: &str) -> Option<String> {
        first_bytes(&parse(pattern)).map(|set| {
            (0..=255u8)
                .filter(|&b| set.contains(b))
                .map(char::from)
                .collect()
        })
    }

    #[test]
    fn required_bytes_are_in_every_branch() {
        let req = |p: &str| required_byte(&parse(p));
        assert_eq!(req(r"https?://[^:@]+:(\S+)@[a-z]+"), Some(b'@'));
        assert_eq!(req(r"(?:a=|b:)x"), None);
        assert_eq!(req(r"(?:a=|b=)x"), Some(b'='));
        assert_eq!(req(r"x(?:@y)?z"), None);
        assert_eq!(req(r"ghp_[A-Za-z0-9]{36}"), Some(b'_'));
        assert_eq!(req(r"(?i)key"), None);
    }

    fn prefixes(pattern: &str) -> Vec<String> {
        prefix_sets(&parse(pattern))
            .iter()
            .map(|set| {
                (0..=255u8)
                    .filter(|&b| set.contains(b))
                    .map(char::from)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn prefix_sets_follow_the_fixed_width_start() {
        let digits = "0123456789".to_string();
        assert_eq!(
            prefixes(r"\b(pat[0-9]{2}\.[a-f]+)\b"),
            ["p", "a", "t", &digits, &digits, ".", "abcdef"]
        );
        // Case-insensitive letters, alternations of equal and unequal widths.
        assert_eq!(prefixes(r"(?i)ke(?:y|ys)_x"), ["Kk", "Ee", "Yy"]);
        assert_eq!(prefixes(r"(?:api|cli)-"), ["ac", "lp", "i", "-"]);
        // An optional or variable part ends the sets.
        assert_eq!(prefixes(r"ab?c"), ["a"]);
        assert_eq!(prefixes(r"a{2,3}b"), ["a", "a"]);
        assert_eq!(prefixes(r"(?:ab)+c"), ["a", "b"]);
        assert_eq!(prefixes(r"x?y"), Vec::<String>::new());
        assert_eq!(prefixes(&"a".repeat(40)).len(), MAX_PREFIX);
    }

    #[test]
    fn word_start_needs_a_leading_boundary_before_word_bytes() {
        assert!(starts_at_word_start(&parse(r"\b(ck_[0-9a-f]{40})\b")));
        assert!(!starts_at_word_start(&parse(r"(ck_[0-9a-f]{40})\b")));
        assert!(!starts_at_word_start(&parse(r"\b(?:-x|y)")));
    }

    #[test]
    fn first_bytes_keep_case_and_follow_optional_parts() {
        assert_eq!(firsts(r"\b(SK[0-9a-f]{32})\b").as_deref(), Some("S"));
        assert_eq!(firsts(r"(?i)secret|token").as_deref(), Some("STst"));
        assert_eq!(firsts(r"(?:FlyV1 )?fm[12]_").as_deref(), Some("Ff"));
        assert_eq!(firsts(r"x?").as_deref(), None);
    }

    #[test]
    fn patterns_that_can_start_elsewhere_are_not_anchored() {
        // The keyword is in the middle or optional.
        assert!(!check(r"[a-z]+://[^:]+:([^@]+)@", &["://"]));
        assert!(!check(r"(?:FlyV1 )?fm[12]_[a-z]+", &["fm1_", "fm2_"]));
        assert!(check(r"fm[12]_[a-z]+", &["fm1_", "fm2_"]));
        assert!(!check(r"-\s*name:\s*(?i:password)", &["password"]));
        // A keyword longer than what the pattern guarantees.
        assert!(!check(r"(?i)hec[_.-]?token", &["hec_token"]));
        // A leading class of several letters.
        assert!(!check(r"[A-Z]{4}[0-9]{12}", &["akia"]));
    }
}
