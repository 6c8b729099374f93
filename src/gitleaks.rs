//! Importing gitleaks / Betterleaks rule files (`--gitleaks-config FILE`): each
//! `[[rules]]` entry (id, description, regex, secretGroup, keywords, entropy, path,
//! allowlists with regexes, paths and stopwords) becomes a tokenward rule, and the
//! allowlists become per-rule filters. Whatever cannot be mapped is returned as a
//! warning line naming the file, line and rule; nothing is dropped silently.

use crate::detect::matcher::line_of;
use crate::finding::{Confidence, Lifetime, Severity};
use crate::rules::{Rule, RuleSpec, format_toml_error, is_kebab_case};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use toml::{Table, Value};

/// What an allowlist's `regexes` are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegexTarget {
    /// The captured secret (gitleaks' default).
    #[default]
    Secret,
    /// The whole regex match.
    Match,
    /// The line holding the secret.
    Line,
}

/// One gitleaks allowlist: a finding it matches is not reported.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// `condition = "AND"`: every given criterion must match (default: any one).
    pub all: bool,
    /// Path regexes.
    pub paths: Vec<Regex>,
    /// Secret / match / line regexes.
    pub regexes: Vec<Regex>,
    /// What `regexes` apply to.
    pub target: RegexTarget,
    /// Lowercase words; a secret containing one is allowed.
    pub stopwords: Vec<String>,
}

impl Allowlist {
    fn allows(&self, path: &str, secret: &str, matched: &dyn Fn() -> String, line: &str) -> bool {
        let mut checks = Vec::with_capacity(3);
        if !self.paths.is_empty() {
            checks.push(self.paths.iter().any(|r| r.is_match(path)));
        }
        if !self.regexes.is_empty() {
            let target = match self.target {
                RegexTarget::Secret => secret.to_string(),
                RegexTarget::Match => matched(),
                RegexTarget::Line => line.to_string(),
            };
            checks.push(self.regexes.iter().any(|r| r.is_match(&target)));
        }
        if !self.stopwords.is_empty() {
            let s = secret.to_lowercase();
            checks.push(self.stopwords.iter().any(|w| s.contains(w.as_str())));
        }
        if checks.is_empty() {
            false
        } else if self.all {
            checks.iter().all(|c| *c)
        } else {
            checks.iter().any(|c| *c)
        }
    }
}

#[derive(Debug, Clone, Default)]
struct RuleFilter {
    path: Option<Regex>,
    allowlists: Vec<Allowlist>,
}

/// Detection filters imported from a gitleaks file: per-rule `path` restrictions and
/// allowlists, plus global allowlists that apply to every secret rule.
#[derive(Debug, Clone, Default)]
pub struct RuleFilters {
    by_rule: HashMap<String, RuleFilter>,
    global: Vec<Allowlist>,
}

impl RuleFilters {
    /// Whether there is nothing to filter.
    pub fn is_empty(&self) -> bool {
        self.by_rule.is_empty() && self.global.is_empty()
    }

    /// Whether a match of `rule` at `content[start..end]` in `path` survives the
    /// imported path restriction and allowlists.
    pub fn keeps(&self, rule: &Rule, path: &str, content: &[u8], start: usize, end: usize) -> bool {
        let own = self.by_rule.get(rule.id());
        if let Some(p) = own.and_then(|f| f.path.as_ref())
            && !p.is_match(path)
        {
            return false;
        }
        let own_lists = own.map_or(&[][..], |f| f.allowlists.as_slice());
        if own_lists.is_empty() && self.global.is_empty() {
            return true;
        }
        let secret = String::from_utf8_lossy(&content[start..end]);
        let line = String::from_utf8_lossy(line_of(content, start, end));
        let matched =
            || full_match(rule, content, start, end).unwrap_or_else(|| secret.to_string());
        !own_lists
            .iter()
            .chain(&self.global)
            .any(|a| a.allows(path, &secret, &matched, &line))
    }
}

