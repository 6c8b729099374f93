//! Commit hooks: `tokenward install-hook` writes a plain `.git/hooks/pre-commit`
//! script, and `scan --pre-commit` prints the short, redacted report a hook shows
//! when it blocks a commit.

use crate::cli::InstallHookArgs;
use crate::escape::for_display;
use crate::finding::FindingKind;
use crate::report::Report;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// Marks a hook script as ours, so `--force` is the only way to replace someone else's.
const MARKER: &str = "written by `tokenward install-hook`";

/// The hook script; `{exe}` is the installing binary, used when it still exists.
fn hook_script(exe: &Path) -> String {
    let exe = exe.to_string_lossy().replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n\
         # pre-commit hook {MARKER}: blocks a commit whose staged\n\
         # changes add a hard-coded credential or an over-privileged CI workflow.\n\
         # Bypass once with `git commit --no-verify`.\n\
         tokenward='{exe}'\n\
         [ -x \"$tokenward\" ] || tokenward=tokenward\n\
         exec \"$tokenward\" scan --staged --pre-commit\n"
    )
}

/// Writes the pre-commit hook into the repository's hooks folder (honouring
/// `core.hooksPath`); refuses to replace an existing hook unless `--force`.
pub fn install(args: &InstallHookArgs) -> anyhow::Result<ExitCode> {
    let hooks = crate::git::hooks_dir(&args.repo)?;
    let target = hooks.join("pre-commit");
    if target.exists() && !args.force {
        anyhow::bail!(
            "{}: a pre-commit hook already exists; re-run with --force to replace it, \
             or add `tokenward scan --staged --pre-commit` to it yourself",
            target.display()
        );
    }
    std::fs::create_dir_all(&hooks).map_err(|e| anyhow::anyhow!("{}: {e}", hooks.display()))?;
    let exe = std::env::current_exe().unwrap_or_else(|_| "tokenward".into());
    std::fs::write(&target, hook_script(&exe))
        .map_err(|e| anyhow::anyhow!("{}: {e}", target.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| anyhow::anyhow!("{}: {e}", target.display()))?;
    }
    eprintln!("tokenward: installed {}", target.display());
    Ok(ExitCode::SUCCESS)
}

/// The short report of `--pre-commit`: nothing when clean; otherwise one line per
/// finding (location, severity, rule, redacted secret) and what to do.
pub fn write_short(report: &Report, blocking: bool, w: &mut dyn Write) -> io::Result<()> {
    if report.findings.is_empty() {
        return Ok(());
    }
    let n = report.findings.len();
    let noun = if n == 1 { "finding" } else { "findings" };
    if blocking {
        writeln!(w, "tokenward: {n} {noun}; commit blocked")?;
    } else {
        writeln!(w, "tokenward: {n} {noun} below the --fail-on level")?;
    }
    for f in report.findings {
        let mut line = format!(
            "  {}:{}:{}: {} {}",
            report.shown_path(&f.path),
            f.span.start_line,
            f.span.start_column,
            f.severity,
            f.rule_id
        );
        match f.kind {
            FindingKind::Secret if !f.snippet.is_empty() => {
                line.push_str(&format!(" [{}]", for_display(&f.snippet)))
            }
            _ => line.push_str(&format!(": {}", for_display(&f.message))),
        }
        writeln!(w, "{}", crate::escape::for_display(&line))?;
    }
    if blocking {
        writeln!(w, "{}", footer(report))?;
    }
    Ok(())
}

/// What to do, fitted to the kinds of findings that block the commit.
fn footer(report: &Report) -> String {
    let has = |k: FindingKind| report.findings.iter().any(|f| f.kind == k);
    let mut steps = Vec::new();
    if has(FindingKind::Secret) {
        steps.push("remove the secret from the change (and revoke it if it is real)");
    }
    if has(FindingKind::Pipeline) {
        steps.push("change the workflow setting as each message says");
    }
    if has(FindingKind::Config) {
        steps.push("review the tokenward.toml entry named");
    }
    let mut text = steps.join("; ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    format!(
        "{text}; or mark a false positive with `tokenward:allow[rule-id] reason` on its line. \
         `tokenward rules explain RULE` tells more."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_script_quotes_the_binary_path() {
        let s = hook_script(Path::new("/opt/it's/tokenward"));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("tokenward='/opt/it'\\''s/tokenward'"));
        assert!(s.contains("scan --staged --pre-commit"));
    }
}
