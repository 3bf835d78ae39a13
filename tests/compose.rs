//! Answering mail end to end: the real binary in tmux, `EDITOR` a script
//! that edits the draft as a user would, the private aiosmtpd delivering
//! into the private Dovecot. Reply to all, reply to a `回复：` subject, and
//! forward with the attachment; threading headers, recipients without the
//! user, one `Re: `, the quoted Chinese lines, the original flagged `r`; a
//! bad address sent back to the editor with the reason on top; a postponed
//! draft offered by `c`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use common::tmux::{postie_command, postie_pid, Tmux};
use common::{dovecot, encoded_word, smtp, User};

const EDITOR: &str = r#"#!/usr/bin/python3
# Edits a postie draft as a user would: fills an empty To, writes a line
# of text above the quote, fixes an address postie sent back. Keeps a copy
# of every draft it was given in $EDITOR_LOG.
import os, sys
path = sys.argv[1]
text = open(path, encoding='utf-8').read()
log = os.environ['EDITOR_LOG']
n = len(os.listdir(log))
open(os.path.join(log, '%02d.txt' % n), 'w', encoding='utf-8').write(text)
control = os.path.join(os.path.dirname(log), 'mode')
mode = open(control).read().strip() if os.path.exists(control) else 'write'
head, sep, body = text.partition('\n\n')
if mode == 'leave':
    sys.exit(0)
if mode == 'slow':
    open(path, 'w', encoding='utf-8').write(text.replace('\n\n', '\n\n写到一半，程序崩溃了。\n', 1))
    import time
    time.sleep(60)
    sys.exit(0)
if '# postie:' in head:
    head = head.replace('bob@', 'li@example.cn')
else:
    to = open(os.path.join(os.path.dirname(log), 'to')).read().strip() if os.path.exists(os.path.join(os.path.dirname(log), 'to')) else 'li@example.cn'
    lines = head.split('\n')
    lines = [('To: ' + to) if l.strip() == 'To:' else l for l in lines]
    # A new message gets a subject too (postie asks before sending one without).
    lines = [('Subject: 周报') if l.strip() == 'Subject:' else l for l in lines]
    head = '\n'.join(lines)
    body = '好的，收到。\n' + body
open(path, 'w', encoding='utf-8').write(head + sep + body)
"#;

fn utf8_subject(s: &str) -> String {
    encoded_word(s, encoding_rs::UTF_8)
}

fn messages() -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let forward = format!(
        "From: {} <zhao@example.cn>\r\nTo: li@example.cn\r\nSubject: {}\r\nDate: Mon, 30 Nov 2026 09:00:00 +0800\r\nMessage-ID: <f1@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1\r\nContent-Type: application/pdf; name=\"{}\"\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        utf8_subject("赵六"),
        utf8_subject("季度报告"),
        b64("报告见附件。"),
        utf8_subject("销售报告.pdf"),
        utf8_subject("销售报告.pdf"),
        base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 fake pdf bytes \x00\x01\x02"),
    );
    let reply_all = format!(
        "From: {} <wang@example.cn>\r\nTo: li@example.cn, {} <qian@example.cn>\r\nCc: zhao@example.cn, LI@old.example.cn\r\nSubject: {}\r\nDate: Tue, 1 Dec 2026 10:00:00 +0800\r\nMessage-ID: <p1@example.cn>\r\nIn-Reply-To: <p0@example.cn>\r\nReferences: <p0@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        utf8_subject("王总"),
        utf8_subject("钱七"),
        utf8_subject("Re: 项目进度"),
        b64("项目进度如下：\n第一阶段已完成。\n")
    );
    let huifu = format!(
        "From: {} <qian@example.cn>\r\nTo: li@example.cn\r\nSubject: {}\r\nDate: Tue, 1 Dec 2026 09:30:00 +0800\r\nMessage-ID: <h1@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        utf8_subject("钱七"),
        utf8_subject("回复：项目进度"),
        b64("收到，谢谢。\n")
    );
    // Oldest first, by arrival and by date alike: message 1 is the
    // forward's, 3 (on top) the reply-all's.
    vec![
        forward.into_bytes(),
        huifu.into_bytes(),
        reply_all.into_bytes(),
    ]
}

struct Setup {
    tmux: Tmux,
    home: tempfile::TempDir,
    log: PathBuf,
}

fn start(d: &common::Dovecot, s: &smtp::Smtp) -> Setup {
    start_with(d, s, "")
}

