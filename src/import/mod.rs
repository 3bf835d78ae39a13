//! `postie import`: mail from Foxmail's `.eml` exports, Thunderbird's and
//! mutt's mbox files and Maildirs, carried into the store (blocking: on the
//! store's thread). Each message keeps its bytes (an mbox's status headers
//! become flags), lands in exactly one folder, and is stored once however
//! often the same source is imported (its id is a digest of its bytes).

mod render;
pub mod sources;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::mime::mbox::{self, FoxmailBoxReader, MboxFlags, MboxReader, Messages};
use crate::store::import::{import_id, Incoming, Written};
use crate::store::{maildir, Flags, Folder, Store, StoreError};
pub use sources::{discover, Found, Unit};

/// A batch is stored (synced, renamed, recorded) at this many messages…
const BATCH_MESSAGES: usize = 2_000;
/// …or this many bytes, whichever comes first.
const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub imported: usize,
    /// Messages stored already (by an earlier run, or twice in the source).
    pub already: usize,
    /// Messages or files that could not be read: the place and why.
    pub unreadable: Vec<(String, String)>,
    /// Imported messages an mbox marked deleted: they went to Trash.
    pub trashed: usize,
    /// The folders mail went to, with how many each.
    pub folders: BTreeMap<Folder, usize>,
}

/// Why a message could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    Empty,
    NotAMessage,
    TooBig,
}

impl Unreadable {
    pub fn words(self) -> String {
        match self {
            Unreadable::Empty => rust_i18n::t!("import.why.empty").into_owned(),
            Unreadable::NotAMessage => rust_i18n::t!("import.why.not_message").into_owned(),
            Unreadable::TooBig => {
                rust_i18n::t!("import.why.too_big", mb = mbox::MAX_MESSAGE / (1024 * 1024))
                    .into_owned()
            }
        }
    }
}

/// Whether `bytes` start like a message: a header field on the first line.
fn looks_like_message(bytes: &[u8]) -> Result<(), Unreadable> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Unreadable::Empty);
    }
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let Some(colon) = first.iter().position(|&b| b == b':') else {
        return Err(Unreadable::NotAMessage);
    };
    let name = &first[..colon];
    if name.is_empty() || !name.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(Unreadable::NotAMessage);
    }
    Ok(())
}

fn flags_of(m: MboxFlags) -> Flags {
    let mut f = Flags::default();
    for (on, flag) in [
        (m.seen, Flags::SEEN),
        (m.answered, Flags::ANSWERED),
        (m.flagged, Flags::FLAGGED),
        (m.draft, Flags::DRAFT),
        (m.forwarded, Flags::PASSED),
        (m.mdn_sent, Flags::MDN_SENT),
    ] {
        if on {
            f = f.with(flag);
        }
    }
    f
}

/// How far an import has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Storing: messages and bytes read so far.
    Read { messages: u64, bytes: u64 },
    /// Every message stored; their text indexed so far, of `total`.
    Text { done: u64, total: u64 },
}

/// Carries out an import over the store: `on_progress` after each message
/// read, then as the full text is indexed.
pub struct Importer<'a> {
    store: &'a mut Store,
    known: HashSet<String>,
    batches: BTreeMap<Folder, (Vec<Incoming>, usize)>,
    /// Renders queued messages for the full-text index meanwhile.
    renderer: render::Renderer,
    /// The batch written last, recorded once the next one is written (so
    /// that its renderings are ready by then).
    written: Option<Written>,
    report: Report,
    read_bytes: u64,
    read_messages: u64,
    on_progress: &'a mut dyn FnMut(Progress),
}

