//! A session's life: the preview before the index, a late index, the
//! password prompt (the list and reader basics are in `tests.rs`).
use super::tests::{app_with, key, selected, summary, work_app};
use super::*;
use crate::sync::ListRow;
use keymap::Key::*;

/// Before the index, a first visit shows its newest rows; nothing can be
/// opened or marked until they are messages (have UIDLs), and the index
/// replaces the preview.
#[test]
fn the_preview_before_the_index_is_for_looking_only() {
    let mut app = work_app();
    assert_eq!(crate::ui::status::status(&app), "connecting…");
    let rows = vec![summary("newest", "a"), summary("second", "b")];
    update(&mut app, Msg::Worker(Event::Preview { count: 3, rows }));
    assert_eq!(crate::ui::status::status(&app), "loading 2/3");
    for k in [Enter, Char('d')] {
        assert!(key(&mut app, k).is_empty(), "{k:?} acted on a preview row");
        assert_eq!(
            app.notice.as_deref(),
            Some("one moment: the server is still sending the message index")
        );
    }
    assert!(app.marks.is_empty());
    let entries: Vec<ListRow> = (1..=3)
        .rev()
        .map(|i| ListRow::new(format!("u{i}").into(), 100))
        .collect();
    update(&mut app, Msg::Worker(Event::Indexed(entries)));
    assert!(app.preview.is_empty());
    assert_eq!(app.notice, None);
    assert_eq!(crate::ui::status::status(&app), "loading 0/3");
    // A late preview (a reconnect's) does not come back over the list.
    let rows = vec![summary("stale", "c")];
    update(&mut app, Msg::Worker(Event::Preview { count: 3, rows }));
    assert!(app.preview.is_empty());
    let effects = key(&mut app, Enter);
    assert_eq!(
        effects,
        vec![
            Effect::Local(LocalRequest::SetFlags("u3".into(), Flags::SEEN)),
            Effect::Worker(Request::FetchBody("u3".into()))
        ]
    );
}

mod composing {
    use super::*;
    use crate::send::compose::ComposeKind;
    use crate::send::draft::Draft;
    use crate::send::outbox::{DraftView, Failure, Sent};
    use crate::send::{ComposeEvent, ComposeRequest};

    fn ce(ev: ComposeEvent) -> Msg {
        Msg::Compose(Box::new(ev))
    }

    fn view(id: &str, status: &str) -> DraftView {
        DraftView {
            id: id.into(),
            path: std::path::PathBuf::from("/tmp/d"),
            draft: Draft {
                to: "li@example.cn".into(),
                subject: "Re: 项目进度".into(),
                status: status.into(),
                ..Draft::default()
            },
            attachments: vec![],
        }
    }

    /// At a send's question: `n` sends nothing; `y` then `y` sends " Ld1".
    fn no_then_yes_sends(app: &mut App) {
        assert!(key(app, Char('n')).is_empty());
        assert!(app.popup.is_none() && !app.compose.as_ref().unwrap().sending);
        key(app, Char('y'));
        assert_eq!(
            key(app, Char('y')),
            vec![Effect::Compose(ComposeRequest::Send { id: " Ld1".into() })]
        );
    }

    fn ready(app: &mut App, id: &str, status: &str, changed: bool) {
        update(
            app,
            ce(ComposeEvent::Ready {
                view: view(id, status),
                changed,
                continued: false,
            }),
        );
    }

    #[test]
    fn r_on_a_stored_message_starts_a_reply_at_once() {
        let mut app = app_with(3);
        app.list.get_mut(&Uidl::from("u3")).unwrap().stored = true;
        assert_eq!(
            key(&mut app, Char('r')),
            vec![Effect::Compose(ComposeRequest::Address {
                kind: ComposeKind::Reply,
                original: Some("u3".into()),
                offer_drafts: false,
            })]
        );
    }

    #[test]
    fn a_reply_to_a_message_not_yet_stored_waits_for_it() {
        let mut app = app_with(3);
        let effects = key(&mut app, Char('a'));
        assert_eq!(
            effects,
            vec![Effect::Worker(Request::FetchBody("u3".into()))]
        );
        assert!(matches!(app.view, View::List), "the user stays in the list");
        // Another message stored first changes nothing.
        assert!(update(&mut app, Msg::Worker(Event::Stored("u2".into()))).is_empty());
        assert_eq!(
            update(&mut app, Msg::Worker(Event::Stored("u3".into()))),
            vec![Effect::Compose(ComposeRequest::Address {
                kind: ComposeKind::ReplyAll,
                original: Some("u3".into()),
                offer_drafts: false,
            })]
        );
        // It fired once.
        assert!(update(&mut app, Msg::Worker(Event::Stored("u3".into()))).is_empty());
    }

