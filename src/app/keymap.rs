//! Keys to actions, from one table that the help screen also prints, so the
//! two cannot drift apart. Keys are postie's own type: the terminal layer
//! converts crossterm's events into them.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Enter,
    Esc,
    Backspace,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Left,
    Right,
    Tab,
    BackTab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    List,
    Reader,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    NextLine,
    PrevLine,
    PageDown,
    PageUp,
    First,
    Last,
    Open,
    /// In the list: quit (asking first if there are marks). In the reader: back.
    Back,
    Mark,
    Unmark,
    UnmarkAll,
    Refresh,
    Search,
    SearchNext,
    SearchPrev,
    Help,
    ExitDiscard,
    ToggleRead,
    ToggleFlag,
    Save,
    Attachments,
    NextFolder,
    PrevFolder,
    Reply,
    ReplyAll,
    Forward,
    Compose,
    AddAccount,
    SortNext,
    SortReverse,
    Limit,
    Threads,
    Fold,
    PipeMessage,
    Links,
}

/// One row of the table: the keys, where they work, what they do, and the words for help.
pub struct Binding {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub list: Option<(Action, &'static str)>,
    pub reader: Option<(Action, &'static str)>,
}

use Action::*;
use Key as K;

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[K::Char('j'), K::Down],
        label: "j ↓",
        list: Some((NextLine, "next message")),
        reader: Some((NextLine, "scroll down a line")),
    },
    Binding {
        keys: &[K::Char('k'), K::Up],
        label: "k ↑",
        list: Some((PrevLine, "previous message")),
        reader: Some((PrevLine, "scroll up a line")),
    },
    Binding {
        keys: &[K::PageDown, K::Char(' ')],
        label: "PgDn Space",
        list: Some((PageDown, "next page")),
        reader: Some((PageDown, "next page")),
    },
    Binding {
        keys: &[K::PageUp],
        label: "PgUp",
        list: Some((PageUp, "previous page")),
        reader: Some((PageUp, "previous page")),
    },
    Binding {
        keys: &[K::Char('g'), K::Home],
        label: "g Home",
        list: Some((First, "first (newest) message")),
        reader: Some((First, "top of the message")),
    },
    Binding {
        keys: &[K::Char('G'), K::End],
        label: "G End",
        list: Some((Last, "last (oldest) message")),
        reader: Some((Last, "bottom of the message")),
    },
    Binding {
        keys: &[K::Enter, K::Right],
        label: "Enter →",
        list: Some((Open, "open the message")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('q'), K::Esc, K::Char('h'), K::Left],
        label: "q Esc h",
        list: Some((Back, "quit (asks if any are marked)")),
        reader: Some((Back, "back to the list")),
    },
    Binding {
        keys: &[K::Char('d')],
        label: "d",
        list: Some((Mark, "mark for deletion")),
        reader: Some((Mark, "mark for deletion, back to list")),
    },
    Binding {
        keys: &[K::Char('u')],
        label: "u",
        list: Some((Unmark, "unmark this message")),
        reader: Some((Unmark, "unmark this message")),
    },
    Binding {
        keys: &[K::Char('U')],
        label: "U",
        list: Some((UnmarkAll, "unmark all messages")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('m')],
        label: "m",
        list: Some((ToggleRead, "mark read / unread")),
        reader: Some((ToggleRead, "mark read / unread")),
    },
    Binding {
        keys: &[K::Char('F')],
        label: "F",
        list: Some((ToggleFlag, "flag / unflag")),
        reader: Some((ToggleFlag, "flag / unflag")),
    },
    Binding {
        keys: &[K::Char('s')],
        label: "s",
        list: Some((Save, "save the attachments")),
        reader: Some((Save, "save the attachments")),
    },
    Binding {
        keys: &[K::Char('v')],
        label: "v",
        list: None,
        reader: Some((Attachments, "attachments: save, open, pipe")),
    },
    Binding {
        keys: &[K::Tab],
        label: "Tab",
        list: Some((NextFolder, "next folder")),
        reader: None,
    },
    Binding {
        keys: &[K::BackTab],
        label: "S-Tab",
        list: Some((PrevFolder, "previous folder")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('r')],
        label: "r",
        list: Some((Reply, "reply")),
        reader: Some((Reply, "reply")),
    },
    Binding {
        keys: &[K::Char('a')],
        label: "a",
        list: Some((ReplyAll, "reply to all")),
        reader: Some((ReplyAll, "reply to all")),
    },
    Binding {
        keys: &[K::Char('f')],
        label: "f",
        list: Some((Forward, "forward (with the attachments)")),
        reader: Some((Forward, "forward (with the attachments)")),
    },
    Binding {
        keys: &[K::Char('c')],
        label: "c",
        list: Some((Compose, "compose (or a waiting draft)")),
        reader: Some((Compose, "compose (or a waiting draft)")),
    },
    Binding {
        keys: &[K::Char('R')],
        label: "R",
        list: Some((Refresh, "check for new mail")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('o')],
        label: "o",
        list: Some((SortNext, "sort by date, arrival, sender, subject, size")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('O')],
        label: "O",
        list: Some((SortReverse, "reverse the sort")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('|')],
        label: "|",
        list: Some((PipeMessage, "pipe the message to a command")),
        reader: Some((PipeMessage, "pipe the message to a command")),
    },
    Binding {
        keys: &[K::Char('y')],
        label: "y",
        list: None,
        reader: Some((Links, "links and addresses: copy one (OSC 52)")),
    },
    Binding {
        keys: &[K::Char('t')],
        label: "t",
        list: Some((Threads, "threads on / off")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('z')],
        label: "z",
        list: Some((Fold, "fold / unfold this thread")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('l')],
        label: "l",
        list: Some((Limit, "limit: only rows matching a pattern (empty: all)")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('A')],
        label: "A",
        list: Some((AddAccount, "add an account (setup)")),
        reader: None,
    },
    Binding {
        keys: &[K::Char('/')],
        label: "/",
        list: Some((Search, "search sender and subject")),
        reader: Some((Search, "search in the message")),
    },
    Binding {
        keys: &[K::Char('n')],
        label: "n",
        list: Some((SearchNext, "next match")),
        reader: Some((SearchNext, "next match")),
    },
    Binding {
        keys: &[K::Char('N')],
        label: "N",
        list: Some((SearchPrev, "previous match")),
        reader: Some((SearchPrev, "previous match")),
    },
    Binding {
        keys: &[K::Char('?')],
        label: "?",
        list: Some((Help, "this help")),
        reader: Some((Help, "this help")),
    },
    Binding {
        keys: &[K::Char('x'), K::Ctrl('c')],
        label: "x Ctrl-C",
        list: Some((ExitDiscard, "exit without deleting anything")),
        reader: Some((ExitDiscard, "exit without deleting anything")),
    },
];

