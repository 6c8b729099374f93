//! Audit `long-lived-registry-token`: publishing to a package registry that offers
//! trusted publishing (OIDC) with a stored API token instead. Its documentation is
//! [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::{Job, Step, contains_word, expressions, secret_ref};
use crate::pipeline::yaml::Node;
use std::collections::HashSet;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Registry {
    Npm,
    PyPi,
    Crates,
    RubyGems,
    NuGet,
}

impl Registry {
    /// Lowercase id, as in inventory output (`npm`, `pypi`, `crates.io`, ...).
    pub(crate) fn id(self) -> &'static str {
        match self {
            Registry::Npm => "npm",
            Registry::PyPi => "pypi",
            Registry::Crates => "crates.io",
            Registry::RubyGems => "rubygems",
            Registry::NuGet => "nuget",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Registry::Npm => "npm",
            Registry::PyPi => "PyPI",
            Registry::Crates => "crates.io",
            Registry::RubyGems => "RubyGems",
            Registry::NuGet => "NuGet",
        }
    }
}

/// Environment variables that carry a registry's publish token.
pub(crate) fn env_registry(name: &str) -> Option<Registry> {
    let n = name.to_ascii_uppercase();
    let r = match n.as_str() {
        "NODE_AUTH_TOKEN" | "NPM_TOKEN" | "NPM_AUTH_TOKEN" | "NPM_CONFIG__AUTHTOKEN" => {
            Registry::Npm
        }
        "TWINE_PASSWORD"
        | "TWINE_TOKEN"
        | "PYPI_TOKEN"
        | "PYPI_API_TOKEN"
        | "UV_PUBLISH_TOKEN"
        | "UV_PUBLISH_PASSWORD"
        | "FLIT_PASSWORD"
        | "HATCH_INDEX_AUTH"
        | "MATURIN_PYPI_TOKEN"
        | "MATURIN_PASSWORD"
        | "PDM_PUBLISH_PASSWORD" => Registry::PyPi,
        "CARGO_REGISTRY_TOKEN"
        | "CARGO_REGISTRIES_CRATES_IO_TOKEN"
        | "CRATES_IO_TOKEN"
        | "CRATES_TOKEN"
        | "CARGO_TOKEN" => Registry::Crates,
        "GEM_HOST_API_KEY" | "RUBYGEMS_API_KEY" | "RUBYGEMS_AUTH_TOKEN" => Registry::RubyGems,
        "NUGET_API_KEY" => Registry::NuGet,
        _ if n.starts_with("POETRY_PYPI_TOKEN_")
            || n.starts_with("POETRY_HTTP_BASIC_PYPI_PASSWORD") =>
        {
            Registry::PyPi
        }
        _ => return None,
    };
    Some(r)
}

/// What a script publishes to.
fn script_publishes(script: &str, out: &mut HashSet<Registry>) {
    for line in script.lines() {
        let l = line.trim();
        if l.starts_with('#') || l.contains("--dry-run") {
            continue;
        }
        let has = |w: &str| contains_word(l, w);
        if has("npm publish")
            || has("yarn publish")
            || has("yarn npm publish")
            || has("pnpm publish")
            || has("lerna publish")
            || has("changeset publish")
            || has("semantic-release")
        {
            out.insert(Registry::Npm);
        }
        if has("twine upload")
            || has("poetry publish")
            || has("uv publish")
            || has("flit publish")
            || has("hatch publish")
            || has("pdm publish")
            || has("maturin publish")
            || has("maturin upload")
        {
            out.insert(Registry::PyPi);
        }
        if has("cargo publish")
            || has("cargo release")
            || has("cargo workspaces publish")
            || has("cargo login")
        {
            out.insert(Registry::Crates);
        }
        if has("gem push") || has("rake release") {
            out.insert(Registry::RubyGems);
        }
        if has("nuget push") {
            out.insert(Registry::NuGet);
        }
    }
}

fn step_publishes(step: &Step<'_>, out: &mut HashSet<Registry>) {
    if let Some(s) = step.run_str() {
        script_publishes(s, out);
    }
    if step.is_action("pypa/gh-action-pypi-publish") {
        out.insert(Registry::PyPi);
    }
    if step.is_action("JS-DevTools/npm-publish") {
        out.insert(Registry::Npm);
    }
    if step.is_action("changesets/action") && step.with_entry("publish").is_some() {
        out.insert(Registry::Npm);
    }
    if step.is_action("katyo/publish-crates") {
        out.insert(Registry::Crates);
    }
    if step.is_action("PyO3/maturin-action")
        && step
            .with_str("command")
            .is_some_and(|c| matches!(c.trim(), "upload" | "publish"))
    {
        out.insert(Registry::PyPi);
    }
}

/// Registries the job publishes to, minus npm when it targets GitHub Packages.
fn job_publishes(job: &Job<'_>) -> HashSet<Registry> {
    let mut out = HashSet::new();
    for step in &job.steps {
        step_publishes(step, &mut out);
    }
    let github_npm = job.steps.iter().any(|s| {
        s.is_action("actions/setup-node")
            && s.with_str("registry-url")
                .is_some_and(|u| u.contains("npm.pkg.github.com"))
    });
    if github_npm {
        out.remove(&Registry::Npm);
    }
    out
}

