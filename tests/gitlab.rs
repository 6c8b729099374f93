//! End-to-end GitLab CI tests: the built binary on temporary trees. A value inherited
//! through `extends:` and anchors is one finding at its definition; a malformed CI file
//! is one error naming it while the other files are still audited; the inventory lists
//! GitLab jobs' stored variables, logins and job-token use from the same facts.

mod common;

use common::{found, inventory_json, json, rows, run, scan, scan_found, write};

const EXTENDS: &str = "\
.base: &base
  variables:
    DEPLOY_PASSWORD: \"Hq7vRt2kLm9Wx4pZ\"
  script:
    - make
build:
  extends: .base
test:
  <<: *base
  script:
    - make test
";

#[test]
fn password_in_hidden_base_inherited_twice_is_one_finding_at_its_definition() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), ".gitlab-ci.yml", EXTENDS);
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--format", "json", "--select", "hardcoded-credential", root]);
    assert_eq!(code, 1, "{err}");
    let f = found(&json(&out));
    assert_eq!(f.len(), 1, "{out}");
    assert_eq!(f[0].rule, "hardcoded-credential");
    assert_eq!(f[0].line, 3);
    assert!(!out.contains("Hq7vRt2kLm9Wx4pZ"), "secret printed whole");
    // With every rule on, the line still gives one finding (a secret rule or the audit).
    let (_, out, _) = scan(&["--format", "json", root]);
    let on_line = found(&json(&out)).iter().filter(|f| f.line == 3).count();
    assert_eq!(on_line, 1, "{out}");
}

#[test]
fn malformed_gitlab_file_is_one_error_and_the_others_are_audited() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), ".gitlab-ci.yml", "build:\n  script: [\n");
    write(
        dir.path(),
        ".gitlab/ci/debug.gitlab-ci.yml",
        "variables:\n  CI_DEBUG_TRACE: \"true\"\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--format", "json", root]);
    // The broken file is one `unparsable-ci-file` finding naming it, not a silent pass.
    let f = found(&json(&out));
    let unparsable: Vec<_> = f
        .iter()
        .filter(|f| f.rule == "unparsable-ci-file")
        .collect();
    assert_eq!(unparsable.len(), 1, "{out}\n{err}");
    assert_eq!(unparsable[0].path, ".gitlab-ci.yml", "{out}");
    assert!(code == 1 || code == 2, "{code}");
    assert!(f.iter().any(|f| f.rule == "debug-tracing"), "{out}");
}

#[test]
fn inventory_lists_gitlab_jobs_from_the_same_facts() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "\
deploy:
  rules:
    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
  script:
    - gcloud auth activate-service-account --key-file \"$GCP_SA_KEY\"
    - git push https://gitlab-ci-token:${CI_JOB_TOKEN}@gitlab.com/g/p.git HEAD:main
release:
  id_tokens:
    AWS_TOKEN:
      aud: https://sts.amazonaws.com
  script:
    - aws sts assume-role-with-web-identity --web-identity-token \"$AWS_TOKEN\" --role-arn \"$ROLE\" --role-session-name ci
",
    );
    let root = dir.path().to_str().expect("utf-8");
    let v = inventory_json(root, &[]);
    let out = v.to_string();
    let auths = rows(&v, "authentications");
    let has = |provider: &str, method: &str, job: &str, line: u64| {
        auths.iter().any(|a| {
            a["provider"] == provider
                && a["method"] == method
                && a["job"] == job
                && a["line"] == line
        })
    };
    assert!(has("gcp", "static-key", "deploy", 5), "{out}");
    assert!(has("gitlab", "ci-job-token", "deploy", 6), "{out}");
    assert!(has("aws", "oidc", "release", 9), "{out}");
    let secret = rows(&v, "secrets")
        .iter()
        .find(|s| s["name"] == "GCP_SA_KEY")
        .expect("GCP_SA_KEY listed");
    assert_eq!(secret["reachable_from_untrusted"], true);
    // The scan reports the same line.
    let (_, out, _) = scan(&[
        "--format",
        "json",
        "--select",
        "long-lived-cloud-credentials",
        root,
    ]);
    let v = json(&out);
    assert_eq!(v["findings"][0]["span"]["start_line"], 5, "{out}");
}