pub fn lookup(key: Key, ctx: Context) -> Option<Action> {
    let b = BINDINGS.iter().find(|b| b.keys.contains(&key))?;
    match ctx {
        Context::List => b.list.map(|(a, _)| a),
        Context::Reader => b.reader.map(|(a, _)| a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = std::collections::HashSet::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(seen.insert(*k), "{k:?} bound twice");
            }
        }
    }

    #[test]
    fn contract_keys_resolve() {
        assert_eq!(lookup(K::Char('j'), Context::List), Some(NextLine));
        assert_eq!(lookup(Key::Down, Context::Reader), Some(NextLine));
        assert_eq!(lookup(K::Char(' '), Context::List), Some(PageDown));
        assert_eq!(lookup(K::Char('G'), Context::Reader), Some(Last));
        assert_eq!(lookup(K::Enter, Context::Reader), None);
        assert_eq!(lookup(K::Char('U'), Context::Reader), None);
        assert_eq!(lookup(K::Char('x'), Context::List), Some(ExitDiscard));
        assert_eq!(lookup(K::Char('Y'), Context::List), None);
        assert_eq!(lookup(K::Char('l'), Context::List), Some(Limit));
        assert_eq!(lookup(K::Char('t'), Context::List), Some(Threads));
        assert_eq!(lookup(K::Char('o'), Context::List), Some(SortNext));
        assert_eq!(lookup(K::Char('r'), Context::List), Some(Reply));
        assert_eq!(lookup(K::Char('r'), Context::Reader), Some(Reply));
        assert_eq!(lookup(K::Char('R'), Context::List), Some(Refresh));
        assert_eq!(lookup(K::Char('a'), Context::Reader), Some(ReplyAll));
        assert_eq!(lookup(K::Char('f'), Context::List), Some(Forward));
        assert_eq!(lookup(K::Char('c'), Context::List), Some(Compose));
    }
}
