//! POP3 servers other than Dovecot, as `../shared/notes/other-pop3-servers.md`
//! found them: fake servers on 127.0.0.1 that behave exactly so where Cyrus
//! and Courier differ from Dovecot (checked by hand against the real servers):
//! - Cyrus pop3d discards whatever arrives together with `AUTH`;
//! - Courier's login process `exec`s the mail process after PASS/AUTH, so
//!   whatever it read ahead is lost, and without `UTF8` (RFC 6856) a message
//!   with raw 8-bit headers is replaced by a "Cannot display Unicode content"
//!   notice.
//!
//! postie must read both with the default config, and a failure at or right
//! after the login must be an error in words, never an empty list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use postie::pop3::{AuthMethod, AuthPreference, Client};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Discards input that arrived with AUTH.
    Cyrus,
    /// Loses read-ahead after PASS/AUTH; substitutes a notice without UTF8.
    Courier,
    /// Refuses AUTH PLAIN (`-ERR`, or `code`), takes USER/PASS.
    RefusesPlain(Option<&'static str>),
    /// Logs in, then never answers again.
    SilentAfterLogin,
}

impl Kind {
    fn greeting_and_capa(self) -> (&'static str, &'static str) {
        match self {
            Kind::Cyrus => (
                "+OK host Cyrus POP3 3.6.1 server ready <1.2@host>",
                "SASL PLAIN LOGIN\r\nSTLS\r\nEXPIRE NEVER\r\nLOGIN-DELAY 0\r\nTOP\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nUSER\r\nIMPLEMENTATION Cyrus POP3 3.6.1\r\n",
            ),
            Kind::Courier => (
                "+OK Hello there.",
                "SASL PLAIN LOGIN\r\nSTLS\r\nTOP\r\nUSER\r\nLOGIN-DELAY 10\r\nPIPELINING\r\nUIDL\r\nUTF8 USER\r\nIMPLEMENTATION Courier Mail Server\r\n",
            ),
            Kind::RefusesPlain(_) | Kind::SilentAfterLogin => (
                "+OK ready",
                "SASL PLAIN\r\nTOP\r\nUSER\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\n",
            ),
        }
    }
}

/// Two messages: plain ASCII, and Foxmail-era raw GBK headers (fixture 18).
fn mailbox() -> Vec<Vec<u8>> {
    vec![
        common::message(
            "Alice <alice@example.com>",
            "plain ascii",
            "Mon, 2 Dec 2024 10:05:00 +0800",
            "",
            "hello",
        ),
        std::fs::read("tests/fixtures/18-raw-8bit-gbk-declared.eml").unwrap(),
    ]
}

/// The subject of fixture 18 as its GBK bytes say.
fn gbk_subject() -> String {
    let raw = std::fs::read("tests/fixtures/18-raw-8bit-gbk-declared.eml").unwrap();
    let start = raw.windows(9).position(|w| w == b"Subject: ").unwrap() + 9;
    let end = start + raw[start..].iter().position(|&b| b == b'\r').unwrap();
    encoding_rs::GBK.decode(&raw[start..end]).0.into_owned()
}

/// What Courier sends a client that did not say UTF8, for a message with
/// raw 8-bit headers.
fn notice(original: &[u8]) -> Vec<u8> {
    let mut m = b"From: Mail Delivery Subsystem <MAILER-DAEMON@host>\r\nSubject: Cannot display Unicode content\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_n1\"\r\n\r\n--=_n1\r\nContent-Type: text/plain\r\n\r\nThis message cannot be displayed.\r\n\r\n--=_n1\r\nContent-Type: message/global\r\n\r\n".to_vec();
    m.extend_from_slice(original);
    m.extend_from_slice(b"\r\n--=_n1--\r\n");
    m
}

fn has_8bit_headers(m: &[u8]) -> bool {
    let end = m
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(m.len());
    m[..end].iter().any(|b| *b >= 0x80)
}

fn dot_stuffed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Serves `kind` on 127.0.0.1, any number of sessions one after another.
/// Returns the port and every command line each session received.
async fn serve(kind: Kind) -> (u16, Arc<Mutex<Vec<Vec<String>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let sessions = log.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let index = {
                let mut all = sessions.lock().unwrap();
                all.push(Vec::new());
                all.len() - 1
            };
            session(kind, sock, sessions.clone(), index).await;
        }
    });
    (port, log)
}

