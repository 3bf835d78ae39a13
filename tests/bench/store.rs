//! `cargo bench --bench store`: the local store's targets, printed (a
//! measurement, not a test: not part of CI's pass/fail).
//!
//! 1. The reader (real binary, tmux 80×24) with N messages in its store and
//!    the server behind a 500 ms one-way delay: time from process start to the
//!    first screenful drawn from the store (`stored-screen`), before any reply
//!    can arrive; then the full list once the server's index has merged in,
//!    and peak RSS. The store was filled by a `postie list` (timed too).
//! 2. Index size on disk per message.
//! 3. In process (TestBackend 80×24, the event loop's own steps): opening a
//!    stored 100 KB message, key to frame; and key-to-frame while N summaries
//!    are written to the index by the store thread.
//!
//! Knobs: `POSTIE_BENCH_N` (default 100000), `POSTIE_BENCH_DELAY_MS` (500).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::dovecot::maildir_name;
use common::proxy::LatencyProxy;
use common::tmux::{postie_command, Tmux};
use common::{generated_message, Account, Dovecot, User};
use postie::app::keymap::Key;
use postie::app::{update, App, Effect, HeaderInfo, Msg};
use postie::mime::{DecodeOptions, Summary};
use postie::store::{Flags, Folder, Store, StoreHandle};
use postie::uidl::Uidl;
use postie::worker::local::{self, LocalRequest};
use postie::worker::Event;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn fill(dovecot: &Dovecot, user: &str, n: usize) {
    let new = dovecot.maildir(user).join("new");
    std::fs::create_dir_all(&new).unwrap();
    for i in 0..n {
        let msg = generated_message(i);
        std::fs::write(new.join(maildir_name(i, msg.len())), &msg).unwrap();
    }
    let ok = std::process::Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(dovecot.maildir(user))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "chown of the Maildir failed");
}

