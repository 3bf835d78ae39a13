//! The store's plain types: folders, flags (as Maildir writes them), an
//! account's key, where a store lives, and its errors.

use rust_i18n::t;
use std::path::{Path, PathBuf};

use super::IndexError;
use crate::mime::DecodeOptions;

/// The folders every account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Folder {
    Inbox,
    Sent,
    Drafts,
    Trash,
}

impl Folder {
    pub const ALL: [Folder; 4] = [Folder::Inbox, Folder::Sent, Folder::Drafts, Folder::Trash];

    /// The directory name (and the name in the index).
    pub fn name(self) -> &'static str {
        match self {
            Folder::Inbox => "INBOX",
            Folder::Sent => "Sent",
            Folder::Drafts => "Drafts",
            Folder::Trash => "Trash",
        }
    }

    /// The name shown to the user (收件箱, 已发送…, in the language in use).
    pub fn label(self) -> std::borrow::Cow<'static, str> {
        match self {
            Folder::Inbox => t!("folder.inbox"),
            Folder::Sent => t!("folder.sent"),
            Folder::Drafts => t!("folder.drafts"),
            Folder::Trash => t!("folder.trash"),
        }
    }

    pub fn from_name(s: &str) -> Option<Folder> {
        Folder::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Maildir flags, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags(u8);

impl Flags {
    pub const SEEN: Flags = Flags(1);
    pub const FLAGGED: Flags = Flags(2);
    pub const ANSWERED: Flags = Flags(4);
    pub const TRASHED: Flags = Flags(8);
    pub const DRAFT: Flags = Flags(16);
    pub const PASSED: Flags = Flags(32);
    /// `$MDNSent`: a read receipt was sent for it (in the index only: the
    /// Maildir name has no letter for it).
    pub const MDN_SENT: Flags = Flags(64);

    /// In the order the Maildir specification asks for (ASCII).
    const LETTERS: [(char, Flags); 6] = [
        ('D', Flags::DRAFT),
        ('F', Flags::FLAGGED),
        ('P', Flags::PASSED),
        ('R', Flags::ANSWERED),
        ('S', Flags::SEEN),
        ('T', Flags::TRASHED),
    ];

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(b: u8) -> Flags {
        Flags(b & 127)
    }

    /// The flags a Maildir file name carries (without the index-only ones).
    pub fn in_name(self) -> Flags {
        self.without(Flags::MDN_SENT)
    }

    /// `name`'s flags with this one's index-only flags kept.
    pub fn from_name_keeping(self, name: Flags) -> Flags {
        name.in_name().with(Flags(self.0 & Flags::MDN_SENT.0))
    }

    pub fn contains(self, f: Flags) -> bool {
        self.0 & f.0 == f.0
    }

    pub fn with(self, f: Flags) -> Flags {
        Flags(self.0 | f.0)
    }

    pub fn without(self, f: Flags) -> Flags {
        Flags(self.0 & !f.0)
    }

    pub fn toggled(self, f: Flags) -> Flags {
        Flags(self.0 ^ f.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The letters after `:2,`.
    pub fn info(self) -> String {
        Flags::LETTERS
            .iter()
            .filter(|(_, f)| self.contains(*f))
            .map(|(c, _)| *c)
            .collect()
    }

    /// Reads the letters after `:2,`; unknown letters are ignored.
    pub fn from_info(info: &str) -> Flags {
        info.chars().fold(Flags::default(), |acc, c| {
            match Flags::LETTERS.iter().find(|(l, _)| *l == c) {
                Some((_, f)) => acc.with(*f),
                None => acc,
            }
        })
    }
}

/// Which mailbox an index is for: the server and the user (a change of port
/// or TLS mode is the same mailbox; another host or user is not, and its
/// UIDLs would name other messages).
pub fn account_key(host: &str, user: &str) -> String {
    format!("{}/{user}", host.to_ascii_lowercase())
}

/// What the decoder itself has learnt that changes summaries: raised when it
/// changes, so every store decodes its summaries again once.
/// 2: Latin-1-labelled GBK words judged together; summaries of stored mail
/// read from the whole message.
const DECODER_VERSION: u32 = 2;

/// How summaries were decoded: a change makes them be read again.
pub(super) fn decode_key(decode: &DecodeOptions) -> String {
    format!(
        "decoder={DECODER_VERSION}/fallback={}/strict={}",
        decode.fallback.map(|e| e.name()).unwrap_or("-"),
        decode.strict
    )
}

/// `$XDG_DATA_HOME/postie/ACCOUNT` (default `~/.local/share/postie/ACCOUNT`).
pub fn default_root(account: &str) -> PathBuf {
    crate::paths::xdg_dir("XDG_DATA_HOME", ".local/share")
        .join("postie")
        .join(super::names::safe_component(account))
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}", t!("store.io", path = path, reason = reason))]
    Io { path: String, reason: String },
    #[error("{}", t!("store.index", error = _0))]
    Index(#[from] IndexError),
    #[error("{0}")]
    NotStored(String),
}

impl crate::error::Classify for StoreError {
    fn class(&self) -> crate::error::ErrorClass {
        match self {
            StoreError::Index(e) => e.class(),
            StoreError::Io { .. } | StoreError::NotStored(_) => crate::error::ErrorClass::Local,
        }
    }
}

pub(super) fn io_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Which stored messages a policy deletes from the server now, as a
/// question for the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidates {
    /// None.
    Nothing,
    /// Stored messages still on the server, downloaded before this time
    /// (seconds since the epoch), or all of them (None).
    StoredBefore(Option<i64>),
    /// Messages the user deleted here that are still on the server.
    DeletedHere,
}
