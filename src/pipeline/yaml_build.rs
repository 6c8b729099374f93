//! Builds the [`yaml`](super::yaml) tree in one pass over saphyr's parser events: the
//! bounds check, duplicate keys, aliases and positions are handled as each node is made,
//! with no intermediate tree and no second parse.
//!
//! It gives the same tree and the same first error as the bounds pre-pass followed by
//! saphyr's loader (a test compares the two on every YAML file of the fixtures); with
//! the last repeated key winning (GitLab, CircleCI, Bitbucket, Azure), a repeated key is
//! the occurrence that takes effect (the loader keeps the first one's node) and a
//! repeated merge key `<<` stays two entries (the loader drops the first). Inputs
//! that only an attacker writes and whose loader behaviour is odd (a key that is a
//! collection or an unparsable tagged scalar, an alias past saphyr's expansion budget)
//! are handed back to that slower path, so they behave exactly as before.

use super::yaml::{self, Bounds, Node, Source, Value};
use saphyr::Scalar;
use saphyr_parser::{Event, Marker, Parser, ScanError, Span, Tag};
use std::borrow::Cow;
use std::collections::HashMap;

/// saphyr's default budget (in nodes) for alias expansion: past it the loader fails.
const ALIAS_BUDGET: u64 = 100_000;

/// Mappings with more keys than this index their keys for the duplicate check.
const LINEAR_KEYS: usize = 24;

/// A mapping key as saphyr compares keys (by resolved value: `1` and `0x1` are the same
/// key, `1` and `"1"` are not). A string key is compared by the key node's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KeyId {
    Null,
    Bool(bool),
    Int(i64),
    /// The float's bits, with every NaN and both zeros made one value (as saphyr's
    /// `OrderedFloat` compares them).
    Float(u64),
    Str,
}

impl KeyId {
    fn of(s: &Scalar<'_>) -> KeyId {
        match s {
            Scalar::Null => KeyId::Null,
            Scalar::Boolean(b) => KeyId::Bool(*b),
            Scalar::Integer(i) => KeyId::Int(*i),
            Scalar::FloatingPoint(f) => KeyId::Float(if f.0.is_nan() {
                u64::MAX
            } else if f.0 == 0.0 {
                0
            } else {
                f.0.to_bits()
            }),
            Scalar::String(_) => KeyId::Str,
        }
    }
}

/// Why building stopped.
enum Stop {
    /// An error saphyr's parser reports (it wins over loader errors).
    Parse(String),
    /// An error saphyr's loader reports.
    Load(String),
    /// A case left to saphyr's loader.
    Fallback,
}

/// A collection being built. Its children wait on the builder's shared stacks (from
/// `start`), so that each collection is allocated once, at its full size.
struct Frame<'i> {
    /// The node, without its children.
    node: Node,
    is_map: bool,
    /// Where its items (or entries, and their key identities) start on the stacks.
    start: usize,
    keys_start: usize,
    anchor: usize,
    tag: Option<Cow<'i, Tag>>,
    /// A mapping's key waiting for its value, with its identity and start.
    key: Option<(Node, KeyId, Marker)>,
    /// Entry indexes by key, once the mapping has many keys.
    index: Option<HashMap<(KeyId, u64), Vec<u32>>>,
    /// Nodes below, as saphyr's alias budget counts them.
    count: u64,
    /// Whether a repeated key replaced an earlier entry (last key wins): the entries go
    /// back to source order when the mapping ends.
    replaced: bool,
}

/// An anchored node, kept for its aliases.
enum Anchored {
    /// A scalar, and its identity as a mapping key (`None`: it cannot be one). Its
    /// aliases are copies of it, value and position: `y: *n` after `x: &n 3` is the
    /// `3` written on `x`'s line.
    Scalar(Node, Option<KeyId>),
    /// A collection, and whether it carries a non-core tag.
    Tree(Node, bool),
}

