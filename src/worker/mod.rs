//! The one task that owns the POP3 session. The UI sends `Request`s and gets
//! `Event`s back; it never sees a message number (the worker maps UIDL to this
//! session's number). Marks for deletion are kept here too, client-side, so a
//! dropped connection loses none: they are re-applied (DELE) in the next
//! session and committed only by the user's QUIT. What to fetch is decided by
//! `sync::plan`; the store is reached only through its own thread.

mod body;
pub mod local;

pub use body::SPILL_ABOVE;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::error::{Classify, ErrorClass, Failure};
use crate::mime::{DecodeOptions, Rendered, Summary};
use crate::pop3::{
    Arrival, AuthMethod, Client, ClientConfig, Flow, MailboxEntry, Pop3Error, TlsMode,
};
use crate::store::{Flags, Folder, StoreHandle};
use crate::sync::{self, Known, ListRow};
use crate::uidl::Uidl;

/// What the UI asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The messages on screen: their headers are fetched first. Replaces the last one.
    Visible(Vec<Uidl>),
    /// RETR (or the stored copy) and decode. Replaces a fetch still waiting.
    FetchBody(Uidl),
    /// DELE now (a mark; committed only at QUIT).
    Mark(Uidl),
    /// Remove one mark (RSET, then DELE the others again).
    Unmark(Uidl),
    /// RSET.
    UnmarkAll,
    /// Save attachments (`parts` empty: all) into `dir`, retrieving (and
    /// keeping) the message first if it is not stored.
    Save {
        uidl: Uidl,
        dir: std::path::PathBuf,
        parts: Vec<usize>,
    },
    /// A new session to see new mail; marks re-applied, nothing committed.
    Refresh,
    /// QUIT with the marks standing: the server deletes them.
    QuitCommit,
    /// RSET + QUIT: leave without deleting anything.
    QuitDiscard,
    /// The password, typed at the reader's prompt: log in with it.
    Password(crate::secret::Secret),
    /// The user left this message while it downloads: stop a long download.
    StopBody(Uidl),
}

/// A download that can be stopped: larger than this, or running this long.
const CANCEL_ABOVE: u64 = 1024 * 1024;
const CANCEL_AFTER: Duration = Duration::from_secs(2);

/// Does `r`, arriving during the download of `uidl`, stop it?
fn cancels(r: &Request, uidl: &Uidl) -> bool {
    match r {
        Request::FetchBody(u) => u != uidl,
        Request::StopBody(u) => u == uidl,
        Request::Refresh | Request::QuitCommit | Request::QuitDiscard => true,
        _ => false,
    }
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    Connected {
        tls: bool,
        auth: String,
        pipelined: bool,
        has_uidl: bool,
    },
    /// A first visit's newest headers, before the index is in (newest
    /// first, following any sent before): rows to show, not yet messages
    /// (`Indexed` follows, then the same summaries by UIDL).
    Preview {
        count: usize,
        rows: Vec<Arc<Summary>>,
    },
    /// What the local store holds, newest first, before any server reply.
    LocalLoaded(Vec<ListRow>),
    /// The whole mailbox, newest first (stored messages gone from the
    /// server merged in). Replaces the previous index.
    Indexed(Vec<ListRow>),
    /// Summaries, shared with the store's copy.
    HeadersLoaded(Vec<(Uidl, Arc<Summary>)>),
    BodyProgress {
        uidl: Uidl,
        received: u64,
        total: u64,
    },
    BodyLoaded {
        uidl: Uidl,
        rendered: Arc<Rendered>,
    },
    /// The first `shown` bytes of a large message, decoded, while the rest downloads.
    BodyPartial {
        uidl: Uidl,
        rendered: Arc<Rendered>,
        shown: u64,
        total: u64,
    },
    BodyFailed {
        uidl: Uidl,
        error: String,
        /// The stored copy could not be read (gone from disk, unreadable):
        /// the server may still have the message.
        stored_copy: bool,
    },
    /// The whole message is now in the local store.
    Stored(Uidl),
    /// A folder's messages, from the store (for Sent, Drafts, Trash).
    FolderLoaded {
        folder: Folder,
        rows: Vec<ListRow>,
    },
    /// A stored message moved between folders (to Trash, restored), or
    /// removed for good (`to` None).
    Moved {
        uidl: Uidl,
        from: Folder,
        to: Option<Folder>,
    },
    /// A text attachment to show in the reader (no display to open it on).
    ShowText(Arc<Rendered>),
    /// Background downloading (`download = "all"`): `done` of `total` stored.
    Downloading {
        done: usize,
        total: usize,
    },
    /// Attachments saved (their paths), or why not.
    Saved(Result<Vec<std::path::PathBuf>, String>),
    /// The marks now standing in the server session.
    MarksApplied(BTreeSet<Uidl>),
    /// Marks that could not be kept (the message went away, or the server has no UIDL).
    MarksDropped {
        uidls: Vec<Uidl>,
        why: String,
    },
    ConnectionLost {
        reason: String,
        uncommitted: usize,
    },
    Reconnecting {
        in_secs: u64,
    },
    /// Something went wrong; its class says what the UI does about it.
    Failed(Failure),
    /// The session ended with QUIT; `deleted` messages were committed.
    Closed {
        deleted: usize,
    },
    /// The task that owned this account's session stopped by a bug (a
    /// panic): the reader leaves, restoring the terminal, and exits non-zero.
    Crashed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quit {
    Commit,
    Discard,
}

/// Rows read from the store ahead of the rest: a tall terminal's worth.
const FIRST_LOCAL: usize = 200;
/// How many summaries go into one `HeadersLoaded`.
const HEADER_BATCH: usize = 256;
/// The first batch of a stream with no rows on screen yet: a tall terminal's worth.
const FIRST_BATCH: usize = 64;
/// Rows a header stream will reach soon enough not to be paused for.
const SOON: u32 = 2048;
/// How often an idle session is checked for a drop.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// NOOP this often when idle, well inside the RFC 1939 ten-minute autologout.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(120);
/// A session lost sooner than this after its login counts as dying young.
const HEALTHY_SESSION: Duration = Duration::from_secs(60);

/// The message named `uidl` in `index` (number order), through `by_uidl`
/// (positions in UIDL order): a binary search, no map of 100,000 keys.
fn lookup<'a>(index: &'a [Message], by_uidl: &[u32], uidl: &str) -> Option<&'a Message> {
    let i = by_uidl
        .binary_search_by(|&p| index[p as usize].uidl.as_str().cmp(uidl))
        .ok()?;
    index.get(by_uidl[i] as usize)
}

