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

/// Commands that run what they read on standard input as code (`bash <<EOF`).
const STDIN_INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "python", "python3", "node", "perl", "ruby", "pwsh",
];

/// The here-document a line opens (`cat <<EOF`, `<<-'EOT'`): its delimiter, and whether
/// its body is run as code (fed to a shell or interpreter, with expansion on).
fn heredoc(line: &str) -> Option<(String, bool)> {
    let at = line.find("<<")?;
    let rest = line[at + 2..].trim_start_matches('-').trim_start();
    if rest.starts_with('<') {
        return None; // a here-string (`<<<`)
    }
    let quoted = rest.starts_with(['\'', '"']);
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() {
        return None;
    }
    let command = line[..at].split_whitespace().next().unwrap_or("");
    let code = !quoted && STDIN_INTERPRETERS.contains(&command);
    Some((word, code))
}

/// Variables defined in this file whose value copies an attacker-controlled one
/// (`MSG: $CI_COMMIT_MESSAGE`), with whether that one is free text.
fn copies_of_attacker_variables(gl: &crate::pipeline::gitlab::GitLabCi) -> Vec<(String, bool)> {
    let mut holders: Vec<&crate::pipeline::yaml::Node> =
        gl.root.get("variables").into_iter().collect();
    holders.extend(gl.jobs.iter().filter_map(|j| j.own.get("variables")));
    let mut out = Vec::new();
    for vars in holders {
        for (k, v) in vars.entries() {
            let (Some(name), Some(text)) = (
                k.as_str(),
                v.as_str()
                    .or_else(|| v.get("value").and_then(|x| x.as_str())),
            ) else {
                continue;
            };
            if let Some(free) = var_refs(text)
                .iter()
                .find_map(|r| catalog::gitlab_attacker_variable(r.name))
            {
                out.push((name.to_string(), free));
            }
        }
    }
    out
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(gl) = cx.gitlab() else { return };
    let copies = copies_of_attacker_variables(gl);
    let attacker = |name: &str| {
        catalog::gitlab_attacker_variable(name).or_else(|| {
            copies
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, free)| *free)
        })
    };
    let mut seen = HashSet::new();
    for (path, _, node) in gl.script_definitions() {
        let Some(text) = node.as_str() else { continue };
        // The here-document being read: its delimiter, and whether its body is code.
        let mut body: Option<(String, bool)> = None;
        for line in text.lines() {
            let l = line.trim();
            let mut opens = false;
            if let Some((delim, code)) = &body {
                if l == delim {
                    body = None;
                    continue;
                }
                if !code {
                    // Data: expanded, but neither split nor run.
                    continue;
                }
            } else if let Some(h) = heredoc(l) {
                body = Some(h);
                opens = true;
            }
            if l.starts_with('#') || !l.contains('$') {
                continue;
            }
            // A line inside a body fed to a shell (not the line that opens it) is code.
            let in_code_body = !opens && body.as_ref().is_some_and(|(_, code)| *code);
            let re = in_code_body || reparses(l);
            for r in var_refs(l) {
                let Some(free_text) = attacker(r.name) else {
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
    fn here_documents() {
        assert_eq!(heredoc("cat <<EOF > x"), Some(("EOF".into(), false)));
        assert_eq!(heredoc("bash <<EOF"), Some(("EOF".into(), true)));
        assert_eq!(heredoc("bash <<'EOF'"), Some(("EOF".into(), false)));
        assert_eq!(heredoc("python3 <<-END"), Some(("END".into(), true)));
        assert_eq!(heredoc("cat <<< \"$X\""), None);
        assert_eq!(heredoc("echo a << b"), Some(("b".into(), false)));
    }

    #[test]
    fn quotes() {
        let l = r#"echo "$A" '$B' $C"#;
        assert_eq!(quoting(l, l.find("$A").unwrap_or(0)), Some('"'));
        assert_eq!(quoting(l, l.find("$B").unwrap_or(0)), Some('\''));
        assert_eq!(quoting(l, l.find("$C").unwrap_or(0)), None);
    }
}
