//! Screens as a person sees them: 80×24 (and one 200×50) TestBackend
//! snapshots, reviewed by hand when they change (`cargo insta review`).

use std::sync::Arc;

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::app::keymap::Key;
use crate::app::{update, App, HeaderInfo, Msg};
use crate::error::{ErrorClass, Failure};
use crate::mime::{Attachment, Rendered, Summary, SummaryParts};
use crate::sync::ListRow;
use crate::worker::Event;

/// Newest first by arrival and by date alike (the list sorts by date).
const MESSAGES: &[(&str, &str, &str, u64, bool)] = &[
    ("第二季度销售报告", "李明", "06-14 10:15", 6990, false),
    ("Re: 项目进度", "孙丽", "06-12 12:30", 626, false),
    ("Your weekly digest", "Digest", "06-10 15:00", 656, false),
    (
        "报告附件：销售报告.pdf 和 数据汇总.csv，请在周五之前查收并回复意见",
        "李明",
        "06-09 11:00",
        3_686_400,
        true,
    ),
    (
        "Invoice ^[[31mOVERDUE^[[0m <U+202E>gpj.exe",
        "Mallory",
        "06-08 11:03",
        495,
        false,
    ),
    ("繁體中文測試郵件", "陳大文", "06-07 20:05", 363, false),
    (
        "A message with a broken Date header",
        "old-client@example.net",
        "sat, SEP 2000 13:34:18 +0800",
        241,
        false,
    ),
];

fn app(width: u16, height: u16, loaded: usize) -> App {
    let mut app = App::new(
        HeaderInfo {
            account: "work".into(),
            server: "pop.example.cn:995".into(),
            mode: "TLS".into(),
        },
        width,
        height,
    );
    let entries = MESSAGES
        .iter()
        .enumerate()
        .map(|(i, m)| ListRow::new(format!("u{i}").into(), m.3))
        .collect();
    update(&mut app, Msg::Worker(Event::Indexed(entries)));
    let batch = MESSAGES
        .iter()
        .enumerate()
        .take(loaded)
        .map(|(i, m)| {
            // "MM-DD HH:MM" in 2024, shown in UTC; anything else is an unreadable date.
            let time =
                chrono::NaiveDateTime::parse_from_str(&format!("2024-{}", m.2), "%Y-%m-%d %H:%M")
                    .ok()
                    .map(|t| (t.and_utc().timestamp(), 0));
            (
                format!("u{i}").into(),
                Arc::new(Summary::new(m.0, m.1, "", m.2, time, m.4)),
            )
        })
        .collect();
    update(&mut app, Msg::Worker(Event::HeadersLoaded(batch)));
    // Fixed zone: the list shows local time, which differs between machines.
    app.set_zone(chrono::FixedOffset::east_opt(0));
    app
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.width(), app.height())).unwrap();
    t.draw(|f| super::draw(f, app)).unwrap();
    t.backend().to_string()
}

fn keys(app: &mut App, keys: &[Key]) {
    for k in keys {
        update(app, Msg::Key(*k));
    }
}

#[test]
fn empty_mailbox() {
    let mut a = App::new(
        HeaderInfo {
            account: "demo".into(),
            server: "127.0.0.1:41234".into(),
            mode: "demo".into(),
        },
        80,
        24,
    );
    update(&mut a, Msg::Worker(Event::Indexed(vec![])));
    insta::assert_snapshot!(screen(&a));
}

