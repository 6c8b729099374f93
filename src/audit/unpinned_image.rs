//! Audit `unpinned-image`: GitLab `image:` and `services:` at `:latest` or with no tag,
//! so each pipeline may run a different image. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::yaml::Node;
use std::collections::HashSet;

/// Documentation of `unpinned-image`.
pub const DOC: AuditDoc = AuditDoc {
    id: "unpinned-image",
    name: "Container image at :latest or without a tag",
    severity: Severity::Low,
    confidence: Confidence::High,
    description: include_str!("docs/unpinned_image.md"),
    remediation: "Name an exact tag, better a digest (`image: python:3.12.4@sha256:...`), \
and let a dependency bot update it.",
};

/// Whether an image reference names neither a tag (other than `latest`) nor a digest.
pub fn unpinned(image: &str) -> bool {
    let i = image.trim();
    if i.is_empty() || i.contains('$') || i.contains('@') {
        return false;
    }
    let last = i.rsplit('/').next().unwrap_or(i);
    match last.split_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
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

fn message(image: &str, at: &str) -> String {
    format!(
        "`{}` in `{at}` has no fixed tag or digest: each pipeline may pull a different image, and whoever can push that tag changes what the job runs with its secrets; pin a version tag, better a digest.",
        image.trim()
    )
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(v) = cx.other() {
        for (path, n) in &v.images {
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
                let span = crate::finding::Span {
                    start_line: *line,
                    start_column: *a,
                    end_line: *line,
                    end_column: (*b).max(a + 1),
                };
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
            let msg = format!(
                "`{}` in `{prefix}{key}` has no fixed tag or digest: each pipeline may pull a different image, and whoever can push that tag changes what the job runs with its secrets; pin a version tag, better a digest.",
                image.trim()
            );
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.node_span(n), format!("{prefix}{key}"), msg),
            );
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
        assert!(!unpinned("alpine@sha256:abcd"));
    }
}
