//! Mail brought in from elsewhere (`postie import`): a batch is written to
//! `tmp/` unsynced, made durable with one syncfs, renamed into place with
//! each directory synced once, then recorded in one index transaction. Each
//! message's id (`" I"` and a digest of its bytes, which hold its
//! Message-ID) is in its file name, so after a kill at any point the next
//! start adopts what was renamed under that id, and a second run of the
//! same import stores nothing twice.

use std::collections::HashSet;
use std::fs;

use super::*;

/// The start of an imported message's id: a space, so never a server's UIDL.
pub const IMPORT_PREFIX: &str = " I";

/// An imported message's id: its bytes' digest.
pub fn import_id(bytes: &[u8]) -> String {
    use md5::Digest;
    let d = md5::Md5::digest(bytes);
    let mut id = String::with_capacity(IMPORT_PREFIX.len() + 32);
    id.push_str(IMPORT_PREFIX);
    for b in d {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// One message to import: its id, bytes and flags.
pub type Incoming = (String, Arc<[u8]>, Flags);

impl Store {
    /// The ids of every imported message stored now.
    pub fn imported_ids(&mut self) -> Result<HashSet<String>, StoreError> {
        Ok(self
            .with_index(|i| i.ids_like(IMPORT_PREFIX))?
            .into_iter()
            .collect())
    }

    /// Stores `items` in `folder` (made when missing), durably, and records
    /// them with their renderings for the index (asked of `rendered` once
    /// they are written, so that they can be made meanwhile: in the same
    /// order; None: read from the headers, the text indexed later); returns
    /// how many. The caller leaves out ids already stored.
    pub fn import_batch(
        &mut self,
        folder: &Folder,
        items: &[Incoming],
        rendered: impl FnOnce() -> Vec<Option<super::texts::Indexed>>,
    ) -> Result<usize, StoreError> {
        if items.is_empty() {
            return Ok(0);
        }
        // Phase times for `POSTIE_TIMINGS` (the import bench).
        let mut t = std::time::Instant::now();
        let lap = |name: &str, t: &mut std::time::Instant| {
            crate::timings::record(name, t.elapsed().as_secs_f64() * 1000.0);
            *t = std::time::Instant::now();
        };
        self.create_folder(folder)?;
        let dir = self.folder_dir(folder);
        let rels = write_durably(&dir, items)?;
        lap("import-write-sync-rename-ms", &mut t);
        let rendered = rendered();
        lap("import-render-wait-ms", &mut t);
        let rows: Vec<(String, String, u64, Flags)> = items
            .iter()
            .zip(rels)
            .map(|((id, bytes, flags), rel)| (id.clone(), rel, bytes.len() as u64, *flags))
            .collect();
        let mut words = Vec::with_capacity(items.len());
        let sums: Vec<(Uidl, Arc<Summary>)> = items
            .iter()
            .zip(rendered)
            .map(|((id, bytes, _), r)| {
                let (w, summary) = r.unwrap_or_default();
                if !w.is_empty() || summary.is_some() {
                    words.push((id.clone(), w));
                }
                let summary = summary.unwrap_or_else(|| {
                    Arc::new(Summary::from_headers(
                        maildir::summary_sample(bytes),
                        &self.decode,
                    ))
                });
                (Uidl::from(id.as_str()), summary)
            })
            .collect();
        self.with_index(|i| i.stored_many(folder, &rows, false))?;
        // Imported ids are not the server's (`Store::put_summaries` would
        // leave them out): the index is told directly.
        self.with_index(|i| i.put_summaries(&sums))?;
        self.with_index(|i| i.put_words_of(&words))?;
        lap("import-index-ms", &mut t);
        Ok(items.len())
    }
}

/// Writes `items` to `dir`'s `tmp/` unsynced, syncs them with one syncfs and
/// renames them into place (each directory synced once); returns their
/// names. On an error the temporary files are removed.
fn write_durably(dir: &Path, items: &[Incoming]) -> Result<Vec<String>, StoreError> {
    let mut written = Vec::with_capacity(items.len());
    let cleanup = |written: &[(PathBuf, maildir::FileName)]| {
        for (tmp, _) in written {
            let _ = fs::remove_file(tmp);
        }
    };
    for (id, bytes, flags) in items {
        match maildir::write_tmp_unsynced(dir, Some(id), bytes) {
            Ok((tmp, base)) => written.push((tmp, maildir::name_for(&base, flags.in_name()))),
            Err(e) => {
                cleanup(&written);
                return Err(io_err(dir, e));
            }
        }
    }
    if let Err(e) = maildir::sync_fs(dir) {
        cleanup(&written);
        return Err(io_err(dir, e));
    }
    maildir::commit_many(dir, &written).map_err(|e| {
        cleanup(&written);
        io_err(dir, e)
    })
}
