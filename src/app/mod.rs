//! The reader's state and its one entry point, `update(state, message) ->
//! effects`: keys and worker events come in, requests for the worker go out.
//! Pure: no I/O, no tokio, no terminal. `ui::draw` only reads this state.

mod complete;
mod compose;
pub mod desk;
mod events;
pub mod filing;
pub mod keymap;
pub mod limit;
pub mod links;
pub mod list;
mod list_keys;
mod msg;
mod order;
mod popups;
mod reader;
mod reader_keys;
pub mod recipients;
pub mod thread;

pub use complete::Completion;
pub use compose::Compose;
pub use msg::{Effect, Mouse, Msg, SignInStep};

use rust_i18n::t;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use list::MessageList;
pub use list::ViewPrefs;
pub use reader::Reader;

use crate::error::{ErrorClass, Failure};
use crate::mime::{Rendered, Summary};
use crate::store::query::IndexHits;
use crate::store::{Flags, Folder};
use crate::uidl::Uidl;
use crate::worker::local::LocalRequest;
use crate::worker::{Event, Request};

/// Rows that are not list rows: header line, column titles, status line.
pub const LIST_CHROME: u16 = 3;
/// Rows that are not reader rows: header line, status line.
pub const READER_CHROME: u16 = 2;

#[derive(Debug, Clone)]
pub enum BodyState {
    Loading {
        received: u64,
        total: u64,
        /// The first part of a large message, shown while the rest arrives.
        preview: Option<Preview>,
    },
    Ready(Arc<Rendered>),
    Failed(String),
}

/// The decoded first part of a large message and how many bytes it covers.
#[derive(Debug, Clone)]
pub struct Preview {
    pub rendered: Arc<Rendered>,
    pub shown: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    ConfirmQuit {
        count: usize,
        /// Of them, not kept here and over `trash_download_limit`: deleted
        /// without a copy in Trash.
        uncopied: usize,
    },
    /// Every key; `scroll` lines scrolled (j/k) on a short terminal.
    Help { scroll: usize },
    /// Deleting in Trash removes messages for good: asked first.
    ConfirmPurge { uidls: Vec<Uidl> },
    /// A folder name that does not exist yet: create it, then `then`?
    ConfirmCreateFolder {
        folder: Folder,
        then: filing::FolderPurpose,
    },
    /// Deleting a folder (its mail, `count` messages, goes to Trash).
    ConfirmDeleteFolder { folder: Folder, count: usize },
    /// The open message's attachments, one selected.
    Attachments { selected: usize },
    Error {
        title: String,
        text: String,
        /// r/R retries (the worker's errors); false for the compose task's.
        retry: bool,
    },
    /// `q` on the compose screen with text that would be lost.
    ConfirmAbandon,
    /// `y` on a draft whose earlier send may have reached the server.
    ConfirmResend { status: String },
    /// Sending a message without a subject: asked first.
    ConfirmNoSubject,
    /// Marking every row shown read, when there are many.
    ConfirmMarkAllRead { count: usize },
    /// The sender asked for a read receipt (`receipts = "ask"`).
    ConfirmReceipt { uidl: Uidl, to: String },
    /// The open message's links and addresses (`y`), one selected.
    Links { items: Vec<String>, selected: usize },
    /// `c` with drafts waiting: (id, subject), one selected.
    ContinueDraft {
        drafts: Vec<(String, String)>,
        selected: usize,
    },
    /// Signing in again (OAuth): the address and code once the provider gave them.
    SignIn { code: Option<(String, String)> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Connected,
    Lost,
    /// The server cannot be reached (the header line says `offline`).
    Offline,
    Closed,
}

/// A line being typed at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Where to save attachments (`parts` empty: all).
    SaveTo { uidl: Uidl, parts: Vec<usize> },
    /// A command to pipe an attachment to.
    Pipe { uidl: Uidl, part: usize },
    /// A file to attach to the draft being composed.
    Attach { id: String },
    /// The account's password (shown as `*`), and why it is asked again.
    Password { reason: Option<String> },
    /// A limit pattern for the folder shown.
    Limit,
    /// A command to pipe a whole message to (`|`).
    PipeMessage { uidl: Uidl },
    /// A folder's name, with Tab completion (`M`, `C`, `b`).
    Folder(filing::FolderPurpose),
    /// Where to save the attachments of the tagged messages.
    SaveTagged { uidls: Vec<Uidl> },
    /// Who a draft goes to, with Tab completion from the address book.
    Recipients(Box<recipients::Addressing>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    List,
    Reader(Reader),
}

/// What the header line says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderInfo {
    pub account: String,
    pub server: String,
    /// `demo`, `TLS`, `STLS` or `plain`.
    pub mode: String,
}