async fn session(
    kind: Kind,
    sock: tokio::net::TcpStream,
    log: Arc<Mutex<Vec<Vec<String>>>>,
    index: usize,
) {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    let (greeting, capa) = kind.greeting_and_capa();
    let messages = mailbox();
    let mut utf8 = false;
    let mut logged_in = false;
    let mut user_ok = false;
    let _ = w.write_all(format!("{greeting}\r\n").as_bytes()).await;
    loop {
        let mut line = String::new();
        match r.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end().to_string();
        log.lock().unwrap()[index].push(line.clone());
        let mut words = line.split(' ');
        let cmd = words.next().unwrap_or("").to_ascii_uppercase();
        let arg = words.next().unwrap_or("");
        // The message as this session sees it.
        let shown = |n: usize| -> Option<Vec<u8>> {
            let m = messages.get(n.checked_sub(1)?)?;
            Some(if kind == Kind::Courier && !utf8 && has_8bit_headers(m) {
                notice(m)
            } else {
                m.clone()
            })
        };
        let mut lose_read_ahead = false;
        let reply: Vec<u8> = match (cmd.as_str(), logged_in) {
            ("CAPA", _) => format!("+OK\r\n{capa}.\r\n").into_bytes(),
            ("UTF8", false) if kind == Kind::Courier => {
                utf8 = true;
                b"+OK UTF8 enabled\r\n".to_vec()
            }
            ("USER", false) => {
                user_ok = true;
                b"+OK\r\n".to_vec()
            }
            ("PASS", false) if user_ok && arg == "p" => {
                logged_in = true;
                lose_read_ahead = kind == Kind::Courier;
                b"+OK logged in\r\n".to_vec()
            }
            ("AUTH", false) => {
                let initial = line.split(' ').nth(2).unwrap_or("");
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(initial)
                    .unwrap_or_default();
                lose_read_ahead = matches!(kind, Kind::Cyrus | Kind::Courier);
                match kind {
                    Kind::RefusesPlain(code) => {
                        let code = code.map(|c| format!("[{c}] ")).unwrap_or_default();
                        format!("-ERR {code}mechanism not available\r\n").into_bytes()
                    }
                    _ if decoded == b"\0u\0p" => {
                        logged_in = true;
                        b"+OK logged in\r\n".to_vec()
                    }
                    _ => b"-ERR [AUTH] invalid login\r\n".to_vec(),
                }
            }
            ("QUIT", _) => {
                let _ = w.write_all(b"+OK bye\r\n").await;
                return;
            }
            (_, false) => b"-ERR log in first\r\n".to_vec(),
            (_, true) if kind == Kind::SilentAfterLogin => continue,
            ("STAT", true) => {
                let total: usize = (1..=messages.len()).map(|n| shown(n).unwrap().len()).sum();
                format!("+OK {} {total}\r\n", messages.len()).into_bytes()
            }
            ("UIDL", true) => {
                let mut s = String::from("+OK\r\n");
                for n in 1..=messages.len() {
                    s += &format!("{n} uid-{n}\r\n");
                }
                (s + ".\r\n").into_bytes()
            }
            ("LIST", true) => {
                let mut s = String::from("+OK\r\n");
                for n in 1..=messages.len() {
                    s += &format!("{n} {}\r\n", shown(n).unwrap().len());
                }
                (s + ".\r\n").into_bytes()
            }
            ("TOP" | "RETR", true) => match arg.parse().ok().and_then(shown) {
                Some(m) => {
                    let part = if cmd == "TOP" {
                        let end = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        m[..end].to_vec()
                    } else {
                        m
                    };
                    let mut out = b"+OK\r\n".to_vec();
                    out.extend(dot_stuffed(&part));
                    out
                }
                None => b"-ERR no such message\r\n".to_vec(),
            },
            (_, true) => b"+OK\r\n".to_vec(),
        };
        if lose_read_ahead {
            // What was read ahead of this command is gone: the buffered
            // bytes, and whatever arrives while the login completes.
            let buffered = r.buffer().len();
            r.consume(buffered);
            let mut lost = String::new();
            while let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(200), r.read_line(&mut lost)).await
            {
                if n == 0 {
                    return;
                }
                lost.clear();
            }
        }
        if w.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// postie with an account on 127.0.0.1:`port` (`auth`: None for the
/// default), its data in `dir`: (exit code, stdout, stderr).
fn postie_at(
    dir: &std::path::Path,
    port: u16,
    auth: Option<&str>,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let cfg = dir.join("config.toml");
    let auth = auth
        .map(|a| format!("auth = \"{a}\"\n"))
        .unwrap_or_default();
    std::fs::write(
        &cfg,
        format!("[accounts.t]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\ncommand_timeout = 3\n{auth}"),
    )
    .unwrap();
    std::fs::set_permissions(&cfg, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .env("POSTIE_CONFIG", &cfg)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("LANG", "C.UTF-8")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `postie list --json` against the fake on `port`, with nothing stored.
fn postie_list(port: u16, auth: Option<&str>) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    postie_at(dir.path(), port, auth, &["list", "--json"])
}

fn subjects(json: &str) -> Vec<String> {
    let rows: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut s: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject"].as_str().unwrap_or_default().to_string())
        .collect();
    s.sort();
    s
}

fn expected_subjects() -> Vec<String> {
    let mut s = vec!["plain ascii".to_string(), gbk_subject()];
    s.sort();
    s
}

/// Nothing after the login command before its reply; then the rest in one flight.
fn assert_login_then_rest(commands: &[String], login: &str) {
    let at = commands
        .iter()
        .position(|c| c.starts_with(login))
        .unwrap_or_else(|| panic!("no {login} in {commands:?}"));
    assert!(
        commands[at + 1..].iter().any(|c| c == "UIDL"),
        "UIDL after the login, sent again once it was answered: {commands:?}"
    );
}

#[tokio::test]
async fn a_cyrus_like_server_is_read_with_the_default_config() {
    let (port, log) = serve(Kind::Cyrus).await;
    let (code, out, err) = tokio::task::spawn_blocking(move || postie_list(port, None))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "stderr: {err}");
    assert_eq!(subjects(&out), expected_subjects());
    let sessions = log.lock().unwrap().clone();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_login_then_rest(&sessions[0], "AUTH PLAIN ");
    assert!(
        !sessions[0].iter().any(|c| c == "UTF8"),
        "Cyrus offers no UTF8"
    );
}

#[tokio::test]
async fn a_courier_like_server_is_read_after_pass_and_after_auth() {
    for auth in [None, Some("user")] {
        let (port, log) = serve(Kind::Courier).await;
        let (code, out, err) = tokio::task::spawn_blocking(move || postie_list(port, auth))
            .await
            .unwrap();
        assert_eq!(code, Some(0), "auth {auth:?}, stderr: {err}");
        // Without UTF8 the GBK message would be listed as Courier's notice.
        assert_eq!(subjects(&out), expected_subjects(), "auth {auth:?}");
        let commands = log.lock().unwrap()[0].clone();
        let login = if auth.is_none() {
            "AUTH PLAIN "
        } else {
            "PASS "
        };
        assert_login_then_rest(&commands, login);
        let utf8 = commands.iter().position(|c| c == "UTF8");
        let first_login = commands
            .iter()
            .position(|c| c.starts_with("USER") || c.starts_with("AUTH"));
        assert!(
            matches!((utf8, first_login), (Some(u), Some(l)) if u < l),
            "UTF8 before USER/AUTH: {commands:?}"
        );
    }
}

#[tokio::test]
async fn the_fake_courier_substitutes_the_notice_for_a_client_without_utf8() {
    // The fake itself, checked: a client that does not say UTF8 gets the notice.
    let (port, _log) = serve(Kind::Courier).await;
    let sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    for cmd in ["USER u\r\n", "PASS p\r\n"] {
        w.write_all(cmd.as_bytes()).await.unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("+OK"), "{line}");
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    w.write_all(b"TOP 2 0\r\n").await.unwrap();
    let mut top = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).await.unwrap();
        top += &line;
        if line == ".\r\n" {
            break;
        }
    }
    assert!(
        top.contains("Subject: Cannot display Unicode content"),
        "{top}"
    );
}

