//! The second detection stage: each candidate rule's regex runs on the windows
//! around its keyword hits (or the whole file for multi-line rules), and every
//! capture passes the rule's and the global filters.

use super::filters;
use super::prefilter::{Hit, Prefilter};
use crate::rules::{CompiledRegex, Rule, leading};
use regex_automata::meta::Cache;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, Span};

/// How far a window reaches from a keyword hit when the line is very long
/// (minified files): bounds the regex work per hit.
const MAX_WINDOW_REACH: usize = 4096;

/// Keyword hits of one rule in one file past which its regex runs over the whole file.
/// Windows win well past a few dozen hits: a case-insensitive rule regex has no
/// literal prefilter, so a whole-file pass costs a lazy-DFA step per byte, while merged
/// windows cover only the lines that name the keyword (measured on real trees: the
/// regex stage took 30% less time with this bound than with 32).
const MANY_HITS: usize = 1024;

/// Bytes of anchored searches per byte of file a rule may spend before the rest of the
/// file is searched in one unanchored pass instead (see `confirm_at_hits`).
const ANCHORED_WORK_PER_BYTE: usize = 8;

/// A confirmed match: which rule, and the byte range of the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMatch {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Byte offset of the secret's start.
    pub start: usize,
    /// Byte offset just past the secret.
    pub end: usize,
}

/// Per-thread matcher state: reusable scratch buffers.
#[derive(Debug, Default)]
pub struct Matcher {
    hits: Vec<Hit>,
    windows: Vec<(usize, usize)>,
    /// Each rule regex's search cache and capture slots, made on the rule's first use
    /// by this thread: the engine's shared cache pool costs a lock per search on every
    /// thread but the first.
    scratch: Vec<Option<Scratch>>,
    /// The rule set `scratch` belongs to (its address): a matcher handed another rule
    /// set starts afresh instead of searching with another regex's cache.
    scratch_owner: usize,
    /// The current file is source code: generic rules then need a quoted value
    /// (an unquoted right-hand side in code is an expression, not a literal).
    code_file: bool,
    /// Each rule's test of a keyword hit, made on the rule's first hit (by rule index).
    gates: Vec<Option<Gate>>,
    /// Whether the last content searched holds `secret` in any case (see
    /// [`Matcher::secret_word`]).
    secret_word: Option<bool>,
}

/// What a keyword hit must look like to be worth keeping for a rule. For a rule whose
/// every match starts with a keyword, a hit at a byte no match starts with (`sk` in
/// `task` for `\bSK[0-9a-f]{32}`) or right after a word byte (for a rule that starts
/// at a word start) can start no match: the anchored search would skip it. Dropping
/// such hits as they are found keeps them out of the sort and the rule loop.
#[derive(Debug, Clone)]
struct Gate {
    /// The bytes a match can start with; `None`: any.
    first: Option<leading::ByteSet>,
    /// A match starts at a word start.
    word_start: bool,
    /// The bytes each of a match's first positions can hold (a match is at least this
    /// long): `pat` in `path` cannot start `pat[A-Za-z0-9]{14}\.`.
    prefix: Box<[leading::ByteSet]>,
}

impl Gate {
    /// The gate of `rule`: open (every hit kept) unless the regex runs anchored at hits.
    fn of(rule: &Rule) -> Gate {
        match rule.regex() {
            Some(c) if c.anchored_at_keyword && !rule.spec.whole_file => Gate {
                first: c.first_bytes,
                word_start: c.word_start,
                prefix: c.prefix.clone().into_boxed_slice(),
            },
            _ => Gate {
                first: None,
                word_start: false,
                prefix: Box::default(),
            },
        }
    }

    /// Whether a hit starting at `start` may start a match (the tests
    /// `Candidate::confirm_at_hits` makes before an anchored search).
    #[inline]
    fn admits(&self, content: &[u8], start: usize) -> bool {
        if let Some(first) = &self.first
            && !first.contains(content[start])
        {
            return false;
        }
        if self.word_start && start > 0 && is_word_byte(content[start - 1]) {
            return false;
        }
        // The keyword's own bytes pass (its hit is case-insensitive, the sets are
        // not); the bytes after it are the test that counts.
        match content.get(start..start + self.prefix.len()) {
            Some(head) => head
                .iter()
                .zip(&self.prefix)
                .all(|(&b, set)| set.contains(b)),
            None => false,
        }
    }
}

