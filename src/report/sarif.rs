//! SARIF 2.1.0 output for GitHub code scanning and other SARIF consumers: one run,
//! rules with descriptions, help and `security-severity`, results with relative URIs,
//! full regions in Unicode code points, and our fingerprint under `tokenward/v1`.

use super::{Report, RuleMeta};
use crate::finding::{Confidence, Finding, FindingKind, Severity};
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    RunAutomationDetails, Sarif, Suppression, Tool, ToolComponent, VersionControlDetails,
};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Key under which our fingerprint goes in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "tokenward/v1";

/// Most results GitHub code scanning accepts per run.
const MAX_RESULTS: usize = 25_000;

/// Longest `fullDescription` GitHub code scanning accepts; longer text goes to `help`.
pub const MAX_FULL_DESCRIPTION: usize = 1024;

/// Where the project's documentation lives; rules' `helpUri` are anchors in its README.
pub const HOME: &str = "https://github.com/tokenward/tokenward";

/// The stable README anchor documenting a rule of `kind`.
pub fn help_uri(kind: FindingKind) -> String {
    let anchor = match kind {
        FindingKind::Secret => "rules",
        FindingKind::Pipeline => "pipeline-audits",
        FindingKind::Config => "suppression-configuration-and-baselines",
    };
    format!("{HOME}#{anchor}")
}

/// GitHub's `precision` for a rule's confidence.
fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// `text` cut to at most `max` characters at a sentence or word end, with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    let end = cut
        .rfind(". ")
        .map(|i| i + 1)
        .filter(|&i| i > max / 2)
        .or_else(|| cut.rfind(' '))
        .unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium | Severity::Low => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder()
        .text(s.to_string())
        .build()
}

fn rule_descriptor(r: &RuleMeta) -> ReportingDescriptor {
    let mut help_md = format!(
        "**{}**\n\n{}\n\n**Fix:** {}\n",
        r.name, r.description, r.remediation
    );
    if !r.references.is_empty() {
        help_md.push_str("\n**References:**\n");
        for u in &r.references {
            help_md.push_str(&format!("- <{u}>\n"));
        }
    }
    let help_text = format!("{}\n\nFix: {}", r.description, r.remediation);
    let mut tags = vec![
        "security".to_string(),
        r.kind.as_str().to_string(),
        r.family.clone(),
    ];
    if let Some(l) = r.lifetime {
        tags.push(l.as_str().to_string());
    }
    // Framework controls as tags too (GitHub shows at most 10 tags per rule; the full
    // list is the `frameworks` property).
    let controls = crate::frameworks::for_meta(r);
    tags.extend(controls.iter().map(|c| c.to_string()));
    tags.dedup();
    tags.truncate(10);
    let mut extra = BTreeMap::new();
    extra.insert(
        "security-severity".to_string(),
        json!(r.severity.security_severity()),
    );
    extra.insert("kind".to_string(), json!(r.kind.as_str()));
    extra.insert("precision".to_string(), json!(precision(r.confidence)));
    if !controls.is_empty() {
        extra.insert("frameworks".to_string(), json!(controls));
    }
    if let Some(l) = r.lifetime {
        extra.insert("lifetime".to_string(), json!(l.as_str()));
    }
    let mut d = ReportingDescriptor::builder()
        .id(r.id.clone())
        .name(r.name.clone())
        .short_description(text(&r.name))
        .full_description(text(&shorten(&r.description, MAX_FULL_DESCRIPTION)))
        .help(
            MultiformatMessageString::builder()
                .text(help_text)
                .markdown(help_md)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::to_value(level(r.severity)).unwrap_or(Value::Null))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build();
    d.help_uri = Some(help_uri(r.kind));
    d
}