fn check_env(
    cx: &Ctx<'_>,
    out: &mut Vec<Finding>,
    env: &Node,
    path: &str,
    publishes: &HashSet<Registry>,
) {
    for (k, v) in env.entries() {
        let (Some(name), Some(val)) = (k.as_str(), v.as_str()) else {
            continue;
        };
        let Some(reg) = env_registry(name) else {
            continue;
        };
        if !publishes.contains(&reg) {
            continue;
        }
        let Some(secret) = secret_ref(val) else {
            continue;
        };
        let msg = format!(
            "`{path}.{name}` publishes to {} with the long-lived token `secrets.{secret}`; a leak lets anyone publish your package: configure trusted publishing (OIDC, `id-token: write`) and revoke the token.",
            reg.name()
        );
        cx.report(
            out,
            &DOC,
            Hit::new(cx.src.pair_span(k, v), format!("{path}.{name}"), msg),
        );
    }
}

const TOKEN_HINTS: &[&str] = &[
    "--token",
    "-t ",
    "--api-key",
    "-k ",
    "-apikey",
    "--password",
    "-p ",
    "_authtoken",
    "pypi-token",
    "login",
    "__token__",
    "credentials",
    "api_key",
    "apikey",
];

const REGISTRY_WORDS: &[&str] = &[
    "npm",
    "pypi",
    "twine",
    "poetry",
    "cargo",
    "crates",
    "gem",
    "nuget",
    "yarn",
    "pnpm",
    "flit",
    "hatch",
    "maturin",
    "uv_publish",
];

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let wf = cx.wf;
    let mut all = HashSet::new();
    let per_job: Vec<HashSet<Registry>> = wf.jobs.iter().map(job_publishes).collect();
    for p in &per_job {
        all.extend(p.iter().copied());
    }
    if all.is_empty() {
        return;
    }
    if let Some(env) = wf.env {
        check_env(cx, out, env, "env", &all);
    }
    for (job, publishes) in wf.jobs.iter().zip(&per_job) {
        if publishes.is_empty() {
            continue;
        }
        if let Some(env) = job.node.get("env") {
            check_env(cx, out, env, &format!("{}.env", job.path), publishes);
        }
        for step in &job.steps {
            let mut mine = HashSet::new();
            step_publishes(step, &mut mine);
            // Step env applies to the step; a token in a setup step's env is also used by
            // the job's later publish (setup-node writes it to .npmrc).
            let scope = if mine.is_empty() { publishes } else { &mine };
            if let Some(env) = step.node.get("env") {
                check_env(cx, out, env, &format!("{}.env", step.path), scope);
            }
            let input = if step.is_action("pypa/gh-action-pypi-publish") {
                let custom = ["repository-url", "repository_url"].iter().any(|i| {
                    step.with_str(i)
                        .is_some_and(|u| !u.contains("pypi.org") && !u.trim().is_empty())
                });
                if custom {
                    None
                } else {
                    step.with_entry("password")
                        .map(|e| ("password", e, Registry::PyPi))
                }
            } else if step.is_action("JS-DevTools/npm-publish") {
                step.with_entry("token")
                    .map(|e| ("token", e, Registry::Npm))
            } else if step.is_action("katyo/publish-crates") {
                step.with_entry("registry-token")
                    .map(|e| ("registry-token", e, Registry::Crates))
            } else if step.is_action("rubygems/configure-rubygems-credentials") {
                step.with_entry("api-token")
                    .map(|e| ("api-token", e, Registry::RubyGems))
            } else {
                None
            };
            if let Some((name, (k, v), reg)) = input
                && let Some(secret) = v.as_str().and_then(secret_ref)
            {
                let msg = format!(
                    "`with.{name}` publishes to {} with the long-lived token `secrets.{secret}`; a leak lets anyone publish your package: configure trusted publishing (OIDC, `id-token: write`), remove `{name}` and revoke the token.",
                    reg.name()
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
            if let Some((_, run)) = step.run() {
                let Some(script) = run.as_str() else { continue };
                let mut regs = HashSet::new();
                script_publishes(script, &mut regs);
                if regs.is_empty() {
                    // `npm config set ...:_authToken ${{ secrets.X }}` before a later publish.
                    regs = publishes.clone();
                }
                let mut count = std::collections::HashMap::new();
                for line in script.lines() {
                    let lower = line.to_ascii_lowercase();
                    for (raw, inner) in expressions(line) {
                        let nth = count.entry(raw).or_insert(0usize);
                        let this = *nth;
                        *nth += 1;
                        let Some(secret) = secret_ref(inner) else {
                            continue;
                        };
                        let sl = secret.to_ascii_lowercase();
                        let registry_secret = REGISTRY_WORDS.iter().any(|w| sl.contains(w));
                        let registry_line = REGISTRY_WORDS.iter().any(|w| lower.contains(w))
                            && TOKEN_HINTS.iter().any(|h| lower.contains(h));
                        if lower.contains("docker") || !(registry_secret || registry_line) {
                            continue;
                        }
                        let Some(reg) = regs.iter().copied().min_by_key(|r| *r as u8) else {
                            continue;
                        };
                        let span = cx
                            .src
                            .find_in_node(run, raw, this)
                            .unwrap_or_else(|| cx.src.node_span(run));
                        let msg = format!(
                            "This script publishes to {} with the long-lived token `secrets.{secret}`; a leak lets anyone publish your package: configure trusted publishing (OIDC, `id-token: write`) and revoke the token.",
                            reg.name()
                        );
                        cx.report(
                            out,
                            &DOC,
                            Hit::new(span, format!("{}.run[{secret}]#{this}", step.path), msg),
                        );
                    }
                }
            }
        }
    }
}