/// One message of this session's index.
#[derive(Debug)]
struct Message {
    number: u32,
    /// Whether the UI has its summary (carried across sessions by UIDL).
    known: bool,
    /// From LIST.
    size: u64,
    uidl: Uidl,
}

/// A summary for the list, and whether it may be cached (a refusal's note may not).
type Row = (Arc<Summary>, bool);

/// A header stream in progress: what is batched for the UI, and which rows
/// were on screen when it started (sent as soon as they are all in).
struct HeaderStream {
    batch: Vec<(Uidl, Arc<Summary>)>,
    /// Summaries to record in the store (with the same flushes).
    to_store: Vec<(Uidl, Arc<Summary>)>,
    first: HashSet<Uidl>,
    last_flush: Instant,
    sent: usize,
}

impl HeaderStream {
    fn new(first: HashSet<Uidl>) -> HeaderStream {
        HeaderStream {
            batch: Vec::new(),
            to_store: Vec::new(),
            first,
            last_flush: Instant::now(),
            sent: 0,
        }
    }
}

pub struct Worker {
    cfg: ClientConfig,
    decode: DecodeOptions,
    /// The local store (none for a server-only session).
    store: Option<StoreHandle>,
    /// What the store knows, by UIDL: only messages without a summary cost a TOP.
    local: HashMap<Uidl, Known>,
    rx: UnboundedReceiver<Request>,
    tx: UnboundedSender<Event>,
    client: Option<Client>,
    /// UIDL -> this session's message number.
    by_uidl: Vec<u32>,
    /// This session's messages in number order (oldest first): found by binary search.
    index: Vec<Message>,
    /// How many of `index` are `known`.
    known: usize,
    has_uidl: bool,
    visible: Vec<Uidl>,
    body_wanted: Option<Uidl>,
    save_wanted: VecDeque<(Uidl, std::path::PathBuf, Vec<usize>)>,
    /// `download = "all"`: the size limit (None: no limit), or off.
    background: Option<Option<u64>>,
    /// The account's leave_on_server, to say when the server's EXPIRE is stricter.
    policy: crate::sync::LeavePolicy,
    /// Messages the background download could not have (refused): not retried this session.
    download_failed: HashSet<Uidl>,
    /// The user's marks: the truth, whatever the session holds.
    marks: BTreeSet<Uidl>,
    /// The marks standing in the current server session.
    applied: BTreeSet<Uidl>,
    marks_dirty: bool,
    quit: Option<Quit>,
    refresh: bool,
    /// A login or TLS failure: wait for the user (refresh or quit) instead of retrying.
    halted: bool,
    failures: u32,
    last_activity: Instant,
    pending: VecDeque<Request>,
    /// `check_interval`: a new session this often to see new mail.
    check_every: Option<Duration>,
    /// When the next check is due (from the last login).
    next_check: Option<Instant>,
    /// Sessions in a row lost soon after their login (backoff across logins).
    drops: u32,
    /// The pause for `drops` was taken before this reconnect.
    paused_after_drop: bool,
    /// When the current session logged in.
    logged_in_at: Option<Instant>,
    /// `max_message_size`: a RETR larger than this is refused.
    max_message_size: u64,
}

impl Worker {
    pub fn new(
        cfg: ClientConfig,
        decode: DecodeOptions,
        store: Option<StoreHandle>,
        rx: UnboundedReceiver<Request>,
        tx: UnboundedSender<Event>,
    ) -> Worker {
        Worker {
            cfg,
            decode,
            store,
            local: HashMap::new(),
            rx,
            tx,
            client: None,
            by_uidl: Vec::new(),
            index: Vec::new(),
            known: 0,
            has_uidl: true,
            visible: Vec::new(),
            body_wanted: None,
            save_wanted: VecDeque::new(),
            background: None,
            policy: crate::sync::LeavePolicy::default(),
            download_failed: HashSet::new(),
            marks: BTreeSet::new(),
            applied: BTreeSet::new(),
            marks_dirty: false,
            quit: None,
            refresh: false,
            halted: false,
            failures: 0,
            last_activity: Instant::now(),
            pending: VecDeque::new(),
            check_every: None,
            next_check: None,
            drops: 0,
            paused_after_drop: false,
            logged_in_at: None,
            max_message_size: crate::pop3::client::MAX_MESSAGE_SIZE,
        }
    }

    /// `max_message_size` (default 1 GB).
    pub fn with_max_message_size(mut self, max: u64) -> Worker {
        self.max_message_size = max;
        self
    }

    /// No password yet: the store's list is shown, and the session waits
    /// for `Request::Password`.
    pub fn waiting_for_password(mut self) -> Worker {
        self.halted = true;
        self
    }

    /// Looks for new mail every `every` with a new session (RFC 1939 §8:
    /// a session's mailbox does not change, so NOOP cannot show new mail).
    pub fn with_check_interval(mut self, every: Option<Duration>) -> Worker {
        self.check_every = every;
        self
    }

