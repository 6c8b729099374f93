//! Renders the pipeline facts ([`crate::pipeline`]) of a repository's CI files as the
//! inventory's secrets, logins and token grants. Nothing here reads YAML or knows a
//! platform: every fact comes from the front ends the audits use too, so an inventory
//! row and an audit finding about the same thing point at the same line.
//!
//! Reusable workflows are followed through their local callers ([`Repo`]): a secret
//! used in a called workflow is listed under the caller's secret name (`secrets:
//! inherit` keeps the name, an explicit `secrets:` mapping renames it), with the
//! caller's triggers.

use super::codeowners::CodeOwners;
use super::model::{
    ActionUse, Authentication, EffectivePermissions, PermissionGrant, SecretConsumer, SecretEntry,
    SecretUse, UNOWNED,
};
use crate::pipeline::catalog::{self, Exposure, Provider};
use crate::pipeline::consumers::consumers;
use crate::pipeline::repo::{Repo, RunContext};
use crate::pipeline::{Grant, JobFacts, Login, Method, Pipeline, SecretRef};
use std::collections::{BTreeMap, BTreeSet};

/// What the workflows contribute to the inventory.
#[derive(Debug, Default)]
pub struct Collected {
    /// Secrets, sorted by name.
    pub secrets: Vec<SecretEntry>,
    /// Logins, sorted by workflow and line.
    pub authentications: Vec<Authentication>,
    /// One grant per job, sorted by workflow and line.
    pub permissions: Vec<PermissionGrant>,
    /// Every `uses:` of code kept elsewhere, sorted by name, workflow and line.
    pub actions: Vec<ActionUse>,
}

/// Renders the facts of `pipelines` (every CI file of one repository).
pub fn collect(pipelines: Vec<Pipeline>, co: &CodeOwners) -> Collected {
    let repo = Repo::new(pipelines);
    let owners: Vec<String> = repo
        .pipelines
        .iter()
        .map(|p| co.owner_or_unowned(&p.path))
        .collect();
    let r = Render {
        repo: &repo,
        owners,
    };
    let authentications = r.authentications();
    Collected {
        secrets: r.secrets(),
        permissions: r.grants(&authentications),
        authentications,
        actions: r.actions(),
    }
}

struct Render<'a> {
    repo: &'a Repo,
    owners: Vec<String>,
}

fn effective(g: Grant) -> EffectivePermissions {
    EffectivePermissions {
        source: g.source.to_string(),
        scopes: g.scopes,
    }
}

