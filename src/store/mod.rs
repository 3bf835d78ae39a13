//! The local store, per account under `$XDG_DATA_HOME/postie/ACCOUNT/`:
//! Maildir folders (the durable truth: bytes and flags) and a SQLite index
//! (rebuildable from them). All of it is blocking code, reached from async
//! code only through `StoreHandle`, which runs it on the store's own thread.

mod handle;
pub mod index;
pub mod maildir;
pub mod names;
mod outbox;
pub mod query;

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use handle::{StoreGone, StoreHandle};
pub use index::{Index, IndexError, Row};

use crate::mime::{DecodeOptions, Summary};
use crate::uidl::Uidl;

/// The folders every account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Folder {
    Inbox,
    Sent,
    Drafts,
    Trash,
}

impl Folder {
    pub const ALL: [Folder; 4] = [Folder::Inbox, Folder::Sent, Folder::Drafts, Folder::Trash];

    /// The directory name (and the name in the index).
    pub fn name(self) -> &'static str {
        match self {
            Folder::Inbox => "INBOX",
            Folder::Sent => "Sent",
            Folder::Drafts => "Drafts",
            Folder::Trash => "Trash",
        }
    }

    pub fn from_name(s: &str) -> Option<Folder> {
        Folder::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Maildir flags, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags(u8);

impl Flags {
    pub const SEEN: Flags = Flags(1);
    pub const FLAGGED: Flags = Flags(2);
    pub const ANSWERED: Flags = Flags(4);
    pub const TRASHED: Flags = Flags(8);
    pub const DRAFT: Flags = Flags(16);
    pub const PASSED: Flags = Flags(32);

    /// In the order the Maildir specification asks for (ASCII).
    const LETTERS: [(char, Flags); 6] = [
        ('D', Flags::DRAFT),
        ('F', Flags::FLAGGED),
        ('P', Flags::PASSED),
        ('R', Flags::ANSWERED),
        ('S', Flags::SEEN),
        ('T', Flags::TRASHED),
    ];

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(b: u8) -> Flags {
        Flags(b & 63)
    }

    pub fn contains(self, f: Flags) -> bool {
        self.0 & f.0 == f.0
    }

    pub fn with(self, f: Flags) -> Flags {
        Flags(self.0 | f.0)
    }

    pub fn without(self, f: Flags) -> Flags {
        Flags(self.0 & !f.0)
    }

    pub fn toggled(self, f: Flags) -> Flags {
        Flags(self.0 ^ f.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The letters after `:2,`.
    pub fn info(self) -> String {
        Flags::LETTERS
            .iter()
            .filter(|(_, f)| self.contains(*f))
            .map(|(c, _)| *c)
            .collect()
    }

    /// Reads the letters after `:2,`; unknown letters are ignored.
    pub fn from_info(info: &str) -> Flags {
        info.chars().fold(Flags::default(), |acc, c| {
            match Flags::LETTERS.iter().find(|(l, _)| *l == c) {
                Some((_, f)) => acc.with(*f),
                None => acc,
            }
        })
    }
}

/// Which mailbox an index is for: the server and the user (a change of port
/// or TLS mode is the same mailbox; another host or user is not, and its
/// UIDLs would name other messages).
pub fn account_key(host: &str, user: &str) -> String {
    format!("{}/{user}", host.to_ascii_lowercase())
}

/// How summaries were decoded: a change makes them be read again.
fn decode_key(decode: &DecodeOptions) -> String {
    format!(
        "fallback={}/strict={}",
        decode.fallback.map(|e| e.name()).unwrap_or("-"),
        decode.strict
    )
}

/// `$XDG_DATA_HOME/postie/ACCOUNT` (default `~/.local/share/postie/ACCOUNT`).
pub fn default_root(account: &str) -> PathBuf {
    crate::paths::xdg_dir("XDG_DATA_HOME", ".local/share")
        .join("postie")
        .join(names::safe_component(account))
}

const INDEX_FILE: &str = "index.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("local store {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("local store index: {0}")]
    Index(#[from] IndexError),
    #[error("{0}")]
    NotStored(String),
}

impl crate::error::Classify for StoreError {
    fn class(&self) -> crate::error::ErrorClass {
        match self {
            StoreError::Index(e) => e.class(),
            StoreError::Io { .. } | StoreError::NotStored(_) => crate::error::ErrorClass::Local,
        }
    }
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// How much of a body goes into the full-text index.
const TEXT_LIMIT: usize = 256 * 1024;

/// The header block of a message file (at most 256 KB), read from the start.
fn read_head(f: &mut std::fs::File) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    f.take(256 * 1024).read_to_end(&mut head)?;
    if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
        head.truncate(end + 4);
    } else if let Some(end) = head.windows(2).position(|w| w == b"\n\n") {
        head.truncate(end + 2);
    }
    Ok(head)
}

/// Which stored messages a policy deletes from the server now, as a
/// question for the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidates {
    /// None.
    Nothing,
    /// Stored messages still on the server, downloaded before this time
    /// (seconds since the epoch), or all of them (None).
    StoredBefore(Option<i64>),
    /// Messages the user deleted here that are still on the server.
    DeletedHere,
}

/// A decoded message as the full-text index keeps it.
fn text_of(r: crate::mime::Rendered) -> index::Text {
    let mut body = r.body;
    if body.len() > TEXT_LIMIT {
        let mut cut = TEXT_LIMIT;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
    index::Text {
        subject: r.subject,
        sender: r.from,
        recipients: format!("{} {}", r.to, r.cc),
        body,
        names: names.join("\n"),
    }
}

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
}

impl Store {
    /// Opens the store at `root` (creating it, 0700), its index checked and,
    /// if it cannot be trusted, moved aside and rebuilt from the Maildir.
    /// Fails only when the folders themselves cannot be made.
    pub fn open(root: &Path, key: &str, decode: DecodeOptions) -> Result<Store, StoreError> {
        maildir::private_dir(root).map_err(|e| io_err(root, e))?;
        for f in Folder::ALL {
            let dir = root.join(f.name());
            maildir::create(&dir).map_err(|e| io_err(&dir, e))?;
        }
        let mut notes = Vec::new();
        // What a crashed download left half-written is removed here.
        for f in Folder::ALL {
            let n = maildir::clean_tmp(&root.join(f.name()));
            if n > 0 {
                tracing::info!("removed {n} unfinished downloads from {}/tmp", f.name());
            }
        }
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
        };
        if fresh {
            store.adopt(trust_uidls)?;
        }
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn folder_dir(&self, f: Folder) -> PathBuf {
        self.root.join(f.name())
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

    fn recover(&mut self, why: &str) -> Result<(), StoreError> {
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

    /// Every message of `folder`, newest first.
    pub fn load(&mut self, folder: Folder) -> Result<Vec<Row>, StoreError> {
        self.with_index(|i| i.load(folder))
    }

    /// The newest `limit` messages of `folder`.
    pub fn load_newest(&mut self, folder: Folder, limit: usize) -> Result<Vec<Row>, StoreError> {
        self.with_index(|i| i.load_newest(folder, limit))
    }

    /// Makes the index agree with the Maildir, the durable truth: files the
    /// index lacks are adopted (summary read from the file), flags are taken
    /// from file names, rows whose file has gone lose their stored copy.
    pub fn reconcile(&mut self) -> Result<(), StoreError> {
        self.adopt(true)
    }

    /// `reconcile`; files are adopted under the UIDL in their names only when
    /// `trust_uidls` (not after another mailbox's index was set aside).
    fn adopt(&mut self, trust_uidls: bool) -> Result<(), StoreError> {
        let known = self.with_index(|i| i.files())?;
        let mut by_file: std::collections::HashMap<(Folder, String), (String, Flags)> = known
            .into_iter()
            .map(|(u, f, file, flags)| ((f, file), (u, flags)))
            .collect();
        let mut adopted: Vec<(Folder, String, maildir::FileName)> = Vec::new();
        let mut on_disk = [0usize; Folder::ALL.len()];
        for (k, folder) in Folder::ALL.into_iter().enumerate() {
            let dir = self.folder_dir(folder);
            let files = maildir::scan(&dir).map_err(|e| io_err(&dir, e))?;
            on_disk[k] = files.len();
            for (rel, name) in files {
                match by_file.remove(&(folder, rel.clone())) {
                    Some((_, flags)) if flags == name.flags => {}
                    Some((uidl, _)) => {
                        self.with_index(|i| i.set_flags(&uidl, name.flags, None))?;
                    }
                    None => adopted.push((folder, rel, name)),
                }
            }
        }
        for ((_, _), (uidl, _)) in by_file {
            self.with_index(|i| i.unstore(&uidl))?;
        }
        for (folder, rel, name) in adopted {
            let path = self.folder_dir(folder).join(&rel);
            let head = maildir::read_head(&path).unwrap_or_default();
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
                    folder,
                    &rel,
                    size,
                    name.flags,
                    on_server,
                    Some(&summary),
                )
            })?;
        }
        self.check_lookups(&on_disk)
    }

    /// Every file on disk must be found the way the list finds it. A damaged
    /// lookup structure inside a file SQLite still calls sound (a flipped
    /// byte) hides messages from the list: rebuild the lookups then.
    fn check_lookups(&mut self, on_disk: &[usize]) -> Result<(), StoreError> {
        let agree = |s: &mut Store| -> Result<bool, StoreError> {
            for (k, folder) in Folder::ALL.into_iter().enumerate() {
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

    /// `flags` plus those recorded before the message was kept (opening it
    /// marks it seen before its bytes are in).
    fn with_recorded_flags(&mut self, id: &str, flags: Flags) -> Result<Flags, StoreError> {
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
        let dir = self.folder_dir(Folder::Inbox);
        let rel = maildir::deliver(&dir, Some(id), bytes, flags).map_err(|e| io_err(&dir, e))?;
        self.with_index(|i| {
            i.stored(
                id,
                Folder::Inbox,
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
        let dir = self.folder_dir(Folder::Inbox);
        if let Some((folder, rel)) = self.with_index(|i| i.file(id))? {
            return Ok(self.folder_dir(folder).join(rel));
        }
        let flags = self.with_recorded_flags(id, flags)?;
        let size = tmp.as_file().metadata().map_err(|e| io_err(&dir, e))?.len();
        let base = maildir::unique_name(Some(id), size);
        let name = maildir::name_for(&base, flags);
        // Renamed away from its temp path, so dropping `tmp` removes nothing.
        let rel =
            maildir::commit(&dir, tmp.path(), tmp.as_file(), &name).map_err(|e| io_err(&dir, e))?;
        let path = dir.join(&rel);
        let head = maildir::read_head(&path).unwrap_or_default();
        let summary = Summary::from_headers(&head, &self.decode);
        self.with_index(|i| i.stored(id, Folder::Inbox, &rel, size, flags, true, Some(&summary)))?;
        Ok(path)
    }

    /// A message deleted on the server (QUIT committed): its local copy, if
    /// any, goes to Trash; without one it leaves the index.
    pub fn deleted_on_server(&mut self, uidl: &str) -> Result<(), StoreError> {
        if self.move_to(uidl, Folder::Trash)? {
            self.with_index(|i| i.set_on_server(uidl, false))
        } else {
            self.with_index(|i| i.remove(uidl))
        }
    }

    /// Where INBOX's temp files go (a large message streams there).
    pub fn tmp_dir(&self) -> PathBuf {
        self.folder_dir(Folder::Inbox).join("tmp")
    }

    /// The stored file of a message, if it has one.
    pub fn path(&mut self, uidl: &str) -> Result<Option<PathBuf>, StoreError> {
        Ok(self
            .with_index(|i| i.file(uidl))?
            .map(|(folder, rel)| self.folder_dir(folder).join(rel)))
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
                let dir = self.folder_dir(folder);
                let new_rel = match maildir::rename(&dir, &rel, &dir, flags) {
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

    /// Moves a stored message to another folder (Trash, or back to INBOX).
    /// A message with no stored copy has nothing to move: Ok(false).
    pub fn move_to(&mut self, uidl: &str, to: Folder) -> Result<bool, StoreError> {
        let Some((from, rel)) = self.with_index(|i| i.file(uidl))? else {
            return Ok(false);
        };
        if from == to {
            return Ok(true);
        }
        let flags = maildir::FileName::parse(rel.rsplit('/').next().unwrap_or(&rel)).flags;
        let (src, dst) = (self.folder_dir(from), self.folder_dir(to));
        let new_rel = maildir::rename(&src, &rel, &dst, flags).map_err(|e| io_err(&src, e))?;
        self.with_index(|i| i.set_folder(uidl, to, &new_rel, flags))?;
        Ok(true)
    }

    /// Stores many retrieved messages in INBOX: each written to `tmp/` and
    /// fsynced, all renamed into `new/`, the directory synced once, then one
    /// index transaction. Messages already stored, or without a durable
    /// UIDL, are skipped. Returns how many were stored. A failure part way
    /// leaves at worst files in `new/` without index rows (adopted later).
    pub fn deliver_batch(&mut self, items: &[(Uidl, Vec<u8>)]) -> Result<usize, StoreError> {
        let dir = self.folder_dir(Folder::Inbox);
        let mut written = Vec::with_capacity(items.len());
        let mut rows = Vec::with_capacity(items.len());
        let mut result = Ok(());
        for (uidl, bytes) in items {
            let Some(id) = uidl.durable() else { continue };
            if self.with_index(|i| i.file(id))?.is_some() {
                continue;
            }
            match maildir::write_tmp(&dir, Some(id), bytes) {
                Ok((tmp, base)) => {
                    written.push((tmp, maildir::name_for(&base, Flags::default())));
                    rows.push((id.to_string(), bytes.len() as u64));
                }
                Err(e) => {
                    result = Err(io_err(&dir, e));
                    break;
                }
            }
        }
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
            .map(|((u, size), rel)| (u, rel, size, Flags::default()))
            .collect();
        let n = index_rows.len();
        self.with_index(|i| i.stored_many(&index_rows))?;
        result.map(|()| n)
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
        let dir = self.folder_dir(Folder::Inbox);
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
        for bytes in &kept {
            let (tmp, base) = maildir::write_tmp(&dir, None, bytes).map_err(|e| io_err(&dir, e))?;
            written.push((tmp, maildir::name_for(&base, Flags::default())));
        }
        let rels = maildir::commit_many(&dir, &written).map_err(|e| io_err(&dir, e))?;
        for (((_, name), (rel, bytes)), id) in written.iter().zip(rels.iter().zip(&kept)).zip(ids) {
            let head = maildir::read_head(&dir.join(rel)).unwrap_or_default();
            let summary = Summary::from_headers(&head, &self.decode);
            let id = id.unwrap_or_else(|| format!(" L{}", name.base));
            self.with_index(|i| {
                i.stored(
                    &id,
                    Folder::Inbox,
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
            let dir = self.folder_dir(folder);
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

    /// Records summaries read from the server.
    /// Indexes the text of up to `max` stored messages not indexed yet (the
    /// body as the reader shows it, at most `TEXT_LIMIT` of it); returns how
    /// many. Runs on the store's thread, in batches of one transaction each.
    pub fn index_texts(&mut self, max: usize) -> Result<usize, StoreError> {
        let mut done = 0;
        let mut seen = std::collections::HashSet::new();
        while done < max && !self.texts_stuck {
            let pending = self.with_index(|i| i.text_pending(64.min(max - done)))?;
            if pending.is_empty() {
                break;
            }
            // A damaged lookup can name messages already indexed (found by
            // the index_loader fuzz target: an endless loop, the log growing
            // without bound). Rebuild the lookups once; if it goes on, stop
            // indexing texts for this run and say so.
            let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
            let again = ids.iter().any(|id| !seen.insert(*id));
            if again || self.with_index(|i| i.any_texted(&ids))? {
                if !self.texts_reindexed {
                    self.texts_reindexed = true;
                    self.with_index(|i| i.reindex())?;
                    seen.clear();
                    continue;
                }
                self.texts_stuck = true;
                let note = "the index's list of texts to index is damaged even after rebuilding it: full-text search may miss messages until the index is rebuilt".to_string();
                tracing::warn!("{note}");
                self.notes.push(note);
                break;
            }
            let mut summaries = Vec::new();
            let texts: Vec<(i64, Option<index::Text>)> = pending
                .iter()
                .map(|p| {
                    let path = self.folder_dir(p.folder).join(&p.file);
                    let mut file = maildir::open_regular(&path);
                    if p.needs_summary {
                        // The list shows it too, from the file's own headers.
                        if let Some(head) = file.as_mut().ok().and_then(|f| read_head(f).ok()) {
                            let s = Summary::from_headers(&head, &self.decode);
                            summaries.push((Uidl::from(p.uidl.as_str()), Arc::new(s)));
                        }
                    }
                    let rendered =
                        file.and_then(|mut f| crate::mime::render_file(&mut f, &self.decode));
                    (p.id, rendered.ok().map(text_of))
                })
                .collect();
            if !summaries.is_empty() {
                self.with_index(|i| i.put_summaries(&summaries))?;
            }
            done += texts.len();
            self.with_index(|i| i.put_texts(&texts))?;
        }
        Ok(done)
    }

    /// Searches the stored mail (and the subjects and senders of all) after
    /// indexing whatever is still waiting.
    pub fn search_text(&mut self, q: &index::TextQuery) -> Result<Vec<index::Found>, StoreError> {
        self.index_texts(usize::MAX)?;
        self.with_index(|i| i.search(q))
    }

    pub fn put_summaries(&mut self, rows: &[(Uidl, Arc<Summary>)]) -> Result<(), StoreError> {
        let rows: Vec<(Uidl, Arc<Summary>)> = rows
            .iter()
            .filter(|(u, _)| !u.is_session())
            .cloned()
            .collect();
        self.with_index(|i| i.put_summaries(&rows))
    }

    /// Records a server index: new messages get rows, gone ones leave (or
    /// stay as local-only when stored).
    pub fn apply_server_index(
        &mut self,
        new: &[(Uidl, u64)],
        gone: &[Uidl],
    ) -> Result<(), StoreError> {
        let new: Vec<(Uidl, u64)> = new
            .iter()
            .filter(|(u, _)| !u.is_session())
            .cloned()
            .collect();
        self.with_index(|i| i.apply_server_index(&new, gone))
    }
}

fn open_index(path: &Path, key: &str, decode: &str) -> Result<(Index, bool), IndexError> {
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
    let count = index.count()?;
    Ok((index, fresh || count == 0))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(root: &Path, key: &str) -> Store {
        let mut s = Store::open(root, key, DecodeOptions::default()).unwrap();
        let u = Uidl::from("uid-1");
        s.apply_server_index(&[(u.clone(), 30)], &[]).unwrap();
        s.deliver(&u, b"Subject: one\r\n\r\nbody\r\n", Flags::SEEN, None)
            .unwrap();
        s.put_summaries(&[(u, Arc::new(Summary::note("one")))])
            .unwrap();
        s
    }

    /// A store with uid-1 (seen), uid-2 and uid-3, closed.
    fn three_stored() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut s = stored(dir.path(), "k");
        for id in ["uid-2", "uid-3"] {
            s.deliver(
                &Uidl::from(id),
                b"Subject: x\r\n\r\nb\r\n",
                Flags::default(),
                None,
            )
            .unwrap();
        }
        dir
    }

    /// Found by the index_loader fuzz target: one byte changed inside the
    /// folder lookup index (quick_check still says "ok") hid two of three
    /// messages from the list. Every start now checks that the list finds
    /// every file and rebuilds the lookups when it does not.
    #[test]
    fn a_damaged_lookup_inside_a_sound_file_hides_no_message() {
        let dir = three_stored();
        let path = dir.path().join(INDEX_FILE);
        let (page, size): (i64, i64) = {
            let c = rusqlite::Connection::open(&path).unwrap();
            let page = c
                .query_row(
                    "SELECT rootpage FROM sqlite_master WHERE name = 'messages_by_folder'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let size = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
            (page, size)
        };
        let mut bytes = fs::read(&path).unwrap();
        let start = ((page - 1) * size) as usize;
        let area = &mut bytes[start..start + size as usize];
        let hits: Vec<usize> = area
            .windows(5)
            .enumerate()
            .filter(|(_, w)| w == b"INBOX")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hits.len(), 3, "three INBOX keys in the lookup page");
        area[hits[1] + 2] = b'?';
        fs::write(&path, &bytes).unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        assert_eq!(
            s.index().quick_check().unwrap(),
            ["ok"],
            "SQLite sees no damage"
        );
        s.reconcile().unwrap();
        assert_eq!(s.load(Folder::Inbox).unwrap().len(), 3, "{:?}", s.notes);
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("lookup tables were damaged")),
            "{:?}",
            s.notes
        );
    }

    /// Found by the index_loader fuzz target (10M-run campaign): a damaged
    /// folder name in one row ("INAOX") made its file count as known, so the
    /// message stayed out of the list; and a row that lost its file name.
    #[test]
    fn a_row_with_a_damaged_folder_or_file_name_is_corrected_from_the_maildir() {
        let dir = three_stored();
        {
            let c = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
            c.execute(
                "UPDATE messages SET folder = 'INAOX' WHERE uidl = 'uid-2'",
                [],
            )
            .unwrap();
            c.execute("UPDATE messages SET file = NULL WHERE uidl = 'uid-3'", [])
                .unwrap();
        }
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        s.reconcile().unwrap();
        let rows = s.load(Folder::Inbox).unwrap();
        assert_eq!(rows.len(), 3, "{:?}", s.notes);
        assert!(rows.iter().all(|r| r.stored), "{rows:?}");
    }

    /// Found by the index_loader fuzz target (a timeout): a lookup of texts
    /// waiting to be indexed that still names messages already indexed made
    /// full-text indexing loop for ever, the write-ahead log growing. Made
    /// here by hiding the lookup from SQLite while the rows change.
    #[test]
    fn a_stale_lookup_of_waiting_texts_does_not_loop() {
        let dir = three_stored();
        let path = dir.path().join(INDEX_FILE);
        let sql: (String, i64) = {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.query_row(
                "SELECT sql, rootpage FROM sqlite_master WHERE name = 'messages_untexted'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(
                "PRAGMA writable_schema = ON;
                 DELETE FROM sqlite_master WHERE name = 'messages_untexted';",
            )
            .unwrap();
        }
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute("UPDATE messages SET texted = 1", []).unwrap();
        }
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch("PRAGMA writable_schema = ON;").unwrap();
            c.execute(
                "INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql)
                 VALUES ('index', 'messages_untexted', 'messages', ?1, ?2)",
                rusqlite::params![sql.1, sql.0],
            )
            .unwrap();
        }
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let stale = s.index().text_pending(10).unwrap();
        assert_eq!(
            stale.len(),
            3,
            "the lookup names the three indexed messages"
        );
        let done = std::thread::scope(|t| {
            t.spawn(|| s.index_texts(usize::MAX).unwrap())
                .join()
                .unwrap()
        });
        assert_eq!(done, 0);
        assert!(
            s.index().text_pending(10).unwrap().is_empty(),
            "REINDEX repaired it"
        );
    }

    #[test]
    fn another_mailboxs_index_is_set_aside_and_its_uidls_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        drop(stored(dir.path(), "pop.a.example/alice"));
        let mut s =
            Store::open(dir.path(), "pop.b.example/alice", DecodeOptions::default()).unwrap();
        assert!(s.notes[0].contains("another account"), "{:?}", s.notes);
        let rows = s.load(Folder::Inbox).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0].uidl.is_session(),
            "kept, but not under the old server's UIDL"
        );
        assert_eq!(
            rows[0].flags,
            Flags::SEEN,
            "the flag in the file name survives"
        );
        assert!(!rows[0].on_server);
    }

    #[test]
    fn new_decoding_settings_reread_summaries_and_keep_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        drop(stored(dir.path(), "k"));
        let strict = DecodeOptions {
            strict: true,
            ..DecodeOptions::default()
        };
        let mut s = Store::open(dir.path(), "k", strict).unwrap();
        assert!(
            s.notes[0].contains("decoding settings changed"),
            "{:?}",
            s.notes
        );
        let rows = s.load(Folder::Inbox).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].summary.is_none() && rows[0].stored);
        assert_eq!(rows[0].uidl, Uidl::from("uid-1"));
    }

    #[test]
    fn a_newer_index_is_set_aside_and_rebuilt_from_the_files() {
        let dir = tempfile::tempdir().unwrap();
        drop(stored(dir.path(), "k"));
        let conn = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        assert!(s.notes[0].contains("newer postie"), "{:?}", s.notes);
        let rows = s.load(Folder::Inbox).unwrap();
        assert_eq!(rows[0].uidl, Uidl::from("uid-1"));
        assert_eq!(rows[0].flags, Flags::SEEN);
        assert_eq!(
            rows[0]
                .summary
                .as_ref()
                .map(|s| s.subject().to_string())
                .as_deref(),
            Some("one")
        );
    }

    #[test]
    fn a_crashed_writers_temp_files_are_removed_and_a_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path(), "k", DecodeOptions::default()).unwrap());
        let tmp = dir.path().join("INBOX/tmp");
        let dead = tmp.join(".postie-retr-4000000-abc");
        let dead2 = tmp.join("1700000000.M1P4000001Q3.host,U=61,S=3");
        let live = tmp.join(format!(".postie-retr-{}-abc", std::process::id()));
        let foreign = tmp.join("1700000000.12345.otherhost");
        for f in [&dead, &dead2, &live, &foreign] {
            std::fs::write(f, b"partial").unwrap();
        }
        drop(Store::open(dir.path(), "k", DecodeOptions::default()).unwrap());
        assert!(!dead.exists() && !dead2.exists());
        assert!(live.exists(), "a running writer's file is left alone");
        assert!(
            foreign.exists(),
            "another program's fresh file is left alone"
        );
    }

    #[test]
    fn a_session_only_id_is_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let err = s.deliver(&Uidl::session(1), b"x", Flags::default(), None);
        assert!(err.is_err());
        assert!(maildir::scan(&s.folder_dir(Folder::Inbox))
            .unwrap()
            .is_empty());
    }
}

