//! The message list: every message the server has, newest first, with its
//! summary once the headers have arrived. Keyed by UIDL; selection and scroll.

use std::collections::HashMap;
use std::sync::Arc;

use crate::mime::{Summary, Uidl};
use crate::worker::IndexEntry;

/// One row: 32 bytes, the UIDL and summary shared with the worker and cache.
#[derive(Debug, Clone)]
pub struct Entry {
    pub uidl: Uidl,
    pub size: u64,
    pub summary: Option<Arc<Summary>>,
}

impl Entry {
    fn new(e: IndexEntry) -> Entry {
        Entry {
            uidl: e.uidl,
            size: e.size,
            summary: None,
        }
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

#[derive(Debug, Clone, Default)]
pub struct MessageList {
    pub entries: Vec<Entry>,
    pos: HashMap<Uidl, usize>,
    pub selected: usize,
    /// The first row on screen.
    pub offset: usize,
    pub loaded: usize,
}

impl MessageList {
    /// Takes a new index (first connection, reconnect, refresh), keeping what is known.
    pub fn replace(&mut self, index: Vec<IndexEntry>) {
        let selected = self.selected_uidl().map(str::to_string);
        let mut old: HashMap<Uidl, Entry> = self
            .entries
            .drain(..)
            .map(|e| (e.uidl.clone(), e))
            .collect();
        self.entries = index
            .into_iter()
            .map(|e| match old.remove(&e.uidl) {
                Some(mut known) => {
                    known.size = e.size;
                    known
                }
                None => Entry::new(e),
            })
            .collect();
        self.pos = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.uidl.clone(), i))
            .collect();
        self.loaded = self.entries.iter().filter(|e| e.summary.is_some()).count();
        self.selected = selected
            .and_then(|u| self.pos.get(u.as_str()).copied())
            .unwrap_or(0);
        self.clamp();
    }

    pub fn set_summary(&mut self, uidl: &str, s: Arc<Summary>) {
        if let Some(&i) = self.pos.get(uidl) {
            if self.entries[i].summary.is_none() {
                self.loaded += 1;
            }
            self.entries[i].set_summary(s);
        }
    }

    pub fn get(&self, uidl: &str) -> Option<&Entry> {
        self.pos.get(uidl).map(|&i| &self.entries[i])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn selected_uidl(&self) -> Option<&str> {
        self.entries.get(self.selected).map(|e| &*e.uidl)
    }

    pub fn select(&mut self, i: usize) {
        self.selected = i.min(self.entries.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: isize) {
        let i = self.selected as isize + delta;
        self.select(i.max(0) as usize);
    }

    fn clamp(&mut self) {
        self.select(self.selected);
        self.offset = self.offset.min(self.entries.len().saturating_sub(1));
    }

    /// Scrolls so the selection is on screen, for a list `height` rows tall.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.entries.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    /// The UIDLs on screen.
    pub fn visible(&self, height: usize) -> &[Entry] {
        let end = (self.offset + height).min(self.entries.len());
        &self.entries[self.offset.min(end)..end]
    }

    /// The next entry after (or before) the selection matching `query`, wrapping around.
    pub fn find(&self, query: &str, forward: bool, include_current: bool) -> Option<usize> {
        let n = self.entries.len();
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
            .find(|&i| self.entries[i].matches(query))
    }
}
