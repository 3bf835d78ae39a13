//! A folder's message list: for INBOX every message the server has, newest
//! first, merged with stored ones gone from the server; its summary once the
//! headers have arrived; flags. Keyed by UIDL. What is shown, and in which
//! order, is a view over it (`sort`, `limit`): the selection and scroll are
//! positions in that view.

use rust_i18n::t;
use std::sync::Arc;

use super::limit::Pattern;
use crate::store::query::IndexHits;
use std::collections::HashSet;

use crate::mime::Summary;
use crate::store::{Flags, Folder};
use crate::sync::ListRow;
use crate::uidl::Uidl;

/// One row: 32 bytes, the UIDL and summary shared with the worker and store.
#[derive(Debug, Clone)]
pub struct Entry {
    pub uidl: Uidl,
    pub size: u64,
    pub summary: Option<Arc<Summary>>,
    pub flags: Flags,
    /// The whole message is in the local store.
    pub stored: bool,
    pub on_server: bool,
}

impl Entry {
    pub fn new(e: ListRow) -> Entry {
        Entry {
            uidl: e.uidl,
            size: e.size,
            summary: e.summary,
            flags: e.flags,
            stored: e.stored,
            on_server: e.on_server,
        }
    }

    pub fn seen(&self) -> bool {
        self.flags.contains(Flags::SEEN)
    }

    /// Kept only here: the server no longer has it.
    pub fn local_only(&self) -> bool {
        !self.on_server
    }

    pub fn set_summary(&mut self, s: Arc<Summary>) {
        self.summary = Some(s);
    }

    /// Does the search query (lower-case) match the sender or subject?
    pub fn matches(&self, query: &str) -> bool {
        self.summary.as_ref().is_some_and(|s| {
            s.subject().to_lowercase().contains(query)
                || s.from().to_lowercase().contains(query)
                || s.from_address().to_lowercase().contains(query)
        })
    }
}

/// What the list is sorted by (`o` cycles them, `O` reverses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Newest first, ties by arrival: the default (as Foxmail and mutt).
    #[default]
    Date,
    /// The server's order (newest first).
    Arrival,
    Sender,
    Subject,
    Size,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Date => SortKey::Arrival,
            SortKey::Arrival => SortKey::Sender,
            SortKey::Sender => SortKey::Subject,
            SortKey::Subject => SortKey::Size,
            SortKey::Size => SortKey::Date,
        }
    }

    /// The name shown when sorting ("sorted by date").
    pub fn label(self) -> std::borrow::Cow<'static, str> {
        match self {
            SortKey::Date => t!("sort.date"),
            SortKey::Arrival => t!("sort.arrival"),
            SortKey::Sender => t!("sort.sender"),
            SortKey::Subject => t!("sort.subject"),
            SortKey::Size => t!("sort.size"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    /// Opposite to the key's natural direction (newest, A to Z, largest first).
    pub reverse: bool,
}

/// How a folder is shown, remembered across restarts: its sort and whether
/// threads are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewPrefs {
    pub sort: Sort,
    pub threads: bool,
}

impl ViewPrefs {
    /// One line per folder: `FOLDER KEY REVERSE THREADS` (`INBOX date 0 1`).
    pub fn write_all(views: &std::collections::BTreeMap<Folder, ViewPrefs>) -> String {
        views
            .iter()
            .map(|(f, v)| {
                let key = match v.sort.key {
                    SortKey::Date => "date",
                    SortKey::Arrival => "arrival",
                    SortKey::Sender => "sender",
                    SortKey::Subject => "subject",
                    SortKey::Size => "size",
                };
                format!(
                    "{} {key} {} {}\n",
                    f.name(),
                    u8::from(v.sort.reverse),
                    u8::from(v.threads)
                )
            })
            .collect()
    }

    /// What `write_all` wrote; a line it cannot read is left out (the
    /// folder is then shown as by default).
    pub fn read_all(text: &str) -> std::collections::BTreeMap<Folder, ViewPrefs> {
        text.lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                let [folder, key, reverse, threads] = w.as_slice() else {
                    return None;
                };
                let key = match *key {
                    "date" => SortKey::Date,
                    "arrival" => SortKey::Arrival,
                    "sender" => SortKey::Sender,
                    "subject" => SortKey::Subject,
                    "size" => SortKey::Size,
                    _ => return None,
                };
                Some((
                    Folder::from_name(folder)?,
                    ViewPrefs {
                        sort: Sort {
                            key,
                            reverse: *reverse == "1",
                        },
                        threads: *threads == "1",
                    },
                ))
            })
            .collect()
    }
}

/// A limit in force: the pattern, and what the full-text index answered for
/// its `to:`/`body:` parts (None while asked).
#[derive(Debug, Clone)]
pub struct Limit {
    pub pattern: Pattern,
    pub indexed: Option<IndexHits>,
}

