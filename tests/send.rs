//! `postie send` against a real SMTP server (aiosmtpd, STARTTLS required and
//! implicit TLS, AUTH) that delivers into the private Dovecot: what postie
//! sends is read back over POP3 by postie, and by Python's `email` package
//! from the exact bytes the server received. Failure paths keep the draft.
//! CRAM-MD5 and a server without STARTTLS are scripted here (aiosmtpd offers
//! neither).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{dovecot, postie_in, postie_with_stdin, smtp, Account, User};

const BODY: &str = "王总，您好：\n\n附件是第一季度销售报告，请查收。\n\n此致\n李明\n";

fn account(d: &common::Dovecot, smtp_table: &str) -> String {
    smtp::account_toml(d, "none", "", smtp_table)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(d) = std::fs::read_dir(dir.join(sub)) {
            out.extend(d.flatten().map(|e| e.path()));
        }
    }
    out.sort();
    out
}

fn store(home: &Path, folder: &str) -> Vec<PathBuf> {
    files_in(&home.join("data/postie/test").join(folder))
}

/// What Python's email package (policy default) reads from `raw`.
fn python_reads(raw: &Path) -> serde_json::Value {
    let script = r#"
import email, email.policy, hashlib, json, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
a = m['from'].addresses[0]
out = {
  'subject': str(m['subject']),
  'from_name': a.display_name, 'from_addr': a.addr_spec,
  'to': [x.addr_spec for x in m['to'].addresses],
  'body': m.get_body(('plain',)).get_content(),
  'attachments': [[p.get_filename(), hashlib.sha256(p.get_content()).hexdigest()] for p in m.iter_attachments()],
  'message_id': str(m['message-id'] or ''), 'date': str(m['date'] or ''),
  'bcc': m['bcc'] is not None,
}
print(json.dumps(out))
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(raw)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python's json")
}

