//! The finding model shared by secret rules and pipeline audits, and the one builder
//! that refuses incomplete findings.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// How bad a finding is if real. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: not a leak (e.g. a vendor test-mode key).
    Info,
    /// Low severity.
    Low,
    /// Medium severity.
    Medium,
    /// High severity.
    High,
    /// Critical severity.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in config, CLI and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub code scanning's numeric `security-severity` for this level.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Info => "1.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }

    /// Parses a lowercase severity name.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the rule is that a match is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Often wrong; review.
    Low,
    /// Usually right.
    Medium,
    /// Format is distinctive (prefix, checksum): almost always right.
    High,
}

impl Confidence {
    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// What a credential type implies about how long a leaked value stays usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifetime {
    /// Valid until someone revokes it (static keys, classic PATs, private keys).
    LongLived,
    /// Expires on its own within hours (installation tokens, STS sessions, OIDC tokens).
    ShortLived,
    /// Depends on how it was issued.
    Unknown,
}

impl Lifetime {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Lifetime::LongLived => "long-lived",
            Lifetime::ShortLived => "short-lived",
            Lifetime::Unknown => "unknown",
        }
    }
}

/// Whether a finding comes from a secret rule or a pipeline audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A hard-coded credential matched by a secret rule.
    Secret,
    /// An over-broad privilege or credential problem in a CI pipeline.
    Pipeline,
    /// A problem with tokenward's own configuration (e.g. an expired allow entry).
    Config,
}

impl FindingKind {
    /// The lowercase name used in output and SARIF tags.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Secret => "secret",
            FindingKind::Pipeline => "pipeline",
            FindingKind::Config => "config",
        }
    }
}

/// A region of a file. Lines and columns are 1-based; columns count Unicode code
/// points; `end_column` is exclusive (SARIF's convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First line, 1-based.
    pub start_line: usize,
    /// First column, 1-based, in code points.
    pub start_column: usize,
    /// Last line, 1-based.
    pub end_line: usize,
    /// Column just past the end, 1-based, in code points.
    pub end_column: usize,
}

impl Span {
    /// Columns `start..end` of one line; an empty range still covers one column.
    pub fn on_line(line: usize, (start, end): (usize, usize)) -> Span {
        Span {
            start_line: line,
            start_column: start,
            end_line: line,
            end_column: end.max(start + 1),
        }
    }
}

/// The git commit that introduced a finding (history scans only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub id: String,
    /// Author name and email.
    pub author: String,
    /// Author date, ISO 8601.
    pub date: String,
}

/// One reported problem: a leaked credential or an over-privileged pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Id of the secret rule or audit that produced it.
    pub rule_id: String,
    /// Secret or pipeline.
    pub kind: FindingKind,
    /// Severity after config overrides.
    pub severity: Severity,
    /// Confidence of the rule.
    pub confidence: Confidence,
    /// Credential lifetime implied by the rule, when it concerns a credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<Lifetime>,
    /// One or two sentences: what is wrong.
    pub message: String,
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// Where in the file.
    pub span: Span,
    /// The matched text, redacted unless the user opted out.
    pub snippet: String,
    /// Stable identity: hash of rule id, path and secret (or YAML path), never the line.
    pub fingerprint: Fingerprint,
    /// How to fix it.
    pub remediation: String,
    /// Owner from CODEOWNERS, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Commit that introduced it (history scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
    /// The credential's history (history scans): first commit, age, still at HEAD,
    /// rotated, commits carrying it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineage: Option<crate::lineage::Lineage>,
    /// Controls of security frameworks (OWASP NHI, OWASP CI/CD, NIST CSF 2.0) the rule
    /// maps to; set when the report is assembled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<String>,
    /// Other places the same problem is (the same secret value in other files).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedLocation>,
    /// The raw secret; never serialized, used for redaction decisions and dedup.
    #[serde(skip)]
    pub secret: Option<String>,
    /// The reason written in the inline `tokenward:allow[id] reason` that hid it.
    #[serde(skip)]
    pub suppression_reason: Option<String>,
}

