use super::*;
use crate::mime::Summary;
use crate::sync::ListRow;
use keymap::Key::*;
use list::{Sort, SortKey};

fn summary(subject: &str, from: &str) -> Arc<Summary> {
    Arc::new(Summary::new(
        subject,
        from,
        &format!("{from}@example.cn"),
        "",
        Some((1_717_470_000, 0)),
        false,
    ))
}

/// An app with `n` messages u{n}..u1 (newest first), all headers loaded, 80×24.
fn app_with(n: usize) -> App {
    let mut app = App::new(
        HeaderInfo {
            account: "work".into(),
            server: "pop.example.com:995".into(),
            mode: "TLS".into(),
        },
        80,
        24,
    );
    let entries: Vec<ListRow> = (1..=n)
        .rev()
        .map(|i| ListRow::new(format!("u{i}").into(), 1000 + i as u64))
        .collect();
    update(
        &mut app,
        Msg::Worker(Event::Connected {
            tls: true,
            auth: "AUTH PLAIN".into(),
            pipelined: true,
            has_uidl: true,
        }),
    );
    update(&mut app, Msg::Worker(Event::Indexed(entries)));
    let batch = (1..=n)
        .map(|i| {
            (
                format!("u{i}").into(),
                summary(&format!("subject {i}"), &format!("sender{i}")),
            )
        })
        .collect();
    update(&mut app, Msg::Worker(Event::HeadersLoaded(batch)));
    app
}

fn key(app: &mut App, k: keymap::Key) -> Vec<Effect> {
    update(app, Msg::Key(k))
}

fn selected(app: &App) -> &str {
    app.list.selected_uidl().unwrap()
}

#[test]
fn movement_keys_in_the_list() {
    let mut app = app_with(100);
    assert_eq!(selected(&app), "u100");
    key(&mut app, Char('j'));
    key(&mut app, Down);
    assert_eq!(selected(&app), "u98");
    key(&mut app, Char('k'));
    key(&mut app, Up);
    key(&mut app, Up);
    assert_eq!(selected(&app), "u100", "stops at the top");
    key(&mut app, PageDown);
    assert_eq!(
        app.list.selected, 21,
        "a page is the 21 list rows of a 24-row screen"
    );
    key(&mut app, Char(' '));
    assert_eq!(app.list.selected, 42);
    assert!(app.list.offset <= 42 && 42 < app.list.offset + 21);
    key(&mut app, PageUp);
    assert_eq!(app.list.selected, 21);
    key(&mut app, Char('G'));
    assert_eq!(selected(&app), "u1");
    assert_eq!(app.list.offset, 100 - 21);
    key(&mut app, Char('g'));
    assert_eq!(selected(&app), "u100");
    key(&mut app, End);
    key(&mut app, Home);
    assert_eq!((app.list.selected, app.list.offset), (0, 0));
}

#[test]
fn opening_fetches_once_and_the_reader_keys_scroll() {
    let mut app = app_with(3);
    let effects = key(&mut app, Enter);
    assert_eq!(
        effects,
        vec![
            Effect::Local(LocalRequest::SetFlags("u3".into(), Flags::SEEN)),
            Effect::Worker(Request::FetchBody("u3".into()))
        ]
    );
    assert!(matches!(&app.view, View::Reader(r) if r.uidl == "u3" && r.body.is_none()));
    assert!(app.list.get("u3").unwrap().seen());
    let body = Rendered {
        from: "李明 <li@example.cn>".into(),
        subject: "第二季度".into(),
        body: (1..=100)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
        ..Default::default()
    };
    update(
        &mut app,
        Msg::Worker(Event::BodyLoaded {
            uidl: "u3".into(),
            rendered: Arc::new(body),
        }),
    );
    let View::Reader(r) = &app.view else { panic!() };
    assert_eq!(r.lines[0], "From: 李明 <li@example.cn>");
    assert!(r.lines.len() > 100);
    for (k, want) in [
        (Char('j'), 1),
        (Down, 2),
        (Char('k'), 1),
        (Up, 0),
        (Up, 0),
        (PageDown, 22),
        (Char(' '), 44),
        (PageUp, 22),
        (Home, 0),
    ] {
        key(&mut app, k);
        let View::Reader(r) = &app.view else { panic!() };
        assert_eq!(r.scroll, want, "after {k:?}");
    }
    key(&mut app, Char('G'));
    let View::Reader(r) = &app.view else { panic!() };
    assert_eq!(r.scroll, r.lines.len() - 22, "G shows the last page");
    key(&mut app, End);
    key(&mut app, Char('g'));
    // Back and open again: no second fetch.
    key(&mut app, Char('h'));
    assert_eq!(app.view, View::List);
    assert_eq!(key(&mut app, Char('l')), vec![]);
    key(&mut app, Esc);
    assert_eq!(
        key(&mut app, Right),
        vec![],
        "the body is cached for the session"
    );
    key(&mut app, Left);
    assert_eq!(app.view, View::List);
}

