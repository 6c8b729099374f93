//! The catalog of CI knowledge, as data: which variables carry cloud or registry
//! credentials, which actions log in or publish and through which inputs, which commands
//! publish, which token scopes an action needs, which triggers an outsider controls.
//!
//! Every fact the pipeline front ends compute is looked up here, and nothing else in the
//! crate keeps a second copy: audits judge the facts, the inventory lists them.

/// What a credential is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Provider {
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// Microsoft Azure.
    Azure,
    /// npm (registry.npmjs.org).
    Npm,
    /// PyPI.
    PyPi,
    /// crates.io.
    Crates,
    /// RubyGems.org.
    RubyGems,
    /// nuget.org.
    NuGet,
    /// A container registry (Docker Hub, GHCR, ECR, ...).
    ContainerRegistry,
    /// A GitLab instance (its API, repositories and registries).
    GitLab,
}

impl Provider {
    /// Stable lowercase id (`aws`, `pypi`, `crates.io`, ...), used in the inventory.
    pub fn id(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
            Provider::Npm => "npm",
            Provider::PyPi => "pypi",
            Provider::Crates => "crates.io",
            Provider::RubyGems => "rubygems",
            Provider::NuGet => "nuget",
            Provider::ContainerRegistry => "container-registry",
            Provider::GitLab => "gitlab",
        }
    }

    /// Display name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Gcp => "Google Cloud",
            Provider::Azure => "Azure",
            Provider::Npm => "npm",
            Provider::PyPi => "PyPI",
            Provider::Crates => "crates.io",
            Provider::RubyGems => "RubyGems",
            Provider::NuGet => "NuGet",
            Provider::ContainerRegistry => "a container registry",
            Provider::GitLab => "GitLab",
        }
    }

    /// Whether this is a cloud provider (as opposed to a package registry).
    pub fn is_cloud(self) -> bool {
        matches!(self, Provider::Aws | Provider::Gcp | Provider::Azure)
    }

    /// Whether this is a package registry that supports trusted publishing (OIDC).
    pub fn is_package_registry(self) -> bool {
        matches!(
            self,
            Provider::Npm
                | Provider::PyPi
                | Provider::Crates
                | Provider::RubyGems
                | Provider::NuGet
        )
    }
}

/// Environment variables whose value is a long-lived cloud credential.
pub const CLOUD_CREDENTIAL_ENV: &[(&str, Provider)] = &[
    ("AWS_ACCESS_KEY_ID", Provider::Aws),
    ("AWS_SECRET_ACCESS_KEY", Provider::Aws),
    ("AWS_SESSION_TOKEN", Provider::Aws),
    ("ARM_CLIENT_SECRET", Provider::Azure),
    ("AZURE_CLIENT_SECRET", Provider::Azure),
    ("AZURE_CREDENTIALS", Provider::Azure),
    ("GOOGLE_CREDENTIALS", Provider::Gcp),
    ("GOOGLE_APPLICATION_CREDENTIALS", Provider::Gcp),
    ("GOOGLE_APPLICATION_CREDENTIALS_JSON", Provider::Gcp),
    ("GOOGLE_CLOUD_KEYFILE_JSON", Provider::Gcp),
    ("GCP_SA_KEY", Provider::Gcp),
    ("GCP_CREDENTIALS", Provider::Gcp),
    ("GCP_SERVICE_ACCOUNT_KEY", Provider::Gcp),
    ("GCLOUD_SERVICE_KEY", Provider::Gcp),
];

/// Environment variables whose value is a package registry's publish token.
pub const REGISTRY_TOKEN_ENV: &[(&str, Provider)] = &[
    ("NODE_AUTH_TOKEN", Provider::Npm),
    ("NPM_TOKEN", Provider::Npm),
    ("NPM_AUTH_TOKEN", Provider::Npm),
    ("NPM_CONFIG__AUTHTOKEN", Provider::Npm),
    ("TWINE_PASSWORD", Provider::PyPi),
    ("TWINE_TOKEN", Provider::PyPi),
    ("PYPI_TOKEN", Provider::PyPi),
    ("PYPI_API_TOKEN", Provider::PyPi),
    ("UV_PUBLISH_TOKEN", Provider::PyPi),
    ("UV_PUBLISH_PASSWORD", Provider::PyPi),
    ("FLIT_PASSWORD", Provider::PyPi),
    ("HATCH_INDEX_AUTH", Provider::PyPi),
    ("MATURIN_PYPI_TOKEN", Provider::PyPi),
    ("MATURIN_PASSWORD", Provider::PyPi),
    ("PDM_PUBLISH_PASSWORD", Provider::PyPi),
    ("CARGO_REGISTRY_TOKEN", Provider::Crates),
    ("CARGO_REGISTRIES_CRATES_IO_TOKEN", Provider::Crates),
    ("CRATES_IO_TOKEN", Provider::Crates),
    ("CRATES_TOKEN", Provider::Crates),
    ("CARGO_TOKEN", Provider::Crates),
    ("GEM_HOST_API_KEY", Provider::RubyGems),
    ("RUBYGEMS_API_KEY", Provider::RubyGems),
    ("RUBYGEMS_AUTH_TOKEN", Provider::RubyGems),
    ("NUGET_API_KEY", Provider::NuGet),
];

/// Prefixes of environment variable names that carry a PyPI token (Poetry's
/// per-repository variables).
pub const REGISTRY_TOKEN_ENV_PREFIXES: &[(&str, Provider)] = &[
    ("POETRY_PYPI_TOKEN_", Provider::PyPi),
    ("POETRY_HTTP_BASIC_PYPI_PASSWORD", Provider::PyPi),
];

/// The cloud provider whose credential an environment variable carries.
pub fn cloud_credential_env(name: &str) -> Option<Provider> {
    CLOUD_CREDENTIAL_ENV
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, p)| *p)
}

/// The registry whose publish token an environment variable carries.
pub fn registry_token_env(name: &str) -> Option<Provider> {
    if let Some((_, p)) = REGISTRY_TOKEN_ENV
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return Some(*p);
    }
    let upper = name.to_ascii_uppercase();
    REGISTRY_TOKEN_ENV_PREFIXES
        .iter()
        .find(|(p, _)| upper.starts_with(p))
        .map(|(_, p)| *p)
}

