//! Answering mail: building messages is pure (`draft`, `reply`, `build`);
//! the SMTP session (`smtp`, with lettre) and the outbox (drafts, Sent) are
//! the edges.

pub mod build;
pub mod compose;
pub mod draft;
pub mod mdn;
pub mod outbox;
pub mod reply;
pub mod smtp;

use std::path::PathBuf;

use compose::ComposeKind;
use outbox::{DraftView, Failure, Sent};

/// What the reader asks of the compose edge (the editor, the store, SMTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposeRequest {
    /// Who a new draft (answering `original`, if any) would go to, for the
    /// `To:`/`Cc:` prompt (`ComposeEvent::Addressed`). With `offer_drafts`,
    /// drafts waiting are offered first.
    Address {
        kind: ComposeKind,
        original: Option<String>,
        offer_drafts: bool,
    },
    /// A new draft to the recipients the prompt settled on, then the editor.
    Start {
        kind: ComposeKind,
        original: Option<String>,
        to: Recipients,
    },
    /// The recipients of a draft changed on the compose screen.
    Readdress {
        id: String,
        to: Recipients,
    },
    /// The editor on a draft again, `comment` at its top (why it went back).
    Edit {
        id: String,
        comment: Option<String>,
    },
    Attach {
        id: String,
        path: PathBuf,
    },
    Send {
        id: String,
    },
    Discard {
        id: String,
    },
    /// A read receipt for a stored message whose sender asked for one
    /// (once: a message marked `$MDNSent` gets none again).
    Receipt {
        uidl: String,
        automatic: bool,
    },
}

/// Who a message goes to, as the `To:`/`Cc:`/`Bcc:` lines say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients {
    pub to: String,
    pub cc: String,
    pub bcc: String,
}

/// What the compose edge reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposeEvent {
    /// Who a draft would go to (the reply's sender, the others of a
    /// reply-all); the `To:` prompt starts from it.
    Addressed {
        kind: ComposeKind,
        original: Option<String>,
        to: Recipients,
    },
    /// The editor is done: the compose screen. `changed`: the text differs
    /// from what the editor was given.
    Ready {
        view: DraftView,
        changed: bool,
        continued: bool,
    },
    /// A new draft came back from the editor unchanged, and was removed.
    Abandoned,
    /// Drafts wait: (id, subject), newest first.
    DraftsWaiting(Vec<(String, String)>),
    /// The draft changed on disk (an attachment added).
    Updated(DraftView),
    Sent {
        id: String,
        sent: Sent,
    },
    NotSent {
        id: String,
        failure: Failure,
    },
    Discarded {
        id: String,
    },
    /// Nothing could start (no SMTP table, the message not readable).
    Failed(String),
    /// A read receipt went to `to`; the message is marked `$MDNSent`.
    ReceiptSent {
        uidl: String,
        to: String,
    },
    /// No receipt was sent, and why.
    ReceiptNotSent(String),
}
