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
    description: "**What it finds:** a job that publishes to npm, PyPI, crates.io, \
RubyGems or NuGet and authenticates with a stored secret: `NODE_AUTH_TOKEN`/`NPM_TOKEN`, \
`TWINE_PASSWORD`, `UV_PUBLISH_TOKEN`, `POETRY_PYPI_TOKEN_*`, `CARGO_REGISTRY_TOKEN`, \
`GEM_HOST_API_KEY`, a `password:` for `pypa/gh-action-pypi-publish`, or a secret on the \
command line of `cargo publish`, `twine upload`, `dotnet nuget push --api-key` and the \
like.\n\n\
**Why it matters:** registry tokens are long-lived and usually scoped to the whole \
account; one leak lets an attacker publish a malicious release of your package to every \
user. These registries accept GitHub's OIDC token (trusted publishing) and mint a \
short-lived, single-project credential instead.\n\n\
**Example:**\n```yaml\n- uses: pypa/gh-action-pypi-publish@release/v1\n  with:\n    \
password: ${{ secrets.PYPI_API_TOKEN }}\n```\n",
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
