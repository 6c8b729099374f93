//! A small YAML tree with source positions, built from saphyr's marked nodes, plus the
//! source-text helpers that turn positions into 1-based code-point spans.
//!
//! saphyr reports 0-based character columns and character indexes; its end markers are
//! not trusted for quoted scalars, so token ends are recomputed from the source line.
//! Anchors and aliases are resolved (an alias of a scalar is that scalar, position
//! included; an alias's children keep the anchor's positions); a node's properties
//! (`&anchor`, `!tag`) are not part of its text or position; `<<` merge keys stay
//! literal keys, as GitHub Actions treats them, unless a front end resolves them with
//! [`resolve_merge_keys`].

use crate::finding::Span;
use saphyr::{MarkedYaml, Scalar, YamlData};
use std::collections::HashMap;

/// How a scalar was written in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted.
    Plain,
    /// `'...'`.
    SingleQuoted,
    /// `"..."`.
    DoubleQuoted,
    /// `|` or `>` block scalar (its position is the first content line).
    Block,
    /// A mapping or sequence.
    Collection,
}

/// The content of a node.
#[derive(Debug, Clone)]
pub enum Value {
    /// A mapping, in source order (a repeated key is a parse error, or only its last
    /// occurrence is kept: [`parse_last_key_wins`]).
    Map(Vec<(Node, Node)>),
    /// A sequence.
    Seq(Vec<Node>),
    /// Any non-null scalar, as its string value (`false`, `3.10` keep their source text).
    Str(String),
    /// `~`, `null` or nothing.
    Null,
}

/// A YAML node and where it starts.
#[derive(Debug, Clone)]
pub struct Node {
    /// The content.
    pub value: Value,
    /// Start line, 1-based.
    pub line: usize,
    /// Start column, 0-based, in characters.
    pub col: usize,
    /// Start, as a character index into the source.
    pub index: usize,
    /// End (exclusive) as reported by saphyr, as a character index.
    pub end_index: usize,
    /// How the scalar was written.
    pub style: Style,
    /// A local tag's name (`reference` for GitLab's `!reference`), when the node has one.
    pub tag: Option<Box<str>>,
    /// Whether the node comes from another file than the one being audited (a GitLab
    /// template reached through `include:`): its positions are not this file's.
    pub foreign: bool,
}

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    /// The scalar's string value.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Whether this is null or absent-valued.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Calls `f` on every scalar below (and including) this node with its YAML path.
    pub fn walk_scalars<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a Node, &'a str)) {
        // Room for a few levels of keys: the path grows and shrinks in place.
        let mut buf = String::with_capacity(path.len() + 96);
        buf.push_str(path);
        self.walk_inner(&mut buf, f);
    }

    fn walk_inner<'a>(&'a self, path: &mut String, f: &mut dyn FnMut(&str, &'a Node, &'a str)) {
        let len = path.len();
        match &self.value {
            Value::Str(s) => f(path, self, s),
            Value::Null => {}
            Value::Seq(items) => {
                for (i, n) in items.iter().enumerate() {
                    push_index(path, i);
                    n.walk_inner(path, f);
                    path.truncate(len);
                }
            }
            Value::Map(m) => {
                for (k, v) in m {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k.as_str().unwrap_or("?"));
                    v.walk_inner(path, f);
                    path.truncate(len);
                }
            }
        }
    }
}

/// Appends `[i]` to a YAML path (without the formatting machinery: once per item of
/// every sequence walked).
fn push_index(path: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    path.push('[');
    for &d in &digits[at..] {
        path.push(char::from(d));
    }
    path.push(']');
}

/// The source text, indexed for position conversions.
#[derive(Debug)]
pub struct Source<'t> {
    text: &'t str,
    /// Byte offset of each line's start.
    line_bytes: Vec<usize>,
    /// Character index of each line's start.
    line_chars: Vec<usize>,
    /// Whether the text is ASCII (a character index is then a byte offset).
    ascii: bool,
}

