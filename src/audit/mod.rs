//! Pipeline audits: each judges the facts of one CI file (the [`crate::pipeline`]
//! model) and, where it needs platform syntax, the platform's view; one audit per file,
//! all registered in [`AUDITS`] with the platforms they cover.
//!
//! Adding an audit: one file here with a `DOC` and a `run` function, one line in
//! [`AUDITS`], one fixture folder under `fixtures/workflows/<id>/`, one test. Adding a
//! platform: a front end in `src/pipeline/` that fills [`Pipeline`], a [`Platform`]
//! variant, and its platforms listed on the audits that apply; no audit changes.

mod bot_conditions;
mod cache_poisoning;
mod dangerous_trigger;
mod debug_tracing;
mod deploy_without_environment;
mod excessive_permissions;
mod github_app_token;
mod github_env;
mod groovy_credential_interpolation;
mod hardcoded_credential;
mod id_token_hygiene;
mod insecure_commands;
mod job_token_misuse;
mod long_lived_cloud_credentials;
mod long_lived_registry_token;
mod oidc_session_lifetime;
mod persist_credentials;
mod personal_credential;
mod runner_debug;
mod script_injection;
mod secret_to_untrusted_code;
mod secrets_all;
mod secrets_in_workflow_env;
mod secrets_inherit;
mod secrets_on_untrusted_pipeline;
mod self_hosted_runner_on_pr;
mod template_injection;
mod unpinned_action;
mod unpinned_images;
mod unpinned_include;
mod unredacted_secrets;

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
/// Platforms where a cloud login can federate through the job's OIDC token (Jenkins
/// through its OpenID Connect Provider plugin, or the agent's cloud identity).
const OIDC_PLATFORMS: &[Platform] = ALL;
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
        &[
            Platform::GitLabCi,
            Platform::AzurePipelines,
            Platform::CircleCi,
            Platform::Bitbucket,
            Platform::Jenkins,
        ],
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
    audit(&script_injection::DOC, GITLAB, script_injection::run),
    audit(&id_token_hygiene::DOC, GITLAB, id_token_hygiene::run),
    audit(
        &groovy_credential_interpolation::DOC,
        &[Platform::Jenkins],
        groovy_credential_interpolation::run,
    ),
    audit(&github_app_token::DOC, GITHUB, github_app_token::run),
    audit(&unredacted_secrets::DOC, GITHUB, unredacted_secrets::run),
    audit(&github_env::DOC, GITHUB_WORKFLOWS, github_env::run),
    audit(&insecure_commands::DOC, GITHUB, insecure_commands::run),
    audit(&runner_debug::DOC, GITHUB, runner_debug::run),
    audit(
        &cache_poisoning::DOC,
        GITHUB_WORKFLOWS,
        cache_poisoning::run,
    ),
    audit(&bot_conditions::DOC, GITHUB_WORKFLOWS, bot_conditions::run),
    audit(
        &unpinned_images::DOC,
        &[
            Platform::GitHubWorkflow,
            Platform::GitLabCi,
            Platform::AzurePipelines,
            Platform::CircleCi,
            Platform::Bitbucket,
            Platform::Jenkins,
        ],
        unpinned_images::run,
    ),
    audit(
        &deploy_without_environment::DOC,
        GITHUB_WORKFLOWS,
        deploy_without_environment::run,
    ),
    audit(
        &oidc_session_lifetime::DOC,
        GITHUB,
        oidc_session_lifetime::run,
    ),
    audit(
        &secret_to_untrusted_code::DOC,
        GITHUB,
        secret_to_untrusted_code::run,
    ),
    audit(&personal_credential::DOC, GITHUB, personal_credential::run),
];

