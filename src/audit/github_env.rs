//! Audit `github-env`: untrusted data written to `$GITHUB_ENV`, `$GITHUB_PATH` or
//! `$GITHUB_OUTPUT` under a trigger that runs with the repository's privileges. Its
//! documentation is [`DOC`].

use super::template_injection::{dangerous_context, env_lookup};
use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::Exposure;
use crate::pipeline::github::{Step, expressions};

/// Documentation of `github-env`.
pub const DOC: AuditDoc = AuditDoc {
    id: "github-env",
    name: "Untrusted data written to GITHUB_ENV, GITHUB_PATH or GITHUB_OUTPUT",
    severity: Severity::High,
    confidence: Confidence::Medium,
    description: include_str!("docs/github_env.md"),
    remediation: "Do not let pull-request data choose environment variables or PATH \
entries in a privileged job: validate it against a strict pattern first (a number, a \
SHA), write it under a fixed variable name, and never put downloaded or checked-out \
files on PATH.",
};

/// Files the runner reads back as environment, PATH or step outputs.
const SINKS: &[&str] = &["GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT"];

/// The sink a script line writes to, if any.
fn sink(line: &str) -> Option<&'static str> {
    let writes = line.contains(">>")
        || line.contains("Out-File")
        || line.contains("Add-Content")
        || line.contains("tee ");
    if !writes {
        return None;
    }
    SINKS.iter().copied().find(|s| line.contains(s))
}

/// Whether a step brings outside files into the job (artifacts of another run).
fn downloads(step: &Step<'_>) -> bool {
    step.is_action("actions/download-artifact")
        || step.is_action("dawidd6/action-download-artifact")
        || step
            .run_str()
            .is_some_and(|s| s.contains("gh run download") || s.contains("/artifacts"))
}

/// The shell variables (`$NAME`, `${NAME}`) a line reads.
fn shell_vars(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = if b.get(i + 1) == Some(&b'{') {
                i + 2
            } else {
                i + 1
            };
            let len = line[start..]
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count();
            if len > 0 {
                out.push(&line[start..start + len]);
            }
            i = start + len;
        } else {
            i += 1;
        }
    }
    out
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    if !cx
        .facts
        .triggers
        .iter()
        .any(|(_, x)| *x == Exposure::Privileged)
    {
        return;
    }
    for job in &wf.jobs {
        let untrusted_code: Vec<usize> = super::dangerous_trigger::untrusted_runs(cx, job)
            .into_iter()
            .map(|(i, ..)| i)
            .collect();
        for (i, step) in job.steps.iter().enumerate() {
            let Some((_, run)) = step.run() else { continue };
            let Some(script) = run.as_str() else { continue };
            let envs = [step.node.get("env"), job.node.get("env"), wf.env];
            let lookup = |n: &str| env_lookup(&envs, n);
            let foreign_files = untrusted_code.iter().any(|&u| u <= i)
                || job.steps[..i].iter().any(downloads)
                || downloads(step);
            for (n, line) in script.lines().enumerate() {
                let l = line.trim();
                if l.starts_with('#') {
                    continue;
                }
                let Some(target) = sink(l) else { continue };
                let from_expr = expressions(l)
                    .into_iter()
                    .find_map(|(_, e)| dangerous_context(e, &lookup));
                let from_var = shell_vars(l).into_iter().find_map(|v| {
                    let val = lookup(v)?;
                    expressions(&val)
                        .into_iter()
                        .find_map(|(_, e)| dangerous_context(e, &|_| None))
                        .map(|c| format!("${v} = {c}"))
                });
                let (what, severity) = match from_expr.or(from_var) {
                    Some(ctx) => (format!("attacker-controlled `{ctx}`"), Severity::High),
                    None if foreign_files && target != "GITHUB_OUTPUT" => (
                        "data from pull-request files or another run's artifacts".to_string(),
                        Severity::Medium,
                    ),
                    None => continue,
                };
                let span = cx
                    .src
                    .find_in_node(run, l, 0)
                    .unwrap_or_else(|| cx.src.node_span(run));
                let msg = format!(
                    "This line writes {what} to `${target}` in a job that runs with the repository's secrets and write token: a value with a newline can define any variable (`NODE_OPTIONS`, `LD_PRELOAD`, `BASH_ENV`) or PATH entry for the steps that follow, which runs the attacker's code; validate it and write it under a fixed name."
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(span, format!("{}.run#{n}", step.path), msg).severity(severity),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{shell_vars, sink};

    #[test]
    fn sinks_and_variables() {
        assert_eq!(sink("echo \"X=$T\" >> \"$GITHUB_ENV\""), Some("GITHUB_ENV"));
        assert_eq!(sink("echo $GITHUB_ENV"), None);
        assert_eq!(shell_vars("echo \"T=${TITLE}-$B\""), ["TITLE", "B"]);
    }
}