fn sha256(bytes: &[u8]) -> String {
    let mut child = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("python");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_chinese_message_with_an_attachment_arrives_intact() {
    let Some(d) = dovecot::own(vec![User::new("li", vec![])], "") else {
        return;
    };
    let Some(s) = smtp::own(&d, "li", &d.password("li"), "li") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = account(&d, &s.toml("starttls", "auto", Some(&d.ca_file)));
    let pdf: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let att = home.path().join("销售报告.pdf");
    std::fs::write(&att, &pdf).unwrap();
    let att_arg = att.display().to_string();
    let run = postie_with_stdin(
        home.path(),
        &config,
        Some(&d.password("li")),
        &[
            "send",
            "--to",
            "王总 <li@example.cn>",
            "--bcc",
            "boss@example.cn",
            "--subject",
            "第一季度销售报告",
            "--attach",
            &att_arg,
        ],
        Some(BODY.as_bytes()),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout_text()
            .starts_with("sent to li@example.cn, boss@example.cn"),
        "{}",
        run.stdout_text()
    );

    let got = s.received();
    assert_eq!(got.len(), 1);
    let raw = &got[0].bytes;
    assert_eq!(got[0].mail_from, "li@example.cn");
    assert_eq!(got[0].rcpt_tos, vec!["li@example.cn", "boss@example.cn"]);
    assert!(raw.split(|&b| b == b'\n').all(|l| l.len() <= 998));
    let text = String::from_utf8_lossy(raw);
    assert!(!text.to_ascii_lowercase().contains("bcc:"), "{text}");
    assert!(
        !text.contains("boss@"),
        "the Bcc address leaked into the message"
    );

    // Python's email package, from the bytes the server received.
    let raw_path = home.path().join("received.eml");
    std::fs::write(&raw_path, raw).unwrap();
    let py = python_reads(&raw_path);
    assert_eq!(py["subject"], "第一季度销售报告");
    assert_eq!(py["from_name"], "李明");
    assert_eq!(py["from_addr"], "li@example.cn");
    assert_eq!(py["body"].as_str().unwrap().replace("\r\n", "\n"), BODY);
    assert_eq!(py["attachments"][0][0], "销售报告.pdf");
    assert_eq!(py["attachments"][0][1], sha256(&pdf));
    assert!(py["message_id"].as_str().unwrap().ends_with("@example.cn>"));
    assert!(!py["date"].as_str().unwrap().is_empty());
    assert_eq!(py["bcc"], false);

    // The Sent copy is exactly what went out; Drafts is empty again.
    let sent = store(home.path(), "Sent");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        &std::fs::read(&sent[0]).unwrap() == raw,
        "the Sent copy differs from the bytes the server received"
    );
    assert!(sent[0].to_string_lossy().ends_with(":2,S"));
    assert!(store(home.path(), "Drafts").is_empty());

    // Read back over POP3 with postie: the same text and the same bytes.
    let pop = Account {
        port: d.plain_port,
        tls: "none",
        user: "li",
        auth: "user",
        ca_file: None,
        pipelining: true,
    }
    .toml();
    let reader = tempfile::tempdir().unwrap();
    let show = postie_in(reader.path(), &pop, Some(&d.password("li")), &["show", "1"]);
    assert_eq!(show.status, 0, "{}", show.stderr);
    let shown = show.stdout_text();
    assert!(shown.contains("Subject: 第一季度销售报告"), "{shown}");
    assert!(shown.contains("From: 李明 <li@example.cn>"), "{shown}");
    assert!(
        shown.contains("附件是第一季度销售报告，请查收。"),
        "{shown}"
    );
    assert!(shown.contains("销售报告.pdf"), "{shown}");
    let out = reader.path().join("out");
    let out_arg = out.display().to_string();
    let save = postie_in(
        reader.path(),
        &pop,
        Some(&d.password("li")),
        &["save", "1", "--dir", &out_arg],
    );
    assert_eq!(save.status, 0, "{}", save.stderr);
    assert!(
        std::fs::read(out.join("销售报告.pdf")).unwrap() == pdf,
        "the attachment changed"
    );
    let raw_back = postie_in(
        reader.path(),
        &pop,
        Some(&d.password("li")),
        &["show", "1", "--raw"],
    );
    // Dovecot-lda adds its own trace headers on top; the message itself follows unchanged.
    assert!(
        raw_back.stdout.windows(raw.len()).any(|w| w == &raw[..]),
        "the delivered message differs from what was sent"
    );
}

