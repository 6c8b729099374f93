//! Pipeline audits: each judges the facts of one CI file (the [`crate::pipeline`]
//! model) and, where it needs platform syntax, the platform's view; one audit per file,
//! all registered in [`AUDITS`] with the platforms they cover.
//!
//! Adding an audit: one file here with a `DOC` and a `run` function, one line in
//! [`AUDITS`], one fixture folder under `fixtures/workflows/<id>/`, one test. Adding a
//! platform: a front end in `src/pipeline/` that fills [`Pipeline`], a [`Platform`]
//! variant, and its platforms listed on the audits that apply; no audit changes.

mod dangerous_trigger;
mod debug_tracing;
mod excessive_permissions;
mod groovy_credential_interpolation;
mod hardcoded_credential;
mod id_token_hygiene;
mod job_token_misuse;
mod long_lived_cloud_credentials;
mod long_lived_registry_token;
mod persist_credentials;
mod script_injection;
mod secrets_all;
mod secrets_in_workflow_env;
mod secrets_inherit;
mod secrets_on_untrusted_pipeline;
mod self_hosted_runner_on_pr;
mod template_injection;
mod unpinned_action;
mod unpinned_image;
mod unpinned_include;

use crate::finding::{Confidence, Finding, FindingBuilder, FindingKind, Severity, Span};
use crate::pipeline::github::{FileKind, Workflow};
use crate::pipeline::gitlab::GitLabCi;
use crate::pipeline::gitlab_includes;
use crate::pipeline::other_ci::{Jenkinsfile, OtherCi};
use crate::pipeline::yaml::{self, Source};
use crate::pipeline::{Pipeline, Platform, from_github, from_gitlab, from_other};
use std::cell::RefCell;

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

