//! The session's life: the store's list before any reply, logging in (with
//! the first headers down the login's own pipeline on a first visit), the
//! server's index planned against the store, losing the link, and idling
//! with a probe and a keep-alive.

use rust_i18n::t;
use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use super::headers::{HeaderStream, Row, FIRST_BATCH};
use super::local;
use super::plan::Quit;
use super::protocol::Event;
use super::{Message, Worker};
use crate::error::{Classify, ErrorClass, Failure};
use crate::pop3::Mailbox;
use crate::pop3::{Arrival, AuthMethod, Flow, MailboxEntry, Pop3Error, TlsMode};
use crate::store::{Flags, Folder};
use crate::sync::{self, Known, ListRow};
use crate::uidl::Uidl;

/// Rows read from the store ahead of the rest: a tall terminal's worth.
const FIRST_LOCAL: usize = 200;
/// How often an idle session is checked for a drop.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// NOOP this often when idle, well inside the RFC 1939 ten-minute autologout.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(120);

impl<M: Mailbox> Worker<M> {
    /// The list from the store, before any network reply (local first).
    pub(super) async fn load_local(&mut self) {
        let Some(store) = &self.store else { return };
        // The newest screenful first: on screen before the rest is read.
        let tx = self.link.tx.clone();
        store.post(move |s| {
            if let Ok(rows) = s.load_newest(&Folder::Inbox, FIRST_LOCAL) {
                if !rows.is_empty() {
                    let rows = rows.iter().map(ListRow::from_store).collect();
                    let _ = tx.send(Event::LocalLoaded(rows));
                }
            }
        });
        let loaded = store
            .run(|s| {
                let rows = s.load(&Folder::Inbox);
                // Filed elsewhere: known, so a message still on the server
                // is neither shown in INBOX again nor downloaded twice.
                // (INBOX is not read twice: 100,000 summaries held twice
                // were the reader's peak memory.)
                let elsewhere: Vec<crate::store::Row> = s.load_filed().unwrap_or_default();
                (rows, elsewhere, std::mem::take(&mut s.notes), s.folders())
            })
            .await;
        let (rows, elsewhere, notes, folders) = match loaded {
            Ok(all) => all,
            Err(e) => (
                Err(crate::store::StoreError::NotStored(e.to_string())),
                Vec::new(),
                Vec::new(),
                Folder::ALL.to_vec(),
            ),
        };
        self.send(Event::Folders(folders.clone()));
        for note in notes {
            self.send(Event::Failed(Failure::new(
                ErrorClass::Local,
                t!("worker.store_note", note = note).into_owned(),
            )));
        }
        match rows {
            Ok(rows) => {
                if !rows.is_empty() {
                    self.send(Event::LocalLoaded(
                        rows.iter().map(ListRow::from_store).collect(),
                    ));
                }
                self.local = rows
                    .iter()
                    .chain(&elsewhere)
                    .map(|r| (r.uidl.clone(), Known::from(r)))
                    .collect();
                crate::timings::mark_rss("local-loaded");
            }
            Err(e) => self.send(Event::Failed(Failure::new(
                ErrorClass::Local,
                t!("worker.cannot_read_store", error = e).into_owned(),
            ))),
        }
        if let Some(store) = &self.store {
            // The other folders, for the sidebar's counts and instant switching.
            for folder in folders.into_iter().filter(|f| *f != Folder::Inbox) {
                local::execute(
                    store,
                    &self.settings.filer,
                    local::LocalRequest::LoadFolder(folder),
                    self.link.tx.clone(),
                );
            }
            // Flags changed by another Maildir reader (mutt) are taken up next time.
            store.post(|s| {
                if let Err(e) = s.reconcile() {
                    tracing::warn!("local store: {e}");
                }
            });
        }
    }

    pub(super) fn store_failed(&self, what: &str, e: impl std::fmt::Display) {
        self.send(Event::Failed(Failure::new(
            ErrorClass::Local,
            format!("{what}: {e}"),
        )));
    }

    /// Network trouble ends the session (to be re-established); a refusal is reported.
    pub(super) fn trouble(&mut self, e: Pop3Error) {
        let broken = self.client.as_mut().is_some_and(|c| c.is_broken());
        if e.is_fatal() || broken {
            tracing::warn!("connection lost: {e}");
            self.state.health.lost(Instant::now());
            self.client = None;
            self.state.marks.session_lost();
            self.send(Event::ConnectionLost {
                reason: e.to_string(),
                uncommitted: self.state.marks.user.len(),
            });
        } else {
            self.send(Event::Failed(Failure::new(
                ErrorClass::Server,
                e.to_string(),
            )));
        }
    }

