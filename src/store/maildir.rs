//! Maildir folders: the durable truth of the store. Each message is one file
//! holding the exact bytes the server sent; its flags are in its name
//! (`:2,FRST`), so they survive anything that happens to the index. The name
//! also carries the UIDL (`,U=<hex>`) and size (`,S=`), so an index rebuilt
//! from scratch knows which server message each file is. Delivery is the
//! Maildir way: write to `tmp/`, fsync, rename into `new/` or `cur/`, fsync
//! the directory. Blocking code: runs on the store thread only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::Flags;

/// The three subdirectories of every Maildir folder.
pub const SUBDIRS: [&str; 3] = ["cur", "new", "tmp"];

/// Creates `dir` (and parents) as 0700, and makes an existing one 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes `folder` a Maildir (cur/ new/ tmp/, all 0700).
pub fn create(folder: &Path) -> io::Result<()> {
    private_dir(folder)?;
    for sub in SUBDIRS {
        private_dir(&folder.join(sub))?;
    }
    Ok(())
}

/// fsync a directory, so a rename into it is on disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if s.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new unique base name: `TIME.MmicrosPpidQn.host,U=hexuidl,S=size`.
pub fn unique_name(uidl: Option<&str>, size: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let host = hostname();
    let q = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!(
        "{}.M{}P{}Q{}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        q,
        host
    );
    if let Some(u) = uidl {
        name.push_str(",U=");
        name.push_str(&hex(u));
    }
    name.push_str(&format!(",S={size}"));
    name
}

/// The host name for Maildir file names, with `/` and `:` replaced as the
/// Maildir specification asks.
fn hostname() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let h: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '/' => "\\057".to_string(),
            ':' => "\\072".to_string(),
            c if c.is_ascii_graphic() => c.to_string(),
            _ => String::new(),
        })
        .collect();
    if h.is_empty() {
        "localhost".into()
    } else {
        h
    }
}

/// What a Maildir file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The name without the `:2,` info part.
    pub base: String,
    pub uidl: Option<String>,
    pub size: Option<u64>,
    pub flags: Flags,
}

impl FileName {
    pub fn parse(name: &str) -> FileName {
        let (base, info) = match name.rsplit_once(":2,") {
            Some((b, i)) => (b, i),
            None => (name, ""),
        };
        let mut uidl = None;
        let mut size = None;
        for field in base.split(',').skip(1) {
            if let Some(h) = field.strip_prefix("U=") {
                uidl = unhex(h);
            } else if let Some(s) = field.strip_prefix("S=") {
                size = s.parse().ok();
            }
        }
        FileName {
            base: base.to_string(),
            uidl,
            size,
            flags: Flags::from_info(info),
        }
    }

    /// Where the file lives in its folder: `new/BASE` while it has no flags
    /// (as a Maildir reader expects of unseen mail), else `cur/BASE:2,FLAGS`.
    pub fn relative(&self) -> String {
        if self.flags.is_empty() {
            format!("new/{}", self.base)
        } else {
            format!("cur/{}:2,{}", self.base, self.flags.info())
        }
    }
}

/// Writes a new file in `folder/tmp/` (0600, never over an existing one).
pub fn create_tmp(folder: &Path, base: &str) -> io::Result<(PathBuf, File)> {
    let path = folder.join("tmp").join(base);
    let file = OpenOptions::new()
        .write(true)
        .read(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)?;
    Ok((path, file))
}

/// Makes a written tmp file durable and moves it into place as `name`;
/// returns the path relative to the folder (`new/...` or `cur/...`).
pub fn commit(folder: &Path, tmp: &Path, file: &File, name: &FileName) -> io::Result<String> {
    file.sync_all()?;
    let rel = place(folder, tmp, name)?;
    if let Some(dir) = folder.join(&rel).parent() {
        sync_dir(dir)?;
    }
    Ok(rel)
}

/// Renames `tmp` to `name`'s place in `folder`, never over an existing file.
fn place(folder: &Path, tmp: &Path, name: &FileName) -> io::Result<String> {
    let rel = name.relative();
    let dest = folder.join(&rel);
    if dest.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists already", dest.display()),
        ));
    }
    fs::rename(tmp, &dest)?;
    Ok(rel)
}

