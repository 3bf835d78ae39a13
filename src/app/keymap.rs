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
    /// The reader: the HTML alternative instead of the text part, and back.
    ToggleHtml,
    /// The reader: the HTML part in the user's browser.
    OpenHtml,
    /// The list: every row shown marked read (asking above 100).
    MarkAllRead,
    /// Tag or untag a row (`T`).
    Tag,
    /// Tag every row shown (`*`).
    TagAll,
    /// Untag every row (`Esc` in the list).
    ClearTags,
    /// Move to a folder (`M`).
    MoveTo,
    /// Copy to a folder (`C`).
    CopyTo,
    /// To Junk, or out of it (`J`).
    Junk,
    /// Pick a folder to show (`b`); also rename or delete the one shown.
    PickFolder,
    /// Run the filter rules over the folder shown.
    RunRules,
}

/// One row of the table: the keys, where they work and what they do there.
/// The words for help are the catalog's `keys.list.<Action>` and
/// `keys.reader.<Action>` (`Binding::describe`).
pub struct Binding {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub list: Option<Action>,
    pub reader: Option<Action>,
}

impl Binding {
    /// The catalog key of what this row does in `ctx`, if it does anything there.
    pub fn describe_key(&self, ctx: Context) -> Option<String> {
        match ctx {
            Context::List => self.list.map(|a| format!("keys.list.{a:?}")),
            Context::Reader => self.reader.map(|a| format!("keys.reader.{a:?}")),
        }
    }

    /// What this row does in `ctx`, in the language in use.
    pub fn describe(&self, ctx: Context) -> Option<std::borrow::Cow<'static, str>> {
        self.describe_key(ctx).map(|k| crate::i18n::text(&k))
    }
}