/// A CI file the audits cannot parse: reported, because a file nobody checked may hide
/// anything (and a green run would say it was checked).
pub const UNPARSABLE_CI_FILE: AuditDoc = AuditDoc {
    id: "unparsable-ci-file",
    name: "CI file that cannot be parsed",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: "A workflow, action or other CI file is not valid YAML (or not UTF-8), so \
no pipeline audit could check it. A file that cannot be read may hide anything: a broad \
`permissions:` block, a secret passed to an untrusted step, an unpinned action. Parsers \
also differ: a document that one YAML parser rejects may still be accepted by the CI \
platform.\n\nExample:\n\n```yaml\non: push\njobs: [\n```",
    remediation: "Fix the YAML syntax at the reported line (a linter such as `yamllint` \
shows the problem), or move a file that is not CI configuration out of the CI folder.",
};

/// zizmor's audit ids and the tokenward audit with the same concern, so a
/// `# zizmor: ignore[id]` comment already in a workflow keeps working.
const ZIZMOR_IDS: &[(&str, &str)] = &[
    ("excessive-permissions", "excessive-permissions"),
    ("dangerous-triggers", "dangerous-trigger"),
    ("template-injection", "template-injection"),
    ("secrets-inherit", "secrets-inherit"),
    ("overprovisioned-secrets", "secrets-all"),
    ("unpinned-uses", "unpinned-action"),
    ("self-hosted-runner", "self-hosted-runner-on-pr"),
    ("artipacked", "persist-credentials"),
    ("hardcoded-container-credentials", "hardcoded-credential"),
    ("use-trusted-publishing", "long-lived-registry-token"),
    ("github-env", "github-env"),
    ("insecure-commands", "insecure-commands"),
    ("cache-poisoning", "cache-poisoning"),
    ("bot-conditions", "bot-conditions"),
    ("unpinned-images", "unpinned-images"),
    ("unredacted-secrets", "unredacted-secrets"),
    ("secrets-outside-env", "deploy-without-environment"),
];

/// Audit ids that were renamed, old to new: the old id keeps working in `--select`,
/// `tokenward.toml` (`enable`, `disable`, `severity`, `[[allow]] rule`) and inline
/// `tokenward:allow[...]` markers.
pub const RENAMED: &[(&str, &str)] = &[
    // GitLab, Azure, CircleCI, Bitbucket and Jenkins images had their own id until the
    // concern was merged with GitHub's (and zizmor's) `unpinned-images`.
    ("unpinned-image", "unpinned-images"),
];

/// The current id of a rule or audit (`id` itself unless it was renamed).
pub fn canonical_id(id: &str) -> &str {
    RENAMED
        .iter()
        .find(|(old, _)| *old == id)
        .map_or(id, |(_, new)| new)
}

/// The tokenward audit that zizmor's audit `id` corresponds to.
pub fn from_zizmor_id(id: &str) -> Option<&'static str> {
    ZIZMOR_IDS.iter().find(|(z, _)| *z == id).map(|(_, t)| *t)
}

