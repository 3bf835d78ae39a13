//! Faults a real server will not produce on demand: a scripted fake POP3 server
//! on 127.0.0.1 drops the line mid-reply, sends garbage, stalls, floods, asks
//! for SASL data, lacks CAPA/UIDL. It also watches the wire to prove that
//! pipelining really sends commands ahead, and that lock-step does not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use postie::pop3::{AuthPreference, Client, ClientConfig, Pop3Error};
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpListener;

struct Peer {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Peer {
    async fn line(&mut self) -> Option<String> {
        let mut s = String::new();
        match self.reader.read_line(&mut s).await {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(s.trim_end().to_string()),
        }
    }
    /// A line if one arrives within `wait`.
    async fn line_within(&mut self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, self.line()).await.ok().flatten()
    }
    async fn expect(&mut self, prefix: &str) -> String {
        let l = self.line().await.unwrap_or_default();
        assert!(l.starts_with(prefix), "expected {prefix:?}, got {l:?}");
        l
    }
    async fn send(&mut self, data: &[u8]) {
        let _ = self.writer.write_all(data).await;
        let _ = self.writer.flush().await;
    }
    /// Greeting, CAPA, USER/PASS: the usual way in.
    async fn login(&mut self, capa: &str) {
        self.send(b"+OK fake ready\r\n").await;
        self.expect("CAPA").await;
        self.send(format!("+OK\r\n{capa}.\r\n").as_bytes()).await;
        self.expect("USER").await;
        self.send(b"+OK\r\n").await;
        self.expect("PASS").await;
        self.send(b"+OK logged in\r\n").await;
    }
}

async fn fake<F, Fut>(handler: F) -> (u16, tokio::task::JoinHandle<()>)
where
    F: FnOnce(Peer) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, w) = sock.into_split();
        handler(Peer {
            reader: BufReader::new(r),
            writer: w,
        })
        .await;
    });
    (port, task)
}

fn config(port: u16, auth: AuthPreference, command_secs: u64) -> ClientConfig {
    common::loopback_client(port, "u", "p", auth, command_secs)
}

/// The reader's worker against the fake server on `port`.
fn spawn_worker(
    port: u16,
    command_secs: u64,
    store: Option<postie::store::StoreHandle>,
) -> (
    tokio::sync::mpsc::UnboundedSender<postie::worker::Request>,
    tokio::sync::mpsc::UnboundedReceiver<postie::worker::Event>,
    tokio::task::JoinHandle<()>,
) {
    common::spawn_worker_for(config(port, AuthPreference::User, command_secs), store)
}

/// The worker's next event, within `secs`.
async fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<postie::worker::Event>,
    secs: u64,
) -> postie::worker::Event {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("an event in time")
        .expect("the worker's events")
}

const CAPA_PIPE: &str = "TOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\n";
const CAPA_NOPIPE: &str = "TOP\r\nUIDL\r\nUSER\r\n";

/// A two-message mailbox (uid-1, uid-2) that answers `end_at` (a command
/// name) with `reply` and then hangs up.
async fn two_messages_ending_at(end_at: &'static str, reply: &'static [u8]) -> u16 {
    let (port, _task) = fake(move |mut p| async move {
        p.login(CAPA_PIPE).await;
        while let Some(l) = p.line().await {
            let answer: &[u8] = match l.split(' ').next().unwrap_or("") {
                c if c == end_at => {
                    p.send(reply).await;
                    return;
                }
                "UIDL" => b"+OK\r\n1 uid-1\r\n2 uid-2\r\n.\r\n",
                "LIST" => b"+OK\r\n1 100\r\n2 200\r\n.\r\n",
                "TOP" => b"+OK\r\nSubject: hi\r\n\r\n.\r\n",
                _ => b"+OK\r\n",
            };
            p.send(answer).await;
        }
    })
    .await;
    port
}

/// The real binary with an account on the fake server at `port`: (exit code, stdout, stderr).
async fn postie_on(port: u16, args: &[&str]) -> (Option<i32>, String, String) {
    postie_on_with(port, args, &[]).await
}

/// `postie_on` with more environment variables.
async fn postie_on_with(
    port: u16,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    postie_on_cfg(port, "", args, env).await
}

