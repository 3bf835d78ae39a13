//! Answering mail in the reader: `r` `a` `f` `c` start a draft (the editor
//! runs outside, see `tui`), the compose screen asks `Send? (y/e/a/p/q)`,
//! and what the compose edge reports comes back here. Pure, like the rest
//! of `app`.

use super::complete::Contacts;
use super::keymap::{Action, Key};
use super::recipients::{Field, Target};
use super::{App, BodyState, Effect, Popup, Prompt};
use crate::send::compose::ComposeKind;
use crate::send::outbox::{maybe_sent, DraftView};
use crate::send::{ComposeEvent, ComposeRequest};
use crate::store::{Flags, Folder};
use crate::uidl::Uidl;
use crate::worker::local::LocalRequest;
use rust_i18n::t;

/// The compose screen: the draft as it is on disk, and where sending is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compose {
    pub view: DraftView,
    /// The user wrote something (abandoning it asks first).
    pub changed: bool,
    /// A draft taken up again from Drafts (abandoning it asks first).
    pub continued: bool,
    pub sending: bool,
    /// Why the last send failed (the draft is kept).
    pub error: Option<String>,
}

impl Compose {
    /// The status line's words on the compose screen.
    pub fn prompt(&self) -> String {
        if self.sending {
            t!("compose.sending").into_owned()
        } else {
            t!("compose.prompt").into_owned()
        }
    }
}

/// Who the draft would go to first (the `To:` prompt starts from it).
fn start(kind: ComposeKind, original: Option<&Uidl>, offer_drafts: bool) -> Vec<Effect> {
    vec![Effect::Compose(ComposeRequest::Address {
        kind,
        original: original.map(|u| u.to_string()),
        offer_drafts,
    })]
}

impl App {
    /// A message just shown asks for a read receipt: asked, sent or left,
    /// as `receipts` says; once a session, never once one was sent.
    pub(super) fn receipt_wanted(&mut self, uidl: &Uidl, to: &str) -> Vec<Effect> {
        use crate::send::mdn::ReceiptPolicy;
        let sent = self
            .list
            .get(uidl)
            .is_some_and(|e| e.flags.contains(Flags::MDN_SENT));
        if sent || self.folder != Folder::Inbox || !self.receipt_asked.insert(uidl.clone()) {
            return vec![];
        }
        match self.receipts {
            ReceiptPolicy::Never => {
                self.notice = Some(t!("notice.receipt_asked_never", to = to).into());
                vec![]
            }
            ReceiptPolicy::Ask => {
                self.popup = Some(Popup::ConfirmReceipt {
                    uidl: uidl.clone(),
                    to: to.to_string(),
                });
                vec![]
            }
            ReceiptPolicy::Always => vec![Effect::Compose(crate::send::ComposeRequest::Receipt {
                uidl: uidl.to_string(),
                automatic: true,
            })],
        }
    }

    /// `r`, `a`, `f`, `c` in the list or the reader (`uidl`: the message they apply to).
    pub(super) fn compose_action(&mut self, action: Action, uidl: Option<Uidl>) -> Vec<Effect> {
        let kind = match action {
            Action::Reply => ComposeKind::Reply,
            Action::ReplyAll => ComposeKind::ReplyAll,
            Action::Forward => ComposeKind::Forward,
            _ => return start(ComposeKind::New, None, true),
        };
        let Some(u) = uidl else {
            self.notice = Some(t!("notice.no_message_selected").into());
            return vec![];
        };
        if self.folder == Folder::Drafts {
            return self.continue_draft(u.to_string());
        }
        if u.is_session() {
            self.notice = Some(t!("notice.cannot_answer_duplicate").into());
            return vec![];
        }
        let stored = self.list.get(&u).is_some_and(|e| e.stored);
        if stored {
            return start(kind, Some(&u), false);
        }
        // Downloaded (and kept) first; the draft starts once it is in the
        // store. The user stays where they are meanwhile.
        self.pending_compose = Some((kind, u.clone()));
        self.notice = Some(t!("notice.downloading_to_answer").into());
        if matches!(self.bodies.get(&u), Some(BodyState::Loading { .. })) {
            return vec![];
        }
        self.bodies.insert(
            u.clone(),
            BodyState::Loading {
                received: 0,
                total: 0,
                preview: None,
            },
        );
        vec![Effect::Worker(crate::worker::Request::FetchBody(u))]
    }

    /// A message is now stored: a reply waiting for it can start.
    pub(super) fn compose_stored(&mut self, uidl: &Uidl) -> Vec<Effect> {
        match self.pending_compose.take() {
            Some((kind, u)) if &u == uidl => {
                self.notice = None;
                start(kind, Some(&u), false)
            }
            other => {
                self.pending_compose = other;
                vec![]
            }
        }
    }

