//! Pipeline audit fixtures: each audit runs alone on `fixtures/workflows/<id>/`, and its
//! findings must sit exactly on the lines marked `# expect: <id>` (clean files have none).
//! Files named `*.action.yml` are audited as composite-action metadata (`action.yml`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tokenward::audit::{audit_file, docs};
use tokenward::finding::Finding;

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            fixture_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "yml" || e == "yaml" || e == "groovy")
        {
            out.push(p);
        }
    }
}

fn run_one(id: &str, rel: &str, text: &str) -> Vec<Finding> {
    audit_file(rel, text, &|x| x == id).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Lines (1-based) marked `# expect: id`, with how many findings each should have.
fn expected(id: &str, text: &str) -> BTreeMap<usize, usize> {
    let mut m = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let marker = line
            .find("# expect:")
            .map(|p| p + "# expect:".len())
            .or_else(|| line.find("// expect:").map(|p| p + "// expect:".len()));
        if let Some(p) = marker {
            for want in line[p..].split(',') {
                let want = want.trim();
                assert!(
                    docs().iter().any(|d| d.id == want),
                    "unknown audit id `{want}` in an expect marker"
                );
                if want == id {
                    *m.entry(i + 1).or_insert(0) += 1;
                }
            }
        }
    }
    m
}

fn check_audit(id: &str) {
    check_fixtures(id, "workflows");
}

/// Runs audit `id` alone on `fixtures/gitlab/<id>/`; each `x.yml` there is audited as
/// the GitLab CI file `x.gitlab-ci.yml` (named so that scanning this repository does not
/// treat the fixtures as its own CI).
fn check_gitlab(id: &str) {
    check_fixtures(id, "gitlab");
}

