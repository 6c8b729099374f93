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
    if let Some(v) = cx.other() {
        // Bitbucket: steps under `pipelines: pull-requests:` get the repository's secured
        // variables for pull requests from branches of the repository.
        let mut seen = HashSet::new();
        for (path, node) in &v.scripts {
            if !v.in_pr_step(path) {
                continue;
            }
            let Some(text) = node.as_str() else { continue };
            for r in crate::pipeline::from_gitlab::var_refs(text) {
                if !crate::pipeline::from_gitlab::secret_name(r.name) {
                    continue;
                }
                let span = cx
                    .src
                    .find_in_node(node, &text[r.start..r.end], 0)
                    .unwrap_or_else(|| cx.src.node_span(node));
                if !seen.insert(span.start_line) {
                    continue;
                }
                let msg = format!(
                    "`${}` is used by a step of a `pull-requests:` pipeline, which runs the pull request's code: its author's build scripts and dependencies run with the credential; use it only in `branches:` pipelines of protected branches, or in a deployment step with deployment variables.",
                    r.name
                );
                cx.report(out, &DOC, Hit::new(span, format!("{path}.{}", r.name), msg));
            }
        }
        return;
    }
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