/// The whole regex match whose secret is `content[start..end]`, found on its line.
fn full_match(rule: &Rule, content: &[u8], start: usize, end: usize) -> Option<String> {
    let compiled = rule.regex()?;
    let (ls, le) = crate::detect::matcher::line_bounds(content, start, end);
    let line = &content[ls..le];
    compiled.regex.captures_iter(line).find_map(|c| {
        let s = c.get_group(compiled.secret_group)?;
        let whole = c.get_match()?;
        (s.start + ls == start && s.end + ls == end)
            .then(|| String::from_utf8_lossy(&line[whole.range()]).into_owned())
    })
}

/// The result of importing a gitleaks file.
#[derive(Debug, Default)]
pub struct Imported {
    /// The rules that could be mapped, validated and compiled.
    pub rules: Vec<Rule>,
    /// Their path restrictions and allowlists, plus the global allowlists.
    pub filters: RuleFilters,
    /// One line per thing that could not be mapped (`file:line: ...`).
    pub warnings: Vec<String>,
}

/// Case-insensitive key lookup (gitleaks reads its config with viper, which ignores
/// key case: `secretGroup`, `secretgroup` and `SecretGroup` are the same key).
fn get<'a>(t: &'a Table, key: &str) -> Option<&'a Value> {
    t.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn tables(v: Option<&Value>) -> Vec<&Table> {
    match v {
        Some(Value::Table(t)) => vec![t],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_table).collect(),
        _ => Vec::new(),
    }
}

fn unknown_keys(t: &Table, known: &[&str]) -> Vec<String> {
    t.keys()
        .filter(|k| !known.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .cloned()
        .collect()
}

/// Writes warnings with the file and the line where `needle` first occurs.
struct Warn<'a> {
    origin: &'a str,
    text: &'a str,
    out: Vec<String>,
}

impl Warn<'_> {
    fn at(&mut self, needle: &str, msg: String) {
        let line = if needle.is_empty() {
            None
        } else {
            self.text
                .find(needle)
                .map(|i| self.text[..i].matches('\n').count() + 1)
        };
        self.out.push(match line {
            Some(l) => format!("{}:{l}: {msg}", self.origin),
            None => format!("{}: {msg}", self.origin),
        });
    }
}

/// Imports the gitleaks / Betterleaks rule file `text`; `origin` names it in messages;
/// `taken` holds ids already in use (an imported rule with such an id is renamed
/// `gitleaks-ID`). A file that is not TOML is an error; anything else that cannot be
/// mapped is a warning.
pub fn import(origin: &str, text: &str, taken: &HashSet<String>) -> Result<Imported, String> {
    let doc: Table = toml::from_str(text).map_err(|e| format_toml_error(origin, text, &e))?;
    let mut warn = Warn {
        origin,
        text,
        out: Vec::new(),
    };
    for k in unknown_keys(
        &doc,
        &[
            "title",
            "description",
            "minVersion",
            "extend",
            "rules",
            "allowlist",
            "allowlists",
        ],
    ) {
        warn.at(&k, format!("top-level key `{k}` is not supported; ignored"));
    }
    if get(&doc, "extend").is_some() {
        warn.at(
            "extend",
            "[extend] is not followed: tokenward always runs its own built-in rules (disable them in tokenward.toml instead of gitleaks' `disabledRules`)".to_string(),
        );
    }
    let mut imported = Imported::default();
    let mut used: HashSet<String> = taken.clone();
    let mut id_map: HashMap<String, String> = HashMap::new();
    let rules = tables(get(&doc, "rules"));
    if rules.is_empty() {
        warn.at("", "no [[rules]] found".to_string());
    }
    for t in rules {
        if let Some((rule, filter, orig)) = import_rule(t, &mut used, &mut warn) {
            id_map.insert(orig, rule.id().to_string());
            if filter.path.is_some() || !filter.allowlists.is_empty() {
                imported
                    .filters
                    .by_rule
                    .insert(rule.id().to_string(), filter);
            }
            imported.rules.push(rule);
        }
    }
    let mut globals = tables(get(&doc, "allowlist"));
    globals.extend(tables(get(&doc, "allowlists")));
    for t in globals {
        let list = parse_allowlist(t, "global allowlist", true, &mut warn);
        let targets = strings(get(t, "targetRules"));
        if targets.is_empty() {
            imported.filters.global.push(list);
            continue;
        }
        for target in targets {
            match id_map.get(&target) {
                Some(id) => imported
                    .filters
                    .by_rule
                    .entry(id.clone())
                    .or_default()
                    .allowlists
                    .push(list.clone()),
                None => warn.at(
                    &target,
                    format!("allowlist targets rule `{target}`, which was not imported; ignored"),
                ),
            }
        }
    }
    imported.warnings = warn.out;
    Ok(imported)
}