impl<'t> Source<'t> {
    /// The whole source text.
    pub(super) fn text(&self) -> &'t str {
        self.text
    }

    /// Indexes `text`.
    pub fn new(text: &'t str) -> Self {
        // About one line per 40 bytes in CI files: few regrowths.
        let mut line_bytes = Vec::with_capacity(text.len() / 40 + 2);
        line_bytes.push(0);
        line_bytes.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let ascii = text.is_ascii();
        let line_chars = if ascii {
            line_bytes.clone()
        } else {
            // Characters before each line start: the bytes that begin a character.
            let bytes = text.as_bytes();
            let mut chars = 0;
            let mut prev = 0;
            line_bytes
                .iter()
                .map(|&b| {
                    chars += bytes[prev..b]
                        .iter()
                        .filter(|&&x| (x & 0xC0) != 0x80)
                        .count();
                    prev = b;
                    chars
                })
                .collect()
        };
        Source {
            text,
            line_bytes,
            line_chars,
            ascii,
        }
    }

    /// Whether the whole source contains `needle` (ASCII case-insensitive); a cheap
    /// prefilter for audits that only matter when a word appears at all.
    pub fn text_contains_ignore_case(&self, needle: &str) -> bool {
        let (h, n) = (self.text.as_bytes(), needle.as_bytes());
        let Some(&first) = n.first() else {
            return true;
        };
        // Jump between places where the first byte (in either case) occurs.
        let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
        let mut from = 0;
        while let Some(p) = memchr::memchr2(lower, upper, &h[from..]) {
            let at = from + p;
            match h.get(at..at + n.len()) {
                Some(w) if w.eq_ignore_ascii_case(n) => return true,
                Some(_) => from = at + 1,
                None => return false,
            }
        }
        false
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: usize) -> &'t str {
        let Some(&start) = self.line_bytes.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_bytes
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        let s = self.text.get(start..end).unwrap_or("");
        s.trim_end_matches(['\n', '\r'])
    }

    /// Converts a character index to a 1-based line and 0-based character column.
    pub fn line_col(&self, index: usize) -> (usize, usize) {
        let line = match self.line_chars.binary_search(&index) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        (line + 1, index - self.line_chars[line])
    }

    /// Converts a character index to a byte offset.
    fn byte_of(&self, index: usize) -> usize {
        if self.ascii {
            return index.min(self.text.len());
        }
        let (line, col) = self.line_col(index);
        self.byte_at(line, col)
    }

    /// Converts a 1-based line and 0-based character column to a byte offset.
    fn byte_at(&self, line: usize, col: usize) -> usize {
        let start = self.line_bytes[line - 1];
        // An all-ASCII line has as many bytes as characters: no need to walk it.
        if let (Some(&next_b), Some(&next_c)) =
            (self.line_bytes.get(line), self.line_chars.get(line))
            && next_b - start == next_c - self.line_chars[line - 1]
        {
            return (start + col).min(self.text.len());
        }
        let rest = self.text.get(start..).unwrap_or("");
        rest.char_indices()
            .nth(col)
            .map_or(self.text.len(), |(b, _)| start + b)
    }

    /// Converts a byte offset to a 1-based line and 0-based character column.
    fn line_col_of_byte(&self, byte: usize) -> (usize, usize) {
        let line = match self.line_bytes.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_bytes[line];
        let col = self.text.get(start..byte).map_or(0, |s| s.chars().count());
        (line + 1, col)
    }

    /// Column (0-based, characters) just past the token that starts at `col` on `line`.
    fn token_end(&self, node: &Node, line: usize, col: usize) -> usize {
        let text = self.line(line);
        // An ASCII line is its own character array: no copy of it.
        if text.is_ascii() {
            self.token_end_in(text.as_bytes(), node, line, col)
        } else {
            let chars: Vec<char> = text.chars().collect();
            self.token_end_in(&chars, node, line, col)
        }
    }

    /// [`Self::token_end`] over the line's characters.
    fn token_end_in<C: Copy + Into<char>>(
        &self,
        chars: &[C],
        node: &Node,
        line: usize,
        col: usize,
    ) -> usize {
        let at = |i: usize| chars.get(i).map(|&c| c.into());
        let trimmed_end = chars
            .iter()
            .rposition(|&c| !c.into().is_whitespace())
            .map_or(col + 1, |p| p + 1);
        match node.style {
            Style::DoubleQuoted => {
                let mut i = col + 1;
                while let Some(c) = at(i) {
                    match c {
                        '\\' => i += 2,
                        '"' => return i + 1,
                        _ => i += 1,
                    }
                }
                trimmed_end
            }
            Style::SingleQuoted => {
                let mut i = col + 1;
                while let Some(c) = at(i) {
                    if c == '\'' {
                        if at(i + 1) == Some('\'') {
                            i += 2;
                            continue;
                        }
                        return i + 1;
                    }
                    i += 1;
                }
                trimmed_end
            }
            Style::Plain => {
                let (end_line, end_col) = self.line_col(node.end_index);
                if end_line == line && end_col > col {
                    end_col
                } else {
                    trimmed_end
                }
            }
            Style::Block | Style::Collection => trimmed_end,
        }
        .max(col + 1)
    }

    /// The span of a node's first line: from its start to the end of its token.
    pub fn node_span(&self, node: &Node) -> Span {
        let (line, col) = self.line_col(node.index);
        let end = self.token_end(node, line, col);
        Span {
            start_line: line,
            start_column: col + 1,
            end_line: line,
            end_column: end + 1,
        }
    }

    /// The span from a key to the end of its value when both are on one line, else the key.
    pub fn pair_span(&self, key: &Node, value: &Node) -> Span {
        let k = self.node_span(key);
        if value.is_null() {
            return k;
        }
        let v = self.node_span(value);
        if v.start_line == k.start_line && value.style != Style::Collection {
            Span {
                end_column: v.end_column,
                ..k
            }
        } else {
            k
        }
    }

    /// The span of the `nth` occurrence (0-based) of `needle` in the source at or after
    /// `node`'s start, or `None` when it cannot be found there (e.g. folded across lines).
    pub fn find_in_node(&self, node: &Node, needle: &str, nth: usize) -> Option<Span> {
        if needle.is_empty() {
            return None;
        }
        let start = self.byte_of(node.index);
        // A block scalar's end marker can sit a line past its content; quoted ends can be
        // off by one. Allow a little slack, bounded by the next line after the end.
        let end_byte = self.byte_of(node.end_index.max(node.index));
        let (end_line, _) = self.line_col_of_byte(end_byte);
        let limit = self
            .line_bytes
            .get(end_line)
            .copied()
            .unwrap_or(self.text.len());
        let hay = self.text.get(start..limit)?;
        let (off, _) = hay.match_indices(needle).nth(nth)?;
        let b = start + off;
        let (line, col) = self.line_col_of_byte(b);
        let first_line_len = needle.split('\n').next().unwrap_or("").chars().count();
        Some(Span {
            start_line: line,
            start_column: col + 1,
            end_line: line,
            end_column: col + 1 + first_line_len.max(1),
        })
    }
}

