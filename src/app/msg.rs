//! What comes into `update` (`Msg`: keys, the mouse, a resize, what the
//! tasks report) and what goes out (`Effect`: work for the edge to run).

use std::sync::Arc;

use super::keymap::Key;
use super::thread;
use crate::store::query::{IndexHits, IndexQuery};
use crate::store::Folder;
use crate::uidl::Uidl;
use crate::worker::local::LocalRequest;
use crate::worker::{Event, Request};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mouse {
    ScrollUp,
    ScrollDown,
    Click { column: u16, row: u16 },
}

/// A sign-in under way in the edge (the OAuth device flow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStep {
    /// Open `url` on any device and type `code`.
    Code {
        url: String,
        code: String,
    },
    Done,
    Failed(String),
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    Mouse(Mouse),
    Resize(u16, u16),
    Worker(Event),
    /// Something the edge did for the user (a pipe, the setup wizard), in words.
    Notice(String),
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
    /// How signing in again (OAuth) goes.
    SignIn(SignInStep),
    /// The address book, read (or why it could not be).
    Contacts(Result<Arc<crate::contacts::Matcher>, String>),
    /// What `query_command` found for `query`: (address, name) pairs.
    ContactsFound {
        query: String,
        found: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Worker(Request),
    /// Work for the local store alone (never waits for the network).
    Local(LocalRequest),
    /// Write the folders' remembered sorts and threads (`ViewPrefs::write_all`).
    SaveViews(String),
    /// Open a message's HTML part (the source, still HTML) in the browser.
    OpenHtml(String),
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
    /// Read the address book (after learning what the store holds that it
    /// has not seen): answered by `Msg::Contacts`.
    LoadContacts,
    /// Ask `query_command`, if there is one (answered by `Msg::ContactsFound`).
    QueryContacts(String),
    /// Sign in again with the OAuth device flow (answered by `Msg::SignIn`).
    SignIn,
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