/// Maps one `[[rules]]` table; returns the rule, its filters and its original id.
fn import_rule(
    t: &Table,
    used: &mut HashSet<String>,
    warn: &mut Warn,
) -> Option<(Rule, RuleFilter, String)> {
    let Some(orig) = get(t, "id").and_then(Value::as_str).map(str::to_string) else {
        warn.at(
            "[[rules]]",
            "a [[rules]] entry has no `id`; skipped".to_string(),
        );
        return None;
    };
    let ctx = format!("gitleaks rule `{orig}`");
    for k in unknown_keys(
        t,
        &[
            "id",
            "description",
            "regex",
            "secretGroup",
            "entropy",
            "keywords",
            "path",
            "tags",
            "allowlist",
            "allowlists",
            "required",
            "skipReport",
        ],
    ) {
        warn.at(&orig, format!("{ctx}: key `{k}` is not supported; ignored"));
    }
    if get(t, "skipReport").and_then(Value::as_bool) == Some(true) {
        warn.at(
            &orig,
            format!("{ctx}: `skipReport` rules only feed composite rules, which tokenward does not support; skipped"),
        );
        return None;
    }
    if get(t, "required").is_some() {
        warn.at(
            &orig,
            format!("{ctx}: composite requirements ([[rules.required]]) are not supported; the rule reports on its own"),
        );
    }
    let Some(mut regex) = get(t, "regex").and_then(Value::as_str).map(str::to_string) else {
        warn.at(
            &orig,
            format!("{ctx}: has no `regex` (path-only rules are not supported); skipped"),
        );
        return None;
    };
    let group = get(t, "secretGroup")
        .and_then(Value::as_integer)
        .unwrap_or(0);
    if group > 0 {
        match name_group(&regex, group as u32) {
            Some(r) => regex = r,
            None => {
                warn.at(
                    &orig,
                    format!("{ctx}: `secretGroup = {group}` names no capture group of the regex; skipped"),
                );
                return None;
            }
        }
    }
    let mut keywords: Vec<String> = strings(get(t, "keywords"))
        .into_iter()
        .map(|k| k.to_ascii_lowercase())
        .filter(|k| !k.trim().is_empty())
        .collect();
    if keywords.is_empty() {
        match literal_prefixes(&regex) {
            Some(k) => keywords = k,
            None => {
                warn.at(
                    &orig,
                    format!("{ctx}: has no `keywords` and its regex has no literal prefix to use as one; skipped (add keywords)"),
                );
                return None;
            }
        }
    }
    let min_entropy = match get(t, "entropy") {
        Some(Value::Float(f)) if *f > 0.0 => Some(*f),
        Some(Value::Integer(i)) if *i > 0 => Some(*i as f64),
        _ => None,
    };
    let mut id = kebab(&orig);
    if id != orig {
        warn.at(
            &orig,
            format!("{ctx}: imported as `{id}` (tokenward ids are kebab-case)"),
        );
    }
    if used.contains(&id) {
        let renamed = format!("gitleaks-{id}");
        warn.at(
            &orig,
            format!("{ctx}: id `{id}` is already taken; imported as `{renamed}`"),
        );
        id = renamed;
        if used.contains(&id) {
            warn.at(&orig, format!("{ctx}: id `{id}` is also taken; skipped"));
            return None;
        }
    }
    let description = get(t, "description")
        .and_then(Value::as_str)
        .unwrap_or(&orig)
        .to_string();
    let spec = RuleSpec {
        reported_with: None,
        id: id.clone(),
        name: description.clone(),
        family: "gitleaks".to_string(),
        keywords,
        regex,
        severity: Severity::High,
        confidence: Confidence::Medium,
        lifetime: Lifetime::Unknown,
        checksum: None,
        min_entropy,
        // gitleaks runs a rule's regex over the whole file once a keyword occurs in it.
        whole_file: true,
        test_mode: false,
        description: format!(
            "{description} (imported from gitleaks rule `{orig}` in {}).",
            warn.origin
        ),
        remediation: "Remove the secret from the file, revoke and rotate it, and load it at run time from a secret store or CI secret.".to_string(),
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
    };
    let rule = match Rule::new(spec).and_then(|r| r.compile_now().map(|()| r)) {
        Ok(r) => r,
        Err(e) => {
            warn.at(
                &orig,
                format!(
                    "{ctx}: {} (Go regex syntax the Rust regex crate lacks?); skipped",
                    one_line(&e)
                ),
            );
            return None;
        }
    };
    let mut filter = RuleFilter::default();
    if let Some(p) = get(t, "path").and_then(Value::as_str) {
        match Regex::new(p) {
            Ok(r) => filter.path = Some(r),
            Err(e) => warn.at(
                &orig,
                format!(
                    "{ctx}: `path` regex not supported ({}); the rule runs on every path",
                    one_line(&e.to_string())
                ),
            ),
        }
    }
    let mut lists = tables(get(t, "allowlist"));
    lists.extend(tables(get(t, "allowlists")));
    for l in lists {
        filter
            .allowlists
            .push(parse_allowlist(l, &ctx, false, warn));
    }
    used.insert(id);
    Some((rule, filter, orig))
}

