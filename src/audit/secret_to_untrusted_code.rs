//! Audit `secret-to-untrusted-code`: a stored secret handed to an unpinned third-party
//! action or to a job that an outsider's event starts. Its documentation is [`DOC`].
//! The consumers come from [`crate::pipeline::consumers`], as the inventory's rows do.

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog;
use crate::pipeline::consumers::{Trust, consumers, untrusted_triggers};
use std::collections::BTreeSet;

/// Documentation of `secret-to-untrusted-code`.
pub const DOC: AuditDoc = AuditDoc {
    id: "secret-to-untrusted-code",
    name: "Secret handed to an unpinned third-party action or an outsider-triggered job",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/secret_to_untrusted_code.md"),
    remediation: "Pin the action to a full commit SHA (keep the tag as a comment), or pass \
the secret only to steps that need it; run jobs that hold secrets on trusted events only, \
or keep forks out with `if: github.event.pull_request.head.repo.full_name == github.repository`.",
};

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let p = cx.facts;
    for r in &p.secret_refs {
        // The job's own token, and names that say the value is public (an id, a user
        // name, a public key), are not a secret's blast radius.
        if r.name.eq_ignore_ascii_case("GITHUB_TOKEN") || catalog::is_public_value_name(&r.name) {
            continue;
        }
        let jobs: Vec<usize> = match r.job {
            Some(j) => vec![j],
            None => (0..p.jobs.len()).collect(),
        };
        let mut unpinned: BTreeSet<String> = BTreeSet::new();
        let mut untrusted: BTreeSet<&str> = BTreeSet::new();
        for &ji in &jobs {
            for c in consumers(p, r, ji) {
                if c.trust == Trust::ThirdPartyUnpinned {
                    unpinned.insert(c.receiver);
                }
            }
            untrusted.extend(untrusted_triggers(p, ji));
        }
        if unpinned.is_empty() && untrusted.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !unpinned.is_empty() {
            let list: Vec<String> = unpinned.iter().map(|u| format!("`{u}`")).collect();
            parts.push(format!(
                "is handed to the unpinned third-party {} {} (whoever moves that tag gets the secret)",
                if list.len() == 1 { "action" } else { "actions" },
                list.join(", ")
            ));
        }
        if !untrusted.is_empty() {
            let list: Vec<String> = untrusted.iter().map(|t| format!("`{t}`")).collect();
            parts.push(format!(
                "reaches a job that {} can start with an outsider's input",
                list.join(", ")
            ));
        }
        let fix = if unpinned.is_empty() {
            "keep forks out of the job or move the secret to a job that trusted events run"
        } else {
            "pin the action to a commit SHA and pass the secret only where needed"
        };
        let msg = format!("Secret `{}` {}; {fix}.", r.name, parts.join(" and "));
        // Events whose payload names pull-request code a job can run are worse than
        // an issue's text.
        let runs_pr_code = untrusted
            .iter()
            .any(|t| catalog::PR_HEAD_TRIGGERS.contains(t));
        let severity = match (unpinned.is_empty(), untrusted.is_empty()) {
            (false, false) => Severity::Critical,
            (false, true) => Severity::High,
            _ if runs_pr_code => Severity::High,
            _ => Severity::Medium,
        };
        let confidence = if unpinned.is_empty() {
            Confidence::Medium
        } else {
            Confidence::High
        };
        let job = r
            .job
            .and_then(|j| p.jobs.get(j))
            .map_or("", |j| j.id.as_str());
        let key = format!(
            "{job}.{}.{}.{}",
            r.step.map_or(-1, |s| s as i64),
            r.key,
            r.name
        );
        cx.report(
            out,
            &DOC,
            Hit::new(r.span, key, msg)
                .severity(severity)
                .confidence(confidence),
        );
    }
}
