//! The one task that owns an account's POP3 session: an executor. The UI
//! sends `Request`s and gets `Event`s back (`protocol`); the worker asks the
//! pure `plan::next_step` what to do, does it (`session`, `marks`,
//! `headers`, `download`), and records the outcome in `plan::State`. Marks
//! for deletion are the client's: a dropped connection loses none, they are
//! applied again (DELE) in the next session and committed only by the
//! user's QUIT. What to fetch comes from `sync::plan`; the store is reached
//! only through its own thread.

mod body;
mod download;
#[cfg(test)]
mod fake;
mod headers;
mod index;
pub mod local;
mod marks;
mod plan;
mod protocol;
mod session;

pub use body::SPILL_ABOVE;
pub use protocol::{Event, Request};

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::mime::DecodeOptions;
use crate::pop3::{Client, ClientConfig, Mailbox};
use crate::store::StoreHandle;
use crate::sync::Known;
use crate::uidl::Uidl;
use index::{lookup, Message, ServerIndex};
use plan::{Facts, Health, Quit, State, Step};

/// The default `trash_download_limit`: 10 MB.
pub const TRASH_DOWNLOAD_LIMIT: u64 = 10 * 1024 * 1024;

/// The account's settings for this worker.
struct Settings {
    decode: DecodeOptions,
    /// `download = "all"`: the size limit (None: no limit), or off.
    background: Option<Option<u64>>,
    /// The account's leave_on_server, to say when the server's EXPIRE is stricter.
    policy: crate::sync::LeavePolicy,
    /// `max_message_size`: a RETR larger than this is refused.
    max_message_size: u64,
    /// `trash_download_limit`: a marked message no larger than this is
    /// downloaded before its DELE is committed.
    trash_limit: u64,
    /// Filter rules and the spam filter: new mail stored is filed by them.
    filer: std::sync::Arc<crate::filing::Filer>,
    /// How often a header stream's summaries go to the store while it runs.
    record_every: std::time::Duration,
}

/// The channels to the UI.
struct Link {
    rx: UnboundedReceiver<Request>,
    tx: UnboundedSender<Event>,
}

/// The worker over a mailbox: `pop3::Client` in postie, an in-memory one in tests.
pub struct Worker<M: Mailbox = Client> {
    /// How to log in (the password replaced when the user types one).
    cfg: ClientConfig,
    settings: Settings,
    /// The local store (none for a server-only session).
    store: Option<StoreHandle>,
    /// What the store knows, by UIDL: only messages without a summary cost a TOP.
    local: HashMap<Uidl, Known>,
    link: Link,
    client: Option<M>,
    index: ServerIndex,
    /// What the decisions are made from (`plan`).
    state: State,
    /// Messages the background download could not have (refused): not retried this session.
    download_failed: HashSet<Uidl>,
}

impl Worker<Client> {
    /// A worker for the account at `cfg`, over POP3.
    pub fn new(
        cfg: ClientConfig,
        decode: DecodeOptions,
        store: Option<StoreHandle>,
        rx: UnboundedReceiver<Request>,
        tx: UnboundedSender<Event>,
    ) -> Worker<Client> {
        Worker::over(cfg, decode, store, rx, tx)
    }
}

impl<M: Mailbox> Worker<M> {
    /// A worker over any mailbox (`M` opens its sessions from `cfg`).
    pub fn over(
        cfg: ClientConfig,
        decode: DecodeOptions,
        store: Option<StoreHandle>,
        rx: UnboundedReceiver<Request>,
        tx: UnboundedSender<Event>,
    ) -> Worker<M> {
        Worker {
            cfg,
            settings: Settings {
                decode,
                background: None,
                policy: crate::sync::LeavePolicy::default(),
                max_message_size: crate::pop3::client::MAX_MESSAGE_SIZE,
                trash_limit: TRASH_DOWNLOAD_LIMIT,
                filer: std::sync::Arc::new(crate::filing::Filer {
                    decode,
                    ..Default::default()
                }),
                record_every: headers::RECORD_EVERY,
            },
            store,
            local: HashMap::new(),
            link: Link { rx, tx },
            client: None,
            index: ServerIndex {
                messages: Vec::new(),
                by_uidl: Vec::new(),
                known: 0,
                has_uidl: true,
            },
            state: State {
                wants: Default::default(),
                marks: Default::default(),
                health: Health::new(Instant::now()),
                session: Facts::default(),
            },
            download_failed: HashSet::new(),
        }
    }

    /// The account's filter rules and spam filter.
    pub fn with_filer(mut self, filer: std::sync::Arc<crate::filing::Filer>) -> Worker<M> {
        self.settings.filer = filer;
        self
    }

    /// `trash_download_limit` (default 10 MB; 0: no copies).
    pub fn with_trash_download_limit(mut self, limit: u64) -> Worker<M> {
        self.settings.trash_limit = limit;
        self
    }

    /// `max_message_size` (default 1 GB).
    pub fn with_max_message_size(mut self, max: u64) -> Worker<M> {
        self.settings.max_message_size = max;
        self
    }

    /// No password yet: the store's list is shown, and the session waits
    /// for `Request::Password`.
    pub fn waiting_for_password(mut self) -> Worker<M> {
        self.state.health.halted = true;
        self
    }

