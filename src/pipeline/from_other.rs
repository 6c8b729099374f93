//! The front end of Azure Pipelines, CircleCI, Bitbucket Pipelines and Jenkins: turns
//! their syntax views ([`super::other_ci`]) into the platform-neutral [`Pipeline`] facts
//! (jobs, stored credentials they reference, static and OIDC cloud logins).

use super::catalog::{self, Exposure, Provider};
use super::from_gitlab::{secret_name, var_refs};
use super::other_ci::{Jenkinsfile, OtherCi};
use super::yaml::{Node, Source};
use super::{
    Grant, JobFacts, Login, Method, PassedAs, Pipeline, Platform, Scopes, SecretRef, TokenUse,
};
use crate::finding::Span;

/// Azure's `$(name)` macro references in `text`: `(name, byte start, byte end)`.
pub fn azure_macros(text: &str) -> Vec<(&str, usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find("$(") {
        let s = from + p;
        let Some(len) = text[s + 2..].find(')') else {
            break;
        };
        let name = &text[s + 2..s + 2 + len];
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            out.push((name, s, s + 3 + len));
        }
        from = s + 2;
    }
    out
}

/// The stored-variable references of a value, in the platform's syntax.
fn refs_in(platform: Platform, text: &str) -> Vec<(String, usize, usize)> {
    let mut out: Vec<(String, usize, usize)> = var_refs(text)
        .into_iter()
        .map(|r| (r.name.to_string(), r.start, r.end))
        .collect();
    if platform == Platform::AzurePipelines {
        out.extend(
            azure_macros(text)
                .into_iter()
                .map(|(n, s, e)| (n.to_string(), s, e)),
        );
    }
    out
}

fn job(id: String, span: Span) -> JobFacts {
    JobFacts {
        step_uses: Vec::new(),
        id,
        span,
        calls: None,
        environment: None,
        same_repo_only: false,
        grant: Grant {
            source: "default",
            scopes: Scopes::new(),
        },
        token: TokenUse::default(),
        steps: Vec::new(),
        inherits_secrets: false,
        call_secrets: Vec::new(),
        runs_on: Vec::new(),
    }
}

fn line_span(line: usize, cols: (usize, usize)) -> Span {
    Span {
        start_line: line,
        start_column: cols.0,
        end_line: line,
        end_column: cols.1.max(cols.0 + 1),
    }
}

/// The job a line belongs to: the last job that starts at or before it (jobs are in
/// source order).
fn job_at(jobs: &[JobFacts], line: usize) -> Option<usize> {
    jobs.partition_point(|j| j.span.start_line <= line)
        .checked_sub(1)
}

/// Keeps the first login per line, provider and job.
fn dedup_logins(p: &mut Pipeline) {
    let mut seen = std::collections::HashSet::new();
    p.logins
        .retain(|l| seen.insert((l.span.start_line, l.provider, l.job)));
}

/// Credits the references and logins added since `refs_from` and `logins_from`, all
/// written at YAML `path`, to the jobs that run them: a CircleCI command's belong to
/// each job that runs the command (directly or through another command), not to the
/// job whose lines happen to precede the definition. A command no job runs keeps the
/// line's job.
fn credit_callers(p: &mut Pipeline, v: &OtherCi, path: &str, refs_from: usize, logins_from: usize) {
    let Some(names) = v.command_callers(path) else {
        return;
    };
    let jobs: Vec<usize> = names
        .iter()
        .filter_map(|n| p.jobs.iter().position(|j| j.id == *n))
        .collect();
    if jobs.is_empty() {
        return;
    }
    let refs: Vec<SecretRef> = p.secret_refs.drain(refs_from..).collect();
    for r in refs {
        p.secret_refs.extend(jobs.iter().map(|&j| SecretRef {
            job: Some(j),
            ..r.clone()
        }));
    }
    let logins: Vec<Login> = p.logins.drain(logins_from..).collect();
    for l in logins {
        p.logins.extend(jobs.iter().map(|&j| Login {
            job: Some(j),
            ..l.clone()
        }));
    }
}

