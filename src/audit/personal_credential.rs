//! Audit `personal-credential`: a pipeline authenticating as a person (a personal access
//! token, `gh auth token`, a user's cloud login). Its documentation is [`DOC`]; the
//! words and commands it looks for are catalog tables.

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog;
use crate::pipeline::github::contains_word;

/// Documentation of `personal-credential`.
pub const DOC: AuditDoc = AuditDoc {
    id: "personal-credential",
    name: "Person's credential used as a machine identity",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    description: include_str!("docs/personal_credential.md"),
    remediation: "Use the job's `GITHUB_TOKEN` with the scopes the job needs, a GitHub App \
installation token (`actions/create-github-app-token`), or OIDC federation to the cloud; if \
a token must be stored, make it a machine user's fine-grained token with an expiry and name \
the secret for that account.",
};

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut seen = std::collections::BTreeSet::new();
    for r in &cx.facts.secret_refs {
        if !catalog::is_personal_secret_name(&r.name) {
            continue;
        }
        let job = r
            .job
            .and_then(|j| cx.facts.jobs.get(j))
            .map_or("", |j| j.id.as_str());
        let key = format!("{job}.{}.{}", r.key, r.name);
        if !seen.insert(key.clone()) {
            continue;
        }
        let msg = format!(
            "Secret `{}` is named as a personal access token: the job acts as a person, with everything that person can reach, until they leave; use GITHUB_TOKEN, a GitHub App token or a machine user's fine-grained token.",
            r.name
        );
        cx.report(out, &DOC, Hit::new(r.span, key, msg));
    }
    let Some(wf) = cx.github() else { return };
    for job in &wf.jobs {
        for step in &job.steps {
            let Some((k, v)) = step.run() else { continue };
            let Some(script) = v.as_str() else { continue };
            for (cmd, what) in catalog::PERSONAL_LOGIN_COMMANDS {
                // A line holding the command holds each of its words: most scripts hold
                // none, and are not split into lines for each command.
                if !cmd.split(' ').all(|w| script.contains(w)) {
                    continue;
                }
                let hit = script.lines().any(|l| {
                    let l = l.trim();
                    !l.starts_with('#') && squash_spaces(l).contains(cmd) && {
                        let first = cmd.split(' ').next().unwrap_or(cmd);
                        contains_word(l, first)
                    }
                });
                if hit {
                    let msg = format!(
                        "`{cmd}` {what}: the pipeline acts as a person; use a machine identity (GITHUB_TOKEN, a GitHub App, a service account or OIDC)."
                    );
                    cx.report(
                        out,
                        &DOC,
                        Hit::new(
                            cx.src.pair_span(k, v),
                            format!("{}.run.{cmd}", step.path),
                            msg,
                        ),
                    );
                }
            }
        }
    }
}

fn squash_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
