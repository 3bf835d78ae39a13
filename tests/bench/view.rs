//! `cargo bench --bench view`: the reader's views at 100,000 messages and
//! full-text search over 100,000 stored ones. Prints figures (a measurement,
//! not a test): threading (off the UI thread), re-sorting, a limit by
//! subject, a frame with threads on, and the FTS5 words index: time to
//! index, bytes per message, and a 4-character Chinese phrase query.
//! Knobs: `POSTIE_BENCH_N` (default 100000), `POSTIE_BENCH_FTS=0` (skip the index).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::{Duration, Instant};

use postie::app::keymap::Key;
use postie::app::thread::{thread, Input};
use postie::app::{update, App, Effect, HeaderInfo, Msg};
use postie::mime::{DecodeOptions, Summary};
use postie::store::index::TextQuery;
use postie::store::{Flags, Store};
use postie::sync::ListRow;
use postie::uidl::Uidl;
use postie::worker::Event;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn n() -> usize {
    std::env::var("POSTIE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

const TOPICS: [&str; 8] = [
    "项目进度",
    "会议通知",
    "周末聚餐",
    "合同草案",
    "发票",
    "请假申请",
    "budget",
    "release plan",
];

/// Message `i`: threads of up to 8 messages (References chains), Chinese
/// and English subjects, one date in 5,000 unreadable.
fn headers(i: usize) -> String {
    let thread = i / 8;
    let topic = TOPICS[thread % TOPICS.len()];
    let (subject, refs) = if i % 8 == 0 {
        (format!("{topic} {thread}"), String::new())
    } else {
        let parent = i - 1 - (i * 7) % (i % 8);
        let root = thread * 8;
        let refs = if parent == root {
            format!("<m{root}@x>")
        } else {
            format!("<m{root}@x> <m{parent}@x>")
        };
        (
            format!("Re: {topic} {thread}"),
            format!("References: {refs}\r\nIn-Reply-To: <m{parent}@x>\r\n"),
        )
    };
    let date = if i % 5000 == 7 {
        "sometime last week".to_string()
    } else {
        let t = 1_700_000_000 + i as i64 * 60;
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.to_rfc2822())
            .unwrap_or_default()
    };
    format!(
        "From: Sender {} <s{}@example.cn>\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <m{i}@x>\r\n{refs}\r\n",
        i % 977,
        i % 977
    )
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n = n();
    let opts = DecodeOptions::default();
    let summaries: Vec<Arc<Summary>> = (0..n)
        .map(|i| Arc::new(Summary::from_headers(headers(i).as_bytes(), &opts)))
        .collect();
    // Newest first, as the list holds them.
    let uidls: Vec<Uidl> = (0..n).rev().map(|i| Uidl::from(format!("u{i}"))).collect();

    // Threading, as the blocking task runs it.
    let inputs: Vec<Input> = (0..n)
        .map(|k| Input {
            uidl: uidls[k].clone(),
            summary: Some(summaries[n - 1 - k].clone()),
            arrival: k as u32,
        })
        .collect();
    let mut best = Duration::MAX;
    let mut threads = 0;
    for _ in 0..3 {
        let (layout, d) = time(|| thread(&inputs));
        threads = layout.rows.iter().filter(|r| r.depth == 0).count();
        best = best.min(d);
    }
    println!("threading {n} messages ({threads} threads): {} (best of 3; target ≤ 300 ms, off the UI thread)", ms(best));

    // The reader's own steps: update(key), as the event loop runs them.
    let mut app = App::new(HeaderInfo::default(), 200, 50);
    let entries: Vec<ListRow> = uidls
        .iter()
        .map(|u| ListRow::new(u.clone(), 2000))
        .collect();
    update(&mut app, Msg::Worker(Event::Indexed(entries)));
    let batch: Vec<(Uidl, Arc<Summary>)> = (0..n)
        .map(|k| (uidls[k].clone(), summaries[n - 1 - k].clone()))
        .collect();
    update(&mut app, Msg::Worker(Event::HeadersLoaded(batch)));
    for name in ["arrival", "sender", "subject", "size", "date"] {
        let (_, d) = time(|| update(&mut app, Msg::Key(Key::Char('o'))));
        println!("re-sort by {name}: {} (target ≤ 100 ms)", ms(d));
        assert_eq!(
            app.notice().as_deref(),
            Some(format!("sorted by {name}").as_str())
        );
    }
    let (_, d) = time(|| update(&mut app, Msg::Key(Key::Char('O'))));
    println!("reverse: {}", ms(d));
    update(&mut app, Msg::Key(Key::Char('O')));
    update(&mut app, Msg::Key(Key::Char('l')));
    for c in "subject:合同".chars() {
        update(&mut app, Msg::Key(Key::Char(c)));
    }
    let (_, d) = time(|| update(&mut app, Msg::Key(Key::Enter)));
    println!(
        "limit subject:合同 ({} of {n} rows): {} (target ≤ 50 ms)",
        app.list().shown(),
        ms(d)
    );
    update(&mut app, Msg::Key(Key::Char('l')));
    update(&mut app, Msg::Key(Key::Ctrl('u')));
    update(&mut app, Msg::Key(Key::Enter));

    // Threads on: the job as the edge runs it, then frames.
    let effects = update(&mut app, Msg::Key(Key::Char('t')));
    let job = effects.iter().find_map(|e| match e {
        Effect::Thread { job, .. } => Some(job.clone()),
        _ => None,
    });
    let Some(job) = job else {
        panic!("t did not ask for threads: {effects:?}")
    };
    let (layout, d) = time(|| job.run());
    println!("threading job from the reader's list: {}", ms(d));
    let (_, d) = time(|| {
        update(
            &mut app,
            Msg::Threaded {
                folder: postie::store::Folder::Inbox,
                generation: job.generation,
                layout: Arc::new(layout),
            },
        )
    });
    println!("taking the threads into the list (UI thread): {}", ms(d));
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        update(&mut app, Msg::Resize(w, h));
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let frames = 1000;
        let start = Instant::now();
        for i in 0..frames {
            let k = if i % 2 == 0 {
                Key::Char('j')
            } else {
                Key::Char('k')
            };
            update(&mut app, Msg::Key(k));
            term.draw(|f| postie::ui::draw(f, &app)).unwrap();
        }
        let per = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
        println!("frame with threads on, {n} messages, {w}×{h}: {per:.3} ms (target ≤ 2 ms)");
    }
    drop(app);
    if std::env::var("POSTIE_BENCH_FTS").as_deref() != Ok("0") {
        fts(n);
    }
}

