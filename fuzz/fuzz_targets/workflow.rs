//! Fuzz target: a GitHub workflow or action file through the YAML reader, the
//! workflow model and every audit (what a pull request's `.github/` feeds the scanner).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for path in [".github/workflows/ci.yml", "action.yml"] {
        let _ = tokenward::audit::audit_file(path, text, &|_| true);
    }
});