fn check_fixtures(id: &str, platform: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(platform)
        .join(id);
    if id == "unparsable-ci-file" {
        return check_unparsable(&dir);
    }
    let mut files = Vec::new();
    fixture_files(&dir, &mut files);
    assert!(files.len() >= 2, "{id}: needs positive and clean fixtures");
    let mut positives = 0;
    let mut cleans = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable fixture");
        let rel = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .expect("under the crate")
            .to_string_lossy()
            .replace('\\', "/");
        // `x.action.yml` fixtures are audited as `action.yml` metadata; named so that
        // scanning this repository does not treat them as real actions.
        let rel = match rel.strip_suffix(".action.yml") {
            Some(stem) => format!(
                "{}/action.yml",
                stem.rsplit_once('/').map_or("", |(d, _)| d)
            ),
            None => match platform {
                "gitlab" => format!("{}.gitlab-ci.yml", rel.trim_end_matches(".yml")),
                "azure" => format!("{}/azure-pipelines.yml", rel.trim_end_matches(".yml")),
                "circleci" => format!("{}/.circleci/config.yml", rel.trim_end_matches(".yml")),
                "bitbucket" => format!("{}/bitbucket-pipelines.yml", rel.trim_end_matches(".yml")),
                "jenkins" => format!("{}/Jenkinsfile", rel.trim_end_matches(".groovy")),
                _ => rel,
            },
        };
        let findings = run_one(id, &rel, &text);
        let mut got: BTreeMap<usize, usize> = BTreeMap::new();
        for f in &findings {
            assert_eq!(f.rule_id, id);
            assert!(!f.message.is_empty() && !f.remediation.is_empty());
            assert!(f.span.start_column >= 1 && f.span.end_column > f.span.start_column);
            *got.entry(f.span.start_line).or_insert(0) += 1;
        }
        let want = expected(id, &text);
        if want.is_empty() {
            cleans += 1;
        } else {
            positives += 1;
        }
        assert_eq!(
            got,
            want,
            "{rel}: lines of `{id}` findings (line -> count) differ from the `# expect:` markers\n{}",
            findings
                .iter()
                .map(|f| format!(
                    "  {}:{} {}",
                    f.span.start_line, f.span.start_column, f.message
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(
        positives > 0 && cleans > 0,
        "{id}: needs both positive and clean fixtures"
    );
}

#[test]
fn excessive_permissions() {
    check_audit("excessive-permissions");
}

#[test]
fn dangerous_trigger() {
    check_audit("dangerous-trigger");
}

#[test]
fn template_injection() {
    check_audit("template-injection");
}

#[test]
fn personal_credential() {
    check_audit("personal-credential");
}

#[test]
fn secret_to_untrusted_code() {
    check_audit("secret-to-untrusted-code");
}

#[test]
fn secrets_inherit() {
    check_audit("secrets-inherit");
}

#[test]
fn secrets_all() {
    check_audit("secrets-all");
}

#[test]
fn secrets_in_workflow_env() {
    check_audit("secrets-in-workflow-env");
}

#[test]
fn long_lived_cloud_credentials() {
    check_audit("long-lived-cloud-credentials");
}

#[test]
fn long_lived_registry_token() {
    check_audit("long-lived-registry-token");
}

#[test]
fn hardcoded_credential() {
    check_audit("hardcoded-credential");
}

#[test]
fn persist_credentials() {
    check_audit("persist-credentials");
}

#[test]
fn unpinned_action() {
    check_audit("unpinned-action");
}

#[test]
fn self_hosted_runner_on_pr() {
    check_audit("self-hosted-runner-on-pr");
}

/// `unparsable-ci-file` comes from the scan, not from an audit of a parsed file: run the
/// binary on each fixture, named on the command line so its content decides its kind.
fn check_unparsable(dir: &Path) {
    let mut files = Vec::new();
    fixture_files(dir, &mut files);
    assert!(files.len() >= 2, "needs positive and clean fixtures");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable fixture");
        let out = assert_cmd::Command::cargo_bin("tokenward")
            .expect("binary")
            .args(["scan", "--no-config", "--format", "json", "--select"])
            .arg("unparsable-ci-file")
            .arg(&file)
            .output()
            .expect("runs");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let mut got = BTreeMap::new();
        for f in doc["findings"].as_array().expect("findings") {
            let line = f["span"]["start_line"].as_u64().expect("line") as usize;
            *got.entry(line).or_insert(0) += 1;
        }
        assert_eq!(
            got,
            expected("unparsable-ci-file", &text),
            "{}",
            file.display()
        );
    }
}

#[test]
fn unparsable_ci_file() {
    check_audit("unparsable-ci-file");
}

#[test]
fn github_app_token() {
    check_audit("github-app-token");
}

#[test]
fn unredacted_secrets() {
    check_audit("unredacted-secrets");
}

#[test]
fn github_env() {
    check_audit("github-env");
}

#[test]
fn insecure_commands() {
    check_audit("insecure-commands");
}

#[test]
fn runner_debug() {
    check_audit("runner-debug");
}

#[test]
fn cache_poisoning() {
    check_audit("cache-poisoning");
}

#[test]
fn bot_conditions() {
    check_audit("bot-conditions");
}

#[test]
fn unpinned_images() {
    check_audit("unpinned-images");
}

#[test]
fn deploy_without_environment() {
    check_audit("deploy-without-environment");
}

#[test]
fn oidc_session_lifetime() {
    check_audit("oidc-session-lifetime");
}

#[test]
fn gitlab_hardcoded_credential() {
    check_gitlab("hardcoded-credential");
}

#[test]
fn gitlab_long_lived_cloud_credentials() {
    check_gitlab("long-lived-cloud-credentials");
}

#[test]
fn gitlab_job_token_misuse() {
    check_gitlab("job-token-misuse");
}

#[test]
fn gitlab_debug_tracing() {
    check_gitlab("debug-tracing");
}

#[test]
fn gitlab_secrets_on_untrusted_pipeline() {
    check_gitlab("secrets-on-untrusted-pipeline");
}

#[test]
fn gitlab_unpinned_include() {
    check_gitlab("unpinned-include");
}

#[test]
fn gitlab_unpinned_images() {
    check_gitlab("unpinned-images");
}

#[test]
fn gitlab_script_injection() {
    check_gitlab("script-injection");
}

#[test]
fn gitlab_id_token_hygiene() {
    check_gitlab("id-token-hygiene");
}

/// The other platforms' fixture folders (`fixtures/<platform>/<id>/`), each file audited
/// under the platform's file name.
fn check_platform(platform: &str, id: &str) {
    check_fixtures(id, platform);
}

#[test]
fn azure_hardcoded_credential() {
    check_platform("azure", "hardcoded-credential");
}

#[test]
fn azure_long_lived_cloud_credentials() {
    check_platform("azure", "long-lived-cloud-credentials");
}

#[test]
fn azure_debug_tracing() {
    check_platform("azure", "debug-tracing");
}

#[test]
fn azure_persist_credentials() {
    check_platform("azure", "persist-credentials");
}

#[test]
fn azure_unpinned_images() {
    check_platform("azure", "unpinned-images");
}

#[test]
fn azure_unpinned_include() {
    check_platform("azure", "unpinned-include");
}

#[test]
fn circleci_hardcoded_credential() {
    check_platform("circleci", "hardcoded-credential");
}

#[test]
fn circleci_long_lived_cloud_credentials() {
    check_platform("circleci", "long-lived-cloud-credentials");
}

#[test]
fn circleci_unpinned_action() {
    check_platform("circleci", "unpinned-action");
}

#[test]
fn circleci_unpinned_images() {
    check_platform("circleci", "unpinned-images");
}

#[test]
fn bitbucket_hardcoded_credential() {
    check_platform("bitbucket", "hardcoded-credential");
}

#[test]
fn bitbucket_long_lived_cloud_credentials() {
    check_platform("bitbucket", "long-lived-cloud-credentials");
}

#[test]
fn bitbucket_unpinned_action() {
    check_platform("bitbucket", "unpinned-action");
}

#[test]
fn bitbucket_unpinned_images() {
    check_platform("bitbucket", "unpinned-images");
}

#[test]
fn bitbucket_secrets_on_untrusted_pipeline() {
    check_platform("bitbucket", "secrets-on-untrusted-pipeline");
}

#[test]
fn jenkins_hardcoded_credential() {
    check_platform("jenkins", "hardcoded-credential");
}

#[test]
fn jenkins_groovy_credential_interpolation() {
    check_platform("jenkins", "groovy-credential-interpolation");
}

#[test]
fn jenkins_unpinned_images() {
    check_platform("jenkins", "unpinned-images");
}

#[test]
fn jenkins_unpinned_include() {
    check_platform("jenkins", "unpinned-include");
}

#[test]
fn every_audit_has_a_fixture_folder_and_test() {
    let src = include_str!("audits.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for a in tokenward::audit::AUDITS {
        let id = a.doc.id;
        let github = a.platforms.iter().any(|p| {
            matches!(
                p,
                tokenward::pipeline::Platform::GitHubWorkflow
                    | tokenward::pipeline::Platform::GitHubAction
            )
        });
        if github {
            assert!(
                root.join("workflows").join(id).is_dir(),
                "no GitHub fixture folder for {id}"
            );
            assert!(
                src.contains(&format!("check_audit(\"{id}\")")),
                "no GitHub test for {id}"
            );
        }
        for (platform, dir) in [
            (tokenward::pipeline::Platform::AzurePipelines, "azure"),
            (tokenward::pipeline::Platform::CircleCi, "circleci"),
            (tokenward::pipeline::Platform::Bitbucket, "bitbucket"),
            (tokenward::pipeline::Platform::Jenkins, "jenkins"),
        ] {
            if a.platforms.contains(&platform) {
                assert!(
                    root.join(dir).join(id).is_dir(),
                    "no {dir} fixture folder for {id}"
                );
                assert!(
                    src.contains(&format!("check_platform(\"{dir}\", \"{id}\")")),
                    "no {dir} test for {id}"
                );
            }
        }
        if a.platforms
            .contains(&tokenward::pipeline::Platform::GitLabCi)
        {
            assert!(
                root.join("gitlab").join(id).is_dir(),
                "no GitLab fixture folder for {id}"
            );
            assert!(
                src.contains(&format!("check_gitlab(\"{id}\")")),
                "no GitLab test for {id}"
            );
        }
    }
}

#[test]
fn emoji_and_cjk_before_the_key_keep_line_and_column() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/workflows/unpinned-action/emoji-cjk.yml"),
    )
    .expect("fixture");
    let f = run_one(
        "unpinned-action",
        "fixtures/workflows/unpinned-action/emoji-cjk.yml",
        &text,
    );
    assert_eq!(f.len(), 1);
    // The `uses` key follows CJK and emoji text on the same line.
    let line = text.lines().nth(f[0].span.start_line - 1).expect("line");
    let col = line.chars().position(|c| c == 'u').expect("uses") + 1;
    assert_eq!(f[0].span.start_line, 11);
    assert_eq!(f[0].span.start_column, col);
    assert_eq!(f[0].span.start_column, 17);
    // end_column is exclusive and counts code points: `uses: some-org/deploy-action@v2`.
    assert_eq!(
        f[0].span.end_column,
        17 + "uses: some-org/deploy-action@v2".chars().count()
    );
}