    pub(super) async fn connect_failed(&mut self, e: Pop3Error) {
        self.send(Event::Failed(Failure::of(&e)));
        let Some(secs) = self.state.health.connect_failed(e.class()) else {
            return;
        };
        self.send(Event::Reconnecting { in_secs: secs });
        let _ = tokio::time::timeout(Duration::from_secs(secs), self.wait_for_request()).await;
    }

    pub(super) async fn wait_for_request(&mut self) {
        match self.link.rx.recv().await {
            Some(r) => self.accept(r),
            None => self.state.wants.quit = Some(Quit::Discard),
        }
    }

    pub(super) async fn connect(&mut self) -> Result<(), Pop3Error> {
        // Nothing known (a first visit, an empty cache): every header is
        // wanted, so the TOPs follow STAT down the login's own pipeline.
        let prefetch = self.local.is_empty() && self.index.known == 0;
        let client = if prefetch {
            let cfg = self.cfg.clone();
            let mut stream = HeaderStream::new(HashSet::new());
            // The newest headers come before the index, known by this
            // session's numbers only: shown as a preview, keyed by UIDL and
            // cached once the index is in.
            let mut early: Option<Vec<(u32, Row)>> = Some(Vec::new());
            let mut count = 0;
            let client = M::open_prefetching(&cfg, FIRST_BATCH as u32, |arrival| {
                match (arrival, early.as_mut()) {
                    (Arrival::Count(n), _) => {
                        count = n as usize;
                        if self.store.is_some() {
                            stream.expect(count);
                        }
                        Flow::Continue
                    }
                    (Arrival::Header(n, reply), Some(rows)) => {
                        // Each row goes out as it comes: the server may hold
                        // the last few back while it prepares UIDL.
                        let row = self.summarise(reply);
                        self.send(Event::Preview {
                            count,
                            rows: vec![row.0.clone()],
                        });
                        rows.push((n, row));
                        self.poll_requests(n)
                    }
                    (
                        Arrival::Index {
                            entries,
                            auth,
                            pipelined,
                        },
                        _,
                    ) => {
                        self.take_index(entries, auth, pipelined);
                        for (n, summary) in early.take().unwrap_or_default() {
                            self.header_known(&mut stream, n, summary);
                        }
                        self.flush(&mut stream);
                        Flow::Continue
                    }
                    (Arrival::Header(n, reply), None) => self.header_arrived(&mut stream, n, reply),
                }
            })
            .await;
            self.end_stream(stream);
            client?
        } else {
            // UIDLs the store has are shared, not allocated a second time.
            let local = &self.local;
            let share = |u: &str| local.get_key_value(u).map(|(k, _)| k.shared());
            let (client, entries) = M::open_sharing(&self.cfg, &share).await?;
            self.take_index(entries, client.auth_method(), client.is_pipelined());
            client
        };
        if let Some(note) = client
            .expire()
            .and_then(|e| self.settings.policy.expire_note(&e))
        {
            self.send(Event::Failed(Failure::new(ErrorClass::Server, note)));
        }
        self.state.marks.session_started();
        self.client = Some(client);
        self.state.health.last_activity = Instant::now();
        Ok(())
    }