#[test]
fn local_includes_are_audited_and_their_templates_extended() {
    let parent = tempfile::tempdir().expect("tmp");
    let dir = parent.path().join("case");
    write(
        &dir,
        ".gitlab-ci.yml",
        "include:\n  - local: ci/jobs.yml\n  - local: '/templates/*.yml'\n  - local: ../outside.yml\nworkflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n",
    );
    write(
        &dir,
        "templates/base.yml",
        ".deploy:\n  variables:\n    DEPLOY_PASSWORD: \"Hq7vRt2kLm9Wx4pZ\"\n  script:\n    - ./deploy --token \"$DEPLOY_TOKEN\"\n",
    );
    write(&dir, "ci/jobs.yml", "preview:\n  extends: .deploy\n");
    // Not included: a YAML file like any other.
    write(
        &dir,
        "other/ci.yml",
        "x:\n  variables:\n    CI_DEBUG_TRACE: \"true\"\n",
    );
    // The same findings whether the tree is scanned as `.`, or from its parent by an
    // absolute or a relative path; outside git the scanned folder is the root, and
    // once the parent is a git repository paths start with `case/`.
    let absolute = dir.to_str().expect("utf-8").to_string();
    let runs = |prefix: &'static str| {
        [
            (dir.clone(), ".".to_string(), prefix),
            (parent.path().to_path_buf(), absolute.clone(), prefix),
            (parent.path().to_path_buf(), "case".to_string(), prefix),
        ]
    };
    let mut cases = runs("").to_vec();
    cases.push((parent.path().to_path_buf(), "git-init".to_string(), ""));
    cases.extend(runs("case/"));
    for (cwd, root, prefix) in cases {
        if root == "git-init" {
            let ok = std::process::Command::new("git")
                .args(["init", "-q"])
                .current_dir(&cwd)
                .status()
                .expect("git init");
            assert!(ok.success());
            continue;
        }
        let root = root.as_str();
        let out = common::tokenward()
            .current_dir(cwd)
            .args([
                "scan",
                "--format",
                "json",
                "--select",
                "hardcoded-credential,secrets-on-untrusted-pipeline,debug-tracing",
                root,
            ])
            .output()
            .expect("run");
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut got: Vec<(String, String, u64)> = found(&json(&out))
            .into_iter()
            .map(|f| (f.rule, f.path, f.line))
            .collect();
        // Findings come most severe first; compare in path order.
        got.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
        assert_eq!(
            got,
            [
                (
                    "secrets-on-untrusted-pipeline".into(),
                    format!("{prefix}ci/jobs.yml"),
                    1
                ),
                (
                    "hardcoded-credential".into(),
                    format!("{prefix}templates/base.yml"),
                    3
                ),
            ],
            "{root}: {out}"
        );
    }
}

#[test]
fn scanned_text_in_messages_cannot_break_the_output_line() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "image: \"evil\\nsecond line \\u202e\"\njob:\n  script: [make]\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--select", "unpinned-images", root]);
    assert_eq!(code, 1, "{err}");
    let first = out.lines().next().expect("a finding");
    assert!(first.contains("unpinned-images"), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("second line")), "{out}");
    assert!(!out.contains('\u{202e}'), "{out}");
}

#[test]
fn child_pipeline_files_are_gitlab_files() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "deploy:\n  trigger:\n    include: ci/deploy.yml\n",
    );
    write(
        dir.path(),
        "ci/deploy.yml",
        "job:\n  variables:\n    CI_DEBUG_TRACE: \"true\"\n  script: [make]\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--format", "json", "--select", "debug-tracing", root]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(v["findings"][0]["path"], "ci/deploy.yml", "{out}");
}