/// A finding's fingerprint. An audit's is computed when the finding is built; a secret's
/// ([`secret_fingerprint`], deliberately slow) on first use, so that a scan whose output
/// shows no fingerprint and compares none (text or annotations, no baseline, no
/// fingerprint in the config) never pays for it. [`resolve_fingerprints`] computes the
/// pending ones of a report on every thread at once.
#[derive(Debug, Clone)]
pub struct Fingerprint(FingerprintState);

#[derive(Debug, Clone)]
enum FingerprintState {
    Ready(String),
    /// Rule and path as they were when the finding was built, and the secret.
    Secret {
        rule_id: String,
        path: String,
        key: String,
        value: std::sync::OnceLock<String>,
    },
    /// [`fingerprint`] of rule, path and another finding's fingerprint (a group named
    /// by its first member).
    Derived {
        rule_id: String,
        path: String,
        from: Box<Fingerprint>,
        value: std::sync::OnceLock<String>,
    },
}

impl Fingerprint {
    /// A fingerprint already computed.
    pub fn ready(value: String) -> Self {
        Fingerprint(FingerprintState::Ready(value))
    }

    /// The fingerprint of a secret finding: [`secret_fingerprint`] of these, on first use.
    pub fn secret(rule_id: &str, path: &str, key: String) -> Self {
        Fingerprint(FingerprintState::Secret {
            rule_id: rule_id.to_string(),
            path: path.to_string(),
            key,
            value: std::sync::OnceLock::new(),
        })
    }

    /// [`fingerprint`] of rule, path and `from`'s value, when first used.
    pub fn derived(rule_id: &str, path: &str, from: &Fingerprint) -> Self {
        Fingerprint(FingerprintState::Derived {
            rule_id: rule_id.to_string(),
            path: path.to_string(),
            from: Box::new(from.clone()),
            value: std::sync::OnceLock::new(),
        })
    }

    /// The fingerprint (computed now if it was pending).
    pub fn get(&self) -> &str {
        match &self.0 {
            FingerprintState::Ready(v) => v,
            FingerprintState::Secret {
                rule_id,
                path,
                key,
                value,
            } => value.get_or_init(|| secret_fingerprint(rule_id, path, key)),
            FingerprintState::Derived {
                rule_id,
                path,
                from,
                value,
            } => value.get_or_init(|| fingerprint(rule_id, path, from.get())),
        }
    }

    /// Whether [`Fingerprint::get`] would have to compute it.
    pub fn is_pending(&self) -> bool {
        match &self.0 {
            FingerprintState::Ready(_) => false,
            FingerprintState::Secret { value, .. } | FingerprintState::Derived { value, .. } => {
                value.get().is_none()
            }
        }
    }

    /// A cheap identity, one-to-one with the fingerprint within one rule and path (for
    /// deduplication and ordering inside a process; never shown).
    pub fn identity(&self) -> (u8, &str) {
        match &self.0 {
            FingerprintState::Ready(v) => (0, v),
            FingerprintState::Secret { key, .. } => (1, key),
            FingerprintState::Derived { from, .. } => {
                let (tag, id) = from.identity();
                (tag.saturating_add(2), id)
            }
        }
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.get())
    }
}

/// Computes the pending fingerprints of `findings` on up to `threads` threads (0: one
/// per core), so that a report that shows them does not derive them one after another.
pub fn resolve_fingerprints(findings: &[Finding], threads: usize) {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        threads
    };
    let pending: Vec<&Fingerprint> = findings
        .iter()
        .map(|f| &f.fingerprint)
        .filter(|f| f.is_pending())
        .collect();
    let threads = threads.clamp(1, pending.len().max(1));
    if threads == 1 {
        pending.iter().for_each(|f| {
            f.get();
        });
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while let Some(f) =
                    pending.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    f.get();
                }
            });
        }
    });
}

/// Another place a finding's problem is, with why it is related.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedLocation {
    /// Path relative to the scan root.
    pub path: String,
    /// Where in the file.
    pub span: Span,
    /// Why it is related (`same value`, with the environment when known).
    pub message: String,
}