    /// A new session's index: named (`sync::identify`), planned against the
    /// store (`sync::plan`), recorded there, and sent to the UI as the list.
    pub(super) fn take_index(
        &mut self,
        index: Vec<MailboxEntry>,
        auth: AuthMethod,
        pipelined: bool,
    ) {
        crate::timings::mark("logged-in-and-indexed");
        self.state.health.logged_in(Instant::now());
        let had_uidl = self.index.has_uidl;
        let id = sync::identify(index);
        self.index.has_uidl = id.has_uidl || id.messages.is_empty();
        let mut plan = sync::plan(&id, &self.local, &self.state.marks.user);
        if !plan.marks_dropped.is_empty() {
            for u in &plan.marks_dropped {
                self.state.marks.user.remove(u);
            }
            let why = if plan.marks_dropped.iter().all(|u| u.is_session()) {
                t!("worker.marks_no_uidl")
            } else {
                t!("worker.marks_gone")
            };
            self.send(Event::MarksDropped {
                uidls: plan.marks_dropped.clone(),
                why: why.into(),
            });
        }
        // What the UI has already, from an earlier session of this run.
        let was_known: HashSet<Uidl> = self
            .index
            .messages
            .iter()
            .filter(|m| m.known && !m.uidl.is_session())
            .map(|m| m.uidl.clone())
            .collect();
        let count = id.messages.len();
        let (has_uidl, duplicated, unusable) = (id.has_uidl, id.duplicated, id.unusable);
        drop(id);
        self.index.messages = Vec::with_capacity(count);
        for r in &plan.rows {
            let Some(number) = r.number else { continue };
            self.index.messages.push(Message {
                number,
                known: r.summary.is_some() || was_known.contains(&r.uidl),
                size: r.size,
                uidl: r.uidl.clone(),
            });
        }
        self.index.messages.sort_unstable_by_key(|m| m.number);
        self.index.by_uidl = (0..self.index.messages.len() as u32).collect();
        let index = &self.index.messages;
        self.index
            .by_uidl
            .sort_unstable_by(|&a, &b| index[a as usize].uidl.cmp(&index[b as usize].uidl));
        self.index.known = self.index.messages.iter().filter(|m| m.known).count();
        let first = self.local.values().map(|k| k.seq).max().unwrap_or(0) + 1;
        // Grown once, not by doubling (each step briefly holds both tables:
        // 9.6 MB at 100,000 new messages instead of 6.4).
        self.local.reserve(plan.new.len());
        for (seq, (u, size)) in (first..).zip(plan.new.iter()) {
            self.local.insert(
                u.clone(),
                Known {
                    summary: None,
                    flags: Flags::default(),
                    stored: false,
                    on_server: true,
                    seq,
                    size: *size,
                    elsewhere: false,
                },
            );
        }
        for u in &plan.gone {
            match self.local.get_mut(u) {
                Some(k) if k.stored => k.on_server = false,
                _ => {
                    self.local.remove(u);
                }
            }
        }
        if let Some(store) = &self.store {
            if !plan.new.is_empty() || !plan.gone.is_empty() {
                let (new, gone) = (
                    std::mem::take(&mut plan.new),
                    std::mem::take(&mut plan.gone),
                );
                let tx = self.link.tx.clone();
                store.post(move |s| {
                    if let Err(e) = s.apply_server_index(&new, &gone) {
                        let _ = tx.send(Event::Failed(Failure::new(
                            ErrorClass::Local,
                            t!("worker.cannot_record_index", error = e).into_owned(),
                        )));
                    }
                });
            }
        }
        if !has_uidl && count > 0 && (had_uidl || self.store.is_some()) {
            self.send(Event::Failed(Failure::new(
                ErrorClass::Server,
                t!("worker.no_uidl"),
            )));
        }
        if unusable > 0 {
            self.send(Event::Failed(Failure::new(
                ErrorClass::Server,
                t!("worker.unusable_uidl", n = unusable),
            )));
        }
        if !(!has_uidl && count > 0 && (had_uidl || self.store.is_some())) && duplicated > 0 {
            self.send(Event::Failed(Failure::new(
                ErrorClass::Server,
                t!("worker.duplicated_uidl", n = duplicated),
            )));
        }
        self.send(Event::Connected {
            tls: self.cfg.endpoint.tls != TlsMode::None,
            auth: auth.to_string(),
            pipelined,
            has_uidl: self.index.has_uidl,
        });
        crate::timings::mark_rss("before-indexed");
        self.send(Event::Indexed(plan.rows));
    }

    /// Nothing to do: wait for a request, probing the connection every second
    /// so a drop is noticed even while the user only reads.
    pub(super) async fn idle(&mut self) {
        let check = self.state.health.next_check;
        let due = async move {
            match check {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // The check is due: `next_step` says so next.
            _ = due => {}
            r = self.link.rx.recv() => match r {
                Some(r) => self.accept(r),
                None => self.state.wants.quit = Some(Quit::Discard),
            },
            _ = tokio::time::sleep(PROBE_EVERY) => {
                let Some(client) = self.client.as_mut() else { return };
                let result = if self.state.health.last_activity.elapsed() >= KEEPALIVE_EVERY {
                    self.state.health.last_activity = Instant::now();
                    client.noop().await
                } else {
                    client.probe().await
                };
                if let Err(e) = result {
                    self.trouble(e);
                }
            }
        }
    }
}
