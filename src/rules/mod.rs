//! Secret rules: the TOML schema, loading and validation of the embedded rule files
//! (and user rule files), and lazy regex compilation.

use crate::finding::{Confidence, Lifetime, Severity};
use checksum::Checksum;
use regex_automata::meta::Regex;
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::OnceLock;

pub mod checksum;
pub mod leading;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The on-disk form of a rules file: a list of `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules in this file.
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
}

/// One secret rule as written in TOML (see `rules/README.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Kebab-case unique id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Rule family, for grouping and accuracy reports.
    #[serde(default = "default_family")]
    pub family: String,
    /// Case-insensitive literals that every match contains (or sits on a line with).
    pub keywords: Vec<String>,
    /// The regex; the secret is group `secret`, else group 1, else the whole match.
    pub regex: String,
    /// Severity of a leak.
    pub severity: Severity,
    /// How distinctive the format is.
    pub confidence: Confidence,
    /// What the credential type implies about its lifetime.
    pub lifetime: Lifetime,
    /// Optional named checksum validator.
    #[serde(default)]
    pub checksum: Option<String>,
    /// Optional Shannon entropy floor for the secret, in bits per character.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Run the regex over the whole file rather than around keyword hits.
    #[serde(default)]
    pub whole_file: bool,
    /// A vendor test-mode credential: reported as info.
    #[serde(default)]
    pub test_mode: bool,
    /// Ids of rules for the other half of a credential pair (an AWS key id's secret):
    /// when one of them reports a secret within a few lines, this match is part of
    /// that finding and is not reported on its own.
    #[serde(default)]
    pub reported_with: Option<Vec<String>>,
    /// What it is and why a leak matters.
    pub description: String,
    /// How to fix it.
    pub remediation: String,
    /// Vendor documentation.
    #[serde(default)]
    pub references: Vec<String>,
    /// Lines the full pipeline must report.
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Lines the full pipeline must not report.
    #[serde(default)]
    pub negative_examples: Vec<Example>,
}

/// A rule example: plain text (checked as `example.txt`), or text with the path of the
/// file it lives in (`{ path, text }`), so code quoting, lock-file and manifest
/// handling are checked per rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Example {
    /// Text checked as the content of `example.txt`.
    Text(String),
    /// Text checked as the content of a file at `path`.
    File {
        /// The file's path, relative, `/`-separated.
        path: String,
        /// The file's content.
        text: String,
    },
}

impl Example {
    /// The example's text.
    pub fn text(&self) -> &str {
        match self {
            Example::Text(t) | Example::File { text: t, .. } => t,
        }
    }

    /// The path the example is scanned as.
    pub fn path(&self) -> &str {
        match self {
            Example::Text(_) => "example.txt",
            Example::File { path, .. } => path,
        }
    }
}

impl std::fmt::Display for Example {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Example::Text(t) => write!(f, "{t}"),
            Example::File { path, text } => write!(f, "{path}: {text}"),
        }
    }
}

fn default_family() -> String {
    "generic".to_string()
}

/// A loaded rule: its spec plus lazily compiled matcher state.
#[derive(Debug)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    /// Resolved checksum validator.
    pub checksum: Option<Checksum>,
    regex: OnceLock<Option<CompiledRegex>>,
}

/// A compiled rule regex and the index of the group holding the secret.
#[derive(Debug)]
pub struct CompiledRegex {
    /// The compiled pattern.
    pub regex: Regex,
    /// Capture group index of the secret.
    pub secret_group: usize,
    /// Capture group `name`, when the pattern names the assignment's key apart from
    /// the text before the secret (a Kubernetes `name:` / `value:` pair).
    pub name_group: Option<usize>,
    /// Every match starts with one of the rule's keywords: the matcher runs the regex
    /// anchored at each keyword hit.
    pub anchored_at_keyword: bool,
    /// The bytes a match can start with (case kept): a hit of a case-insensitive
    /// keyword at another byte (`sk` in `task` for `SK[0-9a-f]{32}`) cannot start one.
    pub first_bytes: Option<leading::ByteSet>,
    /// Every match starts at a word start (`\b` then a word byte): a keyword hit right
    /// after a word byte cannot start one.
    pub word_start: bool,
    /// A punctuation byte every match contains: the matcher skips a window without it.
    pub required_byte: Option<u8>,
    /// The byte sets of every match's first bytes (see [`leading::prefix_sets`]): a
    /// keyword hit followed by other bytes cannot start a match.
    pub prefix: Vec<leading::ByteSet>,
}

impl Rule {
    /// Validates a spec (id, keywords, regex, checksum name) and wraps it.
    pub fn new(spec: RuleSpec) -> Result<Rule, String> {
        let id = spec.id.clone();
        if !is_kebab_case(&id) {
            return Err(format!("rule id `{id}` is not kebab-case"));
        }
        if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.trim().is_empty()) {
            return Err(format!("rule `{id}`: needs at least one non-empty keyword"));
        }
        let checksum = match &spec.checksum {
            None => None,
            Some(name) => Some(
                Checksum::parse(name)
                    .ok_or_else(|| format!("rule `{id}`: unknown checksum `{name}`"))?,
            ),
        };
        Ok(Rule {
            spec,
            checksum,
            regex: OnceLock::new(),
        })
    }

    /// Whether this rule is a fallback that yields to a specific rule reporting the
    /// same bytes: generic assignments, config-file credentials, HTTP headers and JWTs.
    pub fn is_fallback(&self) -> bool {
        matches!(
            self.spec.family.as_str(),
            "generic" | "config-file" | "http"
        )
    }

    /// The rule id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Compiles the regex on first use (so a scan pays only for the rules its files
    /// can trigger). `None` only for an invalid pattern, which validation rejects:
    /// built-in rules in tests, user rules by [`Rule::compile_now`] at load time.
    pub fn regex(&self) -> Option<&CompiledRegex> {
        self.regex.get_or_init(|| compile(&self.spec).ok()).as_ref()
    }

    /// Compiles the regex now, returning a clear error for a bad pattern.
    pub fn compile_now(&self) -> Result<(), String> {
        let compiled =
            compile(&self.spec).map_err(|e| format!("rule `{}`: bad regex: {e}", self.spec.id))?;
        let _ = self.regex.set(Some(compiled));
        Ok(())
    }
}

