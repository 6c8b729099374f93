//! Filters that every candidate secret passes after its rule's regex: placeholders,
//! repeated and sequential characters, entropy, and the value-shape checks that keep
//! the generic assignment rules quiet on words, paths, references and hashes.

/// Shannon entropy of `s` in bits per byte.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Substrings (lowercase) that mark a value as a placeholder, documentation value or
/// template reference rather than a real credential.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "xxxx",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "redacted",
    "dummy",
    "sample",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "****",
    "....",
    "replace_with",
    "replace-with",
    "insert_",
    "insert-",
    "fixme",
    "notreal",
    "not_real",
    "not-a-real",
    "fake_",
    "fake-",
    "_fake",
    "-fake",
];

/// Whether the candidate secret is a placeholder, a template reference, or a run of
/// repeated or sequential characters.
pub fn is_placeholder(secret: &str) -> bool {
    let markers = placeholder_automata();
    if markers.exact.is_match(secret) || has_standalone_marker(secret) {
        return true;
    }
    // Long secrets (PEM bodies, JWTs) hold any short letter run by chance (`duMMY`,
    // `AAAAAA`): only template syntax marks them as placeholders.
    if secret.len() > 100 {
        return markers.template.is_match(secret)
            || has_standalone_marker(secret)
            || has_sequence(secret.as_bytes(), 12);
    }
    markers.words.is_match(secret)
        || has_long_run(secret.as_bytes(), 6)
        || has_sequence(secret.as_bytes(), 6)
}

/// The placeholder marker lists as automata: `is_placeholder` runs on every regex
/// match, so one pass per list instead of one substring search per marker.
struct PlaceholderAutomata {
    /// Published example keys (case-sensitive).
    exact: aho_corasick::AhoCorasick,
    /// Template syntax, the only marker trusted in long values.
    template: aho_corasick::AhoCorasick,
    /// [`PLACEHOLDER_MARKERS`], ASCII-case-insensitive.
    words: aho_corasick::AhoCorasick,
}

fn placeholder_automata() -> &'static PlaceholderAutomata {
    static AUTOMATA: std::sync::OnceLock<PlaceholderAutomata> = std::sync::OnceLock::new();
    AUTOMATA.get_or_init(|| {
        let build = |patterns: &[&str], nocase: bool| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(nocase)
                // Values are short: an NFA searches them as fast and builds cheaper.
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(patterns)
                .unwrap_or_else(|e| panic!("placeholder markers are valid patterns: {e}"))
        };
        PlaceholderAutomata {
            exact: build(KNOWN_EXAMPLES, false),
            template: build(TEMPLATE_MARKERS, false),
            words: build(PLACEHOLDER_MARKERS, true),
        }
    })
}

/// Template and elision syntax: a value holding one is not a literal credential.
const TEMPLATE_MARKERS: &[&str] = &["<", ">", "${", "{{", "}}", "....", "xxxxxxxx", "XXXXXXXX"];

/// Markers that a random token can also hold by chance (`...9TodoQ...` in a base62
/// token, `$(` in a Django key drawn from `!@#$%^&*(-_=+)`): `todo` counts only as a
/// word of its own (`TODO`, `todo-replace`), `$(` only as a command substitution
/// (`$(cat key)`, `$(VAR)`).
fn has_standalone_marker(secret: &str) -> bool {
    let b = secret.as_bytes();
    let boundary = |i: Option<&u8>| i.is_none_or(|c| !c.is_ascii_alphanumeric());
    let todo = b.windows(4).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"todo")
            && boundary(i.checked_sub(1).and_then(|j| b.get(j)))
            && boundary(b.get(i + 4))
    });
    let substitution = b.windows(2).enumerate().any(|(i, w)| {
        if w != b"$(" {
            return false;
        }
        let rest = &b[i + 2..];
        let name = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        rest.first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && matches!(rest.get(name), Some(b')' | b' '))
    });
    // `%s`, `%d` and `%(name)s` format fields, not the same bytes glued into a random
    // password (`...X0%sQ`, `r%dw`).
    let format = b.windows(2).enumerate().any(|(i, w)| {
        let field = match w {
            [b'%', b's' | b'd'] => true,
            [b'%', b'('] => {
                let rest = &b[i + 2..];
                let name = rest
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                name > 0 && rest.get(name) == Some(&b')')
            }
            _ => false,
        };
        field
            && boundary(i.checked_sub(1).and_then(|j| b.get(j)))
            && (w[1] == b'(' || boundary(b.get(i + 2)))
    });
    todo || substitution || format
}