struct Builder<'s, 'i> {
    src: &'s Source<'s>,
    stack: Vec<Frame<'i>>,
    /// Finished items of the open sequences, entries of the open mappings and their
    /// key identities (while a mapping has few keys), innermost last.
    items: Vec<Node>,
    entries: Vec<(Node, Node)>,
    keys: Vec<KeyId>,
    anchors: HashMap<usize, (Anchored, u64)>,
    /// Largest anchor id seen, and the first id of the current document: saphyr's
    /// loader forgets anchors between documents.
    max_anchor: usize,
    doc_first_anchor: usize,
    budget: u64,
    /// The current document's root, once complete.
    root: Option<Node>,
    /// The first document.
    first: Option<Node>,
    docs: usize,
    /// A key repeated in a mapping replaces the earlier one (else it is an error).
    last_key_wins: bool,
}

fn message(m: &Marker, info: &str) -> String {
    format!("{}:{}: {}", m.line(), m.col() + 1, info)
}

fn scan_error(e: &ScanError) -> String {
    message(e.marker(), e.info())
}

/// The index slot of a key: its identity, and for a string key a hash of its text.
fn slot_of(id: KeyId, key: &Node) -> (KeyId, u64) {
    use std::hash::{BuildHasher, RandomState};
    thread_local!(static STATE: RandomState = RandomState::new());
    let h = match (id, key.as_str()) {
        (KeyId::Str, Some(s)) => STATE.with(|st| st.hash_one(s)),
        _ => 0,
    };
    (id, h)
}

/// Parses the first document of `src` in one pass; `None` when the input needs saphyr's
/// own loader (see the module comment). With `last_key_wins`, a key repeated in a
/// mapping takes the place of the earlier one, at its own position (GitLab's, CircleCI's
/// and Bitbucket's readers), and a repeated merge key `<<` is kept as two entries, as
/// Ruby's Psych applies each merge in turn.
pub(super) fn build(src: &Source<'_>, last_key_wins: bool) -> Option<Result<Option<Node>, String>> {
    let mut bounds = Bounds::default();
    let mut b = Builder {
        src,
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        keys: Vec::new(),
        anchors: HashMap::new(),
        max_anchor: 0,
        doc_first_anchor: 1,
        budget: ALIAS_BUDGET,
        root: None,
        first: None,
        docs: 0,
        last_key_wins,
    };
    let mut parse_err: Option<String> = None;
    let mut load_err: Option<String> = None;
    for ev in Parser::new_from_str(src.text()) {
        let (ev, span) = match ev {
            Ok(x) => x,
            Err(e) => {
                parse_err.get_or_insert_with(|| scan_error(&e));
                break;
            }
        };
        // The bounds hold over the whole stream before any tree error counts.
        if let Err(e) = bounds.on_event(&ev, &span) {
            return Some(Err(e));
        }
        if parse_err.is_some() {
            continue;
        }
        if load_err.is_some() {
            // The loader ignores the rest, but the parser still refuses an alias to an
            // earlier document's anchor.
            parse_err = b.unknown_anchor(&ev, &span);
            continue;
        }
        match b.on_event(ev, span) {
            Ok(()) => {}
            Err(Stop::Parse(e)) => parse_err = Some(e),
            Err(Stop::Load(e)) => load_err = Some(e),
            Err(Stop::Fallback) => return None,
        }
    }
    if let Some(e) = parse_err.or(load_err) {
        return Some(Err(e));
    }
    Some(Ok(b.first))
}