/// Builds a [`Finding`]; `build` refuses one without rule, location or message.
#[derive(Debug, Default)]
pub struct FindingBuilder {
    rule_id: Option<String>,
    kind: Option<FindingKind>,
    severity: Option<Severity>,
    confidence: Option<Confidence>,
    lifetime: Option<Lifetime>,
    message: Option<String>,
    path: Option<String>,
    span: Option<Span>,
    snippet: String,
    fingerprint_key: Option<String>,
    remediation: String,
    secret: Option<String>,
}

impl FindingBuilder {
    /// Starts a finding for `rule_id` of the given kind.
    pub fn new(rule_id: &str, kind: FindingKind) -> Self {
        FindingBuilder {
            rule_id: Some(rule_id.to_string()),
            kind: Some(kind),
            ..Default::default()
        }
    }
    /// Sets severity.
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = Some(s);
        self
    }
    /// Sets confidence.
    pub fn confidence(mut self, c: Confidence) -> Self {
        self.confidence = Some(c);
        self
    }
    /// Sets the credential lifetime.
    pub fn lifetime(mut self, l: Lifetime) -> Self {
        self.lifetime = Some(l);
        self
    }
    /// Sets the message.
    pub fn message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }
    /// Sets the location.
    pub fn location(mut self, path: &str, span: Span) -> Self {
        self.path = Some(path.to_string());
        self.span = Some(span);
        self
    }
    /// Sets the (already redacted, if needed) snippet.
    pub fn snippet(mut self, s: impl Into<String>) -> Self {
        self.snippet = s.into();
        self
    }
    /// Sets the remediation text.
    pub fn remediation(mut self, r: impl Into<String>) -> Self {
        self.remediation = r.into();
        self
    }
    /// Sets what identifies this finding apart from its line: the secret for secret
    /// rules, the YAML path of the offending node for audits.
    pub fn fingerprint_key(mut self, k: impl Into<String>) -> Self {
        self.fingerprint_key = Some(k.into());
        self
    }
    /// Keeps the raw secret on the finding (never serialized).
    pub fn secret(mut self, s: impl Into<String>) -> Self {
        self.secret = Some(s.into());
        self
    }

    /// Returns the finding, or names the missing field.
    pub fn build(self) -> Result<Finding, String> {
        let rule_id = self.rule_id.ok_or("finding without rule id")?;
        let path = self
            .path
            .ok_or_else(|| format!("{rule_id}: finding without location"))?;
        let span = self
            .span
            .ok_or_else(|| format!("{rule_id}: finding without span"))?;
        let message = self
            .message
            .ok_or_else(|| format!("{rule_id}: finding without message"))?;
        let key = self
            .fingerprint_key
            .ok_or_else(|| format!("{rule_id}: finding without fingerprint key"))?;
        // A secret's fingerprint goes into committed baselines: derive it slowly, and
        // only when something shows or compares it.
        let fingerprint = if self.secret.is_some() {
            Fingerprint::secret(&rule_id, &path, key)
        } else {
            Fingerprint::ready(fingerprint(&rule_id, &path, &key))
        };
        Ok(Finding {
            fingerprint,
            kind: self.kind.ok_or("finding without kind")?,
            severity: self
                .severity
                .ok_or_else(|| format!("{rule_id}: finding without severity"))?,
            confidence: self.confidence.unwrap_or(Confidence::Medium),
            lifetime: self.lifetime,
            message,
            path,
            span,
            snippet: self.snippet,
            remediation: self.remediation,
            owner: None,
            commit: None,
            lineage: None,
            frameworks: Vec::new(),
            related: Vec::new(),
            secret: self.secret,
            suppression_reason: None,
            rule_id,
        })
    }
}

/// Rounds of the SHA-256 compression function in [`secret_fingerprint`]: about 15 ms
/// per fingerprint on one core of a current machine, so checking a word list against a
/// committed baseline costs that much per guess and per (rule, path) entry.
pub const SECRET_ROUNDS: u32 = 1 << 16;

