//! Filing mail: folders (Tab, the picker), deletion marks, tags (`T`, `*`)
//! and what acts on the tagged rows, moving and copying (`M`, `C`), Junk (`J`).

use super::*;

impl App {
    /// `d`: in INBOX a mark for the server (a message kept only here goes
    /// to Trash at once); in Trash, removal for good after asking; in Sent
    /// and Drafts, to Trash.
    pub(super) fn mark(&mut self, uidl: Option<Uidl>) -> Vec<Effect> {
        let Some(u) = uidl else { return vec![] };
        let local_only = self.list.get(&u).is_some_and(|e| e.local_only());
        match self.folder.clone() {
            Folder::Trash => {
                self.popup = Some(Popup::ConfirmPurge { uidl: u });
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
