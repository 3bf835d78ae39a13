//! Headers (`TOP n 0`): what is on screen first, then newest first,
//! pipelined; summarised, cached in the store, batched for the UI, and
//! paused as soon as the user asks for something else.

use rust_i18n::t;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::protocol::{Event, Request};
use super::{lookup, Worker};
use crate::error::{ErrorClass, Failure};
use crate::mime::Summary;
use crate::pop3::Mailbox;
use crate::pop3::{Flow, Pop3Error};
use crate::uidl::Uidl;

/// How often a header stream's summaries go to the store while it runs.
pub(super) const RECORD_EVERY: Duration = Duration::from_secs(10);

/// How many summaries go into one `HeadersLoaded`.
const HEADER_BATCH: usize = 256;
/// The first batch of a stream with no rows on screen yet: a tall terminal's worth.
pub(super) const FIRST_BATCH: usize = 64;
/// Rows a header stream will reach soon enough not to be paused for.
const SOON: u32 = 2048;
/// A summary for the list, and whether it may be cached (a refusal's note may not).
pub(super) type Row = (Arc<Summary>, bool);

/// A header stream in progress: what is batched for the UI, and which rows
/// were on screen when it started (sent as soon as they are all in).
pub(super) struct HeaderStream {
    batch: Vec<(Uidl, Arc<Summary>)>,
    /// Summaries to record in the store (with the same flushes).
    to_store: Vec<(Uidl, Arc<Summary>)>,
    first: HashSet<Uidl>,
    last_flush: Instant,
    /// When `to_store` was last handed to the store.
    last_record: Instant,
    sent: usize,
}

impl HeaderStream {
    /// Room for `n` summaries to record: grown once, not by doubling (at
    /// 100,000 that would briefly hold 1.5 and 3 MB copies).
    pub(super) fn expect(&mut self, n: usize) {
        self.to_store.reserve(n);
    }

    pub(super) fn new(first: HashSet<Uidl>) -> HeaderStream {
        HeaderStream {
            batch: Vec::new(),
            to_store: Vec::new(),
            first,
            last_flush: Instant::now(),
            last_record: Instant::now(),
            sent: 0,
        }
    }
}

impl<M: Mailbox> Worker<M> {
    /// Headers still unknown: what is on screen first, then newest first;
    /// pipelined, and paused as soon as the user asks for something else.
    pub(super) async fn load_headers(&mut self) -> Result<(), Pop3Error> {
        let mut wanted: Vec<u32> = Vec::new();
        let mut first = HashSet::new();
        for u in &self.state.wants.visible {
            if let Some(m) = lookup(&self.index.messages, &self.index.by_uidl, u) {
                if !m.known && first.insert(m.uidl.clone()) {
                    wanted.push(m.number);
                }
            }
        }
        wanted.extend(
            self.index
                .messages
                .iter()
                .rev()
                .filter(|m| !m.known && !first.contains(&m.uidl))
                .map(|m| m.number),
        );
        let Some(mut client) = self.client.take() else {
            return Ok(());
        };
        let mut stream = HeaderStream::new(first);
        if self.store.is_some() {
            stream.expect(wanted.len());
        }
        let result = client
            .headers(&wanted, |n, reply| {
                self.header_arrived(&mut stream, n, reply)
            })
            .await;
        self.client = Some(client);
        self.end_stream(stream);
        result.map(drop)
    }

    /// One `TOP n 0` reply: summarised, cached, batched for the UI. A new
    /// request (a body to show, a mark, a quit) pauses the stream.
    pub(super) fn header_arrived(
        &mut self,
        stream: &mut HeaderStream,
        n: u32,
        reply: Result<Vec<u8>, Pop3Error>,
    ) -> Flow {
        let summary = self.summarise(reply);
        self.header_known(stream, n, summary);
        self.poll_requests(n)
    }

    /// A `TOP n 0` reply as a row, and whether it may be cached: a refusal
    /// is shown for this session only.
    pub(super) fn summarise(&self, reply: Result<Vec<u8>, Pop3Error>) -> Row {
        match reply {
            Ok(raw) => (
                Arc::new(Summary::from_headers(&raw, &self.settings.decode)),
                true,
            ),
            Err(e) => (
                Arc::new(Summary::note(&t!("worker.headers_unavailable", error = e))),
                false,
            ),
        }
    }