    #[test]
    fn the_compose_screen_sends_and_comes_back_where_the_user_was() {
        let mut app = app_with(3);
        key(&mut app, Char('j'));
        ready(&mut app, " Ld1", "", true);
        assert!(app.compose.is_some());
        // List keys do nothing while composing.
        assert!(key(&mut app, Char('j')).is_empty());
        assert_eq!(
            key(&mut app, Char('y')),
            vec![Effect::Compose(ComposeRequest::Send { id: " Ld1".into() })]
        );
        assert!(app.compose.as_ref().unwrap().sending);
        assert!(
            key(&mut app, Char('q')).is_empty(),
            "keys wait while sending"
        );
        update(
            &mut app,
            ce(ComposeEvent::Sent {
                id: " Ld1".into(),
                sent: Sent {
                    recipients: vec!["li@example.cn".into()],
                    path: "/tmp/s".into(),
                    id: " Ls1".into(),
                    answered: Some("u2".into()),
                    elapsed: std::time::Duration::from_millis(40),
                },
            }),
        );
        assert!(app.compose.is_none());
        assert_eq!(selected(&app), "u2", "the selection is where it was");
        assert!(app
            .notice
            .as_deref()
            .unwrap()
            .starts_with("sent to li@example.cn"));
        let e = app.list.get(&Uidl::from("u2")).unwrap();
        assert!(e.flags.contains(Flags::ANSWERED));
    }

    #[test]
    fn a_bad_address_goes_back_to_the_editor_and_a_failure_keeps_the_screen() {
        let mut app = app_with(1);
        ready(&mut app, " Ld1", "", true);
        key(&mut app, Char('y'));
        let effects = update(
            &mut app,
            ce(ComposeEvent::NotSent {
                id: " Ld1".into(),
                failure: Failure {
                    reason: "To: \"bob@\" is not an e-mail address".into(),
                    invalid: true,
                    may_have_been_sent: false,
                    class: crate::error::ErrorClass::Local,
                },
            }),
        );
        assert_eq!(
            effects,
            vec![Effect::Compose(ComposeRequest::Edit {
                id: " Ld1".into(),
                comment: Some("To: \"bob@\" is not an e-mail address".into()),
            })]
        );
        key(&mut app, Char('y'));
        update(
            &mut app,
            ce(ComposeEvent::NotSent {
                id: " Ld1".into(),
                failure: Failure {
                    reason: "the SMTP server refused the login: 535 5.7.8".into(),
                    invalid: false,
                    may_have_been_sent: false,
                    class: crate::error::ErrorClass::Login,
                },
            }),
        );
        let c = app.compose.as_ref().unwrap();
        assert!(!c.sending);
        assert!(c.error.as_deref().unwrap().contains("535"));
        // p postpones: the draft stays in Drafts.
        assert!(key(&mut app, Char('p')).is_empty());
        assert!(app.compose.is_none());
        assert!(app.notice.as_deref().unwrap().contains("Drafts"));
    }

    #[test]
    fn a_message_that_may_have_been_sent_is_never_resent_without_asking() {
        let mut app = app_with(1);
        ready(
            &mut app,
            " Ld1",
            "may have been sent (2026-12-02): lost",
            false,
        );
        assert!(key(&mut app, Char('y')).is_empty());
        assert!(matches!(app.popup, Some(Popup::ConfirmResend { .. })));
        no_then_yes_sends(&mut app);
    }

    #[test]
    fn a_message_without_a_subject_is_sent_only_after_asking() {
        let mut app = app_with(1);
        let mut v = view(" Ld1", "");
        v.draft.subject = "  ".into();
        update(
            &mut app,
            ce(ComposeEvent::Ready {
                view: v,
                changed: true,
                continued: false,
            }),
        );
        assert!(key(&mut app, Char('y')).is_empty());
        assert_eq!(app.popup, Some(Popup::ConfirmNoSubject));
        no_then_yes_sends(&mut app);
    }