/// Fingerprint of a secret finding (`tokenward/v2`): stable across runs and line moves,
/// but slow to compute, so that a committed baseline does not let anyone confirm a
/// guessed secret cheaply. The salt is the rule id and the path, so each entry must be
/// attacked on its own and no table computed once serves every repository; then
/// [`SECRET_ROUNDS`] rounds of the SHA-256 compression function over the previous
/// state and the salt stretch the salted hash of the secret, and [`fingerprint`] of rule, path and that stretched value
/// is the result. Computed only when a finding's fingerprint is used ([`Fingerprint`]), and once
/// per distinct (rule, path, secret) in a process.
pub fn secret_fingerprint(rule_id: &str, path: &str, secret: &str) -> String {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static DONE: OnceLock<Mutex<HashMap<[u8; 32], String>>> = OnceLock::new();
    let mut salt = Sha256::new();
    salt.update(b"tokenward/v2\0");
    salt.update(rule_id.as_bytes());
    salt.update([0]);
    salt.update(path.as_bytes());
    let salt: [u8; 32] = salt.finalize().into();
    let mut h = Sha256::new();
    h.update(salt);
    h.update(secret.as_bytes());
    let seed: [u8; 32] = h.finalize().into();
    let done = DONE.get_or_init(Default::default);
    if let Some(f) = done.lock().ok().and_then(|m| m.get(&seed).cloned()) {
        return f;
    }
    // Each round is one SHA-256 compression (fixed IV) of the previous 32-byte state
    // followed by the salt: exactly one 64-byte block, so no padding block is needed.
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut block = sha2::digest::generic_array::GenericArray::from([0u8; 64]);
    block[..32].copy_from_slice(&seed);
    block[32..].copy_from_slice(&salt);
    for _ in 0..SECRET_ROUNDS {
        let mut state = IV;
        sha2::compress256(&mut state, std::slice::from_ref(&block));
        for (i, w) in state.iter().enumerate() {
            block[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
        }
    }
    let stretched = hex(&block[..32]);
    let f = fingerprint(rule_id, path, &stretched);
    if let Ok(mut m) = done.lock() {
        m.insert(seed, f.clone());
    }
    f
}

/// Stable fingerprint: hex SHA-256 (first 32 hex digits) of rule id, path and key.
/// Audit findings use it directly on the YAML path; secret findings through
/// [`secret_fingerprint`].
pub fn fingerprint(rule_id: &str, path: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    hex(&digest[..16])
}

/// Lowercase hex digits of `bytes`, in one string (not one formatted string per byte:
/// every finding gets a fingerprint).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Sorts findings by path, line, column, rule so output does not depend on threads.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.path, a.span, &a.rule_id, a.fingerprint.identity()).cmp(&(
            &b.path,
            b.span,
            &b.rule_id,
            b.fingerprint.identity(),
        ))
    });
}

/// Redacts a secret: keeps a short prefix (at most 4 characters, never more than a
/// quarter of it) and masks the rest with `*`, capped so long keys stay readable.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = (n / 4).min(4);
    let prefix: String = secret.chars().take(keep).collect();
    let masked = (n - keep).clamp(3, 12);
    format!("{prefix}{}", "*".repeat(masked))
}

/// Id of the finding an expired `[[allow]]` entry produces (a configuration check).
pub const EXPIRED_ALLOW: &str = "expired-allow";

/// What a reporter needs to know about one rule or audit.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// Rule or audit id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Secret rule or pipeline audit.
    pub kind: FindingKind,
    /// Default severity.
    pub severity: Severity,
    /// Default confidence (SARIF `precision`).
    pub confidence: Confidence,
    /// Credential lifetime, for secret rules.
    pub lifetime: Option<Lifetime>,
    /// Family (`cloud`, `ai`, ...) or `pipeline`.
    pub family: String,
    /// What it finds and why it matters.
    pub description: String,
    /// How to fix it.
    pub remediation: String,
    /// Documentation links.
    pub references: Vec<String>,
}

/// `text` with the credentials of every URL-like word in it redacted: the password of
/// `scheme://user:password@host` or `user:password@host` (and a long token used as the
/// whole user part, as in `https://TOKEN@host`) goes through [`redact`]. Audit messages
/// and snippets quote the YAML they judge, and a
/// `uses: docker://user:password@registry/img` must not print the password.
pub fn redact_url_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_delim = |c: char| c.is_whitespace() || "\"'`<>()[]{},;".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest.find(is_delim).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_end);
        out.push_str(&redact_word(word));
        let delim_len = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..delim_len]);
        rest = &tail[delim_len..];
    }
    std::borrow::Cow::Owned(out)
}

