//! Embeds every `rules/*.toml` file in the binary. Each file is parsed here and stored as
//! JSON (which loads several times faster at start-up than TOML); the generated table of
//! `(file name, JSON text)` pairs is included by `src/rules`. A malformed rule file
//! fails the build with its name and the parser's message.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let dir = manifest.join("rules");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("rules/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// Every embedded rule file: (file name, the file's content as JSON).\npub static EMBEDDED_RULE_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 file name");
        let text = fs::read_to_string(f).expect("read rule file");
        let value: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("rules/{name}: {e}"));
        let json = serde_json::to_string(&value).expect("rules as JSON");
        let dest = out_dir.join(format!("{name}.json"));
        fs::write(&dest, json).expect("write rule JSON");
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            dest.display().to_string()
        ));
    }
    out.push_str("];\n");
    fs::write(out_dir.join("embedded_rules.rs"), out).expect("write embedded_rules.rs");
}