    #[test]
    fn abandoning_asks_when_something_would_be_lost() {
        let mut app = app_with(1);
        ready(&mut app, " Ld1", "", true);
        assert!(key(&mut app, Char('q')).is_empty());
        assert_eq!(app.popup, Some(Popup::ConfirmAbandon));
        assert!(key(&mut app, Char('n')).is_empty());
        assert!(app.compose.is_some());
        key(&mut app, Char('q'));
        assert_eq!(
            key(&mut app, Char('y')),
            vec![Effect::Compose(ComposeRequest::Discard {
                id: " Ld1".into()
            })]
        );
        assert!(app.compose.is_none());
    }

    #[test]
    fn c_offers_the_drafts_waiting() {
        let mut app = app_with(1);
        assert_eq!(
            key(&mut app, Char('c')),
            vec![Effect::Compose(ComposeRequest::Address {
                kind: ComposeKind::New,
                original: None,
                offer_drafts: true,
            })]
        );
        update(
            &mut app,
            ce(ComposeEvent::DraftsWaiting(vec![
                (" Ld2".into(), "second".into()),
                (" Ld1".into(), "first".into()),
            ])),
        );
        key(&mut app, Char('j'));
        assert_eq!(
            key(&mut app, Enter),
            vec![Effect::Compose(ComposeRequest::Edit {
                id: " Ld1".into(),
                comment: None,
            })]
        );
        key(&mut app, Char('c'));
        update(
            &mut app,
            ce(ComposeEvent::DraftsWaiting(vec![(
                " Ld2".into(),
                "second".into(),
            )])),
        );
        // `n`: a new one, its recipients asked first (the address book read for it).
        assert_eq!(key(&mut app, Char('n')), vec![Effect::LoadContacts]);
        assert!(matches!(
            &app.prompt,
            Some((Prompt::Recipients(a), t)) if t.is_empty() && a.field == crate::app::recipients::Field::To
        ));
    }
}

#[test]
fn a_message_restored_from_trash_survives_a_late_index() {
    let mut app = app_with(2);
    // Restored while the worker's index (without it) is still on its way.
    let mut e = ListRow::new("L1".into(), 10);
    e.stored = true;
    e.on_server = false;
    update(
        &mut app,
        Msg::Worker(Event::FolderLoaded {
            folder: Folder::Trash,
            rows: vec![e],
        }),
    );
    update(
        &mut app,
        Msg::Worker(Event::Moved {
            uidl: "L1".into(),
            from: Folder::Trash,
            to: Some(Folder::Inbox),
        }),
    );
    assert!(app.list.get("L1").is_some());
    let entries: Vec<ListRow> = ["u2", "u1"]
        .iter()
        .map(|u| ListRow::new((*u).into(), 1000))
        .collect();
    update(&mut app, Msg::Worker(Event::Indexed(entries)));
    assert!(app.list.get("L1").is_some(), "the restored row stays");
    assert_eq!(app.list.len(), 3);
}

#[test]
fn the_password_prompt_is_masked_sent_once_and_asked_again_after_a_refusal() {
    let mut app = App::new(HeaderInfo::default(), 80, 24);
    app.ask_password(None);
    for c in "pw 1".chars() {
        assert_eq!(key(&mut app, Char(c)), vec![]);
    }
    // q and other keys are part of the password while the prompt is open.
    key(&mut app, Char('q'));
    assert!(app.popup.is_none());
    assert_eq!(
        key(&mut app, Enter),
        vec![Effect::Password(crate::secret::Secret::new("pw 1q"))]
    );
    assert!(app.prompt.is_none() && !app.needs_password);
    update(
        &mut app,
        Msg::Worker(Event::Failed(Failure::new(
            ErrorClass::Login,
            "login failed: [AUTH] Authentication failed.",
        ))),
    );
    // A typed password that was refused: asked again, with the server's words, no pop-up.
    assert!(app.popup.is_none());
    assert_eq!(
        app.prompt,
        Some((
            Prompt::Password {
                reason: Some("login failed: [AUTH] Authentication failed.".into())
            },
            String::new()
        ))
    );
    assert_eq!(app.trouble.as_deref(), Some("login failed"));
    // Left for later: the status line says how to come back to it.
    key(&mut app, Char('x'));
    key(&mut app, Esc);
    assert!(app.prompt.is_none());
    assert!(
        crate::ui::status::status(&app).contains("press R to type the password"),
        "{}",
        crate::ui::status::status(&app)
    );
    assert_eq!(key(&mut app, Char('R')), vec![]);
    assert!(matches!(app.prompt, Some((Prompt::Password { .. }, _))));
    // An empty answer sends nothing.
    assert_eq!(key(&mut app, Enter), vec![]);
}