/// Every registered audit's documentation.
pub fn docs() -> Vec<AuditDoc> {
    AUDITS
        .iter()
        .map(|a| a.doc.clone())
        .chain([UNPARSABLE_CI_FILE.clone()])
        .collect()
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

/// The CI system and file kind of a path, by its name (and, for GitLab, by the local
/// includes of the scanned repository's `.gitlab-ci.yml`).
pub fn platform_of(rel_path: &str) -> Option<Platform> {
    let p = rel_path.trim_start_matches("./");
    let (dir, name) = match p.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => ("", p),
    };
    if let Some(other) = other_platform(dir, name) {
        return Some(other);
    }
    if crate::pipeline::azure_templates::is_template(p) {
        return Some(Platform::AzurePipelines);
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

/// The GitHub file kind a platform stands for (workflow unless it is an action).
fn github_kind(platform: Platform) -> FileKind {
    match platform {
        Platform::GitHubAction => FileKind::Action,
        _ => FileKind::Workflow,
    }
}

/// Whether a path is a workflow GitHub never runs: a `.github/workflows` folder below
/// the root (vendored code, test data, a sub-project's copy).
pub fn is_nested_workflow(rel_path: &str) -> bool {
    let p = rel_path.trim_start_matches("./");
    platform_of(p) == Some(Platform::GitHubWorkflow) && !p.starts_with(".github/workflows/")
}

/// The platform of a CI file named on the command line: by its path when that tells,
/// else by its top-level keys (`jobs:` with `on:` is a GitHub workflow, `runs:` an
/// action), so a workflow kept outside `.github/workflows/` is audited for what it is.
pub fn named_file_kind(rel_path: &str, text: &str) -> Option<Platform> {
    if let Some(k) = platform_of(rel_path) {
        return Some(k);
    }
    let top = |key: &str| {
        text.lines().any(|l| {
            [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|k| {
                    l.strip_prefix(k.as_str())
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                })
        })
    };
    if top("jobs") && (top("on") || top("true")) {
        Some(Platform::GitHubWorkflow)
    } else if top("runs") {
        Some(Platform::GitHubAction)
    } else {
        None
    }
}

/// Parses one GitHub Actions file and computes its facts. `Err` is a one-line
/// description of why it could not be parsed (`line:col: problem`); `Ok(None)` when it
/// is empty or not a mapping.
pub fn parse_github<'s>(src: &'s Source<'s>) -> Result<Option<yaml::Node>, String> {
    let root = yaml::parse_indexed(src)?;
    Ok(root.filter(yaml::Node::is_map))
}

/// Parses one CI file of `platform` as that platform reads YAML: GitHub rejects a key
/// repeated in one mapping ("'x' is already defined"); GitLab, CircleCI and Bitbucket
/// keep the last one, and Azure Pipelines accepts repeated template-expression keys
/// (`${{ if }}`, `${{ insert }}`), so those files are read with the last key winning
/// rather than reported unparsable.
pub fn parse_ci<'s>(src: &'s Source<'s>, platform: Platform) -> Result<Option<yaml::Node>, String> {
    match platform {
        Platform::GitHubWorkflow | Platform::GitHubAction => parse_github(src),
        _ => Ok(yaml::parse_last_key_wins(src)?.filter(yaml::Node::is_map)),
    }
}

/// How strictly `unpinned-action` wants an action pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinPolicy {
    /// A full commit SHA.
    HashPin,
    /// A SHA or a version tag (not a branch, not nothing).
    RefPin,
    /// Anything.
    Any,
}

impl PinPolicy {
    /// Parses `hash-pin`, `ref-pin` or `any`.
    pub fn parse(s: &str) -> Option<PinPolicy> {
        match s {
            "hash-pin" => Some(PinPolicy::HashPin),
            "ref-pin" => Some(PinPolicy::RefPin),
            "any" => Some(PinPolicy::Any),
            _ => None,
        }
    }
}

/// Settings audits take from the configuration.
#[derive(Debug, Clone, Default)]
pub struct AuditSettings {
    /// Audit workflows below the scan root's own `.github/workflows` too
    /// (`--all-workflows`); GitHub never runs them.
    pub all_workflows: bool,
    /// `[pin-policy]`: `owner/repo` glob patterns (`actions/*`, `my-org/*`) and their
    /// policy, in the config's order; checked before the defaults.
    pub pin_policy: Vec<(String, PinPolicy)>,
}

/// The default pin policy: GitHub's own actions may be pinned to a version tag, every
/// other action to a commit SHA (as zizmor's default).
const DEFAULT_PIN_POLICY: &[(&str, PinPolicy)] = &[
    ("actions/*", PinPolicy::RefPin),
    ("github/*", PinPolicy::RefPin),
    ("*", PinPolicy::HashPin),
];

impl AuditSettings {
    /// The pin policy for action `name` (`owner/repo[/path]`): the first configured
    /// pattern that matches, else the default.
    pub fn pin_policy_for(&self, name: &str) -> PinPolicy {
        let name = name.to_ascii_lowercase();
        let matches = |pattern: &str| {
            let p = pattern.to_ascii_lowercase();
            match p.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == p || name.starts_with(&format!("{p}/")),
            }
        };
        self.pin_policy
            .iter()
            .map(|(p, x)| (p.as_str(), *x))
            .chain(DEFAULT_PIN_POLICY.iter().copied())
            .find(|(p, _)| matches(p))
            .map_or(PinPolicy::HashPin, |(_, x)| x)
    }
}