/// `top`: top-level config lines (before the account's table).
fn start_with(d: &common::Dovecot, s: &smtp::Smtp, top: &str) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("editor-log");
    std::fs::create_dir_all(&log).unwrap();
    let editor = home.path().join("editor.py");
    std::fs::write(&editor, EDITOR).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let config = smtp::account_toml(
        d,
        "starttls",
        "alternates = [\"li@old.example.cn\"]\nsignature = \"李明\\n产品部\"\n",
        &s.toml("starttls", "auto", Some(&d.ca_file)),
    );
    let cfg = home.path().join("config.toml");
    std::fs::write(&cfg, format!("{top}{config}")).unwrap();
    let command = format!(
        "env VISUAL= EDITOR='{}' EDITOR_LOG='{}' {}",
        editor.display(),
        log.display(),
        postie_command(&cfg, &d.password("li"), home.path())
    );
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("3 messages", 20);
    Setup { tmux, home, log }
}

/// The private Dovecot (user li with `messages()`) and aiosmtpd delivering into it.
fn servers() -> Option<(common::Dovecot, smtp::Smtp)> {
    let d = dovecot::own(vec![User::new("li", messages())], "")?;
    let s = smtp::own(&d, "li", &d.password("li"), "li")?;
    Some((d, s))
}

fn seen(log: &Path, n: usize) -> String {
    std::fs::read_to_string(log.join(format!("{n:02}.txt"))).unwrap_or_default()
}

fn rendered(raw: &[u8]) -> postie::mime::Rendered {
    postie::mime::Rendered::from_message(raw, &Default::default())
}

/// The `To:` prompt that `r a f c` open before the editor.
fn to_prompt(t: &Tmux) -> String {
    t.wait_for("Tab: complete", 20)
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim())
}

#[test]
fn reply_all_reply_and_forward_from_the_reader() {
    let Some((d, s)) = servers() else {
        return;
    };
    let st = start(&d, &s);
    let t = &st.tmux;

    // Reply to all from the list (the message is downloaded first); the
    // To: prompt has them in place, Enter takes them.
    t.keys(&["a"]);
    let prompt = to_prompt(t);
    assert!(
        prompt.contains("To: 王总 <wang@example.cn>, 钱七 <qian@example.cn>, ▏"),
        "{prompt}"
    );
    t.keys(&["Enter"]);
    let screen = t.wait_for("Send? (y: send", 20);
    assert!(
        screen.contains("wang@example.cn") && screen.contains("qian@example.cn"),
        "{screen}"
    );
    assert!(screen.contains("Subject: Re: 项目进度"), "{screen}");
    let draft = seen(&st.log, 0);
    assert!(
        draft.contains("To: 王总 <wang@example.cn>, 钱七 <qian@example.cn>\n"),
        "{draft}"
    );
    assert!(draft.contains("Cc: zhao@example.cn\n"), "{draft}");
    assert!(
        draft.contains(
            "On Tue, 1 Dec 2026 10:00:00 +0800, 王总 wrote:\n> 项目进度如下：\n> 第一阶段已完成。"
        ),
        "{draft}"
    );
    assert!(draft.contains("\n-- \n李明\n产品部"), "{draft}");
    t.keys(&["y"]);
    t.wait_for("sent to", 20);
    let got = s.received();
    assert_eq!(got.len(), 1);
    let raw = String::from_utf8_lossy(&got[0].bytes).into_owned();
    assert_eq!(header(&raw, "In-Reply-To"), Some("<p1@example.cn>"));
    assert_eq!(
        header(&raw, "References"),
        Some("<p0@example.cn> <p1@example.cn>")
    );
    let mut rcpt = got[0].rcpt_tos.clone();
    rcpt.sort();
    assert_eq!(
        rcpt,
        vec!["qian@example.cn", "wang@example.cn", "zhao@example.cn"],
        "the user's own addresses are left out"
    );
    let r = rendered(&got[0].bytes);
    assert_eq!(r.subject, "Re: 项目进度");
    assert!(r.body.starts_with("好的，收到。\n"), "{}", r.body);
    assert!(r.body.contains("> 第一阶段已完成。"), "{}", r.body);
    // The original now shows `r` (answered) in the list.
    let screen = t.screen();
    let row = screen
        .lines()
        .find(|l| l.contains("Re: 项目进度"))
        .unwrap_or("");
    assert!(row.contains(" r "), "{screen}");

    // Reply to `回复：项目进度`: one `Re: `.
    t.keys(&["j", "r"]);
    to_prompt(t);
    t.keys(&["Enter"]);
    t.wait_for("Send? (y: send", 20);
    t.keys(&["y"]);
    t.wait_for("sent to", 20);
    let got = s.received();
    assert_eq!(got.len(), 2);
    assert_eq!(rendered(&got[1].bytes).subject, "Re: 项目进度");
    assert_eq!(got[1].rcpt_tos, vec!["qian@example.cn"]);

    // Forward from the reader: the attachment goes along.
    t.keys(&["j", "Enter"]);
    t.wait_for("报告见附件", 20);
    t.keys(&["f"]);
    to_prompt(t);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Send? (y: send", 20);
    assert!(screen.contains("销售报告.pdf"), "{screen}");
    t.keys(&["y"]);
    t.wait_for("sent to", 20);
    let got = s.received();
    assert_eq!(got.len(), 3);
    let r = rendered(&got[2].bytes);
    assert_eq!(r.subject, "Fwd: 季度报告");
    assert!(
        r.body.contains("---------- Forwarded message ----------"),
        "{}",
        r.body
    );
    let parts = postie::mime::attachment_parts(&got[2].bytes, &Default::default());
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].file_name, "销售报告.pdf");
    assert_eq!(parts[0].bytes, b"%PDF-1.4 fake pdf bytes \x00\x01\x02");
    // Back where the user was: the reader on the forwarded message.
    assert!(t.screen().contains("报告见附件"));

    // The Sent folder has the three; Drafts none; new mail (the three, delivered) shows on R.
    let sent = std::fs::read_dir(st.home.path().join("data/postie/test/Sent/cur"))
        .unwrap()
        .count();
    assert_eq!(sent, 3);
    t.keys(&["h", "R"]);
    t.wait_for("6 messages", 20);
    t.keys(&["x"]);
    // For the README's figure (cargo test --test compose -- --nocapture).
    let log =
        std::fs::read_to_string(st.home.path().join("state/postie/postie.log")).unwrap_or_default();
    for l in log.lines().filter(|l| l.contains(" sent ")) {
        eprintln!("y to 250: {l}");
    }
}

