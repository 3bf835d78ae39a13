//! Putting mail into the store durably: each file written to `tmp/`,
//! fsynced, renamed into `cur/` and the directory synced before the index
//! records it (so nothing is acknowledged to the server before it is safe).

use std::path::PathBuf;

use super::*;

impl Store {
    /// `flags` plus those recorded before the message was kept (opening it
    /// marks it seen before its bytes are in).
    pub(super) fn with_recorded_flags(
        &mut self,
        id: &str,
        flags: Flags,
    ) -> Result<Flags, StoreError> {
        let recorded = self
            .with_index(|i| i.get(id))?
            .map_or(Flags::default(), |r| r.flags);
        Ok(flags.with(recorded))
    }

    /// Stores a retrieved message's exact bytes in INBOX (flags as given).
    pub fn deliver(
        &mut self,
        uidl: &Uidl,
        bytes: &[u8],
        flags: Flags,
        summary: Option<&Summary>,
    ) -> Result<(), StoreError> {
        let Some(id) = uidl.durable() else {
            return Err(StoreError::NotStored(
                "a message without a unique UIDL is never stored".into(),
            ));
        };
        if self.with_index(|i| i.file(id))?.is_some() {
            return Ok(());
        }
        let flags = self.with_recorded_flags(id, flags)?;
        let dir = self.folder_dir(&Folder::Inbox);
        let rel = maildir::deliver(&dir, Some(id), bytes, flags).map_err(|e| io_err(&dir, e))?;
        self.with_index(|i| {
            i.stored(
                id,
                &Folder::Inbox,
                &rel,
                bytes.len() as u64,
                flags,
                true,
                summary,
            )
        })
    }

    /// Stores a message already written (and not yet synced) in `tmp` inside
    /// INBOX/tmp/ (the large-message path: never whole in memory).
    pub fn deliver_tmp(
        &mut self,
        uidl: &Uidl,
        tmp: &tempfile::NamedTempFile,
        flags: Flags,
    ) -> Result<PathBuf, StoreError> {
        let Some(id) = uidl.durable() else {
            return Err(StoreError::NotStored(
                "a message without a unique UIDL is never stored".into(),
            ));
        };
        let dir = self.folder_dir(&Folder::Inbox);
        if let Some((folder, rel)) = self.with_index(|i| i.file(id))? {
            return Ok(self.folder_dir(&folder).join(rel));
        }
        let flags = self.with_recorded_flags(id, flags)?;
        let size = tmp.as_file().metadata().map_err(|e| io_err(&dir, e))?.len();
        let base = maildir::unique_name(Some(id), size);
        let name = maildir::name_for(&base, flags);
        // Renamed away from its temp path, so dropping `tmp` removes nothing.
        let rel =
            maildir::commit(&dir, tmp.path(), tmp.as_file(), &name).map_err(|e| io_err(&dir, e))?;
        let path = dir.join(&rel);
        let head = maildir::read_summary_sample(&path).unwrap_or_default();
        let summary = Summary::from_headers(&head, &self.decode);
        self.with_index(|i| i.stored(id, &Folder::Inbox, &rel, size, flags, true, Some(&summary)))?;
        Ok(path)
    }

    /// Stores many retrieved messages in INBOX: each written to `tmp/` and
    /// fsynced, all renamed into `new/`, the directory synced once, then one
    /// index transaction. Messages already stored, or without a durable
    /// UIDL, are skipped. Returns how many were stored. A failure part way
    /// leaves at worst files in `new/` without index rows (adopted later).
    pub fn deliver_batch(&mut self, items: &[(Uidl, Vec<u8>)]) -> Result<usize, StoreError> {
        self.deliver_batch_to(&Folder::Inbox, Flags::default(), items)
    }

