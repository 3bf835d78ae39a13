//! Keys in the message list: moving, opening, marking, flags, folders,
//! searching, sorting, threads, limits, quitting.
use super::keymap::Action;
use super::*;
use rust_i18n::t;

impl App {
    pub(super) fn quit_requested(&mut self) -> Vec<Effect> {
        if self.all_marks() == 0 {
            return self.exit_discarding();
        }
        self.popup = Some(Popup::ConfirmQuit {
            count: self.all_marks(),
            uncopied: self.uncopied_marks(),
        });
        vec![]
    }

    pub(super) fn exit_discarding(&mut self) -> Vec<Effect> {
        vec![Effect::Worker(Request::QuitDiscard), Effect::Exit]
    }

    pub(super) fn list_action(&mut self, action: Action) -> Vec<Effect> {
        if !self.preview.is_empty()
            && matches!(action, Action::Open | Action::Mark | Action::Unmark)
        {
            // The rows are there, the messages' identities (UIDL) not yet.
            self.notice = Some(t!("notice.wait_for_index").into());
            return vec![];
        }
        let page = self.list_height() as isize;
        if !self.tags.is_empty()
            && matches!(
                action,
                Action::Mark
                    | Action::Unmark
                    | Action::ToggleRead
                    | Action::ToggleFlag
                    | Action::Save
            )
        {
            return self.on_tagged(action);
        }
        let selected = self.list.selected_entry().map(|e| e.uidl.clone());
        match action {
            Action::Tag => return self.toggle_tag(selected),
            Action::TagAll => return self.tag_all(),
            Action::ClearTags => return self.clear_tags(),
            Action::MoveTo | Action::CopyTo => {
                let uidls = self.targets(selected);
                return self.ask_file(uidls, action == Action::CopyTo);
            }
            Action::Junk => {
                let uidls = self.targets(selected);
                return self.junk(uidls);
            }
            Action::PickFolder => return self.ask_folder(),
            Action::RunRules => return self.run_rules(),
            Action::NextLine => self.list.move_by(1),
            Action::PrevLine => self.list.move_by(-1),
            Action::PageDown => {
                self.list.move_by(page);
                self.list.offset = (self.list.offset + page as usize)
                    .min(self.list.shown().saturating_sub(page as usize));
            }
            Action::PageUp => {
                self.list.move_by(-page);
                self.list.offset = self.list.offset.saturating_sub(page as usize);
            }
            Action::First => self.list.select(0),
            Action::Last => self.list.select(self.list.shown().saturating_sub(1)),
            Action::SortNext | Action::SortReverse => {
                let mut sort = self.list.sort;
                if action == Action::SortNext {
                    sort.key = sort.key.next();
                    sort.reverse = false;
                } else {
                    sort.reverse = !sort.reverse;
                }
                self.list.sort = sort;
                self.list.relayout();
                self.notice = Some(if sort.reverse {
                    t!("notice.sorted_reversed", key = sort.key.label()).into()
                } else {
                    t!("notice.sorted", key = sort.key.label()).into()
                });
                return vec![self.remember_view()];
            }
            Action::Limit => {
                let current = self.list.limit.as_ref().map(|l| l.pattern.text.clone());
                self.prompt = Some((Prompt::Limit, current.unwrap_or_default()));
            }
            Action::PipeMessage => {
                if let Some(u) = self.list.selected_entry().map(|e| e.uidl.clone()) {
                    self.prompt = Some((Prompt::PipeMessage { uidl: u }, String::new()));
                }
            }
            Action::Links | Action::ToggleHtml | Action::OpenHtml => {}
            Action::MarkAllRead => {
                let count = self.unread_shown().len();
                if count > 100 {
                    self.popup = Some(Popup::ConfirmMarkAllRead { count });
                    return vec![];
                }
                return self.mark_all_read();
            }
            Action::Threads => {
                self.list.threads = !self.list.threads;
                let remember = self.remember_view();
                if self.list.threads {
                    self.notice = Some(t!("notice.threads_on").into());
                    self.list.relayout();
                    let mut effects = self.rethread(&self.folder.clone());
                    effects.extend(self.list_moved());
                    effects.push(remember);
                    return effects;
                }
                self.notice = Some(t!("notice.threads_off").into());
                self.list.relayout();
                return vec![remember];
            }
            Action::Fold => {
                if !self.list.threads {
                    self.notice = Some(t!("notice.threads_are_off").into());
                    return vec![];
                }
                if let Some(root) = self.list.thread_root(self.list.selected) {
                    if !self.list.folded.remove(&root) {
                        self.list.folded.insert(root.clone());
                    }
                    self.list.relayout();
                    self.list.select_uidl(&root);
                }
            }
            Action::Open => {
                return match self.list.selected_entry().map(|e| e.uidl.clone()) {
                    // A draft opens in the editor, to go on with it.
                    Some(u) if self.folder == Folder::Drafts => self.continue_draft(u.to_string()),
                    Some(u) => self.reader_open(&u),
                    None => vec![],
                };
            }
            Action::Reply | Action::ReplyAll | Action::Forward | Action::Compose => {
                let u = self.list.selected_entry().map(|e| e.uidl.clone());
                return self.compose_action(action, u);
            }
            Action::Back => return self.quit_requested(),
            Action::Mark => {
                let effects = self.mark(self.list.selected_entry().map(|e| e.uidl.clone()));
                if self.popup.is_none() {
                    self.list.move_by(1);
                }
                let mut more = self.list_moved();
                more.splice(0..0, effects);
                return more;
            }
            Action::Unmark => {
                return self.unmark(self.list.selected_entry().map(|e| e.uidl.clone()))
            }
            Action::ToggleRead | Action::ToggleFlag | Action::Save => {
                let Some(u) = self.list.selected_entry().map(|e| e.uidl.clone()) else {
                    return vec![];
                };
                return self.message_action(action, u);
            }
            Action::NextFolder => return self.switch_folder(true),
            Action::PrevFolder => return self.switch_folder(false),
            Action::Attachments => {}
            Action::UnmarkAll => {
                if self.marks.is_empty() {
                    return vec![];
                }
                self.marks.clear();
                return vec![Effect::Worker(Request::UnmarkAll)];
            }
            Action::Refresh if self.needs_password => self.ask_password(None),
            Action::Refresh => {
                self.notice = Some(t!("notice.checking").into());
                return vec![Effect::Worker(Request::Refresh)];
            }
            Action::AddAccount => return vec![Effect::Setup],
            Action::Search => self.input = Some(String::new()),
            Action::SearchNext | Action::SearchPrev => {
                self.list_search(action == Action::SearchNext, false)
            }
            Action::Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Action::ExitDiscard => return self.exit_discarding(),
        }
        self.list_moved()
    }

    pub(super) fn list_search(&mut self, forward: bool, include_current: bool) {
        let Some(q) = self.query.clone() else {
            self.notice = Some(t!("notice.no_search").into());
            return;
        };
        match self.list.find(&q, forward, include_current) {
            Some(i) => {
                self.list.select(i);
                self.notice = None;
            }
            None => self.notice = Some(t!("notice.no_match", query = q).into()),
        }
    }
}
