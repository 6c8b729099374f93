//! The machine-identity inventory's data model: what `tokenward inventory --format json`
//! serializes (schema version [`VERSION`]) and what the Markdown report renders.
//!
//! Every list is sorted, so the same tree always gives byte-identical output. Paths are
//! relative to the inventoried root and `/`-separated; lines are 1-based.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON schema; bumped on any incompatible change.
pub const VERSION: u32 = 2;

/// Owner string used when no CODEOWNERS rule covers a path (or one names nobody).
pub const UNOWNED: &str = "unowned";

/// `GITHUB_TOKEN` scopes, scope name to `read`/`write`/`none`; `*` stands for
/// `read-all`/`write-all`.
pub type Scopes = BTreeMap<String, String>;

/// The whole inventory of one repository.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inventory {
    /// Schema version ([`VERSION`]).
    pub version: u32,
    /// The CODEOWNERS file used for owners, when one exists.
    pub codeowners: Option<String>,
    /// Counts over everything below.
    pub summary: Summary,
    /// Every secret the workflows reference, by name.
    pub secrets: Vec<SecretEntry>,
    /// Every cloud or registry authentication a job performs.
    pub authentications: Vec<Authentication>,
    /// Every job's effective `GITHUB_TOKEN` permissions.
    pub permissions: Vec<PermissionGrant>,
    /// Every hard-coded credential the secret scan finds.
    pub hardcoded_credentials: Vec<HardcodedCredential>,
    /// The exception register: every `[[allow]]` entry of the configuration.
    pub exceptions: Vec<Exception>,
    /// Every identity ranked by risk, highest first (see [`RegisterEntry`]).
    pub register: Vec<RegisterEntry>,
    /// Files that could not be read or parsed (`path: problem`).
    pub errors: Vec<String>,
    /// Every action and reusable workflow from another repository that a workflow uses
    /// (`uses:`), sorted by name, workflow and line. Absent in older inventories.
    #[serde(default)]
    pub actions: Vec<ActionUse>,
    /// Hard-coded credentials of the git history with their lineage (`inventory
    /// --git`); absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history_credentials: Vec<HistoryCredential>,
}

/// A hard-coded credential found in the git history, with its lineage (see
/// [`crate::lineage`] for the definitions).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryCredential {
    /// The rule that found it.
    pub rule: String,
    /// `long-lived`, `short-lived` or `unknown`.
    pub lifetime: String,
    /// The file, in the commit that added it.
    pub path: String,
    /// Line in that commit's file.
    pub line: usize,
    /// The redacted match.
    pub snippet: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// The commit that added it at this path.
    pub commit: String,
    /// That commit's author.
    pub author: String,
    /// The oldest commit that added the value anywhere.
    pub first_commit: String,
    /// Its author date.
    pub first_date: String,
    /// Days since then.
    pub age_days: u64,
    /// Whether `HEAD` still holds the value.
    pub at_head: bool,
    /// Whether it was replaced in place by another value of the same rule.
    pub rotated: bool,
    /// Scanned commits whose tree holds it.
    pub commits: u64,
}

/// One `uses:` of an action or reusable workflow kept in another repository.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionUse {
    /// `owner/repo` or `owner/repo/path` (reusable workflows keep their path), or
    /// `docker://image` for a container action.
    pub name: String,
    /// The ref after `@` (tag, branch, SHA or digest), when there is one.
    pub reference: Option<String>,
    /// Whether the ref is a full 40-character commit SHA or an image digest.
    pub pinned: bool,
    /// The workflow file.
    pub workflow: String,
    /// Line of the `uses:`.
    pub line: usize,
}

/// One `[[allow]]` entry: an accepted exception.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exception {
    /// `file:line` of the entry.
    pub origin: String,
    /// The rule or audit it covers, when limited to one.
    pub rule: Option<String>,
    /// The path globs it covers.
    pub paths: Vec<String>,
    /// The one finding it covers, when limited to one.
    pub fingerprint: Option<String>,
    /// Why.
    pub reason: String,
    /// Who owns it, when named.
    pub owner: Option<String>,
    /// Last day it applies (`YYYY-MM-DD`).
    pub expires: Option<String>,
    /// `active`, `expiring` (within the warning window), `expired` or `no-expiry`.
    pub status: String,
    /// Days until it expires (negative once expired).
    pub days_left: Option<i64>,
}