/// `postie_on_with`, with `extra` lines in the account's config.
async fn postie_on_cfg(
    port: u16,
    extra: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!("[accounts.t]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\nauth = \"user\"\ncommand_timeout = 5\n{extra}"),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .env("POSTIE_CONFIG", &cfg)
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .envs(env.iter().copied())
        .args(args)
        .output()
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Serves `TOP n 0` for 20 messages and reports how many commands were already
/// waiting, unanswered, before the first reply went out.
async fn count_commands_ahead(capa: &'static str) -> (usize, Vec<(u32, Vec<u8>)>) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (port, task) = fake(move |mut p| async move {
        p.login(capa).await;
        let mut waiting = vec![p.expect("TOP").await];
        while let Some(l) = p.line_within(Duration::from_millis(150)).await {
            waiting.push(l);
        }
        let ahead = waiting.len();
        let mut answered = 0;
        loop {
            for cmd in waiting.drain(..) {
                let n: u32 = cmd
                    .split(' ')
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                p.send(format!("+OK\r\nSubject: message {n}\r\n\r\n.\r\n").as_bytes())
                    .await;
                answered += 1;
            }
            if answered == 20 {
                break;
            }
            match p.line().await {
                Some(l) => waiting.push(l),
                None => break,
            }
        }
        let _ = tx.send(ahead);
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    let numbers: Vec<u32> = (1..=20).rev().collect();
    let mut got = Vec::new();
    client
        .headers(&numbers, |n, r| {
            got.push((n, r.unwrap()));
            postie::pop3::Flow::Continue
        })
        .await
        .unwrap();
    task.await.unwrap();
    (rx.await.unwrap(), got)
}

#[tokio::test]
async fn pipelining_sends_ahead_and_lock_step_does_not_with_identical_results() {
    let (ahead_pipelined, got_pipelined) = count_commands_ahead(CAPA_PIPE).await;
    let (ahead_lockstep, got_lockstep) = count_commands_ahead(CAPA_NOPIPE).await;
    assert_eq!(ahead_pipelined, 20, "all 20 TOP commands fit in one window");
    assert_eq!(
        ahead_lockstep, 1,
        "without PIPELINING one command per round trip"
    );
    assert_eq!(got_pipelined, got_lockstep);
    assert_eq!(
        got_pipelined[0],
        (20, b"Subject: message 20\r\n\r\n".to_vec())
    );
}

#[tokio::test]
async fn user_and_pass_are_pipelined_when_offered() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (port, _task) = fake(move |mut p| async move {
        p.send(b"+OK ready\r\n").await;
        p.expect("CAPA").await;
        p.send(format!("+OK\r\n{CAPA_PIPE}.\r\n").as_bytes()).await;
        p.expect("USER u").await;
        // PASS arrives without our answering USER first.
        let pass = p.line_within(Duration::from_millis(300)).await;
        let _ = tx.send(pass.clone());
        p.send(b"+OK\r\n+OK in\r\n").await;
        p.expect("QUIT").await;
        p.send(b"+OK\r\n").await;
    })
    .await;
    let client = Client::connect(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    client.quit().await.unwrap();
    assert_eq!(rx.await.unwrap().as_deref(), Some("PASS p"));
}

#[tokio::test]
async fn a_drop_mid_reply_is_reported_and_the_connection_is_retired() {
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        p.expect("RETR 1").await;
        p.send(b"+OK 5000 octets\r\nSubject: half a mess").await;
        // and the line goes dead
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    let err = client.retr(1).await.unwrap_err();
    assert!(matches!(err, Pop3Error::ConnectionLost { .. }), "{err}");
    assert!(err.to_string().contains("closed the connection"), "{err}");
    // Nothing more is sent on a connection that is out of step.
    let again = client.noop().await.unwrap_err();
    assert!(matches!(again, Pop3Error::ConnectionLost { .. }), "{again}");
}

/// Replies to STAT that must become specific errors, never a number.
#[tokio::test]
async fn garbage_and_malformed_replies_are_protocol_errors() {
    for (reply, expected) in [
        (&b"HTTP/1.1 400 Bad Request\r\n"[..], "HTTP/1.1 400"),
        (b"+OK lots\r\n", "malformed STAT drop listing"),
        (b"+OK 3\r\n", "malformed STAT drop listing"),
    ] {
        let (port, _task) = fake(move |mut p| async move {
            p.login(CAPA_PIPE).await;
            p.expect("STAT").await;
            p.send(reply).await;
            let _ = p.line().await;
        })
        .await;
        let mut client = Client::connect(&config(port, AuthPreference::User, 5))
            .await
            .unwrap();
        let err = client.stat().await.unwrap_err().to_string();
        assert!(
            err.starts_with("protocol error from 127.0.0.1:") && err.contains(expected),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        p.expect("STAT").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 1))
        .await
        .unwrap();
    let start = Instant::now();
    let err = client.stat().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(matches!(err, Pop3Error::Timeout { secs: 1, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "timed out after 1 s waiting for the server's reply"
    );
}

#[tokio::test]
async fn a_server_that_never_greets_times_out_on_connect() {
    let (port, _task) = fake(|p| async move {
        let _held_open = p;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let mut cfg = config(port, AuthPreference::User, 5);
    cfg.endpoint.timeouts.connect = Duration::from_secs(1);
    let err = Client::connect(&cfg).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!("cannot connect to 127.0.0.1:{port}: no greeting within 1 s")
    );
}

#[tokio::test]
async fn an_endless_status_line_is_refused_with_bounded_memory() {
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        p.expect("STAT").await;
        let junk = vec![b'A'; 64 * 1024];
        p.send(b"+OK ").await;
        for _ in 0..160 {
            p.send(&junk).await; // 10 MB without a line end
        }
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    let err = client.stat().await.unwrap_err().to_string();
    assert!(err.contains("status line longer than 8192 bytes"), "{err}");
}

/// The index rides behind the login: USER, PASS, UIDL and LIST all arrive
/// before the server has answered any of them (one round trip for all four).
/// USER and PASS go out together; nothing follows PASS before its reply
/// (Courier loses what was read ahead of it); UIDL and LIST then go out in
/// one flight.
#[tokio::test]
async fn the_index_follows_the_login_reply_in_one_flight() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (port, _task) = fake(move |mut p| async move {
        p.send(b"+OK ready\r\n").await;
        p.expect("CAPA").await;
        p.send(format!("+OK\r\n{CAPA_PIPE}.\r\n").as_bytes()).await;
        let mut login = vec![p.expect("USER u").await];
        while let Some(l) = p.line_within(Duration::from_millis(300)).await {
            login.push(l);
        }
        p.send(b"+OK\r\n+OK in\r\n").await;
        let mut index = vec![p.expect("UIDL").await];
        while let Some(l) = p.line_within(Duration::from_millis(300)).await {
            index.push(l);
        }
        let _ = tx.send((login, index));
        p.send(b"+OK\r\n1 a1\r\n2 b2\r\n.\r\n+OK\r\n1 100\r\n2 200\r\n.\r\n")
            .await;
        p.expect("QUIT").await;
        p.send(b"+OK\r\n").await;
    })
    .await;
    let (client, index) = Client::open(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    client.quit().await.unwrap();
    let (login, ahead) = rx.await.unwrap();
    assert_eq!(login, ["USER u", "PASS p"]);
    assert_eq!(ahead, ["UIDL", "LIST"]);
    let got: Vec<(u32, u64, Option<&str>)> = index
        .iter()
        .map(|e| (e.number, e.size, e.uidl.as_deref()))
        .collect();
    assert_eq!(got, [(1, 100, Some("a1")), (2, 200, Some("b2"))]);
}

/// A server that wants a SASL exchange after all gets `*` (RFC 5034), and
/// `auto` then logs in with USER/PASS on the same connection.
#[tokio::test]
async fn a_sasl_continuation_under_auto_is_cancelled_then_user_pass() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (port, _task) = fake(move |mut p| async move {
        p.send(b"+OK ready\r\n").await;
        p.expect("CAPA").await;
        p.send(b"+OK\r\nSASL PLAIN\r\nUSER\r\nPIPELINING\r\n.\r\n")
            .await;
        p.expect("AUTH PLAIN ").await;
        let early = p.line_within(Duration::from_millis(300)).await;
        p.send(b"+ \r\n").await;
        let cancel = p.line().await;
        p.send(b"-ERR cancelled\r\n").await;
        p.expect("USER u").await;
        p.send(b"+OK\r\n").await;
        p.expect("PASS p").await;
        p.send(b"+OK in\r\n").await;
        let _ = tx.send((early, cancel));
        p.expect("QUIT").await;
        p.send(b"+OK\r\n").await;
    })
    .await;
    let client = Client::connect(&config(port, AuthPreference::Auto, 5))
        .await
        .unwrap();
    assert_eq!(client.auth_method(), postie::pop3::AuthMethod::UserPass);
    client.quit().await.unwrap();
    let (early, cancel) = rx.await.unwrap();
    assert_eq!(early, None, "nothing behind AUTH before its reply");
    assert_eq!(cancel.as_deref(), Some("*"));
}

#[tokio::test]
async fn auth_plain_continuation_is_cancelled_cleanly() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (port, _task) = fake(move |mut p| async move {
        p.send(b"+OK ready\r\n").await;
        p.expect("CAPA").await;
        p.send(b"+OK\r\nSASL PLAIN\r\n.\r\n").await;
        p.expect("AUTH PLAIN ").await;
        p.send(b"+ \r\n").await;
        let cancel = p.line().await;
        let _ = tx.send(cancel);
        p.send(b"-ERR [AUTH] cancelled\r\n").await;
    })
    .await;
    let err = Client::connect(&config(port, AuthPreference::Plain, 5))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("login failed: "), "{err}");
    assert_eq!(rx.await.unwrap().as_deref(), Some("*"));
}

#[tokio::test]
async fn in_use_and_login_delay_codes_reach_the_user() {
    for (code, hint) in [
        (
            "IN-USE",
            "another client has this mailbox open, perhaps another postie; POP3 allows one session at a time",
        ),
        (
            "LOGIN-DELAY",
            "the server limits how often you may log in; wait and try again",
        ),
    ] {
        let (port, _task) = fake(move |mut p| async move {
            p.send(b"+OK ready\r\n").await;
            p.expect("CAPA").await;
            p.send(format!("+OK\r\n{CAPA_NOPIPE}RESP-CODES\r\n.\r\n").as_bytes())
                .await;
            p.expect("USER").await;
            p.send(b"+OK\r\n").await;
            p.expect("PASS").await;
            p.send(format!("-ERR [{code}] not now\r\n").as_bytes())
                .await;
        })
        .await;
        let err = Client::connect(&config(port, AuthPreference::User, 5))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("login failed: [{code}] not now ({hint})")
        );
    }
}

#[tokio::test]
async fn a_bad_apop_timestamp_is_never_digested() {
    let (port, _task) = fake(|mut p| async move {
        p.send(b"+OK ready <no-at-sign>\r\n").await;
        p.expect("CAPA").await;
        p.send(b"-ERR no CAPA here\r\n").await;
        let _ = p.line().await;
    })
    .await;
    let err = Client::connect(&config(port, AuthPreference::Apop, 5))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not offer APOP"), "{err}");
}

#[tokio::test]
async fn an_rfc1939_only_server_without_capa_or_uidl_still_lists() {
    let (port, _task) = fake(|mut p| async move {
        p.send(b"+OK old server\r\n").await;
        p.expect("CAPA").await;
        p.send(b"-ERR unknown command\r\n").await;
        p.expect("USER").await;
        p.send(b"+OK\r\n").await;
        p.expect("PASS").await;
        p.send(b"+OK\r\n").await;
        // No PIPELINING: UIDL comes alone, then LIST.
        p.expect("UIDL").await;
        p.send(b"-ERR unknown command\r\n").await;
        p.expect("LIST").await;
        p.send(b"+OK\r\n1 100\r\n2 200\r\n.\r\n").await;
        p.expect("QUIT").await;
        p.send(b"+OK\r\n").await;
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::Auto, 5))
        .await
        .unwrap();
    assert!(!client.is_pipelined());
    let index = client.index().await.unwrap();
    assert_eq!(index.len(), 2);
    assert!(index.iter().all(|e| e.uidl.is_none()));
    assert_eq!(index[1].size, 200);
    client.quit().await.unwrap();
}

