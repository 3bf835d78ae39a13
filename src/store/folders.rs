//! The user's own folders (Maildir++ sub-folders of INBOX: `INBOX/.客户`,
//! `INBOX/.项目.二期`, names in UTF-8) and moving and copying messages
//! between any two folders.
//!
//! A move is one `rename(2)` per file within the account's directory, so at
//! every moment the file is in exactly one folder; the new directory is
//! fsynced, then the old one, then the index learns it in one transaction.
//! A kill between the renames and the index leaves files the index places
//! in the wrong folder: `reconcile` (run at every start) puts it right from
//! the files, which carry their UIDL in their names.

use std::fs;
use std::io;

use rust_i18n::t;

use super::*;

/// What moving or copying a set of messages did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filed {
    /// Messages now in the target folder (moved or copied).
    pub done: Vec<String>,
    /// Messages with no stored copy: nothing to move.
    pub not_stored: Vec<String>,
    /// The new local ids of copies, in the order of `done`.
    pub copies: Vec<String>,
}

impl Store {
    /// Every folder of the account: the five every account has, then the
    /// user's own in name order (found on disk, so a folder made by mutt or
    /// Dovecot with a valid name is one too).
    pub fn folders(&self) -> Vec<Folder> {
        let mut out: Vec<Folder> = Folder::ALL.to_vec();
        let parent = self.root.join(types::OWN_PARENT);
        let mut own: Vec<Folder> = fs::read_dir(&parent)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().join("cur").is_dir())
            .filter_map(|e| Folder::from_dir_entry(e.file_name().to_str()?))
            .collect();
        own.sort();
        out.extend(own);
        out
    }

    /// Whether `f` exists (the built-in ones always do).
    pub fn has_folder(&self, f: &Folder) -> bool {
        !f.is_own() || self.folder_dir(f).join("cur").is_dir()
    }

    /// Makes one of the user's folders (and its parents, so every level
    /// shows). Ok(false) when it was there already.
    pub fn create_folder(&mut self, f: &Folder) -> Result<bool, StoreError> {
        let Folder::Own(name) = f else {
            return Ok(false);
        };
        if self.has_folder(f) {
            return Ok(false);
        }
        let levels: Vec<&str> = name.split('/').collect();
        for k in 1..=levels.len() {
            let level = Folder::Own(std::sync::Arc::from(levels[..k].join("/")));
            let dir = self.folder_dir(&level);
            if !dir.join("cur").is_dir() {
                maildir::create(&dir).map_err(|e| io_err(&dir, e))?;
                // Maildir++ marks a sub-folder so (Courier, Dovecot).
                let _ = fs::File::create(dir.join("maildirfolder"));
            }
        }
        let parent = self.root.join(types::OWN_PARENT);
        maildir::sync_dir(&parent).map_err(|e| io_err(&parent, e))?;
        Ok(true)
    }

    /// How many messages `f` holds (with its sub-folders).
    pub fn count_in(&mut self, f: &Folder) -> Result<usize, StoreError> {
        let name = f.name().to_string();
        let like = format!("{}/%", escape_like(&name));
        self.with_index(|i| {
            Ok(i.conn.query_row(
                "SELECT count(*) FROM messages WHERE folder = ?1 OR folder LIKE ?2 ESCAPE '\\'",
                rusqlite::params![name, like],
                |r| r.get::<_, i64>(0),
            )? as usize)
        })
    }

    /// Renames one of the user's folders (its sub-folders go along): the
    /// directories are renamed, then the index follows.
    pub fn rename_folder(&mut self, from: &Folder, to: &Folder) -> Result<(), StoreError> {
        let (Folder::Own(old), Folder::Own(new)) = (from, to) else {
            return Err(StoreError::NotStored(
                t!("folder.builtin_fixed", name = from.label()).into(),
            ));
        };
        if !self.has_folder(from) {
            return Err(StoreError::NotStored(
                t!("folder.no_such", name = from.name()).into(),
            ));
        }
        if self.has_folder(to) {
            return Err(StoreError::NotStored(
                t!("folder.exists", name = to.name()).into(),
            ));
        }
        if new.starts_with(&format!("{old}/")[..]) {
            return Err(StoreError::NotStored(
                t!("folder.into_itself", name = old.as_ref()).into(),
            ));
        }
        let moving: Vec<Folder> = self
            .folders()
            .into_iter()
            .filter(|f| f == from || f.name().starts_with(&format!("{old}/")))
            .collect();
        if let Some(parent) = new.rsplit_once('/').map(|(p, _)| p) {
            self.create_folder(&Folder::Own(std::sync::Arc::from(parent)))?;
        }
        for f in &moving {
            let renamed = Folder::Own(std::sync::Arc::from(format!(
                "{new}{}",
                &f.name()[old.len()..]
            )));
            let (a, b) = (self.folder_dir(f), self.folder_dir(&renamed));
            fs::rename(&a, &b).map_err(|e| io_err(&a, e))?;
        }
        let parent = self.root.join(types::OWN_PARENT);
        maildir::sync_dir(&parent).map_err(|e| io_err(&parent, e))?;
        let (old, new) = (old.to_string(), new.to_string());
        let like = format!("{}/%", escape_like(&old));
        self.with_index(|i| {
            i.conn.execute(
                "UPDATE messages SET folder = ?2 || substr(folder, length(?1) + 1)
                 WHERE folder = ?1 OR folder LIKE ?3 ESCAPE '\\'",
                rusqlite::params![old, new, like],
            )?;
            Ok(())
        })
    }

    /// Deletes one of the user's folders and its sub-folders: every message
    /// goes to Trash first (never away), then the empty directories go.
    /// Returns how many messages went to Trash.
    pub fn delete_folder(&mut self, f: &Folder) -> Result<usize, StoreError> {
        let Folder::Own(name) = f else {
            return Err(StoreError::NotStored(
                t!("folder.builtin_fixed", name = f.label()).into(),
            ));
        };
        if !self.has_folder(f) {
            return Err(StoreError::NotStored(
                t!("folder.no_such", name = f.name()).into(),
            ));
        }
        let prefix = format!("{name}/");
        let mut doomed: Vec<Folder> = self
            .folders()
            .into_iter()
            .filter(|g| g == f || g.name().starts_with(&prefix))
            .collect();
        // Deepest first, so a parent is empty when its turn comes.
        doomed.sort_by_key(|g| std::cmp::Reverse(g.depth()));
        // Files the index may not know yet (put there by mutt) first: one
        // pass over the store, not one per folder deleted.
        self.reconcile()?;
        let mut trashed = 0;
        for g in &doomed {
            let uidls: Vec<String> = self
                .load(g)?
                .into_iter()
                .map(|r| r.uidl.to_string())
                .collect();
            let filed = self.file_many(&uidls, &Folder::Trash, false)?;
            trashed += filed.done.len();
            // Rows with no stored copy (known by headers only) go back to INBOX.
            for u in filed.not_stored {
                self.with_index(|i| i.unstore(&u))?;
            }
            let dir = self.folder_dir(g);
            maildir::clean_tmp(&dir);
            for sub in maildir::SUBDIRS {
                let p = dir.join(sub);
                match fs::remove_dir(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&p, e)),
                }
            }
            for extra in [
                "maildirfolder",
                "dovecot-uidlist",
                "dovecot-keywords",
                "dovecot.index",
                "dovecot.index.cache",
                "dovecot.index.log",
            ] {
                let _ = fs::remove_file(dir.join(extra));
            }
            fs::remove_dir(&dir).map_err(|e| io_err(&dir, e))?;
        }
        let parent = self.root.join(types::OWN_PARENT);
        maildir::sync_dir(&parent).map_err(|e| io_err(&parent, e))?;
        Ok(trashed)
    }

    /// Moves (or, with `copy`, copies) stored messages to `to`, creating it
    /// when it is one of the user's and missing. Keeps each file's exact
    /// bytes and flags, and a moved message's UIDL; a copy is a new local
    /// message (a UIDL names one message). Every file is durable in `to`
    /// before the index is told.
    pub fn file_many(
        &mut self,
        uidls: &[String],
        to: &Folder,
        copy: bool,
    ) -> Result<Filed, StoreError> {
        self.create_folder(to)?;
        let dst = self.folder_dir(to);
        let mut filed = Filed::default();
        // (uidl, new file, flags to record, new summary for a copy)
        let mut moved: Vec<(String, String, Flags)> = Vec::new();
        let mut copies: Vec<(String, String, u64, Flags, String)> = Vec::new();
        let mut touched: std::collections::BTreeSet<PathBuf> = Default::default();
        let mut result = Ok(());
        for uidl in uidls {
            let Some((from, rel)) = self.with_index(|i| i.file(uidl))? else {
                filed.not_stored.push(uidl.clone());
                continue;
            };
            let recorded = self.with_index(|i| i.get(uidl))?.map(|r| r.flags);
            let name_flags = maildir::FileName::parse(rel.rsplit('/').next().unwrap_or(&rel)).flags;
            let flags = recorded.map_or(name_flags, |r| r.from_name_keeping(name_flags));
            let src = self.folder_dir(&from);
            if copy {
                let bytes = match fs::read(src.join(&rel)) {
                    Ok(b) => b,
                    Err(e) => {
                        result = Err(io_err(&src.join(&rel), e));
                        break;
                    }
                };
                match maildir::write_tmp(&dst, None, &bytes) {
                    Ok((tmp, base)) => {
                        let new_rel = match maildir::place_tmp(&dst, &tmp, &base, flags.in_name()) {
                            Ok(r) => r,
                            Err(e) => {
                                let _ = fs::remove_file(&tmp);
                                result = Err(io_err(&dst, e));
                                break;
                            }
                        };
                        copies.push((
                            uidl.clone(),
                            new_rel,
                            bytes.len() as u64,
                            flags,
                            format!(" L{base}"),
                        ));
                    }
                    Err(e) => {
                        result = Err(io_err(&dst, e));
                        break;
                    }
                }
            } else {
                if from == *to {
                    filed.done.push(uidl.clone());
                    continue;
                }
                match maildir::rename_unsynced(&src, &rel, &dst, flags.in_name()) {
                    Ok(new_rel) => {
                        touched.insert(src.join(rel.split('/').next().unwrap_or("cur")));
                        moved.push((uidl.clone(), new_rel, flags));
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        self.with_index(|i| i.unstore(uidl))?;
                        filed.not_stored.push(uidl.clone());
                    }
                    Err(e) => {
                        result = Err(io_err(&src, e));
                        break;
                    }
                }
            }
        }
        // Durable in the new folder first, then gone from the old ones.
        for sub in ["cur", "new"] {
            let d = dst.join(sub);
            maildir::sync_dir(&d).map_err(|e| io_err(&d, e))?;
        }
        for d in touched {
            maildir::sync_dir(&d).map_err(|e| io_err(&d, e))?;
        }
        let to_name = to.clone();
        let decode = self.decode;
        let dst_dir = dst.clone();
        let recorded_moves = moved.clone();
        self.with_index(|i| {
            let tx = i.conn.transaction()?;
            {
                let mut st = tx.prepare_cached(
                    "UPDATE messages SET folder = ?2, file = ?3, flags = ?4 WHERE uidl = ?1",
                )?;
                for (u, rel, flags) in &recorded_moves {
                    st.execute(rusqlite::params![
                        u,
                        to_name.name(),
                        rel,
                        flags.bits() as i64
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })?;
        filed.done.extend(moved.into_iter().map(|(u, _, _)| u));
        for (uidl, rel, size, flags, id) in copies {
            let head = maildir::read_summary_sample(&dst_dir.join(&rel)).unwrap_or_default();
            let summary = Summary::from_headers(&head, &decode);
            self.with_index(|i| i.stored(&id, to, &rel, size, flags, false, Some(&summary)))?;
            filed.done.push(uidl);
            filed.copies.push(id);
        }
        result.map(|()| filed)
    }

    /// Every message received and filed away from INBOX (Trash, Junk and
    /// the user's folders): what a session must know besides INBOX (which it
    /// has read already) so that a message filed away is neither shown in
    /// INBOX again nor downloaded twice.
    pub fn load_filed(&mut self) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::new();
        for f in self.folders() {
            if !matches!(f, Folder::Inbox | Folder::Sent | Folder::Drafts) {
                rows.extend(self.load(&f)?);
            }
        }
        Ok(rows)
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