#[derive(Debug, Clone, Default)]
pub struct MessageList {
    pub entries: Vec<Entry>,
    /// Positions in `entries`, sorted by UIDL: a row is found by binary
    /// search (4 bytes a row, where a map would take 24).
    by_uidl: Vec<u32>,
    /// A position in the rows shown.
    pub selected: usize,
    /// The first row on screen.
    pub offset: usize,
    pub loaded: usize,
    pub sort: Sort,
    pub limit: Option<Limit>,
    /// The rows shown, as positions in `entries`, when sorted or limited
    /// (None: all of `entries`, in their order).
    order: Option<Vec<u32>>,
    /// Summaries arrived since the view was last laid out.
    stale: usize,
    /// Changes when rows are added, removed or reordered (not when a
    /// summary arrives): a threading job's positions hold while it stands.
    pub version: u64,
    /// Threads on (`t`), and the last layout the threading job sent.
    pub threads: bool,
    pub thread_layout: Option<Arc<super::thread::Layout>>,
    /// The threading job last asked for (its answer is the one taken).
    pub thread_generation: u64,
    /// A threading job is running; `thread_again`: the list changed since.
    pub thread_running: bool,
    pub thread_again: bool,
    /// Threads folded to their first message (`z`), by that message.
    pub folded: HashSet<Uidl>,
    /// Per row shown when threaded: the tree before the subject and, for a
    /// folded thread, (messages, unread) in it.
    pub tree: Vec<TreeCell>,
}

/// What a threaded row draws before its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeCell {
    pub prefix: Arc<str>,
    /// A folded thread: (messages, unread) in it.
    pub folded: Option<(u32, u32)>,
}

/// A layout row placed in the list: (position, prefix, depth, thread size).
type Placed = (u32, Arc<str>, u16, u32);

impl MessageList {
    /// Takes a new index (first connection, reconnect, refresh), keeping what
    /// is known (the flags set in this run are the truth: the store has them
    /// or is about to).
    pub fn replace(&mut self, index: Vec<ListRow>) {
        let selected = self.selected_uidl().map(str::to_string);
        // Old rows are found by UIDL and taken out of their slots (no map:
        // at 100,000 rows that would be megabytes at the peak).
        let old = std::mem::take(&mut self.entries);
        let old_pos = std::mem::take(&mut self.by_uidl);
        let find = |u: &str| -> Option<Entry> {
            let i = old_pos
                .binary_search_by(|&p| old[p as usize].uidl.as_str().cmp(u))
                .ok()?;
            // A clone is two reference counts, no copy of the text.
            Some(old[old_pos[i] as usize].clone())
        };
        self.entries = index
            .into_iter()
            .map(|e| match find(&e.uidl) {
                Some(mut known) => {
                    known.size = e.size;
                    known.on_server = e.on_server;
                    known.stored |= e.stored;
                    if known.summary.is_none() {
                        known.summary = e.summary;
                    }
                    known
                }
                None => Entry::new(e),
            })
            .collect();
        // Collected in the index's own (larger) allocation: 40 bytes a row
        // kept for a 32-byte entry unless shrunk.
        self.entries.shrink_to_fit();
        drop(old);
        drop(old_pos);
        self.reindex();
        self.loaded = self.entries.iter().filter(|e| e.summary.is_some()).count();
        self.layout(selected.as_deref());
    }

    /// `replace`, keeping rows kept only here that the index does not list:
    /// a message restored from Trash after the worker read the store (the
    /// worker learns of it at its next start; until then the row stays).
    pub fn replace_keeping_local(&mut self, index: Vec<ListRow>) {
        let local: Vec<Entry> = self
            .entries
            .iter()
            .filter(|e| e.local_only() && e.stored)
            .cloned()
            .collect();
        self.replace(index);
        for e in local.into_iter().rev() {
            if self.position(&e.uidl).is_none() {
                self.insert_top(e);
            }
        }
    }

    pub fn set_summary(&mut self, uidl: &str, s: Arc<Summary>) {
        if let Some(i) = self.position(uidl) {
            if self.entries[i].summary.is_none() {
                self.loaded += 1;
            }
            self.entries[i].set_summary(s);
            self.stale += 1;
        }
    }

    /// After a batch of summaries: the view is laid out again when it
    /// depends on them, at the end of a stream or every few thousand rows
    /// (not at every batch: sorting 100,000 rows 1,500 times would be a
    /// second of work).
    pub fn summaries_arrived(&mut self) -> bool {
        if self.order.is_some() && (self.loaded == self.len() || self.stale >= 4096) {
            self.relayout();
            return true;
        }
        false
    }

