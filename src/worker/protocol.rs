//! What the UI and a worker say to each other: requests in, events out.
//! Plain data; the UI never sees a message number (the worker maps UIDL to
//! this session's number), and no `app` type is named here.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::Failure;
use crate::mime::{Rendered, Summary};
use crate::store::Folder;
use crate::sync::ListRow;
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
    /// Move (or copy) INBOX messages to a folder, retrieving (and keeping)
    /// first those not stored; `learn`: teach the spam filter (spam or not).
    File(crate::worker::local::FileRequest),
    /// Messages filed away from INBOX (`true`) or back into it (`false`):
    /// the session's list leaves them out, or shows them again.
    Refiled(Vec<Uidl>, bool),
    /// QUIT with the marks standing: the server deletes them.
    QuitCommit,
    /// RSET + QUIT: leave without deleting anything.
    QuitDiscard,
    /// The password, typed at the reader's prompt: log in with it.
    Password(crate::secret::Secret),
    /// The user left this message while it downloads: stop a long download.
    StopBody(Uidl),
    /// The account's login settings, read again from the config file (`R`):
    /// used from the next session on. An empty password keeps the one in use
    /// (typed at the prompt).
    Reconfigure(Box<crate::pop3::ClientConfig>),
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
    /// Every folder of the account (the built-in ones, then the user's).
    Folders(Vec<Folder>),
    /// Messages moved or copied (`done`), and what could not be.
    Filed(crate::worker::local::FileOutcome),
    /// The rules were run over a folder (`postie filter` in the reader).
    RulesRun {
        folder: Folder,
        moved: usize,
        copied: usize,
        marked: usize,
    },
    /// A folder renamed (`now`: its new name) or deleted (None).
    FolderGone {
        folder: Folder,
        now: Option<Folder>,
    },
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