/// The notice for a key that needs a message while only the preview is in.

#[derive(Debug, Clone)]
pub struct App {
    header: HeaderInfo,
    /// The list of the folder shown.
    list: MessageList,
    /// Which folder `list` is.
    folder: Folder,
    /// The other folders' lists (INBOX among them while another is shown).
    others: BTreeMap<Folder, MessageList>,
    /// Every folder of the account (the built-in ones, then the user's).
    folders: Vec<Folder>,
    /// Tagged rows of the folder shown (`T`, `*`): what `d u m F M C J s` act on.
    tags: BTreeSet<Uidl>,
    /// The user's marks for deletion, by UIDL.
    marks: BTreeSet<Uidl>,
    bodies: HashMap<Uidl, BodyState>,
    /// A prompt being typed (save directory, pipe command) and its text.
    prompt: Option<(Prompt, String)>,
    /// Tab's candidates for the prompt's word, while there is a choice.
    completion: Option<Completion>,
    /// The address book, read when an addressing prompt first needs it.
    contacts: complete::Contacts,
    /// Where attachments are saved unless the user says otherwise.
    download_dir: PathBuf,
    view: View,
    popup: Option<Popup>,
    /// A search being typed: `Some(text)` while the prompt is open.
    input: Option<String>,
    /// The last search, lower-case.
    query: Option<String>,
    indexed: bool,
    /// A first visit's newest rows, shown while the index is on its way
    /// (newest first; not yet messages: nothing can be done with them).
    preview: Vec<Arc<Summary>>,
    /// How many messages the server reported, for the status line meanwhile.
    preview_count: usize,
    connection: Connection,
    /// The latest thing the user should know, in plain words.
    notice: Option<String>,
    /// Why, when that is long (a server's words): shown after the counts.
    detail: Option<String>,
    committing: bool,
    /// The time zone dates are shown in; None means the system's.
    zone: Option<chrono::FixedOffset>,
    width: u16,
    height: u16,
    /// Background downloading: (stored, of).
    downloading: Option<(usize, usize)>,
    /// The compose screen, over whatever the user was reading.
    compose: Option<Compose>,
    /// A reply or forward waiting for its message to be downloaded.
    pending_compose: Option<(crate::send::compose::ComposeKind, Uidl)>,
    /// A pipe (`|`) waiting for its message to be downloaded.
    pending_pipe: Option<(Uidl, String)>,
    last_visible: Vec<Uidl>,
    /// Marks waiting in the reader's other accounts (the quit question counts them).
    other_marks: usize,
    /// There are other accounts: Tab past Trash goes on to the next one.
    multi: bool,
    /// No password source: the worker waits until one is typed at the prompt.
    needs_password: bool,
    /// The password came from the prompt (a refused login asks again).
    password_typed: bool,
    /// What stops this account (a refused login, a certificate), for the sidebar.
    trouble: Option<String>,
    /// `trash_download_limit`: marked messages not kept here and no larger
    /// are copied to Trash before the deletion is committed.
    trash_limit: u64,
    /// Each folder's sort and threads, remembered across restarts.
    views: BTreeMap<Folder, list::ViewPrefs>,
    /// `receipts`: what a message asking for a read receipt gets.
    receipts: crate::send::mdn::ReceiptPolicy,
    /// Messages whose receipt question was answered this session.
    receipt_asked: std::collections::HashSet<Uidl>,
    /// The account signs in with postie's own OAuth client: a refused
    /// login offers to sign in again.
    oauth: bool,
}