/// Parses the first YAML document of `text`. `Ok(None)` for an empty file.
pub fn parse(text: &str) -> Result<Option<Node>, String> {
    parse_indexed(&Source::new(text))
}

/// Parses the first YAML document of an already indexed source, in one pass over the
/// parser's events (see [`super::yaml_build`]); a key repeated in one mapping is an
/// error (as the YAML spec and GitHub Actions have it: "'x' is already defined").
pub fn parse_indexed(src: &Source<'_>) -> Result<Option<Node>, String> {
    match super::yaml_build::build(src, false) {
        Some(parsed) => parsed,
        None => parse_with_loader(src),
    }
}

/// Parses the first YAML document with the bounds pre-pass and saphyr's own loader: the
/// reference the one-pass builder is tested against, and its fallback for odd inputs.
pub(super) fn parse_with_loader(src: &Source<'_>) -> Result<Option<Node>, String> {
    load(src, false)
}

/// Parses the first YAML document of an already indexed source, accepting a key repeated
/// in one mapping with the last one winning, as GitLab (Ruby's Psych) and the Java YAML
/// readers of CircleCI and Bitbucket do. The surviving key keeps its own position (the
/// last occurrence), so a finding on it points at the line that takes effect; a
/// repeated merge key `<<` stays two entries, both merged (as Psych does).
pub fn parse_last_key_wins(src: &Source<'_>) -> Result<Option<Node>, String> {
    match super::yaml_build::build(src, true) {
        Some(parsed) => parsed,
        None => load(src, true),
    }
}

/// Parses the first YAML document with the bounds pre-pass and saphyr's own loader,
/// repeated keys an error or the last one winning.
pub(super) fn load(src: &Source<'_>, duplicates: bool) -> Result<Option<Node>, String> {
    let aliases = alias_targets(src.text)?;
    let at = |e: &saphyr::ScanError| {
        let m = e.marker();
        format!("{}:{}: {}", m.line(), m.col() + 1, e.info())
    };
    let mut loader = saphyr::YamlLoader::<MarkedYaml<'_>>::default();
    loader.allow_duplicate_keys(duplicates);
    saphyr_parser::Parser::new_from_str(src.text)
        .load(&mut loader, true)
        .map_err(|e| at(&e))?;
    if let Some(e) = loader.error() {
        return Err(at(e));
    }
    let docs = loader.into_documents();
    Ok(docs.first().map(|first| convert(first, src, &aliases)))
}

/// Moves a mapping key that the loader kept from an earlier duplicate to its last
/// occurrence: the nearest line between the key and its value that holds the same key
/// at the same column. Returns whether it moved.
fn relocate_duplicate_key(key: &mut Node, value: &Node, src: &Source<'_>) -> bool {
    let Some(name) = key.as_str() else {
        return false;
    };
    if value.line <= key.line + 1 || name.is_empty() {
        return false;
    }
    let quoted = [format!("\"{name}\""), format!("'{name}'")];
    for l in (key.line + 1..=value.line).rev() {
        let text = src.line(l);
        let indent = text.chars().take_while(|c| *c == ' ').count();
        if indent != key.col {
            continue;
        }
        let rest = &text[indent..];
        let after = [name, quoted[0].as_str(), quoted[1].as_str()]
            .iter()
            .find_map(|k| rest.strip_prefix(k));
        if after.is_some_and(|a| a.trim_start().starts_with(':')) {
            let len = key.end_index.saturating_sub(key.index);
            key.line = l;
            key.index = src.line_chars[l - 1] + indent;
            key.end_index = key.index + len;
            return true;
        }
    }
    false
}

/// Deepest nesting of collections a pipeline file may have. Real workflows stay far
/// below 20; the tree builder, the conversion and dropping recurse once per level, so
/// an unbounded depth (a 5 KB file of `- - - ...`) overflows a thread's stack.
pub const MAX_DEPTH: usize = 128;

