//! Bounded reads of the helper files a scanned tree supplies (`.gitignore`, `.ignore`,
//! `CODEOWNERS`, `tokenward.toml`, imported gitleaks configs, baselines, workflows read
//! by `inventory`): only regular files, only up to a size cap.
//!
//! A pull request can commit `.gitignore -> /dev/zero` (an endless read), a FIFO (a
//! read that blocks forever) or a multi-gigabyte file. Checking the file type first
//! means a special file is never opened, and a size cap bounds the read even if the
//! file grows while it is read.

use std::io::Read;
use std::path::Path;

/// Largest helper file read: far above any real ignore file, CODEOWNERS or config.
pub const HELPER_FILE_CAP: u64 = 4 << 20;

/// Why a helper file cannot be used, in words for a one-line warning; `None` when the
/// file is absent or a regular file within [`HELPER_FILE_CAP`] (symlinks are followed:
/// a link to a regular file is fine).
pub fn helper_problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) => meta_problem(&m),
        // A dangling link or an unreadable entry: nothing will read it either.
        Err(_) => None,
    }
}

/// [`helper_problem`] for a file whose (followed) metadata is already known.
pub fn meta_problem(meta: &std::fs::Metadata) -> Option<String> {
    if !meta.is_file() {
        return Some(format!("not a regular file ({})", file_kind(meta)));
    }
    if meta.len() > HELPER_FILE_CAP {
        return Some(format!(
            "larger than {} MiB ({} bytes)",
            HELPER_FILE_CAP >> 20,
            meta.len()
        ));
    }
    None
}

/// Reads a helper file as UTF-8 text if it is a regular file of at most `cap` bytes;
/// the error is one line without the path (callers prefix it).
pub fn read_text(path: &Path, cap: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(format!("not a regular file ({})", file_kind(&meta)));
    }
    if meta.len() > cap {
        return Err(format!("larger than {cap} bytes ({} bytes)", meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(format!("larger than {cap} bytes (it grew while read)"));
    }
    String::from_utf8(bytes).map_err(|e| format!("not valid UTF-8 ({})", e.utf8_error()))
}

/// A short name for a file's type.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else if meta.is_symlink() {
        "a symbolic link"
    } else if meta.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_within_the_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        std::fs::write(&p, "abc").expect("write");
        assert_eq!(read_text(&p, 3).expect("read"), "abc");
        assert!(read_text(&p, 2).expect_err("too big").contains("larger"));
        assert_eq!(helper_problem(&p), None);
        assert_eq!(helper_problem(&dir.path().join("absent")), None);
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_without_reading() {
        let p = Path::new("/dev/zero");
        let e = read_text(p, 10).expect_err("device");
        assert!(e.contains("character device"), "{e}");
        assert!(helper_problem(p).is_some());
    }
}
