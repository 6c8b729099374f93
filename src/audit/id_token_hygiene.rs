//! Audit `id-token-hygiene`: GitLab `id_tokens:` minted for jobs that never use them,
//! or with a wildcard audience. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::from_gitlab::aud_text;
use crate::pipeline::gitlab::local_span;
use std::collections::HashSet;

/// Documentation of `id-token-hygiene`.
pub const DOC: AuditDoc = AuditDoc {
    id: "id-token-hygiene",
    name: "OIDC ID token minted but unused, or for any audience",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    description: include_str!("docs/id_token_hygiene.md"),
    remediation: "Declare `id_tokens:` only in the jobs that exchange them (not in \
`default:`), with the one audience the relying party checks (`aud: https://sts.amazonaws.com`, \
your Vault address).",
};

/// Names of ID tokens that tools read from the environment by themselves.
const IMPLICIT: &[&str] = &["SIGSTORE_ID_TOKEN", "GITLAB_OIDC_TOKEN", "CODECOV_TOKEN"];

/// Whether a script runs a file or tool that may read the token from the environment.
fn runs_opaque_code(line: &str) -> bool {
    let l = line.trim();
    l.contains("./")
        || l.contains(".sh")
        || l.contains(".py")
        || l.starts_with("make")
        || l.contains("terraform")
        || l.contains("vault ")
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(gl) = cx.gitlab() else { return };
    let mut seen = HashSet::new();
    let mut wild = HashSet::new();
    for job in gl.runnable() {
        let Some(tokens) = job.get("id_tokens") else {
            continue;
        };
        for (k, v) in tokens.entries() {
            let Some(name) = k.as_str() else { continue };
            let aud = aud_text(v);
            if aud.split_whitespace().any(|a| a.contains('*')) && wild.insert((k.line, k.col)) {
                let msg = format!(
                    "ID token `{name}` names a wildcard audience (`{}`): any relying party accepts it, so a token leaked from this job can be replayed elsewhere; name the one audience that checks it.",
                    aud.trim()
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        match v.entry("aud") {
                            Some((ak, av)) if !ak.foreign => cx.src.pair_span(ak, av),
                            _ => local_span(cx.src, job, k),
                        },
                        format!("id_tokens.{name}.aud"),
                        msg,
                    )
                    .severity(Severity::Medium),
                );
            }
            if IMPLICIT.contains(&name) || job.get("secrets").is_some() {
                continue;
            }
            let mut used = false;
            job.effective.walk_scalars("", &mut |path, _, val| {
                if !path.starts_with("id_tokens") && val.contains(name) {
                    used = true;
                }
            });
            for (_, n) in job.script_nodes() {
                if n.as_str().is_some_and(|s| s.lines().any(runs_opaque_code)) {
                    used = true;
                }
            }
            for (_, v) in &job.variables {
                if v.as_str().is_some_and(|s| s.contains(name)) {
                    used = true;
                }
            }
            if used || !seen.insert((k.line, k.col, job.id.clone())) {
                continue;
            }
            if seen
                .iter()
                .any(|(l, c, j)| *l == k.line && *c == k.col && *j != job.id)
            {
                continue;
            }
            let msg = format!(
                "Job `{}` is given ID token `{name}` but never uses it: an OIDC token in the environment of a job that does not need it can be stolen by anything the job runs and exchanged for cloud access; declare it only in the jobs that exchange it.",
                job.id
            );
            cx.report(
                out,
                &DOC,
                Hit::new(local_span(cx.src, job, k), format!("id_tokens.{name}"), msg),
            );
        }
    }
}
