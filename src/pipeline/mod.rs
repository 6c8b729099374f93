//! The pipeline model: CI files parsed with positions and turned into one
//! platform-neutral set of facts, computed once per file by the platform's front end,
//! that audits judge and the inventory lists.
//!
//! A fact keeps the span and YAML path it came from, so an audit finding and the
//! inventory row about the same thing point at the same line. Knowledge about
//! platforms lives in [`catalog`]; the GitHub Actions syntax view is [`github`], its
//! front end [`from_github`]; [`repo`] links files (reusable workflows and their
//! callers).

pub mod azure_templates;
pub mod catalog;
pub mod consumers;
pub mod from_github;
pub mod from_gitlab;
pub mod from_other;
pub mod github;
pub mod gitlab;
pub mod gitlab_includes;
pub mod jenkins_blocks;
pub mod other_ci;
pub mod repo;
pub mod script_words;
pub mod yaml;
mod yaml_build;

use crate::finding::Span;
use catalog::{Exposure, Provider};
use std::collections::BTreeMap;

/// A job's token scopes: scope name (`contents`, `id-token`, or `*` for
/// `read-all`/`write-all`) to level (`read`, `write`, `none`).
pub type Scopes = BTreeMap<String, String>;

/// The CI system and file kind a pipeline was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// A GitHub Actions workflow (`.github/workflows/*.yml`).
    GitHubWorkflow,
    /// A GitHub Actions action's metadata (`action.yml`), composite steps as one job.
    GitHubAction,
    /// A GitLab CI file (`.gitlab-ci.yml`, `*.gitlab-ci.yml`, files under `.gitlab/ci/`).
    GitLabCi,
    /// An Azure Pipelines file (`azure-pipelines.yml`, templates under `.azure-pipelines/`).
    AzurePipelines,
    /// A CircleCI config (`.circleci/config.yml`).
    CircleCi,
    /// A Bitbucket Pipelines file (`bitbucket-pipelines.yml`).
    Bitbucket,
    /// A Jenkinsfile (declarative or scripted Groovy).
    Jenkins,
}

impl Platform {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Platform::GitHubWorkflow => "GitHub Actions workflow",
            Platform::GitHubAction => "GitHub Actions action",
            Platform::GitLabCi => "GitLab CI",
            Platform::AzurePipelines => "Azure Pipelines",
            Platform::CircleCi => "CircleCI",
            Platform::Bitbucket => "Bitbucket Pipelines",
            Platform::Jenkins => "Jenkins",
        }
    }

    /// Stable kebab-case id (`github-workflow`, `github-action`, `gitlab-ci`), as the
    /// README's audit table lists it.
    pub fn id(self) -> &'static str {
        match self {
            Platform::GitHubWorkflow => "github-workflow",
            Platform::GitHubAction => "github-action",
            Platform::GitLabCi => "gitlab-ci",
            Platform::AzurePipelines => "azure-pipelines",
            Platform::CircleCi => "circleci",
            Platform::Bitbucket => "bitbucket",
            Platform::Jenkins => "jenkins",
        }
    }
}

/// How a pipeline authenticates to a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// Short-lived credentials federated through the job's OIDC token.
    Oidc,
    /// A stored long-lived credential (key, token, password).
    StaticKey,
    /// The job's own token (`GITHUB_TOKEN`).
    JobToken,
    /// GitLab's job token (`CI_JOB_TOKEN`).
    GitLabJobToken,
}

impl Method {
    /// Stable id used in the inventory (`oidc`, `static-key`, `github-token`).
    pub fn id(self) -> &'static str {
        match self {
            Method::Oidc => "oidc",
            Method::StaticKey => "static-key",
            Method::JobToken => "github-token",
            Method::GitLabJobToken => "ci-job-token",
        }
    }
}

/// How a secret reaches the place that references it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassedAs {
    /// In an `env:` mapping.
    Env,
    /// In an action's `with:` inputs.
    Input,
    /// Interpolated into a script.
    Script,
    /// In a reusable-workflow call's `secrets:` mapping.
    CallSecrets,
    /// Anywhere else (a condition, a container setting, ...).
    Other,
}