#[tokio::test]
async fn auto_falls_back_to_user_pass_when_auth_plain_is_refused() {
    let (port, log) = serve(Kind::RefusesPlain(None)).await;
    let cfg = common::loopback_client(port, "u", "p", AuthPreference::Auto, 5);
    let (client, index) = Client::open(&cfg).await.unwrap();
    assert_eq!(client.auth_method(), AuthMethod::UserPass);
    assert_eq!(index.len(), 2);
    client.quit().await.unwrap();
    let commands = log.lock().unwrap()[0].clone();
    assert!(commands[1].starts_with("AUTH PLAIN "), "{commands:?}");
    assert_eq!(&commands[2..4], ["USER u", "PASS p"]);

    // Asked for by name, AUTH PLAIN is what the user gets: no fallback.
    let (port, _log) = serve(Kind::RefusesPlain(None)).await;
    let cfg = common::loopback_client(port, "u", "p", AuthPreference::Plain, 5);
    let err = Client::open(&cfg).await.unwrap_err();
    assert_eq!(
        postie::error::Classify::class(&err),
        postie::error::ErrorClass::Login
    );

    // A busy mailbox is busy whatever the method: no second login.
    let (port, log) = serve(Kind::RefusesPlain(Some("IN-USE"))).await;
    let cfg = common::loopback_client(port, "u", "p", AuthPreference::Auto, 5);
    let err = Client::open(&cfg).await.unwrap_err();
    assert_eq!(
        postie::error::Classify::class(&err),
        postie::error::ErrorClass::Temporary
    );
    let commands = log.lock().unwrap()[0].clone();
    assert!(
        !commands.iter().any(|c| c.starts_with("USER")),
        "{commands:?}"
    );
}

