//! Terminal behaviour of `scan`: whether to colour (`--color`, `NO_COLOR`, `FORCE_COLOR`,
//! `CLICOLOR_FORCE`) and the progress line a long scan shows on an interactive stderr.

use crate::cli::ColorChoice;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Whether text output is coloured. `always`/`never` win; with `auto`, `NO_COLOR`
/// (non-empty) turns colour off, `FORCE_COLOR` or `CLICOLOR_FORCE` (non-empty, not `0`)
/// turn it on, and otherwise colour follows whether the destination is a terminal.
pub fn use_color(
    choice: ColorChoice,
    is_terminal: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let forced = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => is_terminal,
    }
}

/// [`use_color`] with the process environment.
pub fn color_from_env(choice: ColorChoice, is_terminal: bool) -> bool {
    use_color(choice, is_terminal, &|k| {
        std::env::var_os(k).map(|v| v.to_string_lossy().into_owned())
    })
}

/// Running totals the walker bumps as it scans, read by the progress line.
#[derive(Debug, Default)]
pub struct Progress {
    files: AtomicU64,
    bytes: AtomicU64,
    findings: AtomicU64,
    done: AtomicBool,
}

/// The one progress counter of this process (a scan is one process).
pub static PROGRESS: Progress = Progress {
    files: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
    findings: AtomicU64::new(0),
    done: AtomicBool::new(false),
};

/// A scan shorter than this shows no progress line.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);
/// How often the line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

impl Progress {
    /// Counts one scanned file of `bytes`.
    pub fn add(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts findings.
    pub fn found(&self, n: usize) {
        if n > 0 {
            self.findings.fetch_add(n as u64, Ordering::Relaxed);
        }
    }

    /// The line shown: files, bytes and findings so far.
    pub fn line(&self) -> String {
        let files = self.files.load(Ordering::Relaxed);
        let findings = self.findings.load(Ordering::Relaxed);
        format!(
            "scanning: {} ({:.1} MB), {} so far",
            plural(files, "file", "files"),
            self.bytes.load(Ordering::Relaxed) as f64 / 1e6,
            plural(findings, "finding", "findings")
        )
    }

    /// Starts the progress thread when stderr is a terminal and not a CI log (`CI` unset,
    /// quiet off); it draws only after [`PROGRESS_AFTER`]. Call [`Progress::finish`] to
    /// stop it and clear the line.
    pub fn start(&'static self, quiet: bool) -> Option<std::thread::JoinHandle<()>> {
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        if quiet || in_ci || !std::io::stderr().is_terminal() {
            return None;
        }
        Some(std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut drawn = false;
            while !self.done.load(Ordering::Relaxed) {
                std::thread::sleep(PROGRESS_EVERY);
                if started.elapsed() >= PROGRESS_AFTER && !self.done.load(Ordering::Relaxed) {
                    let _ = write!(std::io::stderr(), "\r\x1b[2K{}", self.line());
                    drawn = true;
                }
            }
            if drawn {
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            }
        }))
    }

    /// Stops the progress thread and clears its line.
    pub fn finish(&self, handle: Option<std::thread::JoinHandle<()>>) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

/// `1 file`, `2 files`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn color_rules() {
        assert!(use_color(ColorChoice::Auto, true, &env(&[])));
        assert!(!use_color(ColorChoice::Auto, false, &env(&[])));
        assert!(!use_color(
            ColorChoice::Auto,
            true,
            &env(&[("NO_COLOR", "1")])
        ));
        assert!(use_color(
            ColorChoice::Auto,
            false,
            &env(&[("FORCE_COLOR", "1")])
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            false,
            &env(&[("FORCE_COLOR", "0")])
        ));
        assert!(use_color(
            ColorChoice::Auto,
            false,
            &env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(use_color(
            ColorChoice::Always,
            false,
            &env(&[("NO_COLOR", "1")])
        ));
        assert!(!use_color(
            ColorChoice::Never,
            true,
            &env(&[("FORCE_COLOR", "1")])
        ));
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "file", "files"), "1 file");
        assert_eq!(plural(0, "file", "files"), "0 files");
    }
}
