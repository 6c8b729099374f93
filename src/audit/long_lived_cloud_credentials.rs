//! Audit `long-lived-cloud-credentials`: static AWS, Google Cloud and Azure keys used
//! where OIDC federation would issue short-lived ones. Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::{has_expr, secret_ref};
use crate::pipeline::yaml::Node;

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

const ENV_KEYS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AWS"),
    ("AWS_SECRET_ACCESS_KEY", "AWS"),
    ("ARM_CLIENT_SECRET", "Azure"),
    ("AZURE_CLIENT_SECRET", "Azure"),
    ("AZURE_CREDENTIALS", "Azure"),
    ("GOOGLE_CREDENTIALS", "Google Cloud"),
    ("GOOGLE_APPLICATION_CREDENTIALS", "Google Cloud"),
    ("GOOGLE_APPLICATION_CREDENTIALS_JSON", "Google Cloud"),
    ("GOOGLE_CLOUD_KEYFILE_JSON", "Google Cloud"),
    ("GCP_SA_KEY", "Google Cloud"),
    ("GCP_CREDENTIALS", "Google Cloud"),
    ("GCP_SERVICE_ACCOUNT_KEY", "Google Cloud"),
    ("GCLOUD_SERVICE_KEY", "Google Cloud"),
];

const FIX_AWS: &str = "grant `id-token: write` and use `role-to-assume` with aws-actions/configure-aws-credentials instead";
const FIX_GCP: &str = "grant `id-token: write` and use `workload_identity_provider` with google-github-actions/auth instead";
const FIX_AZURE: &str = "grant `id-token: write` and use `client-id`, `tenant-id` and `subscription-id` with azure/login (federated credential) instead";

fn fix_for(cloud: &str) -> &'static str {
    match cloud {
        "AWS" => FIX_AWS,
        "Azure" => FIX_AZURE,
        _ => FIX_GCP,
    }
}

fn check_env(cx: &Ctx<'_>, out: &mut Vec<Finding>, env: &Node, path: &str) {
    let mut aws_done = false;
    for (k, v) in env.entries() {
        let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
            continue;
        };
        let Some((_, cloud)) = ENV_KEYS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            continue;
        };
        let Some(secret) = secret_ref(val) else {
            continue;
        };
        if *cloud == "AWS" {
            // One finding per env block: the id and the secret key travel together.
            if aws_done {
                continue;
            }
            aws_done = true;
        }
        let msg = format!(
            "`{path}.{name}` exports the long-lived {cloud} credential `secrets.{secret}` to the pipeline; a leak gives lasting cloud access: {}.",
            fix_for(cloud)
        );
        cx.report(
            out,
            &DOC,
            Hit::new(cx.src.pair_span(k, v), format!("{path}.{name}"), msg),
        );
    }
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let wf = cx.wf;
    if let Some(env) = wf.env {
        check_env(cx, out, env, "env");
    }
    for job in &wf.jobs {
        if let Some(env) = job.node.get("env") {
            check_env(cx, out, env, &format!("{}.env", job.path));
        }
        for step in &job.steps {
            if let Some(env) = step.node.get("env") {
                check_env(cx, out, env, &format!("{}.env", step.path));
            }
            let input = if step.is_action("aws-actions/configure-aws-credentials") {
                ["aws-access-key-id", "aws-secret-access-key"]
                    .into_iter()
                    .find_map(|i| step.with_entry(i).map(|e| (i, e, "AWS")))
            } else if step.is_action("google-github-actions/auth") {
                step.with_entry("credentials_json")
                    .map(|e| ("credentials_json", e, "Google Cloud"))
            } else if step.is_action("google-github-actions/setup-gcloud") {
                step.with_entry("service_account_key")
                    .map(|e| ("service_account_key", e, "Google Cloud"))
            } else if step.is_action("azure/login") {
                step.with_entry("creds").map(|e| ("creds", e, "Azure"))
            } else {
                None
            };
            let Some((name, (k, v), cloud)) = input else {
                continue;
            };
            let Some(val) = v.as_str() else { continue };
            // Literal keys are `hardcoded-credential`'s; empty values configure nothing.
            if val.trim().is_empty() || !has_expr(val) {
                continue;
            }
            let msg = format!(
                "`{}` logs in to {cloud} with the long-lived key in `with.{name}`; a leaked key gives lasting access: {}.",
                step.uses().unwrap_or("?"),
                fix_for(cloud)
            );
            cx.report(
                out,
                &DOC,
                Hit::new(
                    cx.src.pair_span(k, v),
                    format!("{}.with.{name}", step.path),
                    msg,
                ),
            );
        }
    }
}
