//! Audit `unpinned-images`: job and service images that are not pinned, on every
//! platform (GitHub `container:`/`services:`, GitLab `image:`/`services:`, Azure
//! containers, CircleCI `docker:`, Bitbucket `image:`, Jenkins docker agents). Its
//! documentation is [`DOC`]. The old id of the non-GitHub half, `unpinned-image`, is
//! an alias ([`super::RENAMED`]).

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity, Span};
use crate::pipeline::yaml::Node;
use std::collections::HashSet;

/// Documentation of `unpinned-images`.
pub const DOC: AuditDoc = AuditDoc {
    id: "unpinned-images",
    name: "Job container or service image not pinned",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/unpinned_images.md"),
    remediation: "Pin the image by digest and keep the tag for readers: \
`image: node:20@sha256:<digest>`; let Dependabot or Renovate update it.",
};

/// How an image reference is pinned: `None` when it is pinned by digest or not judged
/// (empty, an expression or a variable); else the severity and a phrase. One policy on
/// every platform: no tag or `latest` (the image moves with every push) is high, a
/// version tag (movable, but only deliberately) is medium.
fn pinning(image: &str) -> Option<(Severity, String)> {
    let image = image.trim();
    if image.is_empty() || image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('$') {
        // A variable may carry any tag; an explicit `:latest` after it
        // (`$CI_REGISTRY_IMAGE/builder:latest`) still moves with every push.
        return (!last.contains('$') && last.ends_with(":latest"))
            .then(|| (Severity::High, "follows `latest`".to_string()));
    }
    Some(match last.split_once(':').map(|(_, t)| t) {
        None => (
            Severity::High,
            "has no tag (it follows `latest`)".to_string(),
        ),
        Some("latest") => (Severity::High, "follows `latest`".to_string()),
        Some(t) => (
            Severity::Medium,
            format!("is pinned to the mutable tag `{t}`"),
        ),
    })
}

/// Whether an image names neither a tag (other than `latest`) nor a digest: what
/// is reported outside GitHub, where version tags are the norm and not reported.
pub fn unpinned(image: &str) -> bool {
    pinning(image).is_some_and(|(s, _)| s == Severity::High)
}

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
    let Some((severity, how)) = pinning(image) else {
        return;
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

fn message(image: &str, at: &str) -> String {
    format!(
        "`{}` in `{at}` has no fixed tag or digest: each pipeline may pull a different image, and whoever can push that tag changes what the job runs with its secrets; pin a version tag, better a digest.",
        image.trim()
    )
}

fn image_nodes<'n>(holder: &'n Node, out: &mut Vec<(&'static str, &'n Node)>) {
    if let Some(img) = holder.get("image") {
        out.push(("image", img.get("name").unwrap_or(img)));
    }
    if let Some(svcs) = holder.get("services") {
        for s in svcs.items() {
            out.push(("services", s.get("name").unwrap_or(s)));
        }
    }
}

/// Azure, CircleCI, Bitbucket, Jenkins and GitLab images.
fn other_platforms(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(v) = cx.other() {
        // A step defined once and reused through anchors (Bitbucket `definitions:`)
        // appears at every path that uses it: one finding, at its definition.
        let mut seen = HashSet::new();
        for (path, n) in &v.images {
            if !seen.insert((n.line, n.col)) {
                continue;
            }
            if let Some(image) = n.as_str().filter(|i| unpinned(i)) {
                cx.report(
                    out,
                    &DOC,
                    Hit::new(cx.src.node_span(n), path.clone(), message(image, path)),
                );
            }
        }
        return;
    }
    if let Some((j, _)) = cx.jenkins() {
        for (image, line, (a, b)) in &j.images {
            if unpinned(image) {
                let span = Span::on_line(*line, (*a, *b));
                cx.report(
                    out,
                    &DOC,
                    Hit::new(span, format!("image@{line}"), message(image, "agent image")),
                );
            }
        }
        return;
    }
    let Some(gl) = cx.gitlab() else { return };
    let mut holders: Vec<(String, &Node)> = vec![(String::new(), &gl.root)];
    if let Some(d) = gl.root.get("default") {
        holders.push(("default.".into(), d));
    }
    for j in &gl.jobs {
        holders.push((format!("{}.", j.id), &j.own));
    }
    let mut seen = HashSet::new();
    for (prefix, holder) in holders {
        let mut nodes = Vec::new();
        image_nodes(holder, &mut nodes);
        for (key, n) in nodes {
            let Some(image) = n.as_str().filter(|i| unpinned(i)) else {
                continue;
            };
            if !seen.insert((n.line, n.col)) {
                continue;
            }
            let at = format!("{prefix}{key}");
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.node_span(n), at.clone(), message(image, &at)),
            );
        }
    }
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else {
        return other_platforms(cx, out);
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert!(unpinned("alpine"));
        assert!(unpinned("docker:latest"));
        assert!(unpinned("registry.example.com:5000/team/app"));
        assert!(!unpinned("registry.example.com:5000/team/app:1.2"));
        assert!(!unpinned("python:3.12"));
        assert!(!unpinned("$CI_REGISTRY_IMAGE/builder"));
        assert!(!unpinned("node:$NODE_VERSION"));
        assert!(!unpinned("${{ matrix.image }}"));
        assert!(unpinned("$CI_REGISTRY_IMAGE/builder:latest"));
        assert!(unpinned("${{ vars.REGISTRY }}/tools:latest"));
        assert!(!unpinned("alpine@sha256:abcd"));
        assert_eq!(pinning("python:3.12").map(|p| p.0), Some(Severity::Medium));
        assert_eq!(pinning("node").map(|p| p.0), Some(Severity::High));
    }
}
