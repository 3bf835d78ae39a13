//! The reader's state and its one entry point, `update(state, message) ->
//! effects`: keys and worker events come in, requests for the worker go out.
//! Pure: no I/O, no tokio, no terminal. `ui::draw` only reads this state.

mod compose;
pub mod desk;
pub mod keymap;
pub mod limit;
pub mod links;
pub mod list;
mod order;
mod reader;
pub mod thread;

pub use compose::Compose;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use keymap::{lookup, Action, Context, Key};
use list::MessageList;
pub use reader::Reader;

use crate::error::{ErrorClass, Failure};
use crate::mime::{Rendered, Summary};
use crate::store::query::{IndexHits, IndexQuery};
use crate::store::{Flags, Folder};
use crate::uidl::Uidl;
use crate::worker::local::LocalRequest;
use crate::worker::{Event, Request};

/// Rows that are not list rows: header line, column titles, status line.
pub const LIST_CHROME: u16 = 3;
/// Rows that are not reader rows: header line, status line.
pub const READER_CHROME: u16 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mouse {
    ScrollUp,
    ScrollDown,
    Click { column: u16, row: u16 },
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    Mouse(Mouse),
    Resize(u16, u16),
    Worker(Event),
    /// `folder`'s threads, computed off the UI thread for the job of that generation.
    Threaded {
        folder: Folder,
        generation: u64,
        layout: Arc<thread::Layout>,
    },
    /// What the full-text index found for a limit pattern of `folder`.
    IndexHits {
        folder: Folder,
        pattern: String,
        hits: IndexHits,
    },
    /// From composing and sending (its own task, never the POP3 worker).
    Compose(Box<crate::send::ComposeEvent>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Worker(Request),
    /// Work for the local store alone (never waits for the network).
    Local(LocalRequest),
    /// Open attachment `part` of a stored message with the user's viewer.
    OpenAttachment {
        uidl: Uidl,
        part: usize,
    },
    /// Pipe attachment `part` of a stored message to a shell command.
    PipeAttachment {
        uidl: Uidl,
        part: usize,
        command: String,
    },
    /// Composing and sending (the editor, the store, SMTP).
    Compose(crate::send::ComposeRequest),
    /// Ask the full-text index for a limit pattern's `to:`/`body:` parts
    /// (answered by `Msg::IndexHits`).
    SearchIndex {
        folder: Folder,
        pattern: String,
        query: IndexQuery,
    },
    /// Tab past the last folder (or Shift-Tab before the first): the next
    /// (or previous) account, when there are several.
    NextAccount {
        forward: bool,
    },
    /// A check found this many new messages (for the bell and the title).
    NewMail(usize),
    /// The password typed at the prompt, for the worker (held for the session only).
    Password(crate::secret::Secret),
    /// Run the setup wizard (`A`).
    Setup,
    /// Put `text` on the user's clipboard (OSC 52: works over SSH).
    Clipboard(String),
    /// Pipe a stored message's raw bytes to a shell command.
    PipeMessage {
        uidl: Uidl,
        command: String,
    },
    /// Thread `folder`'s messages off the UI thread (answered by `Threaded`).
    Thread {
        folder: Folder,
        job: thread::Job,
    },
    /// Leave now (the worker has been told to RSET and QUIT, or is done).
    Exit,
    /// Leave with this error (a task crashed): the program exits non-zero.
    Fatal(String),
}

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
    },
    /// Every key; `scroll` lines scrolled (j/k) on a short terminal.
    Help {
        scroll: usize,
    },
    /// Deleting in Trash removes the message for good: asked first.
    ConfirmPurge {
        uidl: Uidl,
    },
    /// The open message's attachments, one selected.
    Attachments {
        selected: usize,
    },
    Error {
        title: String,
        text: String,
    },
    /// `q` on the compose screen with text that would be lost.
    ConfirmAbandon,
    /// `y` on a draft whose earlier send may have reached the server.
    ConfirmResend {
        status: String,
    },
    /// The open message's links and addresses (`y`), one selected.
    Links {
        items: Vec<String>,
        selected: usize,
    },
    /// `c` with drafts waiting: (id, subject), one selected.
    ContinueDraft {
        drafts: Vec<(String, String)>,
        selected: usize,
    },
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
const WAIT_FOR_INDEX: &str = "one moment: the server is still sending the message index";

#[derive(Debug, Clone)]
pub struct App {
    pub header: HeaderInfo,
    /// The list of the folder shown.
    pub list: MessageList,
    /// Which folder `list` is.
    pub folder: Folder,
    /// The other folders' lists (INBOX among them while another is shown).
    pub others: BTreeMap<Folder, MessageList>,
    /// The user's marks for deletion, by UIDL.
    pub marks: BTreeSet<Uidl>,
    pub bodies: HashMap<Uidl, BodyState>,
    /// A prompt being typed (save directory, pipe command) and its text.
    pub prompt: Option<(Prompt, String)>,
    /// Where attachments are saved unless the user says otherwise.
    pub download_dir: PathBuf,
    pub view: View,
    pub popup: Option<Popup>,
    /// A search being typed: `Some(text)` while the prompt is open.
    pub input: Option<String>,
    /// The last search, lower-case.
    pub query: Option<String>,
    pub indexed: bool,
    /// A first visit's newest rows, shown while the index is on its way
    /// (newest first; not yet messages: nothing can be done with them).
    pub preview: Vec<Arc<Summary>>,
    /// How many messages the server reported, for the status line meanwhile.
    pub preview_count: usize,
    pub connection: Connection,
    /// The latest thing the user should know, in plain words.
    pub notice: Option<String>,
    /// Why, when that is long (a server's words): shown after the counts.
    pub detail: Option<String>,
    pub committing: bool,
    /// The time zone dates are shown in; None means the system's.
    pub zone: Option<chrono::FixedOffset>,
    pub width: u16,
    pub height: u16,
    /// Background downloading: (stored, of).
    pub downloading: Option<(usize, usize)>,
    /// The compose screen, over whatever the user was reading.
    pub compose: Option<Compose>,
    /// A reply or forward waiting for its message to be downloaded.
    pending_compose: Option<(crate::send::compose::ComposeKind, Uidl)>,
    /// A pipe (`|`) waiting for its message to be downloaded.
    pending_pipe: Option<(Uidl, String)>,
    last_visible: Vec<Uidl>,
    /// Marks waiting in the reader's other accounts (the quit question counts them).
    pub other_marks: usize,
    /// There are other accounts: Tab past Trash goes on to the next one.
    pub multi: bool,
    /// No password source: the worker waits until one is typed at the prompt.
    pub needs_password: bool,
    /// The password came from the prompt (a refused login asks again).
    password_typed: bool,
    /// What stops this account (a refused login, a certificate), for the sidebar.
    pub trouble: Option<String>,
}