/// An action that logs in to a provider: with any of `static_inputs` set it uses a
/// long-lived credential, with any of `oidc_inputs` set (or, when `oidc_by_default`,
/// with no static input) it federates through the job's OIDC token.
#[derive(Debug)]
pub struct LoginAction {
    /// `owner/repo` (any ref, any sub-path).
    pub action: &'static str,
    /// Who it logs in to.
    pub provider: Provider,
    /// Inputs that carry a long-lived credential, most telling first.
    pub static_inputs: &'static [&'static str],
    /// Inputs that select OIDC federation.
    pub oidc_inputs: &'static [&'static str],
    /// Whether the action federates when no static input is given.
    pub oidc_by_default: bool,
    /// Whether logging in here is a package publish (the action uploads).
    pub publishes: bool,
}

/// Actions that log in to a cloud or registry.
pub const LOGIN_ACTIONS: &[LoginAction] = &[
    LoginAction {
        action: "aws-actions/configure-aws-credentials",
        provider: Provider::Aws,
        static_inputs: &[
            "aws-access-key-id",
            "aws-secret-access-key",
            "aws-session-token",
        ],
        oidc_inputs: &["role-to-assume"],
        oidc_by_default: false,
        publishes: false,
    },
    LoginAction {
        action: "google-github-actions/auth",
        provider: Provider::Gcp,
        static_inputs: &["credentials_json"],
        oidc_inputs: &["workload_identity_provider"],
        oidc_by_default: false,
        publishes: false,
    },
    LoginAction {
        action: "google-github-actions/setup-gcloud",
        provider: Provider::Gcp,
        static_inputs: &["service_account_key"],
        oidc_inputs: &[],
        oidc_by_default: false,
        publishes: false,
    },
    LoginAction {
        action: "azure/login",
        provider: Provider::Azure,
        static_inputs: &["creds"],
        oidc_inputs: &["client-id"],
        oidc_by_default: false,
        publishes: false,
    },
    LoginAction {
        action: "azure/webapps-deploy",
        provider: Provider::Azure,
        static_inputs: &["publish-profile"],
        oidc_inputs: &[],
        oidc_by_default: false,
        publishes: false,
    },
    LoginAction {
        action: "azure/functions-action",
        provider: Provider::Azure,
        static_inputs: &["publish-profile"],
        oidc_inputs: &[],
        oidc_by_default: false,
        publishes: false,
    },
    LoginAction {
        action: "pypa/gh-action-pypi-publish",
        provider: Provider::PyPi,
        static_inputs: &["password"],
        oidc_inputs: &[],
        oidc_by_default: true,
        publishes: true,
    },
    LoginAction {
        action: "JS-DevTools/npm-publish",
        provider: Provider::Npm,
        static_inputs: &["token"],
        oidc_inputs: &[],
        oidc_by_default: false,
        publishes: true,
    },
    LoginAction {
        action: "katyo/publish-crates",
        provider: Provider::Crates,
        static_inputs: &["registry-token"],
        oidc_inputs: &[],
        oidc_by_default: false,
        publishes: true,
    },
    LoginAction {
        action: "rubygems/configure-rubygems-credentials",
        provider: Provider::RubyGems,
        static_inputs: &["api-token"],
        oidc_inputs: &["role-to-assume"],
        oidc_by_default: true,
        publishes: false,
    },
    LoginAction {
        action: "rust-lang/crates-io-auth-action",
        provider: Provider::Crates,
        static_inputs: &[],
        oidc_inputs: &[],
        oidc_by_default: true,
        publishes: false,
    },
    LoginAction {
        action: "docker/login-action",
        provider: Provider::ContainerRegistry,
        static_inputs: &["password"],
        oidc_inputs: &[],
        oidc_by_default: false,
        publishes: false,
    },
];

/// The login action `uses` refers to.
pub fn login_action(uses: &str) -> Option<&'static LoginAction> {
    LOGIN_ACTIONS
        .iter()
        .find(|a| super::github::action_matches(uses, a.action))
}

/// Script commands that publish a package, and the registry they publish to.
pub const PUBLISH_COMMANDS: &[(&str, Provider)] = &[
    ("npm publish", Provider::Npm),
    ("yarn publish", Provider::Npm),
    ("yarn npm publish", Provider::Npm),
    ("pnpm publish", Provider::Npm),
    ("lerna publish", Provider::Npm),
    ("changeset publish", Provider::Npm),
    ("semantic-release", Provider::Npm),
    ("twine upload", Provider::PyPi),
    ("poetry publish", Provider::PyPi),
    ("uv publish", Provider::PyPi),
    ("flit publish", Provider::PyPi),
    ("hatch publish", Provider::PyPi),
    ("pdm publish", Provider::PyPi),
    ("maturin publish", Provider::PyPi),
    ("maturin upload", Provider::PyPi),
    ("cargo publish", Provider::Crates),
    ("cargo release", Provider::Crates),
    ("cargo workspaces publish", Provider::Crates),
    ("cargo login", Provider::Crates),
    ("gem push", Provider::RubyGems),
    ("rake release", Provider::RubyGems),
    ("nuget push", Provider::NuGet),
];

/// The registries one script line publishes to (comments and `--dry-run` excluded), in
/// [`PUBLISH_COMMANDS`] order.
pub fn publish_commands(line: &str) -> impl Iterator<Item = Provider> {
    let l = line.trim();
    let live = !(l.starts_with('#') || l.contains("--dry-run"));
    let found = if live {
        super::script_words::read_line(l).publishes
    } else {
        Vec::new()
    };
    found.into_iter()
}