impl<'i> Builder<'_, 'i> {
    fn on_event(&mut self, ev: Event<'i>, span: Span) -> Result<(), Stop> {
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.unknown_anchor(&ev, &span);
                Ok(())
            }
            Event::DocumentEnd => {
                let root = match self.root.take() {
                    Some(r) => r,
                    // An empty document: saphyr's `BadValue` at the end marker.
                    None => yaml::scalar_node(self.src, None, span.start.index(), span.end.index()),
                };
                if self.docs == 0 {
                    self.first = Some(root);
                }
                self.docs += 1;
                Ok(())
            }
            Event::Scalar(v, style, anchor, tag)
                if tag.as_ref().is_some_and(|t| !t.is_yaml_core_schema()) =>
            {
                // The scalar as written, its tag's name kept (saphyr's loader wraps it
                // in a tagged node whose span it takes).
                self.note_anchor(anchor);
                let inner = Scalar::parse_from_cow_and_metadata(v, style, None);
                let (start, end) = (span.start.index(), span.end.index());
                let mut node = yaml::scalar_node(self.src, inner, start, end);
                if let Some(t) = tag.filter(|t| t.handle == "!" && !t.suffix.is_empty()) {
                    node.tag = Some(t.suffix.as_str().into());
                }
                if anchor > 0 {
                    self.anchors
                        .insert(anchor, (Anchored::Scalar(node.clone(), None), 1));
                }
                self.insert(node, None, 1, span.start)
            }
            Event::Scalar(v, style, anchor, tag) => {
                self.note_anchor(anchor);
                let scalar = Scalar::parse_from_cow_and_metadata(v, style, tag.as_ref());
                let (start, end) = (span.start.index(), span.end.index());
                let key = scalar.as_ref().map(KeyId::of);
                let node = yaml::scalar_node(self.src, scalar, start, end);
                if anchor > 0 {
                    self.anchors
                        .insert(anchor, (Anchored::Scalar(node.clone(), key), 1));
                }
                self.insert(node, key, 1, span.start)
            }
            Event::Alias(id) => {
                if let Some(e) = self.unknown_anchor(&ev, &span) {
                    return Err(Stop::Parse(e));
                }
                let (start, end) = (span.start.index(), span.end.index());
                let Some((anchored, count)) = self.anchors.get(&id) else {
                    // An alias inside its own anchor: saphyr leaves a bad value.
                    let node = yaml::scalar_node(self.src, None, start, end);
                    return self.insert(node, None, 1, span.start);
                };
                let count = *count;
                if count > self.budget {
                    return Err(Stop::Fallback);
                }
                self.budget -= count;
                let (node, key) = match anchored {
                    Anchored::Scalar(n, key) => (n.clone(), *key),
                    Anchored::Tree(n, tagged) => {
                        let mut n = n.clone();
                        if *tagged {
                            n.index = start.min(n.index);
                        } else {
                            (n.line, n.col) = self.src.line_col(start);
                            n.index = start;
                            n.end_index = end;
                        }
                        (n, None)
                    }
                };
                self.insert(node, key, count, span.start)
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(false, anchor, tag, span.start);
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                self.open(true, anchor, tag, span.start);
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(f) = self.stack.pop() else {
                    return Ok(());
                };
                let mut node = f.node;
                node.value = if f.is_map {
                    self.keys.truncate(f.keys_start);
                    let mut entries: Vec<(Node, Node)> = self.entries.drain(f.start..).collect();
                    if f.replaced {
                        entries.sort_by_key(|(k, _)| k.index);
                    }
                    Value::Map(entries)
                } else {
                    Value::Seq(self.items.drain(f.start..).collect())
                };
                node.end_index = span.start.index();
                let tagged = f.tag.as_ref().is_some_and(|t| !t.is_yaml_core_schema());
                if let Some(t) = f.tag.filter(|_| tagged)
                    && t.handle == "!"
                    && !t.suffix.is_empty()
                {
                    node.tag = Some(t.suffix.as_str().into());
                }
                let count = f.count + 1;
                if f.anchor > 0 {
                    self.anchors
                        .insert(f.anchor, (Anchored::Tree(node.clone(), tagged), count));
                }
                self.insert(node, None, count, span.start)
            }
        }
    }

    /// Keeps track of documents and anchors only: the parser's error for an alias to an
    /// anchor of an earlier document (saphyr's loader forgets anchors between documents).
    fn unknown_anchor(&mut self, ev: &Event<'_>, span: &Span) -> Option<String> {
        match ev {
            Event::DocumentStart(_) => self.doc_first_anchor = self.max_anchor + 1,
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _) => self.note_anchor(*anchor),
            Event::Alias(id) if *id < self.doc_first_anchor => {
                return Some(message(
                    &span.start,
                    "while parsing node, found unknown anchor",
                ));
            }
            _ => {}
        }
        None
    }

    fn note_anchor(&mut self, anchor: usize) {
        self.max_anchor = self.max_anchor.max(anchor);
    }

    fn open(&mut self, is_map: bool, anchor: usize, tag: Option<Cow<'i, Tag>>, start: Marker) {
        self.note_anchor(anchor);
        let (index, _) = yaml::content_start(self.src, start.index(), None);
        self.stack.push(Frame {
            node: yaml::bare_node(self.src, index, index),
            is_map,
            start: if is_map {
                self.entries.len()
            } else {
                self.items.len()
            },
            keys_start: self.keys.len(),
            anchor,
            tag,
            key: None,
            index: None,
            count: 0,
            replaced: false,
        });
    }

    /// Adds a finished node to the open collection (or makes it the document's root).
    /// `key` is its identity as a mapping key (`None`: it cannot be one here).
    fn insert(
        &mut self,
        node: Node,
        key: Option<KeyId>,
        count: u64,
        mark: Marker,
    ) -> Result<(), Stop> {
        let Some(f) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        if !f.is_map {
            self.items.push(node);
            f.count += count;
            return Ok(());
        }
        let Some((k, id, key_mark)) = f.key.take() else {
            let Some(id) = key else {
                return Err(Stop::Fallback);
            };
            f.key = Some((node, id, mark));
            f.count += 1;
            return Ok(());
        };
        let entries = &self.entries[f.start..];
        let keys = &self.keys[f.keys_start..];
        let text = k.as_str();
        let same = |e: &(Node, Node)| id != KeyId::Str || e.0.as_str() == text;
        let earlier = match &f.index {
            Some(index) => index.get(&slot_of(id, &k)).and_then(|slot| {
                slot.iter()
                    .map(|&i| i as usize)
                    .find(|&i| same(&entries[i]))
            }),
            None => keys
                .iter()
                .zip(entries)
                .position(|(&kid, e)| kid == id && same(e)),
        };
        let merge = self.last_key_wins && text == Some("<<");
        if let Some(i) = earlier.filter(|_| !merge) {
            if !self.last_key_wins {
                return Err(Stop::Load(message(&key_mark, "duplicated key in mapping")));
            }
            self.entries[f.start + i] = (k, node);
            f.replaced = true;
            f.count += count;
            return Ok(());
        }
        let at = entries.len();
        match &mut f.index {
            Some(index) => index.entry(slot_of(id, &k)).or_default().push(at as u32),
            None if keys.len() >= LINEAR_KEYS => {
                let mut index: HashMap<(KeyId, u64), Vec<u32>> = HashMap::new();
                for (i, (kid, e)) in keys.iter().zip(entries).enumerate() {
                    index.entry(slot_of(*kid, &e.0)).or_default().push(i as u32);
                }
                index.entry(slot_of(id, &k)).or_default().push(at as u32);
                f.index = Some(index);
            }
            None => self.keys.push(id),
        }
        self.entries.push((k, node));
        f.count += count;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The one-pass tree and first error, against the loader's (`None`: handed back).
    fn differs(text: &str) -> Option<String> {
        differs_in(text, false)
    }

    fn differs_in(text: &str, last_key_wins: bool) -> Option<String> {
        let src = Source::new(text);
        let fast = build(&src, last_key_wins)?;
        let slow = crate::pipeline::yaml::load(&src, last_key_wins);
        let (f, s) = (format!("{fast:?}"), format!("{slow:?}"));
        // Around the first difference: whole trees are long.
        let at = f.bytes().zip(s.bytes()).take_while(|(a, b)| a == b).count();
        let from = at.saturating_sub(300);
        let cut = |t: &str| {
            t.get(from..(at + 200).min(t.len()))
                .unwrap_or(t)
                .to_string()
        };
        (f != s).then(|| format!("one pass: ...{}\nloader:   ...{}", cut(&f), cut(&s)))
    }

    fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                yaml_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }

    #[test]
    fn odd_documents_build_as_the_loader_builds_them() {
        let cases = [
            "",
            "---\n",
            "a: 1\n",
            "1: x\n\"1\": y\n",
            "a: &x 5\nb: *x\n",
            "a: &x \"q\"\nb: *x\n",
            "a: &x {k: v}\nb: *x\nc: [*x, *x]\n",
            "a: &x !reference [j, k]\nb: *x\n",
            "a: !custom {k: v}\nb: !!map {k: v}\nc: !!int 12\nd: !!int no\ne: !!str 3\n",
            "a: &x [*x]\n",
            "&k key: 1\n*k : 2\n",
            "&k key: 1\nother: *k\n",
            "a: 1\n---\nb: *x\n",
            "a: &x 1\n---\nb: *x\n",
            "a: &x 1\n---\nc: &x 2\nb: *x\n",
            "a: 1\n---\nb: 1\nb: 2\n",
            "a: &x 1\na: 2\n---\nb: *x\n",
            "a: [\n",
            "a: 1\na: 2\nb: [\n",
            "run: |\n  echo hi\n  echo ${{ x }}\nnext: 1\n",
            "k: >-\n  folded\n  text\n",
            "🚀: 中文 val\nkey: \"quoted value\" # c\n",
            "[a, b]: 1\n",
            "{a: 1}: 2\n",
            "!!int no: 1\nb: 2\n",
            "a: !!null x\n",
            "- - - x\n- [1, 2.5, true, ~, '']\n",
            "a:\nb: \nc: ''\n",
            "x: &a [1, 2]\ny: &a [3]\nz: *a\n",
            "a: !tag\nb: !Ref x\nc: &t !x 5\nd: *t\ne: !e \"q\"\n",
            "!k key: 1\n",
            "x: &n 3\ny: *n\nb: &t true\nc: *t\nf: &f 1.5\ng: *f\n",
            "a: &x |\n  l1\n  l2\nb: *x\nc: &e\nd: !t\ne: &m\n  k: v\n",
            "f: !!str &v 5\ng: [!t a, &q b, *q]\nh: !<tag:x> s\ni: &b >- # c\n  folded\n",
            "--- !tag\na: 1\n",
            "!top\na: !x 1\nb: &y !x 2\nc: *y\nd: !r [j, k]\n",
            "a: &p # c\n  !t\n  v\nb: *p\n",
        ];
        // Keys repeated in one mapping (the same key by value).
        let repeated = [
            "a: 1\na: 2\n",
            "1: x\n0x1: y\n",
            "1.0: x\n1.00: y\n",
            ".nan: x\n.NaN: y\n",
            "0.0: x\n-0.0: y\n",
            "true: x\nTrue: y\n",
            "~: x\nnull: y\n",
            "? a\n? a\n",
        ];
        for text in cases.into_iter().chain(repeated) {
            if let Some(d) = differs(text) {
                panic!("{text:?}\n{d}");
            }
            // Last key wins: the loader's tree, except that a repeated key is the
            // occurrence that takes effect (the loader keeps the first one's node, and
            // moves it only when it finds the last one's text in the source).
            let src = Source::new(text);
            if repeated.contains(&text) {
                let fast = build(&src, true).unwrap().unwrap().unwrap();
                let slow = crate::pipeline::yaml::load(&src, true).unwrap().unwrap();
                let ([(fk, fv)], [(_, sv)]) = (fast.entries(), slow.entries()) else {
                    panic!("{text:?}: {fast:?}");
                };
                assert_eq!(fk.line, 2, "{text:?}");
                assert_eq!(format!("{fv:?}"), format!("{sv:?}"), "{text:?}");
            } else if let Some(d) = differs_in(text, true) {
                panic!("last key wins: {text:?}\n{d}");
            }
        }
        let mut many = String::new();
        for i in 0..60 {
            many.push_str(&format!("k{i}: {i}\n"));
        }
        assert!(differs(&many).is_none());
        many.push_str("k7: again\n");
        assert!(differs(&many).is_none());
        let mut ints = many.clone();
        ints.push_str("0x7: hex\n");
        assert!(differs(&ints).is_none());
    }

    /// Every YAML file of the fixtures (and of `TOKENWARD_YAML_DIR`, when set, for a
    /// corpus of real files) builds as the loader builds it.
    #[test]
    fn fixtures_build_as_the_loader_builds_them() {
        let mut files = Vec::new();
        yaml_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut files,
        );
        assert!(files.len() > 50, "{} fixture files", files.len());
        if let Some(dir) = std::env::var_os("TOKENWARD_YAML_DIR") {
            yaml_files(std::path::Path::new(&dir), &mut files);
        }
        let mut bad = Vec::new();
        for p in &files {
            let Ok(text) = std::fs::read_to_string(p) else {
                continue;
            };
            for last_key_wins in [false, true] {
                if let Some(d) = differs_in(&text, last_key_wins) {
                    bad.push(format!("{} ({last_key_wins}): {d}", p.display()));
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}
