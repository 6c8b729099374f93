//! Audit `groovy-credential-interpolation`: Jenkins credentials (`withCredentials`,
//! `credentials()`) expanded by Groovy string interpolation into `sh`/`bat`/`powershell`
//! steps instead of by the shell. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity, Span};
use std::collections::HashSet;

/// Documentation of `groovy-credential-interpolation`.
pub const DOC: AuditDoc = AuditDoc {
    id: "groovy-credential-interpolation",
    name: "Jenkins credential interpolated by Groovy into a shell step",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/groovy_credential_interpolation.md"),
    remediation: "Use a single-quoted string so that the shell, not Groovy, expands the \
variable: `sh 'curl -u \"$USER:$PASS\" ...'` (or `sh '''...'''`); in a double-quoted string \
escape the dollar (`\\$PASS`).",
};

const STEPS: &[&str] = &["sh", "bat", "powershell", "pwsh"];

/// The step a line opens with a double-quoted Groovy string, and whether that string is
/// a `"""` block that continues on the next lines.
fn gstring_step(line: &str) -> Option<bool> {
    let l = line.trim_start();
    for s in STEPS {
        let Some(rest) = l.strip_prefix(s) else {
            continue;
        };
        let rest = rest.trim_start_matches(['(', ' ']);
        let rest = rest.strip_prefix("script:").map_or(rest, str::trim_start);
        if let Some(body) = rest.strip_prefix("\"\"\"") {
            return Some(!body.contains("\"\"\""));
        }
        if rest.starts_with('"') {
            return Some(false);
        }
    }
    None
}

/// `${NAME}`, `$NAME` and `${env.NAME}` expansions outside single quotes... of Groovy:
/// every unescaped `$` in a GString is Groovy's.
fn interpolated<'l>(line: &'l str, names: &[(String, usize)]) -> Vec<(&'l str, usize)> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    for (i, _) in line.match_indices('$') {
        if i > 0 && b[i - 1] == b'\\' {
            continue;
        }
        let mut rest = &line[i + 1..];
        rest = rest.strip_prefix('{').unwrap_or(rest);
        rest = rest.strip_prefix("env.").unwrap_or(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.is_empty() && names.iter().any(|(n, _)| n == name) {
            let start = i;
            out.push((name, start));
        }
    }
    out
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some((j, text)) = cx.jenkins() else {
        return;
    };
    if j.credential_vars.is_empty() {
        return;
    }
    let mut in_block = false;
    let mut seen = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        if l.starts_with("//") {
            continue;
        }
        let gstring = if in_block {
            if line.contains("\"\"\"") {
                in_block = false;
            }
            true
        } else if let Some(block) = gstring_step(line) {
            in_block = block;
            true
        } else {
            false
        };
        if !gstring {
            continue;
        }
        for (name, at) in interpolated(line, &j.credential_vars) {
            if !seen.insert((i, at)) {
                continue;
            }
            let col = line[..at].chars().count() + 1;
            let span = Span {
                start_line: i + 1,
                start_column: col,
                end_line: i + 1,
                end_column: col + 1 + name.chars().count(),
            };
            let msg = format!(
                "Credential `{name}` is interpolated by Groovy into a double-quoted step string: the secret is written into the command line (visible in process listings, `set -x` output and Jenkins' own warnings) and shell metacharacters in it run as code; use single quotes so the shell expands `${name}` from the environment."
            );
            cx.report(
                out,
                &DOC,
                Hit::new(span, format!("line{}#{name}", i + 1), msg),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(gstring_step("  sh \"echo $X\""), Some(false));
        assert_eq!(gstring_step("sh(script: \"echo $X\")"), Some(false));
        assert_eq!(gstring_step("sh \"\"\""), Some(true));
        assert_eq!(gstring_step("sh 'echo $X'"), None);
        let names = vec![("PASS".to_string(), 1)];
        assert_eq!(interpolated("curl -u u:${PASS} \\$PASS", &names).len(), 1);
    }
}