/// Credentials that vendors and standards publish in their documentation; scanners
/// meet them in READMEs, SDK tests and tutorials, and none of them grants anything.
const KNOWN_EXAMPLES: &[&str] = &[
    // Google Maps JavaScript API documentation.
    "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
    // The jwt.io debugger's default token signature.
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // Stripe API reference test keys.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    // AWS documentation (also caught by `example`).
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    // Azure Storage emulator (Azurite) well-known account key.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // Hardhat/Anvil development accounts 0-9 (mnemonic "test test ... junk") and
    // Ganache's deterministic accounts 0-1: printed by the tools, funded on no real chain.
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d",
    "6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1",
    // The Google Cloud SDK's own OAuth clients: installed-application secrets shipped in
    // gcloud (the CLI's, and the one `gcloud auth application-default login` writes into
    // every application_default_credentials.json); public by Google's design.
    "ZmssLNjJy2998hD4CTg2ejr2",
    "d-FL95Q19q7MQmFpd7hHD0Ty",
    // Mercado Pago's Checkout Pro sample integration (test seller account).
    "APP_USR-6317427424180639-042414-47e969706991d3a442922b0702a0da44-469485398",
    // Wallet seed phrases of the BIP39 test vectors and of Hardhat/Anvil, Ganache and
    // Truffle's development networks.
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon",
    "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo",
    "legal winner thank year wave sausage worth useful legal winner thank",
    "letter advice cage absurd amount doctor acoustic avoid letter advice cage",
    "test test test test test test test test test test test junk",
    "candy maple cake sugar pudding cream honey rich smooth crumble sweet treat",
    "myth like bonus scare over problem client lizard pioneer submit female collect",
];