#[test]
fn a_bad_address_goes_back_to_the_editor_and_a_postponed_draft_waits() {
    let Some((d, s)) = servers() else {
        return;
    };
    let st = start(&d, &s);
    let t = &st.tmux;
    std::fs::write(st.home.path().join("to"), "bob@").unwrap();
    t.keys(&["c"]);
    to_prompt(t);
    t.keys(&["Enter"]);
    t.wait_for("Send? (y: send", 20);
    t.keys(&["y"]);
    // Back in the editor, which fixes the address; then the compose screen again.
    let start = std::time::Instant::now();
    while seen(&st.log, 1).is_empty() && start.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let second = seen(&st.log, 1);
    assert!(
        second.starts_with("# postie: To: \"bob@\" is not an e-mail address\n"),
        "{second}"
    );
    t.wait_for("Send? (y: send", 20);
    // Postpone it: it waits in Drafts, and c offers it.
    t.keys(&["p"]);
    t.wait_for("postponed", 10);
    assert_eq!(s.received().len(), 0);
    std::fs::write(st.home.path().join("mode"), "leave").unwrap();
    t.keys(&["c"]);
    t.wait_for("1 draft waiting", 10);
    t.keys(&["Enter"]);
    t.wait_for("Send? (y: send", 20);
    t.keys(&["y"]);
    t.wait_for("sent to li@example.cn", 20);
    assert_eq!(s.received().len(), 1);
    let drafts = std::fs::read_dir(st.home.path().join("data/postie/test/Drafts/cur"))
        .unwrap()
        .count();
    assert_eq!(drafts, 0);
    // A new draft left unchanged is abandoned without a question.
    t.keys(&["c"]);
    to_prompt(t);
    t.keys(&["Enter"]);
    t.wait_for("nothing sent, nothing kept", 20);
    t.keys(&["x"]);
}

