//! Pipeline audits: GitHub Actions workflows and action metadata parsed with positions,
//! one audit per file, all registered in [`AUDITS`].
//!
//! Adding an audit: one file here with a `DOC` and a `run` function, one line in
//! [`AUDITS`], one fixture folder under `fixtures/workflows/<id>/`, one test.

pub mod model;
pub mod yaml;

mod dangerous_trigger;
mod excessive_permissions;
mod hardcoded_credential;
mod long_lived_cloud_credentials;
pub(crate) mod long_lived_registry_token;
mod persist_credentials;
mod secrets_all;
mod secrets_in_workflow_env;
mod secrets_inherit;
mod self_hosted_runner_on_pr;
mod template_injection;
mod unpinned_action;

use crate::finding::{Confidence, Finding, FindingBuilder, FindingKind, Severity, Span};
use model::{FileKind, Workflow};
use yaml::Source;

/// Documentation and defaults of one audit; `rules explain ID` prints it.
#[derive(Debug, Clone)]
pub struct AuditDoc {
    /// Kebab-case id, e.g. `excessive-permissions`.
    pub id: &'static str,
    /// One-line name.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Default confidence.
    pub confidence: Confidence,
    /// What it finds, why it matters, an example (Markdown).
    pub description: &'static str,
    /// The fix.
    pub remediation: &'static str,
}

/// One audit: its documentation and the function that runs it on a parsed file.
type AuditFn = fn(&Ctx<'_>, &mut Vec<Finding>);

/// The registry: every audit, in `rules list` order.
const AUDITS: &[(&AuditDoc, AuditFn)] = &[
    (&excessive_permissions::DOC, excessive_permissions::run),
    (&dangerous_trigger::DOC, dangerous_trigger::run),
    (&template_injection::DOC, template_injection::run),
    (&secrets_inherit::DOC, secrets_inherit::run),
    (&secrets_all::DOC, secrets_all::run),
    (&secrets_in_workflow_env::DOC, secrets_in_workflow_env::run),
    (
        &long_lived_cloud_credentials::DOC,
        long_lived_cloud_credentials::run,
    ),
    (
        &long_lived_registry_token::DOC,
        long_lived_registry_token::run,
    ),
    (&hardcoded_credential::DOC, hardcoded_credential::run),
    (&persist_credentials::DOC, persist_credentials::run),
    (&unpinned_action::DOC, unpinned_action::run),
    (
        &self_hosted_runner_on_pr::DOC,
        self_hosted_runner_on_pr::run,
    ),
];

/// Every registered audit's documentation.
pub fn docs() -> Vec<AuditDoc> {
    AUDITS.iter().map(|(d, _)| (*d).clone()).collect()
}

/// Whether a path (relative, `/`-separated) is a CI file the audits parse: a workflow
/// directly under `.github/workflows/`, or an `action.yml|yaml` anywhere.
pub fn is_pipeline_file(rel_path: &str) -> bool {
    file_kind(rel_path).is_some()
}

fn file_kind(rel_path: &str) -> Option<FileKind> {
    let p = rel_path.trim_start_matches("./");
    let (dir, name) = match p.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => ("", p),
    };
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    if !yaml {
        return None;
    }
    if dir == ".github/workflows" || dir.ends_with("/.github/workflows") {
        return Some(FileKind::Workflow);
    }
    if name == "action.yml" || name == "action.yaml" {
        return Some(FileKind::Action);
    }
    None
}

/// Runs the enabled audits on one pipeline file. `Err` is a one-line description of why
/// the file could not be parsed (`line:col: problem`).
pub fn audit_file(
    rel_path: &str,
    text: &str,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Vec<Finding>, String> {
    let mut out = Vec::new();
    let selected: Vec<&AuditFn> = AUDITS
        .iter()
        .filter(|(d, _)| enabled(d.id))
        .map(|(_, f)| f)
        .collect();
    if selected.is_empty() {
        return Ok(out);
    }
    let kind = file_kind(rel_path).unwrap_or(FileKind::Workflow);
    let src = Source::new(text);
    let Some(root) = yaml::parse_indexed(&src)? else {
        return Ok(out);
    };
    if !root.is_map() {
        return Ok(out);
    }
    let wf = Workflow::new(&root, kind);
    let cx = Ctx {
        path: rel_path,
        src: &src,
        wf: &wf,
    };
    for f in selected {
        f(&cx, &mut out);
    }
    Ok(out)
}

/// What every audit gets: the file's path, its indexed source and its workflow view.
pub(crate) struct Ctx<'a> {
    /// Path relative to the scan root.
    pub path: &'a str,
    /// The source, for spans.
    pub src: &'a Source<'a>,
    /// The workflow or action.
    pub wf: &'a Workflow<'a>,
}