    /// `deliver_batch` into `folder` (created when missing) with `flags`:
    /// new mail a rule files goes straight where it belongs, once.
    pub fn deliver_batch_to(
        &mut self,
        folder: &Folder,
        flags: Flags,
        items: &[(Uidl, Vec<u8>)],
    ) -> Result<usize, StoreError> {
        self.create_folder(folder)?;
        let dir = self.folder_dir(folder);
        let mut wanted: Vec<(&str, &[u8])> = Vec::with_capacity(items.len());
        for (uidl, bytes) in items {
            let Some(id) = uidl.durable() else { continue };
            if self.with_index(|i| i.file(id))?.is_some() {
                continue;
            }
            wanted.push((id, bytes));
        }
        let batch: Vec<(Option<&str>, &[u8])> = wanted
            .iter()
            .map(|(id, bytes)| (Some(*id), *bytes))
            .collect();
        let written: Vec<(std::path::PathBuf, maildir::FileName)> =
            maildir::write_tmp_batch(&dir, &batch)
                .map_err(|e| io_err(&dir, e))?
                .into_iter()
                .map(|(tmp, base)| (tmp, maildir::name_for(&base, flags.in_name())))
                .collect();
        let rows: Vec<(String, u64)> = wanted
            .iter()
            .map(|(id, bytes)| (id.to_string(), bytes.len() as u64))
            .collect();
        let rels = match maildir::commit_many(&dir, &written) {
            Ok(r) => r,
            Err(e) => {
                for (tmp, _) in &written {
                    let _ = fs::remove_file(tmp);
                }
                return Err(io_err(&dir, e));
            }
        };
        let index_rows: Vec<(String, String, u64, Flags)> = rows
            .into_iter()
            .zip(rels)
            .map(|((u, size), rel)| (u, rel, size, flags))
            .collect();
        let n = index_rows.len();
        // Listed at once from the header block (a fetch from cron, then
        // `postie list --offline`); the reader replaces it with the one read
        // from the whole file when it indexes the text.
        let sums: Vec<(Uidl, Arc<Summary>)> = wanted
            .iter()
            .map(|(id, bytes)| {
                (
                    Uidl::from(*id),
                    Arc::new(Summary::from_headers(
                        maildir::summary_sample(bytes),
                        &self.decode,
                    )),
                )
            })
            .collect();
        self.with_index(|i| i.stored_many(folder, &index_rows, true))?;
        self.put_summaries(&sums)?;
        Ok(n)
    }

    /// Stores messages that have no usable UIDL, under local ids, as mail
    /// no policy deletes: a server without UIDL (fetched with
    /// leave_on_server = "never", each message a new one), or messages
    /// whose UIDL the server gave to several (`by_content`: named by a
    /// digest of their bytes, so a later run does not store them twice).
    pub fn deliver_unnamed(
        &mut self,
        items: &[Vec<u8>],
        by_content: bool,
    ) -> Result<usize, StoreError> {
        use md5::Digest;
        let dir = self.folder_dir(&Folder::Inbox);
        let mut written = Vec::with_capacity(items.len());
        let mut ids = Vec::with_capacity(items.len());
        let mut kept = Vec::with_capacity(items.len());
        for bytes in items {
            let id = by_content.then(|| {
                let d = md5::Md5::digest(bytes);
                format!(
                    " D{}",
                    d.iter().map(|b| format!("{b:02x}")).collect::<String>()
                )
            });
            if let Some(id) = &id {
                if self.with_index(|i| i.get(id))?.is_some() || ids.contains(&Some(id.clone())) {
                    continue;
                }
            }
            ids.push(id);
            kept.push(bytes);
        }
        let batch: Vec<(Option<&str>, &[u8])> = kept.iter().map(|b| (None, b.as_slice())).collect();
        for (tmp, base) in maildir::write_tmp_batch(&dir, &batch).map_err(|e| io_err(&dir, e))? {
            written.push((tmp, maildir::name_for(&base, Flags::default())));
        }
        let rels = maildir::commit_many(&dir, &written).map_err(|e| io_err(&dir, e))?;
        for (((_, name), (rel, bytes)), id) in written.iter().zip(rels.iter().zip(&kept)).zip(ids) {
            let head = maildir::read_summary_sample(&dir.join(rel)).unwrap_or_default();
            let summary = Summary::from_headers(&head, &self.decode);
            let id = id.unwrap_or_else(|| format!(" L{}", name.base));
            self.with_index(|i| {
                i.stored(
                    &id,
                    &Folder::Inbox,
                    rel,
                    bytes.len() as u64,
                    Flags::default(),
                    false,
                    Some(&summary),
                )
            })?;
        }
        Ok(kept.len())
    }

    /// A message deleted on the server (QUIT committed): its local copy, if
    /// any, goes to Trash; without one it leaves the index.
    pub fn deleted_on_server(&mut self, uidl: &str) -> Result<(), StoreError> {
        if self.move_to(uidl, &Folder::Trash)? {
            self.with_index(|i| i.set_on_server(uidl, false))
        } else {
            self.with_index(|i| i.remove(uidl))
        }
    }
}
