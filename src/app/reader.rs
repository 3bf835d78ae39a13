//! The open message: its rendered text wrapped to the screen, the scroll
//! position, and search within it.

use rust_i18n::t;
use std::sync::Arc;

use crate::mime::Rendered;
use crate::text::{human_size, wrap};
use crate::uidl::Uidl;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub uidl: Uidl,
    pub body: Option<Arc<Rendered>>,
    /// Header lines, a blank line, the wrapped body, then the attachments.
    pub lines: Vec<String>,
    /// How many of `lines` are headers (drawn in their own style).
    pub header_lines: usize,
    pub scroll: usize,
    pub search: Option<String>,
    /// Showing the HTML alternative (`H`) instead of the text part.
    pub html: bool,
    width: usize,
}

impl Reader {
    pub fn new(uidl: Uidl) -> Reader {
        Reader {
            uidl,
            body: None,
            lines: Vec::new(),
            header_lines: 0,
            scroll: 0,
            search: None,
            html: false,
            width: 80,
        }
    }

    pub fn set_body(&mut self, body: Arc<Rendered>, width: usize) {
        self.body = Some(body);
        self.rewrap(width, usize::MAX);
    }

    pub fn rewrap(&mut self, width: usize, height: usize) {
        self.width = width.max(10);
        let Some(r) = &self.body else { return };
        let mut lines = Vec::new();
        for (label, value) in r.reader_fields() {
            // "From: x", "发件人：x" (a full-width colon has its own space).
            let gap = if label.ends_with('：') { "" } else { " " };
            lines.extend(wrap(&format!("{label}{gap}{value}"), self.width));
        }
        self.header_lines = lines.len();
        lines.push(String::new());
        let body = match (&r.html, self.html) {
            (Some(html), true) => html,
            _ => &r.body,
        };
        for line in body.lines() {
            lines.extend(wrap(line, self.width));
        }
        if !r.attachments.is_empty() {
            lines.push(String::new());
            lines.push(t!("field.attachments").into());
            for (i, a) in r.attachments.iter().enumerate() {
                lines.extend(wrap(
                    &format!(
                        "  {}. {} ({}, {})",
                        i + 1,
                        a.name,
                        human_size(a.size),
                        a.mime_type
                    ),
                    self.width,
                ));
            }
        }
        self.lines = lines;
        if height != usize::MAX {
            self.scroll_by(0, height);
        }
    }

    pub fn scroll_by(&mut self, delta: isize, height: usize) {
        let max = self.lines.len().saturating_sub(height);
        let s = (self.scroll as isize).saturating_add(delta).max(0) as usize;
        self.scroll = s.min(max);
    }

    /// Moves to the next (or previous) line containing the search, from the
    /// current scroll position; false when there is none.
    pub fn find(&mut self, forward: bool, height: usize) -> bool {
        let Some(q) = &self.search else { return false };
        let n = self.lines.len();
        if n == 0 {
            return false;
        }
        let hit = (1..=n)
            .map(|k| {
                if forward {
                    (self.scroll + k) % n
                } else {
                    (self.scroll + n - k) % n
                }
            })
            .find(|&i| self.lines[i].to_lowercase().contains(q.as_str()));
        match hit {
            Some(i) => {
                // Clamping to the last page still leaves the hit on screen.
                self.scroll = i;
                self.scroll_by(0, height);
                true
            }
            None => false,
        }
    }
}
