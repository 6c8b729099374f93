//! Audit `script-injection`: GitLab predefined variables whose value the author of a
//! merge request, commit, branch or tag chooses, expanded in `script:` where the shell
//! runs or splits them. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog;
use crate::pipeline::from_gitlab::var_refs;
use crate::pipeline::github::contains_word;
use std::collections::HashSet;

/// Documentation of `script-injection`.
pub const DOC: AuditDoc = AuditDoc {
    id: "script-injection",
    name: "Attacker-controlled predefined variable expanded in a script",
    severity: Severity::High,
    confidence: Confidence::Medium,
    description: include_str!("docs/script_injection.md"),
    remediation: "Quote the expansion (`\"$CI_COMMIT_MESSAGE\"`) and never pass it to \
`eval`, `sh -c`, `bash -c` or an interpreter's `-c`/`-e`; pass it as an argument or read \
it from the environment inside the program (`os.environ[...]`, `process.env...`).",
};

/// How a reference at byte `at` of `line` is quoted: `'`, `"` or none.
fn quoting(line: &str, at: usize) -> Option<char> {
    let mut q: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if i >= at {
            break;
        }
        if escaped {
            escaped = false;
            continue;
        }
        match (q, c) {
            (Some('\''), '\'') => q = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') => q = None,
            (None, '\'' | '"') => q = Some(c),
            _ => {}
        }
    }
    q
}

fn reparses(line: &str) -> bool {
    catalog::REPARSE_COMMANDS
        .iter()
        .any(|c| contains_word(line, c) || line.contains(&format!("{c} ")))
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(gl) = cx.gitlab() else { return };
    let mut seen = HashSet::new();
    for (path, _, node) in gl.script_definitions() {
        let Some(text) = node.as_str() else { continue };
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with('#') || !l.contains('$') {
                continue;
            }
            let re = reparses(l);
            for r in var_refs(l) {
                let Some(free_text) = catalog::gitlab_attacker_variable(r.name) else {
                    continue;
                };
                let q = quoting(l, r.start);
                let how = match q {
                    Some('\'') => continue,
                    _ if re => "is run as code",
                    None if free_text => "is split into words and globbed unquoted",
                    _ => continue,
                };
                let raw = &l[r.start..r.end];
                let span = cx.src.find_in_node(node, l, 0).map_or_else(
                    || cx.src.node_span(node),
                    |s| {
                        let col = l[..r.start].chars().count();
                        crate::finding::Span {
                            start_column: s.start_column + col,
                            end_column: s.start_column + col + raw.chars().count(),
                            ..s
                        }
                    },
                );
                if !seen.insert((span.start_line, span.start_column)) {
                    continue;
                }
                let (sev, conf) = if re {
                    (Severity::High, Confidence::High)
                } else {
                    (Severity::Medium, Confidence::Medium)
                };
                let msg = format!(
                    "`{raw}` in `{path}` {how}: its value is chosen by whoever writes the merge request, commit, branch or tag, so they can inject shell words or code into this job (and its secrets); quote it and keep it out of `eval`/`sh -c`."
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(span, format!("{path}#{}", r.name), msg)
                        .severity(sev)
                        .confidence(conf),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        let l = r#"echo "$A" '$B' $C"#;
        assert_eq!(quoting(l, l.find("$A").unwrap_or(0)), Some('"'));
        assert_eq!(quoting(l, l.find("$B").unwrap_or(0)), Some('\''));
        assert_eq!(quoting(l, l.find("$C").unwrap_or(0)), None);
    }
}
