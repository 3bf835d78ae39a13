//! Whether the index can be trusted without reading every folder: what
//! lets `postie fetch` with nothing new skip the Maildir scan (10,000
//! names read and compared) that `reconcile` does.
//!
//! Every store session holds a shared lock on `store.lock` and is counted
//! in the index (`sessions`). The last one to close (it gets the lock
//! exclusively: nobody else has the store open) records the folders'
//! directory times (`fingerprint`) and sets the count to zero. A session
//! may then skip the scan only if it found the count at zero (every earlier
//! session closed cleanly: none was killed between renaming files into a
//! folder and recording them) and the directories' times are still those
//! recorded (no file was added, removed or renamed since, by postie or any
//! other program). A session that finds sessions ended without closing
//! reads every folder; the last to close after such a session reads them
//! again (others may have died after it looked), then records.

use std::fs::{self, File};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use rustix::fs::{flock, FlockOperation};

use super::{types, Store, StoreError};

const LOCK_FILE: &str = "store.lock";
const FINGERPRINT: &str = "fingerprint";

/// This session's part in the count.
#[derive(Default)]
pub(super) struct Session {
    /// Held shared while the store is open.
    lock: Option<File>,
    /// The fingerprint recorded when every earlier session had closed.
    trusted: Option<String>,
    counted: bool,
}

/// A directory's modification time, to the nanosecond ("-" when missing).
fn stamp(path: &Path) -> String {
    fs::symlink_metadata(path).map_or_else(
        |_| "-".to_string(),
        |m| format!("{}.{}", m.mtime(), m.mtime_nsec()),
    )
}

impl Store {
    /// Joins the sessions of this store (at open).
    pub(super) fn begin_session(&mut self) {
        let lock = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.root.join(LOCK_FILE))
            .ok()
            .filter(shared);
        match self.with_index(|i| i.count_session(1, FINGERPRINT)) {
            Ok((before, fingerprint)) => {
                self.session.counted = true;
                if before == 0 && lock.is_some() {
                    self.session.trusted = fingerprint;
                }
            }
            Err(e) => tracing::warn!("cannot count this store session: {e}"),
        }
        self.session.lock = lock;
    }

    /// The folders' directory times, as one string.
    fn fingerprint(&self) -> String {
        // Not the root's own time: the index's write-ahead log comes and goes there.
        let mut out = stamp(&self.root.join(types::OWN_PARENT));
        for f in self.folders() {
            let dir = self.folder_dir(&f);
            out.push_str(&format!(
                " {}:{}:{}",
                f.dir_name(),
                stamp(&dir.join("new")),
                stamp(&dir.join("cur"))
            ));
        }
        out
    }

    /// `reconcile`, unless the index is known to agree with the folders (see
    /// the module's comment). Returns whether the folders were read.
    pub fn reconcile_unless_sound(&mut self) -> Result<bool, StoreError> {
        if self
            .session
            .trusted
            .as_deref()
            .is_some_and(|t| t == self.fingerprint())
        {
            return Ok(false);
        }
        self.reconcile()?;
        Ok(true)
    }

    /// Leaves the sessions (the store is closing).
    fn end_session(&mut self) {
        if !self.session.counted {
            return;
        }
        let remaining = match self.with_index(|i| i.count_session(-1, FINGERPRINT)) {
            Ok((before, _)) => before - 1,
            Err(e) => {
                tracing::warn!("cannot count this store session out: {e}");
                return;
            }
        };
        let Some(lock) = self.session.lock.take() else {
            return;
        };
        // Alone (nobody else has the store open): this session speaks for all.
        if flock(&lock, FlockOperation::NonBlockingLockExclusive).is_err() {
            return;
        }
        // Some session ended without closing: what it left is taken up now.
        if remaining != 0 && self.reconcile().is_err() {
            let _ = self.with_index(|i| i.set_meta_and_sessions(FINGERPRINT, None, 0));
            return;
        }
        let fingerprint = self.fingerprint();
        if let Err(e) =
            self.with_index(|i| i.set_meta_and_sessions(FINGERPRINT, Some(&fingerprint), 0))
        {
            tracing::warn!("cannot record the folders' state: {e}");
        }
        drop(lock);
    }
}

/// A shared lock, waiting at most two seconds for a closing session.
fn shared(f: &File) -> bool {
    for _ in 0..200 {
        if flock(f, FlockOperation::NonBlockingLockShared).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

impl Drop for Store {
    fn drop(&mut self) {
        self.end_session();
    }
}
