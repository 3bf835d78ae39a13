//! `cargo bench --bench limits`: memory and disk peaks for the messages that
//! used to blow up (issue 15, item 2), against a server on 127.0.0.1 that
//! generates the message as it sends it:
//! - the reader opening a 600 MB message (the worker, in this process:
//!   VmHWM growth, and what the reader was handed);
//! - the reader opening an endless message (RETR that never ends) with the
//!   default `max_message_size` of 1 GB: when it stops, the temp file left,
//!   the peak;
//! - the reader leaving an endless message after 1 s: the download stops;
//! - `postie show 1` of a 400 MB message, with and without a store
//!   (the binary's peak RSS from `/usr/bin/time`), and of an endless one.
//!
//! A measurement, not a test. Knob: `POSTIE_BENCH_BIG_MB` (600).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use postie::worker::{Event, Request};

#[path = "../common/mod.rs"]
mod common;

/// A one-message server: `size` bytes of body lines, or endless (None).
/// Serves any number of connections, one after the other.
fn server(size: Option<u64>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            std::thread::spawn(move || serve(sock, size));
        }
    });
    port
}

fn serve(sock: TcpStream, size: Option<u64>) {
    let mut out = sock.try_clone().unwrap();
    let mut lines = BufReader::new(sock);
    let listed = size.unwrap_or(1000);
    let _ = out.write_all(b"+OK ready\r\n");
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        let verb = cmd.split(' ').next().unwrap_or("");
        let reply = match verb {
            "CAPA" => "+OK\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n".to_string(),
            "UIDL" => "+OK\r\n1 big-one\r\n.\r\n".into(),
            "LIST" => format!("+OK\r\n1 {listed}\r\n.\r\n"),
            "STAT" => format!("+OK 1 {listed}\r\n"),
            "TOP" => "+OK\r\nSubject: big\r\nFrom: a@b\r\n\r\n.\r\n".into(),
            "RETR" => {
                if out
                    .write_all(b"+OK\r\nSubject: big\r\nFrom: a@b\r\n\r\n")
                    .is_err()
                {
                    return;
                }
                let body = [b'x'; 998];
                let mut sent = 0u64;
                while size.is_none_or(|s| sent < s) {
                    if out.write_all(&body).is_err() || out.write_all(b"\r\n").is_err() {
                        return;
                    }
                    sent += 1000;
                }
                ".\r\n".into()
            }
            "QUIT" => {
                let _ = out.write_all(b"+OK bye\r\n");
                return;
            }
            _ => "+OK\r\n".into(),
        };
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn vm_hwm_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn reset_hwm() {
    // Writing 5 to clear_refs resets the peak (Linux 4.0+).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn client(port: u16) -> postie::pop3::ClientConfig {
    common::loopback_client(port, "u", "p", postie::pop3::AuthPreference::User, 30)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            total += if p.is_dir() {
                dir_bytes(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}

/// The reader's worker opens message 1; `leave_after` sends StopBody then (the user left it).
/// Returns (what happened, seconds, VmHWM growth in MB, store bytes left in tmp/).
async fn reader(size: Option<u64>, leave_after: Option<Duration>) -> (String, f64, u64, u64) {
    let port = server(size);
    let dir = tempfile::tempdir().unwrap();
    let store = postie::store::StoreHandle::start(
        postie::store::Store::open(dir.path(), "bench", postie::mime::DecodeOptions::default())
            .unwrap(),
    );
    reset_hwm();
    let base = vm_hwm_kb();
    let (req_tx, mut ev_rx, task) = common::spawn_worker_for(client(port), Some(store));
    let start = Instant::now();
    let mut asked = None;
    let outcome = loop {
        let ev = match tokio::time::timeout(Duration::from_secs(600), ev_rx.recv()).await {
            Ok(Some(ev)) => ev,
            _ => break "no answer in 600 s".to_string(),
        };
        match ev {
            Event::Indexed(_) if asked.is_none() => {
                req_tx.send(Request::FetchBody("big-one".into())).unwrap();
                asked = Some(Instant::now());
                if let Some(after) = leave_after {
                    let tx = req_tx.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = tx.send(Request::StopBody("big-one".into()));
                    });
                }
            }
            Event::BodyLoaded { rendered, .. } => {
                break format!(
                    "shown: {} of text, {} attachments",
                    postie::text::human_size(rendered.body.len() as u64),
                    rendered.attachments.len()
                )
            }
            Event::BodyFailed { error, .. } => break format!("refused: {error}"),
            _ => {}
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let grew = vm_hwm_kb().saturating_sub(base) / 1024;
    // Give the store a moment to clean up what was left.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let left = dir_bytes(&dir.path().join("INBOX").join("tmp"));
    let _ = req_tx.send(Request::QuitDiscard);
    let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
    (outcome, secs, grew, left)
}

/// The binary measured: this build's, or `POSTIE_BENCH_BIN` (an older
/// build, for figures before a change).
fn postie_bin() -> String {
    std::env::var("POSTIE_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_postie").to_string())
}

/// `postie show 1` (or `show --raw 1`) with `/usr/bin/time`: (exit, peak RSS MB, stdout bytes, seconds).
fn show(size: Option<u64>, raw: bool, store: bool) -> (Option<i32>, u64, u64, f64) {
    let port = server(size);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[accounts.b]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\nauth = \"user\"\n"
        ),
    )
    .unwrap();
    #[allow(clippy::permissions_set_readonly_false)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let data = dir.path().join("data");
    if !store {
        // A store that cannot be made: the message is shown, not kept.
        std::fs::write(&data, b"not a directory").unwrap();
    }
    let mut args = vec!["show"];
    if raw {
        args.push("--raw");
    }
    args.push("1");
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("MAXRSS %M")
        .arg(postie_bin())
        .args(&args)
        .env("POSTIE_CONFIG", &cfg)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    let rss = err
        .lines()
        .find_map(|l| l.strip_prefix("MAXRSS "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0)
        / 1024;
    if !out.status.success() {
        let why: Vec<&str> = err.lines().filter(|l| !l.starts_with("MAXRSS")).collect();
        println!("    (postie said: {})", why.join(" | "));
    }
    (out.status.code(), rss, out.stdout.len() as u64, secs)
}

fn main() {
    if !std::path::Path::new("/usr/bin/time").exists() {
        eprintln!("limits: /usr/bin/time is needed (apt-get install time)");
        std::process::exit(1);
    }
    let big: u64 = std::env::var("POSTIE_BENCH_BIG_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("limits: memory and disk peaks (127.0.0.1, generated messages)");
    if std::env::var_os("POSTIE_BENCH_BIN").is_some() {
        println!("(the binary measured: {})", postie_bin());
        return show_cases(big);
    }
    let (what, secs, grew, left) = rt.block_on(reader(Some(big << 20), None));
    println!(
        "reader opens a {big} MB message: {what}; {secs:.1} s; peak RSS grew {grew} MB; tmp/ left {}",
        postie::text::human_size(left)
    );
    let (what, secs, grew, left) = rt.block_on(reader(None, None));
    println!(
        "reader opens an endless message (max_message_size 1 GB): {what}; {secs:.1} s; peak RSS grew {grew} MB; tmp/ left {}",
        postie::text::human_size(left)
    );
    let (what, secs, grew, left) = rt.block_on(reader(None, Some(Duration::from_secs(1))));
    println!(
        "reader leaves an endless message after 1 s: {what}; {secs:.1} s; peak RSS grew {grew} MB; tmp/ left {}",
        postie::text::human_size(left)
    );
    show_cases(big);
}

/// `show` of a BIG MB message (kept in the store and not), of 400 MB, and of an endless one.
fn show_cases(big: u64) {
    let show_mb = 400u64;
    for (label, size, raw, store) in [
        (
            format!("show 1, {big} MB, kept in the store"),
            Some(big << 20),
            false,
            true,
        ),
        (
            format!("show 1, {big} MB, no store"),
            Some(big << 20),
            false,
            false,
        ),
        (
            format!("show 1, {show_mb} MB, no store"),
            Some(show_mb << 20),
            false,
            false,
        ),
        (
            format!("show --raw 1, {show_mb} MB, no store"),
            Some(show_mb << 20),
            true,
            false,
        ),
        (
            "show 1, endless (max_message_size 1 GB)".to_string(),
            None,
            false,
            true,
        ),
    ] {
        let (code, rss, printed, secs) = show(size, raw, store);
        println!(
            "{label}: exit {code:?}; peak RSS {rss} MB; printed {}; {secs:.1} s",
            postie::text::human_size(printed)
        );
    }
}