/// The function that runs an audit on one file's input.
type AuditFn = fn(&Ctx<'_>, &mut Vec<Finding>);

/// One registered audit.
pub struct Audit {
    /// Its documentation and defaults.
    pub doc: &'static AuditDoc,
    /// The platforms it covers; it never sees a file of another.
    pub platforms: &'static [Platform],
    run: AuditFn,
}

/// GitHub Actions workflows and actions.
const GITHUB: &[Platform] = &[Platform::GitHubWorkflow, Platform::GitHubAction];
/// GitLab CI files.
const GITLAB: &[Platform] = &[Platform::GitLabCi];
/// Every platform.
const ALL: &[Platform] = &[
    Platform::GitHubWorkflow,
    Platform::GitHubAction,
    Platform::GitLabCi,
    Platform::AzurePipelines,
    Platform::CircleCi,
    Platform::Bitbucket,
    Platform::Jenkins,
];
/// Platforms where a cloud login can federate through the job's OIDC token.
const OIDC_PLATFORMS: &[Platform] = &[
    Platform::GitHubWorkflow,
    Platform::GitHubAction,
    Platform::GitLabCi,
    Platform::AzurePipelines,
    Platform::CircleCi,
    Platform::Bitbucket,
];
/// GitHub Actions workflows only (actions have no triggers, permissions or jobs).
const GITHUB_WORKFLOWS: &[Platform] = &[Platform::GitHubWorkflow];

const fn audit(doc: &'static AuditDoc, platforms: &'static [Platform], run: AuditFn) -> Audit {
    Audit {
        doc,
        platforms,
        run,
    }
}

/// The registry: every audit, in `rules list` order.
pub const AUDITS: &[Audit] = &[
    audit(
        &excessive_permissions::DOC,
        GITHUB_WORKFLOWS,
        excessive_permissions::run,
    ),
    audit(
        &dangerous_trigger::DOC,
        GITHUB_WORKFLOWS,
        dangerous_trigger::run,
    ),
    audit(&template_injection::DOC, GITHUB, template_injection::run),
    audit(
        &secrets_inherit::DOC,
        GITHUB_WORKFLOWS,
        secrets_inherit::run,
    ),
    audit(&secrets_all::DOC, GITHUB, secrets_all::run),
    audit(
        &secrets_in_workflow_env::DOC,
        GITHUB_WORKFLOWS,
        secrets_in_workflow_env::run,
    ),
    audit(
        &long_lived_cloud_credentials::DOC,
        OIDC_PLATFORMS,
        long_lived_cloud_credentials::run,
    ),
    audit(
        &long_lived_registry_token::DOC,
        GITHUB,
        long_lived_registry_token::run,
    ),
    audit(&hardcoded_credential::DOC, ALL, hardcoded_credential::run),
    audit(
        &persist_credentials::DOC,
        &[
            Platform::GitHubWorkflow,
            Platform::GitHubAction,
            Platform::AzurePipelines,
        ],
        persist_credentials::run,
    ),
    audit(
        &unpinned_action::DOC,
        &[
            Platform::GitHubWorkflow,
            Platform::GitHubAction,
            Platform::CircleCi,
            Platform::Bitbucket,
        ],
        unpinned_action::run,
    ),
    audit(
        &self_hosted_runner_on_pr::DOC,
        GITHUB_WORKFLOWS,
        self_hosted_runner_on_pr::run,
    ),
    audit(&job_token_misuse::DOC, GITLAB, job_token_misuse::run),
    audit(
        &debug_tracing::DOC,
        &[Platform::GitLabCi, Platform::AzurePipelines],
        debug_tracing::run,
    ),
    audit(
        &secrets_on_untrusted_pipeline::DOC,
        &[Platform::GitLabCi, Platform::Bitbucket],
        secrets_on_untrusted_pipeline::run,
    ),
    audit(
        &unpinned_include::DOC,
        &[
            Platform::GitLabCi,
            Platform::AzurePipelines,
            Platform::Jenkins,
        ],
        unpinned_include::run,
    ),
    audit(
        &unpinned_image::DOC,
        &[
            Platform::GitLabCi,
            Platform::AzurePipelines,
            Platform::CircleCi,
            Platform::Bitbucket,
            Platform::Jenkins,
        ],
        unpinned_image::run,
    ),
    audit(&script_injection::DOC, GITLAB, script_injection::run),
    audit(&id_token_hygiene::DOC, GITLAB, id_token_hygiene::run),
    audit(
        &groovy_credential_interpolation::DOC,
        &[Platform::Jenkins],
        groovy_credential_interpolation::run,
    ),
];

/// Every registered audit's documentation.
pub fn docs() -> Vec<AuditDoc> {
    AUDITS.iter().map(|a| a.doc.clone()).collect()
}

/// Whether a path (relative, `/`-separated) is a CI file the audits parse: a workflow
/// directly under `.github/workflows/`, an `action.yml|yaml` anywhere, or a GitLab CI
/// file ([`is_gitlab_file`]).
pub fn is_pipeline_file(rel_path: &str) -> bool {
    platform_of(rel_path).is_some()
}

/// Whether a path is a GitLab CI file: `.gitlab-ci.yml`, `*.gitlab-ci.yml`, or YAML
/// under `.gitlab/ci/` or a directory named like `gitlab-ci` (where projects keep the
/// files their `.gitlab-ci.yml` includes).
pub fn is_gitlab_file(rel_path: &str) -> bool {
    let p = rel_path.trim_start_matches("./");
    let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
    let Some(stem) = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
    else {
        return false;
    };
    if stem == ".gitlab-ci" || stem.ends_with(".gitlab-ci") {
        return true;
    }
    let dirs: Vec<&str> = dir.split('/').collect();
    dirs.windows(2).any(|w| w == [".gitlab", "ci"])
        || dirs
            .iter()
            .any(|d| d.trim_start_matches('.').starts_with("gitlab-ci"))
}

/// The CI system of a file that is neither GitHub's nor GitLab's, by its name.
fn other_platform(dir: &str, name: &str) -> Option<Platform> {
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    let stem = name.split('.').next().unwrap_or(name);
    if name == "Jenkinsfile"
        || name.starts_with("Jenkinsfile.")
        || name.starts_with("Jenkinsfile-")
        || name.ends_with(".Jenkinsfile")
        || name.ends_with(".jenkinsfile")
    {
        return Some(Platform::Jenkins);
    }
    if !yaml {
        return None;
    }
    if stem == "bitbucket-pipelines" {
        return Some(Platform::Bitbucket);
    }
    if dir == ".circleci" || dir.ends_with("/.circleci") {
        return Some(Platform::CircleCi);
    }
    let dirs: Vec<&str> = dir.split('/').collect();
    if stem == "azure-pipelines"
        || name.starts_with("azure-pipelines")
        || dirs.iter().any(|d| {
            matches!(
                *d,
                ".azure-pipelines" | "azure-pipelines" | ".azuredevops" | ".pipelines"
            )
        })
    {
        return Some(Platform::AzurePipelines);
    }
    None
}

fn platform_of(rel_path: &str) -> Option<Platform> {
    let p = rel_path.trim_start_matches("./");
    let (dir, name) = match p.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => ("", p),
    };
    if let Some(other) = other_platform(dir, name) {
        return Some(other);
    }
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    if !yaml {
        return None;
    }
    if dir == ".github/workflows" || dir.ends_with("/.github/workflows") {
        return Some(Platform::GitHubWorkflow);
    }
    if name == "action.yml" || name == "action.yaml" {
        return Some(Platform::GitHubAction);
    }
    if is_gitlab_file(p) || gitlab_includes::is_included(p) {
        return Some(Platform::GitLabCi);
    }
    None
}

