//! Suppression: the one inline-comment syntax (plus the markers of peer tools that
//! users migrating to tokenward already have in their code), parsed in one function;
//! config `[[allow]]` entries with reason, owner and expiry; and the post-scan pass
//! that applies allows and the baseline and counts what each mechanism hid.

use crate::audit::AuditDoc;
use crate::baseline::Baseline;
use crate::finding::{Confidence, Finding, FindingBuilder, FindingKind, Severity, Span};
use crate::outcome::ScanResult;
use globset::GlobSet;
use std::collections::BTreeMap;

/// A finding that was hidden, with what hid it.
#[derive(Debug, Clone)]
pub struct Suppressed {
    /// The hidden finding.
    pub finding: Finding,
    /// `inline`, `config` or `baseline`.
    pub by: String,
    /// The reason given, when there is one.
    pub reason: String,
}

/// What an inline marker allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineAllow {
    /// Every rule on the line.
    All,
    /// Only the listed rule or audit ids.
    Rules(Vec<String>),
}

impl InlineAllow {
    /// Whether this marker covers `rule_id`.
    pub fn covers(&self, rule_id: &str) -> bool {
        match self {
            InlineAllow::All => true,
            InlineAllow::Rules(ids) => ids.iter().any(|id| id == rule_id),
        }
    }
}

/// Where an inline marker applies relative to its own line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The marker's own line (and, when alone on its line, the next one).
    SameOrNext,
    /// Only the next line (`pragma: allowlist nextline secret`).
    NextOnly,
}

/// Parses the suppression marker on one line, if any: `tokenward:allow`,
/// `tokenward:allow[id,id] reason`, `gitleaks:allow`, `pragma: allowlist secret`,
/// `pragma: allowlist nextline secret`, and zizmor's `zizmor: ignore[id,id]` for the
/// audits with a zizmor counterpart.
fn parse_marker(line: &str) -> Option<(InlineAllow, Reach)> {
    if let Some(i) = line.find("tokenward:allow") {
        let rest = &line[i + "tokenward:allow".len()..];
        if let Some(list) = rest.strip_prefix('[') {
            let ids = list.split(']').next().unwrap_or("");
            let ids: Vec<String> = ids
                .split(',')
                .map(|s| crate::audit::canonical_id(s.trim()).to_string())
                .filter(|s| !s.is_empty())
                .collect();
            return Some((InlineAllow::Rules(ids), Reach::SameOrNext));
        }
        return Some((InlineAllow::All, Reach::SameOrNext));
    }
    // zizmor's marker, for the audits that have a zizmor counterpart.
    if let Some(i) = line.find("zizmor: ignore[") {
        let list = &line[i + "zizmor: ignore[".len()..];
        let ids: Vec<String> = list
            .split(']')
            .next()
            .unwrap_or("")
            .split(',')
            .filter_map(|z| crate::audit::from_zizmor_id(z.trim()))
            .map(str::to_string)
            .collect();
        return Some((InlineAllow::Rules(ids), Reach::SameOrNext));
    }
    if line.contains("pragma: allowlist nextline secret") {
        return Some((InlineAllow::All, Reach::NextOnly));
    }
    if line.contains("gitleaks:allow") || line.contains("pragma: allowlist secret") {
        return Some((InlineAllow::All, Reach::SameOrNext));
    }
    None
}

