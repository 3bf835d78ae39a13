//! Tags, moving and copying, Junk and the folder prompt, on the pure app.

use super::*;
use crate::worker::local::{FileOutcome, FileRequest};

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, Char(c));
    }
}

fn own(n: &str) -> Folder {
    Folder::own(n).unwrap()
}

#[test]
fn star_after_a_limit_then_m_marks_exactly_the_limited_rows() {
    let mut app = app_with(5);
    key(&mut app, Char('l'));
    typed(&mut app, "subject:3 | subject:5");
    // `|` in a limit is or.
    key(&mut app, Enter);
    assert_eq!(app.list.shown(), 2);
    key(&mut app, Char('*'));
    assert_eq!(app.tags.len(), 2);
    assert_eq!(app.notice.as_deref(), Some("2 tagged"));
    let effects = key(&mut app, Char('m'));
    let marked: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Local(LocalRequest::SetFlags(u, f)) if f.contains(Flags::SEEN) => {
                Some(u.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(marked, ["u5", "u3"]);
    assert!(!app.list.get("u4").unwrap().seen());
    // Esc untags; the next m is one message again.
    key(&mut app, Esc);
    assert!(app.tags.is_empty());
}

#[test]
fn t_tags_and_moves_down_and_d_marks_every_tagged_row() {
    let mut app = app_with(4);
    key(&mut app, Char('T'));
    key(&mut app, Char('j'));
    key(&mut app, Char('T'));
    assert_eq!(selected(&app), "u1");
    let effects = key(&mut app, Char('d'));
    assert_eq!(effects.len(), 2, "{effects:?}");
    assert!(app.marks.contains("u4") && app.marks.contains("u2"));
    // Untagging by T again.
    let mut app = app_with(2);
    key(&mut app, Char('T'));
    key(&mut app, Char('k'));
    key(&mut app, Char('T'));
    assert!(app.tags.is_empty());
}

#[test]
fn m_asks_a_folder_with_completion_and_offers_to_create_a_new_one() {
    let mut app = app_with(3);
    update(
        &mut app,
        Msg::Worker(Event::Folders(
            [Folder::ALL.to_vec(), vec![own("客户"), own("项目/二期")]].concat(),
        )),
    );
    key(&mut app, Char('T'));
    key(&mut app, Char('T'));
    key(&mut app, Char('M'));
    assert!(matches!(app.prompt, Some((Prompt::Folder(_), _))));
    typed(&mut app, "项");
    key(&mut app, Tab);
    assert_eq!(app.prompt.as_ref().unwrap().1, "项目/二期");
    // Stored rows (none are here): the store moves them; not stored: the worker.
    let effects = key(&mut app, Enter);
    match &effects[..] {
        [Effect::Worker(Request::File(FileRequest {
            uidls,
            to,
            copy: false,
            learn: None,
            ..
        }))] => {
            assert_eq!(uidls.len(), 2);
            assert_eq!(*to, own("项目/二期"));
        }
        other => panic!("{other:?}"),
    }
    assert!(app.tags.is_empty());
    // The outcome: the rows leave INBOX, the worker is told.
    let effects = update(
        &mut app,
        Msg::Worker(Event::Filed(FileOutcome {
            from: Folder::Inbox,
            to: own("项目/二期"),
            copy: false,
            done: vec!["u3".into(), "u2".into()],
            left: 0,
            error: None,
        })),
    );
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Worker(Request::Refiled(u, true)) if u.len() == 2)));
    assert_eq!(app.list.len(), 1);
    assert_eq!(app.notice.as_deref(), Some("2 messages moved to 项目/二期"));
    // A new name: asked first, then created by the move itself.
    key(&mut app, Char('C'));
    typed(&mut app, "发票");
    assert!(key(&mut app, Enter).is_empty());
    assert!(matches!(app.popup, Some(Popup::ConfirmCreateFolder { .. })));
    let effects = key(&mut app, Char('y'));
    assert!(matches!(
        &effects[..],
        [Effect::Worker(Request::File(FileRequest {
            copy: true,
            ..
        }))]
    ));
    // A bad name is said, not sent.
    key(&mut app, Char('M'));
    typed(&mut app, "v1.2");
    assert!(key(&mut app, Enter).is_empty());
    assert!(app.notice.as_deref().unwrap().contains("'.'"));
}

#[test]
fn j_goes_to_junk_teaching_and_back_out_of_junk() {
    let mut app = app_with(2);
    let effects = key(&mut app, Char('J'));
    assert!(matches!(
        &effects[..],
        [Effect::Worker(Request::File(FileRequest {
            to: Folder::Junk,
            learn: Some(true),
            ..
        }))]
    ));
    app.enter_folder(Folder::Junk);
    update(
        &mut app,
        Msg::Worker(Event::FolderLoaded {
            folder: Folder::Junk,
            rows: vec![crate::sync::ListRow {
                stored: true,
                on_server: false,
                ..crate::sync::ListRow::new("j1".into(), 10)
            }],
        }),
    );
    let effects = key(&mut app, Char('J'));
    assert!(matches!(
        &effects[..],
        [Effect::Local(LocalRequest::File(FileRequest {
            to: Folder::Inbox,
            learn: Some(false),
            ..
        }))]
    ));
}

#[test]
fn b_goes_to_a_folder_and_renames_or_deletes_the_one_shown() {
    let mut app = app_with(1);
    update(
        &mut app,
        Msg::Worker(Event::Folders(
            [Folder::ALL.to_vec(), vec![own("客户")]].concat(),
        )),
    );
    key(&mut app, Char('b'));
    typed(&mut app, "客");
    key(&mut app, Tab);
    let effects = key(&mut app, Enter);
    assert_eq!(app.folder, own("客户"));
    assert!(
        matches!(&effects[..], [Effect::Local(LocalRequest::LoadFolder(f))] if *f == own("客户"))
    );
    // Ctrl-R: the prompt turns into a rename of 客户.
    key(&mut app, Char('b'));
    key(&mut app, Ctrl('r'));
    assert_eq!(app.prompt.as_ref().unwrap().1, "客户");
    key(&mut app, Ctrl('u'));
    typed(&mut app, "重要客户");
    let effects = key(&mut app, Enter);
    assert!(
        matches!(&effects[..], [Effect::Local(LocalRequest::RenameFolder(a, b))] if *a == own("客户") && *b == own("重要客户"))
    );
    update(
        &mut app,
        Msg::Worker(Event::FolderGone {
            folder: own("客户"),
            now: Some(own("重要客户")),
        }),
    );
    assert_eq!(app.folder, own("重要客户"));
    // Ctrl-D asks, y deletes.
    key(&mut app, Char('b'));
    key(&mut app, Ctrl('d'));
    assert!(matches!(app.popup, Some(Popup::ConfirmDeleteFolder { .. })));
    let effects = key(&mut app, Char('y'));
    assert!(
        matches!(&effects[..], [Effect::Local(LocalRequest::DeleteFolder(f))] if *f == own("重要客户"))
    );
    update(
        &mut app,
        Msg::Worker(Event::FolderGone {
            folder: own("重要客户"),
            now: None,
        }),
    );
    assert_eq!(app.folder, Folder::Inbox);
    assert_eq!(app.list.len(), 1, "INBOX's own list is back");
    // A built-in folder cannot be renamed.
    key(&mut app, Char('b'));
    key(&mut app, Ctrl('r'));
    assert!(app.prompt.is_none());
}
