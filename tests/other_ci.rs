//! End-to-end tests of Azure Pipelines, CircleCI, Bitbucket Pipelines and Jenkinsfiles:
//! the built binary finds each platform's files by name, audits them, and lists their
//! stored credentials and cloud logins in the inventory from the same facts.

mod common;

use common::{Found, found, inventory_json, json, rows, scan, write};

/// `secrets-on-untrusted-pipeline` alone on `root`, which must find something: the
/// findings and the raw output.
fn untrusted(root: &str) -> (Vec<Found>, String) {
    let (code, out, err) = scan(&[
        "--format",
        "json",
        "--select",
        "secrets-on-untrusted-pipeline",
        root,
    ]);
    assert_eq!(code, 1, "{err}");
    (found(&json(&out)), out)
}

#[test]
fn every_platform_is_audited_by_file_name() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "azure-pipelines.yml",
        "variables:\n  system.debug: true\nsteps:\n  - script: make\n",
    );
    write(
        dir.path(),
        ".circleci/config.yml",
        "version: 2.1\norbs:\n  node: circleci/node@5\njobs:\n  b:\n    docker:\n      - image: cimg/base:2024.01\n    steps: [checkout]\n",
    );
    write(
        dir.path(),
        "bitbucket-pipelines.yml",
        "pipelines:\n  pull-requests:\n    '**':\n      - step:\n          script:\n            - ./deploy --token \"$DEPLOY_TOKEN\"\n",
    );
    write(
        dir.path(),
        "Jenkinsfile",
        "pipeline {\n  agent any\n  stages {\n    stage('d') {\n      steps {\n        withCredentials([string(credentialsId: 'x', variable: 'TOKEN')]) {\n          sh \"curl -H 'Authorization: Bearer ${TOKEN}' https://x\"\n        }\n      }\n    }\n  }\n}\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--format", "json", root]);
    assert_eq!(code, 1, "{err}");
    let got: Vec<(String, String)> = found(&json(&out))
        .into_iter()
        .filter(|f| f.kind == "pipeline")
        .map(|f| (f.path, f.rule))
        .collect();
    for want in [
        (".circleci/config.yml", "unpinned-action"),
        ("Jenkinsfile", "groovy-credential-interpolation"),
        ("azure-pipelines.yml", "debug-tracing"),
        ("bitbucket-pipelines.yml", "secrets-on-untrusted-pipeline"),
    ] {
        assert!(
            got.iter().any(|(p, r)| p == want.0 && r == want.1),
            "{want:?} missing from {got:?}"
        );
    }
}

#[test]
fn inventory_lists_static_cloud_keys_of_other_platforms() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "bitbucket-pipelines.yml",
        "pipelines:\n  branches:\n    main:\n      - step:\n          name: deploy\n          script:\n            - pipe: atlassian/aws-s3-deploy:1.6.1\n              variables:\n                AWS_ACCESS_KEY_ID: $AWS_ACCESS_KEY_ID\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let v = inventory_json(root, &[]);
    let out = v.to_string();
    let auths = rows(&v, "authentications");
    assert!(
        auths.iter().any(|a| a["provider"] == "aws"
            && a["method"] == "static-key"
            && a["job"] == "deploy"
            && a["line"] == 9),
        "{out}"
    );
    let (_, out, _) = scan(&[
        "--format",
        "json",
        "--select",
        "long-lived-cloud-credentials",
        root,
    ]);
    assert_eq!(json(&out)["findings"][0]["span"]["start_line"], 9, "{out}");
}

#[test]
fn secrets_reaching_pull_request_builds_are_found_on_every_platform() {
    let dir = tempfile::tempdir().expect("tmp");
    let fx = |p: &str| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(p),
        )
        .expect("fixture")
    };
    write(
        dir.path(),
        "azure-pipelines.yml",
        &fx("azure/secrets-on-untrusted-pipeline/pr.yml"),
    );
    write(
        dir.path(),
        ".circleci/config.yml",
        &fx("circleci/secrets-on-untrusted-pipeline/every-branch.yml"),
    );
    write(
        dir.path(),
        "Jenkinsfile",
        &fx("jenkins/secrets-on-untrusted-pipeline/change-request.groovy"),
    );
    let (got, out) = untrusted(dir.path().to_str().expect("utf-8"));
    let mut got: Vec<(String, u64)> = got.into_iter().map(|f| (f.path, f.line)).collect();
    got.sort();
    let want: Vec<(String, u64)> = [
        (".circleci/config.yml", 9),
        (".circleci/config.yml", 26),
        ("Jenkinsfile", 7),
        ("Jenkinsfile", 30),
        ("azure-pipelines.yml", 12),
        ("azure-pipelines.yml", 31),
    ]
    .iter()
    .map(|(p, l)| (p.to_string(), *l))
    .collect();
    assert_eq!(got, want, "{out}");
}