/// `\w` in ASCII: what `\b` treats as a word byte.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Matcher {
    /// Finds every confirmed secret in `content`, appending to `out` (unsorted).
    /// `code_file` says the file is source code (see [`is_code_path`]).
    pub fn find(
        &mut self,
        rules: &[Rule],
        prefilter: &Prefilter,
        content: &[u8],
        code_file: bool,
        out: &mut Vec<RawMatch>,
    ) {
        self.code_file = code_file;
        if self.scratch_owner != rules.as_ptr() as usize || self.scratch.len() != rules.len() {
            self.scratch.clear();
            self.scratch.resize_with(rules.len(), || None);
            self.scratch_owner = rules.as_ptr() as usize;
            self.gates.clear();
            self.gates.resize(rules.len(), None);
        }
        self.hits.clear();
        let gates = &mut self.gates;
        self.secret_word = prefilter.hits(content, &mut self.hits, |rule, start| {
            gates[rule]
                .get_or_insert_with(|| Gate::of(&rules[rule]))
                .admits(content, start)
        });
        if self.hits.is_empty() {
            return;
        }
        // By rule, then position; one integer key sorts faster than a tuple (files are
        // far below 2^40 bytes, rules below 2^24).
        self.hits
            .sort_unstable_by_key(|h| ((h.rule as u64) << 40) | h.start as u64);
        let mut i = 0;
        while i < self.hits.len() {
            let rule_idx = self.hits[i].rule;
            let mut j = i;
            while j < self.hits.len() && self.hits[j].rule == rule_idx {
                j += 1;
            }
            let rule = &rules[rule_idx];
            let Some(compiled) = rule.regex() else {
                i = j;
                continue;
            };
            let hits = &self.hits[i..j];
            let scratch = self.scratch[rule_idx].get_or_insert_with(|| Scratch {
                cache: compiled.regex.create_cache(),
                caps: compiled.regex.create_captures(),
            });
            let mut candidate = Candidate {
                rule,
                index: rule_idx,
                compiled,
                code_file: self.code_file,
                scratch,
            };
            if compiled.anchored_at_keyword && !rule.spec.whole_file {
                candidate.confirm_at_hits(content, hits, out);
                i = j;
                continue;
            }
            self.windows.clear();
            // Very many hits (a short keyword in a huge file): one pass of the regex over
            // the file beats a thousand windows.
            if rule.spec.whole_file || hits.len() > MANY_HITS {
                self.windows.push((0, content.len()));
            } else {
                for h in hits {
                    let w = window_around(content, h.start, h.end);
                    match self.windows.last_mut() {
                        Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
                        _ => self.windows.push(w),
                    }
                }
            }
            for &(ws, we) in &self.windows {
                // A match lies inside its window: without a byte every match holds, the
                // window holds none (one vectorised search instead of a regex search).
                if let Some(b) = compiled.required_byte
                    && memchr::memchr(b, &content[ws..we]).is_none()
                {
                    continue;
                }
                candidate.confirm(content, ws, we, out);
            }
            i = j;
        }
    }
}

impl Matcher {
    /// Whether the content last given to [`Matcher::find`] holds `secret` in any case
    /// (`kind: Secret`), as the keyword automaton saw it; `None` when it cannot tell
    /// (no rule's keyword is `secret`).
    pub fn secret_word(&self) -> Option<bool> {
        self.secret_word
    }
}

/// The line holding the hit plus the next line, bounded for very long lines.
fn window_around(content: &[u8], start: usize, end: usize) -> (usize, usize) {
    (
        line_start_within(content, start, MAX_WINDOW_REACH),
        window_end(content, end),
    )
}

/// Where the line holding `at` starts, looking back at most `reach` bytes.
fn line_start_within(content: &[u8], at: usize, reach: usize) -> usize {
    let floor = at.saturating_sub(reach);
    memchr::memrchr(b'\n', &content[floor..at]).map_or(floor, |p| floor + p + 1)
}

/// Where the window of a hit ending at `end` ends: the end of the line after the hit's.
fn window_end(content: &[u8], end: usize) -> usize {
    let ceil = (end + MAX_WINDOW_REACH).min(content.len());
    let line_end = memchr::memchr(b'\n', &content[end..ceil]).map_or(ceil, |p| end + p + 1);
    memchr::memchr(b'\n', &content[line_end..ceil]).map_or(ceil, |p| line_end + p)
}

/// A rule regex's per-thread search state.
#[derive(Debug)]
struct Scratch {
    cache: Cache,
    caps: Captures,
}