/// Most nodes a document may expand to, counting each alias as a copy of its anchor:
/// the tree builder copies anchors, so nested aliases ("billion laughs") would
/// otherwise exhaust memory from a few hundred bytes.
pub const MAX_NODES: u64 = 1_000_000;

/// One open collection during the bounds check.
struct Open {
    anchor: usize,
    nodes_at_start: u64,
    height: usize,
}

/// The bounds check's state over one event stream: nesting at most [`MAX_DEPTH`]
/// levels, and at most [`MAX_NODES`] nodes counting each alias as a copy of its anchor.
#[derive(Default)]
pub(super) struct Bounds {
    stack: Vec<Open>,
    /// Anchor id -> (expanded node count, height).
    anchors: std::collections::HashMap<usize, (u64, usize)>,
    nodes: u64,
}

impl Bounds {
    /// Takes the next event; `Err` names the first bound it breaks.
    pub(super) fn on_event(
        &mut self,
        ev: &saphyr_parser::Event<'_>,
        span: &saphyr_parser::Span,
    ) -> Result<(), String> {
        use saphyr_parser::Event;
        let too_deep = |m: &saphyr_parser::Marker| {
            format!(
                "{}:{}: nesting deeper than {MAX_DEPTH} levels; pipeline audits skipped",
                m.line(),
                m.col() + 1
            )
        };
        // Height of a finished node, to merge into its parent.
        let mut done: Option<usize> = None;
        match ev {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(too_deep(&span.start));
                }
                self.stack.push(Open {
                    anchor: *anchor,
                    nodes_at_start: self.nodes,
                    height: 0,
                });
                self.nodes += 1;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    let height = open.height + 1;
                    if open.anchor > 0 {
                        self.anchors
                            .insert(open.anchor, (self.nodes - open.nodes_at_start, height));
                    }
                    done = Some(height);
                }
            }
            Event::Scalar(_, _, anchor, _) => {
                self.nodes += 1;
                if *anchor > 0 {
                    self.anchors.insert(*anchor, (1, 1));
                }
                done = Some(1);
            }
            Event::Alias(id) => {
                let (count, height) = self.anchors.get(id).copied().unwrap_or((1, 1));
                if self.stack.len() + height > MAX_DEPTH + 1 {
                    return Err(too_deep(&span.start));
                }
                self.nodes = self.nodes.saturating_add(count);
                done = Some(height);
            }
            _ => {}
        }
        if let (Some(h), Some(parent)) = (done, self.stack.last_mut()) {
            parent.height = parent.height.max(h);
        }
        if self.nodes > MAX_NODES {
            return Err(format!(
                "{}:{}: the document expands to more than {MAX_NODES} nodes (aliases); pipeline audits skipped",
                span.start.line(),
                span.start.col() + 1
            ));
        }
        Ok(())
    }
}

/// Checks, with saphyr's event parser (a state machine that does not recurse), that the
/// document nests at most [`MAX_DEPTH`] levels and expands to at most [`MAX_NODES`]
/// nodes, before the recursive tree builder runs. A syntax error stops the check: the
/// tree builder stops at the same event and reports it.
pub fn check_bounds(text: &str) -> Result<(), String> {
    let mut bounds = Bounds::default();
    for ev in saphyr_parser::Parser::new_from_str(text) {
        let Ok((ev, span)) = ev else {
            return Ok(());
        };
        bounds.on_event(&ev, &span)?;
    }
    Ok(())
}

