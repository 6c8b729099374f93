//! Audit `secrets-on-untrusted-pipeline`: GitLab jobs that read stored credentials and
//! run in merge-request pipelines, where the merge request's code runs with them. Its
//! documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::from_gitlab::job_runs_on_mr;
use std::collections::HashSet;

/// Documentation of `secrets-on-untrusted-pipeline`.
pub const DOC: AuditDoc = AuditDoc {
    id: "secrets-on-untrusted-pipeline",
    name: "Stored credentials used in merge-request pipelines",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    description: include_str!("docs/secrets_on_untrusted_pipeline.md"),
    remediation: "Mark the variables protected (they are then only given to pipelines of \
protected branches and tags) and keep jobs that need them off merge-request pipelines \
(`rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"` with `when: never`, or \
`if: $CI_COMMIT_REF_PROTECTED == \"true\"`); never run fork merge requests in the parent \
project with secrets in reach.",
};

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(gl) = cx.gitlab() else { return };
    let mut seen = HashSet::new();
    for (ji, job) in gl.runnable().enumerate() {
        let Some(why) = job_runs_on_mr(gl, job) else {
            continue;
        };
        let refs: Vec<_> = cx
            .facts
            .secret_refs
            .iter()
            .filter(|r| r.job == Some(ji))
            .collect();
        let Some(first) = refs.first() else { continue };
        if !seen.insert((first.span.start_line, first.span.start_column)) {
            continue;
        }
        let mut names: Vec<String> = refs.iter().map(|r| format!("`${}`", r.name)).collect();
        names.dedup();
        let whence = if why.foreign {
            "rules from an included file".to_string()
        } else {
            format!("line {}", why.line)
        };
        let msg = format!(
            "Job `{}` reads {} and runs in merge-request pipelines ({whence}): the merge request's code, build scripts and dependencies run with these credentials; mark them protected and keep this job to protected branches.",
            job.id,
            names.join(", "),
        );
        cx.report(
            out,
            &DOC,
            Hit::new(first.span, format!("{}.{}", job.id, first.name), msg),
        );
    }
}