/// One candidate rule for the current file, with what confirming its matches needs.
struct Candidate<'a> {
    rule: &'a Rule,
    index: usize,
    compiled: &'a CompiledRegex,
    code_file: bool,
    scratch: &'a mut Scratch,
}

impl Candidate<'_> {
    /// For a rule whose every match starts with a keyword: the regex runs anchored at
    /// each hit (in text order, skipping hits inside the previous match, as a
    /// left-to-right scan would), bounded by the hit's window.
    fn confirm_at_hits(&mut self, content: &[u8], hits: &[Hit], out: &mut Vec<RawMatch>) {
        let mut free_from = 0;
        let mut last_start = usize::MAX;
        // Bytes the anchored searches may cover: a keyword repeated a million times
        // without a match would otherwise cost a window's length per hit.
        let mut budget = content
            .len()
            .saturating_mul(ANCHORED_WORK_PER_BYTE)
            .saturating_add(1 << 16);
        for h in hits {
            if h.start < free_from || h.start == last_start {
                continue;
            }
            // Hits no match can start at were dropped by the rule's `Gate`.
            last_start = h.start;
            let we = window_end(content, h.end);
            if we - h.start > budget {
                // One unanchored pass over the rest finds the same matches (each starts
                // with a keyword) in time linear in its length.
                self.confirm(content, h.start, content.len(), out);
                return;
            }
            budget -= we - h.start;
            let input = Input::new(&content[..we])
                .range(h.start..)
                .anchored(Anchored::Yes);
            if let Some(whole) = self
                .compiled
                .regex
                .search_with(&mut self.scratch.cache, &input)
            {
                free_from = whole.end().max(whole.start() + 1);
                self.accept(content, whole.span(), out);
            }
        }
    }

    /// Runs the rule's regex over `content[ws..we]` and keeps matches passing the filters.
    fn confirm(&mut self, content: &[u8], ws: usize, we: usize, out: &mut Vec<RawMatch>) {
        let hay = &content[..we];
        let mut pos = ws;
        while pos <= hay.len() {
            // Find the match with the fast DFA first; resolve capture groups only on the
            // matched bytes (captures over a whole window fall back to the slow PikeVM).
            let input = Input::new(hay).range(pos..);
            let Some(whole) = self
                .compiled
                .regex
                .search_with(&mut self.scratch.cache, &input)
            else {
                break;
            };
            pos = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.end() + 1
            };
            // Windows of one rule are merged and disjoint, so a match is never seen twice.
            self.accept(content, whole.span(), out);
        }
    }

    /// Resolves the secret (and name) groups of a match and keeps it if the filters pass.
    fn accept(&mut self, content: &[u8], whole: Span, out: &mut Vec<RawMatch>) {
        let compiled = self.compiled;
        // In code a generic rule needs a quote right before the secret, and the secret
        // lies inside the match: a match without a quote in it or just before it fails
        // `passes_filters` whatever its groups, so they are not resolved.
        if self.code_file
            && self.rule.spec.family == "generic"
            && memchr::memchr3(
                b'"',
                b'\'',
                b'`',
                &content[whole.start.saturating_sub(1)..whole.end],
            )
            .is_none()
        {
            return;
        }
        let mut name = (whole.start, whole.start);
        let (start, end) = if compiled.secret_group == 0 {
            (whole.start, whole.end)
        } else {
            let Scratch { cache, caps } = &mut *self.scratch;
            let input = Input::new(&content[..whole.end])
                .range(whole.start..)
                .anchored(Anchored::Yes);
            compiled.regex.search_captures_with(cache, &input, caps);
            let Some(m) = caps.get_group(compiled.secret_group) else {
                return;
            };
            name = match compiled.name_group.and_then(|g| caps.get_group(g)) {
                Some(n) => (n.start, n.end),
                None => (whole.start, m.start),
            };
            (m.start, m.end)
        };
        if passes_filters(self.rule, content, name, start, end, self.code_file) {
            out.push(RawMatch {
                rule: self.index,
                start,
                end,
            });
        }
    }
}

/// The longest value the generic rules read (`{8,200}` in their regexes).
const GENERIC_MAX_VALUE: usize = 200;