impl App {
    pub fn new(header: HeaderInfo, width: u16, height: u16) -> App {
        App {
            header,
            list: MessageList::default(),
            folder: Folder::Inbox,
            others: BTreeMap::new(),
            folders: Folder::ALL.to_vec(),
            tags: BTreeSet::new(),
            marks: BTreeSet::new(),
            bodies: HashMap::new(),
            prompt: None,
            completion: None,
            contacts: Default::default(),
            download_dir: PathBuf::from("."),
            downloading: None,
            view: View::List,
            popup: None,
            zone: None,
            input: None,
            query: None,
            indexed: false,
            preview: Vec::new(),
            preview_count: 0,
            connection: Connection::Connecting,
            notice: None,
            detail: None,
            committing: false,
            width,
            height,
            compose: None,
            pending_compose: None,
            pending_pipe: None,
            last_visible: Vec::new(),
            other_marks: 0,
            multi: false,
            needs_password: false,
            password_typed: false,
            trouble: None,
            trash_limit: crate::config::TRASH_DOWNLOAD_LIMIT,
            views: BTreeMap::new(),
            receipts: Default::default(),
            receipt_asked: Default::default(),
            oauth: false,
        }
    }

    /// The account signs in with postie's own OAuth client.
    pub fn with_oauth(mut self, oauth: bool) -> App {
        self.oauth = oauth;
        self
    }

    /// `receipts = "ask" | "never" | "always"`.
    pub fn with_receipts(mut self, policy: crate::send::mdn::ReceiptPolicy) -> App {
        self.receipts = policy;
        self
    }

    /// The folders' sorts and threads as they were left last time.
    pub fn with_views(mut self, views: BTreeMap<Folder, list::ViewPrefs>) -> App {
        if let Some(v) = views.get(&self.folder) {
            self.list.sort = v.sort;
            self.list.threads = v.threads;
            self.list.relayout();
        }
        self.views = views;
        self
    }

    /// After `o`, `O` or `t`: this folder's view is remembered (the whole
    /// table, for the edge to write).
    pub(super) fn remember_view(&mut self) -> Effect {
        let prefs = list::ViewPrefs {
            sort: self.list.sort,
            threads: self.list.threads,
        };
        self.views.insert(self.folder.clone(), prefs);
        Effect::SaveViews(list::ViewPrefs::write_all(&self.views))
    }

    /// `trash_download_limit` (default 10 MB; 0: no copies).
    pub fn with_trash_download_limit(mut self, limit: u64) -> App {
        self.trash_limit = limit;
        self
    }

    pub fn trash_limit(&self) -> u64 {
        self.trash_limit
    }

    /// Marked messages of this account that a commit deletes without a copy
    /// in Trash: not kept here, and over `trash_download_limit`.
    pub(super) fn uncopied_marks(&self) -> usize {
        let inbox = self
            .others
            .get(&Folder::Inbox)
            .filter(|_| self.folder != Folder::Inbox)
            .unwrap_or(&self.list);
        self.marks
            .iter()
            .filter(|u| {
                inbox.get(u).is_some_and(|e| {
                    !e.stored && (self.trash_limit == 0 || e.size > self.trash_limit)
                })
            })
            .count()
    }

    /// Opens the masked password prompt (`reason`: why it is asked again).
    /// How the account starts: where attachments are saved, and whether a
    /// password must be typed first (`Some(why)`: its command failed). The
    /// prompt is up at once when the account is the one `shown`; the others
    /// ask when the user goes to them.
    pub fn starting(
        mut self,
        download_dir: PathBuf,
        ask_password: Option<Option<String>>,
        shown: bool,
    ) -> App {
        self.download_dir = download_dir;
        if let Some(why) = ask_password {
            self.needs_password = true;
            self.trouble = why.as_ref().map(|_| t!("trouble.password_command").into());
            self.ask_password(why);
            if !shown {
                self.prompt = None;
            }
        }
        self
    }