fn milestones(path: &Path, want: &str, tmux: &Tmux) -> Vec<(String, f64)> {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<(String, f64)> = text
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(' ')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect();
        if lines.iter().any(|(k, _)| k == want) {
            return lines;
        }
        if Instant::now() > deadline {
            panic!("no {want} milestone; screen:\n{}", tmux.screen());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e3
}

fn main() {
    let n = env_u64("POSTIE_BENCH_N", 100_000) as usize;
    let delay = env_u64("POSTIE_BENCH_DELAY_MS", 500);
    println!("machine: {}", common::machine());
    let dovecot = Dovecot::start(vec![
        User::new("store", Vec::new()),
        User::new("bg", Vec::new()),
    ])
    .unwrap_or_else(|e| {
        eprintln!("cannot start Dovecot: {e}");
        std::process::exit(1);
    });
    fill(&dovecot, "store", n);
    let bg = env_u64("POSTIE_BENCH_BG", 10_000) as usize;
    fill(&dovecot, "bg", bg);
    let home = tempfile::tempdir().unwrap();
    let pw = dovecot.password("store");
    let direct = Account {
        port: dovecot.plain_port,
        tls: "none",
        user: "store",
        auth: "user",
        ca_file: None,
        pipelining: true,
    };
    let start = Instant::now();
    let run = common::postie_in(home.path(), &direct.toml(), Some(&pw), &["list"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let fill_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let run = common::postie_in(home.path(), &direct.toml(), Some(&pw), &["list"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let warm_secs = start.elapsed().as_secs_f64();
    let root = home.path().join("data").join("postie").join("test");
    let index_bytes: u64 = ["index.sqlite", "index.sqlite-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(root.join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!("store filled by `postie list` (cold, {n} TOPs): {fill_secs:.2} s; warm `postie list`: {warm_secs:.2} s");
    println!(
        "index size: {} bytes for {n} messages = {:.0} bytes per message (target ≤ 400)",
        index_bytes,
        index_bytes as f64 / n as f64
    );

    // 1. The reader behind a slow link: the first screen comes from the store.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt
        .block_on(LatencyProxy::start(
            dovecot.plain_port,
            Duration::from_millis(delay),
        ))
        .unwrap();
    let slow = Account {
        port: proxy.port,
        ..direct
    };
    let cfg = home.path().join("config.toml");
    std::fs::write(&cfg, slow.toml()).unwrap();
    let mut screens = Vec::new();
    let mut last = Vec::new();
    for _ in 0..3 {
        let timings = home.path().join("timings");
        let _ = std::fs::remove_file(&timings);
        let cmd = format!(
            "env POSTIE_TIMINGS='{}' {}",
            timings.display(),
            postie_command(&cfg, &pw, home.path())
        );
        let tmux = Tmux::start(&cmd, 80, 24);
        milestones(&timings, "list-complete", &tmux);
        tmux.keys(&["q"]);
        last = milestones(&timings, "peak-rss-kb", &tmux);
        let get = |k: &str| {
            last.iter()
                .find(|(m, _)| m == k)
                .map_or(f64::NAN, |(_, v)| *v)
        };
        screens.push(get("stored-screen"));
    }
    let get = |k: &str| {
        last.iter()
            .find(|(m, _)| m == k)
            .map_or(f64::NAN, |(_, v)| *v)
    };
    screens.sort_by(f64::total_cmp);
    for (k, v) in last.iter().filter(|(k, _)| k.starts_with("rss-")) {
        println!("  {k}: {:.1} MB", v / 1024.0);
    }
    println!(
        "reader, {n} messages stored, server {delay} ms one-way away: first screenful from the store {:.0} ms from process start (runs: {}; target ≤ 100 ms); server index merged at {:.0} ms; full list {:.0} ms; peak RSS {:.1} MB (target ≤ 60)",
        screens[0],
        screens.iter().map(|s| format!("{s:.0}")).collect::<Vec<_>>().join(", "),
        get("logged-in-and-indexed"),
        get("list-complete"),
        get("peak-rss-kb") / 1024.0
    );
    drop(proxy);

    // 3a. Opening a stored 100 KB message, key to frame.
    let key = postie::store::account_key("127.0.0.1", "store");
    let store = Store::open(&root, &key, DecodeOptions::default()).unwrap();
    let handle = StoreHandle::start(store);
    let rows = rt
        .block_on(handle.run(|s| s.load(&Folder::Inbox)))
        .unwrap()
        .unwrap();
    let big = hundred_kb();
    let target = rows[0].uidl.clone();
    let u = target.clone();
    let b = big.clone();
    rt.block_on(handle.run(move |s| s.deliver(&u, &b, Flags::default(), None)))
        .unwrap()
        .unwrap();
    let mut app = App::new(HeaderInfo::default(), 80, 24);
    let list: Vec<_> = rows.iter().map(postie::sync::ListRow::from_store).collect();
    update(&mut app, Msg::Worker(Event::LocalLoaded(list)));
    update(&mut app, Msg::Worker(Event::Stored(target.clone())));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut opens = Vec::new();
    for _ in 0..50 {
        app.forget_bodies();
        let t0 = Instant::now();
        for e in update(&mut app, Msg::Key(Key::Enter)) {
            if let Effect::Local(r) = e {
                if matches!(r, LocalRequest::LoadBody(_)) {
                    local::execute(&handle, &std::sync::Arc::default(), r, tx.clone());
                }
            }
        }
        loop {
            let ev = rx.blocking_recv().unwrap();
            let done = matches!(ev, Event::BodyLoaded { .. });
            update(&mut app, Msg::Worker(ev));
            if done {
                break;
            }
        }
        term.draw(|f| postie::ui::draw(f, &app)).unwrap();
        opens.push(t0.elapsed());
        update(&mut app, Msg::Key(Key::Char('q')));
    }
    println!(
        "opening a stored {} KB message, key to frame (in process, 80×24): median {:.2} ms, p99 {:.2} ms (target ≤ 10 ms)",
        big.len() / 1024,
        percentile(&mut opens, 0.5),
        percentile(&mut opens, 0.99)
    );

    // 3b. Key-to-frame while N summaries are written to a fresh index.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "bench", DecodeOptions::default()).unwrap();
    let writer = StoreHandle::start(store);
    let uidls: Vec<(Uidl, u64)> = (0..n)
        .map(|i| (Uidl::from(format!("u{i}")), 2000))
        .collect();
    let all = uidls.clone();
    rt.block_on(writer.run(move |s| s.apply_server_index(&all, &[])))
        .unwrap()
        .unwrap();
    let summaries: Vec<(Uidl, Arc<Summary>)> = (0..n)
        .map(|i| {
            (
                uidls[i].0.clone(),
                Arc::new(Summary::from_headers(
                    &generated_message(i),
                    &DecodeOptions::default(),
                )),
            )
        })
        .collect();
    let mut app = App::new(HeaderInfo::default(), 80, 24);
    update(
        &mut app,
        Msg::Worker(Event::LocalLoaded(
            uidls
                .iter()
                .map(|(u, s)| postie::sync::ListRow::new(u.clone(), *s))
                .collect(),
        )),
    );
    let written = Instant::now();
    for chunk in summaries.chunks(256) {
        let rows = chunk.to_vec();
        writer.post(move |s| {
            s.put_summaries(&rows).unwrap();
        });
    }
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    writer.post(move |_| {
        let _ = done_tx.send(());
    });
    let mut keys = Vec::new();
    let mut i = 0u64;
    let finished = loop {
        if done_rx.try_recv().is_ok() {
            break written.elapsed();
        }
        let k = match i % 100 {
            99 => Key::Char('G'),
            0 => Key::Char('g'),
            _ => Key::Char('j'),
        };
        let t0 = Instant::now();
        update(&mut app, Msg::Key(k));
        term.draw(|f| postie::ui::draw(f, &app)).unwrap();
        keys.push(t0.elapsed());
        i += 1;
        std::thread::sleep(Duration::from_millis(2));
    };
    println!(
        "key-to-frame while {n} summaries are written to the index ({:.2} s of writing, {} keys): median {:.3} ms, p99 {:.3} ms, max {:.3} ms (target p99 ≤ 2 ms)",
        finished.as_secs_f64(),
        keys.len(),
        percentile(&mut keys, 0.5),
        percentile(&mut keys, 0.99),
        keys.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
    keys_while_downloading(&dovecot, &rt, bg);
}

/// Key-to-frame (update + draw, 80×24) while the worker downloads a
/// 10,000-message mailbox in the background (`download = "all"`), events
/// applied between keys as the event loop would.
fn keys_while_downloading(dovecot: &Dovecot, rt: &tokio::runtime::Runtime, n: usize) {
    use postie::pop3::{AuthPreference, ClientConfig, Endpoint, Timeouts, TlsMode};
    let dir = tempfile::tempdir().unwrap();
    let store =
        StoreHandle::start(Store::open(dir.path(), "bg", DecodeOptions::default()).unwrap());
    let cfg = ClientConfig {
        token: None,
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port: dovecot.plain_port,
            tls: TlsMode::None,
            ca_file: None,
            timeouts: Timeouts::default(),
        },
        user: "bg".into(),
        password: postie::secret::Secret::new(dovecot.password("bg")),
        auth: AuthPreference::User,
        allow_insecure_auth: false,
        pipelining: true,
    };
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker =
        postie::worker::Worker::new(cfg, DecodeOptions::default(), Some(store), req_rx, ev_tx)
            .with_background_download(Some(None));
    let task = rt.spawn(worker.run());
    let mut app = App::new(HeaderInfo::default(), 80, 24);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut keys = Vec::new();
    let start = Instant::now();
    let mut i = 0u64;
    let mut finished = None;
    while start.elapsed() < Duration::from_secs(300) {
        while let Ok(ev) = ev_rx.try_recv() {
            if let Event::Downloading { done, total } = &ev {
                if done == total && *total == n {
                    finished = Some(start.elapsed());
                }
            }
            for e in update(&mut app, Msg::Worker(ev)) {
                if let Effect::Worker(r) = e {
                    let _ = req_tx.send(r);
                }
            }
        }
        if finished.is_some() {
            break;
        }
        if app.indexed() {
            let k = match i % 100 {
                99 => Key::Char('G'),
                0 => Key::Char('g'),
                _ => Key::Char('j'),
            };
            let t0 = Instant::now();
            for e in update(&mut app, Msg::Key(k)) {
                if let Effect::Worker(r) = e {
                    let _ = req_tx.send(r);
                }
            }
            term.draw(|f| postie::ui::draw(f, &app)).unwrap();
            keys.push(t0.elapsed());
            i += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = req_tx.send(postie::worker::Request::QuitDiscard);
    let _ = rt.block_on(task);
    match finished {
        Some(f) => println!(
            "key-to-frame while the reader downloads {n} messages in the background ({:.1} s, {} keys): median {:.3} ms, p99 {:.3} ms (target p99 ≤ 2 ms)",
            f.as_secs_f64(),
            keys.len(),
            percentile(&mut keys, 0.5),
            percentile(&mut keys, 0.99)
        ),
        None => println!("background download did not finish in 300 s ({} keys timed)", keys.len()),
    }
}

/// A plain-text message of about 100 KB (Chinese and ASCII lines).
fn hundred_kb() -> Vec<u8> {
    let mut body = String::new();
    let mut k = 0;
    while body.len() < 100 * 1024 {
        body.push_str(&format!(
            "第{k}行：季度销售报告，华东区表现最好。Line {k} of the report.\n"
        ));
        k += 1;
    }
    common::message(
        "李明 <li@example.cn>",
        "一百千字节",
        "Tue, 02 Jan 2024 10:00:00 +0800",
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
        &body,
    )
}
