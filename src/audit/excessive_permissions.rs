//! Audit `excessive-permissions`: `GITHUB_TOKEN` permissions broader than the jobs need.
//! Its documentation is [`DOC`].

use super::{AuditDoc, Ctx, Hit};
use crate::finding::{Confidence, Finding, Severity};
use crate::pipeline::github::{Job, Step, action_matches, contains_word, uses_github_token};
use crate::pipeline::yaml::{Node, Value};

/// Documentation of `excessive-permissions`.
pub const DOC: AuditDoc = AuditDoc {
    id: "excessive-permissions",
    name: "Over-broad GITHUB_TOKEN permissions",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    description: "**What it finds:** `permissions: write-all` on a workflow or job; a \
workflow with no `permissions:` anywhere (reported at `on:`) or jobs without one when the \
workflow sets none (reported at the job), so the repository's default token permissions \
apply; write scopes granted at workflow level, where every job inherits them; and broad \
write scopes (`contents`, `packages`, `actions`, `id-token`, `pull-requests`, \
`deployments`, ...) on a job whose steps show no use for them. Workflows only run by \
`workflow_call` (the caller sets permissions) and workflows triggered only by \
`pull_request` (fork tokens are read-only) are not reported for missing blocks.\n\n\
**Why it matters:** every step, action and build script in a job can use its \
`GITHUB_TOKEN`. With write scopes it can push code, publish packages, approve pull \
requests or mint OIDC tokens for your cloud; a single compromised dependency then becomes \
a repository takeover.\n\n\
**Example:**\n```yaml\npermissions:\n  contents: write     # every job can push\njobs:\n  \
test:\n    steps: [{ run: make test }]\n  release:\n    steps: [{ run: gh release create v1 }]\n```\n",
    remediation: "Set `permissions: {}` or `contents: read` at the top of the workflow and \
grant write scopes only to the job that needs them, e.g. `contents: write` on the release \
job alone.",
};

fn scope_severity(scope: &str) -> Severity {
    match scope {
        "contents" | "packages" | "actions" | "id-token" | "pull-requests" | "deployments"
        | "issues" | "pages" | "attestations" => Severity::High,
        "statuses" | "checks" => Severity::Low,
        _ => Severity::Medium,
    }
}

/// Actions known not to use the token's write scopes.
const BENIGN: &[&str] = &[
    "actions/checkout",
    "actions/cache",
    "actions/upload-artifact",
    "actions/download-artifact",
    "dtolnay/rust-toolchain",
    "Swatinem/rust-cache",
    "actions-rs/toolchain",
    "actions-rs/cargo",
    "ruby/setup-ruby",
    "pnpm/action-setup",
    "oven-sh/setup-bun",
    "denoland/setup-deno",
    "astral-sh/setup-uv",
    "goto-bus-stop/setup-zig",
    "mlugg/setup-zig",
    "erlef/setup-beam",
    "subosito/flutter-action",
    "shivammathur/setup-php",
    "conda-incubator/setup-miniconda",
    "docker/setup-buildx-action",
    "docker/setup-qemu-action",
    "docker/metadata-action",
    "hashicorp/setup-terraform",
    "azure/setup-helm",
    "azure/setup-kubectl",
    "taiki-e/install-action",
    "jdx/mise-action",
    "extractions/setup-just",
    "codecov/codecov-action",
    "gradle/actions/setup-gradle",
    "gradle/gradle-build-action",
    "microsoft/setup-msbuild",
    "nuget/setup-nuget",
    "ilammy/msvc-dev-cmd",
    "jwlawson/actions-setup-cmake",
    "lukka/get-cmake",
    "seanmiddleditch/gha-setup-ninja",
    "haskell-actions/setup",
    "julia-actions/setup-julia",
    "r-lib/actions/setup-r",
    "coursier/setup-action",
    "sbt/setup-sbt",
    "bahmutov/npm-install",
    "cypress-io/github-action",
    "actions/setup-node",
    "actions/setup-python",
    "actions/setup-go",
    "actions/setup-java",
    "actions/setup-dotnet",
];