/// An input that must be set for an action to publish, and the values it must have
/// (any value when empty).
pub type PublishInput = Option<(&'static str, &'static [&'static str])>;

/// Actions that publish without a login of their own: `(action, registry, input)`.
pub const PUBLISH_ACTIONS: &[(&str, Provider, PublishInput)] = &[
    ("changesets/action", Provider::Npm, Some(("publish", &[]))),
    (
        "PyO3/maturin-action",
        Provider::PyPi,
        Some(("command", &["upload", "publish"])),
    ),
];

/// Words that mark a secret or script line as a registry credential on a command line.
pub const REGISTRY_WORDS: &[&str] = &[
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

/// Command-line options and words that pass a token to a publishing command.
pub const TOKEN_FLAGS: &[&str] = &[
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

/// `with:` inputs and `env:` names whose secret is an identifier, not a credential.
pub const IDENTIFIER_INPUTS: &[&str] = &[
    "role-to-assume",
    "aws-region",
    "workload_identity_provider",
    "service_account",
    "project_id",
    "client-id",
    "tenant-id",
    "subscription-id",
    "arm_client_id",
    "arm_tenant_id",
    "arm_subscription_id",
    "azure_client_id",
    "azure_tenant_id",
    "azure_subscription_id",
];

/// Words that make a variable name a credential's.
pub const CRED_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "privatekey",
];
/// Words that make `..._KEY` a credential's name.
pub const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "ssh",
    "deploy",
    "signing",
    "auth",
    "encryption",
    "master",
];
/// Last words of a name whose value describes a credential instead of holding it.
pub const NOT_A_VALUE: &[&str] = &[
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "name",
    "user",
    "username",
    "id",
    "type",
    "env",
    "var",
    "length",
    "len",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "header",
    "prefix",
    "host",
    "endpoint",
    "method",
    "enabled",
    "enable",
    "mode",
    "version",
    "count",
    "size",
    "format",
    "kind",
    "field",
    "scope",
    "scopes",
    "audience",
    "region",
    "policy",
    "label",
    "location",
    "hash",
    "sha",
    "algorithm",
    "input",
    "output",
    "source",
    "target",
    "required",
    "ref",
    "server",
    "registry",
    "store",
    "provider",
    "account",
    "role",
    "email",
    "public",
    "description",
];

/// Whether a variable or input name suggests it holds a credential (`DB_PASSWORD`,
/// `apiKey`, `SSH_KEY`; not `TOKEN_URL`, `public-key`).
pub fn credential_name(name: &str) -> bool {
    // Each way below to be a credential name needs one of these in the name: most names
    // have none, and are not split into words.
    let hint = |b: &[u8]| {
        let has = |w: &[u8]| b.len() >= w.len() && b[..w.len()].eq_ignore_ascii_case(w);
        match b[0].to_ascii_lowercase() {
            b'p' => has(b"pass") || has(b"pwd"),
            b's' => has(b"secret"),
            b't' => has(b"token"),
            b'k' => has(b"key"),
            b'c' => has(b"cred"),
            _ => false,
        }
    };
    let bytes = name.as_bytes();
    if name.is_ascii() && !(0..bytes.len()).any(|i| hint(&bytes[i..])) {
        return false;
    }
    let w = super::github::words(name);
    let Some(last) = w.last() else { return false };
    if NOT_A_VALUE.contains(&last.as_str()) || w.iter().any(|x| x == "public") {
        return false;
    }
    if w.len() == 1 && (last == "pwd" || last == "pass") {
        return false;
    }
    w.iter().any(|x| CRED_WORDS.contains(&x.as_str()))
        // Run-together names (`PGPASSWORD`, `MYSQLPASSWORD`).
        || ["password", "passwd"]
            .iter()
            .any(|c| last.len() > c.len() + 1 && last.ends_with(c))
        || w.windows(2)
            .any(|p| p[1] == "key" && KEY_QUALIFIERS.contains(&p[0].as_str()))
}

/// Who can cause an event to run a workflow, and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exposure {
    /// Only people with write access (push, release, tags, `workflow_dispatch`).
    Trusted,
    /// A pull request, from a fork too, but with a read-only token and no secrets.
    ForkPullRequest,
    /// An outsider's input with the base repository's secrets and write token
    /// (`pull_request_target`, `workflow_run`, comments, issues).
    Privileged,
    /// A schedule.
    Schedule,
    /// Run by hand or by another workflow.
    Manual,
}

/// Events and their exposure; an event not listed is trusted.
pub const TRIGGERS: &[(&str, Exposure)] = &[
    ("pull_request", Exposure::ForkPullRequest),
    ("pull_request_review", Exposure::ForkPullRequest),
    ("pull_request_review_comment", Exposure::ForkPullRequest),
    ("merge_group", Exposure::Trusted),
    ("pull_request_target", Exposure::Privileged),
    ("workflow_run", Exposure::Privileged),
    ("issue_comment", Exposure::Privileged),
    ("issues", Exposure::Privileged),
    ("discussion", Exposure::Privileged),
    ("discussion_comment", Exposure::Privileged),
    ("schedule", Exposure::Schedule),
    ("workflow_dispatch", Exposure::Manual),
    ("repository_dispatch", Exposure::Manual),
    ("workflow_call", Exposure::Manual),
];

/// Privileged events whose payload names pull-request code that a job can check out
/// (the head of a fork's pull request, a workflow run's head, a commented pull request).
pub const PR_HEAD_TRIGGERS: &[&str] = &["pull_request_target", "workflow_run", "issue_comment"];

/// The exposure of an event.
pub fn exposure(event: &str) -> Exposure {
    TRIGGERS
        .iter()
        .find(|(e, _)| *e == event)
        .map_or(Exposure::Trusted, |(_, x)| *x)
}

/// Actions whose `GITHUB_TOKEN` needs are known: `(action, [(scope, level)])`. An
/// action with an empty list needs no scope (toolchain installers, caches, artifacts,
/// logins that use their own credentials). `actions/setup-*` is covered by
/// [`action_scopes`].
pub const ACTION_SCOPES: &[(&str, &[(&str, &str)])] = &[
    ("actions/checkout", &[("contents", "read")]),
    ("actions/cache", &[]),
    ("actions/upload-artifact", &[]),
    ("actions/download-artifact", &[]),
    ("actions/upload-pages-artifact", &[]),
    ("actions/configure-pages", &[]),
    (
        "actions/deploy-pages",
        &[("pages", "write"), ("id-token", "write")],
    ),
    (
        "actions/attest-build-provenance",
        &[("id-token", "write"), ("attestations", "write")],
    ),
    (
        "actions/attest-sbom",
        &[("id-token", "write"), ("attestations", "write")],
    ),
    (
        "actions/attest",
        &[("id-token", "write"), ("attestations", "write")],
    ),
    (
        "sigstore/gh-action-sigstore-python",
        &[("id-token", "write")],
    ),
    ("sigstore/cosign-installer", &[]),
    ("azure/webapps-deploy", &[]),
    ("azure/functions-action", &[]),
    (
        "actions/labeler",
        &[("contents", "read"), ("pull-requests", "write")],
    ),
    (
        "actions/stale",
        &[("issues", "write"), ("pull-requests", "write")],
    ),
    ("dtolnay/rust-toolchain", &[]),
    ("Swatinem/rust-cache", &[]),
    ("actions-rs/toolchain", &[]),
    ("actions-rs/cargo", &[]),
    ("ruby/setup-ruby", &[]),
    ("pnpm/action-setup", &[]),
    ("oven-sh/setup-bun", &[]),
    ("denoland/setup-deno", &[]),
    ("astral-sh/setup-uv", &[]),
    ("goto-bus-stop/setup-zig", &[]),
    ("mlugg/setup-zig", &[]),
    ("erlef/setup-beam", &[]),
    ("subosito/flutter-action", &[]),
    ("shivammathur/setup-php", &[]),
    ("conda-incubator/setup-miniconda", &[]),
    ("docker/setup-buildx-action", &[]),
    ("docker/setup-qemu-action", &[]),
    ("docker/metadata-action", &[]),
    ("docker/build-push-action", &[]),
    ("docker/login-action", &[]),
    ("hashicorp/setup-terraform", &[]),
    ("azure/setup-helm", &[]),
    ("azure/setup-kubectl", &[]),
    ("taiki-e/install-action", &[]),
    ("jdx/mise-action", &[]),
    ("extractions/setup-just", &[]),
    ("codecov/codecov-action", &[]),
    ("gradle/actions/setup-gradle", &[]),
    ("gradle/gradle-build-action", &[]),
    ("microsoft/setup-msbuild", &[]),
    ("nuget/setup-nuget", &[]),
    ("ilammy/msvc-dev-cmd", &[]),
    ("jwlawson/actions-setup-cmake", &[]),
    ("lukka/get-cmake", &[]),
    ("seanmiddleditch/gha-setup-ninja", &[]),
    ("haskell-actions/setup", &[]),
    ("julia-actions/setup-julia", &[]),
    ("r-lib/actions/setup-r", &[]),
    ("coursier/setup-action", &[]),
    ("sbt/setup-sbt", &[]),
    ("bahmutov/npm-install", &[]),
    ("cypress-io/github-action", &[]),
    ("aws-actions/configure-aws-credentials", &[]),
    ("aws-actions/amazon-ecr-login", &[]),
    ("google-github-actions/auth", &[]),
    ("google-github-actions/setup-gcloud", &[]),
    ("azure/login", &[]),
    ("pypa/gh-action-pypi-publish", &[]),
    ("JS-DevTools/npm-publish", &[]),
    ("rust-lang/crates-io-auth-action", &[("id-token", "write")]),
    ("slackapi/slack-github-action", &[]),
    ("8398a7/action-slack", &[]),
    ("rtCamp/action-slack-notify", &[]),
    ("softprops/action-gh-release", &[("contents", "write")]),
    (
        "stefanzweifel/git-auto-commit-action",
        &[("contents", "write")],
    ),
    (
        "peter-evans/create-pull-request",
        &[("contents", "write"), ("pull-requests", "write")],
    ),
    (
        "marocchino/sticky-pull-request-comment",
        &[("pull-requests", "write")],
    ),
    (
        "github/codeql-action",
        &[("contents", "read"), ("security-events", "write")],
    ),
];

/// The token scopes action `uses` is known to need, or `None` when it is unknown.
pub fn action_scopes(uses: &str) -> Option<&'static [(&'static str, &'static str)]> {
    if let Some((_, s)) = ACTION_SCOPES
        .iter()
        .find(|(a, _)| super::github::action_matches(uses, a))
    {
        return Some(s);
    }
    uses.to_ascii_lowercase()
        .starts_with("actions/setup-")
        .then_some(&[])
}