fn file_kind(rel_path: &str) -> FileKind {
    match platform_of(rel_path) {
        Some(Platform::GitHubAction) => FileKind::Action,
        _ => FileKind::Workflow,
    }
}

/// Parses one GitHub Actions file and computes its facts. `Err` is a one-line
/// description of why it could not be parsed (`line:col: problem`); `Ok(None)` when it
/// is empty or not a mapping.
pub fn parse_github<'s>(src: &'s Source<'s>) -> Result<Option<yaml::Node>, String> {
    let root = yaml::parse_indexed(src)?;
    Ok(root.filter(yaml::Node::is_map))
}

/// The facts of one CI file (for the inventory), `None` when it is empty.
pub fn pipeline_of(rel_path: &str, text: &str) -> Result<Option<Pipeline>, String> {
    let platform = platform_of(rel_path);
    if platform == Some(Platform::Jenkins) {
        let j = Jenkinsfile::parse(text);
        return Ok(Some(from_other::jenkins_facts(rel_path, text, &j)));
    }
    let src = Source::new(text);
    let Some(root) = parse_github(&src)? else {
        return Ok(None);
    };
    match platform {
        Some(Platform::GitLabCi) => {
            let gl = GitLabCi::with_context(&root, gitlab_includes::context_for(rel_path))?;
            return Ok(Some(from_gitlab::facts(rel_path, &src, &gl)));
        }
        Some(pl @ (Platform::AzurePipelines | Platform::CircleCi | Platform::Bitbucket)) => {
            let v = OtherCi::from_yaml(pl, root, &src);
            return Ok(Some(from_other::facts(pl, rel_path, &src, &v)));
        }
        _ => {}
    }
    let wf = Workflow::new(&root, file_kind(rel_path));
    Ok(Some(from_github::facts(rel_path, &src, &wf)))
}