/// Where each alias of a scalar points: the alias's start index to the anchored
/// scalar's span (saphyr's loader gives the copy the alias's own span, so its text
/// would read `*name`). Runs the bounds check of [`check_bounds`] on the way.
fn alias_targets(text: &str) -> Result<HashMap<usize, (usize, usize)>, String> {
    use saphyr_parser::Event;
    let mut bounds = Bounds::default();
    let mut scalars: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut out = HashMap::new();
    for ev in saphyr_parser::Parser::new_from_str(text) {
        let Ok((ev, span)) = ev else {
            break;
        };
        bounds.on_event(&ev, &span)?;
        match ev {
            Event::Scalar(_, _, anchor, _) if anchor > 0 => {
                scalars.insert(anchor, (span.start.index(), span.end.index()));
            }
            Event::Alias(id) => {
                if let Some(&at) = scalars.get(&id) {
                    out.insert(span.start.index(), at);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn style_at(src: &Source<'_>, index: usize) -> Style {
    style_of_byte(src, src.byte_of(index))
}

/// The style of a scalar that starts at byte offset `byte`.
fn style_of_byte(src: &Source<'_>, byte: usize) -> Style {
    match src.text.as_bytes().get(byte) {
        Some(b'"') => Style::DoubleQuoted,
        Some(b'\'') => Style::SingleQuoted,
        _ => Style::Plain,
    }
}

/// The node of a scalar saphyr resolved to `scalar` (`None`: a bad value, such as a
/// tagged scalar that does not parse as its tag) between character indexes
/// `index..end_index`.
pub(super) fn scalar_node(
    src: &Source<'_>,
    scalar: Option<Scalar<'_>>,
    index: usize,
    end_index: usize,
) -> Node {
    let (index, block) = content_start(src, index, Some(end_index));
    let mut node = bare_node(src, index, end_index);
    if let Some(s) = scalar {
        let (line, col) = (node.line, node.col);
        let byte = src.byte_at(line, col);
        node.style = if block {
            Style::Block
        } else {
            style_of_byte(src, byte)
        };
        node.value = scalar_value(s, src, (byte, end_index), &mut node.style, (line, col));
    }
    node
}

/// Where a node's content starts when saphyr's span starts at its properties (`&a`,
/// `!tag`, `!<uri>`): past them and the blanks, comments and line breaks after them,
/// so that `x: &n 3` reads `3` and `!Ref x` points at `x`. A block scalar's header
/// (`&a |`) is skipped too: its content starts on the next line, where a block scalar
/// without properties starts (the `bool` says one was skipped). Content is never
/// looked for at or past `end` (a scalar's end; `None` for a collection, which always
/// has content): an empty node with properties stays where they are.
pub(super) fn content_start(src: &Source<'_>, index: usize, end: Option<usize>) -> (usize, bool) {
    let bytes = src.text.as_bytes();
    let start = src.byte_of(index);
    if !matches!(bytes.get(start), Some(b'&' | b'!')) {
        return (index, false);
    }
    let token_end = |mut b: usize| {
        while bytes
            .get(b)
            .is_some_and(|c| !c.is_ascii_whitespace() && !b",[]{}".contains(c))
        {
            b += 1;
        }
        b
    };
    let blanks = |mut b: usize| {
        loop {
            match bytes.get(b) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => b += 1,
                Some(b'#') => b = memchr::memchr(b'\n', &bytes[b..]).map_or(bytes.len(), |p| b + p),
                _ => return b,
            }
        }
    };
    let mut b = start;
    while let Some(&c @ (b'&' | b'!')) = bytes.get(b) {
        b = if c == b'!' && bytes.get(b + 1) == Some(&b'<') {
            memchr::memchr(b'>', &bytes[b..]).map_or(bytes.len(), |p| b + p + 1)
        } else {
            token_end(b)
        };
        b = blanks(b);
    }
    let block = matches!(bytes.get(b), Some(b'|' | b'>'))
        && src.line_col_of_byte(b).0 == src.line_col_of_byte(start).0;
    if block {
        let eol = memchr::memchr(b'\n', &bytes[b..]).map_or(bytes.len(), |p| b + p);
        b = blanks(eol);
    }
    let (line, col) = src.line_col_of_byte(b.min(bytes.len()));
    let at = src.line_chars[line - 1] + col;
    match end {
        Some(e) if at >= e => (index, false),
        _ => (at, block),
    }
}

/// A null node between character indexes `index..end_index`, styled as a collection
/// (what a collection starts as, and what saphyr's bad values become).
pub(super) fn bare_node(src: &Source<'_>, index: usize, end_index: usize) -> Node {
    let (line, col) = src.line_col(index);
    Node {
        value: Value::Null,
        line,
        col,
        index,
        end_index,
        style: Style::Collection,
        tag: None,
        foreign: false,
    }
}

/// Converts the loader's node; `aliases` (from [`alias_targets`]) sends an alias of a
/// scalar to the anchored scalar, its value and position.
fn convert(m: &MarkedYaml<'_>, src: &Source<'_>, aliases: &HashMap<usize, (usize, usize)>) -> Node {
    let index = m.span.start.index();
    let end_index = m.span.end.index();
    let (index, end_index) = aliases.get(&index).copied().unwrap_or((index, end_index));
    let mut node = bare_node(src, content_start(src, index, None).0, end_index);
    match &m.data {
        YamlData::Mapping(map) => {
            let mut moved = false;
            let mut entries: Vec<(Node, Node)> = map
                .iter()
                .map(|(k, v)| {
                    let (mut k, v) = (convert(k, src, aliases), convert(v, src, aliases));
                    moved |= relocate_duplicate_key(&mut k, &v, src);
                    (k, v)
                })
                .collect();
            // The loader moves a repeated key's entry to the end; put it back in source
            // order (of the occurrence that wins).
            if moved {
                entries.sort_by_key(|(k, _)| k.index);
            }
            node.value = Value::Map(entries);
        }
        YamlData::Sequence(seq) => {
            node.value = Value::Seq(seq.iter().map(|v| convert(v, src, aliases)).collect());
        }
        YamlData::Tagged(tag, inner) => {
            // A tagged scalar's inner node has no position of its own: it takes the
            // tagged node's (a collection keeps its own, as its start marker is set).
            let mut n = match &inner.data {
                YamlData::Value(s) => scalar_node(src, Some(s.clone()), index, end_index),
                YamlData::BadValue => scalar_node(src, None, index, end_index),
                _ => {
                    let mut n = convert(inner, src, aliases);
                    n.index = node.index.min(n.index);
                    n
                }
            };
            if tag.handle == "!" && !tag.suffix.is_empty() {
                n.tag = Some(tag.suffix.as_str().into());
            }
            return n;
        }
        YamlData::Value(s) => return scalar_node(src, Some(s.clone()), index, end_index),
        YamlData::Representation(s, _, _) => {
            node.style = style_at(src, index);
            node.value = Value::Str(s.to_string());
        }
        YamlData::BadValue => return scalar_node(src, None, index, end_index),
        YamlData::Alias(_) => {}
    }
    node
}

fn is_block_content(src: &Source<'_>, line: usize, col: usize) -> bool {
    if !src.line(line).chars().take(col).all(char::is_whitespace) {
        return false;
    }
    let mut l = line;
    while l > 1 {
        l -= 1;
        let text = src.line(l);
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        // Only a line with a block indicator can end with one.
        if !t.bytes().any(|b| b == b'|' || b == b'>') {
            return false;
        }
        // Drop a trailing comment (` #...`) from the header line.
        let t = t.find(" #").map_or(t, |p| t[..p].trim_end());
        let t = t.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
        return (t.ends_with('|') || t.ends_with('>'))
            && (t.len() == 1 || t[..t.len() - 1].trim_end().ends_with([':', '-']));
    }
    false
}

/// The value of a scalar starting at byte `start` and ending at character index `end`
/// (line and column of its start given).
fn scalar_value(
    s: Scalar<'_>,
    src: &Source<'_>,
    (start, end_index): (usize, usize),
    style: &mut Style,
    (line, col): (usize, usize),
) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::String(v) => {
            // A block scalar's start marker is its first content line, after the line
            // that holds the `|` or `>` indicator.
            if *style == Style::Plain && is_block_content(src, line, col) {
                *style = Style::Block;
            }
            Value::Str(v.into_owned())
        }
        Scalar::Boolean(_) | Scalar::Integer(_) | Scalar::FloatingPoint(_) => {
            let index = src.line_chars[line - 1] + col;
            let b = src.byte_of(end_index.max(index));
            let raw = src.text.get(start..b).unwrap_or("").trim();
            Value::Str(if raw.is_empty() {
                match s {
                    Scalar::Boolean(b) => b.to_string(),
                    Scalar::Integer(i) => i.to_string(),
                    Scalar::FloatingPoint(f) => f.to_string(),
                    _ => String::new(),
                }
            } else {
                raw.to_string()
            })
        }
    }
}

/// Marks `node` and everything below it as coming from another file.
pub fn mark_foreign(node: &mut Node) {
    let mut stack: Vec<&mut Node> = vec![node];
    while let Some(n) = stack.pop() {
        n.foreign = true;
        match &mut n.value {
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    k.foreign = true;
                    stack.push(v);
                }
            }
            Value::Seq(items) => stack.extend(items.iter_mut()),
            Value::Str(_) | Value::Null => {}
        }
    }
}