/// Whether a line holds nothing but a comment.
fn is_comment_only(line: &str) -> bool {
    let t = line.trim_start();
    [
        "#", "//", "--", "/*", "<!--", ";", "%", "*", "'", "rem ", "REM ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// Whether `content` holds any inline suppression marker at all: one automaton pass
/// per file, so files without markers skip the per-finding line lookups.
pub fn has_inline_markers(content: &[u8]) -> bool {
    // Every marker holds `allow` or `ignore[`: two vectorised literal passes settle most
    // files (the automaton's rare-byte prefilter stops at every `:` of a YAML file).
    static WORDS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 2]> =
        std::sync::OnceLock::new();
    let [allow, ignore] = WORDS.get_or_init(|| {
        [
            memchr::memmem::Finder::new("allow"),
            memchr::memmem::Finder::new("ignore["),
        ]
    });
    if allow.find(content).is_none() && ignore.find(content).is_none() {
        return false;
    }
    static MARKERS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    MARKERS
        .get_or_init(|| {
            aho_corasick::AhoCorasick::new([
                "tokenward:allow",
                "gitleaks:allow",
                "pragma: allowlist",
                "zizmor: ignore[",
            ])
            .ok()
        })
        .as_ref()
        .is_none_or(|ac| ac.is_match(content))
}

/// Whether an inline marker suppresses `rule_id` on 1-based `line_no` of `content`.
pub fn inline_allows(content: &[u8], line_no: usize, rule_id: &str) -> bool {
    let lines: Vec<&[u8]> = content.split(|&b| b == b'\n').collect();
    inline_allows_in(&lines, line_no, rule_id)
}

/// [`inline_allows`] over a file already split into lines (`lines[0]` is line 1), so
/// that many findings in one file cost one split, not one scan each.
pub fn inline_allows_in(lines: &[&[u8]], line_no: usize, rule_id: &str) -> bool {
    let nth_line = |n: usize| line_at(lines, n);
    let line = nth_line(line_no);
    if let Some((allow, Reach::SameOrNext)) = line.as_deref().and_then(parse_marker)
        && allow.covers(rule_id)
    {
        return true;
    }
    if line_no > 1
        && let Some(prev) = nth_line(line_no - 1)
        && let Some((allow, reach)) = parse_marker(&prev)
    {
        let applies = reach == Reach::NextOnly || is_comment_only(&prev);
        return applies && allow.covers(rule_id);
    }
    false
}

/// The reason written after `tokenward:allow[...]` on the marker line that hides
/// `rule_id` at `line_no` (its own line, else the line above), if one was written; over
/// a file already split into lines, as [`inline_allows_in`].
pub fn inline_reason_in(lines: &[&[u8]], line_no: usize, rule_id: &str) -> Option<String> {
    let reason_on = |n: usize| {
        let line = line_at(lines, n)?;
        let i = line.find("tokenward:allow")?;
        let rest = &line[i + "tokenward:allow".len()..];
        let rest = match rest.strip_prefix('[') {
            Some(list) => {
                let (ids, after) = list.split_once(']')?;
                if !ids.split(',').any(|id| id.trim() == rule_id) {
                    return None;
                }
                after
            }
            None => rest,
        };
        let reason = rest
            .trim()
            .trim_end_matches("-->")
            .trim_end_matches("*/")
            .trim();
        (!reason.is_empty()).then(|| reason.to_string())
    };
    reason_on(line_no).or_else(|| {
        line_no
            .checked_sub(1)
            .filter(|n| *n > 0)
            .and_then(reason_on)
    })
}

/// The 1-based `n`th of `lines`, lossily decoded.
fn line_at(lines: &[&[u8]], n: usize) -> Option<String> {
    n.checked_sub(1)
        .and_then(|i| lines.get(i))
        .map(|l| String::from_utf8_lossy(l).into_owned())
}

pub use crate::finding::EXPIRED_ALLOW;

/// Documentation of the checks tokenward runs on its own configuration (shown by
/// `rules explain` and in SARIF rule metadata).
pub fn docs() -> Vec<AuditDoc> {
    vec![AuditDoc {
        id: EXPIRED_ALLOW,
        name: "Expired allow entry in tokenward.toml",
        severity: Severity::Medium,
        confidence: Confidence::High,
        description: "An `[[allow]]` entry in `tokenward.toml` has an `expires` date in the \
past. An expired entry stops hiding findings: everything it used to suppress is reported \
again, and this finding names the entry so that the exception is reviewed rather than \
silently renewed. Exceptions for machine credentials should end: a credential that was \
acceptable in a test fixture last year may have been promoted to production since.\n\n\
Example:\n\n```toml\n[[allow]]\nrule = \"github-pat-classic\"\npaths = [\"tests/fixtures/**\"]\n\
reason = \"fake token used by the parser tests\"\nowner = \"@platform-security\"\n\
expires = \"2024-01-31\"\n```",
        remediation: "Fix or remove the findings the entry covered, then delete the entry; \
or, if the exception is still justified, set a new `expires` date and say why in `reason`.",
    }]
}

/// A calendar date (proleptic Gregorian), as used by `expires`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1-12.
    pub month: u32,
    /// Day of month, 1-31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        let year = digits(0..4)? as i32;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        let d = Date { year, month, day };
        ((1..=12).contains(&month) && day >= 1 && day <= d.days_in_month()).then_some(d)
    }

    fn days_in_month(&self) -> u32 {
        let leap = (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0;
        match self.month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One `[[allow]]` entry of `tokenward.toml`, validated.
#[derive(Debug, Clone)]
pub struct Allow {
    /// Only findings of this rule or audit, when set.
    pub rule: Option<String>,
    /// The glob patterns as written (for notices).
    pub paths: Vec<String>,
    /// Compiled `paths`, when any were given.
    pub path_set: Option<GlobSet>,
    /// Only the finding with this fingerprint, when set.
    pub fingerprint: Option<String>,
    /// Why the exception exists (required).
    pub reason: String,
    /// Who owns the exception.
    pub owner: Option<String>,
    /// Last day the entry applies; after it the entry stops suppressing.
    pub expires: Option<Date>,
    /// `file:line` of the entry, for notices and the expired-allow finding.
    pub origin: String,
    /// Where the entry's `expires` value (or the entry) is in the config file.
    pub span: Span,
    /// Root-relative folder `paths` are relative to (the config's folder).
    pub base: String,
}

impl Allow {
    /// Whether the entry covers `f` (ignoring expiry).
    pub fn matches(&self, f: &Finding) -> bool {
        // The fingerprint last: a secret's is slow to derive the first time.
        self.rule.as_ref().is_none_or(|r| *r == f.rule_id)
            && self.path_set.as_ref().is_none_or(|g| {
                crate::paths::strip_base(&self.base, &f.path).is_some_and(|p| g.is_match(p))
            })
            && self
                .fingerprint
                .as_ref()
                .is_none_or(|h| h == f.fingerprint.get())
    }

    /// Whether the entry has expired on `today` (it applies through its `expires` day).
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    /// One-line description: the entry's location and what it covers.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.rule {
            parts.push(format!("rule {r}"));
        }
        if !self.paths.is_empty() {
            parts.push(format!("paths {}", self.paths.join(", ")));
        }
        if let Some(h) = &self.fingerprint {
            parts.push(format!("fingerprint {h}"));
        }
        parts.push(format!("reason \"{}\"", self.reason));
        if let Some(o) = &self.owner {
            parts.push(format!("owner {o}"));
        }
        if let Some(e) = self.expires {
            parts.push(format!("expires {e}"));
        }
        format!("allow entry {} ({})", self.origin, parts.join("; "))
    }
}