#[test]
fn d_marks_and_moves_on_u_unmarks_one_and_capital_u_all() {
    let mut app = app_with(5);
    assert_eq!(
        key(&mut app, Char('d')),
        vec![Effect::Worker(Request::Mark("u5".into()))]
    );
    assert_eq!(selected(&app), "u4", "d moves to the next message");
    assert_eq!(
        key(&mut app, Char('d')),
        vec![Effect::Worker(Request::Mark("u4".into()))]
    );
    assert_eq!(
        crate::ui::status::status(&app),
        "5 messages, 2 marked for deletion"
    );
    // u on the selection (u3, unmarked) does nothing; back on u4 it removes that one mark,
    // which the worker carries out as RSET + DELE of the others.
    assert_eq!(key(&mut app, Char('u')), vec![]);
    key(&mut app, Char('k'));
    assert_eq!(
        key(&mut app, Char('u')),
        vec![Effect::Worker(Request::Unmark("u4".into()))]
    );
    assert_eq!(app.marks.iter().collect::<Vec<_>>(), vec!["u5"]);
    key(&mut app, Char('d'));
    assert_eq!(
        key(&mut app, Char('U')),
        vec![Effect::Worker(Request::UnmarkAll)]
    );
    assert!(app.marks.is_empty());
    assert_eq!(crate::ui::status::status(&app), "5 messages");
    assert_eq!(key(&mut app, Char('U')), vec![], "nothing to unmark");
}

#[test]
fn d_in_the_reader_marks_and_returns_to_the_list() {
    let mut app = app_with(3);
    key(&mut app, Char('j'));
    key(&mut app, Enter);
    assert_eq!(
        key(&mut app, Char('d')),
        vec![Effect::Worker(Request::Mark("u2".into()))]
    );
    assert_eq!(app.view, View::List);
    key(&mut app, Enter);
    let effects = key(&mut app, Char('u'));
    assert_eq!(effects, vec![Effect::Worker(Request::Unmark("u2".into()))]);
    assert!(
        matches!(app.view, View::Reader(_)),
        "u in the reader stays there"
    );
}

#[test]
fn quit_without_marks_leaves_at_once_without_deleting() {
    let mut app = app_with(2);
    assert_eq!(
        key(&mut app, Char('q')),
        vec![Effect::Worker(Request::QuitDiscard), Effect::Exit]
    );
    // Esc, h and ← leave the reader, never the program.
    for k in [Esc, Char('h'), Left] {
        let mut app = app_with(2);
        assert_eq!(key(&mut app, k), vec![]);
        assert!(matches!(app.view, View::List));
        assert_eq!(app.popup, None);
    }
}

#[test]
fn quit_with_marks_asks_and_only_y_deletes() {
    let mut app = app_with(4);
    key(&mut app, Char('d'));
    key(&mut app, Char('d'));
    assert_eq!(key(&mut app, Char('q')), vec![]);
    assert_eq!(
        app.popup,
        Some(Popup::ConfirmQuit {
            count: 2,
            uncopied: 0
        })
    );
    // Other keys do nothing while asking.
    assert_eq!(key(&mut app, Char('j')), vec![]);
    assert_eq!(key(&mut app, Char('c')), vec![]);
    assert_eq!(app.popup, None);
    assert_eq!(app.marks.len(), 2, "cancel keeps the marks");
    key(&mut app, Char('q'));
    assert_eq!(key(&mut app, Esc), vec![]);
    key(&mut app, Char('q'));
    assert_eq!(
        key(&mut app, Char('n')),
        vec![Effect::Worker(Request::QuitDiscard), Effect::Exit]
    );
    let mut app = app_with(4);
    key(&mut app, Char('d'));
    key(&mut app, Char('q'));
    assert_eq!(
        key(&mut app, Char('y')),
        vec![Effect::Worker(Request::QuitCommit)]
    );
    assert!(app.committing);
    // The app leaves only when the worker reports the QUIT went through.
    assert_eq!(
        update(&mut app, Msg::Worker(Event::Closed { deleted: 1 })),
        vec![Effect::Exit]
    );
}

#[test]
fn a_failed_commit_keeps_the_app_open_and_the_marks() {
    let mut app = app_with(3);
    key(&mut app, Char('d'));
    key(&mut app, Char('q'));
    key(&mut app, Char('y'));
    let e = update(
        &mut app,
        Msg::Worker(Event::Failed(Failure::new(ErrorClass::Temporary, "the connection ended during QUIT (connection lost): the 1 deletions may or may not have been committed; reconnecting shows what is left"))),
    );
    assert_eq!(e, vec![]);
    assert!(!app.committing);
    assert_eq!(app.marks.len(), 1);
    assert!(app
        .notice
        .as_deref()
        .unwrap()
        .contains("may or may not have been committed"));
}