/// Longest rule regex accepted: far above any real token format, and a bound on the
/// work a user rule (or an imported gitleaks rule) can ask for at compile time.
pub const MAX_REGEX_LEN: usize = 4096;

fn compile(spec: &RuleSpec) -> Result<CompiledRegex, String> {
    let pattern = &spec.regex;
    if pattern.len() > MAX_REGEX_LEN {
        return Err(format!(
            "regex is {} bytes long; at most {MAX_REGEX_LEN} are accepted",
            pattern.len()
        ));
    }
    // ASCII semantics (`\w`, `\b`, `(?i)`) on bytes: token formats are ASCII, and
    // Unicode classes make the lazy DFA give up and fall back to the slow PikeVM.
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    let anchored_at_keyword = leading::starts_with_a_keyword(&hir, &spec.keywords);
    let regex = Regex::builder()
        .configure(
            Regex::config()
                .utf8_empty(false)
                .nfa_size_limit(Some(32 * 1024 * 1024))
                .dfa_size_limit(Some(8 * 1024 * 1024))
                // Anchored searches never use a literal prefilter, and building one is
                // a third of the compile time (one-file pre-commit runs pay it). A
                // whole-file rule searches whole files unanchored: without a prefilter
                // that is a lazy-DFA step per byte (`netrc-password`'s `\bmachine` cost
                // more than every other rule together on real sources).
                .auto_prefilter(!anchored_at_keyword || spec.whole_file),
        )
        .build_from_hir(&hir)
        .map_err(|e| e.to_string())?;
    let info = regex.group_info();
    let pid = regex_automata::PatternID::ZERO;
    let secret_group = info
        .to_index(pid, "secret")
        .unwrap_or(if info.group_len(pid) > 1 { 1 } else { 0 });
    let name_group = info.to_index(pid, "name");
    Ok(CompiledRegex {
        regex,
        secret_group,
        name_group,
        anchored_at_keyword,
        first_bytes: leading::first_bytes(&hir),
        word_start: leading::starts_at_word_start(&hir),
        required_byte: leading::required_byte(&hir),
        prefix: leading::prefix_sets(&hir),
    })
}

/// Whether `s` is lowercase kebab-case (`a-z`, `0-9`, single dashes).
pub fn is_kebab_case(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses one rules file's TOML text; `origin` names it in errors.
pub fn parse_rule_file(origin: &str, text: &str) -> Result<Vec<Rule>, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| format_toml_error(origin, text, &e))?;
    file.rule
        .into_iter()
        .map(|spec| Rule::new(spec).map_err(|e| format!("{origin}: {e}")))
        .collect()
}

/// Formats a TOML error as `file:line:col: message` (one line).
pub fn format_toml_error(origin: &str, text: &str, err: &toml::de::Error) -> String {
    let msg = err.message().replace('\n', " ");
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{origin}:{line}:{col}: {msg}")
        }
        None => format!("{origin}: {msg}"),
    }
}

/// Loads every embedded rule; fails on duplicate ids.
pub fn builtin_rules() -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (name, json) in EMBEDDED_RULE_FILES {
        let file: RuleFile =
            serde_json::from_str(json).map_err(|e| format!("rules/{name}: {e}"))?;
        for spec in file.rule {
            rules.push(Rule::new(spec).map_err(|e| format!("rules/{name}: {e}"))?);
        }
    }
    check_unique(&rules)?;
    Ok(rules)
}

/// Fails when two rules share an id.
pub fn check_unique(rules: &[Rule]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for r in rules {
        if !seen.insert(r.id()) {
            return Err(format!("duplicate rule id `{}`", r.id()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_led_rules_run_anchored_at_their_hits() {
        let rules = builtin_rules().expect("built-in rules load");
        let anchored = |id: &str| {
            rules
                .iter()
                .find(|r| r.id() == id)
                .and_then(Rule::regex)
                .is_some_and(|c| c.anchored_at_keyword)
        };
        for id in [
            "generic-secret-assignment",
            "generic-password-assignment",
            "github-pat-classic",
            "twilio-api-key",
        ] {
            assert!(anchored(id), "{id} should run anchored at its keyword hits");
        }
        // Matches that start before the keyword (`https://user:pass@`, `- name:`).
        for id in [
            "url-basic-auth-credentials",
            "generic-kubernetes-env-secret",
        ] {
            assert!(!anchored(id), "{id} must search the lines around its hits");
        }
        let count = rules
            .iter()
            .filter(|r| r.regex().is_some_and(|c| c.anchored_at_keyword))
            .count();
        eprintln!(
            "{count} of {} rules run anchored at keyword hits",
            rules.len()
        );
    }

    #[test]
    fn kebab_case() {
        assert!(is_kebab_case("github-pat-classic"));
        assert!(!is_kebab_case("GitHub"));
        assert!(!is_kebab_case("a--b"));
        assert!(!is_kebab_case("a_b"));
    }

    #[test]
    fn builtin_rules_load_and_compile() {
        let rules = builtin_rules().expect("built-in rules load");
        for r in &rules {
            r.compile_now().expect("regex compiles");
        }
    }
}
