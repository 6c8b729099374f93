//! Per-file scanning: runs the secret rules and (for CI files) the pipeline audits on
//! one file's bytes, turns matches into findings, and applies inline suppression.

use crate::audit;
use crate::detect::matcher::{Matcher, RawMatch, is_code_path, is_lock_file};
use crate::detect::prefilter::Prefilter;
use crate::detect::{decode, filters};
use crate::finding::{Finding, FindingBuilder, FindingKind, Severity, Span, redact};
use crate::rules::Rule;
use crate::suppress;
use std::collections::HashSet;

/// Options that shape findings.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Print secrets whole (`--no-redact`).
    pub no_redact: bool,
    /// When set, only these rule and audit ids run (`--select`).
    pub select: Option<HashSet<String>>,
    /// Paths (relative, `/`-separated) that produce no findings (config `exclude`).
    pub exclude: Option<globset::GlobSet>,
    /// Root-relative folder the `exclude` globs are relative to (the config's folder;
    /// empty for the root).
    pub exclude_base: String,
    /// Root-relative paths named on the command line that `exclude` would cover: they and
    /// everything below them are scanned anyway.
    pub forced: Vec<String>,
    /// Root-relative paths of files named on the command line (or `--stdin-filename`):
    /// a YAML file among them is audited as the CI file its content says it is.
    pub named: HashSet<String>,
    /// Path restrictions and allowlists imported from a gitleaks config.
    pub imported: crate::gitleaks::RuleFilters,
    /// Keep each CI file's pipeline facts (for `inventory`).
    pub collect_pipelines: bool,
    /// Settings the audits take from the configuration.
    pub audit: audit::AuditSettings,
}

impl EngineOptions {
    /// Whether the `exclude` globs (relative to their config's folder) cover `rel_path`.
    pub fn is_excluded(&self, rel_path: &str) -> bool {
        self.exclude.as_ref().is_some_and(|g| {
            crate::paths::strip_base(&self.exclude_base, rel_path).is_some_and(|p| g.is_match(p))
        })
    }
}

/// The compiled rule set plus the options every file is scanned with; shared by all
/// walker threads.
#[derive(Debug)]
pub struct Engine {
    /// The active secret rules.
    pub rules: Vec<Rule>,
    prefilter: Prefilter,
    options: EngineOptions,
}

/// What scanning one file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    /// Reported findings.
    pub findings: Vec<Finding>,
    /// Findings hidden by an inline comment.
    pub suppressed_inline: Vec<Finding>,
    /// A one-line problem with this file (e.g. malformed YAML), prefixed by its path.
    pub error: Option<String>,
    /// The file's pipeline facts, when the engine collects them.
    pub pipeline: Option<crate::pipeline::Pipeline>,
    /// A workflow GitHub never runs, left unaudited (see `--all-workflows`).
    pub unaudited_workflow: bool,
    /// Matches dropped by imported gitleaks allowlists and path filters.
    pub import_dropped: u64,
}

impl Engine {
    /// Builds the engine over `rules`, keeping only selected ones.
    pub fn new(rules: Vec<Rule>, options: EngineOptions) -> Result<Engine, String> {
        let rules: Vec<Rule> = match &options.select {
            Some(sel) => rules.into_iter().filter(|r| sel.contains(r.id())).collect(),
            None => rules,
        };
        let prefilter = Prefilter::new(&rules)?;
        Ok(Engine {
            rules,
            prefilter,
            options,
        })
    }

    /// Whether a rule or audit id is enabled.
    pub fn enabled(&self, id: &str) -> bool {
        self.options.select.as_ref().is_none_or(|s| s.contains(id))
    }

