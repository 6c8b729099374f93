//! Audit `self-hosted-runner-on-pr`: jobs on self-hosted runners in workflows that pull
//! requests trigger. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::yaml::Node;

/// Documentation of `self-hosted-runner-on-pr`.
pub const DOC: AuditDoc = AuditDoc {
    id: "self-hosted-runner-on-pr",
    name: "Self-hosted runner used for pull-request jobs",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/self_hosted_runner_on_pr.md"),
    remediation: "Run pull-request jobs on GitHub-hosted runners, or on ephemeral, isolated \
runners (one job per VM) in a runner group that forks cannot use; require approval for \
fork pull requests; restrict the job with `if: github.event.pull_request.head.repo.full_name \
== github.repository`.",
};

fn labels(v: &Node) -> Vec<&str> {
    match &v.value {
        crate::pipeline::yaml::Value::Str(s) => vec![s.as_str()],
        crate::pipeline::yaml::Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
        crate::pipeline::yaml::Value::Map(_) => v.get("labels").map(labels).unwrap_or_default(),
        crate::pipeline::yaml::Value::Null => Vec::new(),
    }
}

fn is_self_hosted(label: &str) -> bool {
    label.trim().eq_ignore_ascii_case("self-hosted")
}

/// Values a `matrix.<name>` reference can take in this job.
fn matrix_values<'a>(job: &'a Node, name: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let Some(matrix) = job.get("strategy").and_then(|s| s.get("matrix")) else {
        return out;
    };
    if let Some(v) = matrix.get(name) {
        for item in v.items() {
            out.extend(labels(item));
        }
        out.extend(v.as_str());
    }
    if let Some(include) = matrix.get("include") {
        for item in include.items() {
            if let Some(v) = item.get(name) {
                out.extend(labels(v));
            }
        }
    }
    out
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    let pull_requests = cx.facts.triggers.iter().any(|(t, x)| {
        *x == crate::pipeline::catalog::Exposure::ForkPullRequest && t.starts_with("pull_request")
    }) || wf.has_trigger("pull_request_target");
    if !pull_requests {
        return;
    }
    for job in &wf.jobs {
        let Some((k, v)) = job.node.entry("runs-on") else {
            continue;
        };
        let cond = job.condition().replace(' ', "");
        if crate::pipeline::from_github::same_repo_only(job)
            || crate::pipeline::catalog::NOT_PULL_REQUEST_GUARDS
                .iter()
                .any(|g| cond.contains(g))
        {
            continue;
        }
        let mut hit = false;
        for l in labels(v) {
            if is_self_hosted(l) {
                hit = true;
            } else if let Some(start) = l.find("matrix.") {
                let name: String = l[start + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                if matrix_values(job.node, &name)
                    .into_iter()
                    .any(is_self_hosted)
                {
                    hit = true;
                }
            }
        }
        if hit {
            let msg = format!(
                "Job `{}` runs on a self-hosted runner in a workflow triggered by pull requests: a pull request can run code on that machine and persist there; use GitHub-hosted or ephemeral isolated runners for pull-request jobs.",
                job.id
            );
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.pair_span(k, v), format!("{}.runs-on", job.path), msg),
            );
        }
    }
}