impl<'a> Importer<'a> {
    pub fn new(
        store: &'a mut Store,
        on_progress: &'a mut dyn FnMut(Progress),
    ) -> Result<Importer<'a>, StoreError> {
        let known = store.imported_ids()?;
        let renderer = render::Renderer::new(store.decode_options());
        Ok(Importer {
            store,
            known,
            batches: BTreeMap::new(),
            renderer,
            written: None,
            report: Report::default(),
            read_bytes: 0,
            read_messages: 0,
            on_progress,
        })
    }

    /// Imports every unit, then stores what is left in the batches.
    pub fn run(mut self, units: &[Unit]) -> Result<Report, StoreError> {
        for unit in units {
            match unit {
                Unit::Eml { path, folder } => self.eml(path, folder)?,
                Unit::Mbox { path, folder } => self.many(path, folder, false)?,
                Unit::FoxmailBox { path, folder } => self.many(path, folder, true)?,
                Unit::Maildir { path, folder } => self.maildir(path, folder)?,
            }
        }
        let folders: Vec<Folder> = self.batches.keys().cloned().collect();
        for f in folders {
            self.flush(&f)?;
        }
        if let Some(last) = self.written.take() {
            self.record(&last)?;
        }
        crate::timings::mark("import-stored");
        self.index_texts();
        crate::timings::mark("import-texts-done");
        Ok(self.report)
    }

    /// Indexes the full text of what was stored, after all of it is safe:
    /// the slow part (FTS5), so an interruption here loses nothing (the
    /// reader's idle time and `postie search` index whatever is left).
    fn index_texts(&mut self) {
        let total = self.report.imported as u64;
        let mut done = 0u64;
        while done < total {
            let t = std::time::Instant::now();
            match self.store.index_texts(500) {
                Ok(0) => break,
                Ok(n) => done += n as u64,
                Err(e) => {
                    tracing::warn!("full-text indexing after an import: {e}");
                    break;
                }
            }
            crate::timings::record("import-texts-ms", t.elapsed().as_secs_f64() * 1000.0);
            (self.on_progress)(Progress::Text {
                done: done.min(total),
                total,
            });
        }
    }

    fn unreadable(&mut self, place: String, why: Unreadable) {
        self.report.unreadable.push((place, why.words()));
    }

    fn read_file(&mut self, path: &Path) -> Option<Vec<u8>> {
        let read = std::fs::File::open(path).and_then(|f| {
            let mut buf = Vec::new();
            f.take(mbox::MAX_MESSAGE as u64 + 1).read_to_end(&mut buf)?;
            Ok(buf)
        });
        match read {
            Ok(b) if b.len() > mbox::MAX_MESSAGE => {
                self.unreadable(sources::path_text(path), Unreadable::TooBig);
                None
            }
            Ok(b) => Some(b),
            Err(e) => {
                self.report
                    .unreadable
                    .push((sources::path_text(path), e.to_string()));
                None
            }
        }
    }

    fn eml(&mut self, path: &Path, folder: &Folder) -> Result<(), StoreError> {
        let Some(bytes) = self.read_file(path) else {
            return Ok(());
        };
        let len = bytes.len() as u64;
        if let Err(why) = looks_like_message(&bytes) {
            self.unreadable(sources::path_text(path), why);
            self.progress(len);
            return Ok(());
        }
        // Kept as they are; a saved message's status headers (Thunderbird
        // writes them) still say what it was. Without any, a message from
        // an export is old mail: read.
        let (status, _) = mbox::take_status(&bytes);
        let (flags, deleted) = match status {
            Some(s) => (flags_of(s), s.deleted),
            None => (Flags::SEEN, false),
        };
        self.add(folder, bytes, flags, deleted)?;
        self.progress(len);
        Ok(())
    }

    /// The messages of one mbox, or of one Foxmail `.box` (`foxmail`).
    fn many(&mut self, path: &Path, folder: &Folder, foxmail: bool) -> Result<(), StoreError> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.report
                    .unreadable
                    .push((sources::path_text(path), e.to_string()));
                return Ok(());
            }
        };
        let buffered = std::io::BufReader::with_capacity(256 * 1024, file);
        let mut reader: Box<dyn Messages> = if foxmail {
            Box::new(FoxmailBoxReader::new(buffered))
        } else {
            Box::new(MboxReader::new(buffered))
        };
        let mut last = 0u64;
        let mut step = |reader: &dyn Messages| {
            let now = reader.position();
            let d = now - last.min(now);
            last = now;
            d
        };
        loop {
            let item = match reader.next_message() {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(e) => {
                    self.report
                        .unreadable
                        .push((sources::path_text(path), e.to_string()));
                    break;
                }
            };
            let place = |offset: u64| {
                rust_i18n::t!(
                    "import.at_offset",
                    file = sources::path_text(path),
                    offset = offset
                )
                .into_owned()
            };
            match item {
                Err(big) => {
                    self.unreadable(place(big.offset), Unreadable::TooBig);
                    self.progress(step(reader.as_ref()));
                }
                Ok(m) => {
                    let read = step(reader.as_ref());
                    let (status, bytes) = if foxmail {
                        // Foxmail's status byte is not decoded: old mail, read.
                        let seen = MboxFlags {
                            seen: true,
                            ..MboxFlags::default()
                        };
                        (Some(seen), m.bytes)
                    } else {
                        mbox::take_status(&m.bytes)
                    };
                    if let Err(why) = looks_like_message(&bytes) {
                        self.unreadable(place(m.offset), why);
                    } else {
                        // An mbox message without a status header is new (mutt).
                        let s = status.unwrap_or_default();
                        self.add(folder, bytes, flags_of(s), s.deleted)?;
                    }
                    self.progress(read);
                }
            }
        }
        Ok(())
    }

    fn maildir(&mut self, dir: &Path, folder: &Folder) -> Result<(), StoreError> {
        for sub in ["cur", "new"] {
            let mut files: Vec<PathBuf> = match std::fs::read_dir(dir.join(sub)) {
                Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
                Err(_) => continue,
            };
            files.sort();
            for path in files {
                let name = path.file_name().map(sources::name_text).unwrap_or_default();
                if name.starts_with('.') {
                    continue;
                }
                let parsed = maildir::FileName::parse(&name);
                let Some(bytes) = self.read_file(&path) else {
                    continue;
                };
                let len = bytes.len() as u64;
                match looks_like_message(&bytes) {
                    Err(why) => self.unreadable(sources::path_text(&path), why),
                    Ok(()) => {
                        let trashed = parsed.flags.contains(Flags::TRASHED);
                        self.add(folder, bytes, parsed.flags, trashed)?;
                    }
                }
                self.progress(len);
            }
        }
        Ok(())
    }

    fn progress(&mut self, bytes: u64) {
        self.read_bytes += bytes;
        self.read_messages += 1;
        (self.on_progress)(Progress::Read {
            messages: self.read_messages,
            bytes: self.read_bytes,
        });
    }

    /// Queues one message for its folder (Trash when its source marked it
    /// deleted), unless it is stored already.
    fn add(
        &mut self,
        folder: &Folder,
        bytes: Vec<u8>,
        flags: Flags,
        deleted: bool,
    ) -> Result<(), StoreError> {
        let id = import_id(&bytes);
        if !self.known.insert(id.clone()) {
            self.report.already += 1;
            return Ok(());
        }
        let folder = if deleted {
            self.report.trashed += 1;
            Folder::Trash
        } else {
            folder.clone()
        };
        let bytes: std::sync::Arc<[u8]> = bytes.into();
        let decode = self.store.decode_options();
        self.renderer
            .add(&id, std::sync::Arc::clone(&bytes), &decode);
        let full = {
            let (batch, size) = self.batches.entry(folder.clone()).or_default();
            *size += bytes.len();
            batch.push((id, bytes, flags));
            batch.len() >= BATCH_MESSAGES || *size >= BATCH_BYTES
        };
        if full {
            self.flush(&folder)?;
        }
        Ok(())
    }

    fn flush(&mut self, folder: &Folder) -> Result<(), StoreError> {
        let Some((batch, _)) = self.batches.remove(folder) else {
            return Ok(());
        };
        let written = match self.store.import_write(folder, &batch) {
            Ok(w) => w,
            Err(e) => {
                // What was written before is recorded all the same.
                if let Some(before) = self.written.take() {
                    let _ = self.record(&before);
                }
                return Err(e);
            }
        };
        drop(batch);
        if let Some(before) = self.written.replace(written) {
            self.record(&before)?;
        }
        Ok(())
    }

    /// Records a written batch once its renderings are ready.
    fn record(&mut self, written: &Written) -> Result<(), StoreError> {
        let ids: Vec<&str> = written.rows.iter().map(|r| r.0.as_str()).collect();
        let t = std::time::Instant::now();
        let rendered = self.renderer.take(&ids);
        crate::timings::record("import-render-wait-ms", t.elapsed().as_secs_f64() * 1000.0);
        let n = self.store.import_record(written, rendered)?;
        self.report.imported += n;
        *self
            .report
            .folders
            .entry(written.folder.clone())
            .or_default() += n;
        Ok(())
    }
}
