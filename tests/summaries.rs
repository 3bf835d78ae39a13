//! Summaries (what the list shows) against a real Dovecot and SMTP server:
//! a change of `fallback_charset` decodes them again without losing one (the
//! Sent copy, known only here, keeps its subject and recipient), checked
//! through postie's own `list --json` and through Python's `sqlite3` reading
//! the index; old Foxmail mail (GBK in `iso-8859-1` words) reads alike in the
//! list and the reader.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Command;

use common::{dovecot, postie_in, postie_with_stdin, smtp, User};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new("tests/fixtures").join(name)).unwrap()
}

/// Every row of the index as Python's sqlite3 reads it: (folder, subject, recipient).
fn index_rows(home: &Path) -> Vec<(String, Option<String>, String)> {
    let index = home.join("data/postie/test/index.sqlite");
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import json, sqlite3, sys\n\
             c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
             print(json.dumps(c.execute('SELECT folder, subject, recipient FROM messages ORDER BY uidl').fetchall()))",
        ])
        .arg(&index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `list --json --offline`, rows by uidl, after the store's background pass
/// has finished (`search` finishes it before it answers).
fn listing(home: &Path, config: &str, pw: &str) -> (Vec<serde_json::Value>, String) {
    let search = postie_in(home, config, Some(pw), &["search", "复现"]);
    let list = postie_in(home, config, Some(pw), &["list", "--json", "--offline"]);
    assert_eq!(list.status, 0, "{}", list.stderr);
    let mut rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    rows.sort_by_key(|r| r["uidl"].as_str().unwrap_or_default().to_string());
    (rows, format!("{}{}", search.stderr, list.stderr))
}

#[test]
fn changing_fallback_charset_decodes_summaries_again_and_loses_none() {
    let foxmail = fixture("58-foxmail-multipart.eml");
    let users = vec![User::new(
        "li",
        vec![
            common::message(
                "Alice <alice@example.com>",
                "plain ascii",
                "Mon, 2 Dec 2024 10:05:00 +0800",
                "",
                "hello",
            ),
            foxmail.clone(),
            fixture("19-raw-8bit-no-charset.eml"),
        ],
    )];
    let Some(d) = dovecot::own(users, "") else {
        return;
    };
    let pw = d.password("li");
    let Some(s) = smtp::own(&d, "li", &pw, "li") else {
        return;
    };
    let table = s.toml("starttls", "auto", Some(&d.ca_file));
    let plain = smtp::account_toml(&d, "none", "", &table);
    let gbk = smtp::account_toml(&d, "none", "fallback_charset = \"gbk\"", &table);
    let home = tempfile::tempdir().unwrap();
    let sent = postie_with_stdin(
        home.path(),
        &plain,
        Some(&pw),
        &[
            "send",
            "--to",
            "王芳 <wang@example.cn>",
            "--subject",
            "复现：已发送主题",
        ],
        Some("正文\n".as_bytes()),
    );
    assert_eq!(sent.status, 0, "{}", sent.stderr);
    let fetched = postie_in(home.path(), &plain, Some(&pw), &["fetch"]);
    assert_eq!(fetched.status, 0, "{}", fetched.stderr);
    let (before, _) = listing(home.path(), &plain, &pw);
    // Three, and the sent message delivered back to li.
    assert_eq!(before.len(), 4, "{before:?}");
    let index_before = index_rows(home.path());

    let (after, said) = listing(home.path(), &gbk, &pw);
    assert!(said.contains("stored mail is decoded again"), "{said}");
    // The same messages, the same everything; a subject or sender may read
    // differently (that is the point), but none is lost.
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        for field in [
            "uidl",
            "size",
            "date",
            "seen",
            "flagged",
            "answered",
            "stored",
            "on_server",
        ] {
            assert_eq!(b[field], a[field], "{field}: {b} / {a}");
        }
        assert!(!a["subject"].as_str().unwrap().is_empty(), "{a}");
        assert!(!a["from"].as_str().unwrap().is_empty(), "{a}");
    }
    let foxmail_row = |rows: &[serde_json::Value]| {
        rows.iter()
            .find(|r| r["from_address"] == "chenjunqing@example.com")
            .map(|r| (r["subject"].clone(), r["from"].clone()))
            .unwrap()
    };
    assert_eq!(
        foxmail_row(&after),
        (serde_json::json!("邮件示例"), serde_json::json!("陈俊清"))
    );
    assert_eq!(foxmail_row(&before), foxmail_row(&after));

    // The Sent copy (known only here) still has its subject, read by Python.
    let sent_row = |rows: &[(String, Option<String>, String)]| {
        rows.iter()
            .find(|(folder, _, _)| folder == "Sent")
            .cloned()
            .unwrap()
    };
    let index_after = index_rows(home.path());
    assert_eq!(index_before.len(), index_after.len());
    assert!(
        index_after.iter().all(|(_, subject, _)| subject.is_some()),
        "{index_after:?}"
    );
    assert_eq!(
        sent_row(&index_after).1.as_deref(),
        Some("复现：已发送主题")
    );
    // What Sent shows in the sender's place: the recipient.
    assert_eq!(sent_row(&index_after).2, "王芳");

    // And back again: nothing lost either way.
    let (back, _) = listing(home.path(), &plain, &pw);
    assert_eq!(back, before);
    assert_eq!(
        sent_row(&index_rows(home.path())).1.as_deref(),
        Some("复现：已发送主题")
    );
}
