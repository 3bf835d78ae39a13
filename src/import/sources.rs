//! What a path given to `postie import` holds: `.eml` files, mbox files
//! (Thunderbird's with their `.sbd` sub-folders), Maildirs (with Maildir++
//! sub-folders), and directory trees of any of them — each with the postie
//! folder it goes to. Names in any encoding (GBK from a Windows export) are
//! decoded for folder names and messages; nothing is followed through a
//! symbolic link to a directory.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::mime::mbox::{looks_like_foxmail_box, looks_like_mbox};
use crate::store::Folder;

/// One thing to read, and where its mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Eml {
        path: PathBuf,
        folder: Folder,
    },
    Mbox {
        path: PathBuf,
        folder: Folder,
    },
    /// A Foxmail 4–6 mail-folder file (`in`, `sent`, … or `*.box`).
    FoxmailBox {
        path: PathBuf,
        folder: Folder,
    },
    /// One Maildir folder (its `cur/` and `new/`).
    Maildir {
        path: PathBuf,
        folder: Folder,
    },
}

impl Unit {
    pub fn path(&self) -> &Path {
        match self {
            Unit::Eml { path, .. }
            | Unit::Mbox { path, .. }
            | Unit::FoxmailBox { path, .. }
            | Unit::Maildir { path, .. } => path,
        }
    }
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Found {
    pub units: Vec<Unit>,
    /// Bytes to read (files' sizes), for the progress bar.
    pub bytes: u64,
    /// Files that are neither mail nor a mail program's own bookkeeping.
    pub not_mail: Vec<PathBuf>,
    /// Paths that could not be read at all, and why.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// A file or directory name as text: UTF-8 when it is, else GBK (GB18030),
/// as a Windows export in China names its files.
pub fn name_text(name: &OsStr) -> String {
    let bytes = name.as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// A path for messages: every component decoded as `name_text` does.
pub fn path_text(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| name_text(c.as_os_str()))
        .collect();
    let joined = parts.join("/");
    joined
        .strip_prefix("//")
        .map_or(joined.clone(), |s| format!("/{s}"))
}

/// One level of a folder name from a file or directory name: `.` (Maildir++'s
/// separator) and control characters replaced, never empty.
pub fn folder_part(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '.' | '/' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim_matches('_').to_string();
    if cleaned.is_empty() {
        "_".to_string()
    } else {
        cleaned
    }
}

/// `parent`/`part`, as a folder (a built-in folder's name is kept apart:
/// "Trash" inside an import is a folder of the import, not postie's Trash).
pub fn child(parent: &Folder, part: &str) -> Folder {
    let part = folder_part(part);
    let name = format!("{}/{part}", parent.name());
    Folder::own(&name)
        .or_else(|_| Folder::own(&format!("{}/{part}_", parent.name())))
        .unwrap_or_else(|_| parent.clone())
}

/// Files a mail program keeps beside its mail: not reported.
fn bookkeeping(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const EXTENSIONS: [&str; 12] = [
        ".msf",
        ".dat",
        ".json",
        ".html",
        ".sqlite",
        ".sqlite-wal",
        ".sqlite-shm",
        ".ini",
        ".log",
        ".idx",
        ".db",
        ".lock",
    ];
    const NAMES: [&str; 6] = [
        "maildirfolder",
        "subscriptions",
        "dovecot-uidlist",
        "dovecot-keywords",
        "dovecot.index",
        "msgfilterrules.dat",
    ];
    name.starts_with('.')
        || lower.starts_with("dovecot")
        || lower.starts_with("courier")
        || EXTENSIONS.iter().any(|e| lower.ends_with(e))
        || NAMES.contains(&lower.as_str())
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

fn first_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = vec![0u8; 512];
    let mut f = std::fs::File::open(path)?;
    let n = f.read(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// Walks `path` (a file or a directory) into units; the mail at its top
/// goes to `top`.
pub fn discover(path: &Path, top: &Folder) -> Found {
    let mut found = Found::default();
    walk(path, top, true, &mut found);
    found
}

fn walk(path: &Path, folder: &Folder, at_top: bool, found: &mut Found) {
    let meta = if at_top {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) => {
            found.unreadable.push((path.to_path_buf(), e.to_string()));
            return;
        }
    };
    if meta.is_dir() {
        walk_dir(path, folder, found);
    } else if meta.is_file() {
        let name = path.file_name().map(name_text).unwrap_or_default();
        if name.to_ascii_lowercase().ends_with(".eml") {
            found.bytes += meta.len();
            found.units.push(Unit::Eml {
                path: path.to_path_buf(),
                folder: folder.clone(),
            });
            return;
        }
        match first_bytes(path) {
            Ok(start) if looks_like_foxmail_box(&start) => {
                found.bytes += meta.len();
                found.units.push(Unit::FoxmailBox {
                    path: path.to_path_buf(),
                    folder: folder.clone(),
                });
            }
            Ok(start) if looks_like_mbox(&start) => {
                found.bytes += meta.len();
                found.units.push(Unit::Mbox {
                    path: path.to_path_buf(),
                    folder: folder.clone(),
                });
            }
            // An empty mbox (Thunderbird makes them for empty folders).
            Ok(start) if start.is_empty() && !at_top => {}
            Ok(_) if at_top => found.not_mail.push(path.to_path_buf()),
            Ok(_) if bookkeeping(&name) => {}
            Ok(_) => found.not_mail.push(path.to_path_buf()),
            Err(e) => found.unreadable.push((path.to_path_buf(), e.to_string())),
        }
    }
}

fn walk_dir(dir: &Path, folder: &Folder, found: &mut Found) {
    if is_maildir(dir) {
        walk_maildir(dir, folder, found);
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            found.unreadable.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    entries.sort();
    for entry in entries {
        let Some(raw_name) = entry.file_name() else {
            continue;
        };
        let name = name_text(raw_name);
        let is_dir = std::fs::symlink_metadata(&entry).is_ok_and(|m| m.is_dir());
        if is_dir {
            // Thunderbird: `Inbox.sbd/` holds the sub-folders of the mbox `Inbox`.
            let sub = name.strip_suffix(".sbd").unwrap_or(&name);
            if name.starts_with('.') && !name.ends_with(".sbd") {
                continue;
            }
            walk(&entry, &child(folder, sub), false, found);
        } else if name.to_ascii_lowercase().ends_with(".eml") {
            // A directory of .eml files is one folder: the directory's.
            walk(&entry, folder, false, found);
        } else {
            // Foxmail's `in.box`, `sent.box`: the folder without the extension.
            let lower = name.to_ascii_lowercase();
            let part = match lower
                .strip_suffix(".box")
                .or_else(|| lower.strip_suffix(".mbox"))
            {
                Some(stem) => &name[..stem.len()],
                None => name.as_str(),
            };
            walk(&entry, &child(folder, part), false, found);
        }
    }
}

fn walk_maildir(dir: &Path, folder: &Folder, found: &mut Found) {
    for sub in ["cur", "new"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            for e in rd.flatten() {
                if let Ok(m) = e.metadata() {
                    found.bytes += m.len();
                }
            }
        }
    }
    found.units.push(Unit::Maildir {
        path: dir.to_path_buf(),
        folder: folder.clone(),
    });
    // Maildir++: `.Sub.Sub2/` beside cur/new; anything else with its own
    // cur/new is a folder too.
    let mut subs: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| (name_text(&e.file_name()), e.path()))
                .filter(|(n, p)| {
                    !matches!(n.as_str(), "cur" | "new" | "tmp") && is_maildir(p) && !p.is_symlink()
                })
                .collect()
        })
        .unwrap_or_default();
    subs.sort();
    for (name, path) in subs {
        let mut f = folder.clone();
        match name.strip_prefix('.') {
            Some(levels) => {
                for level in levels.split('.').filter(|l| !l.is_empty()) {
                    f = child(&f, level);
                }
            }
            None => f = child(&f, &name),
        }
        found.units.push(Unit::Maildir { path, folder: f });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_gbk_are_read_as_chinese_and_made_folder_safe() {
        let gbk = encoding_rs::GBK.encode("会议纪要").0.into_owned();
        assert_eq!(name_text(OsStr::from_bytes(&gbk)), "会议纪要");
        assert_eq!(name_text(OsStr::new("客户")), "客户");
        assert_eq!(folder_part("v1.2"), "v1_2");
        assert_eq!(folder_part(" .. "), "_");
        let top = Folder::own("Foxmail导入").unwrap();
        assert_eq!(child(&top, "项目.二期").name(), "Foxmail导入/项目_二期");
    }

    #[test]
    fn a_thunderbird_tree_maps_mboxes_and_sbd_dirs_to_folders() {
        let d = tempfile::tempdir().unwrap();
        let lf = d.path().join("Local Folders");
        std::fs::create_dir_all(lf.join("Inbox.sbd")).unwrap();
        std::fs::write(lf.join("Inbox"), "From - x\nSubject: a\n\n").unwrap();
        std::fs::write(lf.join("Inbox.msf"), "// mork").unwrap();
        std::fs::write(lf.join("Inbox.sbd/客户"), "From - x\nSubject: b\n\n").unwrap();
        std::fs::write(lf.join("Trash"), "").unwrap();
        std::fs::write(lf.join("notes.txt"), "hello").unwrap();
        let top = Folder::own("TB").unwrap();
        let found = discover(d.path(), &top);
        let got: Vec<(String, String)> = found
            .units
            .iter()
            .map(|u| match u {
                Unit::Mbox { path, folder } => (
                    path.strip_prefix(d.path()).unwrap().display().to_string(),
                    folder.name().to_string(),
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "Local Folders/Inbox".into(),
                    "TB/Local Folders/Inbox".into()
                ),
                (
                    "Local Folders/Inbox.sbd/客户".into(),
                    "TB/Local Folders/Inbox/客户".into()
                ),
            ]
        );
        assert_eq!(found.not_mail, vec![lf.join("notes.txt")]);
    }
}