#[test]
fn x_and_ctrl_c_exit_without_deleting_even_with_marks() {
    for k in [Char('x'), Ctrl('c')] {
        let mut app = app_with(3);
        key(&mut app, Char('d'));
        assert_eq!(
            key(&mut app, k),
            vec![Effect::Worker(Request::QuitDiscard), Effect::Exit]
        );
    }
}

#[test]
fn capital_r_refreshes_and_new_mail_appears_on_top_with_marks_kept() {
    let mut app = app_with(3);
    key(&mut app, Char('j'));
    key(&mut app, Char('d'));
    assert_eq!(
        key(&mut app, Char('R')),
        vec![Effect::Worker(Request::Refresh)]
    );
    let entries: Vec<ListRow> = ["u5", "u4", "u3", "u2", "u1"]
        .iter()
        .map(|u| ListRow::new((*u).into(), 1))
        .collect();
    let effects = update(&mut app, Msg::Worker(Event::Indexed(entries)));
    assert_eq!(app.list.len(), 5);
    assert_eq!(app.notice.as_deref(), Some("2 new in work"));
    assert!(app.marks.contains("u2"));
    assert_eq!(
        app.list
            .get("u3")
            .unwrap()
            .summary
            .as_ref()
            .unwrap()
            .subject(),
        "subject 3",
        "known headers kept"
    );
    assert_eq!(
        effects,
        vec![
            Effect::NewMail(2),
            Effect::Worker(Request::Visible(vec![
                "u5".into(),
                "u4".into(),
                "u3".into(),
                "u2".into(),
                "u1".into()
            ]))
        ]
    );
    assert_eq!(
        crate::ui::status::status(&app),
        "loading 3/5, 1 marked for deletion"
    );
}

#[test]
fn search_in_the_list_and_in_the_reader() {
    let mut app = app_with(30);
    key(&mut app, Char('/'));
    for c in "SUBJECT 2".chars() {
        key(&mut app, Char(c));
    }
    key(&mut app, Backspace);
    key(&mut app, Char('2'));
    assert_eq!(app.input.as_deref(), Some("SUBJECT 2"));
    key(&mut app, Enter);
    assert_eq!(
        selected(&app),
        "u29",
        "first match from the top, case-insensitive"
    );
    key(&mut app, Char('n'));
    assert_eq!(selected(&app), "u28");
    key(&mut app, Char('N'));
    assert_eq!(selected(&app), "u29");
    key(&mut app, Char('/'));
    key(&mut app, Char('z'));
    key(&mut app, Enter);
    assert_eq!(app.notice.as_deref(), Some("no message matches \"z\""));
    key(&mut app, Char('/'));
    key(&mut app, Esc);
    assert_eq!(app.input, None);

    key(&mut app, Enter);
    let filler = (0..40)
        .map(|i| format!("filler {i}"))
        .collect::<Vec<_>>()
        .join("\n");
    let body = Rendered {
        body: format!("alpha\n{filler}\nbeta\ngamma\n{filler}\nbeta again\n{filler}"),
        ..Default::default()
    };
    update(
        &mut app,
        Msg::Worker(Event::BodyLoaded {
            uidl: "u29".into(),
            rendered: Arc::new(body),
        }),
    );
    key(&mut app, Char('/'));
    for c in "beta".chars() {
        key(&mut app, Char(c));
    }
    key(&mut app, Enter);
    let View::Reader(r) = &app.view else { panic!() };
    assert_eq!(r.lines[r.scroll], "beta");
    key(&mut app, Char('n'));
    let View::Reader(r) = &app.view else { panic!() };
    assert_eq!(r.lines[r.scroll], "beta again");
    key(&mut app, Char('N'));
    let View::Reader(r) = &app.view else { panic!() };
    assert_eq!(r.lines[r.scroll], "beta");
}

#[test]
fn help_and_error_popups_close_with_a_key() {
    let mut app = app_with(2);
    key(&mut app, Char('?'));
    assert_eq!(app.popup, Some(Popup::Help { scroll: 0 }));
    assert_eq!(key(&mut app, Char('d')), vec![], "keys go to the popup");
    assert_eq!(app.popup, None);
    assert!(app.marks.is_empty());
    update(
        &mut app,
        Msg::Worker(Event::Failed(Failure::new(
            ErrorClass::Login,
            "login failed: [AUTH] no",
        ))),
    );
    assert!(matches!(&app.popup, Some(Popup::Error { title, .. }) if title == "Login failed"));
    key(&mut app, Esc);
    assert_eq!(app.popup, None);
    update(
        &mut app,
        Msg::Worker(Event::Failed(Failure::new(
            ErrorClass::Tls,
            "TLS: certificate not trusted",
        ))),
    );
    assert_eq!(
        key(&mut app, Char('R')),
        vec![Effect::Worker(Request::Refresh)],
        "R in the pop-up retries"
    );
    assert_eq!(app.popup, None);
}

