//! Regression tests for credentials a new user found missed or reported twice (issue
//! 20): each case is one file, scanned by the built binary, with the exact findings
//! expected (rule and line).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use tempfile::TempDir;

/// Scans one file `rel` holding `text`; returns (rule id, line) of every finding.
fn found_in(rel: &str, text: &str) -> Vec<(String, u64)> {
    found_json(rel, text)
        .into_iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule").to_string(),
                f["span"]["start_line"].as_u64().expect("line"),
            )
        })
        .collect()
}

/// Scans one file and returns its findings as JSON objects.
fn found_json(rel: &str, text: &str) -> Vec<serde_json::Value> {
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), rel, text);
    let (code, out, err) = scan(&[
        dir.path().to_str().expect("path"),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "stderr: {err}");
    json(&out)["findings"].as_array().expect("findings").clone()
}

fn ids(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(id, l)| (id.to_string(), *l)).collect()
}

fn sorted(mut v: Vec<(String, u64)>) -> Vec<(String, u64)> {
    v.sort();
    v
}

#[test]
fn npmrc_auth_beyond_the_first_line_and_legacy_uuid_tokens_once_each() {
    let text = "registry=https://nexus.acme.io/repository/npm-group/\n\
                always-auth=true\n\
                _auth=ZGVwbG95ZXI6UTd2TDJ4OXBLbTRSdFd6OA==\n\
                //nexus.acme.io/repository/npm-group/:_authToken=5b9f6a2c-7d41-4e8a-9c3b-1f2e8d7a6b40\n\
                //artifactory.acme.io/api/npm/:_authToken=tXmV2GfogZqkqCLh-gkOavmxjrkJb2YsDSNlu_2b\n";
    assert_eq!(
        sorted(found_in(".npmrc", text)),
        ids(&[
            ("npmrc-auth-token", 4),
            ("npmrc-auth-token", 5),
            ("npmrc-basic-auth", 3),
        ])
    );
}

#[test]
fn yarnrc_npm_auth_tokens_and_idents() {
    let text = "nodeLinker: node-modules\n\
                npmRegistryServer: \"https://npm.acme.io\"\n\
                npmAuthToken: \"Nq8vL2xK7mR4tW9zB3cH6yJ1pD5fG0sA\"\n\
                npmScopes:\n  acme:\n\
                \x20   npmAuthIdent: \"ZGVwbG95ZXI6UTd2TDJ4OXBLbTRSdFd6OA==\"\n\
                \x20   npmAuthToken: 3f7a9c21-8b4d-4e6f-a1c2-9d8e7f6a5b43\n";
    assert_eq!(
        sorted(found_in(".yarnrc.yml", text)),
        ids(&[
            ("yarnrc-npm-auth-ident", 6),
            ("yarnrc-npm-auth-token", 3),
            ("yarnrc-npm-auth-token", 7),
        ])
    );
}

#[test]
fn docker_config_reports_every_auths_entry() {
    let text = r#"{
  "auths": {
    "registry.acme.io": {
      "auth": "ZGVwbG95ZXI6UTd2TDJ4OXBLbTRSdFd6OA=="
    },
    "ghcr.io": {
      "auth": "b2N0b2NhdDpOcTh2TDJ4SzdtUjR0Vzl6QjNjSDZ5SjE="
    },
    "quay.io": {
      "auth": "cm9ib3QkYWNtZStjaTpWcTdtSzJwTHg5dFI0d1o4VHE3Vg=="
    }
  }
}
"#;
    assert_eq!(
        found_in(".docker/config.json", text),
        ids(&[
            ("docker-config-auth", 4),
            ("docker-config-auth", 7),
            ("docker-config-auth", 10),
        ])
    );
}