impl Render<'_> {
    fn job(&self, wi: usize, ji: usize) -> &JobFacts {
        &self.repo.pipelines[wi].jobs[ji]
    }

    fn step_label(&self, wi: usize, ji: usize, step: Option<usize>) -> Option<String> {
        step.and_then(|s| self.job(wi, ji).steps.get(s).cloned())
    }

    /// The secret references that job `ji` of pipeline `wi` sees (its own and the
    /// workflow's `env:`), plus `*` for `secrets: inherit` to a workflow we cannot read.
    fn refs(&self, wi: usize, ji: usize) -> Vec<SecretRef> {
        let p = &self.repo.pipelines[wi];
        let mut out: Vec<SecretRef> = p
            .secret_refs
            .iter()
            .filter(|r| r.job.is_none() || r.job == Some(ji))
            .cloned()
            .collect();
        let job = &p.jobs[ji];
        if job.inherits_secrets && job.calls.as_deref().is_none_or(|c| !self.repo.has_local(c)) {
            out.push(SecretRef {
                name: "*".into(),
                job: Some(ji),
                step: None,
                key: "secrets".into(),
                passed_as: crate::pipeline::PassedAs::CallSecrets,
                purpose: Some("reusable-workflow".into()),
                span: job.span,
            });
        }
        out
    }

    fn secrets(&self) -> Vec<SecretEntry> {
        // name -> (uses, keys of those uses)
        let mut by_name: BTreeMap<String, (Vec<SecretUse>, Vec<String>)> = BTreeMap::new();
        for (wi, p) in self.repo.pipelines.iter().enumerate() {
            let ctxs = self.repo.contexts(wi);
            for (ji, job) in p.jobs.iter().enumerate() {
                let refs = self.refs(wi, ji);
                for ctx in &ctxs {
                    self.uses_in_context(wi, ji, job, ctx, &refs, &mut by_name);
                }
            }
        }
        by_name
            .into_iter()
            .map(|(name, (mut uses, keys))| {
                uses.sort_by(|a, b| {
                    (&a.workflow, a.line, &a.job, &a.called_from).cmp(&(
                        &b.workflow,
                        b.line,
                        &b.job,
                        &b.called_from,
                    ))
                });
                let identifier = keys
                    .iter()
                    .all(|k| catalog::IDENTIFIER_INPUTS.contains(&k.as_str()));
                let (kind, lifetime) = if name == "*" {
                    ("all-secrets", None)
                } else if identifier || catalog::is_public_value_name(&name) {
                    ("identifier", None)
                } else {
                    ("credential", Some("long-lived".to_string()))
                };
                let purposes: BTreeSet<String> =
                    uses.iter().filter_map(|u| u.purpose.clone()).collect();
                // Each owner once, though workflows list several owners each.
                let owners: BTreeSet<&str> = uses
                    .iter()
                    .flat_map(|u| u.owner.split_whitespace())
                    .filter(|o| *o != UNOWNED)
                    .collect();
                let owner = if owners.is_empty() {
                    UNOWNED.to_string()
                } else {
                    owners.into_iter().collect::<Vec<_>>().join(" ")
                };
                SecretEntry {
                    reachable_from_untrusted: uses.iter().any(|u| !u.untrusted_triggers.is_empty()),
                    name,
                    kind: kind.into(),
                    lifetime,
                    purposes: purposes.into_iter().collect(),
                    owner,
                    uses,
                }
            })
            .collect()
    }

    fn uses_in_context(
        &self,
        wi: usize,
        ji: usize,
        job: &JobFacts,
        ctx: &RunContext,
        refs: &[SecretRef],
        by_name: &mut BTreeMap<String, (Vec<SecretUse>, Vec<String>)>,
    ) {
        let caller_guard = ctx
            .caller
            .is_some_and(|(cw, cj)| self.job(cw, cj).same_repo_only);
        let guarded = job.same_repo_only || caller_guard;
        let mut untrusted: Vec<String> = ctx
            .triggers
            .iter()
            .filter(|t| catalog::exposure(t) == Exposure::Privileged)
            .filter(|t| !(guarded && *t == "pull_request_target"))
            .cloned()
            .collect();
        // A platform that decides per job (GitLab `rules:`): the job's own events;
        // merge-request pipelines get the project's unprotected variables.
        let mut triggers = ctx.triggers.clone();
        if !job.runs_on.is_empty() {
            triggers = job.runs_on.iter().map(|(t, _)| t.clone()).collect();
            untrusted = job
                .runs_on
                .iter()
                .filter(|(_, x)| *x != Exposure::Trusted)
                .map(|(t, _)| t.clone())
                .collect();
        }
        let perms = effective(self.repo.grant(wi, ji, ctx.caller));
        let caller = ctx.caller.map(|(cw, cj)| (cw, self.job(cw, cj)));
        let called_from =
            caller.map(|(cw, j)| format!("{}#{}", self.repo.pipelines[cw].path, j.id));
        let via = if caller.is_some_and(|(_, j)| j.inherits_secrets) {
            "secrets-inherit"
        } else {
            "expression"
        };
        for r in refs {
            let names = if r.name == "*" {
                vec!["*".to_string()]
            } else {
                self.repo.caller_names(ctx, &r.name)
            };
            for name in names {
                let name = name.to_ascii_uppercase();
                let via = if r.name == "*" {
                    "secrets-inherit"
                } else {
                    via
                };
                let u = SecretUse {
                    workflow: self.repo.pipelines[wi].path.clone(),
                    job: job.id.clone(),
                    step: self.step_label(wi, ji, r.step),
                    line: r.span.start_line,
                    called_from: called_from.clone(),
                    via: via.to_string(),
                    triggers: triggers.clone(),
                    untrusted_triggers: untrusted.clone(),
                    permissions: perms.clone(),
                    environment: job.environment.clone(),
                    purpose: r.purpose.clone(),
                    owner: self.owners[wi].clone(),
                    consumers: consumers(&self.repo.pipelines[wi], r, ji)
                        .into_iter()
                        .map(|c| SecretConsumer {
                            step: self.step_label(wi, ji, c.step),
                            receiver: c.receiver,
                            trust: c.trust.id().to_string(),
                            line: r.span.start_line,
                        })
                        .collect(),
                };
                let entry = by_name.entry(name).or_default();
                if !entry.0.contains(&u) {
                    entry.0.push(u);
                    entry.1.push(r.key.to_ascii_lowercase());
                }
            }
        }
    }

    fn auth_row(&self, wi: usize, ji: usize, login: &Login) -> Authentication {
        let id_token = self.repo.own_grant(wi, ji).writes("id-token");
        let oidc = login.method == Method::Oidc;
        Authentication {
            provider: login.provider.id().into(),
            method: login.method.id().into(),
            lifetime: if login.method == Method::StaticKey {
                "long-lived"
            } else {
                "short-lived"
            }
            .into(),
            workflow: self.repo.pipelines[wi].path.clone(),
            job: self.job(wi, ji).id.clone(),
            step: self.step_label(wi, ji, login.step),
            line: login.span.start_line,
            secrets: login
                .secrets
                .iter()
                .map(|s| s.to_ascii_uppercase())
                .collect(),
            id_token_write: id_token,
            note: (oidc && !id_token)
                .then(|| "OIDC needs `id-token: write`, which this job's token lacks".to_string()),
            owner: self.owners[wi].clone(),
        }
    }

    fn authentications(&self) -> Vec<Authentication> {
        let mut out = Vec::new();
        for (wi, p) in self.repo.pipelines.iter().enumerate() {
            for login in &p.logins {
                // A workflow-level `env:` login is handed to every job.
                let jobs: Vec<usize> = match login.job {
                    Some(j) => vec![j],
                    None => (0..p.jobs.len()).collect(),
                };
                for ji in jobs {
                    out.push(self.auth_row(wi, ji, login));
                }
            }
            // npm trusted publishing: a publish with no stored token in a job that can
            // mint an OIDC token.
            for publish in &p.publishes {
                let ji = publish.job;
                let has_token = p.logins.iter().any(|l| {
                    l.provider.is_package_registry()
                        && l.method == Method::StaticKey
                        && l.job.is_none_or(|j| j == ji)
                });
                if publish.provider == Provider::Npm
                    && !publish.with_secret
                    && !has_token
                    && self.repo.own_grant(wi, ji).writes("id-token")
                {
                    let login = Login {
                        provider: Provider::Npm,
                        method: Method::Oidc,
                        job: Some(ji),
                        step: Some(publish.step),
                        span: crate::finding::Span {
                            start_line: publish.line,
                            start_column: 1,
                            end_line: publish.line,
                            end_column: 1,
                        },
                        key: String::new(),
                        via: "oidc".into(),
                        secrets: Vec::new(),
                        from_expression: false,
                        publishes: true,
                    };
                    out.push(self.auth_row(wi, ji, &login));
                }
            }
        }
        out.sort_by(|a, b| (&a.workflow, a.line, &a.job).cmp(&(&b.workflow, b.line, &b.job)));
        out.dedup();
        out
    }

    fn actions(&self) -> Vec<ActionUse> {
        let mut out: Vec<ActionUse> = self
            .repo
            .pipelines
            .iter()
            .flat_map(|p| {
                p.uses.iter().map(|u| ActionUse {
                    name: u.name.clone(),
                    reference: u.reference.clone(),
                    pinned: u.pinned,
                    workflow: p.path.clone(),
                    line: u.line,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.name, &a.workflow, a.line).cmp(&(&b.name, &b.workflow, b.line)));
        out
    }

    fn grants(&self, auths: &[Authentication]) -> Vec<PermissionGrant> {
        let mut out = Vec::new();
        for (wi, p) in self.repo.pipelines.iter().enumerate() {
            if p.platform != crate::pipeline::Platform::GitHubWorkflow {
                continue;
            }
            for (ji, job) in p.jobs.iter().enumerate() {
                let permissions = effective(self.repo.own_grant(wi, ji));
                let writes = permissions
                    .scopes
                    .iter()
                    .filter(|(_, l)| *l == "write")
                    .map(|(s, _)| s.clone())
                    .collect();
                let oidc = auths
                    .iter()
                    .any(|a| a.workflow == p.path && a.job == job.id && a.method == "oidc");
                let suggested = job.token.least().map(|s| {
                    let mut s = s.clone();
                    if oidc {
                        s.insert("id-token".into(), "write".into());
                    }
                    s
                });
                out.push(PermissionGrant {
                    workflow: p.path.clone(),
                    job: job.id.clone(),
                    line: job.span.start_line,
                    permissions,
                    writes,
                    suggested,
                    owner: self.owners[wi].clone(),
                });
            }
        }
        out
    }
}
