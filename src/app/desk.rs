//! Several accounts in one reader: one `App` per account (each a whole
//! single-account state machine, fed by its own worker), the one shown, and
//! what spans them: Tab from one account's last folder to the next
//! account's first, a quit that counts and commits every account's marks,
//! the sidebar, the new-mail notice and the terminal title. Pure, like `App`.

use super::{update, App, Connection, Effect, Msg};
use crate::store::Folder;
use crate::worker::Request;

/// The accounts of one reader.
#[derive(Debug, Clone)]
pub struct Desk {
    pub apps: Vec<App>,
    /// The account shown.
    pub current: usize,
    /// Accounts whose session has ended (at quit).
    closed: Vec<bool>,
}

/// One account in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideAccount {
    pub name: String,
    /// Each folder and its unread count.
    pub folders: Vec<(Folder, usize)>,
    /// The folder shown, when this is the account shown.
    pub shown: Option<Folder>,
    /// What stops it (a refused login, a certificate), else its state.
    pub trouble: Option<String>,
}

/// What the reader's edge does next.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Steps {
    /// Effects, each for the account it names.
    pub effects: Vec<(usize, Effect)>,
    /// Accounts where new mail arrived (ring the bell where configured, retitle).
    pub new_mail: Vec<usize>,
    pub exit: bool,
}

impl Desk {
    pub fn new(apps: Vec<App>) -> Desk {
        let multi = apps.len() > 1;
        let mut desk = Desk {
            closed: vec![false; apps.len()],
            apps,
            current: 0,
        };
        for a in &mut desk.apps {
            a.multi = multi;
        }
        desk
    }

    pub fn app(&self) -> &App {
        &self.apps[self.current]
    }

    /// Adds an account (from the setup wizard); it is shown at once.
    pub fn push(&mut self, app: App) -> usize {
        self.apps.push(app);
        self.closed.push(false);
        let multi = self.apps.len() > 1;
        for a in &mut self.apps {
            a.multi = multi;
        }
        self.current = self.apps.len() - 1;
        self.current
    }

    /// Puts `app` where account `i` was (the demo, replaced by a real account).
    pub fn replace(&mut self, i: usize, app: App) {
        let multi = self.apps.len() > 1;
        self.apps[i] = app;
        self.apps[i].multi = multi;
        self.closed[i] = false;
        self.current = i;
    }

    /// A key, mouse or resize for the account shown; a worker event for its account.
    pub fn update(&mut self, msg: Msg, account: Option<usize>) -> Steps {
        let mut steps = Steps::default();
        match (msg, account) {
            (Msg::Resize(w, h), _) => {
                for i in 0..self.apps.len() {
                    let effects = update(&mut self.apps[i], Msg::Resize(w, h));
                    self.take(i, effects, &mut steps);
                }
            }
            (msg, Some(i)) if i < self.apps.len() => {
                self.prepare(i);
                let effects = update(&mut self.apps[i], msg);
                self.take(i, effects, &mut steps);
            }
            (_, Some(_)) => {}
            (msg, None) => {
                let i = self.current;
                self.prepare(i);
                let effects = update(&mut self.apps[i], msg);
                self.take(i, effects, &mut steps);
            }
        }
        steps
    }

    /// Before account `i` decides anything: the marks the others hold.
    fn prepare(&mut self, i: usize) {
        let others = (0..self.apps.len())
            .filter(|&j| j != i && !self.closed[j])
            .map(|j| self.apps[j].marks.len())
            .sum();
        self.apps[i].other_marks = others;
    }