#[test]
fn url_credentials_with_plain_passwords_and_at_column_one() {
    let text = "https://deploy:Tq7Vx2Lm9Kp4Zr8Wn3Bc6Hy1@git.acme.internal/platform/infra.git\n\
                proxy = http://svc_proxy:Hk4-Lq9X_z2Wm7Pk3R@proxy.acme.io:3128\n\
                docs: https://user:password@host.example.com/\n";
    assert_eq!(
        found_in("notes/setup.txt", text),
        ids(&[
            ("url-basic-auth-credentials", 1),
            ("url-basic-auth-credentials", 2)
        ])
    );
}

#[test]
fn curl_user_credentials() {
    let text = "#!/bin/sh\n\
                curl -u deployer:Q7vL2x9pKm4RtWz8 https://nexus.acme.io/service/rest/v1/components\n\
                curl --user \"ci-bot:Hj4Lq9Xz2Wm7Pk3R\" -X POST https://jenkins.acme.io/job/x/build\n\
                curl -u \"$NEXUS_USER:$NEXUS_PASSWORD\" https://nexus.acme.io/\n";
    assert_eq!(
        found_in("scripts/publish.sh", text),
        ids(&[("curl-user-credentials", 2), ("curl-user-credentials", 3)])
    );
}

#[test]
fn connection_constructor_passwords() {
    let text = "<?php\n\
                $pdo = new PDO($dsn, 'app_user', 'Zq4Wm8Kp2Xr7Tn5L');\n\
                $conn = new mysqli(\"db.acme.io\", \"root\", \"Hk4Lq9Xz2Wm7Pk3R\", \"shop\");\n\
                $env = new PDO($dsn, $user, getenv('DB_PASSWORD'));\n";
    assert_eq!(
        found_in("src/db.php", text),
        ids(&[
            ("connection-call-password", 2),
            ("connection-call-password", 3)
        ])
    );
}

#[test]
fn python_annotated_assignments() {
    let text = "from typing import Final\n\
                jwt_secret: str = \"Tq7Vx2Lm9Kp4Zr8Wn3Bc6Hy1\"\n\
                db_password: Final[str] = \"Vq7mK2pLx9tR4wZ8\"\n\
                api_key: Optional[str] = None\n";
    assert_eq!(
        found_in("app/settings.py", text),
        ids(&[
            ("generic-secret-assignment", 2),
            ("generic-password-assignment", 3)
        ])
    );
}

#[test]
fn unquoted_env_secret_key_with_symbols_is_reported_whole() {
    let key = "7x!m@q2#zk9p$l4w&r8t*n3v^b6y(j1c)hg5=ud0+e_-wo";
    let f = found_json(".env", &format!("DEBUG=false\nSECRET_KEY={key}\n"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "django-secret-key");
    assert_eq!(f[0]["span"]["start_column"], 12);
    assert_eq!(f[0]["span"]["end_column"], 12 + key.len() as u64);
}

#[test]
fn maven_password_with_a_dollar_sign() {
    let text = "<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n\
                \x20     <username>deployer</username>\n\
                \x20     <password>Hk4$Lq9Xz2Wm7Pk3R</password>\n    </server>\n  </servers>\n</settings>\n";
    assert_eq!(
        found_in(".m2/settings.xml", text),
        ids(&[("maven-settings-password", 6)])
    );
}

#[test]
fn mongodb_uri_with_an_at_sign_in_the_password_and_an_ipv6_host() {
    let text = "MONGO_URL=mongodb+srv://app:Pk7%40vL2x9Qm4Rt@cluster0.ab1cd.mongodb.net/prod\n\
                uri = 'mongodb://reporter:Zq4@Wm8Kp2Xr7@[2001:db8::1]:27017/admin'\n";
    assert_eq!(
        found_in("deploy/app.env", text),
        ids(&[("mongodb-connection-uri", 1), ("mongodb-connection-uri", 2)])
    );
}

#[test]
fn legacy_vault_tokens() {
    let text = "export VAULT_ADDR=https://vault.acme.io\n\
                vault login s.Hk4Lq9Xz2Wm7Pk3RVq7mK2pL\n\
                client = hvac.Client(url=VAULT_ADDR, token='s.Tq7Vx2Lm9Kp4Zr8Wn3Bc6Hy1')\n";
    assert_eq!(
        found_in("ops/bootstrap.sh", text),
        ids(&[("vault-legacy-token", 2), ("vault-legacy-token", 3)])
    );
}

#[test]
fn sealed_secret_ciphertext_is_not_a_password() {
    // Two length bytes, then an RSA-OAEP session key and AES-GCM data: random bytes.
    let mut bytes = vec![2u8, 0];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..540 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.push((x >> 24) as u8);
    }
    let ct = STANDARD.encode(bytes);
    let text = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\nspec:\n  encryptedData:\n    password: {ct}\n    api_token: {ct}\n"
    );
    assert_eq!(found_in("k8s/db-sealed.yaml", &text), vec![]);
}