/// Checksum, entropy, placeholder and (for generic rules) name and value-shape
/// filters. `name` is the byte range of the assignment's name: the rule's `name`
/// group, else the text the regex matched before the secret.
pub fn passes_filters(
    rule: &Rule,
    content: &[u8],
    name: (usize, usize),
    start: usize,
    end: usize,
    code_file: bool,
) -> bool {
    let bytes = &content[start..end];
    let quoted = start > 0 && matches!(content[start - 1], b'"' | b'\'' | b'`');
    let generic = rule.spec.family == "generic";
    // Every test below must pass: the cheapest comes first.
    if generic && code_file && !quoted {
        return false;
    }
    let secret = String::from_utf8_lossy(bytes);
    if let Some(checksum) = rule.checksum
        && !checksum.verify(&secret)
    {
        return false;
    }
    if let Some(min) = rule.spec.min_entropy
        && filters::shannon_entropy(bytes) < min
    {
        return false;
    }
    if filters::is_placeholder(&secret) {
        return false;
    }
    if generic {
        // The regex stopped at its length cap inside a longer value: a blob (SealedSecret
        // ciphertext, a certificate), not a password someone typed.
        if end - start >= GENERIC_MAX_VALUE
            && content
                .get(end)
                .is_some_and(|b| b.is_ascii_graphic() && !b"\"'`;,<>(){}[]\\".contains(b))
        {
            return false;
        }
        let line = line_near(content, start, end);
        let (mut ns, ne) = name;
        // The regex starts at the keyword: take the rest of the identifier before it
        // (`NextToken`, `DB_PASSWORD`) so the name check sees the whole key.
        let floor = ns.saturating_sub(64);
        while ns > floor
            && matches!(content[ns - 1], b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.')
        {
            ns -= 1;
        }
        // `Type::Name = ...` and `AWS::X::ApiKey` are paths, not assignments.
        if ns >= 2 && &content[ns - 2..ns] == b"::" {
            return false;
        }
        let name = String::from_utf8_lossy(&content[ns.min(ne)..ne]);
        if !filters::generic_name_is_secret_like(&name)
            || !filters::generic_value_is_plausible(&secret, &String::from_utf8_lossy(line), quoted)
        {
            return false;
        }
    }
    true
}

/// Whether a path names a source-code file (by extension).
pub fn is_code_path(path: &str) -> bool {
    const CODE: &[&str] = &[
        "rs", "go", "java", "kt", "kts", "scala", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "cs",
        "js", "jsx", "mjs", "cjs", "ts", "tsx", "py", "rb", "php", "swift", "m", "mm", "dart",
        "lua", "pl", "pm", "r", "jl", "ex", "exs", "erl", "hs", "ml", "clj", "groovy", "vue",
        "svelte", "fs", "vb", "zig", "nim",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| CODE.iter().any(|c| ext.eq_ignore_ascii_case(c)))
}

/// Whether a path names a dependency lock file or checksum list.
pub fn is_lock_file(path: &str) -> bool {
    const LOCKS: &[&str] = &[
        "Cargo.lock",
        "go.sum",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "Pipfile.lock",
        "composer.lock",
        "Gemfile.lock",
        ".terraform.lock.hcl",
        "gradle.lockfile",
        "packages.lock.json",
        "mix.lock",
        "pubspec.lock",
        "Podfile.lock",
        "flake.lock",
        "uv.lock",
        "bun.lock",
        "deno.lock",
        "conda-lock.yml",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    LOCKS.contains(&name) || name.ends_with(".lockfile")
}

/// How far [`line_near`] looks for the line's ends (minified files have megabyte lines).
const LINE_REACH: usize = 512;

/// The line(s) holding `content[start..end]`, cut at [`LINE_REACH`] bytes each side:
/// the context the generic filters read around a value.
fn line_near(content: &[u8], start: usize, end: usize) -> &[u8] {
    let ls = line_start_within(content, start, LINE_REACH);
    let ceil = (end + LINE_REACH).min(content.len());
    let le = memchr::memchr(b'\n', &content[end..ceil]).map_or(ceil, |p| end + p);
    &content[ls..le]
}

/// The line(s) holding `content[start..end]`, cut at [`MAX_WINDOW_REACH`] bytes on
/// either side (a minified line holding thousands of matches must not be copied and
/// searched once per match).
pub fn line_of(content: &[u8], start: usize, end: usize) -> &[u8] {
    let (ls, le) = line_bounds(content, start, end);
    &content[ls..le]
}

/// Byte range of [`line_of`].
pub fn line_bounds(content: &[u8], start: usize, end: usize) -> (usize, usize) {
    let ls = line_start_within(content, start, MAX_WINDOW_REACH);
    let ceil = (end + MAX_WINDOW_REACH).min(content.len());
    let le = memchr::memchr(b'\n', &content[end..ceil]).map_or(ceil, |p| end + p);
    (ls, le)
}