/// What the post-scan suppression pass needs.
#[derive(Debug)]
pub struct PostScan<'a> {
    /// Config `[[allow]]` entries.
    pub allows: &'a [Allow],
    /// The baseline given with `--baseline`, if any.
    pub baseline: Option<(&'a str, &'a Baseline)>,
    /// Per-rule severity overrides from the config.
    pub severity: &'a BTreeMap<String, Severity>,
    /// Path of the config file as findings show it (for expired-allow findings).
    pub config_path: Option<&'a str>,
    /// The date expiry is judged against.
    pub today: Date,
    /// The custom rules' examples: matches of them inside the config file itself are
    /// the rules' own documentation, not leaks.
    pub config_examples: &'a [String],
}

/// What the post-scan pass hid and what it wants the reader told.
#[derive(Debug, Default)]
pub struct PostScanOutcome {
    /// Every hidden finding with what hid it (inline, config, baseline).
    pub suppressed: Vec<Suppressed>,
    /// Hidden findings by mechanism.
    pub counts: BTreeMap<String, u64>,
    /// Which allows and baseline were applied, and how much each hid.
    pub notices: Vec<String>,
}

/// Moves `secret-reuse` findings whose fingerprint `baseline` records out of `findings`
/// (grouping runs after [`post_scan`]; a baseline may hold a group but not its members).
pub fn baseline_groups(
    findings: &mut Vec<Finding>,
    name: &str,
    baseline: &crate::baseline::Baseline,
    out: &mut PostScanOutcome,
) {
    let (hidden, kept): (Vec<Finding>, Vec<Finding>) =
        std::mem::take(findings).into_iter().partition(|f| {
            f.rule_id == crate::reuse::SECRET_REUSE && baseline.contains(f.fingerprint.get())
        });
    *findings = kept;
    if hidden.is_empty() {
        return;
    }
    *out.counts.entry("baseline".to_string()).or_default() += hidden.len() as u64;
    out.notices.push(format!(
        "baseline {name} hid {} reused-secret group(s)",
        hidden.len()
    ));
    out.suppressed
        .extend(hidden.into_iter().map(|finding| Suppressed {
            finding,
            by: "baseline".to_string(),
            reason: format!("in baseline {name}"),
        }));
}

