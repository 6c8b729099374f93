//! Audit `long-lived-cloud-credentials`: static AWS, Google Cloud and Azure keys used
//! where OIDC federation would issue short-lived ones. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::catalog::Provider;
use crate::pipeline::{Method, Platform};

/// Documentation of `long-lived-cloud-credentials`.
pub const DOC: AuditDoc = AuditDoc {
    id: "long-lived-cloud-credentials",
    name: "Static cloud keys where OIDC federation works",
    severity: Severity::High,
    confidence: Confidence::High,
    description: include_str!("docs/long_lived_cloud_credentials.md"),
    remediation: "Use OIDC: grant `id-token: write` to the job and use `role-to-assume` \
(AWS), `workload_identity_provider` + `service_account` (Google), or `client-id`/\
`tenant-id`/`subscription-id` with a federated credential (Azure). GitLab: mint a token \
with `id_tokens:` and exchange it (`aws sts assume-role-with-web-identity`, Workload \
Identity Federation, `az login --federated-token`); Azure Pipelines: a workload identity \
federation service connection; CircleCI: `$CIRCLE_OIDC_TOKEN_V2`; Bitbucket: `oidc: true`. \
Then delete the static key.",
};

fn fix_for(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => {
            "grant `id-token: write` and use `role-to-assume` with aws-actions/configure-aws-credentials instead"
        }
        Provider::Azure => {
            "grant `id-token: write` and log in with `client-id`, `tenant-id` and `subscription-id` on azure/login (federated credential) instead of a client secret or publish profile"
        }
        _ => {
            "grant `id-token: write` and use `workload_identity_provider` with google-github-actions/auth instead"
        }
    }
}

fn gitlab_fix(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => {
            "mint a token with `id_tokens:` (`aud: https://sts.amazonaws.com` or your own) and exchange it with `aws sts assume-role-with-web-identity`"
        }
        Provider::Azure => {
            "mint a token with `id_tokens:` (`aud: api://AzureADTokenExchange`) and log in with `az login --federated-token`"
        }
        _ => {
            "mint a token with `id_tokens:` and exchange it through Workload Identity Federation (`gcloud iam workload-identity-pools create-cred-config`)"
        }
    }
}

/// How to federate instead, on platforms other than GitHub and GitLab.
fn other_fix(platform: Platform) -> &'static str {
    match platform {
        Platform::AzurePipelines => {
            "use a service connection with workload identity federation (AzureCLI@2, AWS Toolkit with OIDC) instead of keys in variables"
        }
        Platform::CircleCi => {
            "use CircleCI's OIDC token (`$CIRCLE_OIDC_TOKEN_V2`) with the `aws-cli/setup` orb's `role_arn`, or Workload Identity Federation for Google Cloud and Azure"
        }
        Platform::Jenkins => {
            "give the agent a cloud identity (an IAM role through IRSA or an instance profile with `withAWS(role: ...)`, GKE Workload Identity, an Azure managed identity), or mint a short-lived token with the OpenID Connect Provider plugin's credential and exchange it (`aws sts assume-role-with-web-identity`, Workload Identity Federation, `az login --federated-token`)"
        }
        _ => {
            "set `oidc: true` on the step and use the pipe's OIDC variables (`AWS_OIDC_ROLE_ARN`) or the cloud's web-identity exchange with `$BITBUCKET_STEP_OIDC_TOKEN`"
        }
    }
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if cx.github().is_none() {
        let platform = cx.facts.platform;
        // One finding per job and cloud (the first place it gets the key), and one per
        // definition a template shares between jobs.
        let mut seen = std::collections::HashSet::new();
        let mut per_job = std::collections::HashSet::new();
        for login in &cx.facts.logins {
            if !login.provider.is_cloud() || login.method != Method::StaticKey {
                continue;
            }
            if !seen.insert(login.span.start_line) | !per_job.insert((login.job, login.provider)) {
                continue;
            }
            let cloud = login.provider.name();
            let what = login
                .secrets
                .iter()
                .map(|n| format!("`${n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let what = if what.is_empty() {
                "a long-lived key".to_string()
            } else {
                format!("the long-lived key {what}")
            };
            let fix = if platform == Platform::GitLabCi {
                gitlab_fix(login.provider)
            } else {
                other_fix(platform)
            };
            let stored = if platform == Platform::Jenkins {
                "stored as a Jenkins credential"
            } else {
                "stored as a CI/CD variable"
            };
            let msg = format!(
                "This job authenticates to {cloud} with {what} {stored}; a leaked key gives lasting cloud access: {fix}, then delete the key."
            );
            cx.report(out, &DOC, Hit::new(login.span, login.key.clone(), msg));
        }
        return;
    }
    for login in &cx.facts.logins {
        // Literal keys are `hardcoded-credential`'s; the job token is not a cloud key.
        if !login.provider.is_cloud() || login.method != Method::StaticKey || !login.from_expression
        {
            continue;
        }
        let cloud = login.provider.name();
        let what = match login.secrets.as_slice() {
            [] => "an expression".to_string(),
            names => names
                .iter()
                .map(|n| format!("`secrets.{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let msg = if login.via.starts_with("with.") {
            format!(
                "This step logs in to {cloud} with the long-lived key in `{}` ({what}); a leaked key gives lasting access: {}.",
                login.via,
                fix_for(login.provider)
            )
        } else {
            format!(
                "`{}` exports the long-lived {cloud} credential {what} to the pipeline; a leak gives lasting cloud access: {}.",
                login.key,
                fix_for(login.provider)
            )
        };
        cx.report(out, &DOC, Hit::new(login.span, login.key.clone(), msg));
    }
}