/// Resolves YAML merge keys (`<<: *base`, `<<: [*a, *b]`) below `node` as GitLab's YAML
/// reader (Ruby's Psych) does: the entries are read in order, and a merge sets each
/// key of the merged mapping, so it overrides the keys written before it and is
/// overridden by those written after it; of a list of mappings the earlier wins; a
/// merged mapping's own merges are resolved first; a `<<` whose value is not a
/// mapping (or a list of mappings) stays a plain key. Merged entries keep the
/// positions of their definition, so a finding about an inherited value lands where
/// it is written. GitHub Actions does not merge keys, so its front end leaves them.
pub fn resolve_merge_keys(node: &mut Node) {
    merge_below(node, 0);
}

fn merge_below(node: &mut Node, depth: usize) {
    // The parser bounds nesting (aliases included); the guard only makes the
    // recursion's bound visible here.
    if depth > MAX_DEPTH + 1 {
        return;
    }
    match &mut node.value {
        Value::Map(entries) => {
            for (_, v) in entries.iter_mut() {
                merge_below(v, depth + 1);
            }
            if entries.iter().any(|(k, _)| is_merge_key(k)) {
                let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
                for (k, v) in entries.drain(..) {
                    if !is_merge_key(&k) {
                        set_entry(&mut out, k, v);
                        continue;
                    }
                    let sources = match &v.value {
                        Value::Map(_) => vec![v],
                        Value::Seq(items) if items.iter().all(Node::is_map) => {
                            let Value::Seq(items) = v.value else {
                                unreachable!()
                            };
                            items
                        }
                        _ => {
                            set_entry(&mut out, k, v);
                            continue;
                        }
                    };
                    // Of several mappings, the earlier wins: set the later ones first.
                    for src in sources.into_iter().rev() {
                        if let Value::Map(m) = src.value {
                            for (mk, mv) in m {
                                set_entry(&mut out, mk, mv);
                            }
                        }
                    }
                }
                *entries = out;
            }
        }
        Value::Seq(items) => {
            for i in items {
                merge_below(i, depth + 1);
            }
        }
        Value::Str(_) | Value::Null => {}
    }
}

fn is_merge_key(k: &Node) -> bool {
    k.as_str() == Some("<<")
}