#[test]
fn a_dropped_connection_is_reported_and_marks_are_kept() {
    let mut app = app_with(5);
    key(&mut app, Char('d'));
    key(&mut app, Char('d'));
    key(&mut app, Char('d'));
    update(
        &mut app,
        Msg::Worker(Event::ConnectionLost {
            reason: "connection reset".into(),
            uncommitted: 3,
        }),
    );
    let notice = app.notice.clone().unwrap();
    assert!(
        notice.starts_with("connection lost; 3 deletions were not committed"),
        "{notice}"
    );
    update(&mut app, Msg::Worker(Event::Reconnecting { in_secs: 2 }));
    assert!(app
        .notice
        .as_deref()
        .unwrap()
        .ends_with("reconnecting in 2 s"));
    assert_eq!(app.marks.len(), 3);
    update(
        &mut app,
        Msg::Worker(Event::Connected {
            tls: true,
            auth: "USER/PASS".into(),
            pipelined: true,
            has_uidl: true,
        }),
    );
    assert_eq!(app.notice.as_deref(), Some("reconnected"));
    update(
        &mut app,
        Msg::Worker(Event::MarksDropped {
            uidls: vec!["u5".into()],
            why: "the messages are no longer on the server".into(),
        }),
    );
    assert_eq!(app.marks.len(), 2);
}

#[test]
fn loading_progress_and_visible_requests() {
    let mut app = App::new(HeaderInfo::default(), 80, 24);
    assert_eq!(crate::ui::status::status(&app), "connecting…");
    let entries: Vec<ListRow> = (1..=1000)
        .rev()
        .map(|i| ListRow::new(format!("u{i}").into(), 1))
        .collect();
    let effects = update(&mut app, Msg::Worker(Event::Indexed(entries)));
    assert_eq!(crate::ui::status::status(&app), "loading 0/1000");
    let Effect::Worker(Request::Visible(v)) = &effects[0] else {
        panic!("{effects:?}")
    };
    assert_eq!(v.len(), 21);
    assert_eq!(v[0], "u1000");
    // Jumping to the end asks for the headers on screen there first.
    let effects = key(&mut app, Char('G'));
    let Effect::Worker(Request::Visible(v)) = &effects[0] else {
        panic!("{effects:?}")
    };
    assert_eq!(v.last().map(|u| u.as_str()), Some("u1"));
    update(
        &mut app,
        Msg::Worker(Event::HeadersLoaded(vec![("u1".into(), summary("s", "f"))])),
    );
    assert_eq!(crate::ui::status::status(&app), "loading 1/1000");
}

#[test]
fn mouse_wheel_scrolls_and_a_click_selects() {
    let mut app = app_with(50);
    update(&mut app, Msg::Mouse(Mouse::ScrollDown));
    assert_eq!(app.list.selected, 3);
    update(&mut app, Msg::Mouse(Mouse::ScrollUp));
    assert_eq!(app.list.selected, 0);
    update(&mut app, Msg::Mouse(Mouse::Click { column: 10, row: 7 }));
    assert_eq!(app.list.selected, 5, "row 7 is the sixth list row");
    update(&mut app, Msg::Mouse(Mouse::Click { column: 10, row: 0 }));
    assert_eq!(app.list.selected, 5, "the header line is not a row");
}

#[test]
fn resize_keeps_the_selection_visible_and_rewraps_the_reader() {
    let mut app = app_with(100);
    key(&mut app, Char('G'));
    update(&mut app, Msg::Resize(200, 50));
    assert_eq!(app.list_height(), 47);
    assert!(app.list.offset + 47 > app.list.selected);
    key(&mut app, Enter);
    update(
        &mut app,
        Msg::Worker(Event::BodyLoaded {
            uidl: "u1".into(),
            rendered: Arc::new(Rendered {
                body: "字".repeat(100),
                ..Default::default()
            }),
        }),
    );
    let View::Reader(r) = &app.view else { panic!() };
    let wide = r.lines.len();
    update(&mut app, Msg::Resize(40, 24));
    let View::Reader(r) = &app.view else { panic!() };
    assert!(r.lines.len() > wide, "narrower screen, more lines");
    assert!(r.lines.iter().all(|l| crate::text::width(l) <= 40));
}