/// A stored message: a GBK base64 body of about 1-3 KB; one in 1,000 says
/// 季度报告 and 预算 (a two-character word found nowhere else).
fn stored_message(i: usize) -> Vec<u8> {
    use base64::Engine as _;
    let mut text = String::new();
    for l in 0..(8 + i % 24) {
        text.push_str(&format!(
            "第{l}行：关于{}的说明，请在周五之前回复。Line {l} of message {i}, see the attached figures.\r\n",
            TOPICS[(i + l) % TOPICS.len()]
        ));
    }
    if i % 1000 == 500 {
        text.push_str("附件是第二季度报告和预算，请查收。\r\n");
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&gbk);
    let body: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned() + "\r\n")
        .collect();
    format!(
        "{}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}",
        headers(i).trim_end_matches("\r\n").to_string() + "\r\n"
    )
    .into_bytes()
}

fn fts(n: usize) {
    let home = tempfile::tempdir().unwrap();
    // Where `postie search` finds the account "bench" on 127.0.0.1 as user u.
    let root = home.path().join("data/postie/bench");
    std::fs::create_dir_all(&root).unwrap();
    let mut store = Store::open(&root, "127.0.0.1/u", DecodeOptions::default()).unwrap();
    let cur = root.join("INBOX").join("cur");
    // Files written straight into cur/ (no fsync: this measures the index,
    // not the disk), then recorded as fetch records them.
    let mut bytes = 0u64;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let m = stored_message(i);
        bytes += m.len() as u64;
        let name = format!("{}.M{i}P1.bench,S={}:2,S", 1_700_000_000 + i, m.len());
        std::fs::write(cur.join(&name), &m).unwrap();
        rows.push((
            format!("u{i}"),
            format!("cur/{name}"),
            m.len() as u64,
            Flags::SEEN,
        ));
    }
    store
        .index_mut()
        .stored_many(&postie::store::Folder::Inbox, &rows, true)
        .unwrap();
    let before = store.index().page_bytes().unwrap();
    let (done, d) = time(|| store.index_texts(usize::MAX).unwrap());
    let after = store.index().page_bytes().unwrap();
    println!(
        "full-text index of {done} stored messages ({:.0} MB of mail): {:.1} s, {:.0} messages/s; index {:.0} bytes per message ({:.0} MB in all)",
        bytes as f64 / 1e6,
        d.as_secs_f64(),
        done as f64 / d.as_secs_f64(),
        (after.saturating_sub(before)) as f64 / done.max(1) as f64,
        (after.saturating_sub(before)) as f64 / 1e6
    );
    let words = store.index().text_bytes().unwrap();
    println!(
        "of which the words table {:.0} bytes per message",
        words as f64 / done.max(1) as f64
    );
    for q in [
        "季度报告",
        "周五之前",
        "合同",
        "预算",
        "预",
        "figures",
        "igure",
        "ttach",
    ] {
        let query = TextQuery {
            any: vec![q.to_string()],
            ..TextQuery::default()
        };
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..11 {
            let (r, d) = time(|| store.index().search(&query).unwrap());
            found = r.len();
            times.push(d);
        }
        times.sort();
        println!(
            "search {q:?} over {n} stored messages: {} found, median {} (target ≤ 50 ms)",
            found,
            ms(times[times.len() / 2])
        );
    }
    drop(store);
    // The whole command, as a user runs it: process start, config, store
    // open, the search, the rows printed; beside grep over the same Maildir
    // (which cannot see into base64 GBK bodies, so it finds nothing).
    let cfg = home.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[accounts.bench]\nhost = \"127.0.0.1\"\nuser = \"u\"\ntls = \"none\"\n",
    )
    .unwrap();
    let run = |cmd: &mut std::process::Command| {
        let mut times = Vec::new();
        let mut lines = 0;
        for _ in 0..7 {
            let (out, d) = time(|| cmd.output().unwrap());
            lines = out.stdout.iter().filter(|b| **b == b'\n').count();
            times.push(d);
        }
        times.sort();
        (lines, times[times.len() / 2])
    };
    for q in ["预算", "季度报告"] {
        let (lines, d) = run(std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
            .args(["search", q])
            .env("POSTIE_CONFIG", &cfg)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_STATE_HOME", home.path().join("state")));
        println!(
            "`postie search {q}` (the whole command) over {n} stored messages: {lines} rows, median {} (target ≤ 50 ms)",
            ms(d)
        );
        let (files, d) = run(std::process::Command::new("grep")
            .args(["-rlF", q])
            .arg(root.join("INBOX")));
        println!(
            "peer: `grep -rlF {q}` over the same Maildir: {files} files, median {}",
            ms(d)
        );
    }
}