#[test]
fn local_azure_templates_are_audited_where_the_credential_is_written() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "azure-pipelines.yml",
        "trigger: [main]\nextends:\n  template: eng/pipeline.yml\n",
    );
    write(
        dir.path(),
        "eng/pipeline.yml",
        "jobs:\n  - job: deploy\n    steps:\n      - template: steps/deploy.yml\n      - template: shared.yml@templates\n",
    );
    write(
        dir.path(),
        "eng/steps/deploy.yml",
        "steps:\n  - bash: aws s3 sync dist s3://bucket\n    env:\n      AWS_ACCESS_KEY_ID: $(awsKeyId)\n      AWS_SECRET_ACCESS_KEY: $(awsSecret)\n",
    );
    // Not used by any pipeline: an ordinary YAML file, not audited as Azure.
    write(
        dir.path(),
        "eng/unused.yml",
        "steps:\n  - bash: make\n    env:\n      AWS_ACCESS_KEY_ID: $(awsKeyId)\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&[
        "--format",
        "json",
        "--select",
        "long-lived-cloud-credentials",
        root,
    ]);
    assert_eq!(code, 1, "{err}");
    let got: Vec<(String, u64)> = found(&json(&out))
        .into_iter()
        .map(|f| (f.path, f.line))
        .collect();
    assert_eq!(got, [("eng/steps/deploy.yml".to_string(), 4)], "{out}");
}

#[cfg(unix)]
#[test]
fn azure_templates_are_never_read_through_a_symlink_or_outside_the_repository() {
    let outside = tempfile::tempdir().expect("tmp");
    write(
        outside.path(),
        "secret.yml",
        "steps:\n  - bash: make\n    env:\n      AWS_ACCESS_KEY_ID: $(awsKeyId)\n",
    );
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "azure-pipelines.yml",
        "steps:\n  - template: link.yml\n  - template: ../secret.yml\n",
    );
    std::os::unix::fs::symlink(
        outside.path().join("secret.yml"),
        dir.path().join("link.yml"),
    )
    .expect("symlink");
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&[
        "--format",
        "json",
        "--select",
        "long-lived-cloud-credentials",
        root,
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn secrets_read_in_circleci_commands_belong_to_the_jobs_that_run_them() {
    let dir = tempfile::tempdir().expect("tmp");
    // The commands come after the jobs: by line, their secrets went to the last job.
    write(
        dir.path(),
        ".circleci/config.yml",
        "version: 2.1\njobs:\n  release:\n    docker:\n      - image: cimg/node:20.11\n    steps:\n      - publish:\n          tag: next\n  announce:\n    docker:\n      - image: cimg/node:20.11\n    steps:\n      - notify\n  build:\n    docker:\n      - image: cimg/node:20.11\n    steps:\n      - run: npm test\ncommands:\n  publish:\n    parameters:\n      tag:\n        type: string\n    steps:\n      - run: npm publish --tag << parameters.tag >> --token \"$NPM_TOKEN\"\n  notify:\n    steps:\n      - publish\n      - run: ./notify --token \"$SLACK_TOKEN\"\nworkflows:\n  main:\n    jobs:\n      - release\n      - announce\n      - build:\n          context: ci\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let v = inventory_json(root, &[]);
    let out = v.to_string();
    let mut uses: Vec<(String, String, u64)> = Vec::new();
    for s in rows(&v, "secrets") {
        for u in rows(s, "uses") {
            uses.push((
                s["name"].as_str().unwrap_or("").to_string(),
                u["job"].as_str().unwrap_or("").to_string(),
                u["line"].as_u64().unwrap_or(0),
            ));
        }
    }
    uses.sort();
    let want: Vec<(String, String, u64)> = [
        ("NPM_TOKEN", "announce", 25),
        ("NPM_TOKEN", "release", 25),
        ("SLACK_TOKEN", "announce", 29),
    ]
    .iter()
    .map(|(n, j, l)| (n.to_string(), j.to_string(), *l))
    .collect();
    assert_eq!(uses, want, "{out}");
    // Both jobs run on every branch: each finding at the command line that reads it.
    let (got, out) = untrusted(root);
    let mut got: Vec<(u64, String)> = got.into_iter().map(|f| (f.line, f.message)).collect();
    got.sort();
    assert_eq!(got.len(), 3, "{out}");
    assert!(
        got[0]
            .1
            .contains("Job `release` reads `$NPM_TOKEN` through command `publish`"),
        "{out}"
    );
    assert!(
        got[1]
            .1
            .contains("Job `announce` reads `$SLACK_TOKEN` through command `notify`"),
        "{out}"
    );
    assert_eq!((got[0].0, got[1].0), (25, 29), "{out}");
    // `build` gets context `ci` on every branch: that finding is at the context.
    assert_eq!(got[2].0, 36, "{out}");
}