/// Writes `bytes` to a new file in `folder/tmp/` and fsyncs it; the caller
/// renames it into place (`commit_many`).
pub fn write_tmp(folder: &Path, uidl: Option<&str>, bytes: &[u8]) -> io::Result<(PathBuf, String)> {
    let base = unique_name(uidl, bytes.len() as u64);
    let (tmp, mut file) = create_tmp(folder, &base)?;
    match file.write_all(bytes).and_then(|()| file.sync_all()) {
        Ok(()) => Ok((tmp, base)),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// `write_tmp` for a batch: every file written, then the lot made durable
/// with one syncfs(2) (a file system without a journal otherwise pays a
/// device flush a file); a single file is fsynced itself. Every file is
/// durable before this returns; on an error none is left behind.
pub fn write_tmp_batch(
    folder: &Path,
    items: &[(Option<&str>, &[u8])],
) -> io::Result<Vec<(PathBuf, String)>> {
    if let [(uidl, bytes)] = items {
        return Ok(vec![write_tmp(folder, *uidl, bytes)?]);
    }
    let mut written = Vec::with_capacity(items.len());
    let result = items
        .iter()
        .try_for_each(|(uidl, bytes)| {
            written.push(write_tmp_unsynced(folder, *uidl, bytes)?);
            Ok(())
        })
        .and_then(|()| {
            if written.is_empty() {
                Ok(())
            } else {
                sync_fs(folder)
            }
        });
    if let Err(e) = result {
        for (tmp, _) in &written {
            let _ = fs::remove_file(tmp);
        }
        return Err(e);
    }
    Ok(written)
}

/// `write_tmp` without the fsync: for a batch made durable at once
/// (`sync_fs`) before any of it is renamed into place.
pub fn write_tmp_unsynced(
    folder: &Path,
    uidl: Option<&str>,
    bytes: &[u8],
) -> io::Result<(PathBuf, String)> {
    let base = unique_name(uidl, bytes.len() as u64);
    let (tmp, mut file) = create_tmp(folder, &base)?;
    match file.write_all(bytes) {
        Ok(()) => Ok((tmp, base)),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Flushes everything written to the file system `dir` is on (syncfs(2)):
/// one call for a batch of files instead of an fsync each.
pub fn sync_fs(dir: &Path) -> io::Result<()> {
    let d = File::open(dir)?;
    rustix::fs::syncfs(&d).map_err(io::Error::from)
}

/// Renames synced tmp files into `new/` or `cur/`, then fsyncs those
/// directories once: a batch costs one directory sync, not one each.
pub fn commit_many(folder: &Path, files: &[(PathBuf, FileName)]) -> io::Result<Vec<String>> {
    let mut rels = Vec::with_capacity(files.len());
    for (tmp, name) in files {
        rels.push(place(folder, tmp, name)?);
    }
    for sub in ["new", "cur"] {
        if rels.iter().any(|r| r.starts_with(sub)) {
            sync_dir(&folder.join(sub))?;
        }
    }
    Ok(rels)
}

/// Delivers `bytes` into `folder` in one go.
pub fn deliver(
    folder: &Path,
    uidl: Option<&str>,
    bytes: &[u8],
    flags: Flags,
) -> io::Result<String> {
    let base = unique_name(uidl, bytes.len() as u64);
    let (tmp, mut file) = create_tmp(folder, &base)?;
    let result = file
        .write_all(bytes)
        .and_then(|()| commit(folder, &tmp, &file, &name_for(&base, flags)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

pub fn name_for(base: &str, flags: Flags) -> FileName {
    FileName {
        base: base.to_string(),
        uidl: None,
        size: None,
        flags,
    }
}

/// Renames `rel` (in `from`) to carry `flags`, or moves it to folder `to`;
/// returns the new relative path. The directory is synced.
pub fn rename(from: &Path, rel: &str, to: &Path, flags: Flags) -> io::Result<String> {
    let new_rel = rename_unsynced(from, rel, to, flags)?;
    if let Some(dir) = to.join(&new_rel).parent() {
        sync_dir(dir)?;
    }
    if from != to {
        sync_dir(&from.join(rel.split('/').next().unwrap_or("cur")))?;
    }
    Ok(new_rel)
}

/// `rename` without the directory syncs: for a batch, whose caller syncs
/// each directory once (the new place before the old).
pub fn rename_unsynced(from: &Path, rel: &str, to: &Path, flags: Flags) -> io::Result<String> {
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let parsed = FileName::parse(file_name);
    let new_rel = name_for(&parsed.base, flags).relative();
    if from == to && new_rel == rel {
        return Ok(new_rel);
    }
    fs::rename(from.join(rel), to.join(&new_rel))?;
    Ok(new_rel)
}

/// Renames a synced tmp file into `cur/` as `base` with `flags`, never over
/// an existing file (the caller syncs the directory).
pub fn place_tmp(folder: &Path, tmp: &Path, base: &str, flags: Flags) -> io::Result<String> {
    place(folder, tmp, &name_for(base, flags))
}

/// The name prefix of a temp file a retrieval streams into: it carries the
/// writer's process id, so a later run can tell a crashed writer's file
/// from one still being written by another postie.
pub fn retr_prefix() -> String {
    format!(".postie-retr-{}-", std::process::id())
}

/// The process that wrote a temp file of ours, from its name.
fn writer_pid(name: &str) -> Option<u32> {
    if let Some(rest) = name.strip_prefix(".postie-retr-") {
        return rest.split('-').next()?.parse().ok();
    }
    // `TIME.MusecPpidQn.host…` (unique_name)
    let p = name.split('.').nth(1)?;
    let after = &p[p.find('P')? + 1..];
    after[..after.find('Q')?].parse().ok()
}

/// Removes what crashed writers left in `folder/tmp/`: files of ours whose
/// process is gone, and anything older than 36 hours (the Maildir rule).
/// Returns how many were removed.
pub fn clean_tmp(folder: &Path) -> usize {
    let Ok(entries) = fs::read_dir(folder.join("tmp")) else {
        return 0;
    };
    let mut removed = 0;
    let old = std::time::Duration::from_secs(36 * 3600);
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let stale_age = e
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > old);
        let dead = writer_pid(&name).is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        });
        if (dead || stale_age) && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Every message file in a folder's `cur/` and `new/`: (relative path, parsed name).
pub fn scan(folder: &Path) -> io::Result<Vec<(String, FileName)>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let dir = folder.join(sub);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || is_editor_leftover(&name) || !entry.file_type()?.is_file() {
                continue;
            }
            out.push((format!("{sub}/{name}"), FileName::parse(&name)));
        }
    }
    Ok(out)
}

/// What an editor leaves beside a draft it edits in place (Emacs's `name~`
/// backups and `#name#` auto-saves): not messages.
fn is_editor_leftover(name: &str) -> bool {
    name.ends_with('~') || name.starts_with('#')
}

/// The header block of a stored file (at most 256 KB read).
pub fn read_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while buf.len() < 256 * 1024 {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            break;
        }
    }
    Ok(buf)
}