fn result(
    f: &Finding,
    rule_index: Option<usize>,
    suppression: Option<(&str, &str)>,
) -> SarifResult {
    let location = physical(&f.path, f.span);
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.get().to_string());
    let mut props = BTreeMap::new();
    props.insert("severity".to_string(), json!(f.severity.as_str()));
    props.insert("confidence".to_string(), json!(f.confidence.as_str()));
    props.insert("kind".to_string(), json!(f.kind.as_str()));
    if let Some(l) = f.lifetime {
        props.insert("lifetime".to_string(), json!(l.as_str()));
    }
    if !f.snippet.is_empty() {
        props.insert("snippet".to_string(), json!(f.snippet));
    }
    if !f.frameworks.is_empty() {
        props.insert("frameworks".to_string(), json!(f.frameworks));
    }
    if let Some(o) = &f.owner {
        props.insert("owner".to_string(), json!(o));
    }
    if let Some(c) = &f.commit {
        props.insert("commit".to_string(), json!(c.id));
        props.insert("author".to_string(), json!(c.author));
        props.insert("date".to_string(), json!(c.date));
    }
    if let Some(l) = &f.lineage {
        props.insert("lineage".to_string(), json!(l));
    }
    let mut message = f.message.clone();
    if !f.snippet.is_empty() {
        let label = match f.kind {
            FindingKind::Secret => "Secret",
            FindingKind::Pipeline => "Code",
            FindingKind::Config => "Setting",
        };
        message.push_str(&format!(" {label}: {}", f.snippet));
        if !message.ends_with('.') {
            message.push('.');
        }
    }
    let mut r = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .level(level(f.severity))
        .message(Message::builder().text(message).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    if !f.related.is_empty() {
        r.related_locations = Some(
            f.related
                .iter()
                .enumerate()
                .map(|(i, rel)| {
                    let mut l = physical(&rel.path, rel.span);
                    l.id = Some(i as i64);
                    l.message = Some(Message::builder().text(rel.message.clone()).build());
                    l
                })
                .collect(),
        );
    }
    if let Some((by, reason)) = suppression {
        let kind = if by == "inline" {
            "inSource"
        } else {
            "external"
        };
        let mut s = Suppression::builder().kind(json!(kind)).build();
        if !reason.is_empty() {
            s.justification = Some(reason.to_string());
        }
        r.suppressions = Some(vec![s]);
    }
    r
}

/// A location in a file of the scanned tree.
fn physical(path: &str, span: crate::finding::Span) -> Location {
    let region = Region::builder()
        .start_line(span.start_line as i64)
        .start_column(span.start_column as i64)
        .end_line(span.end_line as i64)
        .end_column(span.end_column as i64)
        .build();
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(uri_escape(path))
                        .uri_base_id("%SRCROOT%".to_string())
                        .build(),
                )
                .region(region)
                .build(),
        )
        .build()
}

/// Percent-encodes characters that may not appear raw in a URI reference.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '-'
            | '.'
            | '_'
            | '~'
            | '/'
            | '+'
            | '@'
            | '='
            | ','
            | '!'
            | '$'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | ';'
            | ':' => out.push(c),
            _ => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// Builds the SARIF log as a JSON value (also used by `merge`).
pub fn to_value(report: &Report) -> Value {
    let index: BTreeMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut results: Vec<SarifResult> = report
        .findings
        .iter()
        .take(MAX_RESULTS)
        .map(|f| result(f, index.get(f.rule_id.as_str()).copied(), None))
        .collect();
    results.extend(report.suppressed.iter().map(|s| {
        result(
            &s.finding,
            index.get(s.finding.rule_id.as_str()).copied(),
            Some((&s.by, &s.reason)),
        )
    }));
    let driver = ToolComponent::builder()
        .name("tokenward".to_string())
        .semantic_version(env!("CARGO_PKG_VERSION").to_string())
        .information_uri("https://github.com/tokenward/tokenward".to_string())
        .rules(report.rules.iter().map(rule_descriptor).collect::<Vec<_>>())
        .build();
    let mut run_props = BTreeMap::new();
    run_props.insert("summary".to_string(), json!(report.summary_line()));
    run_props.insert("suppressed".to_string(), json!(report.suppressed_counts));
    if !report.notices.is_empty() {
        run_props.insert("notices".to_string(), json!(report.notices));
    }
    // Always present, so a consumer can tell "nothing reduced" from "not reported".
    run_props.insert("coverageReductions".to_string(), json!(report.reductions));
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(json!("unicodeCodePoints"))
        .properties(
            PropertyBag::builder()
                .additional_properties(run_props)
                .build(),
        )
        .build();
    if let Some(cat) = &report.view.sarif_category {
        run.automation_details = Some(RunAutomationDetails::builder().id(cat.clone()).build());
    }
    if let Some(p) = &report.view.provenance {
        let mut v = VersionControlDetails::builder()
            .repository_uri(p.repository_uri.clone())
            .build();
        v.revision_id = p.revision_id.clone();
        v.branch = p.branch.clone();
        // Results' URIs are relative to %SRCROOT%, which is the repository root.
        v.mapped_to = Some(
            ArtifactLocation::builder()
                .uri_base_id("%SRCROOT%".to_string())
                .build(),
        );
        run.version_control_provenance = Some(vec![v]);
    }
    let log = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json".to_string())
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_value(log).unwrap_or(Value::Null)
}

/// Writes the SARIF log.
pub fn write(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &to_value(report))?;
    writeln!(w)
}