fn parse_allowlist(t: &Table, ctx: &str, global: bool, warn: &mut Warn) -> Allowlist {
    let mut known = vec![
        "description",
        "condition",
        "regexTarget",
        "regexes",
        "paths",
        "stopwords",
        "commits",
    ];
    if global {
        known.push("targetRules");
    }
    let anchor = strings(get(t, "regexes"))
        .into_iter()
        .chain(strings(get(t, "paths")))
        .next()
        .unwrap_or_default();
    for k in unknown_keys(t, &known) {
        warn.at(
            &anchor,
            format!("{ctx}: allowlist key `{k}` is not supported; ignored"),
        );
    }
    if !strings(get(t, "commits")).is_empty() {
        warn.at(
            &anchor,
            format!("{ctx}: allowlist `commits` are not supported; ignored"),
        );
    }
    let all = match get(t, "condition").and_then(Value::as_str) {
        Some(c) if c.eq_ignore_ascii_case("and") || c == "&&" => true,
        None => false,
        Some(c) if c.eq_ignore_ascii_case("or") || c == "||" || c.is_empty() => false,
        Some(c) => {
            warn.at(
                c,
                format!("{ctx}: allowlist condition `{c}` is unknown; treated as OR"),
            );
            false
        }
    };
    let target = match get(t, "regexTarget").and_then(Value::as_str) {
        None | Some("" | "secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(other) => {
            warn.at(
                other,
                format!("{ctx}: allowlist regexTarget `{other}` is unknown; matching the secret"),
            );
            RegexTarget::Secret
        }
    };
    let mut compile = |key: &str| -> Vec<Regex> {
        strings(get(t, key))
            .into_iter()
            .filter_map(|p| match Regex::new(&p) {
                Ok(r) => Some(r),
                Err(e) => {
                    warn.at(
                        &p,
                        format!(
                            "{ctx}: allowlist {key} pattern not supported ({}); not applied",
                            one_line(&e.to_string())
                        ),
                    );
                    None
                }
            })
            .collect()
    };
    let paths = compile("paths");
    let regexes = compile("regexes");
    Allowlist {
        all,
        paths,
        regexes,
        target,
        stopwords: strings(get(t, "stopwords"))
            .into_iter()
            .map(|w| w.to_lowercase())
            .filter(|w| !w.is_empty())
            .collect(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lowercase kebab-case form of a gitleaks id (`My_Rule` -> `my-rule`).
fn kebab(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if is_kebab_case(&out) {
        out
    } else {
        "unnamed".to_string()
    }
}

/// Rewrites `pattern` so that capture group `n` is the group named `secret` (which
/// the engine takes as the secret), using the regex parser's spans.
fn name_group(pattern: &str, n: u32) -> Option<String> {
    use regex_syntax::ast::{Ast, GroupKind};
    fn find(ast: &Ast, n: u32) -> Option<(usize, usize, bool)> {
        match ast {
            Ast::Group(g) => {
                match &g.kind {
                    GroupKind::CaptureIndex(i) if *i == n => {
                        return Some((g.span.start.offset + 1, g.span.start.offset + 1, true));
                    }
                    GroupKind::CaptureName { name, .. } if name.index == n => {
                        return Some((name.span.start.offset, name.span.end.offset, false));
                    }
                    _ => {}
                }
                find(&g.ast, n)
            }
            Ast::Alternation(a) => a.asts.iter().find_map(|x| find(x, n)),
            Ast::Concat(c) => c.asts.iter().find_map(|x| find(x, n)),
            Ast::Repetition(r) => find(&r.ast, n),
            _ => None,
        }
    }
    let ast = regex_syntax::ast::parse::Parser::new()
        .parse(pattern)
        .ok()?;
    let (s, e, insert) = find(&ast, n)?;
    let middle = if insert { "?P<secret>" } else { "secret" };
    Some(format!("{}{middle}{}", &pattern[..s], &pattern[e..]))
}

/// Literal prefixes every match of `pattern` starts with, lowercased, when there is a
/// small finite set of them of at least 3 bytes each: usable as keywords.
fn literal_prefixes(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let seq = regex_syntax::hir::literal::Extractor::new().extract(&hir);
    let lits = seq.literals()?;
    let mut out: Vec<String> = Vec::new();
    for l in lits {
        let s = std::str::from_utf8(l.as_bytes()).ok()?.to_ascii_lowercase();
        if s.trim().len() < 3 {
            return None;
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    (!out.is_empty() && out.len() <= 64).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_group_becomes_named() {
        assert_eq!(
            name_group(r"(key)=([a-z]{8})", 2).as_deref(),
            Some(r"(key)=(?P<secret>[a-z]{8})")
        );
        assert_eq!(
            name_group(r"(?P<k>key)=(?P<v>[a-z]{8})", 2).as_deref(),
            Some(r"(?P<k>key)=(?P<secret>[a-z]{8})")
        );
        assert_eq!(name_group(r"(a)", 3), None);
    }

    #[test]
    fn prefixes_as_keywords() {
        assert_eq!(
            literal_prefixes(r"acme_[a-z0-9]{20}"),
            Some(vec!["acme_".to_string()])
        );
        assert_eq!(literal_prefixes(r"[a-z0-9]{20}"), None);
    }

    #[test]
    fn kebab_ids() {
        assert_eq!(kebab("My_Rule"), "my-rule");
        assert_eq!(kebab("a--b"), "a-b");
    }
}
