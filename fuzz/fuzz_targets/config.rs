//! Fuzz target: `tokenward.toml` parsing and validation, including custom rules and
//! `[[allow]]` entries (a committed config is attacker input).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = tokenward::config::Config::parse(
        "tokenward.toml",
        std::path::Path::new("tokenward.toml"),
        text,
    );
});
