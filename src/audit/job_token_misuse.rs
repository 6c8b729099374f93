//! Audit `job-token-misuse`: GitLab's `CI_JOB_TOKEN` used beyond what it is meant for:
//! to push to repositories, to call write APIs, or written to files that outlive the
//! job. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog;
use crate::pipeline::from_gitlab::{commands, job_token_var, var_refs};
use crate::pipeline::gitlab::GlJob;
use crate::pipeline::yaml::Node;
use std::collections::HashSet;

/// Documentation of `job-token-misuse`.
pub const DOC: AuditDoc = AuditDoc {
    id: "job-token-misuse",
    name: "CI_JOB_TOKEN used to push, to call write APIs, or written to files",
    severity: Severity::High,
    confidence: Confidence::Medium,
    description: include_str!("docs/job_token_misuse.md"),
    remediation: "Keep `CI_JOB_TOKEN` to what it is for (cloning, package and container \
registries, artifacts, releases); push or write through the API with a project or group \
access token of the least role and scope, stored as a masked, protected variable; never \
write the token to a file that artifacts, caches or later jobs keep.",
};

/// The file a command redirects into, when it is not `/dev/null` or a descriptor.
fn redirect_target(cmd: &str) -> Option<&str> {
    let mut rest = cmd;
    while let Some(p) = rest.find('>') {
        let after = rest[p + 1..].trim_start_matches('>').trim_start();
        let target: &str = after
            .split(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == '&')
            .next()
            .unwrap_or("");
        let before_ok = p == 0 || !rest[..p].ends_with(['2', '1', '&', '-']);
        if before_ok && !target.is_empty() && target != "/dev/null" && !after.starts_with('&') {
            return Some(target.trim_matches(['"', '\'']));
        }
        rest = &rest[p + 1..];
    }
    None
}

/// Package-manager config files that are the documented way to hand the token to a
/// tool (npm, pip, Maven, Docker): writing it there is not flagged unless artifacts
/// keep the file.
const TOOL_CONFIGS: &[&str] = &[
    ".npmrc",
    ".pypirc",
    ".netrc",
    "settings.xml",
    "config.json",
    "pip.conf",
    ".yarnrc",
    ".yarnrc.yml",
    "nuget.config",
    "credentials",
    "gradle.properties",
];

/// Whether the job's `artifacts:` (paths or a dotenv report) may keep `file`.
fn artifacts_keep(job: &GlJob, file: &str) -> bool {
    let Some(a) = job.get("artifacts") else {
        return false;
    };
    let name = file.rsplit('/').next().unwrap_or(file);
    let mut hit = false;
    a.walk_scalars("", &mut |path, _, v| {
        if path.starts_with("paths") || path.starts_with("reports.dotenv") {
            let v = v.trim().trim_start_matches("./");
            hit |= v == "."
                || v == "*"
                || v.contains(name)
                || file.starts_with(v.trim_end_matches('*'));
        }
    });
    hit
}

fn problem(job: &GlJob, cmd: &str) -> Option<String> {
    let lower = cmd
        .replace("${CI_API_V4_URL}", "/api/v4")
        .replace("$CI_API_V4_URL", "/api/v4")
        .to_ascii_lowercase();
    for (parts, what) in catalog::GITLAB_JOB_TOKEN_WRITES {
        if parts
            .iter()
            .all(|p| lower.contains(&p.to_ascii_lowercase()))
            && !catalog::GITLAB_JOB_TOKEN_PACKAGE_PATHS
                .iter()
                .any(|p| cmd.contains(p))
            && !cmd.contains("/releases")
        {
            return Some(format!("{what} with the job token"));
        }
    }
    // A request body without an explicit method is a POST.
    let body = [
        " -d ",
        " --data",
        " -F ",
        " --form",
        " --upload-file",
        " -T ",
    ]
    .iter()
    .any(|f| lower.contains(f));
    if body
        && lower.contains("/api/v4/")
        && !lower.contains("-x get")
        && !lower.contains("--request get")
        && !catalog::GITLAB_JOB_TOKEN_PACKAGE_PATHS
            .iter()
            .any(|p| cmd.contains(p))
        && !cmd.contains("/releases")
        && !cmd.contains("/trigger/pipeline")
    {
        return Some("calls a write API with the job token".to_string());
    }
    if let Some(target) = redirect_target(cmd) {
        let tool_config = TOOL_CONFIGS
            .iter()
            .any(|c| target.ends_with(c) || target.contains("/.docker/"));
        if !tool_config || artifacts_keep(job, target) {
            let kept = if artifacts_keep(job, target) {
                ", which the job's artifacts keep"
            } else {
                ""
            };
            return Some(format!("writes the job token to `{target}`{kept}"));
        }
    }
    None
}

fn git_remote_with_token(cmd: &str) -> bool {
    (cmd.contains("git remote") || cmd.contains("git clone") || cmd.contains("url."))
        && cmd.contains('@')
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(gl) = cx.gitlab() else { return };
    let mut seen = HashSet::new();
    for job in gl.runnable() {
        let scripts: Vec<(&str, &Node, String, usize)> = job
            .script_nodes()
            .into_iter()
            .flat_map(|(k, n)| {
                commands(cx.src, n)
                    .into_iter()
                    .map(move |(c, l)| (k, n, c, l))
            })
            .filter(|(_, _, c, _)| !c.trim_start().starts_with('#'))
            .collect();
        let pushes = scripts.iter().any(|(_, _, c, _)| c.contains("git push"));
        for (key, node, cmd, _) in &scripts {
            let Some(r) = var_refs(cmd).into_iter().find(|r| job_token_var(r.name)) else {
                continue;
            };
            let what = problem(job, cmd).or_else(|| {
                (pushes && git_remote_with_token(cmd)).then(|| {
                    "puts the job token in a Git remote that the job pushes to".to_string()
                })
            });
            let Some(what) = what else { continue };
            let raw = &cmd[r.start..r.end];
            let span = if node.foreign {
                cx.src.node_span(&job.key)
            } else {
                cx.src
                    .find_in_node(node, raw, 0)
                    .unwrap_or_else(|| cx.src.node_span(node))
            };
            if !seen.insert((span.start_line, span.start_column)) {
                continue;
            }
            let msg = format!(
                "Job `{}` {what}: `CI_JOB_TOKEN` carries the permissions of the user who started the pipeline and is meant for registries and reading; use a project access token with the least scope for writes, and never persist the token.",
                job.id
            );
            cx.report(out, &DOC, Hit::new(span, format!("{}.{key}", job.id), msg));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects() {
        assert_eq!(redirect_target("echo $T > token.txt"), Some("token.txt"));
        assert_eq!(redirect_target("cmd 2>/dev/null"), None);
        assert_eq!(redirect_target("cmd >/dev/null 2>&1"), None);
        assert_eq!(redirect_target("echo x >> ~/.npmrc"), Some("~/.npmrc"));
    }
}