    /// The message a reply waited for could not be downloaded.
    pub(super) fn compose_body_failed(&mut self, uidl: &Uidl) {
        if self
            .pending_compose
            .as_ref()
            .is_some_and(|(_, u)| u == uidl)
        {
            self.pending_compose = None;
        }
    }

    pub(super) fn continue_draft(&mut self, id: String) -> Vec<Effect> {
        vec![Effect::Compose(ComposeRequest::Edit { id, comment: None })]
    }

    /// Keys on the compose screen.
    pub(super) fn compose_key(&mut self, key: Key) -> Vec<Effect> {
        let Some(c) = self.compose.as_mut() else {
            return vec![];
        };
        if c.sending {
            return vec![];
        }
        let id = c.view.id.clone();
        match key {
            Key::Char('y') => {
                if maybe_sent(&c.view.draft.status) {
                    self.popup = Some(Popup::ConfirmResend {
                        status: c.view.draft.status.clone(),
                    });
                    return vec![];
                }
                if c.view.draft.subject.trim().is_empty() {
                    self.popup = Some(Popup::ConfirmNoSubject);
                    return vec![];
                }
                self.send_now()
            }
            Key::Char('e') => vec![Effect::Compose(ComposeRequest::Edit { id, comment: None })],
            Key::Char('a') => {
                self.prompt = Some((Prompt::Attach { id }, String::new()));
                vec![]
            }
            Key::Char('t') => self.readdress(Field::To),
            Key::Char('c') => self.readdress(Field::Cc),
            Key::Char('b') => self.readdress(Field::Bcc),
            Key::Char('p') | Key::Esc => {
                self.compose = None;
                self.notice = Some(t!("notice.postponed").into());
                self.refresh_folder(Folder::Drafts)
            }
            Key::Char('q') => {
                if c.changed || c.continued {
                    self.popup = Some(Popup::ConfirmAbandon);
                    vec![]
                } else {
                    self.compose = None;
                    vec![Effect::Compose(ComposeRequest::Discard { id })]
                }
            }
            Key::Ctrl('c') => {
                // The draft is on disk already: leaving loses nothing.
                self.compose = None;
                self.exit_discarding()
            }
            _ => vec![],
        }
    }

    /// Sends the draft on the compose screen.
    fn send_now(&mut self) -> Vec<Effect> {
        let Some(c) = self.compose.as_mut() else {
            return vec![];
        };
        c.sending = true;
        c.error = None;
        vec![Effect::Compose(ComposeRequest::Send {
            id: c.view.id.clone(),
        })]
    }

    /// Keys in the compose pop-ups; None when `popup` is not one of them.
    pub(super) fn compose_popup_key(&mut self, popup: &Popup, key: Key) -> Option<Vec<Effect>> {
        let yes = matches!(key, Key::Char('y') | Key::Char('Y'));
        match popup {
            Popup::ConfirmAbandon => {
                self.popup = None;
                if !yes {
                    return Some(vec![]);
                }
                let id = self.compose.take().map(|c| c.view.id)?;
                Some(vec![Effect::Compose(ComposeRequest::Discard { id })])
            }
            Popup::ConfirmReceipt { uidl, .. } => {
                self.popup = None;
                Some(if yes {
                    self.notice = Some(t!("notice.receipt_sending").into());
                    vec![Effect::Compose(ComposeRequest::Receipt {
                        uidl: uidl.to_string(),
                        automatic: false,
                    })]
                } else {
                    vec![]
                })
            }
            Popup::ConfirmResend { .. } | Popup::ConfirmNoSubject => {
                self.popup = None;
                self.compose.as_ref()?;
                Some(if yes { self.send_now() } else { vec![] })
            }
            Popup::ContinueDraft { drafts, selected } => {
                let n = drafts.len();
                match key {
                    Key::Char('j') | Key::Down => {
                        self.popup = Some(Popup::ContinueDraft {
                            drafts: drafts.clone(),
                            selected: (selected + 1).min(n.saturating_sub(1)),
                        });
                        Some(vec![])
                    }
                    Key::Char('k') | Key::Up => {
                        self.popup = Some(Popup::ContinueDraft {
                            drafts: drafts.clone(),
                            selected: selected.saturating_sub(1),
                        });
                        Some(vec![])
                    }
                    Key::Enter | Key::Char('y') => {
                        let id = drafts.get(*selected).map(|d| d.0.clone());
                        self.popup = None;
                        Some(id.map_or_else(Vec::new, |id| self.continue_draft(id)))
                    }
                    Key::Char('n') => {
                        self.popup = None;
                        let target = Target::New {
                            kind: ComposeKind::New,
                            original: None,
                        };
                        Some(self.ask_recipients(target, Default::default(), Field::To))
                    }
                    _ => {
                        self.popup = None;
                        Some(vec![])
                    }
                }
            }
            _ => None,
        }
    }