    /// Downloads every new message in the background once the headers are
    /// in (`download = "all"`), messages over `max_size` excepted.
    pub fn with_background_download(mut self, max_size: Option<Option<u64>>) -> Worker {
        self.background = max_size;
        self
    }

    /// The account's `leave_on_server` (for the EXPIRE note).
    pub fn with_policy(mut self, policy: crate::sync::LeavePolicy) -> Worker {
        self.policy = policy;
        self
    }

    fn send(&self, e: Event) {
        // The UI may be gone already at exit; nothing to do about it then.
        let _ = self.tx.send(e);
    }

    /// Takes a request in (`interrupts` says whether it should pause a header stream).
    fn accept(&mut self, r: Request) {
        match r {
            Request::Visible(v) => self.visible = v,
            Request::FetchBody(u) => self.body_wanted = Some(u),
            Request::Save { uidl, dir, parts } => self.save_wanted.push_back((uidl, dir, parts)),
            Request::Mark(u) => self.marks_dirty |= self.marks.insert(u),
            Request::Unmark(u) => self.marks_dirty |= self.marks.remove(&u),
            Request::UnmarkAll => {
                self.marks_dirty |= !self.marks.is_empty() || !self.applied.is_empty();
                self.marks.clear();
            }
            Request::Refresh => {
                self.refresh = true;
                self.halted = false;
            }
            Request::QuitCommit => {
                self.quit = Some(Quit::Commit);
                self.halted = false;
            }
            Request::QuitDiscard => self.quit = Some(Quit::Discard),
            // Only a download in progress can be stopped (see `cancels`).
            Request::StopBody(_) => {}
            Request::Password(p) => {
                self.cfg.password = p;
                self.halted = false;
                self.failures = 0;
            }
        }
    }