/// Before the index, a first visit shows its newest rows; nothing can be
/// opened or marked until they are messages (have UIDLs), and the index
/// replaces the preview.
#[test]
fn the_preview_before_the_index_is_for_looking_only() {
    let mut app = App::new(
        HeaderInfo {
            account: "work".into(),
            server: "pop.example.com:995".into(),
            mode: "TLS".into(),
        },
        80,
        24,
    );
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
        assert!(key(&mut app, Char('n')).is_empty());
        assert!(app.popup.is_none() && !app.compose.as_ref().unwrap().sending);
        key(&mut app, Char('y'));
        assert_eq!(
            key(&mut app, Char('y')),
            vec![Effect::Compose(ComposeRequest::Send { id: " Ld1".into() })]
        );
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
        assert!(key(&mut app, Char('n')).is_empty());
        assert!(app.popup.is_none() && !app.compose.as_ref().unwrap().sending);
        key(&mut app, Char('y'));
        assert_eq!(
            key(&mut app, Char('y')),
            vec![Effect::Compose(ComposeRequest::Send { id: " Ld1".into() })]
        );
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

fn threaded_app() -> App {
    let mut app = App::new(HeaderInfo::default(), 100, 24);
    let headers = [
        ("r2", "Message-ID: <r2@x>\r\nIn-Reply-To: <p@x>\r\nSubject: Re: plan\r\nDate: Wed, 03 Jan 2024 10:00:00 +0000"),
        ("other", "Message-ID: <o@x>\r\nSubject: lunch\r\nDate: Tue, 02 Jan 2024 12:00:00 +0000"),
        ("r1", "Message-ID: <r1@x>\r\nIn-Reply-To: <p@x>\r\nSubject: Re: plan\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000"),
        ("p", "Message-ID: <p@x>\r\nSubject: plan\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000"),
    ];
    let entries = headers
        .iter()
        .map(|(u, _)| ListRow::new((*u).into(), 100))
        .collect();
    update(&mut app, Msg::Worker(Event::Indexed(entries)));
    let batch = headers
        .iter()
        .map(|(u, h)| {
            let raw = format!("{h}\r\n\r\n");
            (
                Uidl::from(*u),
                Arc::new(Summary::from_headers(raw.as_bytes(), &Default::default())),
            )
        })
        .collect();
    update(&mut app, Msg::Worker(Event::HeadersLoaded(batch)));
    app
}

fn shown_rows(app: &App) -> Vec<String> {
    (0..app.list.shown())
        .map(|i| {
            let prefix = app
                .list
                .tree_of(i)
                .map(|t| t.prefix.to_string())
                .unwrap_or_default();
            format!("{prefix}{}", app.list.row(i).unwrap().uidl)
        })
        .collect()
}

#[test]
fn t_threads_off_the_ui_thread_and_z_folds_with_counts() {
    let mut app = threaded_app();
    key(&mut app, Char('j'));
    assert_eq!(app.list.selected_uidl(), Some("other"));
    let effects = key(&mut app, Char('t'));
    let Some(Effect::Thread { folder, job }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    assert_eq!(folder, Folder::Inbox);
    // Until the job answers, the list is as it was.
    assert_eq!(shown_rows(&app), ["r2", "other", "r1", "p"]);
    let layout = Arc::new(job.run());
    let effects = update(
        &mut app,
        Msg::Threaded {
            folder,
            generation: job.generation,
            layout,
        },
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Thread { .. })),
        "{effects:?}"
    );
    assert_eq!(shown_rows(&app), ["p", "├─>r1", "└─>r2", "other"]);
    assert_eq!(
        app.list.selected_uidl(),
        Some("other"),
        "the selection did not jump"
    );
    // Fold the plan thread from its last reply: one row, with its counts.
    key(&mut app, Char('g'));
    key(&mut app, Char('j'));
    key(&mut app, Char('j'));
    key(&mut app, Char('z'));
    assert_eq!(shown_rows(&app), ["p", "other"]);
    assert_eq!(app.list.selected_uidl(), Some("p"));
    assert_eq!(app.list.tree_of(0).unwrap().folded, Some((3, 3)));
    key(&mut app, Char('z'));
    assert_eq!(app.list.shown(), 4);
    // A stale answer (an older generation) is not taken.
    let old = app.list.thread_generation;
    let effects = key(&mut app, Char('t'));
    assert!(
        effects.iter().all(|e| matches!(e, Effect::SaveViews(_))),
        "off: {effects:?}"
    );
    assert_eq!(shown_rows(&app), ["r2", "other", "r1", "p"]);
    let effects = key(&mut app, Char('t'));
    let Some(Effect::Thread { job, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    assert_eq!(job.generation, old + 1);
}

#[test]
fn o_sorts_l_limits_and_search_stays_within_the_rows_shown() {
    let mut app = threaded_app();
    // By date (the default), then by arrival, then by sender.
    key(&mut app, Char('o'));
    assert_eq!(app.notice.as_deref(), Some("sorted by arrival"));
    key(&mut app, Char('o'));
    assert_eq!(app.notice.as_deref(), Some("sorted by sender"));
    for _ in 0..3 {
        key(&mut app, Char('o'));
    }
    assert_eq!(app.notice.as_deref(), Some("sorted by date"));
    assert_eq!(shown_rows(&app), ["r2", "other", "r1", "p"]);
    key(&mut app, Char('O'));
    assert_eq!(shown_rows(&app), ["p", "r1", "other", "r2"]);
    key(&mut app, Char('l'));
    for c in "subject:plan -is:unread".chars() {
        key(&mut app, Char(c));
    }
    key(&mut app, Enter);
    assert_eq!(app.list.shown(), 0, "every row is unread");
    key(&mut app, Char('l'));
    key(&mut app, Ctrl('u'));
    for c in "plan".chars() {
        key(&mut app, Char(c));
    }
    key(&mut app, Enter);
    assert_eq!(shown_rows(&app), ["p", "r1", "r2"]);
    assert!(
        crate::ui::status::status(&app).starts_with("limit: plan (3 of 4)"),
        "{}",
        crate::ui::status::status(&app)
    );
    // / finds only rows shown.
    key(&mut app, Char('/'));
    for c in "lunch".chars() {
        key(&mut app, Char(c));
    }
    key(&mut app, Enter);
    assert_eq!(app.notice.as_deref(), Some("no message matches \"lunch\""));
    // body: asks the store, and shows nothing until it answers.
    key(&mut app, Char('l'));
    key(&mut app, Ctrl('u'));
    for c in "body:季度报告".chars() {
        key(&mut app, Char(c));
    }
    let effects = key(&mut app, Enter);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SearchIndex { .. })),
        "{effects:?}"
    );
    assert_eq!(app.list.shown(), 0);
    let hits = crate::store::query::IndexHits {
        only: Some(["r1".into()].into_iter().collect()),
        except: Default::default(),
    };
    update(
        &mut app,
        Msg::IndexHits {
            folder: Folder::Inbox,
            pattern: "body:季度报告".into(),
            hits,
        },
    );
    assert_eq!(shown_rows(&app), ["r1"]);
    // An empty pattern clears it; the sort stays.
    key(&mut app, Char('l'));
    key(&mut app, Ctrl('u'));
    key(&mut app, Enter);
    assert_eq!(app.notice.as_deref(), Some("limit cleared"));
    assert_eq!(shown_rows(&app), ["p", "r1", "other", "r2"]);
}

