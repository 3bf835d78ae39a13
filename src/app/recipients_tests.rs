//! The addressing prompt and the completion widget, on the pure app: `r`
//! asks `To:` (the reply's sender in place), Tab completes from the address
//! book, ↓ goes to `Cc:`, Enter writes; the compose screen's `t c b`.

use super::*;
use crate::app::recipients::Field;
use crate::contacts::{Entry, Matcher};
use crate::send::compose::ComposeKind;
use crate::send::{ComposeEvent, ComposeRequest, Recipients};

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, Char(c));
    }
}

fn book() -> Arc<Matcher> {
    Arc::new(Matcher::new(vec![
        Entry::contact("周文", "zhou.wen@corp.cn", 1.0),
        Entry::contact("张伟", "zhang.wei@corp.cn", 0.5),
        Entry::contact("李娜", "li.na@corp.cn", 0.5),
        Entry::group(
            "项目组",
            vec!["li.na@corp.cn".into(), "zhou.wen@corp.cn".into()],
            0.5,
        ),
    ]))
}

/// `r` on a stored message, the edge's answer, the book read.
fn replying() -> App {
    let mut app = app_with(3);
    app.list.get_mut(&Uidl::from("u3")).unwrap().stored = true;
    key(&mut app, Char('r'));
    let effects = update(
        &mut app,
        Msg::Compose(Box::new(ComposeEvent::Addressed {
            kind: ComposeKind::Reply,
            original: Some("u3".into()),
            to: Recipients {
                to: "sender3 <sender3@example.cn>".into(),
                ..Recipients::default()
            },
        })),
    );
    assert_eq!(effects, vec![Effect::LoadContacts]);
    update(&mut app, Msg::Contacts(Ok(book())));
    app
}

fn text(app: &App) -> &str {
    &app.prompt.as_ref().unwrap().1
}

#[test]
fn r_asks_to_with_the_sender_in_place_and_tab_completes_pinyin_initials() {
    let mut app = replying();
    assert_eq!(text(&app), "sender3 <sender3@example.cn>, ");
    typed(&mut app, "zw");
    key(&mut app, Tab);
    // Two match `zw`: the list, the better ranked one in place.
    let c = app.completion().unwrap();
    assert_eq!(
        c.labels().collect::<Vec<_>>(),
        ["周文 <zhou.wen@corp.cn>", "张伟 <zhang.wei@corp.cn>"]
    );
    assert_eq!(
        text(&app),
        "sender3 <sender3@example.cn>, 周文 <zhou.wen@corp.cn>, "
    );
    key(&mut app, Tab);
    assert_eq!(
        text(&app),
        "sender3 <sender3@example.cn>, 张伟 <zhang.wei@corp.cn>, "
    );
    // Enter keeps the one chosen; the second writes.
    assert!(key(&mut app, Enter).is_empty());
    assert!(app.completion().is_none());
    assert_eq!(
        key(&mut app, Enter),
        vec![Effect::Compose(ComposeRequest::Start {
            kind: ComposeKind::Reply,
            original: Some("u3".into()),
            to: Recipients {
                to: "sender3 <sender3@example.cn>, 张伟 <zhang.wei@corp.cn>".into(),
                ..Recipients::default()
            },
        })]
    );
    assert!(app.prompt.is_none());
}

#[test]
fn down_goes_to_cc_and_bcc_and_up_comes_back_with_each_field_kept() {
    let mut app = replying();
    key(&mut app, Ctrl('u'));
    typed(&mut app, "li.na@corp.cn");
    key(&mut app, Down);
    assert!(
        matches!(&app.prompt, Some((Prompt::Recipients(a), t)) if a.field == Field::Cc && t.is_empty())
    );
    typed(&mut app, "zhangw");
    key(&mut app, Tab);
    // One match: put in place at once, no list.
    assert_eq!(text(&app), "张伟 <zhang.wei@corp.cn>, ");
    key(&mut app, Down);
    typed(&mut app, "项目");
    key(&mut app, Tab);
    // A group: its members.
    assert_eq!(text(&app), "li.na@corp.cn, zhou.wen@corp.cn, ");
    key(&mut app, Up);
    key(&mut app, Up);
    assert_eq!(text(&app), "li.na@corp.cn");
    let effects = key(&mut app, Enter);
    assert_eq!(
        effects,
        vec![Effect::Compose(ComposeRequest::Start {
            kind: ComposeKind::Reply,
            original: Some("u3".into()),
            to: Recipients {
                to: "li.na@corp.cn".into(),
                cc: "张伟 <zhang.wei@corp.cn>".into(),
                bcc: "li.na@corp.cn, zhou.wen@corp.cn".into(),
            },
        })]
    );
}