impl App {
    pub fn new(header: HeaderInfo, width: u16, height: u16) -> App {
        App {
            header,
            list: MessageList::default(),
            folder: Folder::Inbox,
            others: BTreeMap::new(),
            marks: BTreeSet::new(),
            bodies: HashMap::new(),
            prompt: None,
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
        }
    }

    /// Opens the masked password prompt (`reason`: why it is asked again).
    pub fn ask_password(&mut self, reason: Option<String>) {
        self.needs_password = true;
        self.prompt = Some((Prompt::Password { reason }, String::new()));
    }

    /// All marks pending in the reader, this account's and the others'.
    fn all_marks(&self) -> usize {
        self.marks.len() + self.other_marks
    }

    pub fn list_height(&self) -> usize {
        self.height.saturating_sub(LIST_CHROME).max(1) as usize
    }

    pub fn reader_height(&self) -> usize {
        self.height.saturating_sub(READER_CHROME).max(1) as usize
    }

    /// The status line's own words (before any notice).
    pub fn status(&self) -> String {
        // The preview exists only before the index (which replaces it).
        let base = if !self.preview.is_empty() {
            format!("loading {}/{}", self.preview.len(), self.preview_count)
        } else if self.folder != Folder::Inbox {
            let n = self.list.len();
            format!("{n} message{}", if n == 1 { "" } else { "s" })
        } else if !self.indexed
            && self.list.is_empty()
            && !self.needs_password
            && self.trouble.is_none()
        {
            "connecting…".to_string()
        } else if !self.indexed && self.trouble.is_some() {
            // Under a login or certificate pop-up: not "connecting…".
            let n = self.list.len();
            format!(
                "{n} message{} stored here, not logged in",
                if n == 1 { "" } else { "s" }
            )
        } else if !self.indexed {
            let n = self.list.len();
            let how = if self.connection == Connection::Offline || self.needs_password {
                "stored here"
            } else {
                "stored here, connecting…"
            };
            format!("{n} message{} {how}", if n == 1 { "" } else { "s" })
        } else if self.list.loaded < self.list.len() {
            format!("loading {}/{}", self.list.loaded, self.list.len())
        } else {
            let n = self.list.len();
            format!("{n} message{}", if n == 1 { "" } else { "s" })
        };
        let base = match &self.list.limit {
            Some(l) => format!(
                "limit: {} ({} of {})",
                l.pattern.text,
                self.list.shown(),
                self.list.len()
            ),
            None => base,
        };
        let base = match self.downloading {
            Some((done, total)) if done < total => format!("{base}, downloading {done}/{total}"),
            _ => base,
        };
        let base = if self.marks.is_empty() {
            base
        } else {
            format!("{base}, {} marked for deletion", self.marks.len())
        };
        if self.needs_password && self.prompt.is_none() {
            format!("{base} · not logged in: press R to type the password")
        } else if self.header.mode == "demo" {
            format!("{base} · press A to add your account")
        } else {
            base
        }
    }

    /// The INBOX list, wherever it is.
    pub fn inbox_mut(&mut self) -> &mut MessageList {
        if self.folder == Folder::Inbox {
            &mut self.list
        } else {
            self.others.entry(Folder::Inbox).or_default()
        }
    }

    fn list_of(&mut self, f: Folder) -> &mut MessageList {
        if self.folder == f {
            &mut self.list
        } else {
            self.others.entry(f).or_default()
        }
    }