/// Counts bytes and remembers the largest single write.
#[derive(Default)]
struct CountingSink {
    total: u64,
    largest: usize,
}

impl AsyncWrite for CountingSink {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.total += buf.len() as u64;
        self.largest = self.largest.max(buf.len());
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_100_mb_retr_streams_in_bounded_pieces() {
    const MB: usize = 1024 * 1024;
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        p.expect("RETR 1").await;
        p.send(b"+OK\r\nSubject: big\r\n\r\n").await;
        let mut line = vec![b'x'; 1022];
        line.extend_from_slice(b"\r\n");
        let block: Vec<u8> = line.iter().copied().cycle().take(MB).collect();
        for _ in 0..100 {
            p.send(&block).await;
        }
        p.send(b".\r\n").await;
        p.expect("QUIT").await;
        p.send(b"+OK\r\n").await;
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 10))
        .await
        .unwrap();
    let mut sink = CountingSink::default();
    let n = client.retr_to(1, &mut sink).await.unwrap();
    assert_eq!(n, (100 * MB + b"Subject: big\r\n\r\n".len()) as u64);
    assert_eq!(sink.total, n);
    assert!(
        sink.largest <= 256 * 1024,
        "largest write {} bytes: the message was buffered",
        sink.largest
    );
    client.quit().await.unwrap();
}

#[tokio::test]
async fn an_unsolicited_goodbye_is_not_taken_for_the_next_reply() {
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        p.send(b"-ERR [SYS/TEMP] shutting down\r\n").await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let err = client.dele(&[1]).await.unwrap_err().to_string();
    assert!(
        err.contains("the server ended the session: [SYS/TEMP] shutting down"),
        "{err}"
    );
}

#[tokio::test]
async fn a_paused_header_stream_stays_in_step() {
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        // Answer every TOP that arrives, then the NOOP that follows the pause.
        while let Some(l) = p.line().await {
            if l.starts_with("TOP") {
                let n = l.split(' ').nth(1).unwrap_or("0").to_string();
                p.send(format!("+OK\r\nSubject: {n}\r\n\r\n.\r\n").as_bytes())
                    .await;
            } else if l == "NOOP" {
                p.send(b"+OK still here\r\n").await;
            } else {
                p.send(b"+OK\r\n").await;
                break;
            }
        }
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    // More commands than the pipeline window holds (64 KiB ≈ 5,500 TOPs).
    let numbers: Vec<u32> = (1..=20_000).collect();
    let mut seen = Vec::new();
    let done = client
        .headers(&numbers, |n, r| {
            assert!(r.is_ok());
            seen.push(n);
            if n == 3 {
                postie::pop3::Flow::Pause
            } else {
                postie::pop3::Flow::Continue
            }
        })
        .await
        .unwrap();
    // Everything sent was read (in order), nothing after the pause was sent.
    assert_eq!(seen, (1..=done as u32).collect::<Vec<_>>());
    assert!((3..20_000).contains(&done), "{done}");
    client.noop().await.unwrap();
    client.quit().await.unwrap();
}

/// A DELE refused with [SYS/TEMP] as the server shuts the session down is not
/// a verdict on the message: the worker keeps the mark and reports a lost
/// connection, never "mark removed".
#[tokio::test]
async fn a_temporary_dele_refusal_keeps_the_mark() {
    use postie::worker::{Event, Request};
    let port = two_messages_ending_at("DELE", b"-ERR [SYS/TEMP] Server shutting down.\r\n").await;
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 5, None);
    loop {
        match next_event(&mut ev_rx, 10).await {
            Event::Indexed(_) => req_tx.send(Request::Mark("uid-2".into())).unwrap(),
            Event::MarksDropped { uidls, why } => panic!("mark dropped: {uidls:?} ({why})"),
            Event::ConnectionLost {
                reason,
                uncommitted,
            } => {
                assert_eq!(uncommitted, 1, "the mark is kept");
                assert!(reason.contains("SYS/TEMP"), "{reason}");
                break;
            }
            _ => {}
        }
    }
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// A message whose TOP the server refuses is shown as unavailable for the
/// session, but the refusal is never written to the header cache.
#[tokio::test]
async fn a_refused_top_is_not_cached() {
    use postie::worker::{Event, Request};
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        while let Some(l) = p.line().await {
            let reply: &[u8] = match l.as_str() {
                "UIDL" => b"+OK\r\n1 uid-1\r\n2 uid-2\r\n.\r\n",
                "LIST" => b"+OK\r\n1 100\r\n2 200\r\n.\r\n",
                "TOP 1 0" => b"+OK\r\nSubject: fine\r\n\r\n.\r\n",
                "TOP 2 0" => b"-ERR [SYS/TEMP] try later\r\n",
                "QUIT" => {
                    p.send(b"+OK\r\n").await;
                    return;
                }
                _ => b"+OK\r\n",
            };
            p.send(reply).await;
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = common::store_at(dir.path());
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 5, Some(store.clone()));
    let mut loaded = Vec::new();
    while loaded.len() < 2 {
        if let Event::HeadersLoaded(b) = next_event(&mut ev_rx, 10).await {
            loaded.extend(b);
        }
    }
    let unavailable = loaded.iter().find(|(u, _)| &**u == "uid-2").unwrap();
    assert!(
        unavailable
            .1
            .subject()
            .starts_with("(headers unavailable: "),
        "{:?}",
        unavailable.1
    );
    req_tx.send(Request::QuitDiscard).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    // Every job the worker gave the store is done before it is read again.
    store.close(Duration::from_secs(10)).await;
    let rows = common::store_rows(dir.path());
    let get = |u: &str| rows.iter().find(|r| r.uidl == u).unwrap().summary.clone();
    assert_eq!(
        get("uid-1").map(|s| s.subject().to_string()).as_deref(),
        Some("fine")
    );
    assert!(get("uid-2").is_none(), "the refusal was recorded");
}

