//! Several accounts in one reader: one `App` per account (each a whole
//! single-account state machine, fed by its own worker), the one shown, and
//! what spans them: Tab from one account's last folder to the next
//! account's first, a quit that counts and commits every account's marks,
//! the sidebar, the new-mail notice and the terminal title. Pure, like `App`.

use super::{update, App, Connection, Effect, Msg};
use crate::store::Folder;
use crate::worker::Request;
use rust_i18n::t;

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
    /// Why the reader must stop (a crashed task): exit non-zero.
    pub fatal: Option<String>,
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
                        a.committing = true;
                        if a.marks.is_empty() {
                            steps
                                .effects
                                .push((j, Effect::Worker(Request::QuitDiscard)));
                        } else {
                            a.notice =
                                Some(crate::i18n::count("notice.deleting", a.marks.len() as u64));
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
                    let app = &mut self.apps[next];
                    let folder = if forward {
                        Folder::Inbox
                    } else {
                        app.folders.last().cloned().unwrap_or(Folder::Inbox)
                    };
                    if app.needs_password && app.prompt.is_none() {
                        app.ask_password(None);
                    }
                    let effects = app.enter_folder(folder);
                    self.take(next, effects, steps);
                }
                Effect::Fatal(why) => {
                    for j in 0..self.apps.len() {
                        steps
                            .effects
                            .push((j, Effect::Worker(Request::QuitDiscard)));
                    }
                    steps.fatal = Some(why);
                    steps.exit = true;
                }
                Effect::NewMail(n) => {
                    steps.new_mail.push(i);
                    if i != self.current {
                        let name =
                            crate::text::sanitize::sanitize_line(&self.apps[i].header.account)
                                .into_owned();
                        self.apps[self.current].notice =
                            Some(t!("notice.new_in", n = n, account = name).into());
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
    let folders = a
        .folders
        .iter()
        .map(|f| {
            let list = if *f == a.folder {
                Some(&a.list)
            } else {
                a.others.get(f)
            };
            (f.clone(), list.map_or(0, |l| l.unread()))
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
        shown: current.then(|| a.folder.clone()),
        trouble,
    }
}

/// Text for OSC 2: printable characters only (no ESC, BEL, C1 or bidi
/// controls could end the sequence or reorder what follows), bounded.
pub fn title_safe(text: &str) -> String {
    crate::text::sanitize::sanitize_line(text)
        .chars()
        .filter(|c| !c.is_control() && !crate::text::sanitize::is_bidi_control(*c))
        .take(120)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::Key::{self, Char};
    use crate::app::HeaderInfo;
    use crate::error::{ErrorClass, Failure};
    use crate::sync::ListRow;
    use crate::worker::Event;

    fn account(name: &str, n: usize) -> App {
        let mut app = App::new(
            HeaderInfo {
                account: name.into(),
                server: format!("pop.{name}.example:995"),
                mode: "TLS".into(),
            },
            100,
            30,
        );
        let entries: Vec<ListRow> = (1..=n)
            .rev()
            .map(|i| ListRow::new(format!("{name}{i}").into(), 1000))
            .collect();
        update(&mut app, Msg::Worker(Event::Indexed(entries)));
        app
    }

    fn desk() -> Desk {
        Desk::new(vec![account("work", 3), account("qq", 2)])
    }

    fn key(d: &mut Desk, k: Key) -> Steps {
        d.update(Msg::Key(k), None)
    }

    #[test]
    fn tab_runs_on_from_the_last_folder_to_the_next_account() {
        let mut d = desk();
        for _ in 0..4 {
            key(&mut d, Key::Tab);
        }
        assert_eq!((d.current, d.app().folder.clone()), (0, Folder::Junk));
        key(&mut d, Key::Tab);
        assert_eq!((d.current, d.app().folder.clone()), (1, Folder::Inbox));
        key(&mut d, Key::BackTab);
        assert_eq!((d.current, d.app().folder.clone()), (0, Folder::Junk));
        // Backwards from the first folder of the first account: the last account's Junk.
        for _ in 0..4 {
            key(&mut d, Key::BackTab);
        }
        assert_eq!(d.app().folder, Folder::Inbox);
        key(&mut d, Key::BackTab);
        assert_eq!((d.current, d.app().folder.clone()), (1, Folder::Junk));
        // One account alone keeps cycling its own folders.
        let mut one = Desk::new(vec![account("work", 1)]);
        for _ in 0..5 {
            key(&mut one, Key::Tab);
        }
        assert_eq!((one.current, one.app().folder.clone()), (0, Folder::Inbox));
    }

    #[test]
    fn quit_counts_every_accounts_marks_and_y_commits_each_where_it_belongs() {
        let mut d = desk();
        let s = key(&mut d, Char('d'));
        assert_eq!(
            s.effects,
            vec![(0, Effect::Worker(Request::Mark("work3".into())))]
        );
        d.current = 1;
        key(&mut d, Char('d'));
        key(&mut d, Char('d'));
        // Marks in qq and work: q asks about all three.
        key(&mut d, Char('q'));
        assert_eq!(
            d.app().popup,
            Some(crate::app::Popup::ConfirmQuit {
                count: 3,
                uncopied: 0
            })
        );
        let s = key(&mut d, Char('y'));
        assert_eq!(
            s.effects,
            vec![
                (0, Effect::Worker(Request::QuitCommit)),
                (1, Effect::Worker(Request::QuitCommit)),
            ]
        );
        assert!(!s.exit);
        // Each session ends on its own; the reader leaves when both have.
        let s = d.update(Msg::Worker(Event::Closed { deleted: 1 }), Some(1));
        assert!(!s.exit);
        let s = d.update(Msg::Worker(Event::Closed { deleted: 2 }), Some(0));
        assert!(s.exit);
    }

    #[test]
    fn marks_in_one_account_only_and_x_leaves_all_without_deleting() {
        let mut d = desk();
        d.current = 1;
        key(&mut d, Char('d'));
        d.current = 0;
        // No marks here, one in qq: still asked.
        key(&mut d, Char('q'));
        assert_eq!(
            d.app().popup,
            Some(crate::app::Popup::ConfirmQuit {
                count: 1,
                uncopied: 0
            })
        );
        let s = key(&mut d, Char('y'));
        assert_eq!(
            s.effects,
            vec![
                (0, Effect::Worker(Request::QuitDiscard)),
                (1, Effect::Worker(Request::QuitCommit)),
            ]
        );
        let mut d = desk();
        key(&mut d, Char('d'));
        let s = key(&mut d, Char('x'));
        assert!(s.exit);
        assert_eq!(
            s.effects,
            vec![
                (0, Effect::Worker(Request::QuitDiscard)),
                (1, Effect::Worker(Request::QuitDiscard)),
            ]
        );
    }

    #[test]
    fn new_mail_elsewhere_is_announced_where_the_user_is() {
        let mut d = desk();
        key(&mut d, Char('R'));
        let entries: Vec<ListRow> = ["qq4", "qq3", "qq2", "qq1"]
            .iter()
            .map(|u| ListRow::new((*u).into(), 1))
            .collect();
        let s = d.update(Msg::Worker(Event::Indexed(entries)), Some(1));
        assert_eq!(s.new_mail, vec![1]);
        assert_eq!(d.app().notice.as_deref(), Some("2 new in qq"));
        assert_eq!(d.title(), "postie — 7 unread (work 3, qq 4)");
        // A login failure elsewhere stays with its account: its sidebar row, its pop-up.
        d.update(
            Msg::Worker(Event::Failed(Failure::new(
                ErrorClass::Login,
                "login failed: [AUTH] bad",
            ))),
            Some(1),
        );
        assert!(d.app().popup.is_none());
        let side = d.sidebar();
        assert_eq!(side[1].trouble.as_deref(), Some("login failed"));
        assert_eq!(side[0].shown, Some(Folder::Inbox));
        assert_eq!(side[1].folders[0], (Folder::Inbox, 4));
    }

    #[test]
    fn a_crashed_worker_ends_the_reader_with_an_error_and_deletes_nothing() {
        let mut d = desk();
        key(&mut d, Char('d'));
        let s = d.update(
            Msg::Worker(Event::Crashed("the POP3 task stopped: boom".into())),
            Some(1),
        );
        assert!(s.exit);
        assert_eq!(
            s.fatal.as_deref(),
            Some("account qq: the POP3 task stopped: boom; nothing was deleted")
        );
        assert!(s
            .effects
            .iter()
            .all(|(_, e)| *e == Effect::Worker(Request::QuitDiscard)));
        assert_eq!(s.effects.len(), 2);
    }

    #[test]
    fn the_title_is_printable_text_only() {
        let t = title_safe("postie — \u{1b}]52;c;AAAA\u{7}evil\u{202e}x \u{9b}2J");
        assert!(
            t.chars().all(|c| !c.is_control() && c != '\u{202e}'),
            "{t:?}"
        );
        assert!(t.starts_with("postie — "));
        assert!(title_safe(&"x".repeat(500)).chars().count() <= 120);
    }
}
