//! Audit `unpinned-images`: `container:` and `services:` images not pinned by digest.
//! Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::yaml::Node;

/// Documentation of `unpinned-images`.
pub const DOC: AuditDoc = AuditDoc {
    id: "unpinned-images",
    name: "Job container or service image not pinned by digest",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/unpinned_images.md"),
    remediation: "Pin the image by digest and keep the tag for readers: \
`image: node:20@sha256:<digest>`; let Dependabot or Renovate update it.",
};

/// The `(key, value)` of an image setting: `container: name` or `container: {image: name}`.
fn image_entry<'a>(key: &'a Node, value: &'a Node) -> Option<(&'a Node, &'a Node)> {
    if value.as_str().is_some() {
        return Some((key, value));
    }
    value.entry("image")
}

fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>, key: &Node, value: &Node, path: String, what: &str) {
    let Some(image) = value.as_str().map(str::trim) else {
        return;
    };
    if image.is_empty() || image.contains("${{") || image.contains("@sha256:") {
        return;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let tag = last.split_once(':').map(|(_, t)| t);
    let (severity, how) = match tag {
        None => (
            Severity::High,
            "has no tag (it follows `latest`)".to_string(),
        ),
        Some("latest") => (Severity::High, "follows `latest`".to_string()),
        Some(t) => (
            Severity::Medium,
            format!("is pinned to the mutable tag `{t}`"),
        ),
    };
    let msg = format!(
        "The {what} image `{image}` {how}: whoever can push that tag decides what runs next to this job's token and secrets; pin it by digest (`{}@sha256:<digest>`).",
        image.split('@').next().unwrap_or(image)
    );
    cx.report(
        out,
        &DOC,
        Hit::new(cx.src.pair_span(key, value), path, msg).severity(severity),
    );
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    for job in &wf.jobs {
        if let Some((k, v)) = job.node.entry("container")
            && let Some((ik, iv)) = image_entry(k, v)
        {
            check(
                cx,
                out,
                ik,
                iv,
                format!("{}.container", job.path),
                "job container",
            );
        }
        if let Some(services) = job.node.get("services") {
            for (name, svc) in services.entries() {
                let Some(n) = name.as_str() else { continue };
                if let Some((ik, iv)) = image_entry(name, svc) {
                    check(
                        cx,
                        out,
                        ik,
                        iv,
                        format!("{}.services.{n}", job.path),
                        "service",
                    );
                }
            }
        }
    }
}