/// Script text that uses the job's token in a way no scope table can read (raw API
/// calls): any scope may be needed.
pub const OPAQUE_TOKEN_USES: &[&str] = &["api.github.com", "octokit"];

/// Script words that hand the job's token to a tool: any scope but `id-token` may be
/// used.
pub const TOKEN_WORDS: &[&str] = &["gh", "hub", "GITHUB_TOKEN", "GH_TOKEN"];

/// Script commands that need a write scope of the job's token: every part must appear
/// on one line.
pub const SCRIPT_SCOPES: &[(&[&str], &str)] = &[
    (GIT_PUSH_COMMANDS, "contents"),
    (&["docker push", "ghcr.io"], "packages"),
    (&["npm publish", "--provenance"], "id-token"),
    (&["ACTIONS_ID_TOKEN_REQUEST_URL"], "id-token"),
    (&["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], "id-token"),
];

/// Script words that make a write scope plausible without proving it (a tool that may
/// use the token, signing that may mint an OIDC token): the audit does not call such a
/// scope unused, the inventory does not suggest it.
pub const SCRIPT_HINTS: &[(&str, &str)] = &[
    ("git tag", "contents"),
    ("gh release", "contents"),
    ("git-auto-commit", "contents"),
    ("semantic-release", "contents"),
    ("release-it", "contents"),
    ("goreleaser", "contents"),
    ("docker push", "packages"),
    ("ghcr.io", "packages"),
    ("npm publish", "packages"),
    ("docker.pkg.github.com", "packages"),
    ("mvn deploy", "packages"),
    ("gradle publish", "packages"),
    ("dotnet nuget push", "packages"),
    ("gh-pages", "pages"),
    ("pages", "pages"),
    ("--provenance", "id-token"),
    ("cosign", "id-token"),
    ("sigstore", "id-token"),
    ("npm publish", "id-token"),
    ("twine upload", "id-token"),
    ("uv publish", "id-token"),
    ("cargo publish", "id-token"),
    ("gem push", "id-token"),
    ("attest", "id-token"),
    ("oidc", "id-token"),
];

/// Script words that suggest a release or deploy step ...
pub const RELEASE_WORDS: &[&str] = &[
    "deploy",
    "release",
    "publish",
    "version",
    "tag",
    "commit",
    "push",
    "changelog",
    "bump",
];

/// ... which may use these scopes through a tool we cannot read.
pub const RELEASE_SCOPES: &[&str] = &["contents", "packages", "pages", "deployments"];

/// Container registries that accept the job's token.
pub const GITHUB_REGISTRIES: &[&str] = &["ghcr.io", "docker.pkg.github.com"];

/// Interpreters whose first argument is a program file (`bash scripts/release.sh`).
pub const SCRIPT_INTERPRETERS: &[&str] = &[
    "bash",
    "sh",
    "zsh",
    "python",
    "python3",
    "node",
    "deno",
    "bun",
    "ruby",
    "perl",
    "pwsh",
    "powershell",
    "tsx",
    "ts-node",
];

/// File endings of programs kept in a repository.
pub const SCRIPT_EXTENSIONS: &[&str] = &[
    ".sh", ".bash", ".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl", ".ps1",
];

/// Words in a job's scripts or step names that make `id-token: write` plausible
/// (trusted publishing, provenance, signing, attestation), matched anywhere.
pub const ID_TOKEN_HINTS: &[&str] = &[
    "publish",
    "provenance",
    "attest",
    "sigstore",
    "cosign",
    "oidc",
    "pkg-pr-new",
    "dist-tag",
    "trusted",
];

/// Action inputs that run code: an expression expanded into one is code injection, as
/// in a `run:` script. `(action, input)`.
pub const CODE_INPUTS: &[(&str, &str)] = &[
    ("actions/github-script", "script"),
    ("azure/cli", "inlineScript"),
    ("azure/powershell", "inlineScript"),
    ("appleboy/ssh-action", "script"),
    ("garygrossgarten/github-action-ssh", "command"),
    ("nick-fields/retry", "command"),
    ("nick-invision/retry", "command"),
    ("Wandalen/wretry.action", "command"),
    ("mathiasvr/command-output", "run"),
    ("addnab/docker-run-action", "run"),
    ("jannekem/run-python-script-action", "script"),
    ("uraimo/run-on-arch-action", "run"),
    ("cross-platform-actions/action", "run"),
    ("cypress-io/github-action", "command"),
    ("cypress-io/github-action", "build"),
    ("cypress-io/github-action", "start"),
];

/// An action that mints a GitHub App installation token.
#[derive(Debug)]
pub struct AppTokenAction {
    /// `owner/repo`.
    pub action: &'static str,
    /// Inputs (or input-name prefixes) that narrow the token's permissions.
    pub permission_inputs: &'static [&'static str],
    /// The input that widens the token to other repositories when set alone, if any
    /// (`owner` without `repositories`).
    pub widening_input: Option<&'static str>,
    /// The input that narrows the repositories.
    pub repositories_input: &'static str,
    /// An input and the value that keeps the token valid after the job.
    pub keep_alive: Option<(&'static str, &'static str)>,
}

/// Actions that mint a GitHub App installation token.
pub const APP_TOKEN_ACTIONS: &[AppTokenAction] = &[
    AppTokenAction {
        action: "actions/create-github-app-token",
        permission_inputs: &["permission-"],
        widening_input: Some("owner"),
        repositories_input: "repositories",
        keep_alive: Some(("skip-token-revoke", "true")),
    },
    AppTokenAction {
        action: "tibdex/github-app-token",
        permission_inputs: &["permissions"],
        widening_input: None,
        repositories_input: "repositories",
        keep_alive: Some(("revoke", "false")),
    },
];

/// Actions that restore a cache, and the input (if any) that turns caching on.
pub const CACHE_ACTIONS: &[(&str, Option<&str>)] = &[
    ("actions/cache", None),
    ("actions/cache/restore", None),
    ("Swatinem/rust-cache", None),
    ("actions/setup-node", Some("cache")),
    ("actions/setup-python", Some("cache")),
    ("actions/setup-go", None),
    ("actions/setup-java", Some("cache")),
    ("actions/setup-dotnet", Some("cache")),
    ("astral-sh/setup-uv", Some("enable-cache")),
    ("ruby/setup-ruby", Some("bundler-cache")),
    ("gradle/actions/setup-gradle", None),
    ("docker/build-push-action", Some("cache-from")),
];

/// Contexts holding the login of the actor or of a bot account, which a pull request
/// author can make a bot's (by having the bot act on their branch).
pub const ACTOR_CONTEXTS: &[&str] = &["github.actor", "github.triggering_actor"];

/// Cloud login inputs that set how long the federated session lives, and the unit.
pub const SESSION_LIFETIME_INPUTS: &[(&str, &str)] = &[
    (
        "aws-actions/configure-aws-credentials",
        "role-duration-seconds",
    ),
    ("google-github-actions/auth", "access_token_lifetime"),
];

/// Variables that make the runner run workflow commands from any output (`set-env`,
/// `add-path`), which lets printed text change the environment.
pub const INSECURE_COMMANDS_ENV: &[&str] = &["ACTIONS_ALLOW_UNSECURE_COMMANDS"];

/// Variables that turn on debug logging of every step and the runner.
pub const DEBUG_ENV: &[&str] = &["ACTIONS_STEP_DEBUG", "ACTIONS_RUNNER_DEBUG"];

/// `gh` subcommands that only read.
pub const GH_READ_SUBCOMMANDS: &[&str] = &["view", "list", "diff", "checks", "status", "download"];

/// `gh` command groups and the scope they need.
pub const GH_GROUP_SCOPES: &[(&str, &str)] = &[
    ("release", "contents"),
    ("pr", "pull-requests"),
    ("issue", "issues"),
];

/// Actions whose purpose names what a secret passed to them is for.
pub const PURPOSE_ACTIONS: &[(&str, &str)] = &[
    ("slackapi/slack-github-action", "notification"),
    ("8398a7/action-slack", "notification"),
    ("rtCamp/action-slack-notify", "notification"),
];

/// Words in a secret's name or script that mark a notification webhook.
pub const NOTIFY_WORDS: &[&str] = &["slack", "discord", "teams", "telegram", "webhook"];

/// Hosts of notification webhooks.
pub const NOTIFY_HOSTS: &[&str] = &["hooks.slack.com", "discord.com/api/webhooks"];

/// Commands that deploy.
pub const DEPLOY_COMMANDS: &[&str] = &[
    "kubectl",
    "helm",
    "terraform apply",
    "deploy",
    "rsync",
    "scp",
    "ssh",
    "flyctl",
    "vercel",
    "netlify",
    "wrangler",
];

/// Commands that push with the git credentials `actions/checkout` persisted.
pub const GIT_PUSH_COMMANDS: &[&str] = &["git push"];

/// Actions that push commits with the persisted git credentials.
pub const PUSHING_ACTIONS: &[&str] = &[
    "stefanzweifel/git-auto-commit-action",
    "EndBug/add-and-commit",
    "ad-m/github-push-action",
    "actions-js/push",
    "github-actions-x/commit",
];

/// Conditions that keep pull-request events out of a job altogether (compared with
/// whitespace removed).
pub const NOT_PULL_REQUEST_GUARDS: &[&str] = &[
    "github.event_name!='pull_request'",
    "github.event_name=='push'",
];

/// Conditions that keep fork pull requests out of a job (compared with whitespace
/// removed, lowercased).
pub const SAME_REPO_GUARDS: &[&str] = &[
    "head.repo.full_name==github.repository",
    "github.repository==github.event.pull_request.head.repo.full_name",
    "head.repo.fork==false",
    "!github.event.pull_request.head.repo.fork",
];

/// Owners whose actions ship with the CI platform itself (first-party): a secret handed
/// to them is handed to the platform, which holds it anyway.
pub const FIRST_PARTY_ACTION_OWNERS: &[&str] = &["actions", "github"];

/// Words in a secret's name that say it holds a public value (a public key, a key id or
/// fingerprint, an account, client or app id, a user name), not a credential:
/// `GPG_PUBKEY`, `GPG_KEYGRIP`, `SIGNING_KEY_ID`, `DOCKER_USERNAME`.
pub const PUBLIC_VALUE_NAME_WORDS: &[&str] = &[
    "PUBKEY",
    "PUBLIC_KEY",
    "PUB_KEY",
    "KEYGRIP",
    "KEY_FINGERPRINT",
    "GPG_KEY_ID",
    "GPG_KEYID",
    "SIGNING_KEY_ID",
    "PGP_KEY_ID",
    "ACCOUNT_ID",
    "USERNAME",
    "WEBHOOK_ID",
    "CLIENT_ID",
    "TENANT_ID",
    "SUBSCRIPTION_ID",
    "PROJECT_ID",
    "APP_ID",
];

/// Last words of a secret's name that say it holds settings, not a credential:
/// `CARGO_AUDIT_OPTIONS`, `EXTRA_ARGS`, `BUILD_FLAGS` (kept in secrets to keep them out
/// of the logs, not because they grant anything). A name that also has a credential
/// word (`NPM_TOKEN_ARGS`) is still a credential.
pub const SETTING_NAME_SUFFIXES: &[&str] = &["options", "opts", "args", "arguments", "flags"];

/// Whether a secret's name says it holds a public value (see
/// [`PUBLIC_VALUE_NAME_WORDS`]) or settings (see [`SETTING_NAME_SUFFIXES`]).
pub fn is_public_value_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if PUBLIC_VALUE_NAME_WORDS.iter().any(|w| upper.contains(w)) {
        return true;
    }
    let words = super::github::words(name);
    words
        .last()
        .is_some_and(|last| SETTING_NAME_SUFFIXES.contains(&last.as_str()))
        && !words
            .iter()
            .any(|w| CRED_WORDS.contains(&w.as_str()) || w.contains("password"))
}

