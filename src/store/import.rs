//! Mail brought in from elsewhere (`postie import`): a batch is written to
//! `tmp/` unsynced, made durable with one syncfs, renamed into place with
//! each directory synced once, then recorded in the index (with what the
//! full-text index keeps of it), after the next batch has been written. Each
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

    /// Stores `items` in `folder` (made when missing), durably; they are
    /// recorded in the index by `import_record` (meanwhile they are safe:
    /// after a kill the next start adopts them by their ids). The caller
    /// leaves out ids already stored.
    pub fn import_write(
        &mut self,
        folder: &Folder,
        items: &[Incoming],
    ) -> Result<Written, StoreError> {
        let t = std::time::Instant::now();
        let mut rows = Vec::new();
        if !items.is_empty() {
            self.create_folder(folder)?;
            let rels = write_durably(&self.folder_dir(folder), items)?;
            rows = items
                .iter()
                .zip(rels)
                .map(|((id, bytes, flags), rel)| (id.clone(), rel, bytes.len() as u64, *flags))
                .collect();
        }
        crate::timings::record(
            "import-write-sync-rename-ms",
            t.elapsed().as_secs_f64() * 1000.0,
        );
        Ok(Written {
            folder: folder.clone(),
            rows,
        })
    }

    /// Records a written batch with its renderings for the index (in the
    /// same order; None: no summary or text yet, both read from the file
    /// later); returns how many.
    pub fn import_record(
        &mut self,
        written: &Written,
        rendered: Vec<Option<super::texts::Indexed>>,
    ) -> Result<usize, StoreError> {
        let t = std::time::Instant::now();
        self.with_index(|i| i.import_rows(&written.folder, &written.rows, &rendered))?;
        crate::timings::record("import-index-ms", t.elapsed().as_secs_f64() * 1000.0);
        Ok(written.rows.len())
    }
}

/// A batch written to disk (durable, in place) and not yet recorded.
pub struct Written {
    pub folder: Folder,
    /// (id, file name, size, flags) of each message, in order.
    pub rows: Vec<(String, String, u64, Flags)>,
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