#[test]
fn y_lists_links_to_copy_and_pipe_downloads_first_when_needed() {
    let mut app = app_with(3);
    key(&mut app, Enter);
    let rendered = Rendered {
        from: "Li <li@example.cn>".into(),
        body: "see https://example.org/a and write to ops@example.cn".into(),
        ..Rendered::default()
    };
    let uidl = app.list.selected_uidl().unwrap().to_string();
    update(
        &mut app,
        Msg::Worker(Event::BodyLoaded {
            uidl: uidl.as_str().into(),
            rendered: Arc::new(rendered),
        }),
    );
    key(&mut app, Char('y'));
    let Some(Popup::Links { items, .. }) = app.popup.clone() else {
        panic!("{:?}", app.popup)
    };
    assert_eq!(
        items,
        ["https://example.org/a", "li@example.cn", "ops@example.cn"]
    );
    key(&mut app, Char('j'));
    assert_eq!(
        key(&mut app, Enter),
        vec![Effect::Clipboard("li@example.cn".into())]
    );
    // | on a message not stored: downloaded (and kept), then piped.
    key(&mut app, Char('|'));
    for c in "git am".chars() {
        key(&mut app, Char(c));
    }
    let effects = key(&mut app, Enter);
    assert_eq!(
        effects,
        vec![Effect::Worker(Request::FetchBody(uidl.as_str().into()))]
    );
    let effects = update(&mut app, Msg::Worker(Event::Stored(uidl.as_str().into())));
    assert_eq!(
        effects,
        vec![Effect::PipeMessage {
            uidl: uidl.as_str().into(),
            command: "git am".into()
        }]
    );
    // Once stored, at once.
    key(&mut app, Char('|'));
    key(&mut app, Char('x'));
    let effects = key(&mut app, Enter);
    assert!(
        matches!(&effects[..], [Effect::PipeMessage { command, .. }] if command == "x"),
        "{effects:?}"
    );
}

#[test]
fn a_refused_login_does_not_say_connecting_under_its_pop_up() {
    let mut app = App::new(HeaderInfo::default(), 80, 24);
    assert_eq!(crate::ui::status::status(&app), "connecting…");
    update(
        &mut app,
        Msg::Worker(Event::Failed(Failure::new(
            ErrorClass::Login,
            "login failed: [AUTH] no",
        ))),
    );
    assert!(matches!(app.popup, Some(Popup::Error { .. })));
    assert_eq!(
        crate::ui::status::status(&app),
        "0 messages stored here, not logged in"
    );
}