/// A large message (over 8 MB) is shown from its first part while the rest
/// is still on the way: the server sends the first megabyte, then waits until
/// the reader has the preview, then sends the rest. The finished message has
/// the attachment at its full decoded size.
#[tokio::test]
async fn a_large_message_is_previewed_while_the_rest_arrives() {
    use postie::worker::{Event, Request};
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n";
    let lines = 12 * 1024 * 1024 / line.len();
    let head = String::from(
        "From: Big <big@example.org>\r\nSubject: twelve megabytes\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         The text comes first.\r\n--b\r\nContent-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n"
    );
    let size = head.len() + lines * line.len() + 7;
    let (port, _task) = fake(move |mut p| async move {
        p.login(CAPA_PIPE).await;
        let mut go = Some(go_rx);
        while let Some(l) = p.line().await {
            match l.split(' ').next().unwrap_or("") {
                "UIDL" => p.send(b"+OK\r\n1 uid-big\r\n.\r\n").await,
                "LIST" => p.send(format!("+OK\r\n1 {size}\r\n.\r\n").as_bytes()).await,
                "TOP" => {
                    p.send(b"+OK\r\nSubject: twelve megabytes\r\n\r\n.\r\n")
                        .await
                }
                "RETR" => {
                    let mut data = format!("+OK {size} octets\r\n{head}").into_bytes();
                    let first = 1024 * 1024 / line.len();
                    for _ in 0..first {
                        data.extend_from_slice(line.as_bytes());
                    }
                    p.send(&data).await;
                    if let Some(go) = go.take() {
                        let _ = go.await;
                    }
                    let mut rest = Vec::new();
                    for _ in first..lines {
                        rest.extend_from_slice(line.as_bytes());
                    }
                    rest.extend_from_slice(b"--b--\r\n.\r\n");
                    p.send(&rest).await;
                }
                "QUIT" => {
                    p.send(b"+OK\r\n").await;
                    return;
                }
                _ => p.send(b"+OK\r\n").await,
            }
        }
    })
    .await;
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 10, None);
    let mut go_tx = Some(go_tx);
    let mut previewed = false;
    loop {
        match next_event(&mut ev_rx, 20).await {
            Event::Indexed(_) => req_tx.send(Request::FetchBody("uid-big".into())).unwrap(),
            Event::BodyPartial {
                rendered, total, ..
            } => {
                assert!(go_tx.is_some(), "the preview came before the rest was sent");
                assert!(
                    rendered.body.contains("The text comes first."),
                    "{}",
                    rendered.body
                );
                assert_eq!(total, size as u64);
                previewed = true;
                let _ = go_tx.take().map(|g| g.send(()));
            }
            Event::BodyLoaded { rendered, .. } => {
                assert!(previewed, "no preview before the whole message");
                assert!(rendered.body.contains("The text comes first."));
                assert_eq!(rendered.attachments.len(), 1);
                assert_eq!(rendered.attachments[0].name, "big.bin");
                assert_eq!(rendered.attachments[0].size, (lines * 57) as u64);
                break;
            }
            Event::BodyFailed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// A first visit (nothing cached): STAT follows the login's reply; once it has been answered, TOPs for the
/// 64 newest messages go out ahead of UIDL and LIST, and the rest behind
/// them. The server here answers those 64 and then holds the index back until
/// the worker has shown them (`Preview`), which a client that waited for the
/// index would never do; once the index is in, every header, early or not,
/// reaches the UI under its own message's UIDL.
#[tokio::test]
async fn a_first_visit_shows_the_newest_headers_before_the_index() {
    use postie::worker::{Event, Request};
    const COUNT: u32 = 100;
    const EARLY: u32 = 64;
    let (previewed_tx, previewed_rx) = tokio::sync::oneshot::channel::<()>();
    let (port, _task) = fake(move |mut p| async move {
        p.send(b"+OK ready\r\n").await;
        p.expect("CAPA").await;
        p.send(format!("+OK\r\n{CAPA_PIPE}.\r\n").as_bytes()).await;
        let mut flight = Vec::new();
        while let Some(l) = p.line_within(Duration::from_millis(300)).await {
            flight.push(l);
        }
        // Nothing behind PASS before its reply; then STAT.
        assert_eq!(flight, ["USER u", "PASS p"]);
        p.send(b"+OK\r\n+OK in\r\n").await;
        p.expect("STAT").await;
        p.send(format!("+OK {COUNT} 10000\r\n").as_bytes()).await;
        let mut next = Vec::new();
        for _ in 0..EARLY + 2 {
            next.push(p.line().await.unwrap_or_default());
        }
        let mut want: Vec<String> = (COUNT - EARLY + 1..=COUNT)
            .rev()
            .map(|n| format!("TOP {n} 0"))
            .collect();
        want.extend(["UIDL".to_string(), "LIST".to_string()]);
        assert_eq!(next, want);
        let top = |n: u32| format!("+OK\r\nSubject: message {n}\r\n\r\n.\r\n");
        for n in (COUNT - EARLY + 1..=COUNT).rev() {
            p.send(top(n).as_bytes()).await;
        }
        // The index waits until the worker has shown the first rows.
        tokio::time::timeout(Duration::from_secs(10), previewed_rx)
            .await
            .expect("a preview before the index")
            .unwrap();
        let mut index = String::from("+OK\r\n");
        for n in 1..=COUNT {
            index.push_str(&format!("{n} uid-{n}\r\n"));
        }
        index.push_str(".\r\n+OK\r\n");
        for n in 1..=COUNT {
            index.push_str(&format!("{n} {}\r\n", 100 + n));
        }
        index.push_str(".\r\n");
        p.send(index.as_bytes()).await;
        for n in (1..=COUNT - EARLY).rev() {
            assert_eq!(p.line().await.unwrap_or_default(), format!("TOP {n} 0"));
            p.send(top(n).as_bytes()).await;
        }
        while let Some(l) = p.line().await {
            p.send(b"+OK\r\n").await;
            if l == "QUIT" {
                return;
            }
        }
    })
    .await;
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 10, None);
    let mut previewed_tx = Some(previewed_tx);
    let mut preview = Vec::new();
    let mut indexed = false;
    let mut subjects = std::collections::BTreeMap::new();
    while subjects.len() < COUNT as usize {
        match next_event(&mut ev_rx, 10).await {
            Event::Preview { count, rows } => {
                assert!(!indexed, "a preview after the index");
                assert_eq!(count, COUNT as usize);
                preview.extend(rows.iter().map(|s| s.subject().to_string()));
                if preview.len() == EARLY as usize {
                    let _ = previewed_tx.take().map(|tx| tx.send(()));
                }
            }
            Event::Indexed(entries) => {
                assert_eq!(entries.len(), COUNT as usize);
                assert_eq!((&*entries[0].uidl, entries[0].size), ("uid-100", 200));
                indexed = true;
            }
            Event::HeadersLoaded(batch) => {
                assert!(indexed, "headers by UIDL before the index");
                for (u, s) in batch {
                    subjects.insert(u.to_string(), s.subject().to_string());
                }
            }
            Event::Failed(postie::error::Failure { summary: error, .. }) => panic!("{error}"),
            _ => {}
        }
    }
    let want: Vec<String> = (COUNT - EARLY + 1..=COUNT)
        .rev()
        .map(|n| format!("message {n}"))
        .collect();
    assert_eq!(preview, want);
    for n in 1..=COUNT {
        assert_eq!(
            subjects.get(&format!("uid-{n}")).map(String::as_str),
            Some(format!("message {n}").as_str())
        );
    }
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// A slow server that reads its next command only once its last reply is
/// out, through 4 KB socket buffers: 3,000 pipelined TOPs with 32 KB replies
/// all arrive, complete and in order, while postie writes and reads at once.
/// (It does not prove the no-deadlock property: the kernel grows postie's own
/// send buffer enough that a write-only client passes too.)
#[tokio::test]
async fn writing_a_long_pipeline_keeps_reading_replies() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_send_buffer_size(4096).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let port = listener.local_addr().unwrap().port();
    let header = format!(
        "Subject: big\r\nX-Filler: {}\r\n\r\n",
        "x".repeat(32 * 1024)
    );
    let _task = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, w) = sock.into_split();
        let mut p = Peer {
            reader: BufReader::with_capacity(64, r),
            writer: w,
        };
        p.login(CAPA_PIPE).await;
        while let Some(l) = p.line().await {
            if l.starts_with("TOP") {
                p.send(format!("+OK\r\n{header}.\r\n").as_bytes()).await;
            } else {
                p.send(b"+OK\r\n").await;
                if l == "QUIT" {
                    return;
                }
            }
        }
    });
    let mut client = Client::connect(&config(port, AuthPreference::User, 5))
        .await
        .unwrap();
    let numbers: Vec<u32> = (1..=3000).collect();
    let mut got = 0;
    let done = client
        .headers(&numbers, |_, r| {
            assert!(r.is_ok_and(|h| h.len() > 32 * 1024));
            got += 1;
            postie::pop3::Flow::Continue
        })
        .await
        .unwrap();
    assert_eq!((done, got), (3000, 3000));
    client.quit().await.unwrap();
}