/// Runs the enabled audits on one pipeline file. `Err` is a one-line description of why
/// the file could not be parsed (`line:col: problem`), or of a finding an audit could
/// not build.
pub fn audit_file(
    rel_path: &str,
    text: &str,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Vec<Finding>, String> {
    let mut out = Vec::new();
    let platform = platform_of(rel_path).unwrap_or(Platform::GitHubWorkflow);
    let selected: Vec<&Audit> = AUDITS
        .iter()
        .filter(|a| a.platforms.contains(&platform) && enabled(a.doc.id))
        .collect();
    if selected.is_empty() {
        return Ok(out);
    }
    let src = Source::new(text);
    let run = |facts: &Pipeline, syntax: Syntax<'_>, out: &mut Vec<Finding>| {
        let cx = Ctx {
            path: rel_path,
            src: &src,
            facts,
            syntax,
            errors: RefCell::new(Vec::new()),
        };
        for a in &selected {
            (a.run)(&cx, out);
        }
        match cx.errors.into_inner().into_iter().next() {
            Some(e) => Err(format!("internal error: {e}")),
            None => Ok(()),
        }
    };
    if platform == Platform::Jenkins {
        let j = Jenkinsfile::parse(text);
        let facts = from_other::jenkins_facts(rel_path, text, &j);
        run(&facts, Syntax::Jenkins(&j, text), &mut out)?;
        return Ok(out);
    }
    let Some(root) = parse_github(&src)? else {
        return Ok(out);
    };
    if matches!(
        platform,
        Platform::AzurePipelines | Platform::CircleCi | Platform::Bitbucket
    ) {
        let v = OtherCi::from_yaml(platform, root, &src);
        let facts = from_other::facts(platform, rel_path, &src, &v);
        run(&facts, Syntax::Other(&v), &mut out)?;
        return Ok(out);
    }
    if platform == Platform::GitLabCi {
        let gl = GitLabCi::with_context(&root, gitlab_includes::context_for(rel_path))?;
        let facts = from_gitlab::facts(rel_path, &src, &gl);
        run(&facts, Syntax::GitLab(&gl), &mut out)?;
    } else {
        let wf = Workflow::new(&root, file_kind(rel_path));
        let facts = from_github::facts(rel_path, &src, &wf);
        run(&facts, Syntax::GitHub(&wf), &mut out)?;
    }
    Ok(out)
}

/// A platform's syntax view, for audits that judge what the facts do not carry.
pub(crate) enum Syntax<'a> {
    /// A GitHub Actions workflow or action.
    GitHub(&'a Workflow<'a>),
    /// A GitLab CI file.
    GitLab(&'a GitLabCi),
    /// An Azure Pipelines, CircleCI or Bitbucket Pipelines file.
    Other(&'a OtherCi),
    /// A Jenkinsfile and its text.
    Jenkins(&'a Jenkinsfile, &'a str),
}

/// What every audit gets: the file's path, its indexed source, its facts and its
/// platform's syntax view.
pub(crate) struct Ctx<'a> {
    /// Path relative to the scan root.
    pub path: &'a str,
    /// The source, for spans.
    pub src: &'a Source<'a>,
    /// The platform-neutral facts.
    pub facts: &'a Pipeline,
    /// The platform's syntax view.
    syntax: Syntax<'a>,
    /// Findings that could not be built (a bug): reported, never dropped.
    errors: RefCell<Vec<String>>,
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

impl<'a> Ctx<'a> {
    /// The GitHub Actions view, when the file is a workflow or action.
    pub fn github(&self) -> Option<&'a Workflow<'a>> {
        match self.syntax {
            Syntax::GitHub(wf) => Some(wf),
            _ => None,
        }
    }

    /// The Azure Pipelines, CircleCI or Bitbucket view.
    pub fn other(&self) -> Option<&'a OtherCi> {
        match self.syntax {
            Syntax::Other(v) => Some(v),
            _ => None,
        }
    }

    /// The Jenkinsfile view and its text.
    pub fn jenkins(&self) -> Option<(&'a Jenkinsfile, &'a str)> {
        match self.syntax {
            Syntax::Jenkins(j, t) => Some((j, t)),
            _ => None,
        }
    }

    /// The GitLab CI view, when the file is a GitLab CI file.
    pub fn gitlab(&self) -> Option<&'a GitLabCi> {
        match self.syntax {
            Syntax::GitLab(gl) => Some(gl),
            _ => None,
        }
    }

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
        let built = FindingBuilder::new(doc.id, FindingKind::Pipeline)
            .severity(hit.severity.unwrap_or(doc.severity))
            .confidence(hit.confidence.unwrap_or(doc.confidence))
            // Messages quote scanned text (image names, include targets, variables).
            .message(crate::escape::for_display(&hit.message).into_owned())
            .location(self.path, hit.span)
            .snippet(snippet)
            .remediation(doc.remediation)
            .fingerprint_key(hit.key)
            .build();
        match built {
            Ok(f) => out.push(f),
            Err(e) => self.errors.borrow_mut().push(format!("{}: {e}", doc.id)),
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
        assert_eq!(docs.len(), 20);
        let mut ids: Vec<_> = docs.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 20);
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