/// Words in a path, file name, `environment:` or variable name that place it in a
/// deployment environment: `(word, environment)`, matched as whole words.
pub const ENVIRONMENT_WORDS: &[(&str, &str)] = &[
    ("prod", "production"),
    ("production", "production"),
    ("prd", "production"),
    ("live", "production"),
    ("staging", "staging"),
    ("stage", "staging"),
    ("stg", "staging"),
    ("preprod", "staging"),
    ("uat", "staging"),
    ("dev", "development"),
    ("development", "development"),
    ("local", "development"),
    ("sandbox", "development"),
    ("qa", "test"),
    ("test", "test"),
    ("tests", "test"),
    ("testing", "test"),
];

/// The environment a path or name belongs to, from its words (`config/prod/app.env`,
/// `.env.staging`, `DEV_API_KEY`); `None` when no word says.
pub fn environment_of(text: &str) -> Option<&'static str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .find_map(|w| {
            let w = w.to_ascii_lowercase();
            ENVIRONMENT_WORDS
                .iter()
                .find(|(word, _)| *word == w)
                .map(|(_, env)| *env)
        })
}

/// Words of a secret's name that say it is a person's token: a personal access token
/// stands for its user, with everything that user can reach.
pub const PERSONAL_SECRET_WORDS: &[&str] = &["PAT", "PATS", "PERSONAL"];

