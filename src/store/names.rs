//! File names that came from a message, made safe for the file system, and
//! saving attachments with them: no path separators, no `..`, no control or
//! bidi characters, not hidden, no leading `-`, at most 255 bytes, never
//! outside the target directory, never over an existing file.

use rust_i18n::t;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::mime::{attachment_parts, DecodeOptions};

/// Longest file name most file systems take, in bytes.
const MAX_NAME: usize = 255;

fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
            | '\u{061C}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// `name` as one safe path component; `fallback` when nothing usable is left.
pub fn safe_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|&c| !unsafe_char(c))
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_start_matches(['.', '-', ' '])
        .trim_end_matches(['.', ' ']);
    let name = if trimmed.is_empty() {
        fallback
    } else {
        trimmed
    };
    truncate(name, MAX_NAME)
}

/// A directory name for an account (`work`, `qq`): the same rules.
pub fn safe_component(name: &str) -> String {
    safe_name(name, "account")
}

/// Cuts `name` to `max` bytes on a character boundary, keeping a short extension.
fn truncate(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let (stem, ext) = split_ext(name);
    let ext = if ext.len() <= 16 { ext } else { "" };
    let mut cut = max - ext.len();
    while !stem.is_char_boundary(cut.min(stem.len())) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut.min(stem.len())])
}

/// `("报告", ".pdf")` from `报告.pdf`; no extension for `.bashrc`-like names.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// Creates `dir/name`, or `dir/stem (1).ext`, `(2)`, … if taken: never over
/// an existing file, never through a symlink (O_EXCL), 0600.
pub fn create_unique(dir: &Path, name: &str) -> io::Result<(PathBuf, std::fs::File)> {
    let (stem, ext) = split_ext(name);
    for n in 0..10_000u32 {
        let candidate = if n == 0 {
            name.to_string()
        } else {
            truncate(&format!("{stem} ({n}){ext}"), MAX_NAME)
        };
        let path = dir.join(&candidate);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "too many files named like {name} in {}",
        dir.display()
    )))
}

/// Writes `bytes` as a new file named like `name` in `dir` (0600, synced).
pub fn save_bytes(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let (path, mut file) = create_unique(dir, name)?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{}", t!("store.no_attachments"))]
    NoAttachments,
    #[error("{}", t!("store.no_part", part = _0, count = _1))]
    NoPart(usize, usize),
    #[error("{}", t!("store.cannot_save", path = path, reason = reason))]
    Io { path: String, reason: String },
}

/// Saves the attachments numbered `parts` (all when empty) of the message
/// `raw` into `dir` (created 0700 if missing). Returns the saved paths.
pub fn save_attachments(
    raw: &[u8],
    decode: &DecodeOptions,
    dir: &Path,
    parts: &[usize],
) -> Result<Vec<PathBuf>, SaveError> {
    let all = attachment_parts(raw, decode);
    if all.is_empty() {
        return Err(SaveError::NoAttachments);
    }
    for &k in parts {
        if k == 0 || k > all.len() {
            return Err(SaveError::NoPart(k, all.len()));
        }
    }
    let io_err = |p: &Path, e: io::Error| SaveError::Io {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io_err(dir, e))?;
    }
    let mut saved = Vec::new();
    for part in all
        .into_iter()
        .filter(|p| parts.is_empty() || parts.contains(&p.attachment.part))
    {
        let fallback = format!("attachment-{}", part.attachment.part);
        let name = safe_name(&part.file_name, &fallback);
        let path = save_bytes(dir, &name, &part.bytes).map_err(|e| io_err(dir, e))?;
        saved.push(path);
    }
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_safe_components() {
        assert_eq!(safe_name("../../x.sh", "f"), "_.._x.sh");
        assert_eq!(safe_name("/etc/passwd", "f"), "_etc_passwd");
        assert_eq!(safe_name("....", "f"), "f");
        assert_eq!(safe_name("..", "f"), "f");
        assert_eq!(safe_name(".bashrc", "f"), "bashrc");
        assert_eq!(safe_name("-rf", "f"), "rf");
        assert_eq!(
            safe_name("a\u{1b}[31mb\u{202e}fdp.exe", "f"),
            "a[31mbfdp.exe"
        );
        assert_eq!(safe_name("报告.pdf", "f"), "报告.pdf");
        let long = format!("{}.pdf", "报".repeat(200));
        let cut = safe_name(&long, "f");
        assert!(cut.len() <= 255 && cut.ends_with(".pdf"), "{}", cut.len());
        for n in ["a/b", "../..", "\u{0}x", " .x"] {
            let s = safe_name(n, "f");
            assert!(
                !s.contains('/') && !s.starts_with('.') && s != "..",
                "{n:?} -> {s:?}"
            );
        }
    }

    #[test]
    fn a_taken_name_gets_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = create_unique(dir.path(), "报告.pdf").unwrap();
        let (b, _) = create_unique(dir.path(), "报告.pdf").unwrap();
        assert_eq!(a.file_name().unwrap(), "报告.pdf");
        assert_eq!(b.file_name().unwrap(), "报告 (1).pdf");
    }
}
