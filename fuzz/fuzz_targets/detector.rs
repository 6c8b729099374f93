//! Fuzz target: the secret detector (prefilter, rule regexes, filters, base64 and
//! UTF-16 decoding, inline suppression) on arbitrary file bytes, with the built-in
//! rules, under a plain and a pipeline-file path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tokenward::detect::matcher::Matcher;
use tokenward::scan::{Engine, EngineOptions};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let rules = tokenward::rules::builtin_rules().expect("built-in rules load");
        Engine::new(rules, EngineOptions::default()).expect("engine builds")
    })
}

thread_local! {
    /// One matcher per thread, reused across inputs as walker threads reuse theirs.
    static MATCHER: std::cell::RefCell<Matcher> = std::cell::RefCell::new(Matcher::default());
}

fuzz_target!(|data: &[u8]| {
    MATCHER.with(|m| scan(&mut m.borrow_mut(), data));
});

fn scan(matcher: &mut Matcher, data: &[u8]) {
    let wide = tokenward::detect::utf16::decode_with_bom(data);
    let content = wide.as_ref().map_or(data, |s| s.as_bytes());
    for path in [
        "config/app.env",
        "k8s/secret.yaml",
        ".github/workflows/x.yml",
    ] {
        let _ = engine().scan_file(matcher, path, content);
    }
}