/// A run of `n` identical alphanumeric characters (`aaaaaa`, `000000`).
fn has_long_run(s: &[u8], n: usize) -> bool {
    let mut run = 1;
    for w in s.windows(2) {
        if w[0].eq_ignore_ascii_case(&w[1]) && w[0].is_ascii_alphanumeric() {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

/// An ascending or descending run of `n` consecutive letters or digits (`123456`, `abcdef`).
fn has_sequence(s: &[u8], n: usize) -> bool {
    sequence_runs(s, n) > 0
}

/// How many separate ascending or descending runs of at least `n` consecutive letters or
/// digits `s` holds.
fn sequence_runs(s: &[u8], n: usize) -> usize {
    let (mut up, mut down, mut runs) = (1, 1, 0);
    for w in s.windows(2) {
        let alnum = w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric();
        let w = [w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase()];
        up = if alnum && w[1] == w[0].wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && w[1].wrapping_add(1) == w[0] {
            down + 1
        } else {
            1
        };
        if up == n || down == n {
            runs += 1;
        }
    }
    runs
}

/// Character classes present in a value.
fn class_count(s: &str) -> (bool, bool, bool, bool) {
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let upper = s.bytes().any(|b| b.is_ascii_uppercase());
    let digit = s.bytes().any(|b| b.is_ascii_digit());
    let other = s.bytes().any(|b| !b.is_ascii_alphanumeric());
    (lower, upper, digit, other)
}

/// Value-shape checks for generic `password = ...` style rules: the value must look
/// random, not like a word, identifier, path, URL, reference, or hash. `quoted` says
/// the value stood between quotes (then a leading symbol is part of it).
pub fn generic_value_is_plausible(value: &str, line: &str, quoted: bool) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'' || c == '`');
    if v.len() < 8 || v.len() > 200 || v.contains(' ') {
        return false;
    }
    // Base64 of readable text (`bm90IG15IHJlYWwgcGFzc3dvcmQ=`, "not my real password"):
    // judge what it says, not how it is spelled.
    if let Some(text) = base64_text(v) {
        return generic_value_is_plausible(&text, line, true);
    }
    // A vendor's prefix with the wrong body (`ghp_Ab3kL9xQ2`, a truncated or made-up
    // token): the vendor rule judges that format, and it did not match.
    if VENDOR_PREFIXES.iter().any(|p| v.starts_with(p)) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    // References to variables, secret stores and code rather than literal values.
    const REFERENCE_MARKERS: &[&str] = &[
        "${",
        "$(",
        "env.",
        "env[",
        "environ",
        "getenv",
        "process.",
        "secrets.",
        "vault:",
        "ssm:",
        "arn:",
        "os.",
        "config.",
        "settings.",
        "params.",
        "props.",
        "this.",
        "self.",
        "()",
        "(",
        ")",
        "[",
        "]",
        "::",
        "->",
        "=>",
        "file:",
        "://",
        "\\",
    ];
    // `...` elides part of a documented value (`ACEGmnoq#1rstu2...BDFH3`).
    if v.starts_with('$')
        || v.contains("...")
        || REFERENCE_MARKERS.iter().any(|m| contains_word(&lower, m))
    {
        return false;
    }
    if looks_like_path(v) {
        return false;
    }
    // Obvious development values: words people type, not generated secrets.
    const WEAK_WORDS: &[&str] = &[
        "password", "passwd", "secret", "admin", "changeit", "letmein", "qwerty", "test", "demo",
        "local", "default", "welcome", "root", "guest", "user", "token", "dev", "foo", "bar",
    ];
    // Words of six letters or more do not turn up in random values by chance; shorter
    // ones (`user`, `dev`) do, so those count only as typed.
    if WEAK_WORDS.iter().any(|w| {
        if w.len() >= 6 {
            lower.contains(w)
        } else {
            has_typed_word(v, w)
        }
    }) {
        return false;
    }
    // Right after `name:` or `name =`, a second `:` or `=` is a path (`Token::X`) or an
    // operator (`==`); unquoted, a leading symbol is syntax, not part of a value.
    if v.starts_with([':', '=']) || (!quoted && v.starts_with(|c: char| !c.is_ascii_alphanumeric()))
    {
        return false;
    }
    let (lo, up, digit, _) = class_count(v);
    if !(lo || up) || !(digit || looks_like_random_letters(v)) {
        return false;
    }
    // Timestamps (`2016-09-08T21:47:36Z`) and documentation fillers (`abcd1234`).
    if v.len() >= 10 && v.as_bytes()[..4].iter().all(u8::is_ascii_digit) && v.as_bytes()[4] == b'-'
    {
        return false;
    }
    // Fillers (`abcd1234`, `a123b45c...e890a1234`). A long generated value holds one run
    // of four by chance (about one 32-digit hex key in a hundred), rarely two, a five or
    // four runs of three.
    let runs = sequence_runs(lower.as_bytes(), 4);
    if runs >= 2
        || (runs == 1 && (v.len() < 20 || has_sequence(lower.as_bytes(), 5)))
        || sequence_runs(lower.as_bytes(), 3) >= 4
    {
        return false;
    }
    // CONSTANT_NAMES and snake_case identifiers with a digit (`MSV1_0_KEY`, `tls_v1_2`).
    let segments: Vec<&str> = v.split(['_', '-', '.']).collect();
    if segments.len() > 1
        && segments.iter().all(|s| {
            s.bytes().all(|b| !b.is_ascii_lowercase()) || s.bytes().all(|b| !b.is_ascii_uppercase())
        })
        && segments
            .iter()
            .filter(|s| s.bytes().any(|b| b.is_ascii_digit()))
            .count()
            <= 1
    {
        return false;
    }
    if is_hash_like(v, line) || is_uuid(v) {
        return false;
    }
    let entropy = shannon_entropy(v.as_bytes());
    // Hex has 4 bits per character at most, and 32 random hex digits measure about 3.6:
    // the floor for other alphabets would drop a third of real hex keys.
    let floor = if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        3.0
    } else {
        3.0 + (v.len().min(32) as f64 / 32.0) * 0.5
    };
    entropy >= floor
}

