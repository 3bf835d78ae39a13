//! Opening a store: its folders made private, its index opened (or set
//! aside and rebuilt from the Maildir when it is damaged, foreign or newer),
//! and files another Maildir reader added or renamed taken up.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

impl Store {
    /// Opens the store at `root` (creating it, 0700), its index checked and,
    /// if it cannot be trusted, moved aside and rebuilt from the Maildir.
    /// Fails only when the folders themselves cannot be made.
    pub fn open(root: &Path, key: &str, decode: DecodeOptions) -> Result<Store, StoreError> {
        maildir::private_dir(root).map_err(|e| io_err(root, e))?;
        for f in Folder::ALL {
            let dir = root.join(f.dir_name());
            maildir::create(&dir).map_err(|e| io_err(&dir, e))?;
        }
        let mut notes = Vec::new();
        let path = root.join(INDEX_FILE);
        let dkey = decode_key(&decode);
        // Files of another mailbox keep their flags, but not their UIDLs:
        // those would name this server's messages.
        let mut trust_uidls = true;
        let (index, fresh) = match open_index(&path, key, &dkey) {
            Ok(pair) => pair,
            Err(e @ IndexError::Busy(_)) => return Err(e.into()),
            Err(e) => {
                trust_uidls = !matches!(e, IndexError::Foreign(_));
                let aside = move_aside(&path);
                notes.push(format!(
                    "{e}; {} and rebuilt it from the mail folders",
                    match &aside {
                        Ok(p) => format!("moved it to {}", p.display()),
                        Err(why) => format!("could not move it aside ({why})"),
                    }
                ));
                match aside
                    .map_err(IndexError::Damaged)
                    .and_then(|_| open_index(&path, key, &dkey))
                {
                    Ok(pair) => pair,
                    Err(e) => {
                        notes.push(format!(
                            "cannot write a new index ({e}): the index lives in memory for this session; flags are still kept in the mail files"
                        ));
                        (Index::in_memory(key, &dkey)?, true)
                    }
                }
            }
        };
        notes.extend(index.note.clone());
        let mut store = Store {
            root: root.to_path_buf(),
            key: key.to_string(),
            decode,
            index,
            notes,
            rebuilt_for_lookups: false,
            texts_reindexed: false,
            texts_stuck: false,
            session: Default::default(),
        };
        store.begin_session();
        // What a crashed download or copy left half-written is removed here.
        for f in store.folders() {
            let n = maildir::clean_tmp(&store.folder_dir(&f));
            if n > 0 {
                tracing::info!("removed {n} unfinished files from {}/tmp", f.dir_name());
            }
        }
        if fresh {
            store.adopt(trust_uidls)?;
        }
        Ok(store)
    }

    pub(super) fn recover(&mut self, why: &str) -> Result<(), StoreError> {
        let path = self.root.join(INDEX_FILE);
        // Close the damaged file before moving it.
        let dkey = decode_key(&self.decode);
        self.index = Index::in_memory(&self.key, &dkey)?;
        let note = match move_aside(&path)
            .map_err(IndexError::Damaged)
            .and_then(|p| {
                let (index, _) = open_index(&path, &self.key, &dkey)?;
                self.index = index;
                Ok(p)
            }) {
            Ok(p) => format!(
                "the index is damaged ({why}); moved it to {} and rebuilt it from the mail folders",
                p.display()
            ),
            Err(e) => format!(
                "the index is damaged ({why}) and cannot be replaced ({e}): using one in memory"
            ),
        };
        tracing::warn!("{note}");
        self.notes.push(note);
        self.reconcile()
    }