/// A server that gives two messages the same UIDL (RFC 1939 forbids it):
/// each row still names its own message, so `d` on the older one deletes
/// message 1, never message 2; neither is kept in the store under that UIDL.
#[tokio::test]
async fn a_uidl_shared_by_two_messages_never_deletes_the_wrong_one() {
    use postie::error::{ErrorClass, Failure};
    use postie::worker::{Event, Request};
    let (dele_tx, dele_rx) = tokio::sync::oneshot::channel();
    let (port, _task) = fake(move |mut p| async move {
        p.login(CAPA_PIPE).await;
        let mut deles = Vec::new();
        let mut dele_tx = Some(dele_tx);
        while let Some(l) = p.line().await {
            let reply: &[u8] = match l.as_str() {
                "UIDL" => b"+OK\r\n1 dup\r\n2 dup\r\n3 c\r\n.\r\n",
                "LIST" => b"+OK\r\n1 100\r\n2 200\r\n3 300\r\n.\r\n",
                "RETR 1" => b"+OK\r\nSubject: one\r\n\r\nthe first\r\n.\r\n",
                l if l.starts_with("TOP ") => b"+OK\r\nSubject: hi\r\n\r\n.\r\n",
                l if l.starts_with("DELE ") => {
                    deles.push(l.to_string());
                    b"+OK\r\n"
                }
                "QUIT" => {
                    if let Some(tx) = dele_tx.take() {
                        let _ = tx.send(deles.clone());
                    }
                    p.send(b"+OK\r\n").await;
                    return;
                }
                _ => b"+OK\r\n",
            };
            p.send(reply).await;
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 5, Some(common::store_at(dir.path())));
    let mut noted = false;
    let mut oldest = None;
    loop {
        match next_event(&mut ev_rx, 10).await {
            Event::Failed(Failure {
                class: ErrorClass::Server,
                summary: error,
                ..
            }) => noted |= error.contains("UIDL another message also has"),
            Event::Indexed(rows) => {
                assert_eq!(rows.len(), 3);
                assert_ne!(rows[1].uidl, rows[2].uidl, "each row names its own message");
                assert!(rows.iter().all(|r| r.uidl != "dup"));
                oldest = Some(rows[2].uidl.clone());
                req_tx
                    .send(Request::FetchBody(rows[2].uidl.clone()))
                    .unwrap();
            }
            Event::BodyLoaded { uidl, rendered } => {
                assert_eq!(Some(&uidl), oldest.as_ref());
                assert_eq!(rendered.subject, "one", "the row opens its own message");
                req_tx.send(Request::Mark(uidl)).unwrap();
            }
            Event::MarksApplied(m) if m.len() == 1 => {
                req_tx.send(Request::QuitCommit).unwrap();
            }
            Event::Closed { deleted } => {
                assert_eq!(deleted, 1);
                break;
            }
            _ => {}
        }
    }
    assert!(noted, "the status line is told");
    assert_eq!(dele_rx.await.unwrap(), vec!["DELE 1".to_string()]);
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    let rows = common::store_rows(dir.path());
    assert!(
        rows.iter().all(|r| r.uidl != "dup" && !r.stored),
        "{rows:?}"
    );
}

/// `postie fetch` (the real binary) against a server that misbehaves: one
/// without UIDL is refused unless leave_on_server = "never", one that is
/// busy ([IN-USE]) is exit 75 for cron, and an EXPIRE stricter than the
/// policy is said.
#[tokio::test]
async fn fetch_against_servers_that_misbehave() {
    async fn serve(capa: &'static str, uidl: &'static [u8], pass: &'static [u8]) -> u16 {
        let (port, _task) = fake(move |mut p| async move {
            p.send(b"+OK fake ready\r\n").await;
            while let Some(l) = p.line().await {
                let reply: &[u8] = match l.split(' ').next().unwrap_or("") {
                    "CAPA" => {
                        p.send(format!("+OK\r\n{capa}.\r\n").as_bytes()).await;
                        continue;
                    }
                    "PASS" => pass,
                    "UIDL" => uidl,
                    "LIST" => b"+OK\r\n1 40\r\n2 40\r\n.\r\n",
                    "RETR" => b"+OK\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
                    "QUIT" => {
                        p.send(b"+OK bye\r\n").await;
                        return;
                    }
                    _ => b"+OK\r\n",
                };
                p.send(reply).await;
            }
        })
        .await;
        port
    }
    async fn fetch(port: u16, policy: &str) -> (i32, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.toml");
        std::fs::write(
            &cfg,
            format!("[accounts.t]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\nauth = \"user\"\nleave_on_server = \"{policy}\"\ncommand_timeout = 5\n"),
        )
        .unwrap();
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_postie"))
            .env("POSTIE_CONFIG", &cfg)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .args(["fetch"])
            .output()
            .await
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
    let no_uidl = serve(
        "USER\r\nPIPELINING\r\n",
        b"-ERR no UIDL here\r\n",
        b"+OK\r\n",
    )
    .await;
    let (code, _, err) = fetch(no_uidl, "always").await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the server has no UIDL") && err.contains("\"never\""),
        "{err}"
    );
    let no_uidl = serve(
        "USER\r\nPIPELINING\r\n",
        b"-ERR no UIDL here\r\n",
        b"+OK\r\n",
    )
    .await;
    let (code, out, err) = fetch(no_uidl, "never").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2 downloaded") && out.contains("2 deleted from server"),
        "{out}"
    );

    let busy = serve(
        "USER\r\nPIPELINING\r\nRESP-CODES\r\n",
        b"+OK\r\n.\r\n",
        b"-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n",
    )
    .await;
    let (code, _, err) = fetch(busy, "always").await;
    assert_eq!(code, 75, "{err}");
    assert!(err.contains("[IN-USE]"), "{err}");
    let throttled = serve(
        "USER\r\nPIPELINING\r\nRESP-CODES\r\n",
        b"+OK\r\n.\r\n",
        b"-ERR [LOGIN-DELAY] wait a while\r\n",
    )
    .await;
    let (code, _, err) = fetch(throttled, "always").await;
    assert_eq!(code, 75, "{err}");
    assert!(err.contains("[LOGIN-DELAY]"), "{err}");

    let strict = serve(
        "USER\r\nPIPELINING\r\nUIDL\r\nEXPIRE 7\r\n",
        b"+OK\r\n1 a\r\n2 b\r\n.\r\n",
        b"+OK\r\n",
    )
    .await;
    let (code, out, err) = fetch(strict, "30d").await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("after 7 days (EXPIRE 7)"), "{err}");
    assert!(out.contains("2 new, 2 downloaded"), "{out}");
}

/// Messages sharing a UIDL are downloaded, kept once (by content) however
/// many runs see them, and never deleted; a reply far larger than LIST said
/// is still stored exactly.
#[tokio::test]
async fn fetch_keeps_shared_uidl_messages_once_and_survives_wrong_sizes() {
    let big_body: &'static str = Box::leak("x".repeat(70).repeat(30_000).into_boxed_str());
    let serve = || async move {
        let (tx, rx) = tokio::sync::oneshot::channel::<Vec<String>>();
        let (port, _task) = fake(move |mut p| async move {
            p.send(b"+OK fake ready\r\n").await;
            let mut deles = Vec::new();
            while let Some(l) = p.line().await {
                let reply: Vec<u8> = match l.as_str() {
                    "CAPA" => b"+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n".to_vec(),
                    "UIDL" => b"+OK\r\n1 dup\r\n2 dup\r\n3 c\r\n.\r\n".to_vec(),
                    "LIST" => b"+OK\r\n1 10\r\n2 10\r\n3 10\r\n.\r\n".to_vec(),
                    "RETR 1" => b"+OK\r\nSubject: one\r\n\r\nfirst\r\n.\r\n".to_vec(),
                    "RETR 2" => b"+OK\r\nSubject: two\r\n\r\nsecond\r\n.\r\n".to_vec(),
                    "RETR 3" => {
                        let lines: Vec<&str> = (0..30_000)
                            .map(|i| &big_body[i * 70..(i + 1) * 70])
                            .collect();
                        format!("+OK\r\nSubject: big\r\n\r\n{}\r\n.\r\n", lines.join("\r\n"))
                            .into_bytes()
                    }
                    "QUIT" => {
                        p.send(b"+OK bye\r\n").await;
                        let _ = tx.send(deles);
                        return;
                    }
                    l if l.starts_with("DELE") => {
                        deles.push(l.to_string());
                        b"+OK\r\n".to_vec()
                    }
                    _ => b"+OK\r\n".to_vec(),
                };
                p.send(&reply).await;
            }
        })
        .await;
        (port, rx)
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let run = |port: u16| {
        std::fs::write(
            &cfg,
            format!("[accounts.t]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\nauth = \"user\"\nleave_on_server = \"never\"\n"),
        )
        .unwrap();
        tokio::process::Command::new(env!("CARGO_BIN_EXE_postie"))
            .env("POSTIE_CONFIG", &cfg)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .args(["fetch", "--json"])
            .output()
    };
    let inbox = dir.path().join("data/postie/t/INBOX");
    for round in 0..2 {
        let (port, task) = serve().await;
        let out = run(port).await.unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains("kept by their content, and never deleted"),
            "{err}"
        );
        let deles = task.await.unwrap_or_default();
        assert_eq!(
            deles,
            if round == 0 {
                vec!["DELE 3".to_string()]
            } else {
                vec![]
            },
            "round {round}"
        );
        let files = postie::store::maildir::scan(&inbox).unwrap();
        assert_eq!(files.len(), 3, "round {round}: each kept once");
    }
    let big = postie::store::maildir::scan(&inbox)
        .unwrap()
        .into_iter()
        .map(|(rel, _)| std::fs::read(inbox.join(rel)).unwrap())
        .find(|b| b.len() > 1_000_000)
        .expect("the big one is stored");
    assert!(big.starts_with(b"Subject: big\r\n\r\nxxxx"));
    assert_eq!(big.len(), "Subject: big\r\n\r\n".len() + 30_000 * 72);
}