/// Whether `marker` occurs in `lower` where a reference would start it: a marker
/// that begins with a letter (`os.`, `env.`) must not follow a letter or digit, since
/// random values hold such bytes by chance (`...CToS.iZ...`).
fn contains_word(lower: &str, marker: &str) -> bool {
    if !marker.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return lower.contains(marker);
    }
    lower
        .match_indices(marker)
        .any(|(i, _)| i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric())
}

/// Whether `word` (lowercase) occurs in `v` the way a person types it: in one case
/// (`password`, `ADMIN`, `Test`) and starting or ending at a word edge (the value's
/// ends, a symbol or digit, a case change). A random token holds `UsER` or `xdevq` by
/// chance, and that does not make it a typed word.
fn has_typed_word(v: &str, word: &str) -> bool {
    let b = v.as_bytes();
    let n = word.len();
    (0..b.len().saturating_sub(n - 1)).any(|i| {
        let w = &b[i..i + n];
        if !w.eq_ignore_ascii_case(word.as_bytes()) {
            return false;
        }
        let lower = w.iter().all(u8::is_ascii_lowercase);
        let upper = w.iter().all(u8::is_ascii_uppercase);
        let capital = w[0].is_ascii_uppercase() && w[1..].iter().all(u8::is_ascii_lowercase);
        if !(lower || upper || capital) {
            return false;
        }
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + n).copied();
        let edge_before = match before {
            None => true,
            Some(c) => !c.is_ascii_alphabetic() || (capital || upper) && c.is_ascii_lowercase(),
        };
        let edge_after = match after {
            None => true,
            Some(c) => !c.is_ascii_alphabetic() || (lower || capital) && c.is_ascii_uppercase(),
        };
        edge_before || edge_after
    })
}

/// Prefixes of vendor formats with a fixed body (length, alphabet, checksum) that a
/// vendor rule checks; a generic rule does not second-guess it on the same value.
const VENDOR_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glrt-",
    "glptt-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxe-",
    "xapp-",
    "sk_live_",
    "rk_live_",
    "sk_test_",
    "rk_test_",
    "sk-proj-",
    "sk-svcacct-",
    "sk-admin-",
    "sk-ant-",
    "hf_",
    "api_org_",
    "npm_",
    "pypi-",
    "AKIA",
    "ASIA",
    "AIza",
    "GOCSPX-",
    "SG.",
    "shpat_",
    "shpss_",
    "shpca_",
    "shppa_",
    "dop_v1_",
    "doo_v1_",
    "dor_v1_",
    "glsa_",
    "glc_",
    "sntrys_",
    "sntryu_",
    "dp.pt.",
    "dp.st.",
    "dp.sa.",
    "dp.ct.",
    "hvs.",
    "hvb.",
    "pul-",
    "lin_api_",
    "PMAK-",
    "dckr_pat_",
    "dckr_oat_",
    "rubygems_",
    "gsk_",
    "r8_",
    "pplx-",
    "xai-",
    "sk-or-v1-",
    "lsv2_",
    "pcsk_",
    "nfp_",
    "sbp_",
    "pscale_",
    "NRAK-",
    "dt0c01.",
    "CFPAT-",
    "figd_",
    "ATATT3",
    "ATBB",
    "CCIPAT_",
    "CCIPRJ_",
    "bkua_",
    "squ_",
    "sqp_",
    "sqa_",
    "AKCp",
    "HRKU-",
    "rnd_",
    "ntn_",
    "sq0atp-",
    "sq0csp-",
    "tskey-",
    "nvapi-",
    "AGE-SECRET-KEY-1",
];

/// A long value of mixed-case letters whose case flips as often as chance makes it
/// (`ixqxRhqHcFVeLAzwPPJPL`), unlike words and CamelCase names (`MySecretKeyValue`).
/// One generated base62 token in fifty holds no digit.
fn looks_like_random_letters(v: &str) -> bool {
    let letters: Vec<u8> = v.bytes().filter(u8::is_ascii_alphabetic).collect();
    let upper = letters.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = letters.len() - upper;
    let flips = letters
        .windows(2)
        .filter(|w| w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase())
        .count();
    // CamelCase (`KeyValueStoreList.NextMarker`) starts each word with one capital:
    // random letters put two capitals side by side several times.
    let capital_pairs = letters
        .windows(2)
        .filter(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase())
        .count();
    v.len() >= 20
        && upper >= 5
        && lower >= 5
        && capital_pairs >= 2
        && flips * 5 >= letters.len() * 2
}