#[test]
fn malformed_yaml_is_an_error_not_a_panic() {
    for bad in [
        "on: push\njobs: [\n",
        "jobs:\n  a: 1\n  a: 2\n",
        "\t- x\n: :",
        "on: {a: ]",
    ] {
        let r = audit_file(".github/workflows/bad.yml", bad, &|_| true);
        let e = r.expect_err("malformed YAML must be an error");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

#[test]
fn anchors_aliases_and_merge_keys_do_not_break_audits() {
    let text = "on: push\npermissions: {}\nx-base: &base\n  runs-on: ubuntu-latest\njobs:\n  a:\n    <<: *base\n    steps:\n      - uses: foo/bar@main\n";
    let f = audit_file(".github/workflows/a.yml", text, &|id| {
        id == "unpinned-action"
    })
    .expect("parses");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].span.start_line, 9);
}

#[test]
fn readme_audit_table_lists_the_platforms_of_every_audit() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let mut rows = 0;
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, id, platforms, ..] = cells.as_slice() else {
            continue;
        };
        let Some(id) = id.strip_prefix('`').and_then(|i| i.strip_suffix('`')) else {
            continue;
        };
        let Some(a) = tokenward::audit::AUDITS.iter().find(|a| a.doc.id == id) else {
            continue;
        };
        let want: Vec<&str> = a.platforms.iter().map(|p| p.id()).collect();
        let got: Vec<&str> = platforms.split(',').map(str::trim).collect();
        assert_eq!(got, want, "README platforms of `{id}`");
        rows += 1;
    }
    assert_eq!(
        rows,
        tokenward::audit::AUDITS.len(),
        "README lists every audit once"
    );
}

#[test]
fn azure_secrets_on_untrusted_pipeline() {
    check_platform("azure", "secrets-on-untrusted-pipeline");
}

#[test]
fn circleci_secrets_on_untrusted_pipeline() {
    check_platform("circleci", "secrets-on-untrusted-pipeline");
}

#[test]
fn jenkins_secrets_on_untrusted_pipeline() {
    check_platform("jenkins", "secrets-on-untrusted-pipeline");
}

#[test]
fn jenkins_long_lived_cloud_credentials() {
    check_platform("jenkins", "long-lived-cloud-credentials");
}