#[test]
fn a_commit_interrupted_by_a_lost_connection_says_it_is_still_pending() {
    let mut app = app_with(3);
    key(&mut app, Char('d'));
    key(&mut app, Char('q'));
    assert_eq!(
        key(&mut app, Char('y')),
        vec![Effect::Worker(Request::QuitCommit)]
    );
    update(
        &mut app,
        Msg::Worker(Event::ConnectionLost {
            reason: "connection reset".into(),
            uncommitted: 1,
        }),
    );
    assert!(app.committing, "still committing");
    update(&mut app, Msg::Worker(Event::Reconnecting { in_secs: 2 }));
    let n = app.notice.clone().unwrap();
    assert!(
        n.contains("1 deletions not committed yet, still trying")
            && n.contains("reconnecting in 2 s"),
        "{n}"
    );
}

/// Old Foxmail mail: the reader decodes the whole message, and the list takes
/// that summary, so going back shows what the reader showed.
#[test]
fn a_read_message_gives_the_list_the_readers_summary() {
    let mut app = app_with(3);
    key(&mut app, Enter);
    let raw = std::fs::read("tests/fixtures/58-foxmail-multipart.eml").unwrap();
    let strict = postie_decode_strict();
    let garbled = Summary::from_headers(&raw, &strict);
    app.list.set_summary("u3", Arc::new(garbled));
    let rendered = Rendered::from_message(&raw, &Default::default());
    update(
        &mut app,
        Msg::Worker(Event::BodyLoaded {
            uidl: "u3".into(),
            rendered: Arc::new(rendered),
        }),
    );
    key(&mut app, Char('q'));
    let s = app.list.get("u3").unwrap().summary.clone().unwrap();
    assert_eq!((s.subject(), s.from()), ("邮件示例", "陈俊清"));
}

fn postie_decode_strict() -> crate::mime::DecodeOptions {
    crate::mime::DecodeOptions {
        fallback: None,
        strict: true,
    }
}

/// Marked messages not kept here and over `trash_download_limit` are
/// deleted without a copy: the question says how many.
#[test]
fn the_quit_question_counts_the_marks_that_get_no_copy_in_trash() {
    let mut app = app_with(4).with_trash_download_limit(1002);
    // Newest first: u4 (1004 bytes) and u3 (1003) are over the limit, u2 is not.
    for _ in 0..3 {
        key(&mut app, Char('d'));
    }
    key(&mut app, Char('q'));
    assert_eq!(
        app.popup,
        Some(Popup::ConfirmQuit {
            count: 3,
            uncopied: 2
        })
    );
    // A stored one needs no download: it is copied whatever its size.
    key(&mut app, Char('c'));
    update(&mut app, Msg::Worker(Event::Stored("u4".into())));
    key(&mut app, Char('q'));
    assert_eq!(
        app.popup,
        Some(Popup::ConfirmQuit {
            count: 3,
            uncopied: 1
        })
    );
}

/// Each folder's sort and threads are remembered: `o` and `t` hand the edge
/// the table to write, and a reader started with it shows each folder so.
#[test]
fn sort_and_threads_are_remembered_per_folder() {
    let mut app = app_with(3);
    assert_eq!(app.list.sort.key, SortKey::Date, "by date by default");
    let effects = key(&mut app, Char('o'));
    let Some(Effect::SaveViews(text)) = effects.last().cloned() else {
        panic!("{effects:?}")
    };
    assert_eq!(text, "INBOX arrival 0 0\n");
    let effects = key(&mut app, Char('t'));
    let Some(Effect::SaveViews(text)) = effects.last().cloned() else {
        panic!("{effects:?}")
    };
    assert_eq!(text, "INBOX arrival 0 1\n");
    let mut views = ViewPrefs::read_all(&text);
    views.insert(
        Folder::Sent,
        ViewPrefs {
            sort: Sort {
                key: SortKey::Size,
                reverse: true,
            },
            threads: false,
        },
    );
    let again = app_with(3).with_views(views.clone());
    assert_eq!(again.list.sort.key, SortKey::Arrival);
    assert!(again.list.threads);
    let mut again = again;
    assert_eq!(again.list_of(&Folder::Sent).sort.key, SortKey::Size);
    assert!(again.list_of(&Folder::Sent).sort.reverse);
    // A line that cannot be read is left out, not an error.
    assert_eq!(
        ViewPrefs::read_all("INBOX bogus 0 1\nSent size 1\n").len(),
        0
    );
    assert_eq!(ViewPrefs::read_all(&ViewPrefs::write_all(&views)), views);
}

