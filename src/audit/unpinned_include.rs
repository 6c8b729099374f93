//! Audit `unpinned-include`: GitLab `include:` entries whose content can change without
//! a change to this repository: remote URLs, other projects at a branch or no `ref:`,
//! CI/CD components at `~latest` or a partial version. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::gitlab::IncludeKind;

/// Documentation of `unpinned-include`.
pub const DOC: AuditDoc = AuditDoc {
    id: "unpinned-include",
    name: "GitLab include that can change under the pipeline",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/unpinned_include.md"),
    remediation: "Pin `include: project` with `ref:` set to a full commit SHA, pin \
components to a full commit SHA or an exact released version, and replace `include: \
remote` with a copy in this repository (or add `integrity: sha256-...`).",
};

fn is_sha(v: &str) -> bool {
    v.len() == 40 && v.chars().all(|c| c.is_ascii_hexdigit())
}

fn exact_version(v: &str) -> bool {
    let core = v.trim_start_matches('v');
    let core = core.split(['-', '+']).next().unwrap_or(core);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn code_refs(cx: &Ctx<'_>, refs: &[crate::pipeline::other_ci::CodeRef], out: &mut Vec<Finding>) {
    for r in refs {
        if r.kind != "repository" && r.kind != "library" {
            continue;
        }
        let v = r
            .version
            .as_deref()
            .map(|v| v.trim_start_matches("refs/tags/"));
        if v.is_some_and(|v| is_sha(v) || exact_version(v)) {
            continue;
        }
        let what = if r.kind == "library" {
            "Shared library"
        } else {
            "Template repository"
        };
        let at = match &r.version {
            Some(v) => format!("at `{v}`, which can move"),
            None => "without a version, so at its default branch".to_string(),
        };
        let msg = format!(
            "{what} `{}` {at}: a push there changes what this pipeline runs, with its credentials; pin a full commit SHA.",
            r.name
        );
        let span = crate::finding::Span::on_line(r.line, r.cols);
        cx.report(
            out,
            &DOC,
            Hit::new(span, format!("{}.{}", r.kind, r.name), msg),
        );
    }
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(v) = cx.other() {
        return code_refs(cx, &v.code_refs, out);
    }
    if let Some((j, _)) = cx.jenkins() {
        return code_refs(cx, &j.code_refs, out);
    }
    let Some(gl) = cx.gitlab() else { return };
    for inc in &gl.includes {
        let host_free = inc
            .target
            .trim_start_matches("$CI_SERVER_FQDN")
            .trim_start_matches("${CI_SERVER_FQDN}")
            .trim_start_matches("$CI_SERVER_HOST")
            .trim_start_matches("${CI_SERVER_HOST}");
        if host_free.contains('$') {
            continue;
        }
        let (msg, sev) = match inc.kind {
            IncludeKind::Local | IncludeKind::Template => continue,
            IncludeKind::Remote => {
                // A raw URL at a full commit SHA (`/-/raw/<sha>/ci.yml`) serves one fixed
                // file, as `ref: <sha>` does for `include: project`.
                if inc.integrity || inc.target.split('/').any(is_sha) {
                    continue;
                }
                (
                    format!(
                        "`include: remote` fetches `{}` each time a pipeline is created: whoever controls that URL changes what every job runs, with its secrets; vendor the file into this repository.",
                        inc.target
                    ),
                    Severity::High,
                )
            }
            IncludeKind::Project => match inc.version.as_deref() {
                Some(r) if is_sha(r) => continue,
                Some(r) if exact_version(r) => (
                    format!(
                        "`include: project` `{}` at tag `{r}`: a tag can be moved or re-created, changing this pipeline; pin `ref:` to the tag's commit SHA.",
                        inc.target
                    ),
                    Severity::Low,
                ),
                Some(r) => (
                    format!(
                        "`include: project` `{}` at `ref: {r}`, which can move: a push to that project changes this pipeline; pin `ref:` to a full commit SHA.",
                        inc.target
                    ),
                    Severity::Medium,
                ),
                None => (
                    format!(
                        "`include: project` `{}` without `ref:` follows that project's default branch: any push there changes this pipeline; pin `ref:` to a full commit SHA.",
                        inc.target
                    ),
                    Severity::Medium,
                ),
            },
            IncludeKind::Component => match inc.version.as_deref() {
                Some(v) if is_sha(v) || exact_version(v) => continue,
                Some(v) => (
                    format!(
                        "Component `{}` at `{v}`, which moves with new releases or pushes; pin an exact version or a commit SHA.",
                        inc.target
                    ),
                    Severity::Medium,
                ),
                None => (
                    format!(
                        "Component `{}` without a version; pin an exact version or a commit SHA.",
                        inc.target
                    ),
                    Severity::Medium,
                ),
            },
        };
        cx.report(
            out,
            &DOC,
            Hit::new(cx.src.node_span(&inc.node), inc.path.clone(), msg).severity(sev),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(exact_version("1.2.3"));
        assert!(exact_version("v1.2.3-rc1"));
        assert!(!exact_version("1.2"));
        assert!(!exact_version("~latest"));
        assert!(is_sha("0123456789abcdef0123456789abcdef01234567"));
    }
}