/// Words of a secret's name that say the account behind it is a machine user, so a
/// personal access token is still a machine identity (`RELEASE_BOT_PAT`).
pub const MACHINE_ACCOUNT_WORDS: &[&str] = &["BOT", "MACHINE", "SERVICE", "AUTOMATION", "ROBOT"];

/// Commands in a CI script that use a person's login rather than a machine identity:
/// `(command words, what it does)`.
pub const PERSONAL_LOGIN_COMMANDS: &[(&str, &str)] = &[
    (
        "gh auth token",
        "prints the token of whoever is logged in to `gh` on the runner",
    ),
    (
        "gcloud auth login",
        "logs in as a user account, not a service account",
    ),
    (
        "az login -u",
        "logs in with a user's name and password, not a service principal or OIDC",
    ),
    (
        "az login --username",
        "logs in with a user's name and password, not a service principal or OIDC",
    ),
];

/// Whether a secret's name says it is a person's token (see [`PERSONAL_SECRET_WORDS`]).
pub fn is_personal_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| PERSONAL_SECRET_WORDS.contains(w))
        && !words.iter().any(|w| MACHINE_ACCOUNT_WORDS.contains(w))
}

/// Words of a secret's name that say its credential can only read (`DOCKERHUB_TOKEN_RO`).
pub const READ_ONLY_NAME_WORDS: &[&str] = &["RO", "READONLY", "READ"];