    /// Message `n`'s summary: cached when it may be, batched for the UI.
    pub(super) fn header_known(
        &mut self,
        stream: &mut HeaderStream,
        n: u32,
        (summary, cacheable): Row,
    ) {
        let Some(i) = self.position(n) else {
            return;
        };
        let m = &mut self.index.messages[i];
        if !m.known {
            m.known = true;
            self.index.known += 1;
        }
        let uidl = m.uidl.clone();
        if cacheable && !uidl.is_session() {
            if let Some(k) = self.local.get_mut(&uidl) {
                k.summary = Some(summary.clone());
            }
            if self.store.is_some() {
                stream.to_store.push((uidl.clone(), summary.clone()));
            }
        }
        // The rows on screen go out as soon as they are all in; without
        // them (a first visit), the first screenful's worth does.
        let screenful_done = if stream.first.is_empty() {
            stream.sent == 0 && stream.batch.len() + 1 >= FIRST_BATCH
        } else {
            stream.first.contains(&uidl) && stream.batch.len() + 1 >= stream.first.len()
        };
        stream.batch.push((uidl, summary));
        if stream.batch.len() >= HEADER_BATCH
            || screenful_done
            || stream.last_flush.elapsed() > Duration::from_millis(50)
        {
            self.flush(stream);
        }
    }

    /// Takes the requests that came in while a header stream runs (its last
    /// reply was for message `last`); pauses it for anything urgent.
    pub(super) fn poll_requests(&mut self, last: u32) -> Flow {
        let mut urgent = false;
        while let Ok(r) = self.link.rx.try_recv() {
            urgent |= self.interrupts(&r, last);
            self.state.wants.pending.push_back(r);
        }
        if urgent {
            Flow::Pause
        } else {
            Flow::Continue
        }
    }

    /// Sends the batch to the UI. The store is told every `RECORD_EVERY`
    /// and at the stream's end (`end_stream`), not with each batch: a fast
    /// stream is over before its summaries are written, so the store's
    /// thread does not take a core from the server and the worker (two
    /// here) while the list fills (its SQLite writes cost as much CPU as the
    /// worker's parsing); on a slow link a stream killed outright loses at
    /// most that much of the cache (fetched again next time).
    pub(super) fn flush(&mut self, stream: &mut HeaderStream) {
        if !stream.batch.is_empty() {
            stream.sent += stream.batch.len();
            self.send(Event::HeadersLoaded(std::mem::take(&mut stream.batch)));
        }
        stream.last_flush = Instant::now();
        if stream.last_record.elapsed() >= self.settings.record_every {
            self.record(stream);
        }
    }

    /// The summaries of a stream recorded in the store.
    fn record(&mut self, stream: &mut HeaderStream) {
        stream.last_record = Instant::now();
        if !stream.to_store.is_empty() {
            let rows = std::mem::take(&mut stream.to_store);
            if let Some(store) = &self.store {
                let tx = self.link.tx.clone();
                store.post(move |s| {
                    if let Err(e) = s.put_summaries(&rows) {
                        let _ = tx.send(Event::Failed(Failure::new(
                            ErrorClass::Local,
                            t!("worker.cannot_record_headers", error = e).into_owned(),
                        )));
                    }
                });
            }
        }
    }

    /// After a header stream: the rest sent to the UI, all to the store.
    pub(super) fn end_stream(&mut self, mut stream: HeaderStream) {
        self.flush(&mut stream);
        self.record(&mut stream);
        self.state.health.last_activity = Instant::now();
    }

    /// Whether `r` should pause a header stream whose last reply was for
    /// message `last`: anything but a new visible range whose headers are
    /// here already or will be within the next `SOON` replies of a stream
    /// going newest first (pausing would only fetch them later).
    pub(super) fn interrupts(&self, r: &Request, last: u32) -> bool {
        match r {
            Request::Visible(v) => v.iter().any(|u| {
                let Some(m) = self.number_of(u) else {
                    return false;
                };
                let soon = m < last && last - m <= SOON;
                !self.is_known(m) && !soon
            }),
            _ => true,
        }
    }
}