/// A finding about to be reported; severity defaults to the audit's.
pub(crate) struct Hit {
    /// Where.
    pub span: Span,
    /// YAML path of the offending node (the fingerprint key).
    pub key: String,
    /// What is wrong, why, and the fix.
    pub message: String,
    /// Overrides the audit's default severity.
    pub severity: Option<Severity>,
    /// Overrides the audit's default confidence.
    pub confidence: Option<Confidence>,
    /// Overrides the snippet (default: the span's source text).
    pub snippet: Option<String>,
}

impl Hit {
    /// A hit with the audit's default severity and confidence.
    pub fn new(span: Span, key: impl Into<String>, message: impl Into<String>) -> Self {
        Hit {
            span,
            key: key.into(),
            message: message.into(),
            severity: None,
            confidence: None,
            snippet: None,
        }
    }

    /// Sets the severity.
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = Some(s);
        self
    }

    /// Sets the confidence.
    pub fn confidence(mut self, c: Confidence) -> Self {
        self.confidence = Some(c);
        self
    }

    /// Sets the snippet (already redacted when it holds a credential).
    pub fn snippet(mut self, s: impl Into<String>) -> Self {
        self.snippet = Some(s.into());
        self
    }
}

impl Ctx<'_> {
    /// Builds and records a finding for audit `doc`.
    pub fn report(&self, out: &mut Vec<Finding>, doc: &AuditDoc, hit: Hit) {
        let snippet = hit.snippet.unwrap_or_else(|| {
            let line = self.src.line(hit.span.start_line);
            let s: String = line
                .chars()
                .skip(hit.span.start_column.saturating_sub(1))
                .take(
                    if hit.span.end_line == hit.span.start_line {
                        hit.span.end_column.saturating_sub(hit.span.start_column)
                    } else {
                        usize::MAX
                    }
                    .min(200),
                )
                .collect();
            s.trim().to_string()
        });
        // Messages and snippets quote the YAML: a URL's password never goes out whole.
        let snippet = crate::finding::redact_url_credentials(&snippet).into_owned();
        let message = crate::finding::redact_url_credentials(&hit.message).into_owned();
        let built = FindingBuilder::new(doc.id, FindingKind::Pipeline)
            .severity(hit.severity.unwrap_or(doc.severity))
            .confidence(hit.confidence.unwrap_or(doc.confidence))
            .message(message)
            .location(self.path, hit.span)
            .snippet(snippet)
            .remediation(doc.remediation)
            .fingerprint_key(hit.key)
            .build();
        if let Ok(f) = built {
            out.push(f);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_files() {
        assert!(is_pipeline_file(".github/workflows/ci.yml"));
        assert!(is_pipeline_file("sub/.github/workflows/ci.yaml"));
        assert!(is_pipeline_file("action.yml"));
        assert!(is_pipeline_file("actions/setup/action.yaml"));
        assert!(!is_pipeline_file(".github/workflows/nested/ci.yml"));
        assert!(!is_pipeline_file(".github/dependabot.yml"));
        assert!(!is_pipeline_file("src/ci.yml"));
    }

    #[test]
    fn docs_are_complete_and_unique() {
        let docs = docs();
        assert_eq!(docs.len(), 12);
        let mut ids: Vec<_> = docs.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 12);
        for d in &docs {
            assert!(
                d.description.contains("Example"),
                "{} lacks an example",
                d.id
            );
            assert!(!d.remediation.is_empty());
        }
    }

    #[test]
    fn malformed_yaml_is_one_line_error() {
        let e =
            audit_file(".github/workflows/x.yml", "on: push\njobs: [\n", &|_| true).unwrap_err();
        assert!(!e.contains('\n'));
        assert!(e.starts_with(|c: char| c.is_ascii_digit()));
    }
}