/// Runs the enabled audits on one pipeline file with default settings.
pub fn audit_file(
    rel_path: &str,
    text: &str,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Vec<Finding>, String> {
    audit_file_with(rel_path, text, enabled, &AuditSettings::default())
}

/// Runs the enabled audits on one pipeline file, its platform told by its path.
pub fn audit_file_with(
    rel_path: &str,
    text: &str,
    enabled: &dyn Fn(&str) -> bool,
    settings: &AuditSettings,
) -> Result<Vec<Finding>, String> {
    let platform = platform_of(rel_path).unwrap_or(Platform::GitHubWorkflow);
    audit_file_as(rel_path, text, platform, enabled, settings)
}

/// Runs the enabled audits on one CI file of `platform`. `Err` is a one-line
/// description of why the file could not be parsed (`line:col: problem`; parsed even
/// when no audit is enabled, so a broken file is always known), or of a finding an audit
/// could not build.
pub fn audit_file_as(
    rel_path: &str,
    text: &str,
    platform: Platform,
    enabled: &dyn Fn(&str) -> bool,
    settings: &AuditSettings,
) -> Result<Vec<Finding>, String> {
    audit_file_with_facts(rel_path, text, platform, enabled, settings).0
}

/// [`audit_file_as`], and the file's facts (for the inventory) from the same parse:
/// `None` when the file is empty or cannot be parsed (its audit result says why).
pub fn audit_file_with_facts(
    rel_path: &str,
    text: &str,
    platform: Platform,
    enabled: &dyn Fn(&str) -> bool,
    settings: &AuditSettings,
) -> (Result<Vec<Finding>, String>, Option<Pipeline>) {
    let out = Vec::new();
    let selected: Vec<&Audit> = AUDITS
        .iter()
        .filter(|a| a.platforms.contains(&platform) && enabled(a.doc.id))
        .collect();
    let src = Source::new(text);
    let run = |facts: Pipeline, syntax: Syntax<'_>, mut out: Vec<Finding>| {
        let cx = Ctx {
            path: rel_path,
            src: &src,
            facts: &facts,
            syntax,
            settings,
            errors: RefCell::new(Vec::new()),
        };
        for a in &selected {
            (a.run)(&cx, &mut out);
        }
        let audited = match cx.errors.into_inner().into_iter().next() {
            Some(e) => Err(format!("internal error: {e}")),
            None => Ok(out),
        };
        (audited, Some(facts))
    };
    if platform == Platform::Jenkins {
        let j = Jenkinsfile::parse(text);
        let facts = from_other::jenkins_facts(rel_path, text, &j);
        return run(facts, Syntax::Jenkins(&j, text), out);
    }
    let root = match parse_ci(&src, platform) {
        Ok(Some(root)) => root,
        Ok(None) => return (Ok(out), None),
        Err(e) => return (Err(e), None),
    };
    if matches!(
        platform,
        Platform::AzurePipelines | Platform::CircleCi | Platform::Bitbucket
    ) {
        let v = OtherCi::from_yaml(platform, root, &src);
        let facts = from_other::facts(platform, rel_path, &src, &v);
        let (audited, facts) = run(facts, Syntax::Other(&v), out);
        // A step or image shared through a YAML alias (Bitbucket `definitions:` steps
        // reused by many pipelines) is one finding where it is written, not one per use.
        let audited = audited.map(|mut out| {
            let mut seen = std::collections::HashSet::new();
            out.retain(|f| {
                seen.insert((f.rule_id.clone(), f.span.start_line, f.span.start_column))
            });
            out
        });
        return (audited, facts);
    }
    if platform == Platform::GitLabCi {
        let gl = match GitLabCi::with_context(&root, gitlab_includes::context_for(rel_path)) {
            Ok(gl) => gl,
            Err(e) => return (Err(e), None),
        };
        let facts = from_gitlab::facts(rel_path, &src, &gl);
        run(facts, Syntax::GitLab(&gl), out)
    } else {
        let wf = Workflow::new(&root, github_kind(platform));
        let facts = from_github::facts(rel_path, &src, &wf);
        run(facts, Syntax::GitHub(&wf), out)
    }
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
    /// Settings from the configuration.
    pub settings: &'a AuditSettings,
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
        // Messages and snippets quote the YAML: a URL's password never goes out whole.
        let snippet = crate::finding::redact_url_credentials(&snippet).into_owned();
        let message = crate::finding::redact_url_credentials(&hit.message).into_owned();
        let built = FindingBuilder::new(doc.id, FindingKind::Pipeline)
            .severity(hit.severity.unwrap_or(doc.severity))
            .confidence(hit.confidence.unwrap_or(doc.confidence))
            // Messages quote scanned text (image names, include targets, variables).
            .message(crate::escape::for_display(&message).into_owned())
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

/// Reports every `env:` entry (workflow, job or step) named in `names` whose value is
/// true (`true`, `1`, any case), with the message `msg(name)`.
pub(crate) fn env_flags(
    cx: &Ctx<'_>,
    out: &mut Vec<Finding>,
    doc: &AuditDoc,
    names: &[&str],
    msg: impl Fn(&str) -> String,
) {
    let Some(wf) = cx.github() else { return };
    let mut envs: Vec<(&yaml::Node, String)> = Vec::new();
    if let Some(e) = wf.env {
        envs.push((e, "env".to_string()));
    }
    for job in &wf.jobs {
        if let Some(e) = job.node.get("env") {
            envs.push((e, format!("{}.env", job.path)));
        }
        for step in &job.steps {
            if let Some(e) = step.node.get("env") {
                envs.push((e, format!("{}.env", step.path)));
            }
        }
    }
    for (env, path) in envs {
        for (k, v) in env.entries() {
            let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            let on = matches!(val.trim().to_ascii_lowercase().as_str(), "true" | "1");
            if on && names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                cx.report(
                    out,
                    doc,
                    Hit::new(cx.src.pair_span(k, v), format!("{path}.{name}"), msg(name)),
                );
            }
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
        assert!(is_nested_workflow(
            "node_modules/x/.github/workflows/ci.yml"
        ));
        assert!(!is_nested_workflow(".github/workflows/ci.yml"));
        assert!(!is_nested_workflow("actions/setup/action.yml"));
    }

    #[test]
    fn docs_are_complete_and_unique() {
        let docs = docs();
        assert_eq!(docs.len(), AUDITS.len() + 1);
        let mut ids: Vec<_> = docs.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), AUDITS.len() + 1);
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
    fn zizmor_ids_name_registered_audits() {
        for (_, ours) in ZIZMOR_IDS {
            assert!(AUDITS.iter().any(|a| a.doc.id == *ours), "{ours}");
        }
    }

    #[test]
    fn named_files_are_judged_by_content() {
        let wf = "name: deploy\non: push\njobs:\n  a:\n    runs-on: x\n";
        assert_eq!(
            named_file_kind("deployments/aws.yml", wf),
            Some(Platform::GitHubWorkflow)
        );
        let action = "name: x\nruns:\n  using: composite\n";
        assert_eq!(
            named_file_kind("ci/setup.yml", action),
            Some(Platform::GitHubAction)
        );
        assert_eq!(
            named_file_kind("k8s/pod.yml", "kind: Pod\nspec: {}\n"),
            None
        );
        assert_eq!(named_file_kind("x.yml", "jobs:\n  a: 1\n"), None);
    }

    #[test]
    fn malformed_yaml_is_one_line_error() {
        let e =
            audit_file(".github/workflows/x.yml", "on: push\njobs: [\n", &|_| true).unwrap_err();
        assert!(!e.contains('\n'));
        assert!(e.starts_with(|c: char| c.is_ascii_digit()));
    }
}
