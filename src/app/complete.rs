//! The prompt line's completion: Tab offers what the word being typed could
//! be (a folder's name at `M` `C` `b`, a contact at `To:`/`Cc:`/`Bcc:`), one
//! at once, several in a list above the prompt to go through with Tab /
//! Shift-Tab / ↑ ↓; Enter keeps the one chosen, Esc goes back to what was
//! typed, any other key keeps it and goes on. Pure, like the rest of `app`.

use std::sync::Arc;

use super::keymap::Key;
use super::recipients::word_start;
use super::{App, Effect, Prompt};
use crate::contacts::Matcher;
use rust_i18n::t;

/// How many candidates a list offers.
const MAX_CANDIDATES: usize = 50;

/// The candidates for the word being completed, one chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// What the list shows for each, and what goes into the line.
    items: Vec<(String, String)>,
    selected: usize,
    /// Where the word starts in the line (bytes), and what was typed there.
    start: usize,
    typed: String,
}

impl Completion {
    /// What the list shows, in order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(label, _)| label.as_str())
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Puts the chosen candidate in place of the word.
    fn apply(&self, text: &mut String) {
        if let Some((_, value)) = self.items.get(self.selected) {
            text.truncate(self.start.min(text.len()));
            text.push_str(value);
        }
    }

    fn step(&mut self, forward: bool, text: &mut String) {
        let n = self.items.len().max(1);
        self.selected = if forward {
            (self.selected + 1) % n
        } else {
            (self.selected + n - 1) % n
        };
        self.apply(text);
    }
}

/// The state of the address book in this reader.
#[derive(Debug, Clone, Default)]
pub enum Contacts {
    #[default]
    NotLoaded,
    /// Asked for; `then_complete`: a Tab is waiting for it.
    Loading {
        then_complete: bool,
    },
    Ready(Arc<Matcher>),
}

/// A contact's line in the prompt: `张伟 <zhang.wei@corp.cn>, ` (a group:
/// its members), ready for the next one.
fn recipient_value(address: &str) -> String {
    format!("{address}, ")
}

impl App {
    /// Keys while a completion list is up; None lets the key go on to the
    /// prompt (the list closes, the chosen candidate stays).
    pub(super) fn completion_key(&mut self, key: Key) -> Option<Vec<Effect>> {
        let c = self.completion.as_mut()?;
        let (_, text) = self.prompt.as_mut()?;
        if c.items.len() < 2 && !matches!(key, Key::Esc) {
            // No list to go through: the key is the prompt's.
            self.completion = None;
            return None;
        }
        match key {
            Key::Tab | Key::Down | Key::Ctrl('n') => c.step(true, text),
            Key::BackTab | Key::Up | Key::Ctrl('p') => c.step(false, text),
            Key::Enter => self.completion = None,
            Key::Esc => {
                text.truncate(c.start.min(text.len()));
                text.push_str(&c.typed);
                self.completion = None;
            }
            _ => {
                self.completion = None;
                return None;
            }
        }
        Some(vec![])
    }

