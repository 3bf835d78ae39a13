//! The local store, per account under `$XDG_DATA_HOME/postie/ACCOUNT/`:
//! Maildir folders (the durable truth: bytes and flags) and a SQLite index
//! (rebuildable from them). All of it is blocking code, reached from async
//! code only through `StoreHandle`, which runs it on the store's own thread.

mod deliver;
pub mod download;
#[cfg(test)]
mod folder_tests;
mod folders;
mod fresh;
mod handle;
pub mod import;
pub mod index;
pub mod maildir;
pub mod names;
mod open;
mod outbox;
pub mod query;
mod sound;
#[cfg(test)]
mod sound_tests;
#[cfg(test)]
mod tests;
pub mod texts;
mod types;
pub mod words;

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use folders::Filed;
pub use fresh::FreshRow;
pub use handle::{FirstFailure, StoreGone, StoreHandle};
pub use index::{Index, IndexError, Row};
pub use types::{
    account_key, default_root, Candidates, Flags, Folder, FolderNameError, StoreError,
};
use types::{decode_key, io_err};

use crate::mime::{DecodeOptions, Summary};
use crate::uidl::Uidl;

const INDEX_FILE: &str = "index.sqlite";

pub struct Store {
    root: PathBuf,
    key: String,
    decode: DecodeOptions,
    index: Index,
    /// What `open` had to do (an index moved aside, rebuilt), in plain words.
    pub notes: Vec<String>,
    /// The index was rebuilt because it did not list every file (only once).
    rebuilt_for_lookups: bool,
    /// The lookup of texts waiting to be indexed was rebuilt (only once), and
    /// after that still named messages already indexed: text indexing is
    /// off for this run rather than looping for ever.
    texts_reindexed: bool,
    texts_stuck: bool,
    /// This session's part in the count that tells whether the index can
    /// be trusted without reading every folder (`sound`).
    session: sound::Session,
}