    /// Whether the config's `exclude` globs cover `rel_path` and no command-line path
    /// forces it in.
    pub fn excluded(&self, rel_path: &str) -> bool {
        let o = &self.options;
        o.is_excluded(rel_path)
            && !o.forced.iter().any(|f| {
                f.is_empty()
                    || rel_path == f
                    || rel_path
                        .strip_prefix(f.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
    }

    /// Scans one file. `rel_path` is relative to the scan root, `/`-separated.
    pub fn scan_file(&self, matcher: &mut Matcher, rel_path: &str, content: &[u8]) -> FileOutcome {
        self.scan_with(matcher, rel_path, content, true)
    }

    /// Runs only the secret rules on `content`: for fragments of a file (the lines a
    /// commit added), which pipeline audits cannot parse as a whole document.
    pub fn scan_secrets(
        &self,
        matcher: &mut Matcher,
        rel_path: &str,
        content: &[u8],
    ) -> FileOutcome {
        self.scan_with(matcher, rel_path, content, false)
    }

    fn scan_with(
        &self,
        matcher: &mut Matcher,
        rel_path: &str,
        content: &[u8],
        audits: bool,
    ) -> FileOutcome {
        let mut out = FileOutcome::default();
        if self.excluded(rel_path) {
            return out;
        }
        let mut raw = Vec::new();
        matcher.find(
            &self.rules,
            &self.prefilter,
            content,
            is_code_path(rel_path),
            &mut raw,
        );
        drop_overlaps(&self.rules, &mut raw);
        // A `Secret` manifest holds the keyword `secret`: the automaton that just ran
        // saves a search of the file for it.
        let encoded = if matcher.secret_word() == Some(false) {
            Vec::new()
        } else {
            decode::kubernetes_secret_values(content)
        };
        if !encoded.is_empty() {
            // A fallback rule sees only the base64 text; judge the decoded value instead.
            raw.retain(|m| {
                let Some(enc) = encoded.iter().find(|e| m.start < e.end && e.start < m.end) else {
                    return true;
                };
                let decoded = String::from_utf8_lossy(&enc.decoded);
                !self.rules[m.rule].is_fallback()
                    || (!filters::is_placeholder(&decoded)
                        && filters::generic_value_is_plausible(&decoded, "", true))
            });
        }
        if is_lock_file(rel_path) {
            // Lock files are full of hashes and ids: only distinctive formats count there.
            raw.retain(|m| {
                let r = &self.rules[m.rule];
                !r.is_fallback() && r.spec.confidence != crate::finding::Confidence::Low
            });
        }
        if !self.options.imported.is_empty() {
            let f = &self.options.imported;
            let before = raw.len();
            raw.retain(|m| f.keeps(&self.rules[m.rule], rel_path, content, m.start, m.end));
            out.import_dropped = (before - raw.len()) as u64;
        }
        // In text order, so that line/column positions are computed incrementally.
        raw.sort_unstable_by_key(|m| (m.start, m.end, m.rule));
        let capped = (raw.len() > MAX_MATCHES_PER_FILE).then(|| {
            let n = raw.len();
            raw.truncate(MAX_MATCHES_PER_FILE);
            format!(
                "{rel_path}: {n} secret matches; only the first {MAX_MATCHES_PER_FILE} are reported"
            )
        });
        let mut lines = LineIndex::default();
        let mut findings = Vec::new();
        for m in &raw {
            match self.secret_finding(rel_path, content, &mut lines, m) {
                Ok(f) => findings.push(f),
                Err(e) => out.error = Some(format!("{rel_path}: {e}")),
            }
        }
        let mut decoded = self.decoded_findings(matcher, rel_path, content, &encoded, &mut lines);
        if !decoded.is_empty() {
            // The decoded secret explains the encoded value better than a fallback match
            // on its encoded text; a specific rule that already matched the encoded text
            // reports it once.
            let fallback = |id: &str| {
                self.rules
                    .iter()
                    .find(|r| r.id() == id)
                    .is_none_or(Rule::is_fallback)
            };
            decoded.retain(|d| {
                !findings
                    .iter()
                    .any(|f| !fallback(&f.rule_id) && spans_overlap(&f.span, &d.span))
            });
            findings.retain(|f| {
                !fallback(&f.rule_id) || !decoded.iter().any(|d| spans_overlap(&d.span, &f.span))
            });
            findings.extend(decoded);
        }
        drop_paired(&self.rules, &mut findings);
        let kind = if !audits {
            None
        } else if self.options.named.contains(rel_path) {
            audit::named_file_kind(rel_path, &String::from_utf8_lossy(content))
        } else {
            audit::platform_of(rel_path)
        };
        // Workflows below the root are never run by GitHub: left out unless asked for,
        // or named on the command line.
        let kind = match kind {
            Some(_)
                if !self.options.audit.all_workflows
                    && !self.options.named.contains(rel_path)
                    && audit::is_nested_workflow(rel_path) =>
            {
                out.unaudited_workflow = true;
                None
            }
            k => k,
        };
        if let Some(kind) = kind {
            match std::str::from_utf8(content) {
                Ok(text) => {
                    // One parse gives the audits and (for the inventory) the facts.
                    let (audited, pipeline) = audit::audit_file_with_facts(
                        rel_path,
                        text,
                        kind,
                        &|id| self.enabled(id),
                        &self.options.audit,
                    );
                    if self.options.collect_pipelines {
                        out.pipeline = pipeline;
                    }
                    match audited {
                        Ok(mut audits) => {
                            self.one_credential_finding_per_line(kind, &mut findings, &mut audits);
                            findings.extend(audits);
                        }
                        Err(e) => {
                            // One warning line naming the file, and (unless deselected)
                            // a finding, so CI does not stay green.
                            out.error = Some(format!("{rel_path}:{e}"));
                            findings.extend(self.unparsable(rel_path, &e));
                        }
                    }
                }
                Err(e) => findings
                    .extend(self.unparsable(rel_path, &format!("1:1: not valid UTF-8 ({e})"))),
            }
        }
        if let Some(c) = capped {
            out.error = Some(match out.error.take() {
                Some(e) => format!("{c}; {e}"),
                None => c,
            });
        }
        let has_markers = !findings.is_empty() && suppress::has_inline_markers(content);
        let lines: Vec<&[u8]> = if has_markers {
            content.split(|&b| b == b'\n').collect()
        } else {
            Vec::new()
        };
        // One answer (and reason) per line and rule: many findings on one long line
        // parse its marker once.
        type Answer = (bool, Option<String>);
        let mut allowed: std::collections::HashMap<(usize, String), Answer> = Default::default();
        for mut f in findings {
            let (suppressed, reason) = if has_markers {
                allowed
                    .entry((f.span.start_line, f.rule_id.clone()))
                    .or_insert_with(|| {
                        let line = f.span.start_line;
                        let hidden = suppress::inline_allows_in(&lines, line, &f.rule_id);
                        let reason = hidden
                            .then(|| suppress::inline_reason_in(&lines, line, &f.rule_id))
                            .flatten();
                        (hidden, reason)
                    })
                    .clone()
            } else {
                (false, None)
            };
            if suppressed {
                f.suppression_reason = reason;
                out.suppressed_inline.push(f);
            } else {
                out.findings.push(f);
            }
        }
        out
    }

    /// The finding for a CI file the audits could not parse; `problem` is the parser's
    /// `line:col: message`.
    fn unparsable(&self, rel_path: &str, problem: &str) -> Option<Finding> {
        if !self.enabled(audit::UNPARSABLE_CI_FILE.id) {
            return None;
        }
        let mut parts = problem.splitn(3, ':');
        let num = |p: Option<&str>| p.and_then(|n| n.trim().parse::<usize>().ok());
        let (line, col) = (num(parts.next()), num(parts.next()));
        let (line, col, what) = match (line, col, parts.next()) {
            (Some(l), Some(c), Some(w)) => (l.max(1), c.max(1), w.trim().to_string()),
            _ => (1, 1, problem.to_string()),
        };
        FindingBuilder::new(audit::UNPARSABLE_CI_FILE.id, FindingKind::Pipeline)
            .severity(audit::UNPARSABLE_CI_FILE.severity)
            .confidence(audit::UNPARSABLE_CI_FILE.confidence)
            .message(format!(
                "This CI file cannot be parsed ({}), so no pipeline audit ran on it; fix the syntax (or stop treating it as CI) so that it can be checked.",
                crate::escape::for_display(&what)
            ))
            .location(
                rel_path,
                Span {
                    start_line: line,
                    start_column: col,
                    end_line: line,
                    end_column: col + 1,
                },
            )
            .remediation(audit::UNPARSABLE_CI_FILE.remediation)
            .fingerprint_key("unparsable")
            .build()
            .ok()
    }

    fn secret_finding(
        &self,
        rel_path: &str,
        content: &[u8],
        lines: &mut LineIndex,
        m: &RawMatch,
    ) -> Result<Finding, String> {
        let secret = String::from_utf8_lossy(&content[m.start..m.end]).into_owned();
        let span = lines.span(content, m.start, m.end);
        self.finding_for(m.rule, rel_path, span, secret)
    }

    /// Builds the finding of rule `rule_idx` for `secret` at `span`.
    fn finding_for(
        &self,
        rule_idx: usize,
        rel_path: &str,
        span: Span,
        secret: String,
    ) -> Result<Finding, String> {
        let rule = &self.rules[rule_idx];
        let severity = if rule.spec.test_mode {
            Severity::Info
        } else {
            rule.spec.severity
        };
        let shown = if self.options.no_redact {
            secret.clone()
        } else {
            redact(&secret)
        };
        let mut message = format!(
            "{} found ({}, {}).",
            rule.spec.name,
            rule.spec.lifetime.as_str(),
            rule.spec.confidence.as_str()
        );
        if rule.spec.test_mode {
            message = format!(
                "{} found: a test-mode credential, not a live leak.",
                rule.spec.name
            );
        }
        FindingBuilder::new(rule.id(), FindingKind::Secret)
            .severity(severity)
            .confidence(rule.spec.confidence)
            .lifetime(rule.spec.lifetime)
            .message(message)
            .location(rel_path, span)
            .snippet(shown)
            .remediation(rule.spec.remediation.clone())
            .fingerprint_key(secret.clone())
            .secret(secret)
            .build()
    }
}

impl Engine {
    /// A literal credential in a CI file that both a secret rule and the
    /// `hardcoded-credential` audit report is one finding, not two. A vendor rule
    /// (`aws-access-key`) always wins: it names the issuer and how to revoke. Against a
    /// fallback rule (a generic assignment, a config-file or HTTP credential) the audit
    /// wins on GitLab, Azure, CircleCI, Bitbucket and Jenkins, where it is the check
    /// those files are audited by and knows the job and variable; on GitHub the secret
    /// finding stays, as it always has there.
    fn one_credential_finding_per_line(
        &self,
        platform: crate::pipeline::Platform,
        secrets: &mut Vec<Finding>,
        audits: &mut Vec<Finding>,
    ) {
        use crate::pipeline::Platform;
        let audit_wins = !matches!(platform, Platform::GitHubWorkflow | Platform::GitHubAction);
        let fallback = |id: &str| {
            self.rules
                .iter()
                .find(|r| r.id() == id)
                .is_some_and(Rule::is_fallback)
        };
        let mut taken: HashSet<usize> = HashSet::new();
        audits.retain(|a| {
            if a.rule_id != "hardcoded-credential" {
                return true;
            }
            let line = a.span.start_line;
            let on_line = || secrets.iter().filter(|f| f.span.start_line == line);
            if on_line().next().is_none() {
                return true;
            }
            let keep = audit_wins && on_line().all(|f| fallback(&f.rule_id));
            if keep {
                taken.insert(line);
            }
            keep
        });
        if !taken.is_empty() {
            secrets.retain(|f| !taken.contains(&f.span.start_line));
        }
    }
    /// Findings inside base64-encoded values (Kubernetes `Secret` data), located at
    /// the encoded value.
    fn decoded_findings(
        &self,
        matcher: &mut Matcher,
        rel_path: &str,
        content: &[u8],
        encoded: &[decode::Encoded],
        lines: &mut LineIndex,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for enc in encoded {
            let mut raw = Vec::new();
            matcher.find(&self.rules, &self.prefilter, &enc.decoded, false, &mut raw);
            drop_overlaps(&self.rules, &mut raw);
            for m in raw {
                let secret = String::from_utf8_lossy(&enc.decoded[m.start..m.end]).into_owned();
                let span = lines.span(content, enc.start, enc.end);
                if let Ok(mut f) = self.finding_for(m.rule, rel_path, span, secret) {
                    f.message
                        .push_str(" It is base64-encoded in a Kubernetes Secret's data.");
                    out.push(f);
                }
            }
        }
        // Any other encoded run that decodes to text: only specific formats count there
        // (a generic `password=` inside decoded bytes is too often not a credential); a
        // fallback rule counts when its format is distinctive (a Docker `auths` entry).
        let mut seen = HashSet::new();
        // Lock files are hashes and registry URLs: nothing encoded there is a credential.
        let layers = if is_lock_file(rel_path) {
            Vec::new()
        } else {
            decode::decode_layers(content, is_code_path(rel_path))
        };
        for d in layers {
            if encoded.iter().any(|e| d.start < e.end && e.start < d.end) {
                continue;
            }
            let mut raw = Vec::new();
            matcher.find(&self.rules, &self.prefilter, &d.bytes, false, &mut raw);
            drop_overlaps(&self.rules, &mut raw);
            for m in raw {
                let rule = &self.rules[m.rule];
                let distinctive = !rule.is_fallback()
                    || (rule.spec.family != "generic"
                        && rule.spec.confidence == crate::finding::Confidence::High);
                if !distinctive || !seen.insert((m.rule, d.start, d.end)) {
                    continue;
                }
                let secret = String::from_utf8_lossy(&d.bytes[m.start..m.end]).into_owned();
                let span = lines.span(content, d.start, d.end);
                if let Ok(mut f) = self.finding_for(m.rule, rel_path, span, secret) {
                    let chain: Vec<&str> = d.chain.iter().map(|e| e.as_str()).collect();
                    f.message.push_str(&format!(
                        " It is encoded; found after decoding {}.",
                        chain.join(", then ")
                    ));
                    out.push(f);
                }
            }
        }
        out
    }
}

/// Whether two spans share a position.
fn spans_overlap(a: &Span, b: &Span) -> bool {
    let (a0, a1) = ((a.start_line, a.start_column), (a.end_line, a.end_column));
    let (b0, b1) = ((b.start_line, b.start_column), (b.end_line, b.end_column));
    a0 < b1 && b0 < a1
}

/// Most secret matches reported for one file: a file holding more is a dump or an
/// attack on the report's size; the rest is counted in a warning, not reported.
pub const MAX_MATCHES_PER_FILE: usize = 50_000;

/// Lines within which a paired credential (an AWS key id and its secret) is one.
const PAIR_DISTANCE: usize = 5;

/// Drops a finding whose rule says it is `reported_with` another rule when that rule
/// reported a secret within a few lines: an id + secret pair is reported once, at the
/// secret.
fn drop_paired(rules: &[Rule], findings: &mut Vec<Finding>) {
    let partner_of = |id: &str| {
        rules
            .iter()
            .find(|r| r.id() == id)
            .and_then(|r| r.spec.reported_with.clone())
    };
    // Lines of each rule's findings, sorted: a lookup per finding, not a scan of all.
    let mut lines_of: std::collections::HashMap<String, Vec<usize>> = Default::default();
    for f in findings.iter() {
        lines_of
            .entry(f.rule_id.clone())
            .or_default()
            .push(f.span.start_line);
    }
    for v in lines_of.values_mut() {
        v.sort_unstable();
    }
    let near = |id: &str, line: usize| {
        lines_of.get(id).is_some_and(|v| {
            let i = v.partition_point(|&l| l + PAIR_DISTANCE < line);
            v.get(i).is_some_and(|&l| l <= line + PAIR_DISTANCE)
        })
    };
    let mut partners_cache: std::collections::HashMap<String, Option<Vec<String>>> =
        Default::default();
    findings.retain(|f| {
        let partners = partners_cache
            .entry(f.rule_id.clone())
            .or_insert_with(|| partner_of(&f.rule_id));
        match partners {
            Some(partners) => !partners.iter().any(|p| near(p, f.span.start_line)),
            None => true,
        }
    });
}

/// Keeps one match per span: where two matches' secrets overlap, the more specific
/// rule wins (a vendor rule beats a config-file rule, which beats a generic assignment
/// rule; then higher confidence; then the longer secret; then the earlier rule).
fn drop_overlaps(rules: &[Rule], raw: &mut Vec<RawMatch>) {
    if raw.len() < 2 {
        return;
    }
    let rank = |m: &RawMatch| {
        let r = &rules[m.rule];
        let family = match r.spec.family.as_str() {
            "generic" => 2u8,
            "config-file" | "http" => 1,
            _ => 0,
        };
        let confidence = match r.spec.confidence {
            crate::finding::Confidence::High => 0u8,
            crate::finding::Confidence::Medium => 1,
            crate::finding::Confidence::Low => 2,
        };
        (family, confidence, usize::MAX - (m.end - m.start), m.rule)
    };
    raw.sort_unstable_by_key(|m| (m.start, m.end, m.rule));
    raw.dedup();
    let mut beaten = vec![false; raw.len()];
    for i in 0..raw.len() {
        for j in i + 1..raw.len() {
            if raw[j].start >= raw[i].end {
                break;
            }
            if rank(&raw[i]) <= rank(&raw[j]) {
                beaten[j] = true;
            } else {
                beaten[i] = true;
            }
        }
    }
    let mut k = 0;
    raw.retain(|_| {
        k += 1;
        !beaten[k - 1]
    });
}

/// Line starts of a file, computed only when the file has a finding, and the last
/// position found: a later offset on the same line counts code points from there, so
/// many findings on one long line cost one pass over it, not one pass each.
#[derive(Debug, Default)]
pub struct LineIndex {
    starts: Option<Vec<usize>>,
    /// (line, byte offset, column) of the last position asked for.
    last: Option<(usize, usize, usize)>,
}

impl LineIndex {
    /// The 1-based span of bytes `start..end`, columns in Unicode code points.
    pub fn span(&mut self, content: &[u8], start: usize, end: usize) -> Span {
        let (start_line, start_column) = self.position(content, start);
        let (end_line, end_column) = self.position(content, end);
        Span {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }

    /// 1-based (line, column) of a byte offset.
    pub fn position(&mut self, content: &[u8], offset: usize) -> (usize, usize) {
        let starts = self.starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(
                    content
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect()
        });
        let offset = offset.min(content.len());
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let (from, col_from) = match self.last {
            Some((l, o, c)) if l == line && o <= offset => (o, c),
            _ => (starts[line - 1], 1),
        };
        let col = content[from..offset]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count()
            + col_from;
        self.last = Some((line, offset, col));
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_code_points() {
        let text = "ab\n😀 x\n".as_bytes();
        let mut li = LineIndex::default();
        assert_eq!(li.position(text, 0), (1, 1));
        let x = text.iter().position(|&b| b == b'x').expect("x");
        assert_eq!(li.position(text, x), (2, 3));
    }
}