use Action::*;
use Key as K;

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[K::Char('j'), K::Down],
        label: "j ↓",
        list: Some(NextLine),
        reader: Some(NextLine),
    },
    Binding {
        keys: &[K::Char('k'), K::Up],
        label: "k ↑",
        list: Some(PrevLine),
        reader: Some(PrevLine),
    },
    Binding {
        keys: &[K::PageDown, K::Char(' ')],
        label: "PgDn Space",
        list: Some(PageDown),
        reader: Some(PageDown),
    },
    Binding {
        keys: &[K::PageUp],
        label: "PgUp",
        list: Some(PageUp),
        reader: Some(PageUp),
    },
    Binding {
        keys: &[K::Char('g'), K::Home],
        label: "g Home",
        list: Some(First),
        reader: Some(First),
    },
    Binding {
        keys: &[K::Char('G'), K::End],
        label: "G End",
        list: Some(Last),
        reader: Some(Last),
    },
    Binding {
        keys: &[K::Enter, K::Right],
        label: "Enter →",
        list: Some(Open),
        reader: None,
    },
    // Only q leaves the program: Esc, h and ← leave the reader (or a
    // pop-up), never the list, where one key too many would quit.
    Binding {
        keys: &[K::Char('q')],
        label: "q",
        list: Some(Back),
        reader: Some(Back),
    },
    Binding {
        keys: &[K::Esc, K::Char('h'), K::Left],
        label: "Esc h ←",
        list: Some(ClearTags),
        reader: Some(Back),
    },
    Binding {
        keys: &[K::Char('d')],
        label: "d",
        list: Some(Mark),
        reader: Some(Mark),
    },
    Binding {
        keys: &[K::Char('u')],
        label: "u",
        list: Some(Unmark),
        reader: Some(Unmark),
    },
    Binding {
        keys: &[K::Char('U')],
        label: "U",
        list: Some(UnmarkAll),
        reader: None,
    },
    Binding {
        keys: &[K::Char('m')],
        label: "m",
        list: Some(ToggleRead),
        reader: Some(ToggleRead),
    },
    Binding {
        keys: &[K::Char('F')],
        label: "F",
        list: Some(ToggleFlag),
        reader: Some(ToggleFlag),
    },
    Binding {
        keys: &[K::Char('s')],
        label: "s",
        list: Some(Save),
        reader: Some(Save),
    },
    Binding {
        keys: &[K::Char('v')],
        label: "v",
        list: None,
        reader: Some(Attachments),
    },
    Binding {
        keys: &[K::Tab],
        label: "Tab",
        list: Some(NextFolder),
        reader: None,
    },
    Binding {
        keys: &[K::BackTab],
        label: "S-Tab",
        list: Some(PrevFolder),
        reader: None,
    },
    Binding {
        keys: &[K::Char('r')],
        label: "r",
        list: Some(Reply),
        reader: Some(Reply),
    },
    Binding {
        keys: &[K::Char('a')],
        label: "a",
        list: Some(ReplyAll),
        reader: Some(ReplyAll),
    },
    Binding {
        keys: &[K::Char('f')],
        label: "f",
        list: Some(Forward),
        reader: Some(Forward),
    },
    Binding {
        keys: &[K::Char('c')],
        label: "c",
        list: Some(Compose),
        reader: Some(Compose),
    },
    Binding {
        keys: &[K::Char('R')],
        label: "R",
        list: Some(Refresh),
        reader: None,
    },
    Binding {
        keys: &[K::Char('o')],
        label: "o",
        list: Some(SortNext),
        reader: None,
    },
    Binding {
        keys: &[K::Char('O')],
        label: "O",
        list: Some(SortReverse),
        reader: None,
    },
    Binding {
        keys: &[K::Char('|')],
        label: "|",
        list: Some(PipeMessage),
        reader: Some(PipeMessage),
    },
    Binding {
        keys: &[K::Char('y')],
        label: "y",
        list: None,
        reader: Some(Links),
    },
    Binding {
        keys: &[K::Ctrl('r')],
        label: "Ctrl-R",
        list: Some(MarkAllRead),
        reader: None,
    },
    Binding {
        keys: &[K::Char('H')],
        label: "H",
        list: None,
        reader: Some(ToggleHtml),
    },
    Binding {
        keys: &[K::Char('b')],
        label: "b",
        list: Some(PickFolder),
        reader: Some(OpenHtml),
    },
    Binding {
        keys: &[K::Char('t')],
        label: "t",
        list: Some(Threads),
        reader: None,
    },
    Binding {
        keys: &[K::Char('z')],
        label: "z",
        list: Some(Fold),
        reader: None,
    },
    Binding {
        keys: &[K::Char('l')],
        label: "l",
        list: Some(Limit),
        reader: None,
    },
    Binding {
        keys: &[K::Char('A')],
        label: "A",
        list: Some(AddAccount),
        reader: None,
    },
    Binding {
        keys: &[K::Char('/')],
        label: "/",
        list: Some(Search),
        reader: Some(Search),
    },
    Binding {
        keys: &[K::Char('n')],
        label: "n",
        list: Some(SearchNext),
        reader: Some(SearchNext),
    },
    Binding {
        keys: &[K::Char('N')],
        label: "N",
        list: Some(SearchPrev),
        reader: Some(SearchPrev),
    },
    Binding {
        keys: &[K::Char('?')],
        label: "?",
        list: Some(Help),
        reader: Some(Help),
    },
    Binding {
        keys: &[K::Char('x'), K::Ctrl('c')],
        label: "x Ctrl-C",
        list: Some(ExitDiscard),
        reader: Some(ExitDiscard),
    },
    Binding {
        keys: &[K::Char('T')],
        label: "T",
        list: Some(Tag),
        reader: Some(Tag),
    },
    Binding {
        keys: &[K::Char('*')],
        label: "*",
        list: Some(TagAll),
        reader: None,
    },
    Binding {
        keys: &[K::Char('M')],
        label: "M",
        list: Some(MoveTo),
        reader: Some(MoveTo),
    },
    Binding {
        keys: &[K::Char('C')],
        label: "C",
        list: Some(CopyTo),
        reader: Some(CopyTo),
    },
    Binding {
        keys: &[K::Char('J')],
        label: "J",
        list: Some(Junk),
        reader: Some(Junk),
    },
    Binding {
        keys: &[K::Ctrl('f')],
        label: "Ctrl-F",
        list: Some(RunRules),
        reader: None,
    },
];

pub fn lookup(key: Key, ctx: Context) -> Option<Action> {
    let b = BINDINGS.iter().find(|b| b.keys.contains(&key))?;
    match ctx {
        Context::List => b.list,
        Context::Reader => b.reader,
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