fn static_login(
    p: &mut Pipeline,
    provider: Provider,
    span: Span,
    key: String,
    secrets: Vec<String>,
) {
    // A second login to the same provider on one line is dropped by `dedup_logins`.
    let job = job_at(&p.jobs, span.start_line);
    p.logins.push(Login {
        provider,
        method: Method::StaticKey,
        job,
        step: None,
        span,
        via: key.clone(),
        key,
        secrets,
        from_expression: true,
        publishes: false,
    });
}

fn secret_ref(p: &mut Pipeline, name: &str, key: &str, passed_as: PassedAs, span: Span) {
    let job = job_at(&p.jobs, span.start_line);
    p.secret_refs.push(SecretRef {
        name: name.to_string(),
        job,
        step: None,
        key: key.to_string(),
        passed_as,
        purpose: catalog::cloud_credential_env(name).map(|c| format!("cloud-login/{}", c.id())),
        span,
    });
}

fn span_in(src: &Source<'_>, node: &Node, needle: &str) -> Span {
    src.find_in_node(node, needle, 0)
        .unwrap_or_else(|| src.node_span(node))
}

/// Computes the facts of a YAML CI file of `platform`.
pub fn facts(platform: Platform, path: &str, src: &Source<'_>, v: &OtherCi) -> Pipeline {
    let mut p = Pipeline {
        uses: Vec::new(),
        platform,
        path: path.to_string(),
        triggers: vec![("push".to_string(), Exposure::Trusted)],
        jobs: v
            .jobs
            .iter()
            .map(|(id, k)| job(id.clone(), src.node_span(k)))
            .collect(),
        secret_refs: Vec::new(),
        logins: Vec::new(),
        publishes: Vec::new(),
    };
    if !v.pr_paths.is_empty() || v.pr_trigger.is_some() {
        p.triggers
            .push(("pull_request".to_string(), Exposure::ForkPullRequest));
    }
    let oidc = v.root.as_ref().is_some_and(|r| {
        let mut hit = false;
        r.walk_scalars("", &mut |path, _, val| {
            let last = path.rsplit('.').next().unwrap_or(path);
            hit |= catalog::OIDC_PARAMETERS.contains(&last)
                && !val.trim().eq_ignore_ascii_case("false");
        });
        hit
    });
    for nv in &v.variables {
        let (Some(name), Some(text)) = (nv.key.as_str(), nv.value.as_str()) else {
            continue;
        };
        let from = (p.secret_refs.len(), p.logins.len());
        let refs = refs_in(platform, text);
        for (r, s, e) in &refs {
            if secret_name(r) {
                secret_ref(
                    &mut p,
                    r,
                    name,
                    PassedAs::Env,
                    span_in(src, &nv.value, &text[*s..*e]),
                );
            }
        }
        if let Some(provider) = catalog::cloud_credential_env(name)
            && !refs.is_empty()
            && !oidc
        {
            let span = src.pair_span(&nv.key, &nv.value);
            static_login(
                &mut p,
                provider,
                span,
                format!("{}.{name}", nv.path),
                refs.iter().map(|r| r.0.clone()).collect(),
            );
        }
        credit_callers(&mut p, v, &nv.path, from.0, from.1);
    }
    // CircleCI orb steps take keys as parameters (`aws-cli/setup: aws_access_key_id:
    // $AWS_ACCESS_KEY_ID`, `gcp-cli/setup: gcloud_service_key: $GCLOUD_SERVICE_KEY`).
    if platform == Platform::CircleCi
        && !oidc
        && let Some(root) = &v.root
    {
        let mut params: Vec<(Span, Provider, String, String)> = Vec::new();
        root.walk_scalars("", &mut |path, node, val| {
            if !path.contains("steps[") {
                return;
            }
            let t = val.trim();
            let refs = var_refs(t);
            let [r] = refs.as_slice() else { return };
            if r.start != 0 || r.end != t.len() || !secret_name(r.name) {
                return;
            }
            let key = path.rsplit('.').next().unwrap_or(path).to_ascii_uppercase();
            if let Some(provider) = catalog::cloud_credential_env(r.name)
                .or_else(|| catalog::cloud_credential_env(&key))
            {
                params.push((
                    src.node_span(node),
                    provider,
                    path.to_string(),
                    r.name.to_string(),
                ));
            }
        });
        for (span, provider, key, name) in params {
            let from = (p.secret_refs.len(), p.logins.len());
            static_login(&mut p, provider, span, key.clone(), vec![name]);
            credit_callers(&mut p, v, &key, from.0, from.1);
        }
    }
    let defined: Vec<&str> = v.variables.iter().filter_map(|n| n.key.as_str()).collect();
    for (spath, node) in &v.scripts {
        let Some(text) = node.as_str() else { continue };
        let from = (p.secret_refs.len(), p.logins.len());
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let federated = catalog::OIDC_EXCHANGES
                .iter()
                .any(|(h, _)| line.contains(h));
            let refs = refs_in(platform, line);
            for (r, s, e) in &refs {
                if !secret_name(r) {
                    continue;
                }
                let span = span_in(src, node, &line[*s..*e]);
                secret_ref(&mut p, r, "script", PassedAs::Script, span);
                if let Some(provider) = catalog::cloud_credential_env(r)
                    && !defined.contains(&r.as_str())
                    && !federated
                    && !oidc
                {
                    static_login(&mut p, provider, span, spath.clone(), vec![r.clone()]);
                }
            }
            for (parts, provider) in catalog::STATIC_LOGIN_COMMANDS {
                if !federated && parts.iter().all(|w| line.contains(w)) {
                    let span = span_in(src, node, parts[0]);
                    let secrets = refs
                        .iter()
                        .filter(|r| secret_name(&r.0))
                        .map(|r| r.0.clone())
                        .collect();
                    static_login(&mut p, *provider, span, spath.clone(), secrets);
                }
            }
        }
        credit_callers(&mut p, v, spath, from.0, from.1);
    }
    dedup_logins(&mut p);
    p
}