#[tokio::test]
async fn a_server_silent_after_login_is_an_error_not_an_empty_list() {
    let (port, _log) = serve(Kind::SilentAfterLogin).await;
    let (code, out, err) = tokio::task::spawn_blocking(move || postie_list(port, Some("user")))
        .await
        .unwrap();
    assert_eq!(
        code,
        Some(75),
        "temporary: cron may retry; stdout {out}, stderr {err}"
    );
    assert!(out.is_empty(), "no empty list: {out}");
    assert!(err.contains("timed out"), "{err}");
    assert!(!err.contains("offline"), "{err}");
}

#[tokio::test]
async fn with_mail_stored_list_shows_it_and_says_why_the_server_did_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let (port, _log) = serve(Kind::Courier).await;
    let (silent, _log) = serve(Kind::SilentAfterLogin).await;
    let closed = common::refused_port();
    let (fetched, stalled, unreachable) = tokio::task::spawn_blocking(move || {
        let fetched = postie_at(&path, port, None, &["fetch"]);
        let stalled = postie_at(&path, silent, Some("user"), &["list", "--json"]);
        let unreachable = postie_at(&path, closed, None, &["list", "--json"]);
        (fetched, stalled, unreachable)
    })
    .await
    .unwrap();
    assert_eq!(fetched.0, Some(0), "{fetched:?}");
    for (run, why) in [
        (&stalled, "the server did not finish answering (timed out"),
        (&unreachable, "offline (cannot connect"),
    ] {
        assert_eq!(run.0, Some(0), "{run:?}");
        assert_eq!(subjects(&run.1), expected_subjects(), "{run:?}");
        assert!(
            run.2.starts_with(&format!("postie: {why}"))
                && run.2.trim_end().ends_with("showing the local store"),
            "{run:?}"
        );
    }
}

/// The numbers `list` printed stay handles: offline, `show N` reads the
/// stored copy of what was N, and `search` prints the number for messages
/// on the server (not `-`).
#[tokio::test]
async fn numbers_list_printed_work_offline_and_in_search() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let (port, _log) = serve(Kind::Courier).await;
    let closed = common::refused_port();
    let (listed, fetched, shown, missing, found) = tokio::task::spawn_blocking(move || {
        let listed = postie_at(&path, port, None, &["list"]);
        let fetched = postie_at(&path, port, None, &["fetch"]);
        let shown = postie_at(&path, closed, None, &["show", "1"]);
        let missing = postie_at(&path, closed, None, &["show", "7"]);
        let found = postie_at(&path, closed, None, &["search", "plain"]);
        (listed, fetched, shown, missing, found)
    })
    .await
    .unwrap();
    assert_eq!(listed.0, Some(0), "{listed:?}");
    assert_eq!(fetched.0, Some(0), "{fetched:?}");
    assert_eq!(shown.0, Some(0), "{shown:?}");
    assert!(shown.1.contains("Subject: plain ascii"), "{shown:?}");
    assert!(shown.2.contains("as list numbered it last"), "{shown:?}");
    // A number list never printed: the server's absence is the answer (75).
    assert_eq!(missing.0, Some(75), "{missing:?}");
    assert_eq!(found.0, Some(0), "{found:?}");
    assert!(found.1.trim_start().starts_with("1 "), "{found:?}");
    // list --offline with nothing kept: said, not a silent empty list.
    let fresh = tempfile::tempdir().unwrap();
    let path = fresh.path().to_path_buf();
    let empty =
        tokio::task::spawn_blocking(move || postie_at(&path, closed, None, &["list", "--offline"]))
            .await
            .unwrap();
    assert_eq!(empty.0, Some(0), "{empty:?}");
    assert!(
        empty.2.contains("nothing of t is kept here yet"),
        "{empty:?}"
    );
}