    pub fn ask_password(&mut self, reason: Option<String>) {
        self.needs_password = true;
        self.prompt = Some((Prompt::Password { reason }, String::new()));
    }

    /// All marks pending in the reader, this account's and the others'.
    pub(super) fn all_marks(&self) -> usize {
        self.marks.len() + self.other_marks
    }

    pub fn list_height(&self) -> usize {
        self.height.saturating_sub(LIST_CHROME).max(1) as usize
    }

    pub fn reader_height(&self) -> usize {
        self.height.saturating_sub(READER_CHROME).max(1) as usize
    }

    /// The INBOX list, wherever it is.
    pub fn inbox_mut(&mut self) -> &mut MessageList {
        self.list_of(&Folder::Inbox)
    }

    pub(super) fn list_of(&mut self, f: &Folder) -> &mut MessageList {
        if self.folder == *f {
            &mut self.list
        } else {
            let views = &self.views;
            self.others.entry(f.clone()).or_insert_with(|| {
                let mut list = MessageList::default();
                if let Some(v) = views.get(f) {
                    list.sort = v.sort;
                    list.threads = v.threads;
                }
                list
            })
        }
    }

    /// Sets or clears a flag on a row of the shown folder; the store keeps it.
    pub(super) fn set_flag(&mut self, uidl: &Uidl, flag: Flags, on: Option<bool>) -> Vec<Effect> {
        let Some(e) = self.list.get_mut(uidl) else {
            return vec![];
        };
        let on = on.unwrap_or(!e.flags.contains(flag));
        let flags = if on {
            e.flags.with(flag)
        } else {
            e.flags.without(flag)
        };
        if flags == e.flags {
            return vec![];
        }
        e.flags = flags;
        if uidl.is_session() {
            return vec![];
        }
        vec![Effect::Local(LocalRequest::SetFlags(uidl.clone(), flags))]
    }

    /// The unread rows shown, in their order.
    pub(super) fn unread_shown(&self) -> Vec<Uidl> {
        (0..self.list.shown())
            .filter_map(|i| self.list.row(i))
            .filter(|e| !e.seen())
            .map(|e| e.uidl.clone())
            .collect()
    }

    /// Every unread row shown (the limit's, when one is in force) marked read.
    pub(super) fn mark_all_read(&mut self) -> Vec<Effect> {
        let unread = self.unread_shown();
        let n = unread.len();
        let mut effects = Vec::new();
        for u in unread {
            effects.extend(self.set_flag(&u, Flags::SEEN, Some(true)));
        }
        self.notice = Some(crate::i18n::count("notice.marked_read", n as u64));
        effects
    }

    pub(super) fn reader_open(&mut self, uidl: &Uidl) -> Vec<Effect> {
        let mut effects = self.set_flag(uidl, Flags::SEEN, Some(true));
        let stored = self.list.get(uidl).is_some_and(|e| e.stored);
        let mut reader = Reader::new(uidl.clone());
        match self.bodies.get(uidl) {
            Some(BodyState::Ready(r)) => reader.set_body(r.clone(), self.width as usize),
            Some(BodyState::Loading {
                preview: Some(p), ..
            }) => reader.set_body(p.rendered.clone(), self.width as usize),
            Some(BodyState::Loading { .. }) => {}
            // A message opened twice in a session is not fetched twice; a failed one is retried.
            Some(BodyState::Failed(_)) | None => {
                self.bodies.insert(
                    uidl.clone(),
                    BodyState::Loading {
                        received: 0,
                        total: 0,
                        preview: None,
                    },
                );
                // A stored message is read from disk, network or not.
                effects.push(if stored {
                    Effect::Local(LocalRequest::LoadBody(uidl.clone()))
                } else {
                    Effect::Worker(Request::FetchBody(uidl.clone()))
                });
            }
        }
        if let Some(q) = &self.query {
            reader.search = Some(q.clone());
        }
        self.view = View::Reader(reader);
        effects
    }