/// A message asking for a read receipt: asked (ask), sent at once (always)
/// or only said (never); once a session, never after one was sent.
#[test]
fn a_receipt_request_is_asked_sent_or_said_as_configured() {
    use crate::send::mdn::ReceiptPolicy;
    let body = || Rendered {
        subject: "合同".into(),
        receipt_to: Some("wang@example.cn".into()),
        ..Default::default()
    };
    let open = |app: &mut App| {
        key(app, Enter);
        update(
            app,
            Msg::Worker(Event::BodyLoaded {
                uidl: "u3".into(),
                rendered: Arc::new(body()),
            }),
        )
    };
    let mut app = app_with(3);
    assert!(open(&mut app).is_empty());
    assert!(
        matches!(app.popup, Some(Popup::ConfirmReceipt { ref to, .. }) if to == "wang@example.cn")
    );
    assert_eq!(
        key(&mut app, Char('y')),
        vec![Effect::Compose(crate::send::ComposeRequest::Receipt {
            uidl: "u3".into(),
            automatic: false
        })]
    );
    update(
        &mut app,
        Msg::Compose(Box::new(crate::send::ComposeEvent::ReceiptSent {
            uidl: "u3".into(),
            to: "wang@example.cn".into(),
        })),
    );
    assert!(app.list.get("u3").unwrap().flags.contains(Flags::MDN_SENT));
    key(&mut app, Char('q'));
    assert!(
        open(&mut app).is_empty() && app.popup.is_none(),
        "sent: not asked again"
    );

    let mut app = app_with(3).with_receipts(ReceiptPolicy::Always);
    assert_eq!(
        open(&mut app),
        vec![Effect::Compose(crate::send::ComposeRequest::Receipt {
            uidl: "u3".into(),
            automatic: true
        })]
    );
    let mut app = app_with(3).with_receipts(ReceiptPolicy::Never);
    assert!(open(&mut app).is_empty() && app.popup.is_none());
    assert!(app.notice.as_deref().unwrap_or("").contains("read receipt"));
}

/// Ctrl-R marks every row shown read: the limit's rows only, asking first
/// above 100.
#[test]
fn ctrl_r_marks_every_row_shown_read() {
    let mut app = app_with(3);
    let effects = key(&mut app, Ctrl('r'));
    assert_eq!(effects.len(), 3, "{effects:?}");
    assert!(effects.iter().all(
        |e| matches!(e, Effect::Local(LocalRequest::SetFlags(_, f)) if f.contains(Flags::SEEN))
    ));
    assert_eq!(app.notice.as_deref(), Some("3 messages marked read"));
    assert!(key(&mut app, Ctrl('r')).is_empty(), "nothing left unread");
    // Above 100: asked first; n leaves them.
    let mut app = app_with(150);
    assert!(key(&mut app, Ctrl('r')).is_empty());
    assert_eq!(app.popup, Some(Popup::ConfirmMarkAllRead { count: 150 }));
    assert!(key(&mut app, Char('n')).is_empty());
    assert!(app.list.get("u1").is_some_and(|e| !e.seen()));
    key(&mut app, Ctrl('r'));
    assert_eq!(key(&mut app, Char('y')).len(), 150);
    // With a limit, only its rows.
    let mut app = app_with(3);
    key(&mut app, Char('l'));
    for c in "subject:2".chars() {
        key(&mut app, Char(c));
    }
    key(&mut app, Enter);
    assert_eq!(key(&mut app, Ctrl('r')).len(), 1);
    assert!(app.list.get("u2").unwrap().seen());
    assert!(!app.list.get("u1").unwrap().seen());
}

#[path = "filing_tests.rs"]
mod filing;

#[path = "recipients_tests.rs"]
mod addressing;

/// An OAuth account whose login is refused: `s` signs in again (the
/// device flow in the edge), the code in a pop-up, then a new login.
#[test]
fn a_refused_oauth_login_offers_to_sign_in_again() {
    use crate::error::{ErrorClass, Failure};
    let mut app = app_with(1).with_oauth(true);
    update(
        &mut app,
        Msg::Worker(Event::Failed(Failure::new(
            ErrorClass::Login,
            "the sign-in service refused (invalid_grant: …)",
        ))),
    );
    assert!(matches!(app.popup, Some(Popup::Error { retry: true, .. })));
    assert_eq!(key(&mut app, Char('s')), vec![Effect::SignIn]);
    assert_eq!(app.popup, Some(Popup::SignIn { code: None }));
    update(
        &mut app,
        Msg::SignIn(msg::SignInStep::Code {
            url: "https://microsoft.com/devicelogin".into(),
            code: "WDJB-MJHT".into(),
        }),
    );
    assert!(matches!(&app.popup, Some(Popup::SignIn { code: Some((_, c)) }) if c == "WDJB-MJHT"));
    assert_eq!(
        update(&mut app, Msg::SignIn(msg::SignInStep::Done)),
        vec![Effect::Worker(Request::Refresh)]
    );
    assert!(app.popup.is_none());
    // A password account has no such key.
    let mut plain = app_with(1);
    update(
        &mut plain,
        Msg::Worker(Event::Failed(Failure::new(ErrorClass::Login, "refused"))),
    );
    assert!(key(&mut plain, Char('s')).is_empty());
}