impl Store {
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn folder_dir(&self, f: &Folder) -> PathBuf {
        self.root.join(f.dir_name())
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn index_mut(&mut self) -> &mut Index {
        &mut self.index
    }

    /// Runs an index operation; if the index turns out to be damaged, moves it
    /// aside, rebuilds it from the Maildir and runs the operation again.
    pub fn with_index<T>(
        &mut self,
        mut f: impl FnMut(&mut Index) -> Result<T, IndexError>,
    ) -> Result<T, StoreError> {
        match f(&mut self.index) {
            Ok(v) => Ok(v),
            Err(IndexError::Damaged(why)) => {
                self.recover(&why)?;
                Ok(f(&mut self.index)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every message of `folder`, newest first.
    pub fn load(&mut self, folder: &Folder) -> Result<Vec<Row>, StoreError> {
        self.with_index(|i| i.load(folder))
    }

    /// The newest `limit` messages of `folder`.
    pub fn load_newest(&mut self, folder: &Folder, limit: usize) -> Result<Vec<Row>, StoreError> {
        self.with_index(|i| i.load_newest(folder, limit))
    }

    /// Makes the index agree with the Maildir, the durable truth: files the
    /// index lacks are adopted (summary read from the file), flags are taken
    /// from file names, rows whose file has gone lose their stored copy.
    pub fn reconcile(&mut self) -> Result<(), StoreError> {
        self.adopt(true)
    }

    /// Where INBOX's temp files go (a large message streams there).
    pub fn tmp_dir(&self) -> PathBuf {
        self.folder_dir(&Folder::Inbox).join("tmp")
    }

    /// The stored file of a message, if it has one.
    pub fn path(&mut self, uidl: &str) -> Result<Option<PathBuf>, StoreError> {
        Ok(self
            .with_index(|i| i.file(uidl))?
            .map(|(folder, rel)| self.folder_dir(&folder).join(rel)))
    }

    /// Where each stored message of `folder` is, by UIDL: one query, for
    /// whoever reads many of them (`path` asks once a message).
    pub fn files_in(
        &mut self,
        folder: &Folder,
    ) -> Result<std::collections::HashMap<String, PathBuf>, StoreError> {
        let dir = self.folder_dir(folder);
        Ok(self
            .with_index(|i| i.files_of(folder))?
            .into_iter()
            .map(|(u, rel)| (u, dir.join(rel)))
            .collect())
    }

    /// The stored bytes of a message; None when it has no stored copy (or
    /// the file has gone, which the index then learns).
    pub fn read(&mut self, uidl: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(path) = self.path(uidl)? else {
            return Ok(None);
        };
        match maildir::open_regular(&path) {
            Ok(mut f) => {
                let mut buf = Vec::new();
                f.read_to_end(&mut buf).map_err(|e| io_err(&path, e))?;
                Ok(Some(buf))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.with_index(|i| i.unstore(uidl))?;
                Ok(None)
            }
            Err(e) => Err(io_err(&path, e)),
        }
    }

    /// Sets a message's flags: in the file name when it is stored (the
    /// durable place), and in the index.
    pub fn set_flags(&mut self, uidl: &str, flags: Flags) -> Result<(), StoreError> {
        if Uidl::from(uidl).is_session() {
            return Ok(());
        }
        match self.with_index(|i| i.file(uidl))? {
            Some((folder, rel)) => {
                let dir = self.folder_dir(&folder);
                let new_rel = match maildir::rename(&dir, &rel, &dir, flags.in_name()) {
                    Ok(r) => r,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        self.with_index(|i| i.unstore(uidl))?;
                        return self.with_index(|i| i.set_flags(uidl, flags, None));
                    }
                    Err(e) => return Err(io_err(&dir, e)),
                };
                self.with_index(|i| i.set_flags(uidl, flags, Some(&new_rel)))
            }
            None => self.with_index(|i| i.set_flags(uidl, flags, None)),
        }
    }

    /// Adds `flag` to the flags the message has (seen, $MDNSent).
    pub fn add_flag(&mut self, uidl: &str, flag: Flags) -> Result<(), StoreError> {
        let flags = self.with_recorded_flags(uidl, flag)?;
        self.set_flags(uidl, flags)
    }

    /// Moves a stored message to another folder (Trash, or back to INBOX).
    /// A message with no stored copy has nothing to move: Ok(false).
    pub fn move_to(&mut self, uidl: &str, to: &Folder) -> Result<bool, StoreError> {
        let Some((from, rel)) = self.with_index(|i| i.file(uidl))? else {
            return Ok(false);
        };
        if from == *to {
            return Ok(true);
        }
        let flags = maildir::FileName::parse(rel.rsplit('/').next().unwrap_or(&rel)).flags;
        // The index-only flags ($MDNSent) go along.
        let recorded = self
            .with_index(|i| i.get(uidl))?
            .map_or(flags, |r| r.flags.from_name_keeping(flags));
        let (src, dst) = (self.folder_dir(&from), self.folder_dir(to));
        let new_rel = maildir::rename(&src, &rel, &dst, flags).map_err(|e| io_err(&src, e))?;
        self.with_index(|i| i.set_folder(uidl, to, &new_rel, recorded))?;
        Ok(true)
    }

    /// The stored messages that answer a policy's question (`sync::policy::deletions`).
    pub fn policy_deletions(&mut self, candidates: Candidates) -> Result<Vec<String>, StoreError> {
        match candidates {
            Candidates::Nothing => Ok(Vec::new()),
            Candidates::StoredBefore(cutoff) => self.with_index(|i| i.stored_on_server(cutoff)),
            Candidates::DeletedHere => self.with_index(|i| i.deleted_here()),
        }
    }

    /// Removes a stored message for good (deleting in Trash).
    pub fn delete(&mut self, uidl: &str) -> Result<(), StoreError> {
        if let Some((folder, rel)) = self.with_index(|i| i.file(uidl))? {
            let dir = self.folder_dir(&folder);
            match fs::remove_file(dir.join(&rel)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&dir, e)),
            }
            let sub = rel.split('/').next().unwrap_or("cur");
            maildir::sync_dir(&dir.join(sub)).map_err(|e| io_err(&dir, e))?;
        }
        // Still on the server: remembered, so `until-deleted` can delete it there.
        match self.with_index(|i| i.get(uidl))? {
            Some(r) if r.on_server => self.with_index(|i| i.tombstone(uidl)),
            _ => self.with_index(|i| i.remove(uidl)),
        }
    }

    /// How this store decodes mail (the config's `decoding`).
    pub fn decode_options(&self) -> DecodeOptions {
        self.decode
    }

    /// Summaries read from the server (`TOP n 0`).
    pub fn put_summaries(&mut self, rows: &[(Uidl, Arc<Summary>)]) -> Result<(), StoreError> {
        // The index skips a session's own UIDLs (no copy of the rows).
        self.with_index(|i| i.put_server_summaries(rows))
    }

    /// Records a server index: new messages get rows, gone ones leave (or
    /// stay as local-only when stored).
    pub fn apply_server_index(
        &mut self,
        new: &[(Uidl, u64)],
        gone: &[Uidl],
    ) -> Result<(), StoreError> {
        // The index skips a session's own UIDLs (no copy of the rows).
        self.with_index(|i| i.apply_server_index(new, gone))
    }
}
