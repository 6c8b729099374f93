//! Audit `cache-poisoning`: release and publish jobs that restore caches other
//! workflows can write. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::CACHE_ACTIONS;
use crate::pipeline::github::{Step, Workflow, action_matches};

/// Documentation of `cache-poisoning`.
pub const DOC: AuditDoc = AuditDoc {
    id: "cache-poisoning",
    name: "Release or publish job restores a shared cache",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    description: include_str!("docs/cache_poisoning.md"),
    remediation: "Build releases from a clean state: turn caching off in release and \
publish jobs (`cache: ''`, `enable-cache: false`, no `actions/cache`), or use a cache key \
only release runs write (and `actions/cache/save` only there).",
};

/// Whether the workflow runs for releases: a `release` event or a tag push.
fn release_workflow(wf: &Workflow<'_>) -> bool {
    if wf.has_trigger("release") {
        return true;
    }
    let Some(on) = wf.root.get("on").or_else(|| wf.root.get("true")) else {
        return false;
    };
    on.get("push").is_some_and(|p| p.get("tags").is_some())
}

/// The cache a step restores, if any.
fn restores_cache(step: &Step<'_>) -> Option<&'static str> {
    let uses = step.uses()?;
    CACHE_ACTIONS.iter().find_map(|(action, input)| {
        if !action_matches(uses, action) || uses.to_ascii_lowercase().contains("cache/save") {
            return None;
        }
        let on = match input {
            None => true,
            Some(i) => step.with_str(i).is_some_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                !v.is_empty()
                    && v != "false"
                    && (*action != "docker/build-push-action" || v.contains("type=gha"))
            }),
        };
        // setup-go caches unless told not to.
        let off = step
            .with_str("cache")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        (on && !off).then_some(*action)
    })
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    let release = release_workflow(wf);
    for (ji, job) in wf.jobs.iter().enumerate() {
        let publishes = cx.facts.publishes.iter().any(|p| p.job == ji);
        if !release && !publishes {
            continue;
        }
        for step in &job.steps {
            let Some(action) = restores_cache(step) else {
                continue;
            };
            let Some((k, v)) = step.uses_entry() else {
                continue;
            };
            let what = if publishes {
                "publishes"
            } else {
                "builds a release"
            };
            let msg = format!(
                "Job `{}` {what} after restoring a cache with `{action}`; caches are shared across workflows of the default branch, so a workflow that runs pull-request code there can plant files this release then ships: build releases without caches.",
                job.id
            );
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.pair_span(k, v), format!("{}.uses", step.path), msg).severity(
                    if release && publishes {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                ),
            );
        }
    }
}