    /// `reconcile`; files are adopted under the UIDL in their names only when
    /// `trust_uidls` (not after another mailbox's index was set aside).
    pub(super) fn adopt(&mut self, trust_uidls: bool) -> Result<(), StoreError> {
        let known = self.with_index(|i| i.files())?;
        let mut by_file: std::collections::HashMap<(Folder, String), (String, Flags)> = known
            .into_iter()
            .map(|(u, f, file, flags)| ((f, file), (u, flags)))
            .collect();
        let mut adopted: Vec<(Folder, String, maildir::FileName)> = Vec::new();
        let folders = self.folders();
        let mut on_disk = vec![0usize; folders.len()];
        for (k, folder) in folders.iter().enumerate() {
            let dir = self.folder_dir(folder);
            let files = maildir::scan(&dir).map_err(|e| io_err(&dir, e))?;
            on_disk[k] = files.len();
            for (rel, name) in files {
                match by_file.remove(&(folder.clone(), rel.clone())) {
                    Some((_, flags)) if flags.in_name() == name.flags => {}
                    Some((uidl, flags)) => {
                        let flags = flags.from_name_keeping(name.flags);
                        self.with_index(|i| i.set_flags(&uidl, flags, None))?;
                    }
                    None => adopted.push((folder.clone(), rel, name)),
                }
            }
        }
        for ((_, _), (uidl, _)) in by_file {
            self.with_index(|i| i.unstore(&uidl))?;
        }
        for (folder, rel, name) in adopted {
            let path = self.folder_dir(&folder).join(&rel);
            let head = maildir::read_summary_sample(&path).unwrap_or_default();
            let summary = Summary::from_headers(&head, &self.decode);
            let size = name
                .size
                .or_else(|| fs::metadata(&path).ok().map(|m| m.len()))
                .unwrap_or(0);
            // A file without a UIDL of ours (put there by another program)
            // gets a local id that can never be a server's.
            let uidl = name
                .uidl
                .clone()
                .filter(|_| trust_uidls)
                .unwrap_or_else(|| format!(" L{}", name.base));
            let on_server = false;
            self.with_index(|i| {
                i.stored(
                    &uidl,
                    &folder,
                    &rel,
                    size,
                    name.flags,
                    on_server,
                    Some(&summary),
                )
            })?;
        }
        self.check_lookups(&folders, &on_disk)
    }

    /// Every file on disk must be found the way the list finds it. A damaged
    /// lookup structure inside a file SQLite still calls sound (a flipped
    /// byte) hides messages from the list: rebuild the lookups then.
    pub(super) fn check_lookups(
        &mut self,
        folders: &[Folder],
        on_disk: &[usize],
    ) -> Result<(), StoreError> {
        let agree = |s: &mut Store| -> Result<bool, StoreError> {
            for (k, folder) in folders.iter().enumerate() {
                if s.with_index(|i| i.count_stored(folder))? != on_disk[k] {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        if agree(self)? {
            return Ok(());
        }
        self.with_index(|i| i.reindex())?;
        if agree(self)? {
            let note = "the index's lookup tables were damaged; rebuilt them".to_string();
            tracing::warn!("{note}");
            self.notes.push(note);
            return Ok(());
        }
        if self.rebuilt_for_lookups {
            let note =
                "the index does not agree with the mail folders even after a rebuild".to_string();
            tracing::warn!("{note}");
            self.notes.push(note);
            return Ok(());
        }
        // Still not: the index cannot be trusted; set aside and rebuilt from
        // the Maildir (flags are in the file names), once.
        self.rebuilt_for_lookups = true;
        self.recover("it does not list every message file in the mail folders")
    }
}

pub(super) fn open_index(
    path: &Path,
    key: &str,
    decode: &str,
) -> Result<(Index, bool), IndexError> {
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(IndexError::Damaged(format!(
                    "{} is a symbolic link",
                    p.display()
                )))
            }
            Ok(m) if !m.is_file() => {
                return Err(IndexError::Damaged(format!(
                    "{} is not a regular file",
                    p.display()
                )))
            }
            _ => {}
        }
    }
    let fresh = !path.exists();
    if fresh {
        // Created 0600 before SQLite opens it (its -wal and -shm copy the mode).
        use std::os::unix::fs::OpenOptionsExt;
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| IndexError::Damaged(format!("cannot create {}: {e}", path.display())))?;
    } else {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = fs::metadata(path) {
            if m.permissions().mode() & 0o777 != 0o600 {
                fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|e| {
                    IndexError::Damaged(format!("cannot make {} private: {e}", path.display()))
                })?;
            }
        }
    }
    let index = Index::open(path, key, decode)?;
    // Damage found later (a truncated file fails when its rows are read) is
    // handled by `Store::with_index`.
    // Whether it holds anything (not a count: that reads every row).
    let empty = index.is_empty()?;
    Ok((index, fresh || empty))
}

/// Renames the index (and its -wal, -shm) to `index.sqlite.bad-TIME`.
fn move_aside(path: &Path) -> Result<PathBuf, String> {
    let stamp = index::now();
    let aside = PathBuf::from(format!("{}.bad-{stamp}", path.display()));
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", path.display()));
        if fs::symlink_metadata(&from).is_err() {
            continue;
        }
        let to = PathBuf::from(format!("{}{suffix}", aside.display()));
        fs::rename(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    Ok(aside)
}
