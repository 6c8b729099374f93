//! Audit `deploy-without-environment`: jobs that deploy or publish with secrets or OIDC
//! but run in no deployment environment, so no protection rule or reviewer gates them.
//! Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::Method;
use crate::pipeline::catalog::Exposure;

/// Documentation of `deploy-without-environment`.
pub const DOC: AuditDoc = AuditDoc {
    id: "deploy-without-environment",
    name: "Deploy or publish job outside a protected environment",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    description: include_str!("docs/deploy_without_environment.md"),
    remediation: "Run the job in an environment (`environment: production`) with \
deployment branch rules and, for production, required reviewers; move its secrets to that \
environment and restrict the cloud role's OIDC trust to it (`sub: \
repo:OWNER/REPO:environment:production`).",
};

/// Words in a job's id or step names that make a cloud login a deployment.
const DEPLOY_WORDS: &[&str] = &["deploy", "release", "publish", "prod", "promote", "rollout"];

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let facts = cx.facts;
    if facts
        .triggers
        .iter()
        .all(|(_, x)| *x == Exposure::ForkPullRequest)
    {
        return;
    }
    for (ji, job) in facts.jobs.iter().enumerate() {
        if job.environment.is_some() || job.calls.is_some() {
            continue;
        }
        // A cloud login is a deployment when the job says so (tests log in too).
        // Lowercased once per job, not once per word.
        let id = job.id.to_ascii_lowercase();
        let steps: Vec<String> = job.steps.iter().map(|s| s.to_ascii_lowercase()).collect();
        let deploying = DEPLOY_WORDS
            .iter()
            .any(|w| id.contains(w) || steps.iter().any(|s| s.contains(w)));
        let cloud = facts
            .logins
            .iter()
            .filter(|l| l.job == Some(ji) && l.provider.is_cloud() && deploying)
            .map(|l| {
                let how = if l.method == Method::Oidc {
                    "OIDC"
                } else {
                    "a stored key"
                };
                format!("logs in to {} with {how}", l.provider.name())
            })
            .next();
        let publish = facts
            .publishes
            .iter()
            .find(|p| p.job == ji)
            .map(|p| format!("publishes to {}", p.provider.name()));
        let deploy = facts
            .secret_refs
            .iter()
            .filter(|_| deploying)
            .find(|r| r.job == Some(ji) && r.purpose.as_deref() == Some("deploy"))
            .map(|r| format!("deploys with `secrets.{}`", r.name));
        let Some(what) = cloud.or(publish).or(deploy) else {
            continue;
        };
        let msg = format!(
            "Job `{}` {what} but runs in no `environment:`: any branch or workflow change that reaches this job gets the credential with no deployment rule or reviewer in the way; run it in a protected environment.",
            job.id
        );
        cx.report(
            out,
            &DOC,
            Hit::new(job.span, format!("jobs.{}.environment", job.id), msg),
        );
    }
}
