//! `postie export`: a folder (or what a pattern picks in it) written as a
//! backup any mail program reads — one mboxrd file with mutt's status
//! headers, or one `.eml` file a message with a readable, safe, unique name
//! (`2024-06-08 周杰 会议纪要.eml`). Blocking: on the store's thread. The
//! mbox is written beside its final name, synced, then linked into place
//! (never over an existing file).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::mime::mbox::{write_mboxrd, MboxFlags};
use crate::store::{names, Flags, Row, Store};

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Mbox(PathBuf),
    Eml(PathBuf),
}

/// What an export did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Exported {
    pub written: usize,
    /// Known only by their headers (never downloaded): nothing to write.
    pub not_stored: usize,
    /// Messages that could not be read or written, in plain words.
    pub errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{}", rust_i18n::t!("export.exists", path = crate::text::sanitize::sanitize_line(&.0.display().to_string())))]
    Exists(PathBuf),
    #[error("{}", rust_i18n::t!("export.io", path = crate::text::sanitize::sanitize_line(&.0.display().to_string()), error = .1))]
    Io(PathBuf, io::Error),
}

fn mbox_flags(f: Flags) -> MboxFlags {
    MboxFlags {
        seen: f.contains(Flags::SEEN),
        answered: f.contains(Flags::ANSWERED),
        flagged: f.contains(Flags::FLAGGED),
        deleted: false,
        draft: f.contains(Flags::DRAFT),
        forwarded: f.contains(Flags::PASSED),
        mdn_sent: f.contains(Flags::MDN_SENT),
    }
}

/// Writes `rows` (their stored bytes) to `target`.
pub fn export(s: &mut Store, rows: &[Row], target: &Target) -> Result<Exported, ExportError> {
    match target {
        Target::Mbox(path) => to_mbox(s, rows, path),
        Target::Eml(dir) => to_eml(s, rows, dir),
    }
}

fn read(s: &mut Store, row: &Row, out: &mut Exported) -> Option<Vec<u8>> {
    if !row.stored {
        out.not_stored += 1;
        return None;
    }
    match s.read(&row.uidl) {
        Ok(Some(b)) => Some(b),
        Ok(None) => {
            out.not_stored += 1;
            None
        }
        Err(e) => {
            out.errors.push(e.to_string());
            None
        }
    }
}

fn to_mbox(s: &mut Store, rows: &[Row], path: &Path) -> Result<Exported, ExportError> {
    if path.exists() {
        return Err(ExportError::Exists(path.to_path_buf()));
    }
    let io = |e| ExportError::Io(path.to_path_buf(), e);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let part = path.with_file_name(format!(".{name}.part-{}", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&part)
        .map_err(io)?;
    let result = write_all(s, rows, file);
    let finish = result.and_then(|(out, file)| {
        file.sync_all()?;
        // A link never replaces a file that appeared meanwhile.
        std::fs::hard_link(&part, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(out)
    });
    let _ = std::fs::remove_file(&part);
    match finish {
        Ok(out) => Ok(out),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(ExportError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(io(e)),
    }
}

fn write_all(s: &mut Store, rows: &[Row], file: File) -> io::Result<(Exported, File)> {
    let mut out = Exported::default();
    let mut w = BufWriter::with_capacity(256 * 1024, file);
    for row in rows {
        let Some(bytes) = read(s, row, &mut out) else {
            continue;
        };
        let summary = row.summary.as_deref();
        let sender = summary.map(|m| m.from_address()).unwrap_or_default();
        let when = summary
            .and_then(|m| m.timestamp())
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .unwrap_or_else(chrono::Utc::now);
        write_mboxrd(&mut w, sender, &when, &bytes, mbox_flags(row.flags))?;
        out.written += 1;
    }
    let file = w.into_inner().map_err(|e| e.into_error())?;
    Ok((out, file))
}

/// `2024-06-08 周杰 会议纪要.eml`: the date in the sender's own zone, the
/// sender's name (else address), the subject; made safe as a file name.
pub fn eml_name(row: &Row) -> String {
    let Some(m) = row.summary.as_deref() else {
        return format!("{}.eml", row.uidl.trim());
    };
    let date = m
        .date()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let who = if m.from().is_empty() {
        m.from_address()
    } else {
        m.from()
    };
    let words: Vec<&str> = [date.as_str(), who, m.subject()]
        .into_iter()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    let stem: String = words.join(" ").chars().take(120).collect();
    names::safe_name(&format!("{stem}.eml"), "message.eml")
}

fn to_eml(s: &mut Store, rows: &[Row], dir: &Path) -> Result<Exported, ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| ExportError::Io(dir.to_path_buf(), e))?;
    let mut out = Exported::default();
    for row in rows {
        let Some(bytes) = read(s, row, &mut out) else {
            continue;
        };
        match names::save_bytes(dir, &eml_name(row), &bytes) {
            Ok(_) => out.written += 1,
            Err(e) => out
                .errors
                .push(ExportError::Io(dir.join(eml_name(row)), e).to_string()),
        }
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| ExportError::Io(dir.to_path_buf(), e))?;
    Ok(out)
}
