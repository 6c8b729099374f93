//! Audit `secrets-all`: expressions that expose the whole `secrets` context
//! (`toJSON(secrets)`, `secrets[...]` with a computed key). Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::expressions;
use std::collections::HashMap;

/// Documentation of `secrets-all`.
pub const DOC: AuditDoc = AuditDoc {
    id: "secrets-all",
    name: "Whole secrets context exposed",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/secrets_all.md"),
    remediation: "Reference each needed secret by its literal name (`${{ secrets.DEPLOY_KEY \
}}`); for per-environment values use GitHub environments with the same secret name.",
};

fn dynamic_index(inner: &str) -> bool {
    // Without whitespace to drop, the text below holds `secrets` only if this does.
    if !inner.chars().any(char::is_whitespace)
        && !inner
            .as_bytes()
            .windows("secrets".len())
            .any(|w| w.eq_ignore_ascii_case(b"secrets"))
    {
        return false;
    }
    let lower: String = inner
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if lower == "secrets" || lower.contains("tojson(secrets)") {
        return true;
    }
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(p) = lower[from..].find("secrets[") {
        let at = from + p;
        let boundary = at == 0
            || !(bytes[at - 1].is_ascii_alphanumeric()
                || bytes[at - 1] == b'_'
                || bytes[at - 1] == b'.');
        let after = at + "secrets[".len();
        if boundary {
            // A literal key is `'NAME']`; anything else is computed.
            let rest = &lower[after..];
            let literal = rest.starts_with('\'')
                && rest[1..]
                    .find('\'')
                    .is_some_and(|q| rest[1 + q + 1..].starts_with(']'));
            if !literal {
                return true;
            }
        }
        from = after;
    }
    false
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    if !cx.src.text_contains_ignore_case("secrets") {
        return;
    }
    wf.root.walk_scalars("", &mut |path, node, text| {
        if !crate::pipeline::github::has_expr(text) {
            return;
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (raw, inner) in expressions(text) {
            let nth = seen.entry(raw).or_insert(0);
            let this = *nth;
            *nth += 1;
            if !dynamic_index(inner) {
                continue;
            }
            let span = cx
                .src
                .find_in_node(node, raw, this)
                .unwrap_or_else(|| cx.src.node_span(node));
            let msg = format!(
                "`{raw}` at `{path}` exposes every secret to this job: any step can read and exfiltrate all of them; reference only the secrets you need by literal name."
            );
            cx.report(out, &DOC, Hit::new(span, format!("{path}#{this}"), msg));
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::dynamic_index;

    #[test]
    fn computed_keys_only() {
        assert!(dynamic_index("toJSON(secrets)"));
        assert!(dynamic_index("toJson( secrets )"));
        assert!(dynamic_index("secrets[matrix.name]"));
        assert!(dynamic_index("secrets[format('{0}_KEY', inputs.env)]"));
        assert!(!dynamic_index("secrets['NPM_TOKEN']"));
        assert!(!dynamic_index("secrets.NPM_TOKEN"));
        assert!(!dynamic_index("toJSON(github)"));
    }
}