    /// Asks for the shown list's threads again if threads are on (one job
    /// at a time: a change while one runs asks again when it answers).
    pub(super) fn rethread(&mut self, folder: &Folder) -> Vec<Effect> {
        let list = self.list_of(folder);
        if !list.threads {
            return vec![];
        }
        if list.thread_running {
            list.thread_again = true;
            return vec![];
        }
        list.thread_running = true;
        list.thread_again = false;
        let job = list.thread_job();
        vec![Effect::Thread {
            folder: folder.clone(),
            job,
        }]
    }

    /// `|` answered: pipes the stored message, or downloads (and keeps) it first.
    pub(super) fn pipe_message(&mut self, uidl: Uidl, command: String) -> Vec<Effect> {
        let stored = self.list.get(&uidl).is_some_and(|e| e.stored)
            || self
                .others
                .values()
                .any(|l| l.get(&uidl).is_some_and(|e| e.stored));
        if stored {
            return vec![Effect::PipeMessage { uidl, command }];
        }
        if uidl.is_session() {
            self.notice = Some(t!("notice.cannot_pipe_duplicate").into());
            return vec![];
        }
        self.notice = Some(t!("notice.downloading_to_pipe").into());
        self.pending_pipe = Some((uidl.clone(), command));
        vec![Effect::Worker(Request::FetchBody(uidl))]
    }

    /// `l` answered: the folder shows only what `text` matches (empty: all).
    pub(super) fn set_limit(&mut self, text: &str) -> Vec<Effect> {
        if text.trim().is_empty() {
            if self.list.limit.take().is_some() {
                self.list.relayout();
                self.notice = Some(t!("notice.limit_cleared").into());
            }
            return self.list_moved();
        }
        let zone = self.zone.unwrap_or_else(|| *chrono::Local::now().offset());
        let pattern = match limit::Pattern::parse(text, zone) {
            Ok(p) => p,
            Err(e) => {
                self.notice = Some(t!("notice.limit_error", error = e).into());
                return vec![];
            }
        };
        let ask = pattern.index_query.clone();
        self.list.limit = Some(list::Limit {
            pattern,
            indexed: None,
        });
        self.list.relayout();
        let mut effects = self.list_moved();
        if let Some(query) = ask {
            self.notice = Some(t!("notice.searching").into());
            effects.push(Effect::SearchIndex {
                folder: self.folder.clone(),
                pattern: text.trim().to_string(),
                query,
            });
        }
        effects
    }

    /// `s`: asks where to save the attachments of `uidl`.
    pub(super) fn ask_save(&mut self, uidl: Uidl, parts: Vec<usize>) {
        let dir = self.download_dir.display().to_string();
        self.prompt = Some((Prompt::SaveTo { uidl, parts }, dir));
    }

    /// After the list moved: keep the selection on screen and tell the worker
    /// what is visible, if anything on screen still lacks its headers.
    pub(super) fn list_moved(&mut self) -> Vec<Effect> {
        let h = self.list_height();
        self.list.scroll_into_view(h);
        let visible = self.list.visible(h);
        if visible.iter().all(|e| e.summary.is_some()) {
            return vec![];
        }
        if self.folder != Folder::Inbox {
            return vec![];
        }
        let uidls: Vec<Uidl> = visible.iter().map(|e| e.uidl.clone()).collect();
        if uidls == self.last_visible {
            return vec![];
        }
        self.last_visible = uidls.clone();
        vec![Effect::Worker(Request::Visible(uidls))]
    }
}