/// A connection dropped in the middle of a message: exit 75, nothing
/// deleted, nothing half-written outside tmp/; the next run gets everything.
#[tokio::test]
async fn fetch_survives_a_drop_in_the_middle_of_a_message() {
    let serve = |drop_mid: bool| async move {
        let (tx, rx) = tokio::sync::oneshot::channel::<Vec<String>>();
        let (port, _task) = fake(move |mut p| async move {
            p.send(b"+OK fake ready\r\n").await;
            let mut deles = Vec::new();
            while let Some(l) = p.line().await {
                let reply: &[u8] = match l.as_str() {
                    "CAPA" => b"+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n",
                    "UIDL" => b"+OK\r\n1 a\r\n2 b\r\n.\r\n",
                    "LIST" => b"+OK\r\n1 40\r\n2 40\r\n.\r\n",
                    "RETR 1" => b"+OK\r\nSubject: a\r\n\r\nthe first\r\n.\r\n",
                    "RETR 2" if drop_mid => {
                        p.send(b"+OK\r\nSubject: b\r\n\r\nhalf of the sec").await;
                        return;
                    }
                    "RETR 2" => b"+OK\r\nSubject: b\r\n\r\nthe second\r\n.\r\n",
                    l if l.starts_with("DELE") => {
                        deles.push(l.to_string());
                        b"+OK\r\n"
                    }
                    "QUIT" => {
                        p.send(b"+OK bye\r\n").await;
                        let _ = tx.send(deles);
                        return;
                    }
                    _ => b"+OK\r\n",
                };
                p.send(reply).await;
            }
        })
        .await;
        (port, rx)
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let run = |port: u16| {
        std::fs::write(
            &cfg,
            format!("[accounts.t]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\nauth = \"user\"\nleave_on_server = \"never\"\n"),
        )
        .unwrap();
        tokio::process::Command::new(env!("CARGO_BIN_EXE_postie"))
            .env("POSTIE_CONFIG", &cfg)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .args(["fetch"])
            .output()
    };
    let inbox = dir.path().join("data/postie/t/INBOX");
    let (port, deles) = serve(true).await;
    let out = run(port).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(deles.await.is_err(), "no QUIT, so nothing deleted");
    let partial = postie::store::maildir::scan(&inbox).unwrap();
    assert!(partial
        .iter()
        .all(|(rel, _)| !std::fs::read(inbox.join(rel)).unwrap().ends_with(b"sec")));
    let (port, deles) = serve(false).await;
    let out = run(port).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut deles = deles.await.unwrap();
    deles.sort();
    assert_eq!(deles, vec!["DELE 1".to_string(), "DELE 2".to_string()]);
    assert_eq!(postie::store::maildir::scan(&inbox).unwrap().len(), 2);
    assert_eq!(std::fs::read_dir(inbox.join("tmp")).unwrap().count(), 0);
}

/// `list` and `show` print what they fetched even when the server answers
/// QUIT with `-ERR`: nothing was marked, so nothing can be lost, and the
/// output is not thrown away (a warning says what the server said).
#[tokio::test]
async fn a_quit_refusal_loses_no_output_of_list_or_show() {
    async fn serve() -> u16 {
        let (port, _task) = fake(|mut p| async move {
            p.send(b"+OK fake ready\r\n").await;
            while let Some(l) = p.line().await {
                let reply: &[u8] = match l.split(' ').next().unwrap_or("") {
                    "CAPA" => b"+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n",
                    "STAT" => b"+OK 1 60\r\n",
                    "UIDL" => b"+OK\r\n1 only-one\r\n.\r\n",
                    "LIST" => b"+OK\r\n1 60\r\n.\r\n",
                    "TOP" => b"+OK\r\nFrom: a@example.com\r\nSubject: kept anyway\r\n\r\n.\r\n",
                    "RETR" => b"+OK\r\nFrom: a@example.com\r\nSubject: kept anyway\r\n\r\nthe body\r\n.\r\n",
                    "QUIT" => {
                        p.send(b"-ERR [SYS/TEMP] could not close the mailbox\r\n").await;
                        return;
                    }
                    _ => b"+OK\r\n",
                };
                p.send(reply).await;
            }
        })
        .await;
        port
    }
    for args in [&["list", "--json"][..], &["show", "1"][..]] {
        let (code, stdout, stderr) = postie_on(serve().await, args).await;
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stdout.contains("kept anyway"), "{args:?}: {stdout}");
        assert!(
            stderr.contains("could not close the mailbox") && stderr.contains("marked nothing"),
            "{args:?}: {stderr}"
        );
    }
}

/// RFC 1939 §6: a QUIT answered `-ERR` may have removed some of the marked
/// messages and not others. The reader must not say "nothing was deleted":
/// it says what is known, keeps the marks, and stays.
#[tokio::test]
async fn a_refused_commit_does_not_claim_nothing_was_deleted() {
    use postie::worker::{Event, Request};
    let port = two_messages_ending_at("QUIT", b"-ERR some deleted messages not removed\r\n").await;
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 5, None);
    let mut marked = false;
    loop {
        match next_event(&mut ev_rx, 10).await {
            Event::Indexed(_) if !marked => {
                marked = true;
                req_tx.send(Request::Mark("uid-2".into())).unwrap();
                req_tx.send(Request::QuitCommit).unwrap();
            }
            Event::Closed { .. } => panic!("a refused QUIT is not a commit"),
            Event::Failed(postie::error::Failure { summary: error, .. })
                if error.contains("QUIT") =>
            {
                assert!(!error.contains("nothing was deleted"), "{error}");
                assert!(
                    error.contains(
                        "some of the 1 marked messages may have been deleted and some not"
                    ),
                    "{error}"
                );
                break;
            }
            _ => {}
        }
    }
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// A status line trickled a byte every 200 ms: `command_timeout` (1 s here)
/// bounds the whole line, not the silence between bytes. A body trickled at
/// 20 bytes a second is refused once `read_timeout` has passed, as slower
/// than the minimum rate, though no silence is ever long.
#[tokio::test]
async fn a_trickling_server_is_bounded_by_the_whole_reply_not_each_byte() {
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        p.expect("STAT").await;
        for b in b"+OK 2 320 and a long, long, long, long tail\r\n" {
            p.send(&[*b]).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 1))
        .await
        .unwrap();
    let start = Instant::now();
    let err = client.stat().await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err, Pop3Error::Timeout { .. }), "{err}");

    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        p.expect("RETR").await;
        p.send(b"+OK\r\n").await;
        for _ in 0..200 {
            p.send(b"x").await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let mut client = Client::connect(&config(port, AuthPreference::User, 1))
        .await
        .unwrap();
    let start = Instant::now();
    let err = client.retr(1).await.unwrap_err().to_string();
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert!(err.contains("slower than 256 bytes a second"), "{err}");
}

