//! The store's plain types: folders, flags (as Maildir writes them), an
//! account's key, where a store lives, and its errors.

use rust_i18n::t;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::IndexError;
use crate::mime::DecodeOptions;

/// A folder of an account: the five every account has, or one of the
/// user's own (`客户`, `项目/二期`), kept as Maildir++ sub-folders of INBOX
/// (`INBOX/.客户`, `INBOX/.项目.二期`, names in UTF-8: what mutt and notmuch
/// show as they are, and Dovecot reads with its `:UTF-8` option).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Folder {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Junk,
    /// A folder of the user's, by its name (`/` between levels).
    Own(Arc<str>),
}

/// Why a name cannot be a folder's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderNameError {
    Empty,
    /// A character a folder name cannot hold (`.`, a control character).
    BadChar(char),
    /// The name of a folder every account has (INBOX, Sent, Drafts, Trash, Junk).
    Reserved(String),
    TooLong,
}

impl std::fmt::Display for FolderNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            FolderNameError::Empty => t!("folder.name_empty"),
            FolderNameError::BadChar(c) => {
                t!("folder.name_bad_char", char = c.escape_debug().to_string())
            }
            FolderNameError::Reserved(n) => t!("folder.name_reserved", name = n),
            FolderNameError::TooLong => t!("folder.name_too_long"),
        };
        f.write_str(&s)
    }
}

impl std::error::Error for FolderNameError {}

/// Where the user's folders live, under the account's root.
pub const OWN_PARENT: &str = "INBOX";

impl Folder {
    /// The folders every account has, in the sidebar's order.
    pub const ALL: [Folder; 5] = [
        Folder::Inbox,
        Folder::Sent,
        Folder::Drafts,
        Folder::Trash,
        Folder::Junk,
    ];

    /// The name in the index (and the directory of the built-in ones).
    pub fn name(&self) -> &str {
        match self {
            Folder::Inbox => "INBOX",
            Folder::Sent => "Sent",
            Folder::Drafts => "Drafts",
            Folder::Trash => "Trash",
            Folder::Junk => "Junk",
            Folder::Own(n) => n,
        }
    }

    /// The directory, relative to the account's root.
    pub fn dir_name(&self) -> String {
        match self {
            Folder::Own(n) => format!("{OWN_PARENT}/.{}", n.replace('/', ".")),
            other => other.name().to_string(),
        }
    }

    /// The name shown to the user (收件箱, 已发送…, in the language in use).
    pub fn label(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Folder::Inbox => t!("folder.inbox"),
            Folder::Sent => t!("folder.sent"),
            Folder::Drafts => t!("folder.drafts"),
            Folder::Trash => t!("folder.trash"),
            Folder::Junk => t!("folder.junk"),
            Folder::Own(n) => std::borrow::Cow::Owned(n.to_string()),
        }
    }

    pub fn is_own(&self) -> bool {
        matches!(self, Folder::Own(_))
    }

    /// The folder an index value names: a built-in name, else one of the
    /// user's (None: the pseudo-folder of removed messages, or a value that
    /// is no folder name).
    pub fn from_name(s: &str) -> Option<Folder> {
        if let Some(f) = Folder::ALL.into_iter().find(|f| f.name() == s) {
            return Some(f);
        }
        if s == "Deleted" {
            return None;
        }
        Folder::own(s).ok()
    }

    /// What the user typed, as a folder: a built-in's name or label
    /// (`trash`, `已删除`) is that folder; anything else must be a valid
    /// name of the user's own.
    pub fn parse(input: &str) -> Result<Folder, FolderNameError> {
        let s = input.trim().trim_matches('/');
        if let Some(f) = Folder::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s) || f.label() == s || english_label(f) == s)
        {
            return Ok(f);
        }
        Folder::own(s)
    }

    /// A folder of the user's: levels split by `/`, each non-empty, with no
    /// `.` (Maildir++'s separator) or control character; the built-ins'
    /// names are refused at the top level.
    pub fn own(input: &str) -> Result<Folder, FolderNameError> {
        let parts: Vec<&str> = input
            .trim()
            .trim_matches('/')
            .split('/')
            .map(str::trim)
            .collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(FolderNameError::Empty);
        }
        for p in &parts {
            if let Some(c) = p.chars().find(|&c| {
                c == '.' || c == '\\' || c.is_control() || crate::text::sanitize::is_bidi_control(c)
            }) {
                return Err(FolderNameError::BadChar(c));
            }
        }
        let top = parts[0];
        if top.eq_ignore_ascii_case("INBOX")
            || Folder::ALL.iter().any(|f| f.name() == top)
            || top == "Deleted"
        {
            return Err(FolderNameError::Reserved(top.to_string()));
        }
        let name = parts.join("/");
        // One directory entry: `.` + the levels joined by `.`.
        if name.len() + 1 > 255 || name.chars().count() > 200 {
            return Err(FolderNameError::TooLong);
        }
        Ok(Folder::Own(Arc::from(name)))
    }

    /// The folder a Maildir++ directory name (`.项目.二期`) is, if it is one.
    pub fn from_dir_entry(entry: &str) -> Option<Folder> {
        let rest = entry.strip_prefix('.')?;
        if rest.is_empty() || rest.starts_with('.') {
            return None;
        }
        Folder::own(&rest.replace('.', "/")).ok()
    }

    /// How deep a folder sits (0 for the top level).
    pub fn depth(&self) -> usize {
        self.name().matches('/').count()
    }
}

fn english_label(f: &Folder) -> std::borrow::Cow<'static, str> {
    match f {
        Folder::Inbox => t!("folder.inbox", locale = "en"),
        Folder::Sent => t!("folder.sent", locale = "en"),
        Folder::Drafts => t!("folder.drafts", locale = "en"),
        Folder::Trash => t!("folder.trash", locale = "en"),
        Folder::Junk => t!("folder.junk", locale = "en"),
        Folder::Own(_) => std::borrow::Cow::Borrowed(""),
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