#[test]
fn duplicate_keys_last_one_wins_as_gitlab_reads_them_and_github_still_rejects_them() {
    // GitLab (Ruby's Psych) keeps the last of a repeated key (GNOME/libxml2's
    // `.gitlab-ci.yml` repeats a job): the file is audited, the finding lands on the
    // definition that takes effect, and the overridden one is not reported.
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "\
deploy:
  variables:
    DEPLOY_PASSWORD: \"$DEPLOY_PASSWORD\"
  script:
    - make
build:
  script:
    - make
deploy:
  variables:
    DEPLOY_PASSWORD: \"Hq7vRt2kLm9Wx4pZ\"
  script:
    - make deploy
",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--format", "json", "--select", "hardcoded-credential", root]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("duplicated key"), "{err}");
    let f = found(&json(&out));
    assert_eq!(f.len(), 1, "{out}");
    assert_eq!(f[0].line, 11);
    assert!(!out.contains("unparsable-ci-file"), "{out}");

    // The same repetition in a GitHub workflow is an error there, and stays one here.
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: []\n  a:\n    runs-on: ubuntu-latest\n    steps: []\n",
    );
    let (_, out, err) = scan(&["--format", "json", root]);
    assert!(err.contains("duplicated key"), "{err}");
    assert!(out.contains("unparsable-ci-file"), "{out}");
}

#[test]
fn the_old_unpinned_image_id_still_selects_and_suppresses() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "build:\n  image: node  # tokenward:allow[unpinned-image] our own mirror, rebuilt nightly\n  script: [make]\ntest:\n  image: python\n  script: [make]\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--format", "json", "--select", "unpinned-image", root]);
    assert_eq!(code, 1, "{err}");
    let f = found(&json(&out));
    assert_eq!(f.len(), 1, "{out}");
    assert_eq!(f[0].rule, "unpinned-images");
    assert_eq!(f[0].line, 5);
    write(
        dir.path(),
        "tokenward.toml",
        "[[allow]]\nrule = \"unpinned-image\"\npaths = [\".gitlab-ci.yml\"]\nreason = \"images come from our own mirror\"\n",
    );
    let (code, out, err) = scan(&["--format", "json", "--select", "unpinned-images", root]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run("rules", &["explain", "unpinned-image"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("unpinned-images ("), "{out}");
}

/// Rule ids of the findings on `line` of a scan of `root` with every rule on.
fn ids_on_line(root: &str, line: u64) -> Vec<String> {
    scan_found(root, &["--no-config"])
        .into_iter()
        .filter(|f| f.line == line)
        .map(|f| f.rule)
        .collect()
}

#[test]
fn a_literal_credential_in_a_ci_file_is_one_finding_and_the_audit_wins_over_a_generic_rule() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "gl/.gitlab-ci.yml",
        "variables:\n  DB_PASSWORD: \"s3cr3tP4ssw0rd!\"\n  AWS_ACCESS_KEY_ID: AKIAZ7QRT4LMX2PWK3EB\ntest:\n  image: python:3.12\n  script:\n    - curl -u admin:Sup3rS3cretPa55 https://nexus.example.com/x\n",
    );
    write(
        dir.path(),
        "gh/.github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    env:\n      DB_PASSWORD: \"s3cr3tP4ssw0rd!\"\n    steps:\n      - run: echo hi\n",
    );
    let gl = dir.path().join("gl");
    let gl = gl.to_str().expect("utf-8");
    assert_eq!(ids_on_line(gl, 2), ["hardcoded-credential"]);
    assert_eq!(ids_on_line(gl, 7), ["hardcoded-credential"]);
    // A vendor rule names the issuer and how to revoke: it wins over the audit.
    let line3 = ids_on_line(gl, 3);
    assert_eq!(line3.len(), 1, "{line3:?}");
    assert_ne!(line3[0], "hardcoded-credential", "{line3:?}");
    // GitHub keeps the secret rule's finding, as before.
    let gh = dir.path().join("gh");
    assert_eq!(
        ids_on_line(gh.to_str().expect("utf-8"), 7),
        ["generic-password-assignment"]
    );
}

