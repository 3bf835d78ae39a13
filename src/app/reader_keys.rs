//! Keys in the reader, and the actions on one message both views share
//! (reply, forward, save, pipe, links).
use super::keymap::{lookup, Action, Context, Key};
use super::*;
use rust_i18n::t;

impl App {
    pub(super) fn reader_action(&mut self, action: Action) -> Vec<Effect> {
        let height = self.reader_height();
        let width = self.width as usize;
        let View::Reader(reader) = &mut self.view else {
            return vec![];
        };
        let uidl = reader.uidl.clone();
        match action {
            Action::NextLine => reader.scroll_by(1, height),
            Action::PrevLine => reader.scroll_by(-1, height),
            Action::PageDown => reader.scroll_by(height as isize, height),
            Action::PageUp => reader.scroll_by(-(height as isize), height),
            Action::First => reader.scroll = 0,
            Action::Last => reader.scroll_by(isize::MAX / 2, height),
            Action::Back => {
                self.view = View::List;
                // A download the user left is stopped (a long one would
                // otherwise hold the session, or fill the disk, for nothing).
                if matches!(self.bodies.get(&uidl), Some(BodyState::Loading { .. })) {
                    return vec![Effect::Worker(Request::StopBody(uidl))];
                }
            }
            Action::Mark => {
                self.view = View::List;
                let effects = self.mark(Some(uidl));
                let mut more = self.list_moved();
                more.splice(0..0, effects);
                return more;
            }
            Action::Unmark => return self.unmark(Some(uidl)),
            Action::Tag => return self.toggle_tag(Some(uidl)),
            Action::MoveTo | Action::CopyTo => {
                return self.ask_file(vec![uidl], action == Action::CopyTo)
            }
            Action::Junk => {
                self.view = View::List;
                return self.junk(vec![uidl]);
            }
            Action::Search => self.input = Some(String::new()),
            Action::SearchNext | Action::SearchPrev => {
                if !reader.find(action == Action::SearchNext, height) {
                    self.notice = Some(match &reader.search {
                        Some(q) => t!("notice.not_in_message", query = q).into(),
                        None => t!("notice.no_search").into(),
                    });
                }
            }
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::ExitDiscard => return self.exit_discarding(),
            Action::ToggleRead | Action::ToggleFlag | Action::Save => {
                return self.message_action(action, uidl)
            }
            Action::Reply | Action::ReplyAll | Action::Forward | Action::Compose => {
                let u = (!uidl.as_str().starts_with(" attachment")).then_some(uidl);
                return self.compose_action(action, u);
            }
            Action::Attachments => {
                let count = reader.body.as_ref().map_or(0, |b| b.attachments.len());
                if count == 0 {
                    self.notice = Some("this message has no attachments".into());
                } else {
                    self.popup = Some(Popup::Attachments { selected: 0 });
                }
            }
            Action::PipeMessage => {
                if !uidl.as_str().starts_with(" attachment") {
                    self.prompt = Some((Prompt::PipeMessage { uidl }, String::new()));
                }
            }
            Action::ToggleHtml => match reader.body.as_ref().map(|b| b.html.is_some()) {
                Some(true) => {
                    reader.html = !reader.html;
                    reader.scroll = 0;
                    reader.rewrap(width, height);
                }
                _ => self.notice = Some(t!("notice.no_html_part").into()),
            },
            Action::OpenHtml => match reader.body.as_ref().and_then(|b| b.html_source.clone()) {
                Some(html) => {
                    self.notice = Some(t!("notice.opening_html").into());
                    return vec![Effect::OpenHtml(html)];
                }
                None => self.notice = Some(t!("notice.no_html_part").into()),
            },
            Action::Links => {
                let items = reader
                    .body
                    .as_ref()
                    .map(|b| links::links_and_addresses(b))
                    .unwrap_or_default();
                if items.is_empty() {
                    self.notice = Some(t!("notice.no_links").into());
                } else {
                    self.popup = Some(Popup::Links { items, selected: 0 });
                }
            }
            Action::Open
            | Action::Threads
            | Action::Fold
            | Action::SortNext
            | Action::SortReverse
            | Action::Limit
            | Action::AddAccount
            | Action::UnmarkAll
            | Action::Refresh
            | Action::NextFolder
            | Action::PrevFolder
            | Action::MarkAllRead
            | Action::TagAll
            | Action::ClearTags
            | Action::PickFolder
            | Action::RunRules => {}
        }
        vec![]
    }

