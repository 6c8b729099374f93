//! The one per-thread worker every scan source feeds (the directory walk, standard
//! input, staged blobs, history blobs): it owns reading, the size limit, the one binary
//! rule, skip and byte accounting, the matcher scratch and the audits, and turns a panic
//! while scanning one file into a counted, reported failure instead of a lost thread.

use crate::detect::matcher::Matcher;
use crate::outcome::ScanResult;
use crate::scan::{Engine, FileOutcome};
use std::fs::File;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Bytes at the start of a file searched for a NUL to call the file binary (git and
/// ripgrep look at the same 8 KiB).
pub const BINARY_SNIFF_LEN: usize = 8192;

/// Skip reason of a file whose scan failed inside tokenward (a bug): counted, reported
/// as a warning line and as a coverage reduction.
pub const INTERNAL_ERROR: &str = "internal-error";

/// The one binary rule: a NUL in the first [`BINARY_SNIFF_LEN`] bytes, unless the
/// bytes start with a UTF-16 byte-order mark (UTF-16 text is full of NULs).
pub fn is_binary(bytes: &[u8]) -> bool {
    // The vectorised search: `contains` looks at a word at a time.
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF_LEN)]).is_some()
        && !crate::detect::utf16::has_bom(bytes)
}

/// What [`read_file`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// A text file of this many bytes, now in the buffer.
    Text(usize),
    /// Binary by [`is_binary`].
    Binary,
    /// More than the size limit.
    TooLarge,
}

/// Reads a file into `buf`, which keeps its length (zero-filled when it grows) so that
/// reads go straight into it: one `read` for most files plus the one that sees the end,
/// no `stat`. Stops early when the head is binary or past `max` bytes.
pub fn read_file(file: &mut impl Read, buf: &mut Vec<u8>, max: u64) -> std::io::Result<Contents> {
    // One byte over the limit tells a too-large file from one exactly at it.
    let limit = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
    let mut filled = 0;
    let mut sniffed = false;
    loop {
        if !sniffed && filled >= BINARY_SNIFF_LEN {
            if is_binary(&buf[..filled]) {
                return Ok(Contents::Binary);
            }
            sniffed = true;
        }
        if filled >= limit {
            return Ok(Contents::TooLarge);
        }
        if filled == buf.len() {
            let grown = (buf.len() * 2).clamp(READ_CHUNK, limit.max(READ_CHUNK));
            buf.resize(grown, 0);
        }
        let end = buf.len().min(limit);
        match file.read(&mut buf[filled..end]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if !sniffed && is_binary(&buf[..filled]) {
        return Ok(Contents::Binary);
    }
    Ok(Contents::Text(filled))
}

/// Smallest read buffer; it grows to the largest file a thread reads.
const READ_CHUNK: usize = 64 * 1024;

/// Runs `f`, turning a panic into its message: one file's failure must not take the
/// thread (and the findings it collected) down with it.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(p.as_ref()))
}

/// The text of a panic payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// One thread's scanner: its matcher scratch, read buffer and results.
pub struct Worker<'a> {
    engine: &'a Engine,
    max_file_size: u64,
    /// Run the pipeline audits on CI files (off for history blobs: old versions of a
    /// workflow never run again, and only their secrets matter).
    audits: bool,
    matcher: Matcher,
    buf: Vec<u8>,
    /// What this worker found so far.
    pub result: ScanResult,
}

impl<'a> Worker<'a> {
    /// A worker that runs secret rules and audits on files up to `max_file_size` bytes.
    pub fn new(engine: &'a Engine, max_file_size: u64) -> Worker<'a> {
        Worker {
            engine,
            max_file_size,
            audits: true,
            matcher: Matcher::default(),
            buf: Vec::new(),
            result: ScanResult::default(),
        }
    }

    /// The same worker running the secret rules only.
    pub fn secrets_only(mut self) -> Worker<'a> {
        self.audits = false;
        self
    }

