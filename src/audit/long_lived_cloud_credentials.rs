//! Audit `long-lived-cloud-credentials`: static AWS, Google Cloud and Azure keys used
//! where OIDC federation would issue short-lived ones. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::Method;
use crate::pipeline::catalog::Provider;

/// Documentation of `long-lived-cloud-credentials`.
pub const DOC: AuditDoc = AuditDoc {
    id: "long-lived-cloud-credentials",
    name: "Static cloud keys where OIDC federation works",
    severity: Severity::High,
    confidence: Confidence::High,
    description: "**What it finds:** long-lived cloud credentials handed to a pipeline: \
`aws-actions/configure-aws-credentials` with `aws-access-key-id`/`aws-secret-access-key`, \
`google-github-actions/auth` with `credentials_json` (or `setup-gcloud` with \
`service_account_key`), `azure/login` with a `creds` JSON, and the same keys exported \
through `env:` from secrets (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, \
`GOOGLE_CREDENTIALS`/`GOOGLE_APPLICATION_CREDENTIALS` content, `ARM_CLIENT_SECRET`, \
`AZURE_CLIENT_SECRET`, `AZURE_CREDENTIALS`). Literal keys are reported by \
`hardcoded-credential` instead.\n\n\
**Why it matters:** a static key works from anywhere until someone rotates it; one leak \
through a log, a compromised action or a fork gives lasting cloud access. All three clouds \
accept GitHub's OIDC token and issue credentials that expire within the hour, scoped to \
this repository and branch.\n\n\
**Example:**\n```yaml\n- uses: aws-actions/configure-aws-credentials@v4\n  with:\n    \
aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n    aws-secret-access-key: ${{ \
secrets.AWS_SECRET_ACCESS_KEY }}\n```\n",
    remediation: "Use OIDC: grant `id-token: write` to the job and use `role-to-assume` \
(AWS), `workload_identity_provider` + `service_account` (Google), or `client-id`/\
`tenant-id`/`subscription-id` with a federated credential (Azure); then delete the static \
key.",
};

fn fix_for(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => {
            "grant `id-token: write` and use `role-to-assume` with aws-actions/configure-aws-credentials instead"
        }
        Provider::Azure => {
            "grant `id-token: write` and use `client-id`, `tenant-id` and `subscription-id` with azure/login (federated credential) instead"
        }
        _ => {
            "grant `id-token: write` and use `workload_identity_provider` with google-github-actions/auth instead"
        }
    }
}

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
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
