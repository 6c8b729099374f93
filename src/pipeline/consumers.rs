//! Consumers of a secret: every step, action and reusable workflow a secret reference
//! hands the secret to, with how far each is trusted. One function, used by the
//! `secret-to-untrusted-code` audit and by the inventory's consumer rows, so both point
//! at the same reference line.

use super::catalog::{self, Exposure};
use super::{Pipeline, SecretRef};

/// How far the code that receives a secret is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trust {
    /// A script in the pipeline itself, or an action or workflow in the repository.
    Local,
    /// An action of the CI platform's own (`actions/*`, `github/*`).
    FirstParty,
    /// A third party's action pinned to a commit SHA (or an image to a digest).
    ThirdPartyPinned,
    /// A third party's action on a tag or branch: whoever moves the tag gets the secret.
    ThirdPartyUnpinned,
}

impl Trust {
    /// Stable id used in the inventory.
    pub fn id(self) -> &'static str {
        match self {
            Trust::Local => "local",
            Trust::FirstParty => "first-party",
            Trust::ThirdPartyPinned => "third-party-pinned",
            Trust::ThirdPartyUnpinned => "third-party-unpinned",
        }
    }

    /// Whether a third party's code receives the secret.
    pub fn third_party(self) -> bool {
        matches!(self, Trust::ThirdPartyPinned | Trust::ThirdPartyUnpinned)
    }
}

/// One receiver of a secret reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// Job index.
    pub job: usize,
    /// Step index, when a step receives it (`None`: a reusable-workflow call).
    pub step: Option<usize>,
    /// The action or workflow (`owner/repo@ref`), or `run` for a script.
    pub receiver: String,
    /// How far it is trusted.
    pub trust: Trust,
}

fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The trust of a `uses:` value.
pub fn trust_of(uses: &str) -> Trust {
    let u = uses.trim();
    if u.starts_with('.') {
        return Trust::Local;
    }
    if let Some(image) = u.strip_prefix("docker://") {
        return if image.contains("@sha256:") {
            Trust::ThirdPartyPinned
        } else {
            Trust::ThirdPartyUnpinned
        };
    }
    let (name, r) = u.rsplit_once('@').unwrap_or((u, ""));
    let owner = name.split('/').next().unwrap_or("");
    if catalog::FIRST_PARTY_ACTION_OWNERS
        .iter()
        .any(|o| o.eq_ignore_ascii_case(owner))
    {
        Trust::FirstParty
    } else if is_sha(r) {
        Trust::ThirdPartyPinned
    } else {
        Trust::ThirdPartyUnpinned
    }
}

/// A `uses:` value as output shows it: one line, no control characters (it comes from
/// a file an attacker may have written).
fn shown(uses: &str) -> String {
    crate::escape::for_display(uses).into_owned()
}

/// Everything reference `r` hands its secret to, as seen from job `ji` (a workflow-level
/// reference reaches every job; ask once per job). A step reference reaches its step;
/// a job-level one every step of the job, or the workflow the job calls.
pub fn consumers(p: &Pipeline, r: &SecretRef, ji: usize) -> Vec<Consumer> {
    let Some(job) = p.jobs.get(ji) else {
        return Vec::new();
    };
    if r.job.is_some_and(|j| j != ji) {
        return Vec::new();
    }
    let step_consumer = |si: usize| {
        let (receiver, trust) = match job.step_uses.get(si).cloned().flatten() {
            Some(u) => {
                let t = trust_of(&u);
                (shown(&u), t)
            }
            None => ("run".to_string(), Trust::Local),
        };
        Consumer {
            job: ji,
            step: Some(si),
            receiver,
            trust,
        }
    };
    if let Some(si) = r.step {
        return vec![step_consumer(si)];
    }
    if let Some(called) = &job.calls {
        return vec![Consumer {
            job: ji,
            step: None,
            receiver: shown(called),
            trust: trust_of(called),
        }];
    }
    let mut out: Vec<Consumer> = Vec::new();
    for si in 0..job.step_uses.len() {
        let c = step_consumer(si);
        // Scripts are one consumer per job: the pipeline's own code.
        if c.trust == Trust::Local && c.receiver == "run" && out.iter().any(|o| o.receiver == "run")
        {
            continue;
        }
        out.push(c);
    }
    out
}

/// The triggers of `p` that run job `ji` with secrets on input an outsider controls
/// (privileged events; `pull_request_target` not when the job keeps forks out).
pub fn untrusted_triggers(p: &Pipeline, ji: usize) -> Vec<&str> {
    let guarded = p.jobs.get(ji).is_some_and(|j| j.same_repo_only);
    p.triggers
        .iter()
        .filter(|(t, x)| *x == Exposure::Privileged && !(guarded && t == "pull_request_target"))
        .map(|(t, _)| t.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_levels() {
        assert_eq!(trust_of("./.github/actions/x"), Trust::Local);
        assert_eq!(trust_of("actions/checkout@v4"), Trust::FirstParty);
        assert_eq!(trust_of("github/codeql-action/init@v3"), Trust::FirstParty);
        assert_eq!(
            trust_of("peter-evans/create-pull-request@0c5fe2e9a0b5e3a1f4d2c6b8a9e7f1d3c5b7a9e1"),
            Trust::ThirdPartyPinned
        );
        assert_eq!(trust_of("someone/deploy@v1"), Trust::ThirdPartyUnpinned);
        assert_eq!(trust_of("someone/deploy@main"), Trust::ThirdPartyUnpinned);
        assert_eq!(trust_of("docker://alpine:3"), Trust::ThirdPartyUnpinned);
        assert_eq!(
            shown("evil/x@v1\n::error::owned"),
            "evil/x@v1\\n::error::owned"
        );
    }
}