/// Jenkins bindings that hand a job a stored cloud key: `(text on the line, provider)`.
const JENKINS_STATIC_CLOUD: &[(&str, Provider)] = &[
    ("AmazonWebServicesCredentialsBinding", Provider::Aws),
    ("withAWS(credentials", Provider::Aws),
    ("aws(credentialsId", Provider::Aws),
    ("azureServicePrincipal", Provider::Azure),
    ("googleServiceAccountKey", Provider::Gcp),
];

/// Computes the facts of a Jenkinsfile.
pub fn jenkins_facts(path: &str, text: &str, j: &Jenkinsfile) -> Pipeline {
    let mut p = Pipeline {
        uses: Vec::new(),
        platform: Platform::Jenkins,
        path: path.to_string(),
        triggers: vec![("push".to_string(), Exposure::Trusted)],
        jobs: j
            .stages
            .iter()
            .map(|(name, line)| job(name.clone(), line_span(*line, (1, 2))))
            .collect(),
        secret_refs: Vec::new(),
        logins: Vec::new(),
        publishes: Vec::new(),
    };
    if !super::jenkins_blocks::pr_regions(text).is_empty() {
        p.triggers
            .push(("change_request".to_string(), Exposure::ForkPullRequest));
    }
    let lines: Vec<&str> = text.lines().collect();
    for (name, line) in &j.credential_vars {
        let l = lines.get(line - 1).copied().unwrap_or("");
        let col = l
            .find(name.as_str())
            .map_or(1, |b| l[..b].chars().count() + 1);
        let span = line_span(*line, (col, col + name.chars().count()));
        secret_ref(&mut p, name, "withCredentials", PassedAs::Env, span);
        if let Some(provider) = catalog::cloud_credential_env(name) {
            static_login(
                &mut p,
                provider,
                span,
                format!("line{line}"),
                vec![name.clone()],
            );
        }
    }
    for (i, l) in text.lines().enumerate() {
        if l.trim_start().starts_with("//") {
            continue;
        }
        for (needle, provider) in JENKINS_STATIC_CLOUD {
            if let Some(b) = l.find(needle) {
                let col = l[..b].chars().count() + 1;
                let span = line_span(i + 1, (col, col + needle.chars().count()));
                static_login(
                    &mut p,
                    *provider,
                    span,
                    format!("line{}", i + 1),
                    Vec::new(),
                );
            }
        }
    }
    dedup_logins(&mut p);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_macro_refs() {
        let r: Vec<&str> = azure_macros("echo $(DB_PASSWORD) $(Build.BuildId) $(")
            .iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(r, ["DB_PASSWORD", "Build.BuildId"]);
    }
}