    /// A threading job over the current messages (the next generation).
    pub fn thread_job(&mut self) -> super::thread::Job {
        self.thread_generation += 1;
        let inputs = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| super::thread::Input {
                uidl: e.uidl.clone(),
                summary: e.summary.clone(),
                arrival: i as u32,
            })
            .collect();
        super::thread::Job {
            inputs: Arc::new(inputs),
            generation: self.thread_generation,
            version: self.version,
        }
    }

    /// Whether rows are sorted or limited (not the plain arrival order).
    pub fn is_arranged(&self) -> bool {
        self.order.is_some()
    }

    /// Lays the view out again, keeping the selected message selected.
    pub fn relayout(&mut self) {
        let selected = self.selected_uidl().map(str::to_string);
        self.layout(selected.as_deref());
    }

    /// Computes the rows shown from the entries and the view's settings.
    fn arrange(&mut self) {
        self.stale = 0;
        self.tree.clear();
        self.order = match self.thread_layout.clone().filter(|_| self.threads) {
            Some(layout) => Some(self.threaded(&layout)),
            None => super::order::arrange(&self.entries, self.sort, self.limit.as_ref()),
        };
    }

    fn layout(&mut self, keep: Option<&str>) {
        self.arrange();
        let at = keep.and_then(|u| {
            let p = self.position(u)? as u32;
            match &self.order {
                Some(o) => o.iter().position(|&x| x == p),
                None => Some(p as usize),
            }
        });
        self.selected = at.unwrap_or(0);
        self.clamp();
    }

    /// The threaded rows: the layout's, by UIDL (messages newer than the
    /// layout on top), limited, folded threads as their first message.
    fn threaded(&mut self, layout: &super::thread::Layout) -> Vec<u32> {
        let mut in_layout = vec![false; self.entries.len()];
        let mut rows: Vec<Placed> = Vec::with_capacity(self.entries.len());
        let same = layout.version == self.version;
        for r in &layout.rows {
            // The list is as the job saw it: a row's place is known; else looked up.
            let p = if same && (r.arrival as usize) < self.entries.len() {
                Some(r.arrival as usize)
            } else {
                self.position(&r.uidl)
            };
            if let Some(p) = p {
                in_layout[p] = true;
                rows.push((p as u32, r.prefix.clone(), r.depth, r.thread_size));
            }
        }
        let empty: Arc<str> = Arc::from("");
        let newer: Vec<Placed> = (0..self.entries.len())
            .filter(|&p| !in_layout[p])
            .map(|p| (p as u32, empty.clone(), 0, 1))
            .collect();
        let mut all = newer;
        all.extend(rows);
        if self.sort.reverse {
            // Whole threads in the opposite order, each still top-down.
            let mut threads: Vec<Vec<Placed>> = Vec::new();
            for r in all {
                if r.2 == 0 || threads.is_empty() {
                    threads.push(Vec::new());
                }
                if let Some(t) = threads.last_mut() {
                    t.push(r);
                }
            }
            all = threads.into_iter().rev().flatten().collect();
        }
        let limit = self.limit.as_ref();
        let entries = &self.entries;
        let pass = |p: u32| {
            limit.is_none_or(|l| l.pattern.matches(&entries[p as usize], l.indexed.as_ref()))
        };
        let mut order = Vec::with_capacity(all.len());
        let mut tree = Vec::with_capacity(all.len());
        let mut i = 0;
        while i < all.len() {
            let (p, prefix, depth, size) = all[i].clone();
            let end = if depth == 0 {
                let mut e = i + 1;
                while e < all.len() && all[e].2 > 0 {
                    e += 1;
                }
                e
            } else {
                i + 1
            };
            let root = &self.entries[p as usize];
            if depth == 0 && size > 1 && self.folded.contains(&root.uidl) {
                let unread = all[i..end]
                    .iter()
                    .filter(|r| !self.entries[r.0 as usize].seen())
                    .count() as u32;
                if all[i..end].iter().any(|r| pass(r.0)) {
                    order.push(p);
                    tree.push(TreeCell {
                        prefix,
                        folded: Some(((end - i) as u32, unread)),
                    });
                }
                i = end;
                continue;
            }
            if pass(p) {
                order.push(p);
                // Under a limit, rows of a thread may be missing: the tree is
                // drawn only when the whole view is unlimited.
                tree.push(TreeCell {
                    prefix: if limit.is_some() {
                        empty.clone()
                    } else {
                        prefix
                    },
                    folded: None,
                });
            }
            i += 1;
        }
        self.tree = tree;
        order
    }

    /// The thread drawing and fold count of row `i` when threaded.
    pub fn tree_of(&self, i: usize) -> Option<&TreeCell> {
        self.tree.get(i)
    }

    /// The first message of the thread row `i` belongs to (threads on).
    pub fn thread_root(&self, i: usize) -> Option<Uidl> {
        let layout = self.thread_layout.as_ref()?;
        let uidl = self.row(i)?.uidl.clone();
        let at = layout.rows.iter().position(|r| r.uidl == uidl)?;
        layout.rows[..=at]
            .iter()
            .rev()
            .find(|r| r.depth == 0)
            .map(|r| r.uidl.clone())
    }

    /// The row shown at position `i`.
    pub fn row(&self, i: usize) -> Option<&Entry> {
        match &self.order {
            Some(o) => o.get(i).map(|&p| &self.entries[p as usize]),
            None => self.entries.get(i),
        }
    }

    /// How many rows are shown (all, or those the limit lets through).
    pub fn shown(&self) -> usize {
        self.order.as_ref().map_or(self.entries.len(), Vec::len)
    }

    pub fn get(&self, uidl: &str) -> Option<&Entry> {
        self.position(uidl).map(|i| &self.entries[i])
    }

    pub fn get_mut(&mut self, uidl: &str) -> Option<&mut Entry> {
        self.position(uidl).map(|i| &mut self.entries[i])
    }

    pub fn selected_entry(&self) -> Option<&Entry> {
        self.row(self.selected)
    }

    /// Takes a row out (moved to another folder).
    pub fn remove(&mut self, uidl: &str) -> Option<Entry> {
        let i = self.position(uidl)?;
        let shown_at = self.selected;
        let e = self.entries.remove(i);
        self.reindex();
        if e.summary.is_some() {
            self.loaded -= 1;
        }
        if self.order.is_some() {
            // The row after the removed one takes its place on screen.
            self.arrange();
            self.selected = shown_at;
        }
        self.clamp();
        Some(e)
    }

    /// Puts a row on top (moved here from another folder).
    pub fn insert_top(&mut self, e: Entry) {
        if self.position(&e.uidl).is_some() {
            return;
        }
        if e.summary.is_some() {
            self.loaded += 1;
        }
        self.entries.insert(0, e);
        if self.order.is_some() {
            self.reindex();
            self.relayout();
            return;
        }
        if !self.entries.is_empty() && self.selected > 0 {
            self.selected += 1;
        }
        self.reindex();
    }

    fn reindex(&mut self) {
        self.version += 1;
        let entries = &self.entries;
        let mut by_uidl: Vec<u32> = (0..entries.len() as u32).collect();
        by_uidl.sort_unstable_by(|&a, &b| entries[a as usize].uidl.cmp(&entries[b as usize].uidl));
        self.by_uidl = by_uidl;
    }

    /// Where the row for `uidl` is.
    fn position(&self, uidl: &str) -> Option<usize> {
        let i = self
            .by_uidl
            .binary_search_by(|&p| self.entries[p as usize].uidl.as_str().cmp(uidl))
            .ok()?;
        Some(self.by_uidl[i] as usize)
    }

    /// How many rows are unread.
    pub fn unread(&self) -> usize {
        self.entries.iter().filter(|e| !e.seen()).count()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn selected_uidl(&self) -> Option<&str> {
        self.row(self.selected).map(|e| &*e.uidl)
    }

    pub fn select(&mut self, i: usize) {
        self.selected = i.min(self.shown().saturating_sub(1));
    }

    /// Shows the row of `uidl`, if the view has it.
    pub fn select_uidl(&mut self, uidl: &str) -> bool {
        let Some(p) = self.position(uidl) else {
            return false;
        };
        let at = match &self.order {
            Some(o) => o.iter().position(|&x| x as usize == p),
            None => Some(p),
        };
        match at {
            Some(i) => {
                self.selected = i;
                true
            }
            None => false,
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let i = self.selected as isize + delta;
        self.select(i.max(0) as usize);
    }

    fn clamp(&mut self) {
        self.select(self.selected);
        self.offset = self.offset.min(self.shown().saturating_sub(1));
    }

    /// Scrolls so the selection is on screen, for a list `height` rows tall.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.shown().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    /// The rows on screen.
    pub fn visible(&self, height: usize) -> Vec<&Entry> {
        let end = (self.offset + height).min(self.shown());
        (self.offset.min(end)..end)
            .filter_map(|i| self.row(i))
            .collect()
    }

    /// The next entry after (or before) the selection matching `query`, wrapping around.
    pub fn find(&self, query: &str, forward: bool, include_current: bool) -> Option<usize> {
        let n = self.shown();
        if n == 0 {
            return None;
        }
        let start = if include_current { 0 } else { 1 };
        (start..=n)
            .map(|k| {
                if forward {
                    (self.selected + k) % n
                } else {
                    (self.selected + n * 2 - k) % n
                }
            })
            .find(|&i| self.row(i).is_some_and(|e| e.matches(query)))
    }
}