#[test]
fn esc_in_the_list_goes_back_to_what_was_typed_and_esc_again_abandons() {
    let mut app = replying();
    key(&mut app, Ctrl('u'));
    typed(&mut app, "zw");
    key(&mut app, Tab);
    key(&mut app, Esc);
    assert_eq!(text(&app), "zw");
    assert!(app.completion().is_none());
    // Typing on after a choice keeps it.
    key(&mut app, Tab);
    typed(&mut app, "l");
    assert_eq!(text(&app), "周文 <zhou.wen@corp.cn>, l");
    assert!(key(&mut app, Esc).is_empty());
    assert!(app.prompt.is_none(), "nothing written");
}

#[test]
fn a_tab_before_the_book_is_read_completes_once_it_is() {
    let mut app = app_with(1);
    key(&mut app, Char('c'));
    let effects = update(
        &mut app,
        Msg::Compose(Box::new(ComposeEvent::Addressed {
            kind: ComposeKind::New,
            original: None,
            to: Recipients::default(),
        })),
    );
    assert_eq!(effects, vec![Effect::LoadContacts]);
    typed(&mut app, "张");
    // Still being read: no second read asked for.
    assert!(key(&mut app, Tab).is_empty());
    assert!(app.notice.is_some());
    let effects = update(&mut app, Msg::Contacts(Ok(book())));
    assert_eq!(text(&app), "张伟 <zhang.wei@corp.cn>, ");
    assert_eq!(effects, vec![Effect::QueryContacts("张".into())]);
}

#[test]
fn query_command_answers_join_the_candidates_without_repeating_an_address() {
    let mut app = replying();
    key(&mut app, Ctrl('u'));
    typed(&mut app, "wang");
    assert_eq!(
        key(&mut app, Tab),
        vec![Effect::QueryContacts("wang".into())]
    );
    assert!(app.completion().is_none());
    update(
        &mut app,
        Msg::ContactsFound {
            query: "wang".into(),
            found: vec![
                ("wang.fang@corp.cn".into(), "王芳".into()),
                ("wang@x.cn".into(), String::new()),
            ],
        },
    );
    assert_eq!(text(&app), "王芳 <wang.fang@corp.cn>, ");
    assert_eq!(app.completion().unwrap().labels().count(), 2);
    // An answer for a word no longer typed is dropped.
    key(&mut app, Enter);
    typed(&mut app, "zw");
    key(&mut app, Tab);
    update(
        &mut app,
        Msg::ContactsFound {
            query: "wang".into(),
            found: vec![("w2@x.cn".into(), String::new())],
        },
    );
    assert_eq!(app.completion().unwrap().labels().count(), 2);
    // One the book has already is not listed twice.
    update(
        &mut app,
        Msg::ContactsFound {
            query: "zw".into(),
            found: vec![
                ("Zhang.Wei@corp.cn".into(), "张伟".into()),
                ("zw@x.cn".into(), "Zoe W".into()),
            ],
        },
    );
    let labels: Vec<_> = app.completion().unwrap().labels().collect();
    assert_eq!(
        labels,
        [
            "周文 <zhou.wen@corp.cn>",
            "张伟 <zhang.wei@corp.cn>",
            "Zoe W <zw@x.cn>"
        ]
    );
}

#[test]
fn t_on_the_compose_screen_changes_the_drafts_recipients() {
    let mut app = replying();
    key(&mut app, Enter);
    update(
        &mut app,
        Msg::Compose(Box::new(ComposeEvent::Ready {
            view: crate::send::outbox::DraftView {
                id: " Ld1".into(),
                path: "/tmp/d".into(),
                draft: crate::send::draft::Draft {
                    to: "a@b.cn".into(),
                    cc: "c@d.cn".into(),
                    ..Default::default()
                },
                attachments: vec![],
            },
            changed: true,
            continued: false,
        })),
    );
    key(&mut app, Char('c'));
    assert!(
        matches!(&app.prompt, Some((Prompt::Recipients(a), t)) if a.field == Field::Cc && t == "c@d.cn, ")
    );
    typed(&mut app, "li");
    key(&mut app, Tab);
    assert_eq!(
        key(&mut app, Enter),
        vec![Effect::Compose(ComposeRequest::Readdress {
            id: " Ld1".into(),
            to: Recipients {
                to: "a@b.cn".into(),
                cc: "c@d.cn, 李娜 <li.na@corp.cn>".into(),
                bcc: String::new(),
            },
        })]
    );
}

#[test]
fn the_folder_prompt_offers_several_names_in_the_same_list() {
    let mut app = app_with(1);
    let own = |n: &str| Folder::own(n).unwrap();
    update(
        &mut app,
        Msg::Worker(Event::Folders(
            [
                Folder::ALL.to_vec(),
                vec![own("项目/一期"), own("项目/二期")],
            ]
            .concat(),
        )),
    );
    key(&mut app, Char('b'));
    typed(&mut app, "项");
    key(&mut app, Tab);
    assert_eq!(app.completion().unwrap().labels().count(), 2);
    assert_eq!(text(&app), "项目/一期");
    key(&mut app, BackTab);
    assert_eq!(text(&app), "项目/二期");
    key(&mut app, Enter);
    key(&mut app, Enter);
    assert_eq!(app.folder, own("项目/二期"));
}
