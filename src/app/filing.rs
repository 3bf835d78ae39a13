//! Filing mail: folders (Tab, the picker), deletion marks, tags (`T`, `*`)
//! and what acts on the tagged rows, moving and copying (`M`, `C`), Junk (`J`).

use super::keymap::Action;
use super::*;
use rust_i18n::t;

/// What a folder prompt (`M`, `C`, `b`) is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderPurpose {
    /// Show that folder (`b`).
    Go,
    /// Move (or copy) these messages there.
    File { uidls: Vec<Uidl>, copy: bool },
    /// Give the folder shown this new name.
    Rename(Folder),
}

impl App {
    /// The rows `d u m F M C J s` act on: the tagged ones, else the one
    /// selected (or open).
    pub(super) fn targets(&self, selected: Option<Uidl>) -> Vec<Uidl> {
        if self.tags.is_empty() {
            selected.into_iter().collect()
        } else {
            // In the list's order.
            (0..self.list.shown())
                .filter_map(|i| self.list.row(i))
                .filter(|e| self.tags.contains(&e.uidl))
                .map(|e| e.uidl.clone())
                .collect()
        }
    }

    /// `T`: tag or untag a row, then the next one.
    pub(super) fn toggle_tag(&mut self, uidl: Option<Uidl>) -> Vec<Effect> {
        let Some(u) = uidl else { return vec![] };
        if !self.tags.remove(&u) {
            self.tags.insert(u);
        }
        if matches!(self.view, View::List) {
            self.list.move_by(1);
        }
        self.say_tagged();
        self.list_moved()
    }

    /// `*`: every row shown (the limit's rows when one is in force).
    pub(super) fn tag_all(&mut self) -> Vec<Effect> {
        let all: Vec<Uidl> = (0..self.list.shown())
            .filter_map(|i| self.list.row(i))
            .map(|e| e.uidl.clone())
            .collect();
        self.tags.extend(all);
        self.say_tagged();
        vec![]
    }

    /// `Esc` in the list: untag everything.
    pub(super) fn clear_tags(&mut self) -> Vec<Effect> {
        if !self.tags.is_empty() {
            self.tags.clear();
            self.notice = Some(t!("notice.untagged").into());
        }
        vec![]
    }

    fn say_tagged(&mut self) {
        self.notice = Some(crate::i18n::count("notice.tagged", self.tags.len() as u64));
    }

    /// `d u m F s` with tags: on every tagged row.
    pub(super) fn on_tagged(&mut self, action: Action) -> Vec<Effect> {
        let uidls = self.targets(None);
        let mut effects = Vec::new();
        match action {
            Action::Mark if self.folder == Folder::Trash => {
                self.popup = Some(Popup::ConfirmPurge { uidls });
            }
            Action::Mark => {
                for u in uidls {
                    effects.extend(self.mark(Some(u)));
                }
            }
            Action::Unmark => {
                for u in uidls {
                    effects.extend(self.unmark(Some(u)));
                }
            }
            Action::ToggleRead | Action::ToggleFlag => {
                let flag = if action == Action::ToggleRead {
                    Flags::SEEN
                } else {
                    Flags::FLAGGED
                };
                // All on unless every one has it already: then all off.
                let on = !uidls
                    .iter()
                    .all(|u| self.list.get(u).is_some_and(|e| e.flags.contains(flag)));
                for u in &uidls {
                    effects.extend(self.set_flag(u, flag, Some(on)));
                }
            }
            Action::Save => {
                let dir = self.download_dir.display().to_string();
                self.prompt = Some((Prompt::SaveTagged { uidls }, dir));
            }
            _ => {}
        }
        effects
    }

    /// `M` / `C`: asks where to, for the tagged rows or `selected`.
    pub(super) fn ask_file(&mut self, uidls: Vec<Uidl>, copy: bool) -> Vec<Effect> {
        if uidls.is_empty() {
            return vec![];
        }
        self.prompt = Some((
            Prompt::Folder(FolderPurpose::File { uidls, copy }),
            String::new(),
        ));
        vec![]
    }

    /// `b`: asks which folder to show.
    pub(super) fn ask_folder(&mut self) -> Vec<Effect> {
        self.prompt = Some((Prompt::Folder(FolderPurpose::Go), String::new()));
        vec![]
    }

    /// `J`: to Junk (teaching the spam filter), or out of Junk to INBOX.
    pub(super) fn junk(&mut self, uidls: Vec<Uidl>) -> Vec<Effect> {
        if uidls.is_empty() {
            return vec![];
        }
        let (to, spam) = if self.folder == Folder::Junk {
            (Folder::Inbox, false)
        } else {
            (Folder::Junk, true)
        };
        self.file(uidls, to, false, Some(spam))
    }