    /// Tab in a prompt that completes: the word's candidates, one put in
    /// place at once.
    pub(super) fn complete(&mut self) -> Vec<Effect> {
        let Some((prompt, text)) = &self.prompt else {
            return vec![];
        };
        match prompt {
            Prompt::Folder(_) => {
                let items = self
                    .folder_candidates(text)
                    .into_iter()
                    .map(|f| (f.clone(), f))
                    .collect();
                let typed = text.clone();
                if !self.offer(items, 0, typed) {
                    self.notice = Some(t!("notice.no_folder_matches").into());
                }
                vec![]
            }
            Prompt::Recipients(_) => {
                let start = word_start(text);
                let typed = text[start..].to_string();
                let matcher = match &self.contacts {
                    Contacts::Ready(m) => m.clone(),
                    waiting => {
                        // Completes once the book is read (asked for once).
                        let ask = matches!(waiting, Contacts::NotLoaded);
                        self.contacts = Contacts::Loading {
                            then_complete: true,
                        };
                        self.notice = Some(t!("notice.contacts_loading").into());
                        return if ask {
                            vec![Effect::LoadContacts]
                        } else {
                            vec![]
                        };
                    }
                };
                let items = matcher
                    .find(&typed, MAX_CANDIDATES)
                    .into_iter()
                    .map(|e| {
                        let label = if e.is_group() {
                            t!("contacts.group_label", name = e.name, n = e.members.len())
                                .into_owned()
                        } else {
                            e.address()
                        };
                        (label, recipient_value(&e.address()))
                    })
                    .collect();
                let found = self.offer(items, start, typed.clone());
                if !found && typed.trim().is_empty() {
                    self.notice = Some(t!("notice.contacts_empty").into());
                } else if !found {
                    self.notice = Some(t!("notice.no_contact_matches").into());
                }
                // An external address book may know more (`query_command`).
                if typed.trim().is_empty() {
                    vec![]
                } else {
                    vec![Effect::QueryContacts(typed.trim().to_string())]
                }
            }
            _ => vec![],
        }
    }

    /// Offers `items` for the word at `start`: one is put in place, several
    /// open the list (the first put in place). False when there are none.
    fn offer(&mut self, items: Vec<(String, String)>, start: usize, typed: String) -> bool {
        let Some((_, text)) = self.prompt.as_mut() else {
            return false;
        };
        let c = Completion {
            items,
            selected: 0,
            start,
            typed,
        };
        if c.items.is_empty() {
            return false;
        }
        // One candidate is kept too (the list shows from two): an external
        // address book's answer may add to it.
        c.apply(text);
        self.completion = Some(c);
        self.notice = None;
        true
    }

    /// The address book is read: a Tab that waited for it completes now.
    pub(super) fn contacts_loaded(&mut self, loaded: Result<Arc<Matcher>, String>) -> Vec<Effect> {
        let waiting = matches!(
            self.contacts,
            Contacts::Loading {
                then_complete: true
            }
        );
        match loaded {
            Ok(m) => self.contacts = Contacts::Ready(m),
            Err(why) => {
                // An empty book: completion still works from `query_command`.
                self.contacts = Contacts::Ready(Arc::default());
                self.notice = Some(t!("notice.contacts_unreadable", error = why).into());
                return vec![];
            }
        }
        if waiting && matches!(self.prompt, Some((Prompt::Recipients(_), _))) {
            self.notice = None;
            return self.complete();
        }
        vec![]
    }

    /// What `query_command` found for `query`: added to the candidates if
    /// the same word is still being completed.
    pub(super) fn contacts_found(&mut self, query: &str, found: Vec<(String, String)>) {
        let Some((Prompt::Recipients(_), text)) = &self.prompt else {
            return;
        };
        let mut c = match self.completion.take() {
            Some(c) if c.typed.trim() == query => c,
            other => {
                let start = word_start(text);
                if other.is_some() || text[start..].trim() != query {
                    self.completion = other;
                    return;
                }
                Completion {
                    start,
                    typed: text[start..].to_string(),
                    ..Completion::default()
                }
            }
        };
        let had = c.items.len();
        for (email, name) in found {
            let email_lower = format!("<{}>", email.to_lowercase());
            let known = c
                .items
                .iter()
                .any(|(_, v)| v.to_lowercase().contains(&email_lower));
            if c.items.len() >= MAX_CANDIDATES || known {
                continue;
            }
            let address = crate::contacts::Entry::contact(&name, &email, 0.0).address();
            c.items.push((address.clone(), recipient_value(&address)));
        }
        if had == 0 {
            if self.offer(c.items, c.start, c.typed) {
                self.notice = None;
            }
        } else {
            // The one in place stays chosen, now among the others.
            self.completion = Some(c);
        }
    }

    pub fn completion(&self) -> Option<&Completion> {
        self.completion.as_ref()
    }
}