    /// Opens, reads and scans the file at `path`, shown as `shown`.
    pub fn scan_path(&mut self, path: &Path, shown: &str) {
        if self.engine.excluded(shown) {
            return self.result.skip("excluded");
        }
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return self.result.error("unreadable", format!("{shown}: {e}")),
        };
        if let Err(e) = self.scan_reader(&mut file, shown) {
            self.result.error("unreadable", format!("{shown}: {e}"));
        }
    }

    /// Reads `input` to its end (or the size limit) and scans it as `shown`.
    pub fn scan_reader(&mut self, input: &mut impl Read, shown: &str) -> std::io::Result<()> {
        match read_file(input, &mut self.buf, self.max_file_size)? {
            Contents::Text(len) => {
                let outcome = scan_text(
                    self.engine,
                    &mut self.matcher,
                    &mut self.result,
                    self.audits,
                    shown,
                    &self.buf[..len],
                );
                if let Some(o) = outcome {
                    self.add(o);
                }
            }
            Contents::Binary => self.result.skip("binary"),
            Contents::TooLarge => self.result.skip("too-large"),
        }
        Ok(())
    }

    /// Scans bytes already in memory (a blob) as `shown` under the same size, binary and
    /// exclusion rules as a file, and returns what it found without keeping it (the
    /// caller attributes it, e.g. to commits); `None` when the blob was skipped.
    pub fn scan_blob(&mut self, shown: &str, bytes: &[u8]) -> Option<FileOutcome> {
        if self.engine.excluded(shown) {
            self.result.skip("excluded");
            return None;
        }
        if bytes.len() as u64 > self.max_file_size {
            self.result.skip("too-large");
            return None;
        }
        if is_binary(bytes) {
            self.result.skip("binary");
            return None;
        }
        scan_text(
            self.engine,
            &mut self.matcher,
            &mut self.result,
            self.audits,
            shown,
            bytes,
        )
    }

    /// Keeps a file's findings, problems and pipeline facts.
    pub fn add(&mut self, outcome: FileOutcome) {
        let r = &mut self.result;
        crate::term::PROGRESS.found(outcome.findings.len());
        r.stats.import_dropped += outcome.import_dropped;
        r.findings.extend(outcome.findings);
        r.suppressed_inline.extend(outcome.suppressed_inline);
        r.errors.extend(outcome.error);
        r.pipelines.extend(outcome.pipeline);
        r.stats.unaudited_workflows += u64::from(outcome.unaudited_workflow);
    }

    /// Counts a skipped file (`symlink`, `too-large`, ...).
    pub fn skip(&mut self, reason: &str) {
        self.result.skip(reason);
    }

    /// Counts a skipped file and keeps its one-line problem.
    pub fn error(&mut self, reason: &str, msg: String) {
        self.result.error(reason, msg);
    }

    /// The results, once the worker is done.
    pub fn finish(self) -> ScanResult {
        self.result
    }
}

/// Scans one text file's bytes: counts it, decodes UTF-16, runs the engine under
/// [`guarded`]. A panic is counted under [`INTERNAL_ERROR`] with a warning line, and the
/// matcher's scratch state (maybe half-updated) is replaced.
fn scan_text(
    engine: &Engine,
    matcher: &mut Matcher,
    result: &mut ScanResult,
    audits: bool,
    shown: &str,
    bytes: &[u8],
) -> Option<FileOutcome> {
    let wide = crate::detect::utf16::decode_with_bom(bytes);
    let content = wide.as_ref().map_or(bytes, |s| s.as_bytes());
    result.stats.files += 1;
    result.stats.bytes += bytes.len() as u64;
    crate::term::PROGRESS.add(bytes.len() as u64);
    if std::str::from_utf8(content).is_err() {
        result.stats.non_utf8 += 1;
    }
    let run = || {
        if audits {
            engine.scan_file(matcher, shown, content)
        } else {
            engine.scan_secrets(matcher, shown, content)
        }
    };
    match guarded(run) {
        Ok(o) => Some(o),
        Err(msg) => {
            *matcher = Matcher::default();
            result.stats.files -= 1;
            result.error(
                INTERNAL_ERROR,
                format!(
                    "{shown}: internal error while scanning ({}); file not scanned, please report this",
                    crate::walk::one_line(&msg)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, like a pipe or a slow disk.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read(data: &[u8], step: usize, max: u64) -> (Contents, Vec<u8>) {
        let mut buf = Vec::new();
        let got = read_file(&mut Trickle { data, step }, &mut buf, max).expect("reads");
        (got, buf)
    }

    #[test]
    fn reads_text_whole_in_any_chunking() {
        let text: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        for step in [1, 7, 4096, 65_536, 1 << 20] {
            // Byte-at-a-time reads of the whole text would be slow for nothing.
            let len = if step == 1 { 20_000 } else { text.len() };
            let (got, buf) = read(&text[..len], step, 1 << 20);
            assert_eq!(got, Contents::Text(len), "step {step}");
            assert_eq!(&buf[..len], &text[..len]);
        }
        assert_eq!(read(b"", 10, 100).0, Contents::Text(0));
    }

    #[test]
    fn a_nul_in_the_head_is_binary_and_later_is_text() {
        let mut data = vec![b'x'; 100_000];
        data[8_000] = 0;
        assert_eq!(read(&data, 100, 1 << 20).0, Contents::Binary);
        assert!(is_binary(&data));
        data[8_000] = b'x';
        data[9_000] = 0;
        assert_eq!(read(&data, 100, 1 << 20).0, Contents::Text(100_000));
        assert!(!is_binary(&data));
        assert_eq!(read(b"ab\0", 1, 100).0, Contents::Binary);
        // UTF-16 with a byte-order mark is text.
        assert!(!is_binary(b"\xff\xfea\0b\0"));
        assert_eq!(read(b"\xff\xfea\0b\0", 1, 100).0, Contents::Text(6));
    }

    #[test]
    fn the_size_limit_is_inclusive() {
        let data = vec![b'x'; 5_000];
        assert_eq!(read(&data, 512, 5_000).0, Contents::Text(5_000));
        assert_eq!(read(&data, 512, 4_999).0, Contents::TooLarge);
        assert_eq!(read(&data, 512, 0).0, Contents::TooLarge);
        assert_eq!(read(b"", 512, 0).0, Contents::Text(0));
    }

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(guarded(|| 7), Ok(7));
        let got = guarded(|| -> u8 { panic!("boom {}", 1) });
        let plain = guarded(|| -> u8 { panic!("plain") });
        assert_eq!(got, Err("boom 1".to_string()));
        assert_eq!(plain, Err("plain".to_string()));
    }
}