/// Whether a secret's name says it can only read (see [`READ_ONLY_NAME_WORDS`]).
pub fn is_read_only_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| READ_ONLY_NAME_WORDS.contains(&w))
        || upper.contains("READ_ONLY")
}

/// GitLab CI top-level keys that are not jobs.
pub const GITLAB_GLOBAL_KEYS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
];

/// Keys that `default:` (or, for the first five, the legacy top level) sets for every
/// job that does not set them itself.
pub const GITLAB_DEFAULT_KEYS: &[&str] = &[
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "artifacts",
    "hooks",
    "id_tokens",
    "interruptible",
    "retry",
    "tags",
    "timeout",
];

/// GitLab predefined variables whose value an outsider (the author of a merge request,
/// commit, branch or tag) chooses, and whether it is free text (spaces, quotes and
/// newlines allowed) rather than a ref name (no spaces). `CI_COMMIT_REF_SLUG` and SHAs
/// are sanitised by GitLab and not listed.
pub const GITLAB_ATTACKER_VARIABLES: &[(&str, bool)] = &[
    ("CI_MERGE_REQUEST_TITLE", true),
    ("CI_MERGE_REQUEST_DESCRIPTION", true),
    ("CI_MERGE_REQUEST_LABELS", true),
    ("CI_MERGE_REQUEST_MILESTONE", true),
    ("CI_COMMIT_MESSAGE", true),
    ("CI_COMMIT_TITLE", true),
    ("CI_COMMIT_DESCRIPTION", true),
    ("CI_COMMIT_TAG_MESSAGE", true),
    ("CI_COMMIT_AUTHOR", true),
    ("GITLAB_USER_NAME", true),
    ("CI_EXTERNAL_PULL_REQUEST_TITLE", true),
    ("TRIGGER_PAYLOAD", true),
    ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", false),
    ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", false),
    ("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME", false),
    ("CI_COMMIT_REF_NAME", false),
    ("CI_COMMIT_BRANCH", false),
    ("CI_COMMIT_TAG", false),
];

/// The attacker-controlled GitLab variable `name` is, with whether it is free text.
pub fn gitlab_attacker_variable(name: &str) -> Option<bool> {
    GITLAB_ATTACKER_VARIABLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, free)| *free)
}

/// GitLab variables that print every variable, masked or not, to the job log when set
/// to `true`.
pub const GITLAB_DEBUG_VARIABLES: &[&str] = &["CI_DEBUG_TRACE", "CI_DEBUG_SERVICES"];

/// Prefixes of GitLab's predefined variables: a reference to one is not a stored secret
/// (`GITLAB_TOKEN`, `TRIGGER_TOKEN`, `DOCKER_PASSWORD` are users' own and not listed).
pub const GITLAB_PREDEFINED_PREFIXES: &[&str] = &[
    "CI_",
    "GITLAB_USER_",
    "GITLAB_CI",
    "GITLAB_FEATURES",
    "GITLAB_FIPS_MODE",
    "RUNNER_",
    "CHAT_",
    "TRIGGER_PAYLOAD",
    "FF_",
    "KUBECONFIG",
];

/// GitLab predefined variables that hold the job's own token (`CI_JOB_TOKEN` under
/// other names).
pub const GITLAB_JOB_TOKEN_VARIABLES: &[&str] = &[
    "CI_JOB_TOKEN",
    "CI_REGISTRY_PASSWORD",
    "CI_DEPENDENCY_PROXY_PASSWORD",
];

/// Script fragments through which a job-token use writes: `(every part on one line,
/// what it does)`. Package uploads with the job token are the intended use and are
/// not listed.
pub const GITLAB_JOB_TOKEN_WRITES: &[(&[&str], &str)] = &[
    (&["git push"], "pushes to a repository"),
    (&["-X POST", "/api/v4/projects"], "calls a write API"),
    (&["-X PUT", "/api/v4/"], "calls a write API"),
    (&["-X DELETE", "/api/v4/"], "calls a write API"),
    (&["-X PATCH", "/api/v4/"], "calls a write API"),
    (&["--request POST", "/api/v4/projects"], "calls a write API"),
    (&["--request PUT", "/api/v4/"], "calls a write API"),
    (&["--request DELETE", "/api/v4/"], "calls a write API"),
    (&["/api/v4/", "/releases"], "calls a write API"),
    (&["/api/v4/", "/repository/files"], "calls a write API"),
    (&["/api/v4/", "/repository/commits"], "calls a write API"),
    (&["/api/v4/", "/merge_requests"], "calls a write API"),
    (&["/api/v4/", "/notes"], "calls a write API"),
    (&["/api/v4/", "/variables"], "calls a write API"),
];

/// GitLab API paths the job token is meant for (package and container registries,
/// artifacts, releases through `release-cli`, Terraform state): a write there is the
/// intended use.
pub const GITLAB_JOB_TOKEN_PACKAGE_PATHS: &[&str] = &[
    "/packages/",
    "/jobs/",
    "/terraform/state",
    "/releases/permalink",
];

/// Script fragments that store a value in a file (`echo $X > f`, `tee`, `.netrc`).
pub const FILE_WRITES: &[&str] = &[">", "tee ", ".netrc", ".npmrc", ".pypirc", "config set"];

/// Conditions (compared as written) that make a GitLab job or pipeline run for merge
/// requests.
pub const GITLAB_MR_CONDITIONS: &[&str] = &[
    "merge_request_event",
    // A regex match: `$CI_PIPELINE_SOURCE =~ /^merge_request/`.
    "merge_request/",
    "external_pull_request_event",
    "$CI_MERGE_REQUEST_",
    "${CI_MERGE_REQUEST_",
    "$CI_OPEN_MERGE_REQUESTS",
];

/// `only:`/`except:` refs that mean merge-request pipelines.
pub const GITLAB_MR_REFS: &[&str] = &["merge_requests", "external_pull_requests"];

/// Conditions that keep a GitLab job to trusted refs (protected or default branch,
/// tags, schedules): a rule carrying one does not run for a merge request.
pub const GITLAB_TRUSTED_CONDITIONS: &[&str] = &[
    "$CI_COMMIT_REF_PROTECTED",
    "$CI_DEFAULT_BRANCH",
    "$CI_COMMIT_TAG",
    "\"schedule\"",
    "\"push\"",
];

