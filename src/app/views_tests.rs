//! The reader's views and sessions: threads, sort and limits, links, the
//! login pop-ups, receipts and Ctrl-R (the list and reader basics are in
//! `tests.rs`).
use super::tests::{app_with, key, selected};
use super::*;
use crate::mime::Summary;
use crate::sync::ListRow;
use keymap::Key::*;
use list::{Sort, SortKey};

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