    /// Takes every waiting request without blocking. Returns false if the UI is gone.
    fn drain(&mut self) -> bool {
        while let Some(r) = self.pending.pop_front() {
            self.accept(r);
        }
        loop {
            match self.rx.try_recv() {
                Ok(r) => self.accept(r),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => return true,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    pub async fn run(mut self) {
        self.load_local().await;
        loop {
            if !self.drain() && self.quit.is_none() {
                // The UI is gone without a word: leave without deleting.
                self.quit = Some(Quit::Discard);
            }
            if self.quit == Some(Quit::Discard) {
                let deleted = 0;
                if let Some(client) = self.client.take() {
                    if let Err(e) = client.quit_discarding().await {
                        tracing::warn!("RSET/QUIT on exit: {e}");
                    }
                }
                self.send(Event::Closed { deleted });
                return;
            }
            if self.refresh {
                self.refresh = false;
                // Dropping the session without QUIT commits nothing; the marks are re-applied.
                self.client = None;
            }
            if self.client.is_none() {
                if self.halted {
                    self.wait_for_request().await;
                    continue;
                }
                if self.drops > 0 && !self.paused_after_drop {
                    // Sessions keep dying young: wait before the next one.
                    self.paused_after_drop = true;
                    let secs = self.backoff(self.drops);
                    self.send(Event::Reconnecting { in_secs: secs });
                    let _ =
                        tokio::time::timeout(Duration::from_secs(secs), self.wait_for_request())
                            .await;
                    continue;
                }
                self.paused_after_drop = false;
                if let Err(e) = self.connect().await {
                    self.connect_failed(e).await;
                    continue;
                }
            }
            if self.marks_dirty {
                if let Err(e) = self.sync_marks().await {
                    self.trouble(e);
                }
                continue;
            }
            if self.quit == Some(Quit::Commit) {
                if self.commit().await {
                    return;
                }
                continue;
            }
            if let Some(uidl) = self.body_wanted.take() {
                if let Err(e) = self.fetch_body(&uidl).await {
                    self.send(Event::BodyFailed {
                        uidl: uidl.clone(),
                        error: e.to_string(),
                        stored_copy: false,
                    });
                    self.trouble(e);
                }
                continue;
            }
            if let Some((uidl, dir, parts)) = self.save_wanted.pop_front() {
                if let Err(e) = self.save(&uidl, dir, parts).await {
                    self.send(Event::Saved(Err(e.to_string())));
                    self.trouble(e);
                }
                continue;
            }
            if self.headers_missing() {
                if let Err(e) = self.load_headers().await {
                    self.trouble(e);
                }
                continue;
            }
            if !self.to_download().is_empty() {
                if let Err(e) = self.download_some().await {
                    self.trouble(e);
                }
                continue;
            }
            self.idle().await;
        }
    }

    /// The list from the store, before any network reply (local first).
    async fn load_local(&mut self) {
        let Some(store) = &self.store else { return };
        // The newest screenful first: on screen before the rest is read.
        let tx = self.tx.clone();
        store.post(move |s| {
            if let Ok(rows) = s.load_newest(Folder::Inbox, FIRST_LOCAL) {
                if !rows.is_empty() {
                    let rows = rows.iter().map(ListRow::from_store).collect();
                    let _ = tx.send(Event::LocalLoaded(rows));
                }
            }
        });
        let loaded = store
            .run(|s| (s.load(Folder::Inbox), std::mem::take(&mut s.notes)))
            .await;
        let (rows, notes) = match loaded {
            Ok(pair) => pair,
            Err(e) => (
                Err(crate::store::StoreError::NotStored(e.to_string())),
                Vec::new(),
            ),
        };
        for note in notes {
            self.send(Event::Failed(Failure::new(
                ErrorClass::Local,
                format!("local store: {note}"),
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
                    .into_iter()
                    .map(|r| (r.uidl.clone(), Known::from(&r)))
                    .collect();
                crate::timings::mark_rss("local-loaded");
            }
            Err(e) => self.send(Event::Failed(Failure::new(
                ErrorClass::Local,
                format!("cannot read the local store: {e}"),
            ))),
        }
        if let Some(store) = &self.store {
            // The other folders, for the sidebar's counts and instant switching.
            for folder in [Folder::Sent, Folder::Drafts, Folder::Trash] {
                local::execute(
                    store,
                    self.decode,
                    local::LocalRequest::LoadFolder(folder),
                    self.tx.clone(),
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

    fn store_failed(&self, what: &str, e: impl std::fmt::Display) {
        self.send(Event::Failed(Failure::new(
            ErrorClass::Local,
            format!("{what}: {e}"),
        )));
    }

    /// Network trouble ends the session (to be re-established); a refusal is reported.
    fn trouble(&mut self, e: Pop3Error) {
        let broken = self
            .client
            .as_mut()
            .is_some_and(|c| c.connection().is_broken());
        if e.is_fatal() || broken {
            tracing::warn!("connection lost: {e}");
            // A session lost soon after its login counts towards the backoff
            // (a server that drops at every DELE must not be asked again and
            // again); one that lived a while starts the count afresh.
            let young = self
                .logged_in_at
                .is_some_and(|t| t.elapsed() < HEALTHY_SESSION);
            self.drops = if young { self.drops + 1 } else { 0 };
            self.client = None;
            self.applied.clear();
            self.marks_dirty = !self.marks.is_empty();
            self.send(Event::ConnectionLost {
                reason: e.to_string(),
                uncommitted: self.marks.len(),
            });
        } else {
            self.send(Event::Failed(Failure::new(
                ErrorClass::Server,
                e.to_string(),
            )));
        }
    }

    /// The delay before the next attempt: 1, 2, 5, 10, 30 s, then up to the
    /// check interval (at least 30 s).
    fn backoff(&self, attempts: u32) -> u64 {
        let cap = self.check_every.map_or(30, |d| d.as_secs().max(30));
        [1, 2, 5, 10, 30, 60, 120, 300, 600][(attempts.max(1) as usize - 1).min(8)].min(cap)
    }

    async fn connect_failed(&mut self, e: Pop3Error) {
        let class = e.class();
        self.send(Event::Failed(Failure::of(&e)));
        if class.needs_the_user() {
            self.halted = true;
            return;
        }
        self.failures += 1;
        // Backing off while the server is away: up to 30 s, or up to the
        // check interval when that is longer (a server down for the night is
        // not asked every 30 s until morning).
        let secs = self.backoff(self.failures + self.drops);
        self.send(Event::Reconnecting { in_secs: secs });
        let _ = tokio::time::timeout(Duration::from_secs(secs), self.wait_for_request()).await;
    }

    async fn wait_for_request(&mut self) {
        match self.rx.recv().await {
            Some(r) => self.accept(r),
            None => self.quit = Some(Quit::Discard),
        }
    }

    async fn connect(&mut self) -> Result<(), Pop3Error> {
        // Nothing known (a first visit, an empty cache): every header is
        // wanted, so the TOPs follow STAT down the login's own pipeline.
        let prefetch = self.local.is_empty() && self.known == 0;
        let client = if prefetch {
            let cfg = self.cfg.clone();
            let mut stream = HeaderStream::new(HashSet::new());
            // The newest headers come before the index, known by this
            // session's numbers only: shown as a preview, keyed by UIDL and
            // cached once the index is in.
            let mut early: Option<Vec<(u32, Row)>> = Some(Vec::new());
            let mut count = 0;
            let client = Client::open_prefetching(&cfg, FIRST_BATCH as u32, |arrival| {
                match (arrival, early.as_mut()) {
                    (Arrival::Count(n), _) => {
                        count = n as usize;
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
            let (client, entries) = Client::open_sharing(&self.cfg, &share).await?;
            self.take_index(entries, client.auth_method(), client.is_pipelined());
            client
        };
        if let Some(note) = client
            .capabilities()
            .expire
            .as_deref()
            .and_then(|e| self.policy.expire_note(e))
        {
            self.send(Event::Failed(Failure::new(ErrorClass::Server, note)));
        }
        self.applied.clear();
        self.marks_dirty = true;
        self.client = Some(client);
        self.last_activity = Instant::now();
        Ok(())
    }

    /// A new session's index: named (`sync::identify`), planned against the
    /// store (`sync::plan`), recorded there, and sent to the UI as the list.
    fn take_index(&mut self, index: Vec<MailboxEntry>, auth: AuthMethod, pipelined: bool) {
        crate::timings::mark("logged-in-and-indexed");
        self.failures = 0;
        self.logged_in_at = Some(Instant::now());
        self.next_check = self.check_every.map(|d| Instant::now() + d);
        let had_uidl = self.has_uidl;
        let id = sync::identify(index);
        self.has_uidl = id.has_uidl || id.messages.is_empty();
        let plan = sync::plan(&id, &self.local, &self.marks);
        if !plan.marks_dropped.is_empty() {
            for u in &plan.marks_dropped {
                self.marks.remove(u);
            }
            let why = if plan.marks_dropped.iter().all(|u| u.is_session()) {
                "the server has no unique UIDL for them, so marks cannot follow messages into a new session"
            } else {
                "the messages are no longer on the server"
            };
            self.send(Event::MarksDropped {
                uidls: plan.marks_dropped.clone(),
                why: why.into(),
            });
        }
        // What the UI has already, from an earlier session of this run.
        let was_known: HashSet<Uidl> = self
            .index
            .iter()
            .filter(|m| m.known && !m.uidl.is_session())
            .map(|m| m.uidl.clone())
            .collect();
        let count = id.messages.len();
        let (has_uidl, duplicated, unusable) = (id.has_uidl, id.duplicated, id.unusable);
        drop(id);
        self.index = Vec::with_capacity(count);
        for r in &plan.rows {
            let Some(number) = r.number else { continue };
            self.index.push(Message {
                number,
                known: r.summary.is_some() || was_known.contains(&r.uidl),
                size: r.size,
                uidl: r.uidl.clone(),
            });
        }
        self.index.sort_unstable_by_key(|m| m.number);
        self.by_uidl = (0..self.index.len() as u32).collect();
        let index = &self.index;
        self.by_uidl
            .sort_unstable_by(|&a, &b| index[a as usize].uidl.cmp(&index[b as usize].uidl));
        self.known = self.index.iter().filter(|m| m.known).count();
        let first = self.local.values().map(|k| k.seq).max().unwrap_or(0) + 1;
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
                let (new, gone) = (plan.new.clone(), plan.gone.clone());
                let tx = self.tx.clone();
                store.post(move |s| {
                    if let Err(e) = s.apply_server_index(&new, &gone) {
                        let _ = tx.send(Event::Failed(Failure::new(
                            ErrorClass::Local,
                            format!("cannot record the server's index: {e}"),
                        )));
                    }
                });
            }
        }
        if !has_uidl && count > 0 && (had_uidl || self.store.is_some()) {
            self.send(Event::Failed(Failure::new(ErrorClass::Server, "the server has no UIDL: mail cannot be kept or remembered, and marks cannot survive a reconnect")));
        }
        if unusable > 0 {
            self.send(Event::Failed(Failure::new(ErrorClass::Server, format!(
                    "the server's UIDL listing was unusable for {unusable} message(s) (too long, or control characters): they can be read in this session only, and are never kept or deleted by it"
                ))));
        }
        if !(!has_uidl && count > 0 && (had_uidl || self.store.is_some())) && duplicated > 0 {
            self.send(Event::Failed(Failure::new(ErrorClass::Server, format!(
                    "the server gave {} messages a UIDL another message also has: they can be read in this session only, and are never kept or deleted by that UIDL",
                    duplicated
                ))));
        }
        self.send(Event::Connected {
            tls: self.cfg.endpoint.tls != TlsMode::None,
            auth: auth.to_string(),
            pipelined,
            has_uidl: self.has_uidl,
        });
        crate::timings::mark_rss("before-indexed");
        self.send(Event::Indexed(plan.rows));
    }

    /// This session's number for `uidl`.
    fn number_of(&self, uidl: &str) -> Option<u32> {
        lookup(&self.index, &self.by_uidl, uidl).map(|m| m.number)
    }

    /// Where message `n` is in `index`.
    fn position(&self, n: u32) -> Option<usize> {
        self.index.binary_search_by_key(&n, |m| m.number).ok()
    }

    /// This session's message `n`: its size from LIST and its UIDL.
    fn message(&self, n: u32) -> Option<(u64, &Uidl)> {
        let m = &self.index[self.position(n)?];
        Some((m.size, &m.uidl))
    }

    /// Whether the UI has the summary of message `n`.
    fn is_known(&self, n: u32) -> bool {
        self.position(n).is_some_and(|i| self.index[i].known)
    }

    /// Whether some message's headers have not been seen yet.
    fn headers_missing(&self) -> bool {
        self.known < self.index.len()
    }

    /// Brings the session's marks in line with the user's, in one round trip.
    async fn sync_marks(&mut self) -> Result<(), Pop3Error> {
        let Some(client) = self.client.as_mut() else {
            return Ok(());
        };
        self.marks_dirty = false;
        let (index, by_uidl) = (&self.index, &self.by_uidl);
        let numbers = |set: &BTreeSet<Uidl>| -> Vec<u32> {
            set.iter()
                .filter_map(|u| lookup(index, by_uidl, u).map(|m| m.number))
                .collect()
        };
        let refused = if self.applied.is_subset(&self.marks) {
            let new: BTreeSet<Uidl> = self.marks.difference(&self.applied).cloned().collect();
            client.dele(&numbers(&new)).await?
        } else {
            client.reset_marks(&numbers(&self.marks)).await?
        };
        // A temporary refusal (Dovecot says [SYS/TEMP] as it shuts a session
        // down) is not a verdict on the message: keep the mark, start over.
        if let Some((_, e)) = refused
            .iter()
            .find(|(_, e)| e.code() == Some(&crate::pop3::ResponseCode::SysTemp))
        {
            return Err(Pop3Error::ConnectionLost {
                addr: self.cfg.endpoint.addr(),
                reason: e.to_string(),
            });
        }
        self.applied = self.marks.clone();
        let mut dropped = Vec::new();
        let mut why = String::new();
        for (n, e) in refused {
            if let Some(u) = self.message(n).map(|(_, u)| u.clone()) {
                self.applied.remove(&u);
                self.marks.remove(&u);
                dropped.push(u);
            }
            why = e.to_string();
        }
        if !dropped.is_empty() {
            self.send(Event::MarksDropped {
                uidls: dropped,
                why,
            });
        }
        self.last_activity = Instant::now();
        self.send(Event::MarksApplied(self.applied.clone()));
        Ok(())
    }

    /// QUIT with the marks standing. True when done (the worker then ends).
    async fn commit(&mut self) -> bool {
        let Some(client) = self.client.take() else {
            return false;
        };
        let deleted = self.applied.len();
        match client.quit().await {
            Ok(()) => {
                self.deleted_on_server().await;
                self.send(Event::Closed { deleted });
                true
            }
            Err(e) => {
                // Not known to be committed: keep the marks and stay. RFC 1939
                // §6: after a QUIT -ERR some marked messages may be gone and
                // some not; a link lost during QUIT leaves it unknown. The
                // next session's index shows what is left; marks on it stay.
                self.quit = None;
                self.applied.clear();
                self.marks_dirty = !self.marks.is_empty();
                let error = match &e {
                    Pop3Error::Refused { .. } => format!(
                        "the server refused QUIT ({e}): some of the {deleted} marked messages may have been deleted and some not; reconnecting shows what is left"
                    ),
                    _ => format!(
                        "the connection ended during QUIT ({e}): the {deleted} deletions may or may not have been committed; reconnecting shows what is left"
                    ),
                };
                self.send(Event::Failed(Failure::new(e.class(), error)));
                false
            }
        }
    }

    /// After a committed QUIT: the local copies of the deleted messages go to
    /// Trash (where `u` restores them); the others leave the index.
    async fn deleted_on_server(&mut self) {
        let Some(store) = &self.store else { return };
        let deleted: Vec<Uidl> = self
            .applied
            .iter()
            .filter(|u| !u.is_session())
            .cloned()
            .collect();
        if deleted.is_empty() {
            return;
        }
        let done = store
            .run(move |s| {
                let mut errors = Vec::new();
                for u in &deleted {
                    if let Err(e) = s.deleted_on_server(u) {
                        errors.push(e.to_string());
                    }
                }
                errors
            })
            .await;
        match done {
            Ok(errors) if errors.is_empty() => {}
            Ok(errors) => self.store_failed("moving deleted mail to Trash", errors.join("; ")),
            Err(e) => self.store_failed("moving deleted mail to Trash", e),
        }
    }

    async fn fetch_body(&mut self, uidl: &Uidl) -> Result<(), Pop3Error> {
        if self.local.get(uidl).is_some_and(|k| k.stored) && self.body_from_store(uidl).await {
            return Ok(());
        }
        let Some(number) = self.number_of(uidl) else {
            self.send(Event::BodyFailed {
                uidl: uidl.clone(),
                error: "the message is no longer on the server".into(),
                stored_copy: false,
            });
            return Ok(());
        };
        let total = self.message(number).map_or(0, |(size, _)| size);
        let Some(raw) = self.retrieve_and_keep(number, uidl, total).await? else {
            return Ok(());
        };
        self.show_body(uidl, raw).await
    }

    /// RETR (streamed into the store's tmp/ when large) and keep it; None
    /// when there is no session.
    async fn retrieve_and_keep(
        &mut self,
        number: u32,
        uidl: &Uidl,
        size: u64,
    ) -> Result<Option<body::Retrieved>, Pop3Error> {
        let spill_dir = match &self.store {
            Some(s) if !uidl.is_session() => s.run(|s| s.tmp_dir()).await.ok(),
            _ => None,
        };
        let Some(client) = self.client.as_mut() else {
            return Ok(None);
        };
        let started = Instant::now();
        let (raw, held, cancelled) = {
            let retr = body::retrieve(
                client,
                (number, uidl, size),
                spill_dir.as_deref(),
                self.decode,
                &self.tx,
                self.max_message_size,
            );
            tokio::pin!(retr);
            // The user does not wait behind a long download: opening another
            // message, R, q or leaving this one stops it (the session is dropped
            // mid-reply and opened again; marks are the client's and come back).
            let mut held: Vec<Request> = Vec::new();
            let mut cancelled = None;
            // A request that would stop a download that was still short when
            // it came stops it once the download has run CANCEL_AFTER.
            let long_at = tokio::time::Instant::from_std(started + CANCEL_AFTER);
            let raw = loop {
                let waiting = held.iter().any(|r| cancels(r, uidl));
                tokio::select! {
                    r = &mut retr => break r,
                    _ = tokio::time::sleep_until(long_at), if waiting => {
                        if let Some(i) = held.iter().position(|r| cancels(r, uidl)) {
                            cancelled = Some(held.remove(i));
                            break Err(Pop3Error::Cancelled("stopped"));
                        }
                    }
                    req = self.rx.recv() => match req {
                        None => {
                            cancelled = Some(Request::QuitDiscard);
                            break Err(Pop3Error::Cancelled("the reader has gone"));
                        }
                        Some(r) => {
                            let long = size > CANCEL_ABOVE || started.elapsed() > CANCEL_AFTER;
                            if long && cancels(&r, uidl) {
                                cancelled = Some(r);
                                break Err(Pop3Error::Cancelled("stopped"));
                            }
                            held.push(r);
                        }
                    },
                }
            };
            (raw, held, cancelled)
        };
        self.pending.extend(held);
        if let Some(r) = cancelled {
            tracing::info!("a download was stopped for {r:?}");
            let stop_self = matches!(&r, Request::StopBody(u) if u == uidl);
            self.pending.push_front(r);
            self.client = None;
            self.applied.clear();
            self.marks_dirty = !self.marks.is_empty();
            self.send(Event::BodyFailed {
                uidl: uidl.clone(),
                error: if stop_self {
                    "the download was stopped when you left the message; open it again to download it".into()
                } else {
                    "the download was stopped for what you asked next; open the message again to download it".into()
                },
                stored_copy: false,
            });
            return Ok(None);
        }
        let raw = raw?;
        self.last_activity = Instant::now();
        Ok(Some(self.keep(uidl, raw).await))
    }

    /// Saves attachments: from the stored copy, retrieved (and kept) first if
    /// need be; a message that cannot be kept is saved from memory.
    async fn save(
        &mut self,
        uidl: &Uidl,
        dir: std::path::PathBuf,
        parts: Vec<usize>,
    ) -> Result<(), Pop3Error> {
        let stored = self.local.get(uidl).is_some_and(|k| k.stored);
        let raw = if stored {
            None
        } else {
            let Some(number) = self.number_of(uidl) else {
                self.send(Event::Saved(Err(
                    "the message is no longer on the server".into()
                )));
                return Ok(());
            };
            let total = self.message(number).map_or(0, |(size, _)| size);
            let Some(raw) = self.retrieve_and_keep(number, uidl, total).await? else {
                return Ok(());
            };
            Some(raw)
        };
        let decode = self.decode;
        let result = match (raw, &self.store) {
            (Some(body::Retrieved::Memory(bytes)), _) => tokio::task::spawn_blocking(move || {
                crate::store::names::save_attachments(&bytes, &decode, &dir, &parts)
                    .map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string())),
            (Some(body::Retrieved::File(_)), _) | (_, None) => {
                Err("the message could not be kept in the local store".to_string())
            }
            (_, Some(store)) => {
                let u = uidl.clone();
                store
                    .run(move |s| local::save_stored(s, &u, &dir, &parts, &decode))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()))
            }
        };
        self.send(Event::Saved(result));
        Ok(())
    }

    /// With `download = "all"`: the messages still to store, newest first.
    fn to_download(&self) -> Vec<(u32, u64)> {
        let (Some(limit), Some(_)) = (self.background, &self.store) else {
            return Vec::new();
        };
        self.index
            .iter()
            .rev()
            .filter(|m| !m.uidl.is_session() && limit.is_none_or(|l| m.size <= l))
            .filter(|m| !self.local.get(&m.uidl).is_some_and(|k| k.stored))
            .filter(|m| !self.download_failed.contains(&m.uidl))
            .map(|m| (m.number, m.size))
            .collect()
    }

    /// A stretch of the background download: pipelined RETRs (at most 4 MB
    /// outstanding), paused as soon as the user asks for anything, stored in
    /// one batch on the store thread.
    async fn download_some(&mut self) -> Result<(), Pop3Error> {
        let mut wanted = self.to_download();
        let total_left = wanted.len();
        // Large ones stream through the ordinary body path, one at a time.
        if let Some(&(n, size)) = wanted.first().filter(|w| w.1 > 1024 * 1024) {
            let Some(uidl) = self.message(n).map(|(_, u)| u.clone()) else {
                return Ok(());
            };
            if self.retrieve_and_keep(n, &uidl, size).await?.is_none() {
                return Ok(());
            }
            if !self.local.get(&uidl).is_some_and(|k| k.stored) {
                self.download_failed.insert(uidl);
            }
            self.report_download(total_left.saturating_sub(1));
            return Ok(());
        }
        wanted.retain(|w| w.1 <= 1024 * 1024);
        wanted.truncate(256);
        let Some(mut client) = self.client.take() else {
            return Ok(());
        };
        let mut got: Vec<(Uidl, Vec<u8>)> = Vec::new();
        let result = client
            .retrieve_sized(&wanted, 4 * 1024 * 1024, 4 * 1024 * 1024, |n, reply| {
                match (reply, self.message(n).map(|(_, u)| u.clone())) {
                    (Ok(bytes), Some(u)) => got.push((u, bytes)),
                    (Err(_), Some(u)) => {
                        self.download_failed.insert(u);
                    }
                    _ => {}
                }
                self.poll_requests(n)
            })
            .await;
        self.client = Some(client);
        self.last_activity = Instant::now();
        let asked: Vec<Uidl> = got.iter().map(|(u, _)| u.clone()).collect();
        if let Some(store) = &self.store {
            let n = got.len();
            match store.run(move |s| s.deliver_batch(&got)).await {
                Ok(Ok(_)) => {
                    for u in &asked {
                        if let Some(k) = self.local.get_mut(u) {
                            k.stored = true;
                        }
                        self.send(Event::Stored(u.clone()));
                    }
                }
                Ok(Err(e)) => {
                    self.store_failed("cannot keep downloaded mail", e);
                    self.background = None;
                }
                Err(e) => {
                    self.store_failed("cannot keep downloaded mail", e);
                    self.background = None;
                }
            }
            self.report_download(total_left.saturating_sub(n));
        }
        result.map(drop)
    }

    fn report_download(&self, left: usize) {
        let stored = self
            .local
            .values()
            .filter(|k| k.stored && k.on_server)
            .count();
        self.send(Event::Downloading {
            done: stored,
            total: stored + left,
        });
    }

    /// Decodes a message (off this task when large) and sends it to the reader.
    async fn show_body(&mut self, uidl: &Uidl, raw: body::Retrieved) -> Result<(), Pop3Error> {
        let decode = self.decode;
        // A file is read, and a large message decoded, off this task, so the
        // session stays responsive and no disk read happens on it.
        let heavy = !matches!(&raw, body::Retrieved::Memory(b) if b.len() <= 256 * 1024);
        let rendered = if heavy {
            tokio::task::spawn_blocking(move || raw.render(&decode))
                .await
                .map_err(|e| Pop3Error::Local(format!("decoding failed: {e}")))?
        } else {
            raw.render(&decode)
        }
        .map_err(|e| Pop3Error::Local(format!("cannot read the downloaded message back: {e}")))?;
        self.send(Event::BodyLoaded {
            uidl: uidl.clone(),
            rendered: Arc::new(rendered),
        });
        Ok(())
    }

    /// The stored copy, decoded and sent; false when there is none (any more).
    async fn body_from_store(&mut self, uidl: &Uidl) -> bool {
        let Some(store) = &self.store else {
            return false;
        };
        let u = uidl.clone();
        let found = store
            .run(move |s| s.path(&u).map(|p| p.filter(|p| p.exists())))
            .await;
        match found {
            Ok(Ok(Some(path))) => match self.show_body(uidl, body::Retrieved::Stored(path)).await {
                Ok(()) => return true,
                Err(e) => self.store_failed("cannot read the stored message", e),
            },
            Ok(Ok(_)) => {}
            Ok(Err(e)) => self.store_failed("cannot read the stored message", e),
            Err(e) => self.store_failed("cannot read the stored message", e),
        }
        if let Some(k) = self.local.get_mut(uidl) {
            k.stored = false;
        }
        false
    }

    /// Keeps a retrieved message in the store (on the store's thread: the
    /// fsync never runs on this task). Returns where it can be read back.
    async fn keep(&mut self, uidl: &Uidl, raw: body::Retrieved) -> body::Retrieved {
        let Some(store) = self.store.clone() else {
            return raw;
        };
        if uidl.is_session() {
            return raw;
        }
        let u = uidl.clone();
        let kept = store
            .run(move |s| match raw {
                body::Retrieved::Memory(bytes) => {
                    let r = s.deliver(&u, &bytes, Flags::default(), None).map(|_| ());
                    (body::Retrieved::Memory(bytes), r)
                }
                body::Retrieved::File(tmp) => match s.deliver_tmp(&u, &tmp, Flags::default()) {
                    Ok(path) => (body::Retrieved::Stored(path), Ok(())),
                    Err(e) => (body::Retrieved::File(tmp), Err(e)),
                },
                other => (other, Ok(())),
            })
            .await;
        match kept {
            Ok((raw, Ok(()))) => {
                if let Some(k) = self.local.get_mut(uidl) {
                    k.stored = true;
                }
                self.send(Event::Stored(uidl.clone()));
                raw
            }
            Ok((raw, Err(e))) => {
                self.store_failed("cannot keep the message in the local store", e);
                raw
            }
            Err(e) => {
                self.store_failed("cannot keep the message in the local store", e);
                // The store thread is gone with the bytes; nothing to show.
                body::Retrieved::Memory(Vec::new())
            }
        }
    }

    /// Headers still unknown: what is on screen first, then newest first;
    /// pipelined, and paused as soon as the user asks for something else.
    async fn load_headers(&mut self) -> Result<(), Pop3Error> {
        let mut wanted: Vec<u32> = Vec::new();
        let mut first = HashSet::new();
        for u in &self.visible {
            if let Some(m) = lookup(&self.index, &self.by_uidl, u) {
                if !m.known && first.insert(m.uidl.clone()) {
                    wanted.push(m.number);
                }
            }
        }
        wanted.extend(
            self.index
                .iter()
                .rev()
                .filter(|m| !m.known && !first.contains(&m.uidl))
                .map(|m| m.number),
        );
        let Some(mut client) = self.client.take() else {
            return Ok(());
        };
        let mut stream = HeaderStream::new(first);
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
    fn header_arrived(
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
    fn summarise(&self, reply: Result<Vec<u8>, Pop3Error>) -> Row {
        match reply {
            Ok(raw) => (Arc::new(Summary::from_headers(&raw, &self.decode)), true),
            Err(e) => (
                Arc::new(Summary::note(&format!("(headers unavailable: {e})"))),
                false,
            ),
        }
    }

    /// Message `n`'s summary: cached when it may be, batched for the UI.
    fn header_known(&mut self, stream: &mut HeaderStream, n: u32, (summary, cacheable): Row) {
        let Some(i) = self.position(n) else {
            return;
        };
        let m = &mut self.index[i];
        if !m.known {
            m.known = true;
            self.known += 1;
        }
        let uidl = m.uidl.clone();
        if cacheable && !uidl.is_session() {
            if let Some(k) = self.local.get_mut(&uidl) {
                k.summary = Some(summary.clone());
            }
            stream.to_store.push((uidl.clone(), summary.clone()));
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
    fn poll_requests(&mut self, last: u32) -> Flow {
        let mut urgent = false;
        while let Ok(r) = self.rx.try_recv() {
            urgent |= self.interrupts(&r, last);
            self.pending.push_back(r);
        }
        if urgent {
            Flow::Pause
        } else {
            Flow::Continue
        }
    }

    fn flush(&mut self, stream: &mut HeaderStream) {
        if !stream.to_store.is_empty() {
            let rows = std::mem::take(&mut stream.to_store);
            if let Some(store) = &self.store {
                let tx = self.tx.clone();
                store.post(move |s| {
                    if let Err(e) = s.put_summaries(&rows) {
                        let _ = tx.send(Event::Failed(Failure::new(
                            ErrorClass::Local,
                            format!("cannot record headers in the local store: {e}"),
                        )));
                    }
                });
            }
        }
        if !stream.batch.is_empty() {
            stream.sent += stream.batch.len();
            self.send(Event::HeadersLoaded(std::mem::take(&mut stream.batch)));
        }
        stream.last_flush = Instant::now();
    }

    /// After a header stream: the rest sent to the UI and the store.
    fn end_stream(&mut self, mut stream: HeaderStream) {
        self.flush(&mut stream);
        self.last_activity = Instant::now();
    }

    /// Whether `r` should pause a header stream whose last reply was for
    /// message `last`: anything but a new visible range whose headers are
    /// here already or will be within the next `SOON` replies of a stream
    /// going newest first (pausing would only fetch them later).
    fn interrupts(&self, r: &Request, last: u32) -> bool {
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

    /// Nothing to do: wait for a request, probing the connection every second
    /// so a drop is noticed even while the user only reads.
    async fn idle(&mut self) {
        let check = self.next_check;
        let due = async move {
            match check {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = due => {
                tracing::info!("checking for new mail");
                self.next_check = None;
                self.refresh = true;
            }
            r = self.rx.recv() => match r {
                Some(r) => self.accept(r),
                None => self.quit = Some(Quit::Discard),
            },
            _ = tokio::time::sleep(PROBE_EVERY) => {
                let Some(client) = self.client.as_mut() else { return };
                let result = if self.last_activity.elapsed() >= KEEPALIVE_EVERY {
                    self.last_activity = Instant::now();
                    client.noop().await
                } else {
                    client.connection().probe().await
                };
                if let Err(e) = result {
                    self.trouble(e);
                }
            }
        }
    }
}
