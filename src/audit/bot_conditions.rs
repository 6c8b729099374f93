//! Audit `bot-conditions`: `if:` conditions that trust `github.actor` to be a bot, which
//! an outsider can arrange on a pull request. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::{ACTOR_CONTEXTS, Exposure};
use crate::pipeline::yaml::Node;

/// Documentation of `bot-conditions`.
pub const DOC: AuditDoc = AuditDoc {
    id: "bot-conditions",
    name: "Spoofable bot check guards a privileged step",
    severity: Severity::High,
    confidence: Confidence::Medium,
    description: include_str!("docs/bot_conditions.md"),
    remediation: "Check who wrote the pull request, not who triggered the run: \
`github.event.pull_request.user.login == 'dependabot[bot]'` (and for Dependabot, \
`dependabot/fetch-metadata`), or move the privileged part to a workflow that does not \
run on pull-request events.",
};

/// The actor context a condition compares for equality with a bot login, if any
/// (`!=` keeps the bot out, which spoofing cannot abuse).
fn bot_check(cond: &str) -> Option<&'static str> {
    let squashed: String = cond
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('"', "'");
    if !squashed.contains("[bot]") {
        return None;
    }
    // A quoted bot login right after `==`, or right before `==`.
    let bot_after = |rest: &str| {
        rest.strip_prefix("=='")
            .and_then(|r| r.split('\'').next())
            .is_some_and(|lit| lit.ends_with("[bot]"))
    };
    let bot_before = |head: &str| {
        head.strip_suffix("'==")
            .and_then(|h| h.rsplit('\'').next())
            .is_some_and(|lit| lit.ends_with("[bot]"))
    };
    ACTOR_CONTEXTS.iter().copied().find(|ctx| {
        let mut from = 0;
        while let Some(p) = squashed[from..].find(ctx) {
            let start = from + p;
            let end = start + ctx.len();
            from = end;
            // `github.actor` itself, not `github.actor_id`.
            if squashed[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                continue;
            }
            if bot_after(&squashed[end..]) || bot_before(&squashed[..start]) {
                return true;
            }
        }
        false
    })
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(wf) = cx.github() else { return };
    let privileged = cx
        .facts
        .triggers
        .iter()
        .any(|(_, x)| *x == Exposure::Privileged);
    let pull_request = cx
        .facts
        .triggers
        .iter()
        .any(|(_, x)| *x == Exposure::ForkPullRequest);
    if !privileged && !pull_request {
        return;
    }
    let severity = if privileged {
        Severity::High
    } else {
        Severity::Medium
    };
    let mut check = |k: &Node, v: &Node, path: String| {
        let Some(cond) = v.as_str() else { return };
        let Some(ctx) = bot_check(cond) else { return };
        let msg = format!(
            "`if:` trusts `{ctx}` to be a bot, but it names whoever caused this run: after an outsider opens a pull request, a bot's routine update (a rebase, a comment) makes the bot the actor and runs this with the outsider's code; check `github.event.pull_request.user.login` instead."
        );
        cx.report(
            out,
            &DOC,
            Hit::new(cx.src.pair_span(k, v), path, msg).severity(severity),
        );
    };
    for job in &wf.jobs {
        if let Some((k, v)) = job.node.entry("if") {
            check(k, v, format!("{}.if", job.path));
        }
        for step in &job.steps {
            if let Some((k, v)) = step.node.entry("if") {
                check(k, v, format!("{}.if", step.path));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bot_check;

    #[test]
    fn actor_compared_with_a_bot() {
        assert!(bot_check("github.actor == 'dependabot[bot]'").is_some());
        assert!(bot_check("${{ github.triggering_actor=='renovate[bot]' }}").is_some());
        assert!(bot_check("github.event.pull_request.user.login == 'dependabot[bot]'").is_none());
        assert!(bot_check("github.actor == 'octocat'").is_none());
        assert!(bot_check("github.actor_id == '49699333' && contains('[bot]', x)").is_none());
        assert!(bot_check("'dependabot[bot]' == github.actor").is_some());
        assert!(
            bot_check("github.event_name == 'push' && github.actor != 'dependabot[bot]'").is_none()
        );
    }
}