    /// Reloads a folder's list if it is the one shown (Drafts, Sent).
    fn refresh_folder(&mut self, f: Folder) -> Vec<Effect> {
        if self.folder == f {
            vec![Effect::Local(LocalRequest::LoadFolder(f))]
        } else {
            vec![]
        }
    }

    pub(super) fn compose_event(&mut self, ev: ComposeEvent) -> Vec<Effect> {
        match ev {
            ComposeEvent::ReceiptSent { uidl, to } => {
                let uidl = Uidl::from(uidl);
                if let Some(e) = self.list.get_mut(&uidl) {
                    e.flags = e.flags.with(Flags::MDN_SENT);
                }
                self.notice = Some(t!("notice.receipt_sent", to = to).into());
                vec![]
            }
            ComposeEvent::ReceiptNotSent(why) => {
                self.notice = Some(t!("notice.receipt_not_sent", error = why).into());
                vec![]
            }
            ComposeEvent::Addressed { kind, original, to } => {
                let target = Target::New {
                    kind,
                    original: original.map(Uidl::from),
                };
                self.ask_recipients(target, to, Field::To)
            }
            ComposeEvent::Ready {
                view,
                changed,
                continued,
            } => {
                let before = self.compose.take();
                let changed = changed || before.as_ref().is_some_and(|c| c.changed);
                let continued = continued && before.as_ref().is_none_or(|c| c.continued);
                self.compose = Some(Compose {
                    view,
                    changed,
                    continued,
                    sending: false,
                    error: None,
                });
                self.refresh_folder(Folder::Drafts)
            }
            ComposeEvent::Abandoned => {
                self.compose = None;
                self.notice = Some(t!("notice.draft_unchanged").into());
                vec![]
            }
            ComposeEvent::DraftsWaiting(drafts) => {
                self.popup = Some(Popup::ContinueDraft {
                    drafts,
                    selected: 0,
                });
                vec![]
            }
            ComposeEvent::Updated(view) => {
                if let Some(c) = self.compose.as_mut().filter(|c| c.view.id == view.id) {
                    c.view = view;
                    c.changed = true;
                }
                vec![]
            }
            ComposeEvent::Sent { id, sent } => {
                if self.compose.as_ref().is_some_and(|c| c.view.id == id) {
                    self.compose = None;
                }
                if let Some(u) = &sent.answered {
                    let u = Uidl::from(u.as_str());
                    for list in std::iter::once(&mut self.list).chain(self.others.values_mut()) {
                        if let Some(e) = list.get_mut(&u) {
                            e.flags = e.flags.with(Flags::ANSWERED);
                        }
                    }
                }
                self.notice = Some(
                    crate::text::sanitize::sanitize_line(&t!(
                        "notice.sent",
                        recipients = sent.recipients.join(", "),
                        seconds = format!("{:.1}", sent.elapsed.as_secs_f64())
                    ))
                    .into_owned(),
                );
                let mut effects = self.refresh_folder(Folder::Drafts);
                effects.extend(self.refresh_folder(Folder::Sent));
                // Who was written to ranks higher at the next completion.
                if matches!(self.contacts, Contacts::Ready(_)) {
                    self.contacts = Contacts::Loading {
                        then_complete: false,
                    };
                    effects.push(Effect::LoadContacts);
                }
                effects
            }
            ComposeEvent::NotSent { id, failure } => {
                if failure.invalid {
                    // Something in the draft to fix: back to the editor, the reason on top.
                    if let Some(c) = self.compose.as_mut() {
                        c.sending = false;
                    }
                    return vec![Effect::Compose(ComposeRequest::Edit {
                        id,
                        comment: Some(failure.reason),
                    })];
                }
                let why = crate::text::sanitize::sanitize_line(&failure.reason).into_owned();
                match self.compose.as_mut().filter(|c| c.view.id == id) {
                    Some(c) => {
                        c.sending = false;
                        c.error = Some(why);
                        if failure.may_have_been_sent {
                            c.view.draft.status = t!("compose.may_have_been_sent").into();
                        }
                    }
                    None => self.notice = Some(t!("notice.not_sent", error = why).into()),
                }
                vec![]
            }
            ComposeEvent::Discarded { .. } => {
                self.notice = Some(t!("notice.draft_discarded").into());
                self.refresh_folder(Folder::Drafts)
            }
            ComposeEvent::Failed(why) => {
                self.compose = self.compose.take().map(|mut c| {
                    c.sending = false;
                    c
                });
                self.popup = Some(Popup::Error {
                    title: t!("popup.cannot_compose").into(),
                    text: why,
                    retry: false,
                });
                vec![]
            }
        }
    }
}