    /// `m`, `F` and `s` on one message, in the list or the reader.
    pub(super) fn message_action(&mut self, action: Action, uidl: Uidl) -> Vec<Effect> {
        match action {
            Action::ToggleRead => self.set_flag(&uidl, Flags::SEEN, None),
            Action::ToggleFlag => self.set_flag(&uidl, Flags::FLAGGED, None),
            Action::Save => {
                let known_none = matches!(self.bodies.get(&uidl), Some(BodyState::Ready(r)) if r.attachments.is_empty());
                if known_none {
                    self.notice = Some("this message has no attachments".into());
                } else {
                    self.ask_save(uidl, Vec::new());
                }
                vec![]
            }
            _ => vec![],
        }
    }

    pub(super) fn key(&mut self, key: Key) -> Vec<Effect> {
        if let Some(popup) = self.popup.clone() {
            if let Some(effects) = self.compose_popup_key(&popup, key) {
                return effects;
            }
            return self.popup_key(popup, key);
        }
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        if self.compose.is_some() {
            return self.compose_key(key);
        }
        if let Some(text) = self.input.as_mut() {
            match key {
                Key::Char(c) => text.push(c),
                Key::Backspace => {
                    text.pop();
                }
                Key::Esc | Key::Ctrl('c') => self.input = None,
                Key::Enter => {
                    let q = text.to_lowercase();
                    self.input = None;
                    if q.is_empty() {
                        return vec![];
                    }
                    self.query = Some(q.clone());
                    return match &mut self.view {
                        View::List => {
                            self.list_search(true, true);
                            self.list_moved()
                        }
                        View::Reader(r) => {
                            r.search = Some(q);
                            r.scroll = r.scroll.saturating_sub(1);
                            let found =
                                r.find(true, self.height.saturating_sub(READER_CHROME) as usize);
                            if !found {
                                self.notice = Some(t!("notice.not_found").into());
                            }
                            vec![]
                        }
                    };
                }
                _ => {}
            }
            return vec![];
        }
        let ctx = match self.view {
            View::List => Context::List,
            View::Reader(_) => Context::Reader,
        };
        match (lookup(key, ctx), ctx) {
            (Some(a), Context::List) => self.list_action(a),
            (Some(a), Context::Reader) => self.reader_action(a),
            (None, _) => vec![],
        }
    }

    pub(super) fn mouse(&mut self, m: Mouse) -> Vec<Effect> {
        if self.popup.is_some() {
            return vec![];
        }
        let height = self.reader_height();
        match (&mut self.view, m) {
            (View::Reader(r), Mouse::ScrollDown) => r.scroll_by(3, height),
            (View::Reader(r), Mouse::ScrollUp) => r.scroll_by(-3, height),
            (View::Reader(_), Mouse::Click { .. }) => {}
            (View::List, Mouse::ScrollDown) => {
                self.list.move_by(3);
                return self.list_moved();
            }
            (View::List, Mouse::ScrollUp) => {
                self.list.move_by(-3);
                return self.list_moved();
            }
            (View::List, Mouse::Click { row, .. }) => {
                let first_row = LIST_CHROME - 1;
                if row >= first_row && ((row - first_row) as usize) < self.list_height() {
                    let i = self.list.offset + (row - first_row) as usize;
                    if i < self.list.shown() {
                        self.list.select(i);
                    }
                }
                return self.list_moved();
            }
        }
        vec![]
    }
}