    /// Looks for new mail every `every` with a new session (RFC 1939 §8:
    /// a session's mailbox does not change, so NOOP cannot show new mail).
    pub fn with_check_interval(mut self, every: Option<Duration>) -> Worker<M> {
        self.state.health.check_every = every;
        self
    }

    /// Downloads every new message in the background once the headers are
    /// in (`download = "all"`), messages over `max_size` excepted.
    pub fn with_background_download(mut self, max_size: Option<Option<u64>>) -> Worker<M> {
        self.settings.background = max_size;
        self
    }

    /// The account's `leave_on_server` (for the EXPIRE note).
    pub fn with_policy(mut self, policy: crate::sync::LeavePolicy) -> Worker<M> {
        self.settings.policy = policy;
        self
    }

    fn send(&self, e: Event) {
        // The UI may be gone already at exit; nothing to do about it then.
        let _ = self.link.tx.send(e);
    }

    fn accept(&mut self, r: Request) {
        if let Request::Refiled(uidls, away) = r {
            for u in uidls {
                if let Some(k) = self.local.get_mut(&u) {
                    k.elsewhere = away;
                }
            }
            return;
        }
        if let Request::Reconfigure(cfg) = r {
            let password = if cfg.password.expose().is_empty() {
                self.cfg.password.clone()
            } else {
                cfg.password.clone()
            };
            self.cfg = crate::pop3::ClientConfig { password, ..*cfg };
            self.state.health.failures = 0;
            return;
        }
        if let Some(password) = plan::accept(&mut self.state, r) {
            self.cfg.password = password;
        }
    }

    /// Takes every waiting request without blocking. Returns false if the UI is gone.
    fn drain(&mut self) -> bool {
        while let Some(r) = self.state.wants.pending.pop_front() {
            self.accept(r);
        }
        loop {
            match self.link.rx.try_recv() {
                Ok(r) => self.accept(r),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => return true,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// The facts `next_step` decides from, as they are now.
    fn observe(&mut self) {
        let connected = self.client.is_some();
        let headers_missing = self.headers_missing();
        self.state.session = Facts {
            connected,
            headers_missing,
            downloads_left: connected && !headers_missing && self.downloads_left(),
        };
    }

    /// The executor: ask `plan::next_step`, carry the step out, again.
    pub async fn run(mut self) {
        self.load_local().await;
        loop {
            if !self.drain() && self.state.wants.quit.is_none() {
                // The UI is gone without a word: leave without deleting.
                self.state.wants.quit = Some(Quit::Discard);
            }
            self.observe();
            let step = plan::next_step(&self.state, Instant::now());
            if self.execute(step).await {
                return;
            }
        }
    }

    /// Carries out one step; true when the worker is done.
    async fn execute(&mut self, step: Step) -> bool {
        match step {
            Step::Leave => {
                if let Some(client) = self.client.take() {
                    if let Err(e) = client.quit_discarding().await {
                        tracing::warn!("RSET/QUIT on exit: {e}");
                    }
                }
                self.send(Event::Closed { deleted: 0 });
                return true;
            }
            Step::Refresh => {
                self.state.wants.refresh = false;
                // Dropping the session without QUIT commits nothing; the marks are re-applied.
                self.client = None;
            }
            Step::CheckMail => {
                tracing::info!("checking for new mail");
                self.state.health.next_check = None;
                self.client = None;
            }
            Step::WaitForUser => self.wait_for_request().await,
            Step::PauseAfterDrops { secs } => {
                self.state.health.paused_after_drop = true;
                self.send(Event::Reconnecting { in_secs: secs });
                let _ =
                    tokio::time::timeout(Duration::from_secs(secs), self.wait_for_request()).await;
            }
            Step::Connect => {
                self.state.health.paused_after_drop = false;
                if let Err(e) = self.connect().await {
                    self.connect_failed(e).await;
                }
            }
            Step::SyncMarks => {
                if let Err(e) = self.sync_marks().await {
                    self.trouble(e);
                }
            }
            Step::Commit => return self.commit().await,
            Step::FetchBody(uidl) => {
                self.state.wants.body = None;
                if let Err(e) = self.fetch_body(&uidl).await {
                    self.send(Event::BodyFailed {
                        uidl: uidl.clone(),
                        error: e.to_string(),
                        stored_copy: false,
                    });
                    self.trouble(e);
                }
            }
            Step::Save => {
                if let Some((uidl, dir, parts)) = self.state.wants.saves.pop_front() {
                    if let Err(e) = self.save(&uidl, dir, parts).await {
                        self.send(Event::Saved(Err(e.to_string())));
                        self.trouble(e);
                    }
                }
            }
            Step::File => {
                if let Some(r) = self.state.wants.files.pop_front() {
                    if let Err(e) = self.file(r).await {
                        self.trouble(e);
                    }
                }
            }
            Step::LoadHeaders => {
                if let Err(e) = self.load_headers().await {
                    self.trouble(e);
                }
            }
            Step::Download => {
                if let Err(e) = self.download_some().await {
                    self.trouble(e);
                }
            }
            Step::Idle => self.idle().await,
        }
        false
    }
}

#[cfg(test)]
#[path = "executor_tests.rs"]
mod executor_tests;
