//! Audit `secrets-on-untrusted-pipeline`: jobs that read stored credentials and run in
//! merge-request or pull-request builds, where the request's code runs with them
//! (GitLab, Bitbucket, Azure Pipelines, CircleCI, Jenkins). Its documentation is
//! [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity, Span};
use crate::pipeline::Platform;
use crate::pipeline::from_gitlab::{job_runs_on_mr, secret_name, var_refs};
use crate::pipeline::from_other::azure_macros;
use crate::pipeline::jenkins_blocks::{Regions, bindings, pr_regions};
use crate::pipeline::other_ci::OtherCi;
use crate::pipeline::yaml::Node;
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

/// Stored-variable references in a value: `$NAME`, `${NAME}` and Azure's `$(NAME)`;
/// dotted names (`$(Build.BuildId)`, `$(System.AccessToken)`) are Azure's predefined
/// variables.
fn secret_refs_in(text: &str) -> Vec<(&str, usize, usize)> {
    let mut out: Vec<(&str, usize, usize)> = var_refs(text)
        .into_iter()
        .map(|r| (r.name, r.start, r.end))
        .collect();
    out.extend(azure_macros(text));
    out.retain(|(n, _, _)| !n.contains('.') && secret_name(n));
    out
}

/// Azure: with a `pr:` trigger, every job runs for pull requests unless a condition
/// keeps it off them.
fn azure(cx: &Ctx<'_>, v: &OtherCi, out: &mut Vec<Finding>) {
    let Some((pr_key, _)) = &v.pr_trigger else {
        return;
    };
    let pr_line = cx.src.node_span(pr_key).start_line;
    let mut places: Vec<(&str, &Node)> = v.scripts.iter().map(|(p, n)| (p.as_str(), n)).collect();
    places.extend(
        v.variables
            .iter()
            .filter(|nv| nv.path.ends_with("env"))
            .map(|nv| (nv.path.as_str(), &nv.value)),
    );
    let mut hits: Vec<(Span, String, String)> = Vec::new();
    for (path, node) in places {
        if v.off_pr_builds(path) {
            continue;
        }
        let Some(text) = node.as_str() else { continue };
        if let Some((name, s, e)) = secret_refs_in(text).into_iter().next() {
            let span = cx
                .src
                .find_in_node(node, &text[s..e], 0)
                .unwrap_or_else(|| cx.src.node_span(node));
            hits.push((span, path.to_string(), name.to_string()));
        }
    }
    hits.sort_by_key(|h| (h.0.start_line, h.0.start_column));
    let mut seen = HashSet::new();
    for (span, path, name) in hits {
        let job = cx
            .facts
            .jobs
            .iter()
            .rposition(|j| j.span.start_line <= span.start_line);
        if !seen.insert(job) {
            continue;
        }
        let who = job.map_or_else(
            || "This pipeline".to_string(),
            |j| format!("Job `{}`", cx.facts.jobs[j].id),
        );
        let msg = format!(
            "{who} reads `$({name})` and runs for pull requests (`pr:` trigger, line {pr_line}): the pull request's code, build scripts and dependencies run with the secret. Keep it off PR builds with `condition: ne(variables['Build.Reason'], 'PullRequest')` and leave 'Make secrets available to builds of forks' off in the pipeline's settings (not visible in YAML)."
        );
        cx.report(out, &DOC, Hit::new(span, format!("{path}.{name}"), msg));
    }
}

