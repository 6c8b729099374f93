//! Audit `unpinned-action`: `uses:` references not pinned to a full commit SHA or digest.
//! Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit, PinPolicy};
use crate::finding::{Confidence, Finding, Severity};

/// Documentation of `unpinned-action`.
pub const DOC: AuditDoc = AuditDoc {
    id: "unpinned-action",
    name: "Action or reusable workflow not pinned to a commit SHA",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/unpinned_action.md"),
    remediation: "Pin to the full commit SHA and keep the tag as a comment, e.g. \
`uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2`; let Dependabot \
or Renovate update the pins. Pin images by digest: `docker://alpine@sha256:...`. CircleCI \
orbs and Bitbucket pipes: an exact `x.y.z` release or a digest.",
};

/// Runs the audit.
/// Whether an orb or pipe version names one immutable release (`x.y.z`) or a digest.
fn exact(version: &str) -> bool {
    if version.starts_with("sha256:") {
        return true;
    }
    let core = version.trim_start_matches('v');
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(v) = cx.other() {
        for r in &v.code_refs {
            if r.kind != "orb" && r.kind != "pipe" {
                continue;
            }
            if r.version.as_deref().is_some_and(exact) {
                continue;
            }
            let at = r.version.as_deref().unwrap_or("no version");
            let msg = format!(
                "{} `{}` at `{at}` follows new releases: whoever publishes `{}` changes what this pipeline runs, with its secrets; pin an exact version (`x.y.z`) or a digest.",
                if r.kind == "orb" { "Orb" } else { "Pipe" },
                r.name,
                r.name
            );
            let span = crate::finding::Span::on_line(r.line, r.cols);
            cx.report(
                out,
                &DOC,
                Hit::new(span, format!("{}.{}", r.kind, r.name), msg),
            );
        }
        return;
    }
    let Some(wf) = cx.github() else { return };
    for job in &wf.jobs {
        if let Some((k, v)) = job.uses() {
            check(cx, out, k, v, &format!("{}.uses", job.path));
        }
        for step in &job.steps {
            if let Some((k, v)) = step.uses_entry() {
                check(cx, out, k, v, &format!("{}.uses", step.path));
            }
        }
    }
}

fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn looks_like_version(r: &str) -> bool {
    let r = r
        .strip_prefix('v')
        .or_else(|| r.strip_prefix('V'))
        .unwrap_or(r);
    r.starts_with(|c: char| c.is_ascii_digit())
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
}

fn check(
    cx: &Ctx<'_>,
    out: &mut Vec<Finding>,
    key: &crate::pipeline::yaml::Node,
    value: &crate::pipeline::yaml::Node,
    path: &str,
) {
    let Some(uses) = value.as_str().map(str::trim) else {
        return;
    };
    if uses.is_empty() || uses.starts_with("./") || uses.starts_with('.') || uses.contains("${{") {
        return;
    }
    let span = cx.src.pair_span(key, value);
    if let Some(image) = uses.strip_prefix("docker://") {
        if image.contains("@sha256:") {
            return;
        }
        let last = image.rsplit('/').next().unwrap_or(image);
        let tag = last.split_once(':').map(|(_, t)| t);
        let severity = match tag {
            None | Some("latest") => Severity::High,
            Some(_) => Severity::Medium,
        };
        let msg = format!(
            "Docker image `{image}` is not pinned by digest: whoever can push to that tag runs code in this job; pin it as `docker://{}@sha256:<digest>`.",
            image.split('@').next().unwrap_or(image)
        );
        cx.report(out, &DOC, Hit::new(span, path, msg).severity(severity));
        return;
    }
    let (name, r) = match uses.rsplit_once('@') {
        Some((n, r)) => (n, Some(r)),
        None => (uses, None),
    };
    if r.is_some_and(is_sha) {
        return;
    }
    let policy = cx.settings.pin_policy_for(name);
    if policy == PinPolicy::Any {
        return;
    }
    let owner = name.split('/').next().unwrap_or("").to_ascii_lowercase();
    let first_party = owner == "actions" || owner == "github";
    let (severity, what) = match r {
        None => (Severity::High, "has no ref at all".to_string()),
        Some(r) if r.len() >= 7 && r.bytes().all(|b| b.is_ascii_hexdigit()) => (
            Severity::Medium,
            format!("is pinned to the abbreviated SHA `{r}`, which is ambiguous"),
        ),
        Some(r) if looks_like_version(r) => {
            if policy != PinPolicy::HashPin {
                return;
            }
            (
                if first_party {
                    Severity::Low
                } else {
                    Severity::Medium
                },
                format!("is pinned to the mutable tag `{r}`"),
            )
        }
        Some(r) => (
            Severity::High,
            format!("follows the branch `{r}`, so every push to it runs in this workflow"),
        ),
    };
    let msg = format!(
        "`{name}` {what}: whoever controls that repository can change the code this job runs; pin it to a full 40-character commit SHA (keep the tag in a comment)."
    );
    cx.report(out, &DOC, Hit::new(span, path, msg).severity(severity));
}