/// A server that drops the connection at every DELE: the worker backs off
/// across logins (1, 2, 5 s…) instead of reconnecting at once for ever, and
/// says when it will try again.
#[tokio::test]
async fn a_server_that_drops_at_every_dele_is_not_hammered() {
    use postie::worker::{Event, Request};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let logins = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = logins.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let (r, w) = sock.into_split();
                let mut p = Peer {
                    reader: BufReader::new(r),
                    writer: w,
                };
                p.login(CAPA_PIPE).await;
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                while let Some(l) = p.line().await {
                    let reply: &[u8] = match l.split(' ').next().unwrap_or("") {
                        "UIDL" => b"+OK\r\n1 uid-1\r\n.\r\n",
                        "LIST" => b"+OK\r\n1 100\r\n.\r\n",
                        "TOP" => b"+OK\r\nSubject: hi\r\n\r\n.\r\n",
                        // Drop, as a server killed at DELE would.
                        "DELE" | "RSET" => return,
                        _ => b"+OK\r\n",
                    };
                    p.send(reply).await;
                }
            });
        }
    });
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 5, None);
    let start = Instant::now();
    let mut marked = false;
    let mut waits = Vec::new();
    while start.elapsed() < Duration::from_secs(7) {
        match tokio::time::timeout(Duration::from_secs(1), ev_rx.recv()).await {
            Ok(Some(Event::Indexed(_))) if !marked => {
                marked = true;
                req_tx.send(Request::Mark("uid-1".into())).unwrap();
            }
            Ok(Some(Event::Reconnecting { in_secs })) => waits.push(in_secs),
            Ok(None) => break,
            _ => {}
        }
    }
    let n = logins.load(std::sync::atomic::Ordering::SeqCst);
    // 0 s, then +1, +2 (3 s), +5 (8 s): at most 4 logins in 7 s, not dozens.
    assert!((2..=4).contains(&n), "{n} logins in 7 s; waits {waits:?}");
    assert!(waits.starts_with(&[1, 2]), "{waits:?}");
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// One over-long UIDL, one with a control character and one LIST line with
/// a negative size do not make the mailbox unreadable: every message is
/// listed, the two with bad UIDLs without one (read-only, never kept), and
/// the bad size as 0.
#[tokio::test]
async fn one_bad_listing_line_spoils_only_its_own_message() {
    let (port, _task) = fake(|mut p| async move {
        p.send(b"+OK fake ready\r\n").await;
        while let Some(l) = p.line().await {
            let long = format!(
                "+OK\r\n1 good-1\r\n2 {}\r\n3 bad\x01ctl\r\n4 good-4\r\n.\r\n",
                "x".repeat(80)
            );
            let reply: Vec<u8> = match l.split(' ').next().unwrap_or("") {
                "CAPA" => b"+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n".to_vec(),
                "UIDL" => long.into_bytes(),
                "LIST" => b"+OK\r\n1 50\r\n2 60\r\n3 -20\r\n4 70\r\n.\r\n".to_vec(),
                "TOP" => b"+OK\r\nFrom: a@example.com\r\nSubject: readable\r\n\r\n.\r\n".to_vec(),
                "QUIT" => {
                    p.send(b"+OK bye\r\n").await;
                    return;
                }
                _ => b"+OK\r\n".to_vec(),
            };
            p.send(&reply).await;
        }
    })
    .await;
    let (code, stdout, stderr) = postie_on(port, &["list", "--json"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let rows: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    let uidls: Vec<&serde_json::Value> = rows.iter().map(|r| &r["uidl"]).collect();
    assert_eq!(uidls.iter().filter(|u| u.is_null()).count(), 2, "{uidls:?}");
    assert!(uidls.iter().any(|u| *u == "good-4") && uidls.iter().any(|u| *u == "good-1"));
    assert!(
        rows.iter().any(|r| r["number"] == 3 && r["size"] == 0),
        "{rows:?}"
    );
    assert!(stderr.contains("unusable for 2 message(s)"), "{stderr}");
}

/// A server that offers PIPELINING but answers only the first of the
/// commands sent ahead times out with the hint that helps: pipelining = false.
#[tokio::test]
async fn a_false_pipelining_offer_times_out_with_the_hint() {
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        let _uidl = p.line().await;
        p.send(b"+OK\r\n1 uid-1\r\n.\r\n").await;
        // LIST was sent ahead; this server never looks at it.
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let err = match Client::open(&config(port, AuthPreference::User, 1)).await {
        Ok(_) => panic!("the index cannot have arrived"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("set pipelining = false"), "{err}");
}

/// A RETR that trickles: opening another message stops it at once (the
/// session is dropped and opened again), and that message arrives; leaving
/// a long download stops it too. The server is never left feeding a download
/// nobody waits for.
#[tokio::test]
async fn a_long_download_gives_way_to_the_next_request() {
    use postie::worker::{Event, Request};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (r, w) = sock.into_split();
                let mut p = Peer {
                    reader: BufReader::new(r),
                    writer: w,
                };
                p.login(CAPA_PIPE).await;
                while let Some(l) = p.line().await {
                    match l.as_str() {
                        "UIDL" => p.send(b"+OK\r\n1 big\r\n2 small\r\n.\r\n").await,
                        "LIST" => p.send(b"+OK\r\n1 5000000\r\n2 60\r\n.\r\n").await,
                        l if l.starts_with("TOP") => {
                            p.send(b"+OK\r\nSubject: x\r\n\r\n.\r\n").await
                        }
                        "RETR 1" => {
                            p.send(b"+OK\r\nSubject: big\r\n\r\n").await;
                            // 5 bytes a second, for ever.
                            loop {
                                p.send(b"xxxxx").await;
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                        "RETR 2" => p.send(b"+OK\r\nSubject: small\r\n\r\nhello\r\n.\r\n").await,
                        _ => p.send(b"+OK\r\n").await,
                    }
                }
            });
        }
    });
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 30, None);
    async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>) -> Event {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap()
    }
    loop {
        if let Event::Indexed(_) = next(&mut ev_rx).await {
            break;
        }
    }
    req_tx.send(Request::FetchBody("big".into())).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    req_tx.send(Request::FetchBody("small".into())).unwrap();
    let (mut stopped, mut loaded) = (false, false);
    while !(stopped && loaded) {
        match next(&mut ev_rx).await {
            Event::BodyFailed { uidl, error, .. } if &*uidl == "big" => {
                assert!(error.contains("stopped"), "{error}");
                stopped = true;
            }
            Event::BodyLoaded { uidl, rendered } if &*uidl == "small" => {
                assert!(rendered.body.contains("hello"));
                loaded = true;
            }
            _ => {}
        }
    }
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    // Leaving a long download stops it as well.
    req_tx.send(Request::FetchBody("big".into())).unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    req_tx.send(Request::StopBody("big".into())).unwrap();
    loop {
        if let Event::BodyFailed { uidl, error, .. } = next(&mut ev_rx).await {
            assert_eq!(&*uidl, "big");
            assert!(error.contains("when you left the message"), "{error}");
            break;
        }
    }
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// A message larger than `max_message_size` (here 1 MB; the server said 100
/// bytes and sends 3 MB) is refused with a clear error, not taken in.
#[tokio::test]
async fn max_message_size_caps_a_download() {
    use postie::worker::{Event, Request};
    let (port, _task) = fake(|mut p| async move {
        p.login(CAPA_PIPE).await;
        while let Some(l) = p.line().await {
            match l.as_str() {
                "UIDL" => p.send(b"+OK\r\n1 huge\r\n.\r\n").await,
                "LIST" => p.send(b"+OK\r\n1 100\r\n.\r\n").await,
                l if l.starts_with("TOP") => p.send(b"+OK\r\nSubject: x\r\n\r\n.\r\n").await,
                "RETR 1" => {
                    p.send(b"+OK\r\nSubject: huge\r\n\r\n").await;
                    let line = [b'y'; 1000];
                    for _ in 0..3000 {
                        p.send(&line).await;
                        p.send(b"\r\n").await;
                    }
                    p.send(b".\r\n").await;
                }
                _ => p.send(b"+OK\r\n").await,
            }
        }
    })
    .await;
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = postie::worker::Worker::new(
        config(port, AuthPreference::User, 10),
        postie::mime::DecodeOptions::default(),
        None,
        req_rx,
        ev_tx,
    )
    .with_max_message_size(1024 * 1024);
    let task = tokio::spawn(worker.run());
    loop {
        match next_event(&mut ev_rx, 10).await {
            Event::Indexed(_) => req_tx.send(Request::FetchBody("huge".into())).unwrap(),
            Event::BodyFailed { error, .. } => {
                assert!(
                    error.contains("larger than max_message_size (1.0M)"),
                    "{error}"
                );
                break;
            }
            Event::BodyLoaded { .. } => panic!("a 3 MB message was taken in"),
            _ => {}
        }
    }
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// A server that answers every command, each a little before any per-reply
/// limit, for ever (1,000 messages, a TOP every 300 ms): `list` gives up at
/// its overall limit (here POSTIE_DEADLINE_SECS=2) with exit 75.
#[tokio::test]
async fn a_stalling_server_meets_the_overall_limit() {
    let (port, _task) = fake(|mut p| async move {
        p.send(b"+OK fake ready\r\n").await;
        let uidl: String = std::iter::once("+OK\r\n".to_string())
            .chain((1..=1000).map(|i| format!("{i} u{i}\r\n")))
            .chain(std::iter::once(".\r\n".to_string()))
            .collect();
        let list: String = std::iter::once("+OK\r\n".to_string())
            .chain((1..=1000).map(|i| format!("{i} 100\r\n")))
            .chain(std::iter::once(".\r\n".to_string()))
            .collect();
        while let Some(l) = p.line().await {
            match l.split(' ').next().unwrap_or("") {
                "CAPA" => p.send(b"+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n").await,
                "UIDL" => p.send(uidl.as_bytes()).await,
                "LIST" => p.send(list.as_bytes()).await,
                "STAT" => p.send(b"+OK 1000 100000\r\n").await,
                "TOP" => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    p.send(b"+OK\r\nSubject: slow\r\n\r\n.\r\n").await;
                }
                _ => p.send(b"+OK\r\n").await,
            }
        }
    })
    .await;
    let start = Instant::now();
    let (code, _, stderr) = postie_on_with(port, &["list"], &[("POSTIE_DEADLINE_SECS", "2")]).await;
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(code, Some(75), "{stderr}");
    assert!(
        stderr.contains("gave up after 2 s, the overall limit for postie list/show/save"),
        "{stderr}"
    );
}