#[test]
fn a_cloud_login_command_names_the_variables_that_hold_the_key() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "deploy:\n  image: amazon/aws-cli:2.15.0\n  script:\n    - aws configure set aws_access_key_id $AWS_KEY\n    - aws configure set aws_secret_access_key $AWS_SECRET\n    - aws s3 ls\n",
    );
    let root = dir.path().to_str().expect("utf-8");
    let (code, out, err) = scan(&["--format", "json", "--no-config", root]);
    assert_eq!(code, 1, "{err}");
    let f = found(&json(&out));
    let f = f
        .iter()
        .find(|f| f.rule == "long-lived-cloud-credentials")
        .unwrap_or_else(|| panic!("no finding: {out}"));
    assert!(
        f.message.contains("the long-lived key `$AWS_KEY`"),
        "{}",
        f.message
    );
}

#[test]
fn merge_keys_and_anchored_rules_are_read_as_gitlab_reads_them() {
    let secret = "    - ./deploy --token \"$DEPLOY_TOKEN\"\n";
    let mr = "  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n";
    let cases = [
        // A merge overrides the keys written before it (Ruby's Psych, GitLab's reader):
        // the job runs on merge-request pipelines, not only on main.
        format!(
            ".mr: &mr\n{mr}deploy:\n  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n  <<: *mr\n  script:\n{secret}"
        ),
        // A merged template's own merge comes with it.
        format!(
            ".mr: &mr\n{mr}.base: &base\n  <<: *mr\n  image: alpine:3.20\ndeploy:\n  <<: *base\n  script:\n{secret}"
        ),
        // A merge key written twice is two merges (the loader kept the last only).
        format!(
            ".mr: &mr\n{mr}.img: &img\n  image: alpine:3.20\ndeploy:\n  <<: *mr\n  <<: *img\n  script:\n{secret}"
        ),
        // A list of rules reused through an anchor is flattened into the job's rules.
        format!(
            ".mr_rules: &mr_rules\n  - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\ndeploy:\n  rules:\n    - *mr_rules\n  script:\n{secret}"
        ),
    ];
    for text in &cases {
        let dir = tempfile::tempdir().expect("tmp");
        write(dir.path(), ".gitlab-ci.yml", text);
        let root = dir.path().to_str().expect("utf-8");
        let line = text.lines().count() as u64;
        assert_eq!(
            ids_on_line(root, line),
            ["secrets-on-untrusted-pipeline"],
            "{text}"
        );
    }
    // The keys written after the merge still win: main only, no finding.
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!(
        ".mr: &mr\n{mr}deploy:\n  <<: *mr\n  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n  script:\n{secret}"
    );
    write(dir.path(), ".gitlab-ci.yml", &text);
    let (_, out, _) = scan(&[
        "--format",
        "json",
        "--no-config",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert!(!out.contains("secrets-on-untrusted-pipeline"), "{out}");
}

#[test]
fn an_alias_of_a_scalar_is_its_value_at_its_definition() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".gitlab-ci.yml",
        ".creds:\n  variables:\n    DEPLOY_PASSWORD: &pw \"Hq7vRt2kLm9Wx4pZ\"\nbuild:\n  image: !reference [.img, image]\n  variables:\n    DB_PASSWORD: *pw\n  script:\n    - echo hi\n.img:\n  image: &img node:latest\ntest:\n  image: *img\n  script: [make]\n",
    );
    let got = scan_found(dir.path().to_str().expect("utf-8"), &["--no-config"]);
    // One literal, written once: one finding, where it is written. One image, after its
    // anchor (the snippet read `&img node:latest`, and `*img` was a second finding).
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0].rule.as_str(), got[0].line),
        ("hardcoded-credential", 3),
        "{got:?}"
    );
    assert_eq!(
        (
            got[1].rule.as_str(),
            got[1].line,
            got[1].column,
            got[1].snippet.as_str()
        ),
        ("unpinned-images", 11, 15, "node:latest"),
        "{got:?}"
    );
}
