//! Messages written here rather than retrieved: drafts (edited in place in
//! `Drafts/cur/`, so whatever the editor saved is in Drafts even if postie
//! dies meanwhile) and the copies of sent mail in `Sent/`. Blocking; on the
//! store thread like the rest of the store.

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use super::{io_err, maildir, Flags, Folder, Store, StoreError};
use crate::mime::Summary;

impl Store {
    /// Writes a new message into `folder` under a local id; returns the id and its file.
    pub fn put_local(
        &mut self,
        folder: Folder,
        bytes: &[u8],
        flags: Flags,
    ) -> Result<(String, PathBuf), StoreError> {
        let dir = self.folder_dir(&folder);
        let rel = maildir::deliver(&dir, None, bytes, flags).map_err(|e| io_err(&dir, e))?;
        let name = maildir::FileName::parse(rel.rsplit('/').next().unwrap_or(&rel));
        let id = format!(" L{}", name.base);
        let summary = Summary::from_headers(bytes, &self.decode);
        let size = bytes.len() as u64;
        self.with_index(|i| i.stored(&id, &folder, &rel, size, flags, false, Some(&summary)))?;
        Ok((id, dir.join(rel)))
    }

    /// Replaces a local message's bytes (a draft saved again), atomically:
    /// written beside it, synced, renamed over it.
    pub fn rewrite(&mut self, id: &str, bytes: &[u8]) -> Result<PathBuf, StoreError> {
        let Some((folder, rel)) = self.with_index(|i| i.file(id))? else {
            return Err(StoreError::NotStored(format!(
                "{} is no longer stored",
                id.trim()
            )));
        };
        let dir = self.folder_dir(&folder);
        let path = dir.join(&rel);
        let base = maildir::unique_name(None, bytes.len() as u64);
        let (tmp, mut file) = maildir::create_tmp(&dir, &base).map_err(|e| io_err(&dir, e))?;
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::rename(&tmp, &path))
            .and_then(|()| maildir::sync_dir(path.parent().unwrap_or(&dir)));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(&path, e));
        }
        self.refresh(id)?;
        Ok(path)
    }

    /// Reads a local message's headers and size again (after an editor saved it).
    pub fn refresh(&mut self, id: &str) -> Result<(), StoreError> {
        let Some((folder, rel)) = self.with_index(|i| i.file(id))? else {
            return Ok(());
        };
        let path = self.folder_dir(&folder).join(&rel);
        let head = match maildir::read_head(&path) {
            Ok(h) => h,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return self.with_index(|i| i.unstore(id));
            }
            Err(e) => return Err(io_err(&path, e)),
        };
        let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let summary = Summary::from_headers(&head, &self.decode);
        let flags = maildir::FileName::parse(rel.rsplit('/').next().unwrap_or(&rel)).flags;
        self.with_index(|i| i.stored(id, &folder, &rel, size, flags, false, Some(&summary)))
    }

    /// A new private directory for a draft's files (a forwarded message's
    /// attachments), kept until the draft is sent or abandoned.
    pub fn new_draft_files(&self) -> Result<PathBuf, StoreError> {
        let top = self.root.join("draft-files");
        maildir::private_dir(&top).map_err(|e| io_err(&top, e))?;
        let dir = top.join(maildir::unique_name(None, 0));
        maildir::private_dir(&dir).map_err(|e| io_err(&dir, e))?;
        Ok(dir)
    }

    /// Removes the draft-files directories among `paths` (files the user
    /// attached from elsewhere are never touched).
    pub fn remove_draft_files(&self, paths: &[PathBuf]) {
        let top = self.root.join("draft-files");
        for p in paths {
            let Ok(rest) = p.strip_prefix(&top) else {
                continue;
            };
            if let Some(first) = rest.components().next() {
                let _ = fs::remove_dir_all(top.join(first));
            }
        }
    }
}
