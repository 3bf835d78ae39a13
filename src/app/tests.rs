use super::*;
use crate::mime::Summary;
use crate::sync::ListRow;
use keymap::Key::*;

pub(super) fn summary(subject: &str, from: &str) -> Arc<Summary> {
    Arc::new(Summary::new(
        subject,
        from,
        &format!("{from}@example.cn"),
        "",
        Some((1_717_470_000, 0)),
        false,
    ))
}

/// An app for account "work" on 80×24, before anything has come in.
pub(super) fn work_app() -> App {
    App::new(
        HeaderInfo {
            account: "work".into(),
            server: "pop.example.com:995".into(),
            mode: "TLS".into(),
        },
        80,
        24,
    )
}

/// An app with `n` messages u{n}..u1 (newest first), all headers loaded, 80×24.
pub(super) fn app_with(n: usize) -> App {
    let mut app = work_app();
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

pub(super) fn key(app: &mut App, k: keymap::Key) -> Vec<Effect> {
    update(app, Msg::Key(k))
}

pub(super) fn selected(app: &App) -> &str {
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

#[test]
fn what_a_hundred_thousand_messages_keep_stays_small() {
    // One pointer per holder (list, worker, store queue), not two words.
    assert_eq!(std::mem::size_of::<crate::uidl::Uidl>(), 8);
    assert_eq!(std::mem::size_of::<Option<crate::uidl::Uidl>>(), 8);
    assert_eq!(std::mem::size_of::<crate::mime::Summary>(), 40);
    assert_eq!(std::mem::size_of::<super::list::Entry>(), 32);
    assert_eq!(std::mem::size_of::<crate::sync::ListRow>(), 40);
    // Shared, and found by its text, as `Arc<str>` was.
    let u = crate::uidl::Uidl::new("0000000150ab");
    let map: std::collections::HashMap<crate::uidl::Uidl, u8> = [(u.clone(), 1)].into();
    assert_eq!(map.get("0000000150ab"), Some(&1));
    assert!(std::ptr::eq(
        u.as_str(),
        map.keys().next().map(|k| k.as_str()).unwrap_or("")
    ));
}