    fn take(&mut self, i: usize, effects: Vec<Effect>, steps: &mut Steps) {
        for effect in effects {
            match effect {
                // Leaving without deleting leaves every account that way.
                Effect::Worker(Request::QuitDiscard) => {
                    for j in 0..self.apps.len() {
                        steps
                            .effects
                            .push((j, Effect::Worker(Request::QuitDiscard)));
                    }
                    steps.exit = true;
                }
                // `y` to the quit question commits every account's marks.
                Effect::Worker(Request::QuitCommit) => {
                    for j in 0..self.apps.len() {
                        if self.closed[j] {
                            continue;
                        }
                        let a = &mut self.apps[j];
                        if a.marks.is_empty() {
                            a.committing = true;
                            steps
                                .effects
                                .push((j, Effect::Worker(Request::QuitDiscard)));
                        } else {
                            a.committing = true;
                            a.notice = Some(format!("deleting {} messages…", a.marks.len()));
                            steps.effects.push((j, Effect::Worker(Request::QuitCommit)));
                        }
                    }
                }
                // The session ended after a commit: done when every account is.
                Effect::Exit => {
                    self.closed[i] = true;
                    if self.closed.iter().all(|c| *c) {
                        steps.exit = true;
                    }
                }
                Effect::NextAccount { forward } => {
                    let n = self.apps.len();
                    let next = (self.current + if forward { 1 } else { n - 1 }) % n;
                    self.current = next;
                    let folder = if forward {
                        Folder::Inbox
                    } else {
                        Folder::Trash
                    };
                    let app = &mut self.apps[next];
                    if app.needs_password && app.prompt.is_none() {
                        app.ask_password(None);
                    }
                    let effects = app.enter_folder(folder);
                    self.take(next, effects, steps);
                }
                Effect::NewMail(n) => {
                    steps.new_mail.push(i);
                    if i != self.current {
                        let name =
                            crate::mime::sanitize::sanitize_line(&self.apps[i].header.account)
                                .into_owned();
                        self.apps[self.current].notice = Some(format!("{n} new in {name}"));
                    }
                }
                e => steps.effects.push((i, e)),
            }
        }
    }

    /// Every account's folders with their unread counts.
    pub fn sidebar(&self) -> Vec<SideAccount> {
        self.apps
            .iter()
            .enumerate()
            .map(|(i, a)| side_account(a, i == self.current))
            .collect()
    }

    /// The terminal's title: the unread mail in every INBOX.
    pub fn title(&self) -> String {
        let counts: Vec<(&str, usize)> = self
            .apps
            .iter()
            .map(|a| (a.header.account.as_str(), inbox_unread(a)))
            .collect();
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        let text = if counts.len() == 1 {
            format!("postie — {}: {total} unread", counts[0].0)
        } else {
            let each: Vec<String> = counts
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(a, n)| format!("{a} {n}"))
                .collect();
            if each.is_empty() {
                "postie — 0 unread".to_string()
            } else {
                format!("postie — {total} unread ({})", each.join(", "))
            }
        };
        title_safe(&text)
    }
}

fn inbox_unread(a: &App) -> usize {
    if a.folder == Folder::Inbox {
        a.list.unread()
    } else {
        a.others.get(&Folder::Inbox).map_or(0, |l| l.unread())
    }
}

/// One account's sidebar entry (also what a one-account reader shows).
pub fn side_account(a: &App, current: bool) -> SideAccount {
    let folders = Folder::ALL
        .iter()
        .map(|&f| {
            let list = if f == a.folder {
                Some(&a.list)
            } else {
                a.others.get(&f)
            };
            (f, list.map_or(0, |l| l.unread()))
        })
        .collect();
    let trouble = a.trouble.clone().or_else(|| {
        if a.needs_password {
            Some("no password".into())
        } else if matches!(a.connection, Connection::Offline | Connection::Lost) {
            Some("offline".into())
        } else {
            None
        }
    });
    SideAccount {
        name: a.header.account.clone(),
        folders,
        shown: current.then_some(a.folder),
        trouble,
    }
}

/// Text for OSC 2: printable characters only (no ESC, BEL, C1 or bidi
/// controls could end the sequence or reorder what follows), bounded.
pub fn title_safe(text: &str) -> String {
    crate::mime::sanitize::sanitize_line(text)
        .chars()
        .filter(|c| !c.is_control() && !crate::mime::sanitize::is_bidi_control(*c))
        .take(120)
        .collect()
}
