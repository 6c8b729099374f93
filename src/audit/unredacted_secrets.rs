//! Audit `unredacted-secrets`: values derived from a secret (`fromJSON(secrets.X).field`)
//! that the runner cannot mask in logs. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::expressions;
use std::collections::HashMap;

/// Documentation of `unredacted-secrets`.
pub const DOC: AuditDoc = AuditDoc {
    id: "unredacted-secrets",
    name: "Derived secret value the runner cannot mask",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/unredacted_secrets.md"),
    remediation: "Store each value the job needs as its own secret and reference it \
directly (`${{ secrets.DB_PASSWORD }}`), or register the derived value with \
`echo \"::add-mask::$VALUE\"` before anything can print it.",
};

/// The secret a `fromJSON(secrets.X)` with a field or index access derives from.
fn derived(inner: &str) -> Option<String> {
    let squashed: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = squashed.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("fromjson(secrets") {
        let at = from + p;
        from = at + 1;
        let rest = &squashed[at + "fromjson(".len()..];
        let Some(close) = rest.find(')') else {
            continue;
        };
        let after = &rest[close + 1..];
        if after.starts_with('.') || after.starts_with('[') {
            return Some(rest[..close].to_string());
        }
    }
    None
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    if !cx.src.text_contains_ignore_case("fromjson") {
        return;
    }
    wf.root.walk_scalars("", &mut |path, node, text| {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (raw, inner) in expressions(text) {
            let nth = seen.entry(raw).or_insert(0);
            let this = *nth;
            *nth += 1;
            let Some(secret) = derived(inner) else { continue };
            let span = cx
                .src
                .find_in_node(node, raw, this)
                .unwrap_or_else(|| cx.src.node_span(node));
            let msg = format!(
                "`{raw}` takes a part of `{secret}`; the runner masks only whole secret values, so this part is printed in clear wherever it appears in a log: store it as its own secret."
            );
            cx.report(out, &DOC, Hit::new(span, format!("{path}#{this}"), msg));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::derived;

    #[test]
    fn field_access_only() {
        assert_eq!(
            derived("fromJSON(secrets.CREDS).password").as_deref(),
            Some("secrets.CREDS")
        );
        assert!(derived("fromJson( secrets.CREDS )['user']").is_some());
        assert!(derived("fromJSON(secrets.CREDS)").is_none());
        assert!(derived("fromJSON(steps.x.outputs.y).z").is_none());
    }
}
