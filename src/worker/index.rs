//! The last session's index: messages by number, found by UIDL with a
//! binary search over positions in UIDL order (no map of 100,000 keys).

use super::Worker;
use crate::pop3::Mailbox;
use crate::uidl::Uidl;

/// The message named `uidl` in `index` (number order), through `by_uidl`
/// (positions in UIDL order): a binary search, no map of 100,000 keys.
pub(super) fn lookup<'a>(index: &'a [Message], by_uidl: &[u32], uidl: &str) -> Option<&'a Message> {
    let i = by_uidl
        .binary_search_by(|&p| index[p as usize].uidl.as_str().cmp(uidl))
        .ok()?;
    index.get(by_uidl[i] as usize)
}

/// One message of this session's index.
#[derive(Debug)]
pub(super) struct Message {
    pub number: u32,
    /// Whether the UI has its summary (carried across sessions by UIDL).
    pub known: bool,
    /// From LIST.
    pub size: u64,
    pub uidl: Uidl,
}

/// The last session's index (kept while the next session is opened).
#[derive(Debug)]
pub(super) struct ServerIndex {
    /// In number order (oldest first): found by binary search.
    pub messages: Vec<Message>,
    /// Positions in `messages`, in UIDL order.
    pub by_uidl: Vec<u32>,
    /// How many of `messages` are `known`.
    pub known: usize,
    pub has_uidl: bool,
}

impl<M: Mailbox> Worker<M> {
    /// This session's number for `uidl`.
    pub(super) fn number_of(&self, uidl: &str) -> Option<u32> {
        lookup(&self.index.messages, &self.index.by_uidl, uidl).map(|m| m.number)
    }

    /// Where message `n` is in `index`.
    pub(super) fn position(&self, n: u32) -> Option<usize> {
        self.index
            .messages
            .binary_search_by_key(&n, |m| m.number)
            .ok()
    }

    /// This session's message `n`: its size from LIST and its UIDL.
    pub(super) fn message(&self, n: u32) -> Option<(u64, &Uidl)> {
        let m = &self.index.messages[self.position(n)?];
        Some((m.size, &m.uidl))
    }

    /// Whether the UI has the summary of message `n`.
    pub(super) fn is_known(&self, n: u32) -> bool {
        self.position(n)
            .is_some_and(|i| self.index.messages[i].known)
    }

    /// Whether some message's headers have not been seen yet.
    pub(super) fn headers_missing(&self) -> bool {
        self.index.known < self.index.messages.len()
    }
}