/// Sets `k` to `v` in `entries`: in place when the key is there (the new key node, so
/// its position is the one that takes effect), else at the end.
fn set_entry(entries: &mut Vec<(Node, Node)>, k: Node, v: Node) {
    match entries
        .iter_mut()
        .find(|(ek, _)| ek.as_str().is_some() && ek.as_str() == k.as_str())
    {
        Some(slot) => *slot = (k, v),
        None => entries.push((k, v)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_keep_the_last_at_its_own_position() {
        let text = "a:\n  x: 1\nb: 2\n'a':\n  y: 3\nc: 4\n";
        let src = Source::new(text);
        assert!(parse_indexed(&src).unwrap_err().contains("duplicated key"));
        let root = parse_last_key_wins(&src).unwrap().unwrap();
        let keys: Vec<(&str, usize)> = root
            .entries()
            .iter()
            .map(|(k, _)| (k.as_str().unwrap(), k.line))
            .collect();
        assert_eq!(keys, [("b", 3), ("a", 4), ("c", 6)]);
        let a = root.get("a").unwrap();
        assert!(a.get("x").is_none());
        assert_eq!(a.get("y").and_then(Node::as_str), Some("3"));
        // Unrepeated keys whose values start lines later stay where they are.
        let plain = parse_last_key_wins(&Source::new("a:\n\n  # c\n  x: 1\n")).unwrap();
        assert_eq!(plain.unwrap().entries()[0].0.line, 1);
    }

    #[test]
    fn deep_nesting_is_refused_before_the_tree_is_built() {
        let deep = "- ".repeat(2_500) + "x\n";
        let e = parse_indexed(&Source::new(&deep)).expect_err("too deep");
        assert!(e.contains("nesting deeper than"), "{e}");
        let flow = "[".repeat(200) + &"]".repeat(200);
        let e = check_bounds(&flow).expect_err("too deep");
        assert!(e.contains("nesting deeper than"), "{e}");
        let ok = "- ".repeat(MAX_DEPTH) + "x\n";
        assert!(check_bounds(&ok).is_ok());
        let over = "- ".repeat(MAX_DEPTH + 1) + "x\n";
        assert!(check_bounds(&over).is_err());
    }

    #[test]
    fn alias_expansion_is_bounded() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = check_bounds(&doc).expect_err("billion laughs");
        assert!(e.contains("expands to more than"), "{e}");
    }

    #[test]
    fn columns_count_code_points_after_emoji() {
        let text = "a: 1\n🚀: 中文 val\nkey: \"quoted value\" # c\n";
        let n = parse(text).unwrap().unwrap();
        let src = Source::new(text);
        let (k, v) = &n.entries()[1];
        assert_eq!(src.node_span(k).start_column, 1);
        let s = src.node_span(v);
        assert_eq!((s.start_line, s.start_column, s.end_column), (2, 4, 10));
        let (k, v) = &n.entries()[2];
        let s = src.pair_span(k, v);
        assert_eq!((s.start_line, s.start_column, s.end_column), (3, 1, 20));
    }

    #[test]
    fn block_scalar_lines() {
        let text = "run: |\n  echo hi\n  echo ${{ x }}\nnext: 1\n";
        let n = parse(text).unwrap().unwrap();
        let src = Source::new(text);
        let v = n.get("run").unwrap();
        assert_eq!(v.style, Style::Block);
        let s = src.find_in_node(v, "${{ x }}", 0).unwrap();
        assert_eq!((s.start_line, s.start_column), (3, 8));
        assert_eq!(n.get("next").unwrap().as_str(), Some("1"));
    }

    #[test]
    fn merge_keys_resolve_with_their_definition_positions() {
        let text = ".base: &base\n  image: alpine\n  variables:\n    A: 1\njob:\n  <<: *base\n  image: debian\n";
        let mut n = parse(text).unwrap().unwrap();
        resolve_merge_keys(&mut n);
        let job = n.get("job").unwrap();
        assert!(job.get("<<").is_none());
        assert_eq!(job.get("image").unwrap().as_str(), Some("debian"));
        let vars = job.get("variables").unwrap();
        assert_eq!(vars.get("A").unwrap().line, 4);
        let text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n";
        let mut n = parse(text).unwrap().unwrap();
        resolve_merge_keys(&mut n);
        let c = n.get("c").unwrap();
        assert_eq!(c.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(c.get("y").unwrap().line, 2);
    }

    /// Every reader: the one-pass builder in both modes (a repeated key an error, or
    /// the last one winning), and saphyr's loader (the fallback for odd inputs).
    fn both(text: &str) -> [Node; 3] {
        let src = Source::new(text);
        [
            parse_indexed(&src).unwrap().unwrap(),
            parse_last_key_wins(&src).unwrap().unwrap(),
            load(&src, true).unwrap().unwrap(),
        ]
    }

    #[test]
    fn anchors_and_tags_do_not_change_a_scalar_or_move_it() {
        let text = "x: &n 3\ny: *n\nb: &t true\nc: *t\nq: &s \"v\"\nr: *s\nblk: &k |\n  line\nv: !Ref Bucket\nw: &g !Sub \"arn:${X}\"\nz: *g\nd: &d # c\n  later\ne: &e\nf: 1\n";
        for n in both(text) {
            let at = |k: &str| {
                let v = n.get(k).unwrap();
                (v.as_str().map(str::to_string), v.line, v.col, v.style)
            };
            // An alias is the anchored scalar: its value and where it is written.
            assert_eq!(at("x"), (Some("3".into()), 1, 6, Style::Plain));
            assert_eq!(at("y"), at("x"));
            assert_eq!(at("b"), (Some("true".into()), 3, 6, Style::Plain));
            assert_eq!(at("c"), at("b"));
            assert_eq!(at("q"), (Some("v".into()), 5, 6, Style::DoubleQuoted));
            assert_eq!(at("r"), at("q"));
            assert_eq!(at("blk"), (Some("line\n".into()), 8, 2, Style::Block));
            // A scalar with a custom tag is where it is written (it was at 1:1).
            assert_eq!(at("v"), (Some("Bucket".into()), 9, 8, Style::Plain));
            assert_eq!(n.get("v").unwrap().tag.as_deref(), Some("Ref"));
            assert_eq!(
                at("w"),
                (Some("arn:${X}".into()), 10, 11, Style::DoubleQuoted)
            );
            assert_eq!(at("z"), at("w"));
            assert_eq!(n.get("z").unwrap().tag.as_deref(), Some("Sub"));
            assert_eq!(at("d"), (Some("later".into()), 13, 2, Style::Plain));
            assert!(n.get("e").unwrap().is_null());
            assert_eq!(at("f"), (Some("1".into()), 15, 3, Style::Plain));
        }
        let src = Source::new("a: !Ref   Bucket\n");
        let n = parse_indexed(&src).unwrap().unwrap();
        let s = src.node_span(n.get("a").unwrap());
        assert_eq!((s.start_line, s.start_column, s.end_column), (1, 11, 17));
    }

    #[test]
    fn merge_keys_merge_as_gitlab_reads_them() {
        let text = ".a: &a\n  image: a\n  variables: {A: 1}\n.b: &b\n  <<: *a\n  image: b\n.c: &c\n  image: c\n  tags: [c]\nbefore:\n  image: own\n  <<: *b\nafter:\n  <<: *b\n  image: own\nlist:\n  <<: [*c, *b]\nlit:\n  <<: [x]\n";
        let mut n = parse(text).unwrap().unwrap();
        resolve_merge_keys(&mut n);
        let get = |job: &str, key: &str| n.get(job).unwrap().get(key).map(|v| (v.as_str(), v.line));
        // A merge overrides what is written before it, not what comes after (Psych).
        assert_eq!(get("before", "image"), Some((Some("b"), 6)));
        assert_eq!(get("after", "image"), Some((Some("own"), 15)));
        // A merged mapping's own merge comes with it.
        assert!(get("before", "<<").is_none());
        assert_eq!(
            n.get("before")
                .unwrap()
                .get("variables")
                .unwrap()
                .get("A")
                .unwrap()
                .line,
            3
        );
        // Of a list, the earlier mapping wins; every one contributes.
        assert_eq!(get("list", "image"), Some((Some("c"), 8)));
        assert!(get("list", "tags").is_some() && get("list", "variables").is_some());
        // Not mappings: a plain key, as Psych keeps it.
        assert!(get("lit", "<<").is_some());
        // A repeated merge key is two merges, in turn (GitLab's reader); another
        // repeated key still keeps the last one.
        let text = ".a: &a {image: a, tags: [x]}\n.b: &b {image: b}\njob:\n  <<: *a\n  <<: *b\n  s: 1\n  s: 2\n";
        let mut n = parse_last_key_wins(&Source::new(text)).unwrap().unwrap();
        resolve_merge_keys(&mut n);
        let job = n.get("job").unwrap();
        assert_eq!(job.get("image").and_then(Node::as_str), Some("b"));
        assert!(job.get("tags").is_some());
        assert_eq!(job.get("s").and_then(Node::as_str), Some("2"));
        assert_eq!(job.entries().len(), 3);
    }

    #[test]
    fn case_blind_search_and_line_index() {
        let src = Source::new("a: x\n\u{e9}t\u{e9}: FromJSON(y)\nb: fromjso");
        assert!(src.text_contains_ignore_case("fromjson"));
        assert!(src.text_contains_ignore_case("FROMJSO"));
        assert!(!src.text_contains_ignore_case("fromjsonx"));
        assert!(!src.text_contains_ignore_case("secrets"));
        assert_eq!(src.line_col(5), (2, 0));
        assert_eq!(src.line_col(12), (2, 7));
        assert_eq!(src.line(3), "b: fromjso");
    }

    #[test]
    fn malformed_is_an_error() {
        assert!(parse("a: [\n").is_err());
        assert!(parse("a: 1\na: 2\n").is_err());
        assert!(parse("").unwrap().is_none());
    }
}