/// A first visit: the newest rows are in, the index (UIDLs, sizes) is not.
#[test]
fn preview_before_the_index() {
    let mut a = App::new(
        HeaderInfo {
            account: "work".into(),
            server: "pop.example.cn:995".into(),
            mode: "TLS".into(),
        },
        80,
        24,
    );
    a.set_zone(chrono::FixedOffset::east_opt(0));
    let rows = MESSAGES
        .iter()
        .take(3)
        .map(|m| Arc::new(Summary::new(m.0, m.1, "", m.2, None, m.4)))
        .collect();
    update(
        &mut a,
        Msg::Worker(Event::Preview {
            count: 100_000,
            rows,
        }),
    );
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn loading() {
    insta::assert_snapshot!(screen(&app(80, 24, 3)));
}

#[test]
fn full_list_with_chinese_subjects() {
    let mut a = app(80, 24, MESSAGES.len());
    keys(&mut a, &[Key::Char('j'), Key::Char('d'), Key::Char('d')]);
    let text = screen(&a);
    // Alignment: the size column ends in the last cell of every row, whatever
    // the mix of two-cell Chinese and one-cell Latin before it.
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| super::draw(f, &a)).unwrap();
    let buf = t.backend().buffer().clone();
    for row in 2..2 + MESSAGES.len() as u16 {
        let last = buf[(79, row)].symbol().to_string();
        assert!(
            last == "B" || last == "K" || last == "M",
            "row {row} ends with {last:?}:\n{text}"
        );
        let first_of_size = buf[(73, row)].symbol().to_string();
        assert_ne!(
            first_of_size, "",
            "row {row}: a wide character spills into the size column"
        );
    }
    insta::assert_snapshot!(text);
}

fn reader_app() -> App {
    let mut a = app(80, 24, MESSAGES.len());
    keys(&mut a, &[Key::Enter]);
    let rendered = Rendered {
        from: "李明 <liming@example.cn>".into(),
        to: "王经理 <wang@example.cn>".into(),
        cc: String::new(),
        date: "Tue, 4 Jun 2024 10:15:00 +0800".into(),
        date_local: String::new(),
        subject: "第二季度销售报告".into(),
        body: "王经理：\n\n您好！附件是第二季度的销售报告，请查收。本季度销售额同比增长百分之十二，华东区表现最好，华南区次之，西北区仍需努力。\n\n此致\n敬礼\n\n李明".into(),
        attachments: vec![Attachment { part: 1, name: "销售报告.pdf".into(), size: 2_048_000, mime_type: "application/pdf".into() }],
        summary: None,
        ..Default::default()
    };
    update(
        &mut a,
        Msg::Worker(Event::BodyLoaded {
            uidl: "u0".into(),
            rendered: Arc::new(rendered),
        }),
    );
    a
}

#[test]
fn reader_on_a_chinese_message() {
    insta::assert_snapshot!(screen(&reader_app()));
}

#[test]
fn reader_while_a_large_message_downloads() {
    let mut a = app(80, 24, MESSAGES.len());
    keys(
        &mut a,
        &[Key::Char('j'), Key::Char('j'), Key::Char('j'), Key::Enter],
    );
    update(
        &mut a,
        Msg::Worker(Event::BodyProgress {
            uidl: "u3".into(),
            received: 1_048_576,
            total: 3_686_400,
        }),
    );
    insta::assert_snapshot!(screen(&a));
}

/// A message over 8 MB: its first part is on screen, the status line says
/// how much is shown and how far the download is; then the whole message.
#[test]
fn reader_shows_the_first_part_of_a_large_message() {
    let mut a = app(80, 24, MESSAGES.len());
    keys(
        &mut a,
        &[Key::Char('j'), Key::Char('j'), Key::Char('j'), Key::Enter],
    );
    let part = Rendered {
        from: "李明 <liming@example.cn>".into(),
        subject: "报告附件".into(),
        body: "正文在前面。\n附件在后面。".into(),
        ..Default::default()
    };
    for e in [
        Event::BodyProgress {
            uidl: "u3".into(),
            received: 524_288,
            total: 36_864_000,
        },
        Event::BodyPartial {
            uidl: "u3".into(),
            rendered: Arc::new(part.clone()),
            shown: 524_288,
            total: 36_864_000,
        },
        Event::BodyProgress {
            uidl: "u3".into(),
            received: 18_432_000,
            total: 36_864_000,
        },
    ] {
        update(&mut a, Msg::Worker(e));
    }
    let during = screen(&a);
    assert!(during.contains("正文在前面。"), "{during}");
    insta::assert_snapshot!(during);
    let whole = Rendered {
        attachments: vec![Attachment {
            part: 1,
            name: "数据.zip".into(),
            size: 36_000_000,
            mime_type: "application/zip".into(),
        }],
        ..part
    };
    update(
        &mut a,
        Msg::Worker(Event::BodyLoaded {
            uidl: "u3".into(),
            rendered: Arc::new(whole),
        }),
    );
    let after = screen(&a);
    assert!(
        after.contains("数据.zip") && !after.contains("downloaded"),
        "{after}"
    );
}

