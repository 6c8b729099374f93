//! Fuzz target: loading a rule file (`[[rule]]` tables, regexes compiled with the
//! size limits user rules get).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = tokenward::rules::parse_rule_file("rules.toml", text);
});
