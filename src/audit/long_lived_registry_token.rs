//! Audit `long-lived-registry-token`: publishing to a package registry that offers
//! trusted publishing (OIDC) with a stored API token instead. Its documentation is
//! [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::Method;

/// Documentation of `long-lived-registry-token`.
pub const DOC: AuditDoc = AuditDoc {
    id: "long-lived-registry-token",
    name: "Stored registry token where trusted publishing works",
    severity: Severity::Medium,
    confidence: Confidence::High,
    description: include_str!("docs/long_lived_registry_token.md"),
    remediation: "Configure a trusted publisher for this repository and workflow on the \
registry, grant the publishing job `id-token: write`, drop the token (e.g. remove \
`password:` from `pypa/gh-action-pypi-publish`, use `npm publish --provenance` with npm \
trusted publishing, `rust-lang/crates-io-auth-action`, `rubygems/release-gem`, \
`NuGet/login`), then revoke the old token.",
};

pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for login in &cx.facts.logins {
        if !login.provider.is_package_registry()
            || login.method != Method::StaticKey
            || !login.publishes
        {
            continue;
        }
        let Some(secret) = login.secrets.first() else {
            continue;
        };
        let registry = login.provider.name();
        let msg = if login.via == "run" {
            format!(
                "This script publishes to {registry} with the long-lived token `secrets.{secret}`; a leak lets anyone publish your package: configure trusted publishing (OIDC, `id-token: write`) and revoke the token."
            )
        } else if let Some(input) = login.via.strip_prefix("with.") {
            format!(
                "`with.{input}` publishes to {registry} with the long-lived token `secrets.{secret}`; a leak lets anyone publish your package: configure trusted publishing (OIDC, `id-token: write`), remove `{input}` and revoke the token."
            )
        } else {
            format!(
                "`{}` publishes to {registry} with the long-lived token `secrets.{secret}`; a leak lets anyone publish your package: configure trusted publishing (OIDC, `id-token: write`) and revoke the token.",
                login.key
            )
        };
        cx.report(out, &DOC, Hit::new(login.span, login.key.clone(), msg));
    }
}