/// Script fragments that exchange a GitLab `id_tokens:` JWT for cloud credentials.
pub const OIDC_EXCHANGES: &[(&str, Provider)] = &[
    ("assume-role-with-web-identity", Provider::Aws),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", Provider::Aws),
    ("AWS_ROLE_ARN", Provider::Aws),
    ("--federated-token", Provider::Azure),
    ("AZURE_FEDERATED_TOKEN", Provider::Azure),
    ("external_account", Provider::Gcp),
    ("create-cred-config", Provider::Gcp),
    ("workload-identity", Provider::Gcp),
    ("workload_identity", Provider::Gcp),
    ("GOOGLE_EXTERNAL_ACCOUNT", Provider::Gcp),
];

/// Script commands that log in to a cloud with a stored key: `(every part on one
/// line, provider)`.
pub const STATIC_LOGIN_COMMANDS: &[(&[&str], Provider)] = &[
    (&["gcloud auth activate-service-account"], Provider::Gcp),
    (&["az login", "--service-principal"], Provider::Azure),
    (&["aws configure set aws_secret_access_key"], Provider::Aws),
    (&["aws configure set aws_access_key_id"], Provider::Aws),
];

/// Executables that parse their argument as code: a variable expanded into their
/// command line is run, not just passed.
pub const REPARSE_COMMANDS: &[&str] = &[
    "eval",
    "sh -c",
    "bash -c",
    "zsh -c",
    "python -c",
    "python3 -c",
    "node -e",
    "perl -e",
    "ruby -e",
    "pwsh -c",
    "pwsh -Command",
    "powershell -Command",
    "Invoke-Expression",
    "iex",
];

/// Keys whose mapping (or Azure's `- name:`/`value:` list) holds variables, per
/// platform.
pub fn variable_block_keys(platform: super::Platform) -> &'static [&'static str] {
    use super::Platform as P;
    match platform {
        P::AzurePipelines => &["variables", "env"],
        // `auth:` holds a `docker:` image's registry login; Bitbucket's `image:`
        // mapping holds `username:`/`password:` the same way.
        P::CircleCi => &["environment", "auth"],
        P::Bitbucket => &["variables", "image"],
        _ => &["variables", "env"],
    }
}

/// Keys whose scalar (or list of scalars) is shell script, per platform.
pub fn script_keys(platform: super::Platform) -> &'static [&'static str] {
    use super::Platform as P;
    match platform {
        P::AzurePipelines => &["script", "bash", "pwsh", "powershell", "inlineScript"],
        P::CircleCi => &["run", "command"],
        P::Bitbucket => &["script", "after-script"],
        _ => &["script"],
    }
}

/// Variables that turn on Azure Pipelines' debug logging (every command and variable
/// value, secrets masked only when Azure knows them, to the log).
pub const AZURE_DEBUG_VARIABLES: &[&str] = &["system.debug", "System.Debug"];

/// CircleCI orb parameters and Bitbucket pipe variables that select OIDC federation.
pub const OIDC_PARAMETERS: &[&str] = &[
    "role_arn",
    "role-arn",
    "AWS_OIDC_ROLE_ARN",
    "oidc",
    "workload_identity_provider",
    "gcp_cred_config_file_path",
    "use_oidc",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_values_personal_tokens_and_environments_by_name() {
        for n in [
            "GPG_PUBKEY",
            "GPG_KEYGRIP",
            "SIGNING_KEY_ID",
            "DOCKER_USERNAME",
        ] {
            assert!(is_public_value_name(n), "{n}");
        }
        for n in ["CARGO_AUDIT_OPTIONS", "EXTRA_ARGS", "build_flags"] {
            assert!(is_public_value_name(n), "{n}");
        }
        for n in [
            "GPG_PRIVATE_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "NPM_TOKEN",
            "NPM_TOKEN_ARGS",
            "DB_PASSWORD_OPTIONS",
        ] {
            assert!(!is_public_value_name(n), "{n}");
        }
        assert!(is_read_only_name("DOCKERHUB_TOKEN_RO"));
        assert!(!is_read_only_name("DOCKERHUB_TOKEN_RW"));
        assert!(is_personal_secret_name("GH_PAT"));
        assert!(is_personal_secret_name("jane-pat"));
        assert!(!is_personal_secret_name("RELEASE_BOT_PAT"));
        assert!(!is_personal_secret_name("PATH_PREFIX"));
        assert_eq!(environment_of("deploy/prod/app.env"), Some("production"));
        assert_eq!(environment_of(".env.staging"), Some("staging"));
        assert_eq!(environment_of("src/product/x.rs"), None);
    }

    #[test]
    fn lookups_are_case_insensitive_where_names_are() {
        assert_eq!(
            cloud_credential_env("aws_access_key_id"),
            Some(Provider::Aws)
        );
        assert_eq!(
            registry_token_env("POETRY_PYPI_TOKEN_PYPI"),
            Some(Provider::PyPi)
        );
        assert_eq!(registry_token_env("HOME"), None);
        assert!(login_action("Azure/login@v2").is_some());
        assert_eq!(exposure("pull_request_target"), Exposure::Privileged);
        assert_eq!(exposure("push"), Exposure::Trusted);
        assert_eq!(action_scopes("actions/setup-node@v4"), Some(&[][..]));
        assert_eq!(action_scopes("someone/thing@v1"), None);
        let p: Vec<_> = publish_commands("npx lerna publish from-git").collect();
        assert_eq!(p, [Provider::Npm]);
        assert_eq!(publish_commands("npm publish --dry-run").count(), 0);
    }

    #[test]
    fn no_name_is_listed_twice() {
        let mut env: Vec<&str> = CLOUD_CREDENTIAL_ENV
            .iter()
            .chain(REGISTRY_TOKEN_ENV)
            .map(|(n, _)| *n)
            .collect();
        let n = env.len();
        env.sort_unstable();
        env.dedup();
        assert_eq!(env.len(), n);
        let mut actions: Vec<&str> = ACTION_SCOPES.iter().map(|(a, _)| *a).collect();
        let n = actions.len();
        actions.sort_unstable();
        actions.dedup();
        assert_eq!(actions.len(), n);
    }
}