    /// Sets or clears a flag on a row of the shown folder; the store keeps it.
    fn set_flag(&mut self, uidl: &Uidl, flag: Flags, on: Option<bool>) -> Vec<Effect> {
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

    fn reader_open(&mut self, uidl: &Uidl) -> Vec<Effect> {
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

    /// `d`: in INBOX a mark for the server (a message kept only here goes
    /// to Trash at once); in Trash, removal for good after asking; in Sent
    /// and Drafts, to Trash.
    fn mark(&mut self, uidl: Option<Uidl>) -> Vec<Effect> {
        let Some(u) = uidl else { return vec![] };
        let local_only = self.list.get(&u).is_some_and(|e| e.local_only());
        match self.folder {
            Folder::Trash => {
                self.popup = Some(Popup::ConfirmPurge { uidl: u });
                vec![]
            }
            Folder::Inbox if !local_only => {
                if self.marks.insert(u.clone()) {
                    vec![Effect::Worker(Request::Mark(u))]
                } else {
                    vec![]
                }
            }
            from => vec![Effect::Local(LocalRequest::Move {
                uidl: u,
                from,
                to: Folder::Trash,
            })],
        }
    }

    /// `u`: unmark; in Trash, restore to INBOX.
    fn unmark(&mut self, uidl: Option<Uidl>) -> Vec<Effect> {
        match uidl {
            Some(u) if self.folder == Folder::Trash => vec![Effect::Local(LocalRequest::Move {
                uidl: u,
                from: Folder::Trash,
                to: Folder::Inbox,
            })],
            Some(u) if self.marks.remove(&u) => vec![Effect::Worker(Request::Unmark(u))],
            _ => vec![],
        }
    }

    /// Tab / Shift-Tab: the next or previous folder (past the last or
    /// before the first: the next or previous account, if there are others).
    fn switch_folder(&mut self, forward: bool) -> Vec<Effect> {
        let all = Folder::ALL;
        let i = all.iter().position(|&f| f == self.folder).unwrap_or(0);
        let wraps = if forward { i + 1 == all.len() } else { i == 0 };
        if wraps && self.multi {
            return vec![Effect::NextAccount { forward }];
        }
        let next = all[(i + if forward { 1 } else { all.len() - 1 }) % all.len()];
        self.enter_folder(next)
    }

    /// Shows folder `next` (its list from the store, INBOX as it is).
    pub fn enter_folder(&mut self, next: Folder) -> Vec<Effect> {
        if next == self.folder {
            return self.list_moved();
        }
        self.view = View::List;
        let shown = std::mem::take(&mut self.list);
        self.others.insert(self.folder, shown);
        self.list = self.others.remove(&next).unwrap_or_default();
        self.folder = next;
        self.input = None;
        if next == Folder::Inbox {
            self.list_moved()
        } else {
            // Other folders come from the store alone; reloaded on each visit.
            vec![Effect::Local(LocalRequest::LoadFolder(next))]
        }
    }

    /// Asks for the shown list's threads again if threads are on (one job
    /// at a time: a change while one runs asks again when it answers).
    fn rethread(&mut self, folder: Folder) -> Vec<Effect> {
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
        vec![Effect::Thread { folder, job }]
    }

    /// `|` answered: pipes the stored message, or downloads (and keeps) it first.
    fn pipe_message(&mut self, uidl: Uidl, command: String) -> Vec<Effect> {
        let stored = self.list.get(&uidl).is_some_and(|e| e.stored)
            || self
                .others
                .values()
                .any(|l| l.get(&uidl).is_some_and(|e| e.stored));
        if stored {
            return vec![Effect::PipeMessage { uidl, command }];
        }
        if uidl.is_session() {
            self.notice = Some(
                "this message cannot be kept (its UIDL is not unique): it cannot be piped".into(),
            );
            return vec![];
        }
        self.notice = Some("downloading the message to pipe it…".into());
        self.pending_pipe = Some((uidl.clone(), command));
        vec![Effect::Worker(Request::FetchBody(uidl))]
    }

    /// `l` answered: the folder shows only what `text` matches (empty: all).
    fn set_limit(&mut self, text: &str) -> Vec<Effect> {
        if text.trim().is_empty() {
            if self.list.limit.take().is_some() {
                self.list.relayout();
                self.notice = Some("limit cleared".into());
            }
            return self.list_moved();
        }
        let zone = self.zone.unwrap_or_else(|| *chrono::Local::now().offset());
        let pattern = match limit::Pattern::parse(text, zone) {
            Ok(p) => p,
            Err(e) => {
                self.notice = Some(format!("limit: {e}"));
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
            self.notice = Some("searching the stored mail…".into());
            effects.push(Effect::SearchIndex {
                folder: self.folder,
                pattern: text.trim().to_string(),
                query,
            });
        }
        effects
    }

    /// `s`: asks where to save the attachments of `uidl`.
    fn ask_save(&mut self, uidl: Uidl, parts: Vec<usize>) {
        let dir = self.download_dir.display().to_string();
        self.prompt = Some((Prompt::SaveTo { uidl, parts }, dir));
    }

    fn prompt_key(&mut self, key: Key) -> Vec<Effect> {
        let Some((prompt, text)) = self.prompt.as_mut() else {
            return vec![];
        };
        if *prompt == Prompt::Limit && key == Key::Enter {
            let text = std::mem::take(text);
            self.prompt = None;
            return self.set_limit(&text);
        }
        if matches!(prompt, Prompt::Password { .. }) && key == Key::Enter {
            if text.is_empty() {
                return vec![];
            }
            // Taken as typed: spaces may belong to a password.
            let password = crate::secret::Secret::new(std::mem::take(text));
            self.prompt = None;
            self.needs_password = false;
            self.password_typed = true;
            self.trouble = None;
            self.notice = Some("logging in…".into());
            return vec![Effect::Password(password)];
        }
        match key {
            Key::Char(c) => text.push(c),
            Key::Backspace => {
                text.pop();
            }
            Key::Esc | Key::Ctrl('c') => {
                // A password typed half-way is wiped, not just dropped.
                drop(crate::secret::Secret::new(std::mem::take(text)));
                self.prompt = None;
            }
            Key::Ctrl('u') => text.clear(),
            Key::Enter => {
                let prompt = prompt.clone();
                let text = text.trim().to_string();
                self.prompt = None;
                if text.is_empty() {
                    return vec![];
                }
                return match prompt {
                    Prompt::SaveTo { uidl, parts } => {
                        let dir = crate::paths::expand_tilde(std::path::Path::new(&text));
                        self.notice = Some("saving…".into());
                        let stored = self.list.get(&uidl).is_some_and(|e| e.stored)
                            || matches!(self.bodies.get(&uidl), Some(BodyState::Ready(_)))
                                && !uidl.is_session();
                        if stored {
                            vec![Effect::Local(LocalRequest::Save { uidl, dir, parts })]
                        } else {
                            vec![Effect::Worker(Request::Save { uidl, dir, parts })]
                        }
                    }
                    Prompt::Pipe { uidl, part } => vec![Effect::PipeAttachment {
                        uidl,
                        part,
                        command: text,
                    }],
                    Prompt::Attach { id } => {
                        let path = crate::paths::expand_tilde(std::path::Path::new(&text));
                        vec![Effect::Compose(crate::send::ComposeRequest::Attach {
                            id,
                            path,
                        })]
                    }
                    Prompt::PipeMessage { uidl } => self.pipe_message(uidl, text),
                    // Answered above.
                    Prompt::Password { .. } | Prompt::Limit => vec![],
                };
            }
            _ => {}
        }
        vec![]
    }

    fn quit_requested(&mut self) -> Vec<Effect> {
        if self.all_marks() == 0 {
            return self.exit_discarding();
        }
        self.popup = Some(Popup::ConfirmQuit {
            count: self.all_marks(),
        });
        vec![]
    }

    fn exit_discarding(&mut self) -> Vec<Effect> {
        vec![Effect::Worker(Request::QuitDiscard), Effect::Exit]
    }

    /// After the list moved: keep the selection on screen and tell the worker
    /// what is visible, if anything on screen still lacks its headers.
    fn list_moved(&mut self) -> Vec<Effect> {
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

    fn list_action(&mut self, action: Action) -> Vec<Effect> {
        if !self.preview.is_empty()
            && matches!(action, Action::Open | Action::Mark | Action::Unmark)
        {
            // The rows are there, the messages' identities (UIDL) not yet.
            self.notice = Some(WAIT_FOR_INDEX.into());
            return vec![];
        }
        let page = self.list_height() as isize;
        match action {
            Action::NextLine => self.list.move_by(1),
            Action::PrevLine => self.list.move_by(-1),
            Action::PageDown => {
                self.list.move_by(page);
                self.list.offset = (self.list.offset + page as usize)
                    .min(self.list.shown().saturating_sub(page as usize));
            }
            Action::PageUp => {
                self.list.move_by(-page);
                self.list.offset = self.list.offset.saturating_sub(page as usize);
            }
            Action::First => self.list.select(0),
            Action::Last => self.list.select(self.list.shown().saturating_sub(1)),
            Action::SortNext | Action::SortReverse => {
                let mut sort = self.list.sort;
                if action == Action::SortNext {
                    sort.key = sort.key.next();
                    sort.reverse = false;
                } else {
                    sort.reverse = !sort.reverse;
                }
                self.list.sort = sort;
                self.list.relayout();
                self.notice = Some(format!(
                    "sorted by {}{}",
                    sort.key.name(),
                    if sort.reverse { ", reversed" } else { "" }
                ));
            }
            Action::Limit => {
                let current = self.list.limit.as_ref().map(|l| l.pattern.text.clone());
                self.prompt = Some((Prompt::Limit, current.unwrap_or_default()));
            }
            Action::PipeMessage => {
                if let Some(u) = self.list.selected_entry().map(|e| e.uidl.clone()) {
                    self.prompt = Some((Prompt::PipeMessage { uidl: u }, String::new()));
                }
            }
            Action::Links => {}
            Action::Threads => {
                self.list.threads = !self.list.threads;
                if self.list.threads {
                    self.notice = Some("threads on (newest thread first; z folds one)".into());
                    self.list.relayout();
                    let mut effects = self.rethread(self.folder);
                    effects.extend(self.list_moved());
                    return effects;
                }
                self.notice = Some("threads off".into());
                self.list.relayout();
            }
            Action::Fold => {
                if !self.list.threads {
                    self.notice = Some("threads are off: t turns them on".into());
                    return vec![];
                }
                if let Some(root) = self.list.thread_root(self.list.selected) {
                    if !self.list.folded.remove(&root) {
                        self.list.folded.insert(root.clone());
                    }
                    self.list.relayout();
                    self.list.select_uidl(&root);
                }
            }
            Action::Open => {
                return match self.list.selected_entry().map(|e| e.uidl.clone()) {
                    // A draft opens in the editor, to go on with it.
                    Some(u) if self.folder == Folder::Drafts => self.continue_draft(u.to_string()),
                    Some(u) => self.reader_open(&u),
                    None => vec![],
                };
            }
            Action::Reply | Action::ReplyAll | Action::Forward | Action::Compose => {
                let u = self.list.selected_entry().map(|e| e.uidl.clone());
                return self.compose_action(action, u);
            }
            Action::Back => return self.quit_requested(),
            Action::Mark => {
                let effects = self.mark(self.list.selected_entry().map(|e| e.uidl.clone()));
                if self.popup.is_none() {
                    self.list.move_by(1);
                }
                let mut more = self.list_moved();
                more.splice(0..0, effects);
                return more;
            }
            Action::Unmark => {
                return self.unmark(self.list.selected_entry().map(|e| e.uidl.clone()))
            }
            Action::ToggleRead | Action::ToggleFlag | Action::Save => {
                let Some(u) = self.list.selected_entry().map(|e| e.uidl.clone()) else {
                    return vec![];
                };
                return self.message_action(action, u);
            }
            Action::NextFolder => return self.switch_folder(true),
            Action::PrevFolder => return self.switch_folder(false),
            Action::Attachments => {}
            Action::UnmarkAll => {
                if self.marks.is_empty() {
                    return vec![];
                }
                self.marks.clear();
                return vec![Effect::Worker(Request::UnmarkAll)];
            }
            Action::Refresh if self.needs_password => self.ask_password(None),
            Action::Refresh => {
                self.notice = Some("checking for new mail…".into());
                return vec![Effect::Worker(Request::Refresh)];
            }
            Action::AddAccount => return vec![Effect::Setup],
            Action::Search => self.input = Some(String::new()),
            Action::SearchNext | Action::SearchPrev => {
                self.list_search(action == Action::SearchNext, false)
            }
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::ExitDiscard => return self.exit_discarding(),
        }
        self.list_moved()
    }

    fn list_search(&mut self, forward: bool, include_current: bool) {
        let Some(q) = self.query.clone() else {
            self.notice = Some("no search yet: press / to search".into());
            return;
        };
        match self.list.find(&q, forward, include_current) {
            Some(i) => {
                self.list.select(i);
                self.notice = None;
            }
            None => self.notice = Some(format!("no message matches \"{q}\"")),
        }
    }

    fn reader_action(&mut self, action: Action) -> Vec<Effect> {
        let height = self.reader_height();
        let View::Reader(reader) = &mut self.view else {
            return vec![];
        };
        let uidl = reader.uidl.clone();
        match action {
            Action::NextLine => reader.scroll_by(1, height),
            Action::PrevLine => reader.scroll_by(-1, height),
            Action::PageDown => reader.scroll_by(height as isize, height),
            Action::PageUp => reader.scroll_by(-(height as isize), height),
            Action::First => reader.scroll = 0,
            Action::Last => reader.scroll_by(isize::MAX / 2, height),
            Action::Back => {
                self.view = View::List;
                // A download the user left is stopped (a long one would
                // otherwise hold the session, or fill the disk, for nothing).
                if matches!(self.bodies.get(&uidl), Some(BodyState::Loading { .. })) {
                    return vec![Effect::Worker(Request::StopBody(uidl))];
                }
            }
            Action::Mark => {
                self.view = View::List;
                let effects = self.mark(Some(uidl));
                let mut more = self.list_moved();
                more.splice(0..0, effects);
                return more;
            }
            Action::Unmark => return self.unmark(Some(uidl)),
            Action::Search => self.input = Some(String::new()),
            Action::SearchNext | Action::SearchPrev => {
                if !reader.find(action == Action::SearchNext, height) {
                    self.notice = Some(match &reader.search {
                        Some(q) => format!("\"{q}\" is not in this message"),
                        None => "no search yet: press / to search".into(),
                    });
                }
            }
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::ExitDiscard => return self.exit_discarding(),
            Action::ToggleRead | Action::ToggleFlag | Action::Save => {
                return self.message_action(action, uidl)
            }
            Action::Reply | Action::ReplyAll | Action::Forward | Action::Compose => {
                let u = (!uidl.as_str().starts_with(" attachment")).then_some(uidl);
                return self.compose_action(action, u);
            }
            Action::Attachments => {
                let count = reader.body.as_ref().map_or(0, |b| b.attachments.len());
                if count == 0 {
                    self.notice = Some("this message has no attachments".into());
                } else {
                    self.popup = Some(Popup::Attachments { selected: 0 });
                }
            }
            Action::PipeMessage => {
                if !uidl.as_str().starts_with(" attachment") {
                    self.prompt = Some((Prompt::PipeMessage { uidl }, String::new()));
                }
            }
            Action::Links => {
                let items = reader
                    .body
                    .as_ref()
                    .map(|b| links::links_and_addresses(b))
                    .unwrap_or_default();
                if items.is_empty() {
                    self.notice = Some("no links or addresses in this message".into());
                } else {
                    self.popup = Some(Popup::Links { items, selected: 0 });
                }
            }
            Action::Open
            | Action::Threads
            | Action::Fold
            | Action::SortNext
            | Action::SortReverse
            | Action::Limit
            | Action::AddAccount
            | Action::UnmarkAll
            | Action::Refresh
            | Action::NextFolder
            | Action::PrevFolder => {}
        }
        vec![]
    }

    /// `m`, `F` and `s` on one message, in the list or the reader.
    fn message_action(&mut self, action: Action, uidl: Uidl) -> Vec<Effect> {
        match action {
            Action::ToggleRead => self.set_flag(&uidl, Flags::SEEN, None),
            Action::ToggleFlag => self.set_flag(&uidl, Flags::FLAGGED, None),
            Action::Save => {
                let known_none = matches!(self.bodies.get(&uidl), Some(BodyState::Ready(r)) if r.attachments.is_empty());
                if known_none {
                    self.notice = Some("this message has no attachments".into());
                } else {
                    self.ask_save(uidl, Vec::new());
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn key(&mut self, key: Key) -> Vec<Effect> {
        if let Some(popup) = self.popup.clone() {
            if let Some(effects) = self.compose_popup_key(&popup, key) {
                return effects;
            }
            return self.popup_key(popup, key);
        }
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        if self.compose.is_some() {
            return self.compose_key(key);
        }
        if let Some(text) = self.input.as_mut() {
            match key {
                Key::Char(c) => text.push(c),
                Key::Backspace => {
                    text.pop();
                }
                Key::Esc | Key::Ctrl('c') => self.input = None,
                Key::Enter => {
                    let q = text.to_lowercase();
                    self.input = None;
                    if q.is_empty() {
                        return vec![];
                    }
                    self.query = Some(q.clone());
                    return match &mut self.view {
                        View::List => {
                            self.list_search(true, true);
                            self.list_moved()
                        }
                        View::Reader(r) => {
                            r.search = Some(q);
                            r.scroll = r.scroll.saturating_sub(1);
                            let found =
                                r.find(true, self.height.saturating_sub(READER_CHROME) as usize);
                            if !found {
                                self.notice = Some("not found in this message".into());
                            }
                            vec![]
                        }
                    };
                }
                _ => {}
            }
            return vec![];
        }
        let ctx = match self.view {
            View::List => Context::List,
            View::Reader(_) => Context::Reader,
        };
        match (lookup(key, ctx), ctx) {
            (Some(a), Context::List) => self.list_action(a),
            (Some(a), Context::Reader) => self.reader_action(a),
            (None, _) => vec![],
        }
    }

    fn popup_key(&mut self, popup: Popup, key: Key) -> Vec<Effect> {
        match popup {
            Popup::ConfirmQuit { .. } => match key {
                Key::Char('y') | Key::Char('Y') => {
                    self.popup = None;
                    self.committing = true;
                    self.notice = Some(format!("deleting {} messages…", self.all_marks()));
                    vec![Effect::Worker(Request::QuitCommit)]
                }
                Key::Char('n') | Key::Char('N') => {
                    self.popup = None;
                    self.exit_discarding()
                }
                Key::Char('c') | Key::Char('C') | Key::Esc | Key::Char('q') => {
                    self.popup = None;
                    vec![]
                }
                Key::Ctrl('c') => self.exit_discarding(),
                _ => vec![],
            },
            Popup::ConfirmPurge { uidl } => {
                self.popup = None;
                match key {
                    Key::Char('y') | Key::Char('Y') => vec![Effect::Local(LocalRequest::Delete {
                        uidl,
                        from: Folder::Trash,
                    })],
                    Key::Ctrl('c') => self.exit_discarding(),
                    _ => vec![],
                }
            }
            Popup::Attachments { selected } => {
                let View::Reader(r) = &self.view else {
                    self.popup = None;
                    return vec![];
                };
                let uidl = r.uidl.clone();
                let count = r.body.as_ref().map_or(0, |b| b.attachments.len());
                let part = selected + 1;
                match key {
                    Key::Char('j') | Key::Down => {
                        self.popup = Some(Popup::Attachments {
                            selected: (selected + 1).min(count.saturating_sub(1)),
                        })
                    }
                    Key::Char('k') | Key::Up => {
                        self.popup = Some(Popup::Attachments {
                            selected: selected.saturating_sub(1),
                        })
                    }
                    Key::Char('s') => {
                        self.popup = None;
                        self.ask_save(uidl, vec![part]);
                    }
                    Key::Char('S') => {
                        self.popup = None;
                        self.ask_save(uidl, Vec::new());
                    }
                    Key::Char('|') => {
                        self.popup = None;
                        self.prompt = Some((Prompt::Pipe { uidl, part }, String::new()));
                    }
                    Key::Enter => {
                        self.popup = None;
                        return vec![Effect::OpenAttachment { uidl, part }];
                    }
                    Key::Ctrl('c') => return self.exit_discarding(),
                    _ => self.popup = None,
                }
                vec![]
            }
            Popup::Links { items, selected } => {
                match key {
                    Key::Char('j') | Key::Down => {
                        self.popup = Some(Popup::Links {
                            selected: (selected + 1).min(items.len().saturating_sub(1)),
                            items,
                        })
                    }
                    Key::Char('k') | Key::Up => {
                        self.popup = Some(Popup::Links {
                            selected: selected.saturating_sub(1),
                            items,
                        })
                    }
                    Key::Enter | Key::Char('y') => {
                        self.popup = None;
                        if let Some(item) = items.get(selected) {
                            let shown: String = item.chars().take(60).collect();
                            self.notice = Some(format!("copied to your clipboard: {shown}"));
                            return vec![Effect::Clipboard(item.clone())];
                        }
                    }
                    Key::Ctrl('c') => return self.exit_discarding(),
                    _ => self.popup = None,
                }
                vec![]
            }
            Popup::Help { scroll }
                if matches!(key, Key::Char('j') | Key::Down | Key::Char('k') | Key::Up) =>
            {
                let down = matches!(key, Key::Char('j') | Key::Down);
                let scroll = if down {
                    scroll + 1
                } else {
                    scroll.saturating_sub(1)
                };
                self.popup = Some(Popup::Help {
                    scroll: scroll.min(keymap::BINDINGS.len()),
                });
                vec![]
            }
            // Answered by compose_popup_key before this is reached.
            Popup::ConfirmAbandon | Popup::ConfirmResend { .. } | Popup::ContinueDraft { .. } => {
                self.popup = None;
                vec![]
            }
            Popup::Help { .. } | Popup::Error { .. } => {
                if key == Key::Ctrl('c') {
                    return self.exit_discarding();
                }
                let retry = matches!(popup, Popup::Error { title, .. } if title != "Cannot compose")
                    && matches!(key, Key::Char('r') | Key::Char('R'));
                self.popup = None;
                if retry {
                    self.notice = Some("retrying…".into());
                    return vec![Effect::Worker(Request::Refresh)];
                }
                vec![]
            }
        }
    }

    fn mouse(&mut self, m: Mouse) -> Vec<Effect> {
        if self.popup.is_some() {
            return vec![];
        }
        let height = self.reader_height();
        match (&mut self.view, m) {
            (View::Reader(r), Mouse::ScrollDown) => r.scroll_by(3, height),
            (View::Reader(r), Mouse::ScrollUp) => r.scroll_by(-3, height),
            (View::Reader(_), Mouse::Click { .. }) => {}
            (View::List, Mouse::ScrollDown) => {
                self.list.move_by(3);
                return self.list_moved();
            }
            (View::List, Mouse::ScrollUp) => {
                self.list.move_by(-3);
                return self.list_moved();
            }
            (View::List, Mouse::Click { row, .. }) => {
                let first_row = LIST_CHROME - 1;
                if row >= first_row && ((row - first_row) as usize) < self.list_height() {
                    let i = self.list.offset + (row - first_row) as usize;
                    if i < self.list.shown() {
                        self.list.select(i);
                    }
                }
                return self.list_moved();
            }
        }
        vec![]
    }

    fn worker(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::LocalLoaded(rows) => {
                if !self.indexed {
                    self.inbox_mut().replace(rows);
                    return self.list_moved();
                }
            }
            Event::Stored(uidl) => {
                if let Some(e) = self.inbox_mut().get_mut(&uidl) {
                    e.stored = true;
                }
                let mut effects = self.compose_stored(&uidl);
                if self.pending_pipe.as_ref().is_some_and(|(u, _)| *u == uidl) {
                    if let Some((uidl, command)) = self.pending_pipe.take() {
                        self.notice = None;
                        effects.push(Effect::PipeMessage { uidl, command });
                    }
                }
                return effects;
            }
            Event::FolderLoaded { folder, rows } => {
                self.list_of(folder).replace(rows);
                return self.rethread(folder);
            }
            Event::Moved { uidl, from, to } => {
                let entry = self.list_of(from).remove(&uidl);
                self.notice = Some(match to {
                    Some(Folder::Trash) => "moved to Trash".to_string(),
                    Some(f) => format!("restored to {}", f.name()),
                    None => "deleted for good".to_string(),
                });
                if let (Some(mut e), Some(to)) = (entry, to) {
                    if to == Folder::Inbox && e.on_server {
                        // Still on the server: the INBOX row is there already.
                        e.flags = e.flags.without(Flags::TRASHED);
                    }
                    self.list_of(to).insert_top(e);
                }
                return self.list_moved();
            }
            Event::Downloading { done, total } => self.downloading = Some((done, total)),
            Event::ShowText(rendered) => {
                // An attachment shown as text: a reader of its own, not a message.
                let id = Uidl::from(" attachment");
                let mut reader = Reader::new(id.clone());
                reader.set_body(rendered.clone(), self.width as usize);
                self.bodies.insert(id, BodyState::Ready(rendered));
                self.view = View::Reader(reader);
            }
            Event::Saved(result) => {
                self.notice = Some(match result {
                    Ok(paths) => {
                        let names: Vec<String> =
                            paths.iter().map(|p| p.display().to_string()).collect();
                        crate::text::sanitize::sanitize_line(&format!(
                            "saved {} file{}: {}",
                            paths.len(),
                            if paths.len() == 1 { "" } else { "s" },
                            names.join(", ")
                        ))
                        .into_owned()
                    }
                    Err(e) => format!("cannot save: {e}"),
                });
            }
            Event::Connected { .. } => {
                self.trouble = None;
                if self.connection == Connection::Lost {
                    self.notice = Some("reconnected".into());
                    self.detail = None;
                }
                self.connection = Connection::Connected;
                if self
                    .popup
                    .as_ref()
                    .is_some_and(|p| matches!(p, Popup::Error { .. }))
                {
                    self.popup = None;
                }
            }
            Event::Preview { count, rows } => {
                if !self.indexed {
                    self.preview_count = count;
                    self.preview.extend(rows);
                }
            }
            Event::Indexed(entries) => {
                self.preview = Vec::new();
                if self.notice.as_deref() == Some(WAIT_FOR_INDEX) {
                    self.notice = None;
                }
                let refreshed = self.indexed;
                // A later session's index: what it has that the list had not is new mail.
                let before: HashSet<Uidl> = if refreshed {
                    self.inbox_mut()
                        .entries
                        .iter()
                        .map(|e| e.uidl.clone())
                        .collect()
                } else {
                    HashSet::new()
                };
                let new = if refreshed {
                    entries.iter().filter(|e| !before.contains(&e.uidl)).count()
                } else {
                    0
                };
                drop(before);
                self.inbox_mut().replace_keeping_local(entries);
                self.indexed = true;
                let mut effects = Vec::new();
                if new > 0 {
                    self.notice = Some(format!(
                        "{new} new in {}",
                        crate::text::sanitize::sanitize_line(&self.header.account)
                    ));
                    effects.push(Effect::NewMail(new));
                } else if refreshed && self.notice.as_deref() == Some("checking for new mail…") {
                    self.notice = Some("no new mail".into());
                }
                let present: HashSet<&str> = self.list.entries.iter().map(|e| &*e.uidl).collect();
                if let View::Reader(r) = &self.view {
                    if self.folder == Folder::Inbox && !present.contains(r.uidl.as_str()) {
                        self.view = View::List;
                    }
                }
                effects.extend(self.rethread(Folder::Inbox));
                effects.extend(self.list_moved());
                return effects;
            }
            Event::HeadersLoaded(batch) => {
                let inbox = self.inbox_mut();
                for (uidl, s) in batch {
                    inbox.set_summary(&uidl, s);
                }
                if inbox.summaries_arrived() {
                    return self.rethread(Folder::Inbox);
                }
            }
            Event::BodyProgress {
                uidl,
                received,
                total,
            } => {
                let preview = match self.bodies.remove(&uidl) {
                    Some(BodyState::Loading { preview, .. }) => preview,
                    _ => None,
                };
                self.bodies.insert(
                    uidl,
                    BodyState::Loading {
                        received,
                        total,
                        preview,
                    },
                );
            }
            Event::BodyPartial {
                uidl,
                rendered,
                shown,
                total,
            } => {
                let received = match self.bodies.get(&uidl) {
                    Some(BodyState::Loading { received, .. }) => *received,
                    // Finished (or failed) already: the preview is of no use now.
                    Some(_) => return vec![],
                    None => shown,
                };
                if let View::Reader(r) = &mut self.view {
                    if r.uidl == uidl && r.body.is_none() {
                        r.set_body(rendered.clone(), self.width as usize);
                    }
                }
                let preview = Some(Preview { rendered, shown });
                self.bodies.insert(
                    uidl,
                    BodyState::Loading {
                        received,
                        total,
                        preview,
                    },
                );
            }
            Event::BodyLoaded { uidl, rendered } => {
                if let View::Reader(r) = &mut self.view {
                    if r.uidl == uidl {
                        r.set_body(rendered.clone(), self.width as usize);
                    }
                }
                self.bodies.insert(uidl, BodyState::Ready(rendered));
            }
            Event::BodyFailed {
                uidl,
                stored_copy: true,
                ..
            } if self
                .list
                .get(&uidl)
                .is_some_and(|e| e.stored && e.on_server) =>
            {
                // Gone from disk (removed by hand): fetched from the server instead.
                if let Some(e) = self.list.get_mut(&uidl) {
                    e.stored = false;
                }
                return vec![Effect::Worker(Request::FetchBody(uidl))];
            }
            Event::BodyFailed { uidl, error, .. } => {
                self.compose_body_failed(&uidl);
                self.notice = Some(format!("cannot fetch the message: {error}"));
                self.bodies.insert(uidl, BodyState::Failed(error));
            }
            Event::MarksApplied(_) => {}
            Event::MarksDropped { uidls, why } => {
                for u in &uidls {
                    self.marks.remove(u);
                }
                self.notice = Some(format!(
                    "{} deletion mark{} removed: {why}",
                    uidls.len(),
                    if uidls.len() == 1 { "" } else { "s" }
                ));
            }
            Event::ConnectionLost {
                reason,
                uncommitted,
            } => {
                self.connection = Connection::Lost;
                // The marks are kept and re-applied in the next session; the reason goes last.
                self.notice = Some(if self.committing {
                    // y was answered: the worker keeps at it after reconnecting.
                    format!(
                        "connection lost; {uncommitted} deletions not committed yet, still trying"
                    )
                } else if uncommitted > 0 {
                    format!("connection lost; {uncommitted} deletions were not committed")
                } else {
                    "connection lost".to_string()
                });
                self.detail = Some(reason);
            }
            Event::Reconnecting { in_secs } => {
                let lost = self.notice.clone().unwrap_or_default();
                let lost = lost
                    .split(" — reconnecting")
                    .next()
                    .unwrap_or("")
                    .to_string();
                self.notice = Some(if lost.is_empty() {
                    format!("reconnecting in {in_secs} s")
                } else {
                    format!("{lost} — reconnecting in {in_secs} s")
                });
            }
            Event::Failed(Failure {
                class,
                summary: error,
                detail,
            }) => {
                self.committing = false;
                // The rest of what the task knows goes under the summary.
                let error = match detail {
                    Some(d) => format!("{error}\n\n{d}"),
                    None => error,
                };
                match class {
                    ErrorClass::Login if self.password_typed => {
                        self.trouble = Some("login failed".into());
                        self.ask_password(Some(error));
                    }
                    ErrorClass::Login => {
                        self.trouble = Some("login failed".into());
                        self.popup = Some(Popup::Error {
                            title: "Login failed".into(),
                            text: format!("{error}\n\nCheck user and password (password_command, POSTIE_PASSWORD) and auth in the config, then press R to retry."),
                        })
                    }
                    ErrorClass::Tls => {
                        self.trouble = Some("TLS failed".into());
                        self.popup = Some(Popup::Error {
                            title: "Secure connection failed".into(),
                            text: format!("{error}\n\nCheck host, port, tls and ca_file in the config, then press R to retry."),
                        })
                    }
                    ErrorClass::Temporary => {
                        if self.connection != Connection::Connected {
                            self.connection = Connection::Offline;
                        }
                        self.notice = Some(error)
                    }
                    // Stopped on purpose: nothing to report.
                    ErrorClass::Cancelled => {}
                    ErrorClass::Server | ErrorClass::Local | ErrorClass::Bug => {
                        self.notice = Some(error)
                    }
                }
            }
            Event::Crashed(why) => {
                return vec![Effect::Fatal(format!(
                    "account {}: {why}; nothing was deleted",
                    crate::text::sanitize::sanitize_line(&self.header.account)
                ))];
            }
            Event::Closed { .. } => {
                self.connection = Connection::Closed;
                return vec![Effect::Exit];
            }
        }
        vec![]
    }

    /// `Msg::Threaded`: a thread job's answer (stale generations are dropped).
    fn threaded(
        &mut self,
        folder: Folder,
        generation: u64,
        layout: Arc<thread::Layout>,
    ) -> Vec<Effect> {
        let list = self.list_of(folder);
        list.thread_running = false;
        if generation == list.thread_generation {
            list.thread_layout = Some(layout);
            list.relayout();
        }
        let again = list.thread_again;
        let mut effects = if again { self.rethread(folder) } else { vec![] };
        if folder == self.folder {
            effects.extend(self.list_moved());
        }
        effects
    }

    /// `Msg::IndexHits`: the full-text index's answer for a limit pattern.
    fn index_hits(&mut self, folder: Folder, pattern: String, hits: IndexHits) -> Vec<Effect> {
        let list = self.list_of(folder);
        if let Some(l) = list.limit.as_mut().filter(|l| l.pattern.text == pattern) {
            l.indexed = Some(hits);
            list.relayout();
            if self.notice.as_deref() == Some("searching the stored mail…") {
                self.notice = None;
            }
            return self.list_moved();
        }
        vec![]
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
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
