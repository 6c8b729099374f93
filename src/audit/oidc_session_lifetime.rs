//! Audit `oidc-session-lifetime`: OIDC cloud logins that ask for sessions longer than an
//! hour, making a short-lived credential long-lived again. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::SESSION_LIFETIME_INPUTS;
use crate::pipeline::github::action_matches;

/// Documentation of `oidc-session-lifetime`.
pub const DOC: AuditDoc = AuditDoc {
    id: "oidc-session-lifetime",
    name: "Federated cloud session longer than an hour",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/oidc_session_lifetime.md"),
    remediation: "Keep the session at one hour or less (drop the input: both actions \
default to one hour); split long jobs, or log in again where a later step needs it.",
};

/// Longest session that still counts as short-lived, in seconds.
const MAX_SECONDS: u64 = 3600;

/// Seconds in a lifetime written as `7200`, `7200s`, `120m` or `2h`.
fn seconds(v: &str) -> Option<u64> {
    let v = v.trim().trim_matches(['"', '\'']);
    let (num, mult) = match v.chars().last()? {
        's' | 'S' => (&v[..v.len() - 1], 1),
        'm' | 'M' => (&v[..v.len() - 1], 60),
        'h' | 'H' => (&v[..v.len() - 1], 3600),
        _ => (v, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .map(|n| n.saturating_mul(mult))
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    for job in &wf.jobs {
        for step in &job.steps {
            let Some(uses) = step.uses() else { continue };
            for (action, input) in SESSION_LIFETIME_INPUTS {
                if !action_matches(uses, action) {
                    continue;
                }
                let Some((k, v)) = step.with_entry(input) else {
                    continue;
                };
                let Some(secs) = v.as_str().and_then(seconds) else {
                    continue;
                };
                if secs <= MAX_SECONDS {
                    continue;
                }
                let msg = format!(
                    "`{input}` asks `{action}` for a {:.1}-hour session: the credential OIDC made short-lived stays usable that long if a step leaks it; keep it at one hour or less.",
                    secs as f64 / 3600.0
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        cx.src.pair_span(k, v),
                        format!("{}.with.{input}", step.path),
                        msg,
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn lifetimes() {
        assert_eq!(seconds("7200"), Some(7200));
        assert_eq!(seconds("'3600s'"), Some(3600));
        assert_eq!(seconds("2h"), Some(7200));
        assert_eq!(seconds("${{ inputs.d }}"), None);
    }
}