#[test]
fn implicit_tls_with_auth_login_sends() {
    let Some(d) = dovecot::own(vec![User::new("li", vec![])], "") else {
        return;
    };
    let Some(s) = smtp::own(&d, "li", &d.password("li"), "li") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = account(&d, &s.toml("implicit", "login", Some(&d.ca_file)));
    let run = postie_with_stdin(
        home.path(),
        &config,
        Some(&d.password("li")),
        &["send", "--to", "li@example.cn", "--subject", "hello"],
        Some(b"plain ASCII body\n"),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(s.received().len(), 1);
}

/// Sends one message expecting failure; returns stderr and the draft left behind.
fn failing_send(config: &str, password: &str, to: &str, home: &Path) -> (String, String) {
    let run = postie_with_stdin(
        home,
        config,
        Some(password),
        &["send", "--to", to, "--subject", "季度报告"],
        Some(BODY.as_bytes()),
    );
    assert_ne!(run.status, 0, "the send should fail: {}", run.stdout_text());
    assert!(run.stderr.contains("kept in Drafts"), "{}", run.stderr);
    let drafts = store(home, "Drafts");
    assert_eq!(drafts.len(), 1, "the draft must stay: {drafts:?}");
    assert!(
        run.stderr.contains(&drafts[0].display().to_string()),
        "{}",
        run.stderr
    );
    assert!(store(home, "Sent").is_empty());
    let draft = String::from_utf8(std::fs::read(&drafts[0]).unwrap()).unwrap();
    assert!(draft.contains("附件是第一季度销售报告"), "{draft}");
    (run.stderr, draft)
}

#[test]
fn failures_keep_the_draft_and_say_why() {
    let Some(d) = dovecot::own(vec![User::new("li", vec![])], "") else {
        return;
    };
    let Some(s) = smtp::own(&d, "li", &d.password("li"), "li") else {
        return;
    };
    let ok = s.toml("starttls", "auto", Some(&d.ca_file));

    // A wrong password: the server's 535, nothing sent.
    let home = tempfile::tempdir().unwrap();
    let wrong = account(&d, &format!("{ok}password = \"not-it\"\n"));
    let (err, draft) = failing_send(&wrong, &d.password("li"), "li@example.cn", home.path());
    assert!(
        err.contains("refused the login") && err.contains("535"),
        "{err}"
    );
    assert!(draft.contains("X-Postie-Status: not sent"), "{draft}");
    assert_eq!(s.received().len(), 0);

    // A refused recipient: 550, nothing sent to anyone.
    let home = tempfile::tempdir().unwrap();
    let (err, _) = failing_send(
        &account(&d, &ok),
        &d.password("li"),
        "refused@example.cn",
        home.path(),
    );
    assert!(
        err.contains("550") && err.contains("refused@example.cn"),
        "{err}"
    );
    assert_eq!(s.received().len(), 0);

    // An untrusted certificate: no ca_file anywhere.
    let home = tempfile::tempdir().unwrap();
    let untrusted = account(&d, &s.toml("starttls", "auto", None))
        .replace(&format!("ca_file = \"{}\"\n", d.ca_file.display()), "");
    let (err, _) = failing_send(&untrusted, &d.password("li"), "li@example.cn", home.path());
    assert!(err.contains("TLS"), "{err}");
    assert_eq!(s.received().len(), 0);

    // Dropped after the message: it did arrive, and the draft says it may have been sent.
    let home = tempfile::tempdir().unwrap();
    let (err, draft) = failing_send(
        &account(&d, &ok),
        &d.password("li"),
        "drop@example.cn",
        home.path(),
    );
    assert!(err.contains("may have been sent"), "{err}");
    assert!(
        draft.contains("X-Postie-Status: may have been sent"),
        "{draft}"
    );
    assert_eq!(s.received().len(), 1);

    // An address that cannot be sent to: refused before a draft is written.
    let home = tempfile::tempdir().unwrap();
    let run = postie_with_stdin(
        home.path(),
        &account(&d, &ok),
        Some(&d.password("li")),
        &["send", "--to", "bob@", "--subject", "季度报告"],
        Some(BODY.as_bytes()),
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("bob@"), "{}", run.stderr);
    assert!(store(home.path(), "Drafts").is_empty(), "no draft written");
    assert_eq!(s.received().len(), 1);
}

/// A scripted SMTP server for what aiosmtpd does not do: it answers from
/// `ehlo` and records every line the client sends.
fn scripted(
    ehlo: &'static [&'static str],
    cram: Option<(&'static str, &'static str)>,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let Ok((stream, _)) = listener.accept() else {
            return seen;
        };
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let _ = out.write_all(b"220 scripted ESMTP\r\n");
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let l = line.trim_end().to_string();
            seen.push(l.clone());
            if in_data {
                if l == "." {
                    in_data = false;
                    let _ = out.write_all(b"250 2.0.0 accepted\r\n");
                }
                continue;
            }
            let up = l.to_ascii_uppercase();
            let reply: String = if up.starts_with("EHLO") {
                let mut r = String::new();
                for (i, e) in ehlo.iter().enumerate() {
                    let sep = if i + 1 == ehlo.len() { ' ' } else { '-' };
                    r.push_str(&format!("250{sep}{e}\r\n"));
                }
                r
            } else if up == "AUTH CRAM-MD5" {
                use base64::Engine;
                let c = base64::engine::general_purpose::STANDARD
                    .encode("<1896.697170952@postoffice.reston.mci.net>");
                format!("334 {c}\r\n")
            } else if let Some((_, expected)) = cram.filter(|_| {
                seen.len() >= 2 && seen[seen.len() - 2].eq_ignore_ascii_case("AUTH CRAM-MD5")
            }) {
                if l == expected {
                    "235 2.7.0 Authentication successful\r\n".into()
                } else {
                    "535 5.7.8 bad\r\n".into()
                }
            } else if up.starts_with("MAIL") || up.starts_with("RCPT") {
                "250 2.1.0 ok\r\n".into()
            } else if up == "DATA" {
                in_data = true;
                "354 go ahead\r\n".into()
            } else if up == "QUIT" {
                let _ = out.write_all(b"221 bye\r\n");
                break;
            } else {
                "502 5.5.2 not here\r\n".into()
            };
            let _ = out.write_all(reply.as_bytes());
        }
        seen
    });
    (port, handle)
}

