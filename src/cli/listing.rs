//! One `postie list` session's rows as they are learned: the index makes
//! the rows, each header block arriving fills one, and the store records
//! both on its own thread while the headers still come in (a new message's
//! row once its summary is read: one write, not two).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use rust_i18n::t;

use crate::mime::{DecodeOptions, Summary};
use crate::pop3::{MailboxEntry, Pop3Error};
use crate::store::{FirstFailure, FreshRow, Store, StoreError, StoreHandle};
use crate::sync::{self, Known, ListRow};
use crate::uidl::Uidl;

/// Summaries handed to the store at a time while the headers arrive.
const RECORD_CHUNK: usize = 2048;
/// `Listing::new_order` of a row that is not (or no longer) to be inserted.
const NOT_NEW: u32 = u32::MAX;

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
    /// New messages' rows, with their summaries, not yet handed to it.
    fresh: Vec<FreshRow>,
    /// Each row's place among the new messages (oldest first), `NOT_NEW`
    /// for a row the store has or was handed.
    new_order: Vec<u32>,
    /// The seq the oldest new message gets (read by the store's first job).
    first_seq: Arc<AtomicI64>,
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
            fresh: Vec::new(),
            new_order: Vec::new(),
            first_seq: Arc::new(AtomicI64::new(0)),
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
        if !plan.gone.is_empty() {
            let gone = plan.gone;
            self.record(Box::new(move |s| s.apply_server_index(&[], &gone)));
        }
        if !plan.new.is_empty() {
            // Rows come with their summaries (`arrived`), at seqs counted
            // from the first free one now, in the index's order.
            let first_seq = self.first_seq.clone();
            self.record(Box::new(move |s| {
                first_seq.store(s.first_free_seq()?, Ordering::Relaxed);
                Ok(())
            }));
        }
        let order: HashMap<&Uidl, u32> = (0..).zip(&plan.new).map(|(i, (u, _))| (u, i)).collect();
        self.new_order = plan
            .rows
            .iter()
            .map(|r| order.get(&r.uidl).copied().unwrap_or(NOT_NEW))
            .collect();
        drop(order);
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
        let Some(&i) = self.row_of.get(&n) else {
            return;
        };
        let Some(row) = self.rows.get_mut(i) else {
            return;
        };
        match self.new_order.get_mut(i) {
            // A refusal's note is not cached: the row goes in bare at the end.
            _ if !read => {}
            Some(order) if *order != NOT_NEW => {
                self.fresh.push(FreshRow {
                    uidl: row.uidl.clone(),
                    size: row.size,
                    order: std::mem::replace(order, NOT_NEW),
                    summary: Some(summary.clone()),
                });
            }
            _ => self.keep.push((row.uidl.clone(), summary.clone())),
        }
        row.summary = Some(summary);
        if self.keep.len() >= RECORD_CHUNK {
            let chunk = std::mem::take(&mut self.keep);
            self.record(Box::new(move |s| s.put_summaries(&chunk)));
        }
        if self.fresh.len() >= RECORD_CHUNK {
            self.record_fresh();
        }
    }

    /// Hands the new rows read so far to the store.
    fn record_fresh(&mut self) {
        if self.fresh.is_empty() {
            return;
        }
        let chunk = std::mem::take(&mut self.fresh);
        let first_seq = self.first_seq.clone();
        self.record(Box::new(move |s| {
            s.insert_fresh(&chunk, first_seq.load(Ordering::Relaxed))
        }));
    }

    /// Waits until the store has recorded everything, says what it could
    /// not (and what the index said of UIDLs), and gives the rows.
    pub(super) async fn finish(mut self) -> Vec<ListRow> {
        crate::timings::mark("list-headers");
        if let Some(store) = self.store {
            // New messages whose headers were not read get their rows bare.
            for (row, order) in self.rows.iter().zip(&mut self.new_order) {
                if *order != NOT_NEW {
                    self.fresh.push(FreshRow {
                        uidl: row.uidl.clone(),
                        size: row.size,
                        order: std::mem::replace(order, NOT_NEW),
                        summary: None,
                    });
                }
            }
            self.record_fresh();
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
