//! Fuzz target: importing a gitleaks / Betterleaks config (rules, allowlists, path
//! filters), as `gitleaks-config` in a committed `tokenward.toml` would.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = tokenward::gitleaks::import("gitleaks.toml", text, &Default::default());
});
