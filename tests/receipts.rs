//! Read receipts against the real servers: a message in the private Dovecot
//! asks for one (`Disposition-Notification-To`); opened in the real reader
//! (tmux), postie asks, and `y` sends an RFC 8098 report through the real
//! SMTP server, which Python's `email` reads as a valid
//! `multipart/report; report-type=disposition-notification`. Opened again
//! after a restart, nothing is asked and nothing more is sent ($MDNSent).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::process::Command;

use common::tmux::{postie_command, Tmux};
use common::{dovecot, encoded_word, smtp, User};

fn asking() -> Vec<u8> {
    format!(
        "From: {} <wang@example.cn>\r\nTo: li@example.cn\r\nSubject: {}\r\nDate: Tue, 1 Dec 2026 10:00:00 +0800\r\nMessage-ID: <ask1@example.cn>\r\nDisposition-Notification-To: wang@example.cn\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n请确认收到。\r\n",
        encoded_word("王总", encoding_rs::UTF_8),
        encoded_word("合同草案", encoding_rs::UTF_8),
    )
    .into_bytes()
}

/// What Python's email reads of a receipt: its type, report-type, the
/// disposition part's fields.
fn python_reads(raw: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mdn.eml");
    std::fs::write(&path, raw).unwrap();
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import email, email.policy, sys\n\
             m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)\n\
             print(m.get_content_type(), m.get_param('report-type'))\n\
             parts = list(m.iter_parts())\n\
             print(len(parts), parts[0].get_content_type(), parts[1].get_content_type())\n\
             print(parts[0].get_content().strip())\n\
             fields = parts[1].get_payload()[0]\n\
             print(fields['Disposition'])\n\
             print(fields['Original-Message-ID'])\n\
             print(fields['Final-Recipient'])\n\
             print(m['subject'])",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_receipt_is_asked_sent_once_and_valid() {
    let Some(d) = dovecot::own(vec![User::new("li", vec![asking()])], "") else {
        return;
    };
    // The test SMTP server delivers what it takes to li (the receipt too).
    let Some(s) = smtp::own(&d, "li", &d.password("li"), "li") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    std::fs::write(
        &cfg,
        smtp::account_toml(
            &d,
            "starttls",
            "",
            &s.toml("starttls", "auto", Some(&d.ca_file)),
        ),
    )
    .unwrap();
    let command = postie_command(&cfg, &d.password("li"), home.path());
    let t = Tmux::start(&command, 100, 30);
    t.wait_for("1 message", 20);
    t.keys(&["Enter"]);
    t.wait_for("asks for a read receipt (to wang@example.cn)", 20);
    t.keys(&["y"]);
    t.wait_for("read receipt sent to wang@example.cn", 20);
    let got = s.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].mail_from, "<>", "a null return path");
    assert_eq!(got[0].rcpt_tos, vec!["wang@example.cn"]);
    let read = python_reads(&got[0].bytes);
    let lines: Vec<&str> = read.lines().collect();
    assert_eq!(
        lines[0], "multipart/report disposition-notification",
        "{read}"
    );
    assert_eq!(
        lines[1], "2 text/plain message/disposition-notification",
        "{read}"
    );
    assert!(lines[2].contains("合同草案"), "{read}");
    assert_eq!(lines[3], "manual-action/MDN-sent-manually; displayed");
    assert_eq!(lines[4], "<ask1@example.cn>");
    assert_eq!(lines[5], "rfc822;li@example.cn");
    assert_eq!(lines[6], "Read: 合同草案");
    t.keys(&["q", "q"]);
    t.wait_for("EXITED:0", 10);
    drop(t);

    // Again, after a restart: no question, no second receipt. (The receipt
    // itself arrived too: newest, on top.)
    let t = Tmux::start(&command, 100, 30);
    t.wait_for("2 messages", 20);
    t.keys(&["j", "Enter"]);
    t.wait_for("请确认收到", 20);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let screen = t.screen();
    assert!(!screen.contains("read receipt"), "{screen}");
    assert_eq!(s.received().len(), 1);
    t.keys(&["q", "q"]);
    t.wait_for("EXITED:0", 10);
}