#[test]
fn delete_confirmation() {
    let mut a = app(80, 24, MESSAGES.len());
    keys(
        &mut a,
        &[
            Key::Char('d'),
            Key::Char('d'),
            Key::Char('d'),
            Key::Char('q'),
        ],
    );
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn help() {
    let mut a = app(80, 24, MESSAGES.len());
    keys(&mut a, &[Key::Char('?')]);
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn login_error_popup() {
    let mut a = App::new(
        HeaderInfo {
            account: "work".into(),
            server: "pop.example.cn:995".into(),
            mode: "TLS".into(),
        },
        80,
        24,
    );
    update(
        &mut a,
        Msg::Worker(Event::Failed(Failure::new(
            ErrorClass::Login,
            "login failed: [AUTH] Authentication failed. (check the user name and password)",
        ))),
    );
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn connection_lost_status() {
    let mut a = app(80, 24, MESSAGES.len());
    keys(&mut a, &[Key::Char('d'), Key::Char('d')]);
    update(
        &mut a,
        Msg::Worker(Event::ConnectionLost {
            reason: "connection reset by the server".into(),
            uncommitted: 2,
        }),
    );
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn wide_terminal_200x50() {
    let mut a = app(200, 50, MESSAGES.len());
    keys(&mut a, &[Key::Char('j'), Key::Char('j'), Key::Char('d')]);
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn two_accounts_in_the_sidebar_one_refused() {
    let work = app(100, 24, MESSAGES.len());
    let mut qq = App::new(
        HeaderInfo {
            account: "qq".into(),
            server: "pop.qq.com:995".into(),
            mode: "TLS".into(),
        },
        100,
        24,
    );
    update(
        &mut qq,
        Msg::Worker(Event::Failed(Failure::new(
            ErrorClass::Login,
            "login failed: [AUTH] Please use the authorization code",
        ))),
    );
    let desk = crate::app::desk::Desk::new(vec![work, qq]);
    let mut t = Terminal::new(TestBackend::new(100, 24)).unwrap();
    t.draw(|f| super::draw_desk(f, &desk)).unwrap();
    let shown = t.backend().to_string();
    assert!(shown.contains("✗ login failed"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn a_popup_over_wide_characters_keeps_its_border() {
    // At both widths one of the popup's edges falls inside a CJK character.
    for width in [80u16, 81] {
        let mut a = reader_app();
        update(&mut a, Msg::Resize(width, 24));
        keys(&mut a, &[Key::Char('?')]);
        // Drawn through the backend's diff, as a terminal receives it.
        let mut t = Terminal::new(TestBackend::new(width, 24)).unwrap();
        t.draw(|f| super::draw(f, &a)).unwrap();
        let buf = t.backend().buffer().clone();
        let (left, top) = (0..24u16)
            .find_map(|y| {
                (0..width)
                    .find(|&x| buf[(x, y)].symbol() == "┌")
                    .map(|x| (x, y))
            })
            .expect("the help pop-up");
        let bottom = (top..24)
            .find(|&y| buf[(left, y)].symbol() == "└")
            .expect("its bottom");
        for y in top + 1..bottom {
            assert_eq!(
                buf[(left, y)].symbol(),
                "│",
                "width {width}, row {y}: the left border is missing\n{}",
                screen(&a)
            );
        }
    }
}

#[test]
fn at_narrow_widths_the_subject_keeps_priority() {
    for width in [40u16, 50, 60, 70] {
        let c = super::columns(width as usize);
        assert!(
            c.subject >= c.from,
            "{width}: subject {} < from {}",
            c.subject,
            c.from
        );
        assert!(c.subject > 1, "{width}");
        let a = app(width, 24, MESSAGES.len());
        let shown = screen(&a);
        assert!(shown.contains("Your we"), "{width}:\n{shown}");
    }
    // Wide terminals are as before.
    assert_eq!(super::columns(80).from, 18);
    assert_eq!(super::columns(120).from, 24);
}

#[test]
fn rows_carry_their_styles_unread_marked_selected() {
    use ratatui::style::{Color, Modifier};
    let mut a = app(80, 24, MESSAGES.len());
    // Row 0 selected; row 1 marked; row 2 read.
    keys(
        &mut a,
        &[
            Key::Char('j'),
            Key::Char('d'),
            Key::Char('m'),
            Key::Char('g'),
        ],
    );
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| super::draw(f, &a)).unwrap();
    let buf = t.backend().buffer().clone();
    // Column 8 is in the date: ASCII, never under a wide character.
    let style_at = |row: u16| buf[(8, row + 2)].style();
    let first = style_at(0);
    assert!(
        first.add_modifier.contains(Modifier::REVERSED),
        "selected: {first:?}"
    );
    assert!(
        first.add_modifier.contains(Modifier::BOLD),
        "unread: {first:?}"
    );
    let marked = style_at(1);
    assert!(
        marked.add_modifier.contains(Modifier::CROSSED_OUT) && marked.fg == Some(Color::Red),
        "marked: {marked:?}"
    );
    assert!(!marked.add_modifier.contains(Modifier::REVERSED));
    let read = style_at(2);
    assert!(
        !read.add_modifier.contains(Modifier::BOLD),
        "read: {read:?}"
    );
    assert!(
        style_at(3).add_modifier.contains(Modifier::BOLD),
        "unread: {:?}",
        style_at(3)
    );
}

#[test]
fn text_from_the_store_is_sanitised_at_the_screen() {
    // A summary as a damaged or planted index could hold it: never decoded,
    // so never sanitised on the way in.
    let mut a = app(100, 24, MESSAGES.len());
    let evil = Summary::new(
        "Invoice \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}gpj.exe",
        "Mallory\u{1b}[31m",
        "m@example.com",
        "",
        None,
        false,
    );
    update(
        &mut a,
        Msg::Worker(Event::HeadersLoaded(vec![("u0".into(), Arc::new(evil))])),
    );
    let mut t = Terminal::new(TestBackend::new(100, 24)).unwrap();
    t.draw(|f| super::draw(f, &a)).unwrap();
    let shown: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!shown.contains(bad), "{bad:?} reached the screen");
    }
    assert!(shown.contains("Invoice ^[]52;c;ZXZpbA==^G"), "{shown}");
}

/// The quit question says how many marked messages get no copy in Trash,
/// wrapped inside the pop-up at 80 columns.
#[test]
fn the_quit_question_says_which_deletions_get_no_copy() {
    let mut a = app(80, 24, MESSAGES.len()).with_trash_download_limit(1);
    keys(&mut a, &[Key::Char('d'), Key::Char('d'), Key::Char('q')]);
    let s = screen(&a);
    assert!(s.contains("Delete 2 messages from the server?"), "{s}");
    assert!(s.contains("2 of them are over"), "{s}");
    assert!(s.contains("trash_download_limit (1B)"), "{s}");
    assert!(s.contains("in Trash."), "{s}");
    assert!(s.contains("y  delete them and quit"), "{s}");
}

/// A text part that only says "view this in HTML" and an HTML alternative:
/// the status line says which is shown and that the other exists; H swaps
/// them; y lists the HTML part's links too.
#[test]
fn h_shows_the_html_alternative_and_the_status_line_says_which() {
    let mut a = app(80, 24, MESSAGES.len());
    keys(&mut a, &[Key::Enter]);
    let raw = "From: bank@example.cn\r\nSubject: bill\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n请用 HTML 查看\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>本期应还 1,234.00 元</p><a href=\"https://bank.example.cn/pay\">立即还款</a>\r\n--b--\r\n";
    let rendered = Rendered::from_message(raw.as_bytes(), &Default::default());
    update(
        &mut a,
        Msg::Worker(Event::BodyLoaded {
            uidl: "u0".into(),
            rendered: Arc::new(rendered),
        }),
    );
    let s = screen(&a);
    assert!(s.contains("请用 HTML 查看"), "{s}");
    assert!(s.contains("text part (H: the HTML part)"), "{s}");
    keys(&mut a, &[Key::Char('H')]);
    let s = screen(&a);
    assert!(
        s.contains("本期应还 1,234.00 元") && !s.contains("请用 HTML 查看"),
        "{s}"
    );
    assert!(s.contains("HTML part (H: the text part)"), "{s}");
    keys(&mut a, &[Key::Char('y')]);
    let s = screen(&a);
    assert!(s.contains("https://bank.example.cn/pay"), "{s}");
}

/// Sent and Drafts show whom a message is to (`To: 王芳`), not the sender.
#[test]
fn sent_shows_the_recipient() {
    let mut a = app(80, 24, MESSAGES.len());
    let mut row = ListRow::new("s1".into(), 300);
    row.on_server = false;
    row.stored = true;
    row.summary = Some(Arc::new(Summary::whole(&SummaryParts {
        subject: "复现：已发送主题",
        from: "我",
        from_address: "me@example.cn",
        recipient: "王芳",
        ids: [""; 4],
        date_raw: "",
        date: Some((1_717_467_300, 480)),
        maybe_attachment: false,
    })));
    update(
        &mut a,
        Msg::Worker(Event::FolderLoaded {
            folder: crate::store::Folder::Sent,
            rows: vec![row],
        }),
    );
    keys(&mut a, &[Key::Tab]);
    let s = screen(&a);
    assert!(
        s.contains("To: 王芳") && s.contains("复现：已发送主题"),
        "{s}"
    );
    assert!(!s.contains("我  "), "{s}");
}

/// A folded thread's count stays on screen however long its subject.
#[test]
fn a_folded_threads_count_survives_a_long_subject() {
    let mut a = app(80, 24, 0);
    let long = "报告附件：销售报告.pdf 和 数据汇总.csv，请在周五之前查收并回复意见，谢谢大家的配合";
    let raw = |id: &str, refs: &str| {
        format!(
            "From: a@b.c\r\nSubject: {long}\r\nMessage-ID: <{id}@x>\r\n{refs}Date: Tue, 4 Jun 2024 10:00:00 +0800\r\n\r\n"
        )
    };
    let batch = vec![
        (
            "u0".into(),
            Arc::new(Summary::from_headers(
                raw("r", "References: <p@x>\r\n").as_bytes(),
                &Default::default(),
            )),
        ),
        (
            "u1".into(),
            Arc::new(Summary::from_headers(
                raw("p", "").as_bytes(),
                &Default::default(),
            )),
        ),
    ];
    update(&mut a, Msg::Worker(Event::HeadersLoaded(batch)));
    // The threading job runs on a thread of its own in the reader; here, at once.
    let effects = update(&mut a, Msg::Key(Key::Char('t')));
    let Some(crate::app::Effect::Thread { job, .. }) = effects
        .into_iter()
        .find(|e| matches!(e, crate::app::Effect::Thread { .. }))
    else {
        panic!("t asks for threads")
    };
    update(
        &mut a,
        Msg::Threaded {
            folder: crate::store::Folder::Inbox,
            generation: job.generation,
            layout: Arc::new(job.run()),
        },
    );
    keys(&mut a, &[Key::Char('z')]);
    let s = screen(&a);
    assert!(s.contains("(2 messages"), "{s}");
}

#[test]
fn the_to_prompt_lists_the_contacts_that_match() {
    use crate::contacts::{Entry, Matcher};
    use crate::send::compose::ComposeKind;
    use crate::send::{ComposeEvent, Recipients};
    let mut a = app(80, 24, 7);
    update(
        &mut a,
        Msg::Compose(Box::new(ComposeEvent::Addressed {
            kind: ComposeKind::New,
            original: None,
            to: Recipients::default(),
        })),
    );
    update(
        &mut a,
        Msg::Contacts(Ok(Arc::new(Matcher::new(vec![
            Entry::contact("周文", "zhou.wen@corp.cn", 1.0),
            Entry::contact("张伟", "zhang.wei@corp.cn", 0.5),
            Entry::contact("Zoe \u{1b}[31mWang", "zoe@x.cn", 0.1),
        ])))),
    );
    keys(&mut a, &[Key::Char('z'), Key::Tab, Key::Tab]);
    insta::assert_snapshot!(screen(&a));
}