#[cfg(test)]
mod text_tests {
    use super::index::TextQuery;
    use super::*;

    fn gbk_base64_body(text: &str) -> Vec<u8> {
        use base64::Engine as _;
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&gbk);
        format!(
            "From: =?gbk?B?{}?= <wang@example.cn>\r\nTo: li@example.cn\r\nSubject: weekly\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n",
            base64::engine::general_purpose::STANDARD.encode(encoding_rs::GBK.encode("王总").0)
        )
        .into_bytes()
    }

    fn any(w: &str) -> TextQuery {
        TextQuery {
            any: vec![w.to_string()],
            ..TextQuery::default()
        }
    }

    #[test]
    fn a_chinese_phrase_in_a_base64_gbk_body_is_found_and_syntax_is_literal() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let (a, b) = (Uidl::from("a"), Uidl::from("b"));
        s.apply_server_index(&[(a.clone(), 100), (b.clone(), 100)], &[])
            .unwrap();
        s.deliver(
            &a,
            &gbk_base64_body("附件是第二季度报告，请查收。"),
            Flags::default(),
            None,
        )
        .unwrap();
        s.deliver(
            &b,
            &gbk_base64_body("明天开会 \"quoted\" NEAR -x*"),
            Flags::default(),
            None,
        )
        .unwrap();
        s.put_summaries(&[(b.clone(), Arc::new(Summary::note("草稿 notes")))])
            .unwrap();
        let found = |s: &mut Store, q: &TextQuery| -> Vec<String> {
            s.search_text(q)
                .unwrap()
                .into_iter()
                .map(|f| f.uidl)
                .collect()
        };
        assert_eq!(found(&mut s, &any("季度报告")), ["a"]);
        // The sender, decoded, and the recipients are indexed too.
        // Two characters: subjects and senders only (a's summary was read from
        // its file when its text was indexed; b's says nothing of 王总).
        assert_eq!(found(&mut s, &any("王总")), ["a"]);
        assert_eq!(found(&mut s, &any("王总 <wang")), ["b", "a"]);
        let to = TextQuery {
            to: vec!["li@example".into()],
            ..TextQuery::default()
        };
        assert_eq!(found(&mut s, &to).len(), 2);
        // FTS5 syntax is taken literally: no error, only real matches.
        for q in ["\"quoted\"", "NEAR", "-x*", "\"", "a AND b", "(季度", "*"] {
            let r = s.search_text(&any(q));
            assert!(r.is_ok(), "{q}: {r:?}");
        }
        assert_eq!(found(&mut s, &any("-x*")), ["b"]);
        assert_eq!(found(&mut s, &any("\"quoted\"")), ["b"]);
        // Short words scan subjects and senders (LIKE wildcards literal).
        assert_eq!(found(&mut s, &any("草稿")), ["b"]);
        assert!(found(&mut s, &any("%")).is_empty());
        // A message removed for good leaves the index.
        s.delete("a").unwrap();
        assert!(found(&mut s, &any("季度报告")).is_empty());
    }
}