fn benign(step: &Step<'_>) -> bool {
    let Some(u) = step.uses() else { return true };
    let lower = u.to_ascii_lowercase();
    if lower.starts_with("actions/setup-") {
        return true;
    }
    if action_matches(u, "docker/login-action") {
        return !step
            .with_str("registry")
            .is_some_and(|r| r.contains("ghcr.io") || r.contains("docker.pkg.github.com"));
    }
    BENIGN.iter().any(|b| action_matches(u, b))
}

fn text_uses(step: &Step<'_>, needles: &[&str]) -> bool {
    let Some(s) = step.run_str() else {
        return false;
    };
    needles.iter().any(|n| contains_word(s, n))
}

/// Whether the job plausibly needs `scope: write`. Unknown actions count as a use.
fn job_uses(job: &Job<'_>, scope: &str) -> bool {
    if job.uses().is_some() {
        return true;
    }
    let mut token_in_env = false;
    if let Some(env) = job.node.get("env") {
        env.walk_scalars("", &mut |_, _, v| token_in_env |= uses_github_token(v));
    }
    for step in &job.steps {
        if !benign(step) {
            return true;
        }
        let mut token = token_in_env;
        step.node
            .walk_scalars("", &mut |_, _, v| token |= uses_github_token(v));
        let script_api = text_uses(
            step,
            &[
                "gh",
                "hub",
                "api.github.com",
                "GITHUB_TOKEN",
                "GH_TOKEN",
                "octokit",
            ],
        );
        // Scripts named like a release or deploy may push or publish with the token the
        // checkout persisted; a reviewer would not call that scope unused.
        let releasing = matches!(scope, "contents" | "packages" | "pages" | "deployments")
            && text_uses(
                step,
                &[
                    "deploy",
                    "release",
                    "publish",
                    "version",
                    "tag",
                    "commit",
                    "push",
                    "changelog",
                    "bump",
                ],
            );
        let specific = releasing
            || match scope {
                "contents" => text_uses(
                    step,
                    &[
                        "git push",
                        "git tag",
                        "gh release",
                        "git-auto-commit",
                        "semantic-release",
                        "release-it",
                        "goreleaser",
                    ],
                ),
                "packages" => text_uses(
                    step,
                    &[
                        "docker push",
                        "ghcr.io",
                        "npm publish",
                        "docker.pkg.github.com",
                        "mvn deploy",
                        "gradle publish",
                        "dotnet nuget push",
                    ],
                ),
                "id-token" => text_uses(
                    step,
                    &[
                        "ACTIONS_ID_TOKEN_REQUEST_URL",
                        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                        "--provenance",
                        "cosign",
                        "sigstore",
                        "npm publish",
                        "twine upload",
                        "uv publish",
                        "cargo publish",
                        "gem push",
                        "attest",
                        "oidc",
                    ],
                ),
                "pages" => text_uses(step, &["gh-pages", "pages"]),
                _ => false,
            };
        if specific || (scope != "id-token" && (token || script_api)) {
            return true;
        }
    }
    false
}

fn write_scopes(perms: &Node) -> Vec<(&Node, &Node, &str)> {
    perms
        .entries()
        .iter()
        .filter_map(|(k, v)| {
            let scope = k.as_str()?;
            (v.as_str()?.trim() == "write").then_some((k, v, scope))
        })
        .collect()
}

fn is_write_all(v: &Node) -> bool {
    v.as_str().is_some_and(|s| s.trim() == "write-all")
}