/// CircleCI: a job that a workflow runs on every branch also runs on pull-request
/// branches; with a context it gets the context's secrets there.
fn circleci(cx: &Ctx<'_>, v: &OtherCi, out: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    for bj in &v.every_branch_jobs {
        if !seen.insert(bj.name.as_str()) {
            continue;
        }
        if let Some(ctx) = &bj.context {
            let names = match ctx.as_str() {
                Some(s) => format!("`{s}`"),
                None => ctx
                    .items()
                    .iter()
                    .filter_map(Node::as_str)
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let msg = format!(
                "Job `{}` gets context {names} and its workflow runs it on every branch, pull-request branches included: whoever can push a branch (and fork authors, if the project passes secrets to forked pull requests) runs code with the context's secrets. Add `filters: branches: only:` with your release branches, or restrict the context to protected branches.",
                bj.name
            );
            cx.report(
                out,
                &DOC,
                Hit::new(
                    cx.src.node_span(ctx),
                    format!("workflows.{}.context", bj.name),
                    msg,
                ),
            );
            continue;
        }
        // An inline orb's job `orb/job` is defined under `orbs: orb: jobs: job:`; the
        // reusable commands it runs are read where they are defined.
        let mut prefixes = vec![match bj.name.split_once('/') {
            Some((orb, job)) => (format!("orbs.{orb}.jobs.{job}."), None),
            None => (format!("jobs.{}.", bj.name), None),
        }];
        if let Some((_, cmds)) = v.job_commands.iter().find(|(j, _)| *j == bj.name) {
            prefixes.extend(cmds.iter().map(|c| (format!("{c}."), Some(c.as_str()))));
        }
        let first = prefixes.iter().find_map(|(prefix, command)| {
            v.scripts
                .iter()
                .filter(|(p, _)| p.starts_with(prefix.as_str()))
                .find_map(|(p, n)| {
                    let text = n.as_str()?;
                    let (name, s, e) = secret_refs_in(text).into_iter().next()?;
                    let span = cx.src.find_in_node(n, &text[s..e], 0)?;
                    Some((p, name, span, *command))
                })
        });
        if let Some((path, name, span, command)) = first {
            // A command run by several such jobs is one finding, at its definition.
            if command.is_some() && !reported.insert((path.as_str(), name)) {
                continue;
            }
            let through = command.map_or(String::new(), |c| {
                format!(" through command `{}`", c.rsplit('.').next().unwrap_or(c))
            });
            let msg = format!(
                "Job `{}` reads `${name}`{through} and its workflow runs it on every branch, pull-request branches included: project variables go to every branch build (and to forked pull requests if the project passes secrets to them, a setting not visible here). Filter the job to release branches (`filters: branches: only:`) or move the secret to a restricted context.",
                bj.name
            );
            cx.report(
                out,
                &DOC,
                Hit::new(span, format!("{path}.{name}"), msg).confidence(Confidence::Low),
            );
        }
    }
}

/// Jenkins: `when { changeRequest() }` stages and `if (env.CHANGE_ID)` blocks run the
/// change request's code; a credential bound in or around them is in its reach.
fn jenkins(cx: &Ctx<'_>, text: &str, out: &mut Vec<Finding>) {
    let regions = Regions::new(pr_regions(text));
    if regions.is_empty() {
        return;
    }
    for b in bindings(text) {
        let Some(r) = regions.reached_by(&b) else {
            continue;
        };
        let span = Span {
            start_line: b.line,
            start_column: b.col,
            end_line: b.line,
            end_column: b.col + b.word.trim_end_matches('(').chars().count(),
        };
        let whom = if r.name == "if" {
            format!(
                "a block that runs for change requests (`if` at line {})",
                r.start
            )
        } else {
            format!(
                "stage `{}`, which runs for change requests (line {})",
                r.name, r.condition
            )
        };
        let msg = format!(
            "This credential is bound in {whom}: the pull request's build scripts run with it, and multibranch builds of fork pull requests run their own code even when the Jenkinsfile is taken from the target branch. Bind credentials only in stages with `when {{ not {{ changeRequest() }} }}` or `when {{ branch 'main' }}`."
        );
        cx.report(
            out,
            &DOC,
            Hit::new(span, format!("line{}.{}", b.line, b.word), msg),
        );
    }
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some((_, text)) = cx.jenkins() {
        return jenkins(cx, text, out);
    }
    if let Some(v) = cx.other() {
        match cx.facts.platform {
            Platform::AzurePipelines => return azure(cx, v, out),
            Platform::CircleCi => return circleci(cx, v, out),
            _ => {}
        }
        // Bitbucket: steps under `pipelines: pull-requests:` get the repository's secured
        // variables for pull requests from branches of the repository.
        let mut seen = HashSet::new();
        // Scripts, and the variables a step hands to its pipes.
        let mut places: Vec<(&str, &Node)> =
            v.scripts.iter().map(|(p, n)| (p.as_str(), n)).collect();
        places.extend(v.variables.iter().map(|nv| (nv.path.as_str(), &nv.value)));
        for (path, node) in places {
            if !v.in_pr_step(path) {
                continue;
            }
            let Some(text) = node.as_str() else { continue };
            for r in var_refs(text) {
                if !secret_name(r.name) {
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
        // The first use not already reported for another job: a definition that many
        // jobs inherit is one finding, and a job's own use still gets its own.
        let unseen = |r: &&&crate::pipeline::SecretRef| {
            !seen.contains(&(r.span.start_line, r.span.start_column))
        };
        let own_line = cx.facts.jobs.get(ji).map_or(0, |j| j.span.start_line);
        let Some(first) = refs
            .iter()
            .filter(unseen)
            .find(|r| r.span.start_line >= own_line)
            .or_else(|| refs.first().filter(unseen))
        else {
            continue;
        };
        seen.insert((first.span.start_line, first.span.start_column));
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