/// A login to a cloud or registry.
#[derive(Debug, Clone)]
pub struct Login {
    /// Who it logs in to.
    pub provider: Provider,
    /// How.
    pub method: Method,
    /// Index of the job in [`Pipeline::jobs`]; `None` for workflow-level `env:`.
    pub job: Option<usize>,
    /// Index of the step in its job's steps, when a step logs in.
    pub step: Option<usize>,
    /// Where the credential is handed over (the input or variable).
    pub span: Span,
    /// YAML path of that node (the fingerprint key).
    pub key: String,
    /// The variable or input that carries it (`AWS_ACCESS_KEY_ID`, `with.creds`, `run`).
    pub via: String,
    /// The stored secrets it uses, in source case.
    pub secrets: Vec<String>,
    /// Whether the value is an expression (`${{ }}`) rather than a literal.
    pub from_expression: bool,
    /// For registries: whether the job it is given to publishes there.
    pub publishes: bool,
}

/// A package publish.
#[derive(Debug, Clone)]
pub struct Publish {
    /// The registry.
    pub provider: Provider,
    /// Job index.
    pub job: usize,
    /// Step index.
    pub step: usize,
    /// Line of the command or action.
    pub line: usize,
    /// Whether the command asks for provenance (`--provenance`).
    pub provenance: bool,
    /// Whether the publishing line itself passes a stored secret.
    pub with_secret: bool,
}

/// A `uses:` of code kept in another repository: an action, a reusable workflow or a
/// `docker://` image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsesRef {
    /// `owner/repo[/path]`, or `docker://image` for a container action.
    pub name: String,
    /// The ref after `@` (tag, branch, SHA) or the image digest, when there is one.
    pub reference: Option<String>,
    /// Whether the ref is a full commit SHA or an image digest.
    pub pinned: bool,
    /// Job index.
    pub job: usize,
    /// Step index; `None` for a job that calls a reusable workflow.
    pub step: Option<usize>,
    /// Line of the `uses:` value.
    pub line: usize,
}

impl UsesRef {
    /// Splits a `uses:` value; `None` for local paths (`./...`) and expressions.
    pub fn parse(uses: &str, job: usize, step: Option<usize>, line: usize) -> Option<UsesRef> {
        let uses = uses.trim();
        if uses.is_empty() || uses.starts_with('.') || uses.contains("${{") {
            return None;
        }
        let (name, reference, pinned) = if let Some(image) = uses.strip_prefix("docker://") {
            match image.split_once("@sha256:") {
                Some((n, d)) => (format!("docker://{n}"), Some(format!("sha256:{d}")), true),
                None => (format!("docker://{image}"), None, false),
            }
        } else {
            let (name, r) = match uses.rsplit_once('@') {
                Some((n, r)) => (n, Some(r.to_string())),
                None => (uses, None),
            };
            let pinned = r
                .as_deref()
                .is_some_and(|r| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()));
            (name.to_string(), r, pinned)
        };
        Some(UsesRef {
            name,
            reference,
            pinned,
            job,
            step,
            line,
        })
    }
}

/// A reference to a stored secret.
#[derive(Debug, Clone)]
pub struct SecretRef {
    /// The secret's name, in source case.
    pub name: String,
    /// Job index; `None` for workflow-level `env:`.
    pub job: Option<usize>,
    /// Step index.
    pub step: Option<usize>,
    /// Last key of the YAML path (`aws-access-key-id`, `NODE_AUTH_TOKEN`, `run`).
    pub key: String,
    /// How it is passed.
    pub passed_as: PassedAs,
    /// What it is for, when the place tells (`cloud-login/aws`, `registry-publish/npm`,
    /// `notification`, `deploy`, `reusable-workflow`).
    pub purpose: Option<String>,
    /// Where.
    pub span: Span,
}