    /// Folder names for completion: the ones that start with `text`
    /// (ignoring case), the user's own and the built-in ones.
    pub fn folder_candidates(&self, text: &str) -> Vec<String> {
        let lower = text.to_lowercase();
        self.folders
            .iter()
            .map(|f| f.name().to_string())
            .filter(|n| n.to_lowercase().starts_with(&lower))
            .collect()
    }

    /// A folder prompt answered with `text`.
    pub(super) fn folder_answered(&mut self, purpose: FolderPurpose, text: &str) -> Vec<Effect> {
        let folder = match Folder::parse(text) {
            Ok(f) => f,
            Err(e) => {
                self.notice = Some(t!("notice.bad_folder", error = e).into());
                return vec![];
            }
        };
        if let FolderPurpose::Rename(from) = purpose {
            if self.folders.contains(&folder) {
                self.notice = Some(t!("folder.exists", name = folder.name()).into());
                return vec![];
            }
            return vec![Effect::Local(LocalRequest::RenameFolder(from, folder))];
        }
        if !self.folders.contains(&folder) {
            self.popup = Some(Popup::ConfirmCreateFolder {
                folder,
                then: purpose,
            });
            return vec![];
        }
        self.folder_chosen(purpose, folder)
    }

    /// The folder is there (or the user said to create it): do `purpose`.
    pub(super) fn folder_chosen(&mut self, purpose: FolderPurpose, folder: Folder) -> Vec<Effect> {
        match purpose {
            FolderPurpose::Go => {
                let mut effects = Vec::new();
                if !self.folders.contains(&folder) {
                    effects.push(Effect::Local(LocalRequest::CreateFolder(folder.clone())));
                    self.folders.push(folder.clone());
                }
                effects.extend(self.enter_folder(folder));
                effects
            }
            FolderPurpose::File { uidls, copy } => self.file(uidls, folder, copy, None),
            FolderPurpose::Rename(_) => vec![],
        }
    }

    /// Moves or copies `uidls` from the folder shown to `to`: through the
    /// worker when some are INBOX rows not stored yet (retrieved first),
    /// else on the store alone.
    pub(super) fn file(
        &mut self,
        uidls: Vec<Uidl>,
        to: Folder,
        copy: bool,
        learn: Option<bool>,
    ) -> Vec<Effect> {
        if to == self.folder && !copy {
            self.notice = Some(t!("notice.already_there", folder = to.label()).into());
            return vec![];
        }
        let uidls: Vec<Uidl> = uidls.into_iter().filter(|u| !u.is_session()).collect();
        if uidls.is_empty() {
            self.notice = Some(t!("notice.cannot_file_duplicate").into());
            return vec![];
        }
        let unstored = uidls
            .iter()
            .any(|u| self.list.get(u).is_some_and(|e| !e.stored));
        self.tags.clear();
        self.notice = Some(t!("notice.filing", folder = to.label()).into());
        let r = crate::worker::local::FileRequest {
            uidls,
            from: self.folder.clone(),
            to,
            copy,
            learn,
        };
        if unstored && self.folder == Folder::Inbox {
            vec![Effect::Worker(Request::File(r))]
        } else {
            vec![Effect::Local(LocalRequest::File(r))]
        }
    }

    /// `Event::Filed`: the moved rows leave the folder they were in.
    pub(super) fn filed(&mut self, out: crate::worker::local::FileOutcome) -> Vec<Effect> {
        let mut effects = Vec::new();
        if !self.folders.contains(&out.to) {
            self.folders.push(out.to.clone());
            let (builtin, mut own): (Vec<Folder>, Vec<Folder>) =
                self.folders.drain(..).partition(|f| !f.is_own());
            own.sort();
            self.folders = builtin.into_iter().chain(own).collect();
        }
        if !out.copy {
            for u in &out.done {
                self.list_of(&out.from).remove(u);
                self.tags.remove(u);
                self.marks.remove(u);
            }
            // The session's INBOX list leaves them out, or takes them back.
            if out.from == Folder::Inbox || out.to == Folder::Inbox {
                effects.push(Effect::Worker(Request::Refiled(
                    out.done.clone(),
                    out.to != Folder::Inbox,
                )));
            }
        }
        let n = out.done.len() as u64;
        let key = if out.copy {
            "notice.copied_to"
        } else {
            "notice.moved_to"
        };
        let mut text = crate::i18n::count(key, n).replace("%{folder}", &out.to.label());
        if out.left > 0 {
            text.push_str(&crate::i18n::count("notice.not_filed", out.left as u64));
        }
        if let Some(e) = &out.error {
            text.push_str(&format!(" ({e})"));
        }
        self.notice = Some(crate::text::sanitize::sanitize_line(&text).into_owned());
        effects.extend(self.list_moved());
        effects
    }