fn scripted_account(port: u16, tls: &str, auth: &str, user: &str) -> String {
    format!(
        "[accounts.test]\nhost = \"127.0.0.1\"\nport = 1\ntls = \"none\"\nuser = \"{user}\"\nemail = \"tim@example.com\"\n\n[accounts.test.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\nauth = \"{auth}\"\ntimeout = 10\n"
    )
}

#[test]
fn cram_md5_answers_the_rfc_2195_challenge() {
    // RFC 2195's worked example: user tim, password tanstaaftanstaaf.
    let (port, server) = scripted(
        &["scripted", "AUTH CRAM-MD5", "8BITMIME"],
        Some(("tim", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")),
    );
    let home = tempfile::tempdir().unwrap();
    let run = postie_with_stdin(
        home.path(),
        &scripted_account(port, "none", "auto", "tim"),
        Some("tanstaaftanstaaf"),
        &["send", "--to", "you@example.com", "--subject", "cram"],
        Some(b"hello\n"),
    );
    let seen = server.join().unwrap();
    assert_eq!(run.status, 0, "{} / {seen:?}", run.stderr);
    assert!(seen.iter().any(|l| l == "AUTH CRAM-MD5"), "{seen:?}");
    assert!(seen
        .iter()
        .any(|l| l == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"));
    assert!(
        seen.iter()
            .any(|l| l.starts_with("MAIL FROM:<tim@example.com>")),
        "{seen:?}"
    );
}

#[test]
fn starttls_required_but_not_offered_sends_no_password() {
    let (port, server) = scripted(&["scripted", "AUTH PLAIN LOGIN", "8BITMIME"], None);
    let home = tempfile::tempdir().unwrap();
    let run = postie_with_stdin(
        home.path(),
        &scripted_account(port, "starttls", "auto", "tim"),
        Some("secret-password"),
        &["send", "--to", "you@example.com", "--subject", "no tls"],
        Some(b"hello\n"),
    );
    let seen = server.join().unwrap();
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains("does not offer STARTTLS"),
        "{}",
        run.stderr
    );
    assert!(
        !seen
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("AUTH")),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("MAIL")),
        "{seen:?}"
    );
    assert_eq!(store(home.path(), "Drafts").len(), 1);
}

#[test]
fn an_unreachable_server_is_a_temporary_failure_that_keeps_the_draft() {
    let home = tempfile::tempdir().unwrap();
    let config = "[accounts.test]\nhost = \"127.0.0.1\"\nport = 1\ntls = \"none\"\nuser = \"tim\"\nemail = \"tim@example.com\"\n\n[accounts.test.smtp]\nhost = \"127.0.0.1\"\nport = 1\ntls = \"none\"\ntimeout = 5\n";
    let run = postie_with_stdin(
        home.path(),
        config,
        Some("pw"),
        &["send", "--to", "you@example.com", "--subject", "x"],
        Some(b"hello\n"),
    );
    // Nothing listens on port 1: a temporary failure (75), the draft kept.
    assert_eq!(run.status, 75, "{}", run.stderr);
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
    assert_eq!(store(home.path(), "Drafts").len(), 1);
}

#[test]
fn in_reply_to_and_a_prepared_draft() {
    let original = common::message(
        &format!(
            "{} <wang@example.cn>",
            common::encoded_word("王总", encoding_rs::UTF_8)
        ),
        &common::encoded_word("回复：项目进度", encoding_rs::UTF_8),
        "Tue, 1 Dec 2026 10:00:00 +0800",
        "Reply-To: pm@example.cn\r\nContent-Type: text/html; charset=utf-8\r\n",
        "<html><body><p>进度<b>很好</b>。</p></body></html>\n",
    );
    let Some(d) = dovecot::own(vec![User::new("li", vec![original])], "") else {
        return;
    };
    let Some(s) = smtp::own(&d, "li", &d.password("li"), "li") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = account(&d, &s.toml("starttls", "auto", Some(&d.ca_file)));
    let pw = d.password("li");
    let list = postie_in(home.path(), &config, Some(&pw), &["list", "--json"]);
    assert_eq!(list.status, 0, "{}", list.stderr);
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let uidl = rows[0]["uidl"].as_str().unwrap().to_string();
    let message_id = {
        // The Message-ID common::message gave it.
        let show = postie_in(home.path(), &config, Some(&pw), &["show", "1", "--raw"]);
        let raw = show.stdout_text();
        raw.lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap()
            .trim()
            .to_string()
    };
    // --in-reply-to: threading, one Re:, Reply-To as the recipient; sent
    // from Shanghai, Date carries +0800 (the sender's offset, not UTC).
    let run = common::postie_with_env(
        home.path(),
        &config,
        Some(&pw),
        &["send", "--in-reply-to", &uidl],
        Some("好的。\n".as_bytes()),
        &[
            ("TZ", "Asia/Shanghai"),
            ("LANG", "zh_CN.UTF-8"),
            ("LC_ALL", ""),
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let got = s.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, vec!["pm@example.cn"]);
    let raw = String::from_utf8_lossy(&got[0].bytes).into_owned();
    assert!(raw.contains(&format!("In-Reply-To: {message_id}")), "{raw}");
    let r = postie::mime::Rendered::from_message(&got[0].bytes, &Default::default());
    assert_eq!(r.subject, "Re: 项目进度");
    assert!(r.body.starts_with("好的。"), "{}", r.body);
    // Python's email reads the Date's offset.
    let eml = home.path().join("reply.eml");
    std::fs::write(&eml, &got[0].bytes).unwrap();
    let py = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import email, email.policy, sys\n\
             m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)\n\
             print(m['date'].datetime.utcoffset().total_seconds())",
        ])
        .arg(&eml)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&py.stdout);
    assert!(out.starts_with("28800.0\n"), "Date in +0800: {out}");
    let list = postie_in(
        home.path(),
        &config,
        Some(&pw),
        &["list", "--json", "--offline"],
    );
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows[0]["answered"], true, "the original is marked answered");

    // --draft FILE: the editor's format, From filled in, an attachment added.
    let draft = home.path().join("prepared.txt");
    std::fs::write(
        &draft,
        "To: 钱七 <qian@example.cn>; zhao@example.cn\nSubject: 周报\n\n本周完成了三项工作。\n",
    )
    .unwrap();
    let att = home.path().join("周报.xlsx");
    std::fs::write(&att, b"PK\x03\x04 not really a spreadsheet").unwrap();
    let run = postie_with_stdin(
        home.path(),
        &config,
        Some(&pw),
        &[
            "send",
            "--draft",
            &draft.display().to_string(),
            "--attach",
            &att.display().to_string(),
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let got = s.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].rcpt_tos, vec!["qian@example.cn", "zhao@example.cn"]);
    let r = postie::mime::Rendered::from_message(&got[1].bytes, &Default::default());
    assert_eq!(r.subject, "周报");
    assert!(r.from.starts_with("李明 <li@example.cn>"), "{}", r.from);
    assert!(r.body.contains("本周完成了三项工作。"));
    assert_eq!(r.attachments.len(), 1);
    assert_eq!(r.attachments[0].name, "周报.xlsx");
    assert!(
        r.attachments[0].mime_type.contains("spreadsheetml"),
        "{}",
        r.attachments[0].mime_type
    );
}