/// What a job does with its `GITHUB_TOKEN`, as far as the catalog can tell.
#[derive(Debug, Clone, Default)]
pub struct TokenUse {
    /// Write (or read) scopes the job is known to need.
    pub needs: Scopes,
    /// Something uses the token in a way no table reads (an unknown action, a raw API
    /// call, an unknown `gh` command, a reusable-workflow call): any scope may be used.
    pub opaque: bool,
    /// A step hands the token to a tool or calls GitHub (`gh`, `GITHUB_TOKEN`, API
    /// URLs): any scope but `id-token` may be used.
    pub handed_out: bool,
    /// Scopes that release or deploy words in scripts make plausible.
    pub plausible: Vec<&'static str>,
    /// A step runs a program kept in the repository (`./scripts/release.sh`), which
    /// can use the token through the credentials checkout persisted or its
    /// environment: any scope but `id-token` may be used.
    pub repo_program: bool,
}

impl TokenUse {
    /// Whether the job may use `scope` (the audit's view: unknown counts as used).
    pub fn may_use(&self, scope: &str) -> bool {
        self.opaque
            || self.needs.get(scope).is_some_and(|l| l == "write")
            || (scope != "id-token" && (self.handed_out || self.repo_program))
            || self.plausible.contains(&scope)
    }

    /// The least scopes the job needs, when every use is known (the inventory's
    /// suggestion).
    pub fn least(&self) -> Option<&Scopes> {
        (!self.opaque && !self.repo_program).then_some(&self.needs)
    }
}

/// The token grant a job runs with.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Where the scopes come from: `job`, `workflow` or `default`.
    pub source: &'static str,
    /// The scopes.
    pub scopes: Scopes,
}

impl Grant {
    /// Whether `scope` (or `*`) is granted `write`.
    pub fn writes(&self, scope: &str) -> bool {
        [scope, "*"]
            .iter()
            .any(|s| self.scopes.get(*s).is_some_and(|l| l == "write"))
    }
}

/// One job (or an action's composite steps).
#[derive(Debug, Clone)]
pub struct JobFacts {
    /// The job id.
    pub id: String,
    /// Where the job is defined (its key).
    pub span: Span,
    /// The reusable workflow it calls (`uses:` of the job), if any.
    pub calls: Option<String>,
    /// The deployment environment, if any.
    pub environment: Option<String>,
    /// Whether its condition keeps fork pull requests out.
    pub same_repo_only: bool,
    /// The token grant declared in this file (job, else workflow, else default).
    pub grant: Grant,
    /// What it does with the token.
    pub token: TokenUse,
    /// A label per step (name, id, action or script start).
    pub steps: Vec<String>,
    /// Per step, the action it runs (`uses:`), or `None` for a script.
    pub step_uses: Vec<Option<String>>,
    /// Whether its call passes `secrets: inherit`.
    pub inherits_secrets: bool,
    /// Secret names mapped in a reusable-workflow call: callee name -> caller's
    /// secrets.
    pub call_secrets: Vec<(String, Vec<String>)>,
    /// The events that run this job, when the platform decides per job (GitLab
    /// `rules:`); empty when the pipeline's triggers apply.
    pub runs_on: Vec<(String, catalog::Exposure)>,
}

/// The facts of one CI file.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Platform and file kind.
    pub platform: Platform,
    /// Path relative to the scan root.
    pub path: String,
    /// Events that run it, with their exposure.
    pub triggers: Vec<(String, Exposure)>,
    /// Jobs in source order.
    pub jobs: Vec<JobFacts>,
    /// Every secret reference.
    pub secret_refs: Vec<SecretRef>,
    /// Every login.
    pub logins: Vec<Login>,
    /// Every publish.
    pub publishes: Vec<Publish>,
    /// Every action, reusable workflow and image used from elsewhere.
    pub uses: Vec<UsesRef>,
}

impl Pipeline {
    /// The trigger names that an outsider controls with the repository's privileges.
    pub fn privileged_triggers(&self) -> impl Iterator<Item = &str> {
        self.triggers
            .iter()
            .filter(|(_, x)| *x == Exposure::Privileged)
            .map(|(t, _)| t.as_str())
    }
}