/// Applies severity overrides, turns expired allows into findings, and moves findings
/// covered by a live allow entry or by the baseline out of `result.findings`. Inline
/// suppression already happened per file (it needs the file's text).
pub fn post_scan(result: &mut ScanResult, p: &PostScan) -> Result<PostScanOutcome, String> {
    let mut out = PostScanOutcome::default();
    if let Some(cfg) = p.config_path {
        result.findings.retain(|f| {
            f.path != cfg
                || !f
                    .secret
                    .as_ref()
                    .is_some_and(|s| p.config_examples.iter().any(|e| e.contains(s.as_str())))
        });
    }
    for f in result
        .findings
        .iter_mut()
        .chain(result.suppressed_inline.iter_mut())
    {
        if let Some(s) = p.severity.get(&f.rule_id) {
            f.severity = *s;
        }
    }
    for f in &result.suppressed_inline {
        out.suppressed.push(Suppressed {
            finding: f.clone(),
            by: "inline".to_string(),
            reason: f
                .suppression_reason
                .clone()
                .unwrap_or_else(|| "inline suppression comment".to_string()),
        });
    }
    let mut hits = vec![0u64; p.allows.len()];
    let mut baseline_hits = 0u64;
    let mut kept = Vec::with_capacity(result.findings.len());
    for f in std::mem::take(&mut result.findings) {
        let allow = p
            .allows
            .iter()
            .enumerate()
            .find(|(_, a)| !a.expired(p.today) && a.matches(&f));
        if let Some((i, a)) = allow {
            hits[i] += 1;
            out.suppressed.push(Suppressed {
                finding: f,
                by: "config".to_string(),
                reason: format!("{} ({})", a.reason, a.origin),
            });
        } else if let Some((name, b)) = p.baseline
            && b.contains(f.fingerprint.get())
        {
            baseline_hits += 1;
            out.suppressed.push(Suppressed {
                finding: f,
                by: "baseline".to_string(),
                reason: format!("in baseline {name}"),
            });
        } else {
            kept.push(f);
        }
    }
    for (a, n) in p.allows.iter().zip(&hits) {
        if a.expired(p.today) {
            out.notices.push(format!(
                "{} expired and no longer hides findings",
                a.describe()
            ));
            kept.push(expired_finding(a, p)?);
        } else if *n == 0 {
            out.notices.push(format!(
                "{} matched no finding; remove it if it is stale",
                a.describe()
            ));
        } else {
            out.notices
                .push(format!("{} hid {n} finding(s)", a.describe()));
        }
    }
    if let Some((name, b)) = p.baseline {
        out.notices.push(format!(
            "baseline {name} ({} entries) hid {baseline_hits} finding(s)",
            b.len()
        ));
    }
    result.findings = kept;
    for s in &out.suppressed {
        *out.counts.entry(s.by.clone()).or_default() += 1;
    }
    Ok(out)
}

/// The finding an expired allow entry produces, pointing at its `expires` value.
fn expired_finding(a: &Allow, p: &PostScan) -> Result<Finding, String> {
    let path = p.config_path.unwrap_or("tokenward.toml");
    let expires = a.expires.map(|e| e.to_string()).unwrap_or_default();
    let severity = p
        .severity
        .get(EXPIRED_ALLOW)
        .copied()
        .unwrap_or(Severity::Medium);
    FindingBuilder::new(EXPIRED_ALLOW, FindingKind::Config)
        .severity(severity)
        .confidence(Confidence::High)
        .message(format!(
            "The {} expired on {expires}; it no longer suppresses anything.",
            a.describe()
        ))
        .location(path, a.span)
        .remediation(
            "Fix the findings it covered and delete the entry, or set a new `expires` date with a reason.",
        )
        .fingerprint_key(format!(
            "{}\0{}\0{}\0{expires}",
            a.rule.as_deref().unwrap_or(""),
            a.paths.join("\0"),
            a.fingerprint.as_deref().unwrap_or("")
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_presence_is_found_by_its_words() {
        assert!(has_inline_markers(b"k: v # tokenward:allow\n"));
        assert!(has_inline_markers(
            b"run: x # zizmor: ignore[template-injection]"
        ));
        assert!(has_inline_markers(b"p = 1 # pragma: allowlist secret"));
        assert!(!has_inline_markers(b"on: push\njobs: {}\n"));
        // The words alone are not a marker.
        assert!(!has_inline_markers(b"allow: true\nignore[0]: x\n"));
    }

    #[test]
    fn dates_parse_and_compare() {
        assert_eq!(
            Date::parse("2027-03-31"),
            Some(Date {
                year: 2027,
                month: 3,
                day: 31
            })
        );
        assert_eq!(Date::parse("2027-02-30"), None);
        assert_eq!(Date::parse("2024-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("27-03-31"), None);
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(19_783).to_string(),
            "2024-03-01"
        );
        assert!(Date::today() > Date::parse("2024-01-01").expect("date"));
    }

    #[test]
    fn same_line_and_ids() {
        let c = b"a\ntoken = x # tokenward:allow[github-pat-classic] fixture\n";
        assert!(inline_allows(c, 2, "github-pat-classic"));
        assert!(!inline_allows(c, 2, "aws-access-key-id"));
    }

    #[test]
    fn line_above_only_when_alone() {
        let c = b"# tokenward:allow\nsecret\ncode() # tokenward:allow\nsecret2\n";
        assert!(inline_allows(c, 2, "any"));
        assert!(!inline_allows(c, 4, "any"));
    }

    #[test]
    fn peer_markers() {
        assert!(inline_allows(b"k = v # gitleaks:allow\n", 1, "x"));
        assert!(inline_allows(
            b"k = v  # pragma: allowlist secret\n",
            1,
            "x"
        ));
        assert!(inline_allows(
            b"# pragma: allowlist nextline secret\nk = v\n",
            2,
            "x"
        ));
    }
}