/// Runs the audit.
pub(crate) fn run(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let wf = cx.wf;
    if wf.kind != crate::pipeline::github::FileKind::Workflow || wf.jobs.is_empty() {
        return;
    }
    let only_call = !wf.triggers.is_empty() && wf.triggers.iter().all(|t| t == "workflow_call");
    let pr_only = !wf.triggers.is_empty()
        && wf.triggers.iter().all(|t| {
            matches!(
                t.as_str(),
                "pull_request" | "pull_request_review" | "pull_request_review_comment"
            )
        });

    // write-all, anywhere.
    if let Some((k, v)) = wf.permissions
        && is_write_all(v)
    {
        let msg = "`permissions: write-all` gives every job a token that can push code, publish packages and change settings; grant `contents: read` at the top and write scopes only to the jobs that need them.";
        cx.report(
            out,
            &DOC,
            Hit::new(cx.src.pair_span(k, v), "permissions", msg)
                .severity(Severity::High)
                .confidence(Confidence::High),
        );
    }
    for job in &wf.jobs {
        if let Some((k, v)) = job.permissions()
            && is_write_all(v)
        {
            let msg = format!(
                "Job `{}` has `permissions: write-all`: every step can push code, publish packages and change settings; list only the scopes it needs (e.g. `contents: read`).",
                job.id
            );
            cx.report(
                out,
                &DOC,
                Hit::new(
                    cx.src.pair_span(k, v),
                    format!("{}.permissions", job.path),
                    msg,
                )
                .severity(Severity::High)
                .confidence(Confidence::High),
            );
        }
    }

    // Default permissions.
    if wf.permissions.is_none() && !only_call && !pr_only {
        let without: Vec<&Job<'_>> = wf
            .jobs
            .iter()
            .filter(|j| j.permissions().is_none())
            .collect();
        if without.len() == wf.jobs.len() {
            if let Some(on) = wf.on_key {
                let msg = "No `permissions:` block in this workflow, so its jobs get the repository's default `GITHUB_TOKEN` permissions (often read-write); add `permissions: contents: read` at the top and grant writes per job.";
                cx.report(out, &DOC, Hit::new(cx.src.node_span(on), "on", msg));
            }
        } else {
            for job in without {
                let msg = format!(
                    "Job `{}` has no `permissions:` and the workflow sets none, so it gets the repository's default `GITHUB_TOKEN` permissions; add `permissions: contents: read` (or `{{}}`) to it.",
                    job.id
                );
                cx.report(
                    out,
                    &DOC,
                    Hit::new(
                        cx.src.node_span(job.key),
                        format!("{}.permissions", job.path),
                        msg,
                    ),
                );
            }
        }
    }

    // Workflow-level write scopes.
    if let Some((_, perms)) = wf.permissions
        && matches!(perms.value, Value::Map(_))
    {
        let inheriting: Vec<&Job<'_>> = wf
            .jobs
            .iter()
            .filter(|j| j.permissions().is_none())
            .collect();
        for (k, v, scope) in write_scopes(perms) {
            let report = match inheriting.len() {
                0 => false,
                1 => !job_uses(inheriting[0], scope),
                _ => true,
            };
            if !report {
                continue;
            }
            let msg = if inheriting.len() > 1 {
                format!(
                    "`{scope}: write` is granted at workflow level, so all {} jobs without their own `permissions:` inherit it; grant `{scope}: read` (or nothing) at the top and `{scope}: write` only to the job that needs it.",
                    inheriting.len()
                )
            } else {
                format!(
                    "`{scope}: write` is granted at workflow level but job `{}` shows no use for it; a compromised step could abuse it: drop it or use `{scope}: read`.",
                    inheriting[0].id
                )
            };
            cx.report(
                out,
                &DOC,
                Hit::new(cx.src.pair_span(k, v), format!("permissions.{scope}"), msg)
                    .severity(scope_severity(scope)),
            );
        }
    }

    // Job-level write scopes with no visible use.
    for job in &wf.jobs {
        let Some((_, perms)) = job.permissions() else {
            continue;
        };
        if job.uses().is_some() {
            continue;
        }
        for (k, v, scope) in write_scopes(perms) {
            if job_uses(job, scope) {
                continue;
            }
            let msg = format!(
                "Job `{}` is granted `{scope}: write` but none of its steps shows a use for it; a compromised step could abuse it: drop it or use `{scope}: read`.",
                job.id
            );
            cx.report(
                out,
                &DOC,
                Hit::new(
                    cx.src.pair_span(k, v),
                    format!("{}.permissions.{scope}", job.path),
                    msg,
                )
                .severity(scope_severity(scope)),
            );
        }
    }
}