/// The header block of a stored file and the first 64 KB of its body: what
/// a summary is read from (the first text part's charset and the body's
/// 8-bit text decide for raw 8-bit headers, as in the reader).
pub fn read_summary_sample(path: &Path) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut buf = Vec::new();
    file.take(SAMPLE_MAX as u64).read_to_end(&mut buf)?;
    let keep = summary_sample(&buf).len();
    buf.truncate(keep);
    Ok(buf)
}

/// The most of a message a summary sample holds.
const SAMPLE_MAX: usize = 256 * 1024 + 64 * 1024;

/// `read_summary_sample` of a message already in memory: the header block
/// and the first 64 KB of the body (at most 320 KB without a blank line).
pub fn summary_sample(bytes: &[u8]) -> &[u8] {
    let buf = &bytes[..bytes.len().min(SAMPLE_MAX)];
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2));
    match end {
        Some(end) => &buf[..(end + 64 * 1024).min(buf.len())],
        None => buf,
    }
}

/// Opens a stored file for reading, refusing anything but a regular file.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        // A symlink planted in the store is never followed.
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_uidl_size_and_flags() {
        let base = unique_name(Some("0000000a/5:x"), 1234);
        let name = name_for(&base, Flags::SEEN.with(Flags::FLAGGED));
        let rel = name.relative();
        assert!(rel.starts_with("cur/") && rel.ends_with(":2,FS"), "{rel}");
        let back = FileName::parse(rel.strip_prefix("cur/").unwrap());
        assert_eq!(back.uidl.as_deref(), Some("0000000a/5:x"));
        assert_eq!(back.size, Some(1234));
        assert_eq!(back.flags, Flags::SEEN.with(Flags::FLAGGED));
        assert!(name_for(&base, Flags::default())
            .relative()
            .starts_with("new/"));
    }

    #[test]
    fn delivery_is_private_and_exact() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("INBOX");
        create(&folder).unwrap();
        let rel = deliver(
            &folder,
            Some("u1"),
            b"Subject: x\r\n\r\nbody\r\n",
            Flags::default(),
        )
        .unwrap();
        let path = folder.join(&rel);
        assert_eq!(fs::read(&path).unwrap(), b"Subject: x\r\n\r\nbody\r\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(folder.join("cur"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert!(fs::read_dir(folder.join("tmp")).unwrap().next().is_none());
        let moved = rename(&folder, &rel, &folder, Flags::SEEN).unwrap();
        assert!(moved.starts_with("cur/") && moved.ends_with(":2,S"));
        assert_eq!(scan(&folder).unwrap().len(), 1);
    }

    #[test]
    fn editor_backups_beside_a_draft_are_not_messages() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path()).unwrap();
        let cur = dir.path().join("cur");
        fs::write(cur.join("1.M1P1Q1.h,S=3:2,DS"), b"x\n\n").unwrap();
        fs::write(cur.join("1.M1P1Q1.h,S=3:2,DS~"), b"x\n\n").unwrap();
        fs::write(cur.join("#1.M1P1Q1.h,S=3:2,DS#"), b"x\n\n").unwrap();
        fs::write(cur.join(".1.M1P1Q1.h,S=3:2,DS.swp"), b"x").unwrap();
        let found = scan(dir.path()).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
    }
}