/// One identity of the ranked register: risk = lifetime x privilege x exposure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RegisterEntry {
    /// The product of the three factors (1 to 27).
    pub risk: u32,
    /// `secret`, `authentication`, `hardcoded` or `token`.
    pub kind: String,
    /// What it is: secret name, `provider method`, rule id, or `workflow#job`.
    pub name: String,
    /// Where: the first `path:line`.
    pub location: String,
    /// 1 short-lived, 2 unknown, 3 long-lived.
    pub lifetime: u32,
    /// 1 read or narrow, 2 writes or a third party holds it, 3 cloud, publish or
    /// deploy, or write-all.
    pub privilege: u32,
    /// 1 trusted events only, 2 pinned third parties or committed in a file, 3
    /// unpinned third parties, outsider-triggered jobs or several environments.
    pub exposure: u32,
    /// Why each factor has its value.
    pub why: String,
    /// Owner, or `unowned`.
    pub owner: String,
}

/// The summary table's numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// Credentials: stored secrets that hold credentials, OIDC authentications and
    /// hard-coded credentials (a static-key login counts once, as its secrets).
    pub credentials: usize,
    /// Of those, long-lived.
    pub long_lived: usize,
    /// Of those, short-lived.
    pub short_lived: usize,
    /// Of those, of unknown lifetime.
    pub unknown_lifetime: usize,
    /// Of those, with an owner from CODEOWNERS.
    pub owned: usize,
    /// Of those, without one.
    pub unowned: usize,
    /// Distinct secret names referenced.
    pub secrets: usize,
    /// Secrets some untrusted trigger can reach, by name.
    pub secrets_reachable_from_untrusted: Vec<String>,
    /// Cloud and registry authentications.
    pub authentications: usize,
    /// Of those, by OIDC federation (short-lived).
    pub oidc_authentications: usize,
    /// Of those, by stored static keys or tokens (long-lived).
    pub static_authentications: usize,
    /// Jobs in all workflows.
    pub jobs: usize,
    /// Jobs whose token can write (explicit write scopes or `write-all`).
    pub jobs_with_write_permissions: usize,
    /// Jobs with no `permissions:` anywhere, so the repository default applies.
    pub jobs_with_default_permissions: usize,
    /// Hard-coded credentials.
    pub hardcoded_credentials: usize,
    /// `[[allow]]` exceptions.
    pub exceptions: usize,
    /// Of those, without an `owner`.
    pub exceptions_without_owner: usize,
    /// Of those, expiring within the warning window.
    pub exceptions_expiring: usize,
    /// Of those, expired.
    pub exceptions_expired: usize,
}

/// One secret name and everywhere it is used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecretEntry {
    /// The secret's name (`*` for all secrets, passed by `secrets: inherit` to a
    /// workflow outside this repository).
    pub name: String,
    /// `credential`, `identifier` (only used as a role, client or tenant id for OIDC, or
    /// named as a public key, key id or fingerprint: `GPG_PUBKEY`, `GPG_KEYGRIP`, or as
    /// settings: `CARGO_AUDIT_OPTIONS`, `EXTRA_ARGS`) or
    /// `all-secrets`.
    pub kind: String,
    /// `long-lived` for a stored credential; absent for identifiers.
    pub lifetime: Option<String>,
    /// What it is used for, over all uses (`cloud-login/aws`, `registry-publish/npm`,
    /// `deploy`, `notification`, `reusable-workflow`).
    pub purposes: Vec<String>,
    /// Whether some untrusted trigger (e.g. `pull_request_target`) runs a job with it.
    pub reachable_from_untrusted: bool,
    /// Owners of the workflows using it, space-separated, or `unowned`.
    pub owner: String,
    /// Each use.
    pub uses: Vec<SecretUse>,
}

/// One place a secret is used, in the context of the events that can run it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecretUse {
    /// The workflow file.
    pub workflow: String,
    /// The job id.
    pub job: String,
    /// The step (its `name`, `id`, `uses` or script start), when used in a step.
    pub step: Option<String>,
    /// Line of the reference.
    pub line: usize,
    /// `workflow.yml#job` of the caller, when this use is in a reusable workflow.
    pub called_from: Option<String>,
    /// How the secret reaches the job: `expression` or `secrets-inherit`.
    pub via: String,
    /// Events that can run the job (through callers, for reusable workflows).
    pub triggers: Vec<String>,
    /// Those triggers that run it with secrets on input an outsider controls.
    pub untrusted_triggers: Vec<String>,
    /// The job's effective `GITHUB_TOKEN` permissions.
    pub permissions: EffectivePermissions,
    /// The deployment `environment:` gating the job, if any.
    pub environment: Option<String>,
    /// What this use is for, when recognisable.
    pub purpose: Option<String>,
    /// Owner of the workflow file, or `unowned`.
    pub owner: String,
    /// The steps, actions and reusable workflows that receive the secret here (its
    /// blast radius).
    pub consumers: Vec<SecretConsumer>,
}

/// One receiver of a secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretConsumer {
    /// The action or reusable workflow (`owner/repo@ref`), or `run` for a script.
    pub receiver: String,
    /// `local`, `first-party`, `third-party-pinned` or `third-party-unpinned`.
    pub trust: String,
    /// The step, when a step receives it.
    pub step: Option<String>,
    /// Line of the secret reference that hands it over (where
    /// `secret-to-untrusted-code` reports).
    pub line: usize,
}