/// One message; LIST says `listed` bytes, and RETR sends lines for ever (until
/// the client hangs up). Records whether a DELE ever came.
async fn endless_retr(listed: u64) -> (u16, Arc<AtomicBool>) {
    let dele = Arc::new(AtomicBool::new(false));
    let seen = dele.clone();
    let (port, _task) = fake(move |mut p| async move {
        p.login(CAPA_PIPE).await;
        while let Some(l) = p.line().await {
            match l.split(' ').next().unwrap_or("") {
                "UIDL" => p.send(b"+OK\r\n1 endless\r\n.\r\n").await,
                "LIST" => {
                    p.send(format!("+OK\r\n1 {listed}\r\n.\r\n").as_bytes())
                        .await
                }
                "STAT" => p.send(format!("+OK 1 {listed}\r\n").as_bytes()).await,
                "TOP" => p.send(b"+OK\r\nSubject: endless\r\n\r\n.\r\n").await,
                "DELE" => {
                    seen.store(true, Ordering::SeqCst);
                    p.send(b"+OK\r\n").await
                }
                "RETR" => {
                    p.send(b"+OK\r\nSubject: endless\r\n\r\n").await;
                    let line = [b'z'; 8190];
                    loop {
                        if p.writer.write_all(&line).await.is_err()
                            || p.writer.write_all(b"\r\n").await.is_err()
                        {
                            return;
                        }
                    }
                }
                _ => p.send(b"+OK\r\n").await,
            }
        }
    })
    .await;
    (port, dele)
}

/// `show` and `fetch` stop an endless RETR at `max_message_size` (here 2 MB)
/// with a clear error, whatever LIST said; a message LIST says is larger is
/// not downloaded at all by `fetch` and stays on the server; nothing is
/// deleted either way.
#[tokio::test]
async fn show_and_fetch_stop_an_endless_message_at_max_message_size() {
    let cap = "max_message_size = \"2M\"\nleave_on_server = \"never\"\n";
    for args in [&["show", "1"][..], &["show", "--raw", "1"], &["fetch"]] {
        let (port, dele) = endless_retr(100).await;
        let start = Instant::now();
        let (code, stdout, stderr) = postie_on_cfg(port, cap, args, &[]).await;
        assert_ne!(code, Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.contains("larger than max_message_size (2.0M)"),
            "{args:?}: {stderr}"
        );
        assert!(
            stdout.len() < 1024,
            "{args:?}: nothing half-read is printed"
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
        assert!(!dele.load(Ordering::SeqCst), "{args:?}: a DELE was sent");
    }
    // LIST already says 3 GB: fetch leaves it alone, says so, and succeeds.
    let (port, dele) = endless_retr(3 << 30).await;
    let (code, _, stderr) = postie_on_cfg(port, cap, &["fetch"], &[]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("message 1 is 3.0G: it is larger than max_message_size (2.0M)")
            && stderr.contains("stays on the server"),
        "{stderr}"
    );
    assert!(!dele.load(Ordering::SeqCst), "a DELE was sent");
    let (port, _) = endless_retr(3 << 30).await;
    let (code, _, stderr) = postie_on_cfg(port, cap, &["show", "1"], &[]).await;
    assert_ne!(code, Some(0));
    assert!(stderr.contains("message 1 is 3.0G"), "{stderr}");
}

/// Leaving a message whose download looked short (LIST said 100 bytes) but
/// never ends: the stop waits only until the download has run 2 s, not
/// until `max_message_size` is reached.
#[tokio::test]
async fn leaving_an_endless_message_that_looked_small_stops_it() {
    use postie::worker::{Event, Request};
    let (port, _) = endless_retr(100).await;
    let (req_tx, mut ev_rx, task) = spawn_worker(port, 10, None);
    let mut asked = None;
    loop {
        match next_event(&mut ev_rx, 20).await {
            Event::Indexed(_) if asked.is_none() => {
                req_tx.send(Request::FetchBody("endless".into())).unwrap();
                asked = Some(Instant::now());
                tokio::time::sleep(Duration::from_millis(300)).await;
                req_tx.send(Request::StopBody("endless".into())).unwrap();
            }
            Event::BodyFailed { error, .. } => {
                assert!(error.contains("stopped when you left"), "{error}");
                let took = asked.unwrap().elapsed();
                assert!(took < Duration::from_secs(5), "{took:?}");
                break;
            }
            Event::BodyLoaded { .. } => panic!("an endless message was loaded"),
            _ => {}
        }
    }
    req_tx.send(Request::QuitDiscard).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// Office 365's way, byte for byte: a token too long for the AUTH line
/// goes after the server's `+`; an error challenge (RFC 7628 §3.2.2, here
/// curl test 890's) is answered with an empty line for XOAUTH2 and `AQ==`
/// for OAUTHBEARER before the final `-ERR`; a refused-as-expired token is
/// asked for again once.
#[tokio::test]
async fn oauth_two_step_form_and_error_challenge_on_the_wire() {
    use postie::pop3::sasl::{TokenFuture, TokenSource, Tokens};
    struct Long(std::sync::atomic::AtomicUsize);
    impl TokenSource for Long {
        fn token(&self, _refused: bool) -> TokenFuture<'_> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async { Ok(postie::secret::Secret::new("t".repeat(400))) })
        }
    }
    for (auth, mech, abort) in [
        (AuthPreference::XOAuth2, "XOAUTH2", ""),
        (AuthPreference::OAuthBearer, "OAUTHBEARER", "AQ=="),
    ] {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (port, _task) = fake(move |mut p| async move {
            let mut seen = Vec::new();
            p.send(b"+OK ready\r\n").await;
            p.expect("CAPA").await;
            p.send(b"+OK\r\nSASL PLAIN XOAUTH2 OAUTHBEARER\r\n.\r\n").await;
            for _ in 0..2 {
                seen.push(p.line().await.unwrap_or_default());
                p.send(b"+ \r\n").await;
                seen.push(p.line().await.unwrap_or_default());
                p.send(b"+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJwcm9maWxlIn0K\r\n")
                    .await;
                seen.push(p.line().await.unwrap_or_default());
                p.send(b"-ERR [AUTH] Authentication failed.\r\n").await;
            }
            let _ = tx.send(seen);
        })
        .await;
        let source = std::sync::Arc::new(Long(Default::default()));
        let mut cfg = config(port, auth, 5);
        cfg.token = Some(Tokens(source.clone()));
        let e = Client::connect(&cfg).await.expect_err("refused");
        let seen = rx.await.unwrap();
        assert_eq!(
            seen[0],
            format!("AUTH {mech}"),
            "no initial response: too long"
        );
        assert!(seen[1].len() > 400 && !seen[1].contains(' '), "{}", seen[1]);
        assert_eq!(seen[2], abort);
        assert_eq!(seen[3], format!("AUTH {mech}"), "tried again once");
        assert_eq!(seen[5], abort);
        assert_eq!(source.0.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(
            matches!(
                &e,
                postie::pop3::Pop3Error::OAuthRefused {
                    reason: Some(postie::pop3::sasl::OAuthReason::Expired),
                    ..
                }
            ),
            "{e:?}"
        );
    }
}