/// The decoded text of a padded base64 value that decodes to printable ASCII.
fn base64_text(v: &str) -> Option<String> {
    use base64::Engine as _;
    if v.len() < 12 || !v.len().is_multiple_of(4) || !v.ends_with('=') {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(v).ok()?;
    let printable = bytes.iter().all(|b| (0x20..0x7f).contains(b));
    printable.then(|| String::from_utf8_lossy(&bytes).into_owned())
}

/// File-system paths (`/etc/x`, `./a/b`, `conf/app.yml`); base64 with `/` is not one.
fn looks_like_path(v: &str) -> bool {
    if !v.contains('/') {
        return false;
    }
    // `//` inside a value is common in base64 (`...Xp//qq0...`): only a leading one
    // marks a path or protocol-relative URL.
    if v.starts_with(['/', '.', '~']) {
        return true;
    }
    // A file name at the end (`dir/name.ext`) or word-only segments (`team/service`).
    let last = v.rsplit('/').next().unwrap_or("");
    let has_ext = last.rsplit_once('.').is_some_and(|(_, e)| {
        (1..=5).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    has_ext
        || v.split('/').all(|seg| {
            seg.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
        })
}

/// Name parts that, after a secret-like word, say the value is not the secret itself
/// (`token_type`, `password_file`, `secret_name`, `api_key_id`...).
const NON_SECRET_NAME_SUFFIXES: &[&str] = &[
    "name",
    "id",
    "ids",
    "type",
    "url",
    "uri",
    "file",
    "path",
    "dir",
    "length",
    "len",
    "count",
    "size",
    "field",
    "endpoint",
    "header",
    "prefix",
    "format",
    "version",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "timeout",
    "policy",
    "hash",
    "hashed",
    "regex",
    "pattern",
    "env",
    "var",
    "label",
    "placeholder",
    "description",
    "desc",
    "hint",
    "mode",
    "min",
    "max",
    "provider",
    "store",
    "manager",
    "service",
    "user",
    "username",
    "arn",
    "ref",
    "reference",
    "location",
    "param",
    "parameter",
    "key_id",
    "keyid",
    "required",
    "enabled",
    "policy",
    "rotation",
    "reset",
    "confirm",
    "confirmation",
    "strength",
    "validator",
    "input",
    "class",
    "kind",
    "source",
    "template",
    "secret_ref",
    "lifetime",
    "audience",
    "issuer",
    "scope",
    "scopes",
    "method",
    "algorithm",
    "algo",
    "encoding",
    "owner",
    "index",
    "usage",
    "error",
    "message",
];

/// Words before `token` that name a token that grants nothing: pagination cursors
/// (`NextToken`, `continuation_token`), idempotency keys (`ClientToken`), anti-forgery
/// tokens (`csrf_token`).
const NON_CREDENTIAL_TOKEN_KINDS: &[&str] = &[
    "next",
    "continuation",
    "page",
    "pagination",
    "purchase",
    "client",
    "idempotency",
    "resume",
    "sync",
    "cursor",
    "backward",
    "forward",
    "marker",
    "request",
    "cancel",
    "csrf",
    "xsrf",
    "verification",
    "confirmation",
    "start",
    "end",
    "prev",
    "previous",
    "change",
    "update",
    "upload",
    "continue",
    "workunit",
    "capacityreservation",
];

/// Whether the assignment's name (the text before the value) names a secret itself
/// rather than something about one (`token_type`, `password_file`).
pub fn generic_name_is_secret_like(name: &str) -> bool {
    let trimmed = name.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    // `"AWS::ApiGateway::ApiKey": ...` names a resource type, not a credential.
    let key = trimmed
        .rsplit(|c: char| {
            c.is_ascii_whitespace() || matches!(c, '"' | '\'' | '(' | ',' | '{' | '[')
        })
        .next()
        .unwrap_or("");
    if key.contains("::") {
        return false;
    }
    let ident = trimmed
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .next()
        .unwrap_or("");
    // `signing-key` and `signing_key` are one name (same length, so offsets hold).
    let lower = ident.to_ascii_lowercase().replace('-', "_");
    // AWS SigV4 query parameters of presigned URLs (`X-Amz-Security-Token=`, ...).
    if lower.starts_with("x_amz_") {
        return false;
    }
    // Pagination, idempotency and anti-forgery tokens are not credentials.
    if let Some(p) = lower.rfind("token") {
        let before = lower[..p].trim_end_matches(['_', '-', '.']);
        if NON_CREDENTIAL_TOKEN_KINDS
            .iter()
            .any(|k| before.ends_with(k))
        {
            return false;
        }
    }
    let secret_words = [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "access_key",
        "accesskey",
        "private_key",
        "privatekey",
        "credential",
        "auth_key",
        "authkey",
        "signing_key",
        "signingkey",
        "encryption_key",
        "encryptionkey",
    ];
    let Some(pos) = secret_words
        .iter()
        .filter_map(|w| lower.rfind(w).map(|p| p + w.len()))
        .max()
    else {
        return false;
    };
    let rest = &ident[pos..];
    // `tokenizer`, `secretary`: the word goes on in lowercase, so it is another word.
    let glued = rest.starts_with(|c: char| c.is_ascii_lowercase());
    let mut tail: String = rest
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if tail.starts_with('s') && (rest.len() == 1 || !glued) {
        tail.remove(0);
    }
    if tail.is_empty() {
        return true;
    }
    if glued && !tail.starts_with("key") && !tail.starts_with("s") {
        return false;
    }
    !NON_SECRET_NAME_SUFFIXES
        .iter()
        .any(|s| tail.starts_with(&s.replace('_', "")))
}

/// Hex digests (32/40/56/64/96/128 hex digits) where the line speaks of hashing, or
/// any long pure-hex value on a checksum-like line.
fn is_hash_like(v: &str, line: &str) -> bool {
    if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let l = line.to_ascii_lowercase();
    [
        "sha",
        "hash",
        "digest",
        "checksum",
        "integrity",
        "md5",
        "commit",
        "rev",
    ]
    .iter()
    .any(|m| l.contains(m))
}

/// `8-4-4-4-12` hex UUIDs.
pub fn is_uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(&n, p)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_randomness() {
        assert!(shannon_entropy(b"aaaaaaaa") < 0.1);
        assert!(shannon_entropy(b"q8Zr2LmX9vPa") > 3.0);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder("AKIAIOSFODNN7EXAMPLE"));
        assert!(is_placeholder(
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        ));
        assert!(is_placeholder("${GITHUB_TOKEN}"));
        assert!(is_placeholder("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(is_placeholder("sk_live_0123456789"));
        assert!(!is_placeholder("q8Zr2LmX9vPaT4kW"));
    }

    #[test]
    fn markers_a_random_token_holds_by_chance_are_not_placeholders() {
        assert!(is_placeholder("TODO"));
        assert!(is_placeholder("todo-replace-with-real-key"));
        assert!(is_placeholder("sk_live_TODO"));
        assert!(is_placeholder("$(cat /run/secrets/key)"));
        assert!(is_placeholder("$(DJANGO_SECRET_KEY)"));
        assert!(!is_placeholder("q8Zr2TodoLmX9vPaT4kW"));
        assert!(!is_placeholder("ghp_k3TODOq8Zr2LmX9vPa"));
        assert!(!is_placeholder(
            "django-insecure-k3$(q8z#r2lm!x9v)pa^t4kw7&nd5-c1b_6y0e=s"
        ));
        assert!(!is_placeholder("w7&nd5-c$(-_=+)q8z#r2lmx9vpat4kw1b6y0es3h"));
    }

    #[test]
    fn generic_names() {
        assert!(generic_name_is_secret_like("DB_PASSWORD = \""));
        assert!(generic_name_is_secret_like("  client_secret: "));
        assert!(generic_name_is_secret_like("apiKey="));
        assert!(!generic_name_is_secret_like("token_type = "));
        assert!(!generic_name_is_secret_like("password_file: "));
        assert!(!generic_name_is_secret_like("tokenizer = "));
        assert!(!generic_name_is_secret_like("\"NextToken\": \""));
        assert!(!generic_name_is_secret_like("next_page_token="));
        assert!(!generic_name_is_secret_like(
            "\"AWS::ApiGateway::ApiKey\": \""
        ));
        assert!(generic_name_is_secret_like("\"access_token\": \""));
        assert!(generic_name_is_secret_like("refresh_token="));
        assert!(generic_name_is_secret_like("spring.jwt-signing-key="));
        assert!(generic_name_is_secret_like("  jwtSigningKey: "));
        assert!(!generic_name_is_secret_like("signing-key-id="));
        assert!(!generic_name_is_secret_like("&X-Amz-Security-Token="));
    }

    #[test]
    fn generic_values() {
        let ok = |v: &str, quoted: bool| generic_value_is_plausible(v, "x", quoted);
        assert!(ok("q8Zr2LmX9vPaT4kW", false));
        assert!(ok("!1mQz8Kp2Xr7Tn5L", true));
        assert!(!ok("!1mQz8Kp2Xr7Tn5L", false));
        assert!(ok("k9$Qz8Kp2X!r7Tn5L", true));
        assert!(ok("Zq4Wm8Kp2Xr7/Tn5Lb9Vc3+Hd6Jf", false));
        assert!(!ok("conf/app2.yml", false));
        assert!(!ok("/etc/ssl/key2.pem", false));
        assert!(!ok("password123", false));
        assert!(!ok("my_database_password", false));
        assert!(!ok("os.environ['X']", false));
        assert!(!ok("$DB_PASSWORD_2", false));
        assert!(!ok("bm90IG15IHJlYWwgcGFzc3dvcmQ=", true));
        assert!(!generic_value_is_plausible(
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "sha256 = 9f86d0...",
            true
        ));
        assert!(!ok("123e4567-e89b-12d3-a456-426614174000", true));
    }

    #[test]
    fn random_values_that_hold_marker_bytes_by_chance() {
        let ok = |v: &str| generic_value_is_plausible(v, "x", true);
        // `os.`, `user`, `//` and `%s` inside generated values.
        assert!(ok("6E!Gol6Kl@CCToS.iZcitqq"));
        assert!(ok("M9RvrcW6vUsERTxK4tdQP6ddSLL9MKhpINHtEkAS"));
        assert!(ok("79d89a0da0c41aebb8f010b8e9a5b5ab"));
        assert!(!ok("deadbeef0deadbeef1"));
        assert!(ok("ixqxRhqHcFVeLAz-wPPJPL"));
        assert!(!ok("MyApplicationSecretKeyValue"));
        assert!(!ok("ThisIsMyVerySecretPassword"));
        assert!(!ok("KeyValueStoreList.NextMarker"));
        assert!(!ok("ghp_Ab3kL9xQ2"));
        assert!(!ok("sk_live_4kQ9zR2m"));
        assert!(!ok("ACEGmnoq#1rstu2...BDFH3vxwy!4hlm!#5"));
        assert!(!ok("PassWordMustBeAtLeast6Chars."));
        assert!(!ok(
            "a123b45c6d78e9f012a34cd5e6a7890b12c3d45e6f78a1b234c56d7e890a1234"
        ));
        assert!(ok(
            "sgfaR1rvdOwd+NbZDBAFQbXCw4MxI+TXxp//qq0an3eMK7Jrwztw9lwXnwCLFmYd"
        ));
        assert!(!is_placeholder("EX_S_^d%8CLEwQ1QHyX0%s"));
        assert!(!is_placeholder("#RNqpbr%dwasD8zme3"));
        assert!(!is_placeholder(
            "hexz2(w!kwfuirhx4_llq&zml1%+q9q3)(v)d8u^qvs%(83nxf"
        ));
        // What the checks are for still holds.
        assert!(!ok("os.environ.get"));
        assert!(!ok("TestPassword2024!"));
        assert!(!ok("ADMIN_pass_42x"));
        assert!(!ok("admin1234Qx"));
        assert!(!ok("//cdn.acme.io/k3y9"));
        assert!(is_placeholder("postgres://%s:%s@db"));
        assert!(is_placeholder("%(db_password)s"));
        assert!(is_placeholder("%s"));
    }
}
