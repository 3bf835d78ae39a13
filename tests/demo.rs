//! The built-in demo server passes the client tests it can: listing, raw and
//! decoded fetches, and POP3 deletion semantics (marks until QUIT, nothing on a
//! drop, RSET clears, one session at a time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

use std::process::Command;

use postie::demo::{demo_messages, to_crlf, DemoServer, FILES};
use postie::pop3::{Client, Pop3Error};

fn run_postie(args: &[&str]) -> (i32, Vec<u8>, String) {
    // An empty HOME and no POSTIE_CONFIG: no account, so the demo opens.
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_postie"))
        .args(args)
        .env_remove("POSTIE_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", home.path())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_json_without_a_config_is_the_demo_mailbox_newest_first() {
    let (status, stdout, stderr) = run_postie(&["list", "--json"]);
    assert_eq!(status, 0, "{stderr}");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(rows.len(), FILES.len());
    assert!(rows.len() >= 12);
    for (i, row) in rows.iter().enumerate() {
        let n = FILES.len() - i;
        assert_eq!(row["number"].as_u64(), Some(n as u64));
        let (name, bytes) = FILES[n - 1];
        assert_eq!(
            row["uidl"].as_str(),
            Some(format!("demo-{}", name.trim_end_matches(".eml")).as_str())
        );
        assert_eq!(row["size"].as_u64(), Some(to_crlf(bytes).len() as u64));
    }
    let welcome = rows.last().unwrap();
    assert_eq!(welcome["subject"], "Welcome to postie");
    assert_eq!(welcome["from"], "postie");
    assert_eq!(welcome["from_address"], "hello@postie.demo");
    assert_eq!(welcome["date"], "2024-06-03T09:00:00+08:00");
    // The hostile subject arrives sanitised: no ESC, no bidi override.
    let hostile = rows
        .iter()
        .find(|r| r["uidl"] == "demo-15-hostile")
        .unwrap();
    let subject = hostile["subject"].as_str().unwrap();
    assert!(
        !subject.contains('\u{1b}') && !subject.contains('\u{202e}'),
        "{subject:?}"
    );
    assert!(subject.contains("^[[31mOVERDUE"), "{subject:?}");
}

#[test]
fn demo_flag_and_plain_postie_open_the_demo_too() {
    let (status, stdout, _) = run_postie(&["--demo", "list"]);
    assert_eq!(status, 0);
    assert_eq!(
        String::from_utf8_lossy(&stdout).lines().count(),
        FILES.len()
    );
    // Plain `postie` is the interactive reader; without a terminal it says what to use instead.
    let (status, stdout, stderr) = run_postie(&[]);
    assert_ne!(status, 0);
    assert!(stdout.is_empty());
    assert_eq!(stderr, "postie: the interactive reader needs a terminal; use `postie list` or `postie show N` in scripts and pipes\n");
}

#[test]
fn show_decodes_gb2312_and_raw_is_the_message_bytes() {
    let (status, stdout, stderr) = run_postie(&["show", "2", "--demo"]);
    assert_eq!(status, 0, "{stderr}");
    let text = String::from_utf8(stdout).unwrap();
    assert!(
        text.starts_with("From: 李明 <liming@example.cn>\nTo: 王经理 <wang@example.cn>\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "\nSubject: 第二季度销售报告\n\n王经理：\n\n您好！附件是第二季度的销售报告，请查收。\n"
        ),
        "{text}"
    );

    let (status, stdout, _) = run_postie(&["show", "14", "--raw"]);
    assert_eq!(status, 0);
    assert_eq!(stdout, to_crlf(FILES[13].1));

    let (status, stdout, _) = run_postie(&["show", "7"]);
    assert_eq!(status, 0);
    let text = String::from_utf8(stdout).unwrap();
    assert!(
        text.contains("\nAttachments:\n  1. 销售报告.pdf (2.0K)\n  2. 数据汇总.csv (34B)\n"),
        "{text}"
    );

    let (status, _, stderr) = run_postie(&["show", "99"]);
    assert_ne!(status, 0);
    assert_eq!(
        stderr,
        format!("postie: no message 99 (mailbox has {})\n", FILES.len())
    );
}

async fn connect(server: &DemoServer) -> Client {
    Client::connect(&postie::accounts::demo_client_config(server))
        .await
        .unwrap()
}

#[tokio::test]
async fn deletions_are_marks_until_quit() {
    let server = DemoServer::start(demo_messages()).await.unwrap();
    let all = server.uidls();

    // DELE + QUIT deletes exactly the marked messages.
    let mut c = connect(&server).await;
    assert!(c.dele(&[1, 3]).await.unwrap().is_empty());
    assert_eq!(server.uidls(), all, "nothing gone before QUIT");
    c.quit().await.unwrap();
    let expected: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 0 && *i != 2)
        .map(|(_, u)| u.clone())
        .collect();
    assert_eq!(server.uidls(), expected);

    // DELE + RSET + QUIT deletes nothing; so does quit_discarding.
    let mut c = connect(&server).await;
    c.dele(&[1, 2]).await.unwrap();
    c.rset().await.unwrap();
    c.quit().await.unwrap();
    let mut c = connect(&server).await;
    c.dele(&[1]).await.unwrap();
    c.quit_discarding().await.unwrap();
    assert_eq!(server.uidls(), expected);

    // DELE then a dropped connection deletes nothing.
    let mut c = connect(&server).await;
    c.dele(&[1, 2, 3]).await.unwrap();
    drop(c);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(server.uidls(), expected);

    // A marked message cannot be fetched or marked again; a missing one is refused.
    let mut c = connect(&server).await;
    c.dele(&[1]).await.unwrap();
    let err = c.retr(1).await.unwrap_err();
    assert!(
        matches!(
            err,
            Pop3Error::Refused {
                command: "RETR",
                ..
            }
        ),
        "{err}"
    );
    let refused = c.dele(&[1, 999]).await.unwrap();
    assert_eq!(
        refused.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1, 999]
    );
    c.quit_discarding().await.unwrap();
}

#[tokio::test]
async fn one_session_at_a_time() {
    let server = DemoServer::start(demo_messages()).await.unwrap();
    let first = connect(&server).await;
    let err = Client::connect(&postie::accounts::demo_client_config(&server))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "login failed: [IN-USE] the demo mailbox is open in another session (another client has this mailbox open, perhaps another postie; POP3 allows one session at a time)"
    );
    first.quit().await.unwrap();
    connect(&server).await.quit().await.unwrap();
}

#[tokio::test]
async fn apop_works_against_the_demo() {
    let server = DemoServer::start(demo_messages()).await.unwrap();
    let mut cfg = postie::accounts::demo_client_config(&server);
    cfg.auth = postie::pop3::AuthPreference::Apop;
    let mut c = Client::connect(&cfg).await.unwrap();
    assert_eq!(c.auth_method(), postie::pop3::AuthMethod::Apop);
    assert_eq!(c.stat().await.unwrap().count as usize, FILES.len());
    cfg.password = postie::secret::Secret::new("wrong");
    c.quit().await.unwrap();
    let err = Client::connect(&cfg).await.unwrap_err().to_string();
    assert!(err.starts_with("login failed: [AUTH]"), "{err}");
}