/// Read-only views of the state, for `ui` and the edges (every change goes
/// through `update`, but for the two settings below).
impl App {
    /// The time zone dates are shown in (None: the system's); tests fix it.
    pub fn set_zone(&mut self, zone: Option<chrono::FixedOffset>) {
        self.zone = zone;
    }

    /// Forgets every decoded body (the next open decodes again): for the
    /// benches that measure a cold open.
    pub fn forget_bodies(&mut self) {
        self.bodies.clear();
    }

    pub fn header(&self) -> &HeaderInfo {
        &self.header
    }

    pub fn list(&self) -> &MessageList {
        &self.list
    }

    pub fn folder(&self) -> &Folder {
        &self.folder
    }

    /// Every folder of the account, in the sidebar's order.
    pub fn folders(&self) -> &[Folder] {
        &self.folders
    }

    /// The tagged messages of the folder shown.
    pub fn tags(&self) -> &BTreeSet<Uidl> {
        &self.tags
    }

    pub fn marks(&self) -> &BTreeSet<Uidl> {
        &self.marks
    }

    pub fn bodies(&self) -> &HashMap<Uidl, BodyState> {
        &self.bodies
    }

    pub fn prompt(&self) -> &Option<(Prompt, String)> {
        &self.prompt
    }

    pub fn view(&self) -> &View {
        &self.view
    }

    pub fn popup(&self) -> &Option<Popup> {
        &self.popup
    }

    pub fn input(&self) -> &Option<String> {
        &self.input
    }

    pub fn indexed(&self) -> bool {
        self.indexed
    }

    pub fn preview(&self) -> &Vec<Arc<Summary>> {
        &self.preview
    }

    pub fn preview_count(&self) -> usize {
        self.preview_count
    }

    pub fn connection(&self) -> Connection {
        self.connection
    }

    pub fn notice(&self) -> &Option<String> {
        &self.notice
    }

    pub fn detail(&self) -> &Option<String> {
        &self.detail
    }

    pub fn zone(&self) -> Option<chrono::FixedOffset> {
        self.zone
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    pub fn downloading(&self) -> Option<(usize, usize)> {
        self.downloading
    }

    pub fn compose(&self) -> &Option<Compose> {
        &self.compose
    }

    pub fn needs_password(&self) -> bool {
        self.needs_password
    }

    pub fn trouble(&self) -> &Option<String> {
        &self.trouble
    }
}

/// The one entry point: a message in, state changed, effects out.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) => {
            if app.popup.is_none() && app.input.is_none() {
                // A key press dismisses the last notice, unless it is still true.
                let keep = app.committing || app.connection == Connection::Lost;
                let keep = keep && app.prompt.is_none();
                app.notice = app.notice.take().filter(|_| keep);
                app.detail = app.detail.take().filter(|_| keep);
            }
            app.key(k)
        }
        Msg::Mouse(m) => app.mouse(m),
        Msg::Resize(w, h) => {
            app.width = w;
            app.height = h;
            let height = app.reader_height();
            if let View::Reader(r) = &mut app.view {
                r.rewrap(w as usize, height);
            }
            app.list_moved()
        }
        Msg::Worker(e) => app.worker(e),
        Msg::Notice(text) => {
            app.notice = Some(crate::text::sanitize::sanitize_line(&text).into_owned());
            vec![]
        }
        Msg::Threaded {
            folder,
            generation,
            layout,
        } => app.threaded(folder, generation, layout),
        Msg::IndexHits {
            folder,
            pattern,
            hits,
        } => app.index_hits(folder, pattern, hits),
        Msg::Compose(ev) => app.compose_event(*ev),
        Msg::Contacts(loaded) => app.contacts_loaded(loaded),
        Msg::SignIn(step) => app.sign_in_step(step),
        Msg::ContactsFound { query, found } => {
            app.contacts_found(&query, found);
            vec![]
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "views_tests.rs"]
mod views_tests;

#[cfg(test)]
#[path = "session_tests.rs"]
mod session_tests;