#[test]
fn one_finding_per_span_when_two_rules_match_one_token() {
    // A service-account JWT in a kubeconfig is both a kubeconfig user token and a JWT.
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","kid":"k8Zq2LmX9vPaT4kW"}"#),
        b64(
            r#"{"iss":"kubernetes/serviceaccount","sub":"system:serviceaccount:ci:deployer","iat":1732000000,"exp":1763536000}"#
        ),
        random_alnum(61, 86)
    );
    let text = format!(
        "apiVersion: v1\nkind: Config\nusers:\n- name: deployer\n  user:\n    token: {jwt}\n"
    );
    assert_eq!(found_in(".kube/config", &text).len(), 1);
}

#[test]
fn base64_private_key_in_a_json_field_points_at_the_encoded_value() {
    let b64 = STANDARD.encode(pem_private_key(21));
    let text = format!("{{\n  \"name\": \"deploy\",\n  \"private_key_b64\": \"{b64}\"\n}}\n");
    let f = found_json("config/deploy.json", &text);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "rsa-private-key");
    assert_eq!(f[0]["span"]["start_line"], 3);
    assert_eq!(f[0]["span"]["start_column"], 23);
    let msg = f[0]["message"].as_str().expect("message");
    assert!(msg.contains("base64"), "{msg}");
}

#[test]
fn base64_token_in_an_env_file() {
    let text = format!(
        "GH_TOKEN_B64={}\n",
        STANDARD.encode(format!("{}\n", github_pat(31)))
    );
    assert_eq!(
        found_in("ci/.env.ci", &text),
        ids(&[("github-pat-classic", 1)])
    );
}

#[test]
fn base64_docker_config_in_a_ci_variable() {
    let config =
        r#"{"auths":{"registry.acme.io":{"auth":"ZGVwbG95ZXI6UTd2TDJ4OXBLbTRSdFd6OA=="}}}"#;
    let text = format!("DOCKER_AUTH_CONFIG={}\n", STANDARD.encode(config));
    assert_eq!(
        found_in("ci/variables.env", &text),
        ids(&[("docker-config-auth", 1)])
    );
}

#[test]
fn base64_private_key_wrapped_in_multipart_test_data() {
    let b64 = STANDARD.encode(pem_private_key(41));
    let wrapped: Vec<String> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let text = format!(
        "--boundary42\r\nContent-Disposition: form-data; name=\"key\"; filename=\"id_rsa\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--boundary42--\r\n",
        wrapped.join("\r\n")
    );
    assert_eq!(
        found_in("tests/data/upload.multipart", &text),
        ids(&[("rsa-private-key", 5)])
    );
}

#[test]
fn percent_encoded_connection_uri_in_a_url() {
    let text = "callback: https://hooks.acme.io/run?db=postgres%3A%2F%2Freporting%3AZq4Wm8Kp2Xr7Tn5L%40db.acme.io%3A5432%2Fprod&x=1\n";
    let f = found_json("config/hooks.yml", text);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "postgres-connection-uri");
    let msg = f[0]["message"].as_str().expect("message");
    assert!(msg.contains("percent-encoding"), "{msg}");
}