#[test]
fn a_crash_while_the_editor_is_open_leaves_the_draft_in_drafts() {
    let Some((d, s)) = servers() else {
        return;
    };
    let st = start(&d, &s);
    std::fs::write(st.home.path().join("mode"), "slow").unwrap();
    st.tmux.keys(&["c"]);
    to_prompt(&st.tmux);
    st.tmux.keys(&["Enter"]);
    let drafts = st.home.path().join("data/postie/test/Drafts/cur");
    let start_t = std::time::Instant::now();
    let written = loop {
        let text: Vec<String> = std::fs::read_dir(&drafts)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(t) = text.into_iter().find(|t| t.contains("写到一半")) {
            break t;
        }
        assert!(start_t.elapsed().as_secs() < 20, "the editor never saved");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(written.contains("From: 李明 <li@example.cn>"), "{written}");
    let pid = postie_pid(st.home.path()).expect("postie is running");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    st.tmux.wait_for("EXITED:", 10);
    // Started again: the draft is offered, with what the user wrote.
    let cfg = st.home.path().join("config.toml");
    let again = Tmux::start(
        &format!(
            "env EDITOR=true {}",
            postie_command(&cfg, &d.password("li"), st.home.path())
        ),
        100,
        30,
    );
    again.wait_for("3 messages", 20);
    again.keys(&["c"]);
    again.wait_for("1 draft waiting", 10);
    again.keys(&["Enter"]);
    let screen = again.wait_for("Send? (y: send", 20);
    assert!(screen.contains("写到一半，程序崩溃了。"), "{screen}");
    again.keys(&["p", "x"]);
    assert_eq!(s.received().len(), 0);
}

/// The issue's walk: `r` → `To:` → `zw` Tab → 张伟 → the editor has
/// `To: 张伟 <…>`; once mail went to 张伟 the same letters offer 张伟 first.
#[test]
fn the_to_prompt_completes_from_the_address_book_and_sent_mail_ranks_first() {
    let Some((d, s)) = servers() else {
        return;
    };
    // An external address book (as khard would answer, mutt's format).
    let book = tempfile::tempdir().unwrap();
    let script = book.path().join("khard.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'searching'\ncase \"$1\" in *wang*) printf 'wang.fang@corp.cn\\t王芳\\tkhard\\n';; esac\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let st = start_with(
        &d,
        &s,
        &format!("query_command = \"{} %s\"\n", script.display()),
    );
    let t = &st.tmux;
    // Two contacts answer `zw`; 周文 sorts first while neither was written to.
    let vcf = st.home.path().join("people.vcf");
    std::fs::write(
        &vcf,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:周文\r\nEMAIL:zhou.wen@corp.cn\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张伟\r\nEMAIL:zhang.wei@corp.cn\r\nEND:VCARD\r\n",
    )
    .unwrap();
    let imported = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .args(["contacts", "--import"])
        .arg(&vcf)
        .env("HOME", st.home.path())
        .env("XDG_DATA_HOME", st.home.path().join("data"))
        .status()
        .unwrap();
    assert!(imported.success());

    t.keys(&["r"]);
    let prompt = to_prompt(t);
    assert!(prompt.contains("To: 王总 <wang@example.cn>, ▏"), "{prompt}");
    t.keys(&["C-u", "zw", "Tab"]);
    let screen = t.wait_for(" 1/2 ", 10);
    assert!(
        screen.contains("To: 周文 <zhou.wen@corp.cn>, ▏"),
        "{screen}"
    );
    assert!(screen.contains("张伟 <zhang.wei@corp.cn>"), "{screen}");
    t.keys(&["Tab"]);
    let screen = t.wait_for(" 2/2 ", 10);
    assert!(
        screen.contains("To: 张伟 <zhang.wei@corp.cn>, ▏"),
        "{screen}"
    );
    // Enter keeps the choice, the second opens the editor.
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Send? (y: send", 20);
    let draft = seen(&st.log, 0);
    assert!(
        draft.starts_with("From: 李明 <li@example.cn>\nTo: 张伟 <zhang.wei@corp.cn>\n"),
        "{draft}"
    );
    t.keys(&["y"]);
    t.wait_for("sent to", 20);
    let got = s.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, vec!["zhang.wei@corp.cn"]);

    // Written to once: 张伟 now comes first for the same letters.
    t.keys(&["c"]);
    to_prompt(t);
    t.keys(&["zw", "Tab"]);
    let screen = t.wait_for(" 1/2 ", 10);
    assert!(
        screen.contains("To: 张伟 <zhang.wei@corp.cn>, ▏"),
        "{screen}"
    );
    t.keys(&["Escape", "Escape", "x"]);
    t.wait_for("EXITED:", 10);
    // And the address book says so from the command line too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .args(["contacts", "--mutt", "zw"])
        .env("HOME", st.home.path())
        .env("XDG_DATA_HOME", st.home.path().join("data"))
        .env("POSTIE_CONFIG", st.home.path().join("config.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().nth(1).unwrap_or_default();
    assert!(first.starts_with("zhang.wei@corp.cn\t张伟"), "{text}");
}