    /// `Ctrl-F`: the filter rules over the folder shown.
    pub(super) fn run_rules(&mut self) -> Vec<Effect> {
        self.notice = Some(t!("notice.running_rules").into());
        vec![Effect::Local(LocalRequest::FileFolder(self.folder.clone()))]
    }

    /// A folder was renamed (`now`) or deleted: its list goes, and the
    /// reader leaves it if it was shown.
    pub(super) fn folder_gone(&mut self, folder: Folder, now: Option<Folder>) -> Vec<Effect> {
        let prefix = format!("{}/", folder.name());
        let gone = |f: &Folder| *f == folder || f.name().starts_with(&prefix);
        self.others.retain(|f, _| !gone(f));
        self.notice = Some(match &now {
            Some(n) => t!("notice.folder_renamed", from = folder.name(), to = n.name()).into(),
            None => t!("notice.folder_deleted", name = folder.name()).into(),
        });
        if gone(&self.folder) {
            // The old list is dropped, not kept under its old name.
            self.list = self.others.remove(&Folder::Inbox).unwrap_or_default();
            self.folder = Folder::Inbox;
            self.view = View::List;
            self.tags.clear();
            let next = now.unwrap_or(Folder::Inbox);
            if next == Folder::Inbox {
                return self.list_moved();
            }
            if !self.folders.contains(&next) {
                self.folders.push(next.clone());
            }
            return self.enter_folder(next);
        }
        vec![]
    }

    /// `d`: in INBOX a mark for the server (a message kept only here goes
    /// to Trash at once); in Trash, removal for good after asking; in Sent
    /// and Drafts, to Trash.
    pub(super) fn mark(&mut self, uidl: Option<Uidl>) -> Vec<Effect> {
        let Some(u) = uidl else { return vec![] };
        let local_only = self.list.get(&u).is_some_and(|e| e.local_only());
        match self.folder.clone() {
            Folder::Trash => {
                self.popup = Some(Popup::ConfirmPurge { uidls: vec![u] });
                vec![]
            }
            Folder::Inbox if !local_only => {
                if self.marks.insert(u.clone()) {
                    vec![Effect::Worker(Request::Mark(u))]
                } else {
                    vec![]
                }
            }
            from => vec![Effect::Local(LocalRequest::Move {
                uidl: u,
                from,
                to: Folder::Trash,
            })],
        }
    }

    /// `u`: unmark; in Trash, restore to INBOX.
    pub(super) fn unmark(&mut self, uidl: Option<Uidl>) -> Vec<Effect> {
        match uidl {
            Some(u) if self.folder == Folder::Trash => vec![Effect::Local(LocalRequest::Move {
                uidl: u,
                from: Folder::Trash,
                to: Folder::Inbox,
            })],
            Some(u) if self.marks.remove(&u) => vec![Effect::Worker(Request::Unmark(u))],
            _ => vec![],
        }
    }

    /// Tab / Shift-Tab: the next or previous folder (past the last or
    /// before the first: the next or previous account, if there are others).
    pub(super) fn switch_folder(&mut self, forward: bool) -> Vec<Effect> {
        let all = self.folders.clone();
        let i = all.iter().position(|f| *f == self.folder).unwrap_or(0);
        let wraps = if forward { i + 1 == all.len() } else { i == 0 };
        if wraps && self.multi {
            return vec![Effect::NextAccount { forward }];
        }
        let next = all[(i + if forward { 1 } else { all.len() - 1 }) % all.len()].clone();
        self.enter_folder(next)
    }

    /// Shows folder `next` (its list from the store, INBOX as it is).
    pub fn enter_folder(&mut self, next: Folder) -> Vec<Effect> {
        if next == self.folder {
            return self.list_moved();
        }
        self.view = View::List;
        let shown = std::mem::take(&mut self.list);
        self.others.insert(self.folder.clone(), shown);
        self.list = self.others.remove(&next).unwrap_or_default();
        self.folder = next.clone();
        self.input = None;
        self.tags.clear();
        if next == Folder::Inbox {
            self.list_moved()
        } else {
            // Other folders come from the store alone; reloaded on each visit.
            vec![Effect::Local(LocalRequest::LoadFolder(next))]
        }
    }
}