/// One word of [`redact_url_credentials`].
fn redact_word(word: &str) -> std::borrow::Cow<'_, str> {
    let (scheme, rest) = match word.find("://") {
        Some(i) => word.split_at(i + 3),
        None => ("", word),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..auth_end].rfind('@') else {
        return std::borrow::Cow::Borrowed(word);
    };
    let userinfo = &rest[..at];
    let shown = match userinfo.split_once(':') {
        Some((user, password)) if !password.is_empty() => format!("{user}:{}", redact(password)),
        None if !scheme.is_empty() && userinfo.chars().count() >= 20 => redact(userinfo),
        _ => return std::borrow::Cow::Borrowed(word),
    };
    std::borrow::Cow::Owned(format!("{scheme}{shown}{}", &rest[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_short_prefix_only() {
        let r = redact("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        assert!(r.starts_with("ghp_"));
        assert!(!r.contains("abc"));
        assert_eq!(redact("ab"), "***");
    }

    #[test]
    fn url_passwords_are_redacted() {
        let r = redact_url_credentials(
            "uses: docker://deploy:Sup3rS3cretPassw0rd@registry.example/img:1",
        );
        assert!(!r.contains("Sup3rS3cretPassw0rd"), "{r}");
        assert!(r.contains("docker://deploy:"), "{r}");
        assert!(r.contains("@registry.example/img:1"), "{r}");
        let t = redact_url_credentials(
            "https://ghp_0123456789abcdefghij0123@github.com/x and https://a.b/c",
        );
        assert!(!t.contains("0123456789abcdef"), "{t}");
        assert!(t.ends_with("and https://a.b/c"), "{t}");
        assert!(matches!(
            redact_url_credentials("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            redact_url_credentials("docker://alpine:3"),
            "docker://alpine:3"
        );
        let m =
            redact_url_credentials("image `deploy:Sup3rS3cretPassw0rd@registry.example/img:1` x");
        assert!(!m.contains("Sup3rS3cret"), "{m}");
        assert_eq!(
            redact_url_credentials("git@github.com:o/r and a@b.c"),
            "git@github.com:o/r and a@b.c"
        );
    }

    #[test]
    fn secret_fingerprints_are_stable_salted_and_not_the_plain_hash() {
        let a = secret_fingerprint("r", "a.txt", "hunter2");
        assert_eq!(a, secret_fingerprint("r", "a.txt", "hunter2"));
        assert_ne!(a, secret_fingerprint("r", "b.txt", "hunter2"));
        assert_ne!(a, secret_fingerprint("q", "a.txt", "hunter2"));
        assert_ne!(a, fingerprint("r", "a.txt", "hunter2"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn secret_fingerprints_wait_for_their_first_use() {
        let f = Fingerprint::secret("r", "a.txt", "hunter2".to_string());
        assert!(f.is_pending());
        assert_eq!(f.identity(), (1, "hunter2"));
        let copy = f.clone();
        assert_eq!(f.get(), secret_fingerprint("r", "a.txt", "hunter2"));
        assert!(!f.is_pending());
        assert!(
            copy.is_pending(),
            "each finding derives its own (the process caches)"
        );
        assert_eq!(
            serde_json::to_string(&copy).expect("json"),
            format!("\"{}\"", f.get())
        );
        let group = Fingerprint::derived("g", "a.txt", &copy);
        assert!(group.is_pending());
        assert_eq!(group.get(), fingerprint("g", "a.txt", f.get()));
        let ready = Fingerprint::ready("abc".to_string());
        assert!(!ready.is_pending());
        assert_eq!((ready.get(), ready.identity()), ("abc", (0, "abc")));
    }

    #[test]
    fn fingerprint_ignores_line() {
        assert_eq!(
            fingerprint("r", "a.txt", "s"),
            fingerprint("r", "a.txt", "s")
        );
        assert_ne!(
            fingerprint("r", "a.txt", "s"),
            fingerprint("r", "b.txt", "s")
        );
    }
}