#[test]
fn deep_or_huge_encodings_stay_bounded() {
    // Five layers of base64 around a token: decoding stops at the fixed depth, and a
    // file of many encoded blobs finishes (the per-file budget) without findings.
    let mut v = github_pat(51);
    for _ in 0..5 {
        v = STANDARD.encode(v);
    }
    assert_eq!(found_in("deep.txt", &format!("x={v}\n")), vec![]);
    let blob = STANDARD.encode("harmless text ".repeat(200));
    assert_eq!(
        found_in("big.txt", &format!("{blob}\n").repeat(500)),
        vec![]
    );
}

/// An OpenSSH private key body: the fixed `openssh-key-v1` header line, then lines of
/// seeded base64 (different keys share the first line, never the body).
fn openssh_key(seed: u64) -> String {
    let mut body = String::new();
    for i in 0..4 {
        let line = STANDARD.encode(random_alnum(seed * 10 + i, 52));
        body.push_str(&line[..70]);
        body.push('\n');
    }
    format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n\
         b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
         {body}-----END OPENSSH PRIVATE KEY-----\n"
    )
}

#[test]
fn different_openssh_keys_in_one_tree_are_each_reported() {
    // The rule once captured only the BEGIN line as the secret, so every OpenSSH key
    // in a tree looked like one reused secret: one `secret-reuse` finding, no key.
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), "ansible/files/deploy_key", &openssh_key(1));
    write(dir.path(), "deploy/id_ed25519", &openssh_key(2));
    let (code, out, err) = scan(&[
        dir.path().to_str().expect("path"),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "stderr: {err}");
    let rules: Vec<String> = json(&out)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule_id"].as_str().expect("rule").to_string())
        .collect();
    assert_eq!(rules, ["openssh-private-key", "openssh-private-key"]);
}

#[test]
fn random_values_holding_placeholder_bytes_by_chance() {
    // `todo` inside a random token, `$(` and `%(` inside Django keys, `%s`/`%d`, `os.`,
    // `user` and `//` inside generated passwords and base64 keys: all real values.
    let cases = [
        (
            ".env",
            "HF_TOKEN=hf_Qm7TodoXk2Lp9Rz4Wv8Nc3Bt6Yj1Fd5Gh0\n",
            "huggingface-access-token",
        ),
        (
            "ingest/settings.py",
            "SECRET_KEY = 'k65d!x$(v2m#q8z@r3^w7&n1*t4(p9-l0=y6+b_c5)s$(ghw1k'\n",
            "django-secret-key",
        ),
        (
            "src/client.py",
            "conn = psycopg2.connect(host=\"db.acme.net\", user=\"deploy\", password=\"EX_S_^d%8CLEwQ1QHyX0%s\")\n",
            "generic-password-assignment",
        ),
        (
            "ops/backup.sh",
            "export DB_PASSWORD=\"6E!Gol6Kl@CCToS.iZcitqq\"\n",
            "generic-password-assignment",
        ),
        (
            "src/lib/notify.ts",
            "const AUTH_TOKEN = \"M9RvrcW6vUsERTxK4tdQP6ddSLL9MKhpINHtEkAS\";\n",
            "generic-secret-assignment",
        ),
    ];
    for (path, text, rule) in cases {
        assert_eq!(found_in(path, text), ids(&[(rule, 1)]), "{path}: {text}");
    }
    // Placeholders still are placeholders.
    assert_eq!(
        found_in(
            ".env",
            "HF_TOKEN=hf_TODO\nSECRET_KEY=$(cat /run/secrets/django)\n"
        ),
        vec![]
    );
}

#[test]
fn kubernetes_env_pairs_feed_vendor_context_rules() {
    let text = "          env:\n            - name: HEROKU_API_KEY\n              value: \"2bbda255-dc42-4b55-a306-d7c49087cb61\"\n            - name: TWILIO_AUTH_TOKEN\n              value: \"bef49b432650591b2be6515d4ff4cb49\"\n";
    assert_eq!(
        sorted(found_in("k8s/deployment.yaml", text)),
        ids(&[("heroku-api-key", 3), ("twilio-auth-token", 5)])
    );
}