/// Effective `GITHUB_TOKEN` permissions and where they come from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EffectivePermissions {
    /// `job`, `workflow`, `caller` (a reusable workflow's caller job) or `default`
    /// (nothing set: the repository's default applies).
    pub source: String,
    /// The scopes granted (empty for `default` and for `permissions: {}`).
    pub scopes: Scopes,
}

/// One cloud or registry authentication.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Authentication {
    /// `aws`, `gcp`, `azure`, `npm`, `pypi`, `crates.io`, `rubygems`, `nuget` or
    /// `container-registry`.
    pub provider: String,
    /// `oidc` (federation), `static-key` (a stored secret) or `github-token`.
    pub method: String,
    /// `short-lived` or `long-lived`.
    pub lifetime: String,
    /// The workflow file.
    pub workflow: String,
    /// The job id.
    pub job: String,
    /// The step, when the login is a step (absent for job or workflow `env:`).
    pub step: Option<String>,
    /// Line of the login.
    pub line: usize,
    /// Secrets it uses.
    pub secrets: Vec<String>,
    /// Whether the job's token may request an OIDC token (`id-token: write`).
    pub id_token_write: bool,
    /// A problem with it, e.g. OIDC without `id-token: write`.
    pub note: Option<String>,
    /// Owner of the workflow file, or `unowned`.
    pub owner: String,
}

/// One job's `GITHUB_TOKEN` grant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PermissionGrant {
    /// The workflow file.
    pub workflow: String,
    /// The job id.
    pub job: String,
    /// Line of the job.
    pub line: usize,
    /// The effective permissions.
    pub permissions: EffectivePermissions,
    /// Scopes granted `write` (`*` for `write-all`).
    pub writes: Vec<String>,
    /// The least privilege the steps show a need for, when every step is recognised.
    pub suggested: Option<Scopes>,
    /// Owner of the workflow file, or `unowned`.
    pub owner: String,
}

/// One hard-coded credential found by the secret scan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HardcodedCredential {
    /// The rule that found it.
    pub rule: String,
    /// `long-lived`, `short-lived` or `unknown`.
    pub lifetime: String,
    /// The file.
    pub path: String,
    /// Line.
    pub line: usize,
    /// Column (code points, 1-based).
    pub column: usize,
    /// The redacted match.
    pub snippet: String,
    /// The finding's fingerprint (stable when lines move).
    pub fingerprint: String,
    /// Owner of the file, or `unowned`.
    pub owner: String,
    /// Other places (`path:line`) holding the same value, when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same_value_at: Vec<String>,
}

/// What a change adds to the inventory (`inventory --diff BASE_REF`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InventoryDiff {
    /// Schema version ([`VERSION`]).
    pub version: u32,
    /// The base the current tree is compared with.
    pub base: String,
    /// Secret names referenced now but not at the base.
    pub new_secrets: Vec<SecretEntry>,
    /// Write scopes jobs have now but did not at the base.
    pub new_write_permissions: Vec<NewWrite>,
    /// Long-lived credentials (static logins, stored secrets, hard-coded) that are new.
    pub new_long_lived_credentials: Vec<NewCredential>,
    /// Third-party actions or workflows that now receive a secret they did not.
    pub new_third_party_consumers: Vec<NewConsumer>,
    /// `[[allow]]` exceptions that are new.
    pub new_exceptions: Vec<Exception>,
    /// Identities (secrets, logins, hard-coded credentials) the change removes.
    pub removed: usize,
    /// The `--fail-on` kinds this change trips (empty: the gate passes).
    pub failing: Vec<String>,
}

/// A third party that now receives a secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct NewConsumer {
    /// The secret.
    pub secret: String,
    /// The action or workflow (`owner/repo@ref`).
    pub receiver: String,
    /// `third-party-pinned` or `third-party-unpinned`.
    pub trust: String,
    /// Where: `workflow:line`.
    pub location: String,
    /// Owner, or `unowned`.
    pub owner: String,
}

/// A write scope a job gained.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewWrite {
    /// The workflow file.
    pub workflow: String,
    /// The job id.
    pub job: String,
    /// The scope (`*` for `write-all`).
    pub scope: String,
    /// Owner of the workflow file, or `unowned`.
    pub owner: String,
}

/// A long-lived credential that is new.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewCredential {
    /// `secret`, `authentication` or `hardcoded`.
    pub kind: String,
    /// What it is: the secret name, `provider static-key`, or the rule id.
    pub name: String,
    /// Where: `workflow#job` or `path:line`.
    pub location: String,
    /// Owner, or `unowned`.
    pub owner: String,
}
