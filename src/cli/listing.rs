//! One `postie list` session's rows as they are learned: the index makes
//! the rows, each header block arriving fills one, and the store records
//! both on its own thread while the headers still come in.

use std::collections::HashMap;
use std::sync::Arc;

use rust_i18n::t;

use crate::mime::{DecodeOptions, Summary};
use crate::pop3::{MailboxEntry, Pop3Error};
use crate::store::{FirstFailure, Store, StoreError, StoreHandle};
use crate::sync::{self, Known, ListRow};
use crate::uidl::Uidl;

/// Summaries handed to the store at a time while the headers arrive.
const RECORD_CHUNK: usize = 2048;

type Job = Box<dyn FnOnce(&mut Store) -> Result<(), StoreError> + Send>;

pub(super) struct Listing<'a> {
    decode: &'a DecodeOptions,
    store: Option<&'a StoreHandle>,
    /// The first thing the store could not record (said once, at the end).
    failed: FirstFailure,
    rows: Vec<ListRow>,
    /// Row of each message number of this session.
    row_of: HashMap<u32, usize>,
    /// Summaries read and not yet handed to the store.
    keep: Vec<(Uidl, Arc<Summary>)>,
    /// Messages without a usable UIDL, and sharing one (said at the end).
    unusable: usize,
    duplicated: usize,
}

impl<'a> Listing<'a> {
    pub(super) fn new(decode: &'a DecodeOptions, store: Option<&'a StoreHandle>) -> Listing<'a> {
        Listing {
            decode,
            store,
            failed: FirstFailure::default(),
            rows: Vec::new(),
            row_of: HashMap::new(),
            keep: Vec::new(),
            unusable: 0,
            duplicated: 0,
        }
    }

    /// Runs `job` on the store's thread, in order, without waiting.
    fn record(&self, job: Job) {
        let Some(store) = self.store else { return };
        let failed = self.failed.clone();
        store.post(move |s| {
            if let Err(e) = job(s) {
                failed.note(e);
            }
        });
    }

    /// The server's index arrived: the rows (newest first, stored messages
    /// gone from the server merged in); returns the numbers whose headers
    /// are wanted, newest first.
    pub(super) fn indexed(
        &mut self,
        index: Vec<MailboxEntry>,
        known: &HashMap<Uidl, Known>,
    ) -> Vec<u32> {
        crate::timings::mark("list-index");
        let id = sync::identify(index);
        self.unusable = id.unusable;
        self.duplicated = id.duplicated;
        let plan = sync::plan(&id, known, &Default::default());
        drop(id);
        if !plan.new.is_empty() || !plan.gone.is_empty() {
            let (new, gone) = (plan.new, plan.gone);
            self.record(Box::new(move |s| s.apply_server_index(&new, &gone)));
        }
        self.row_of = plan
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.number?, i)))
            .collect();
        self.rows = plan.rows;
        plan.headers
    }

    /// Whether message `n`'s row has a summary (from the store or read now).
    pub(super) fn has(&self, n: u32) -> bool {
        self.row_of
            .get(&n)
            .and_then(|&i| self.rows.get(i))
            .is_some_and(|r| r.summary.is_some())
    }

    /// Message `n`'s header block (or the server's refusal) arrived.
    pub(super) fn arrived(&mut self, n: u32, result: Result<Vec<u8>, Pop3Error>) {
        let (summary, read) = match result {
            Ok(raw) => (Summary::from_headers(&raw, self.decode), true),
            Err(e) => (
                Summary::note(&t!("worker.headers_unavailable", error = e)),
                false,
            ),
        };
        let summary = Arc::new(summary);
        if let Some(row) = self.row_of.get(&n).and_then(|&i| self.rows.get_mut(i)) {
            if read {
                self.keep.push((row.uidl.clone(), summary.clone()));
            }
            row.summary = Some(summary);
        }
        if self.keep.len() >= RECORD_CHUNK {
            let chunk = std::mem::take(&mut self.keep);
            self.record(Box::new(move |s| s.put_summaries(&chunk)));
        }
    }

    /// Waits until the store has recorded everything, says what it could
    /// not (and what the index said of UIDLs), and gives the rows.
    pub(super) async fn finish(mut self) -> Vec<ListRow> {
        crate::timings::mark("list-headers");
        if let Some(store) = self.store {
            let keep = std::mem::take(&mut self.keep);
            self.record(Box::new(move |s| s.put_summaries(&keep)));
            // Every job above is done when this one is (one thread, in order).
            let waited = store.run(|_| ()).await;
            crate::timings::mark("list-recorded");
            let error = self
                .failed
                .take()
                .or_else(|| waited.err().map(|e| e.to_string()));
            if let Some(e) = error {
                eprintln!("postie: {}", t!("out.warn.store_update", error = e));
            }
        }
        if self.unusable > 0 {
            eprintln!(
                "postie: {}",
                t!("out.warn.unusable_uidl", n = self.unusable)
            );
        }
        if self.duplicated > 0 {
            eprintln!(
                "postie: {}",
                t!("out.warn.duplicated_uidl", n = self.duplicated)
            );
        }
        self.rows
    }
}
