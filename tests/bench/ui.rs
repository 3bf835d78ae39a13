//! `cargo bench --bench ui`: frame draw time with 100,000 messages in the list
//! (80×24 and 200×50), and key-to-frame latency while header batches stream
//! in, as the event loop sees them: update(key) then draw. Prints figures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use postie::app::keymap::Key;
use postie::app::{update, App, HeaderInfo, Msg};
use postie::mime::{DecodeOptions, Summary};
use postie::sync::ListRow;
use postie::worker::Event;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const N: usize = 100_000;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn header(i: usize) -> Vec<u8> {
    use base64::Engine as _;
    let text = format!("第{i}号：季度销售报告与项目进度");
    let (subject, _, _) = encoding_rs::GBK.encode(&text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&subject);
    format!(
        "From: =?gbk?B?{}?= <user{i}@example.cn>\r\nTo: you@example.com\r\nSubject: =?gbk?B?{b64}?=\r\nDate: Mon, 01 Jan 2024 10:{:02}:00 +0800\r\nContent-Type: text/plain; charset=gbk\r\n\r\n",
        base64::engine::general_purpose::STANDARD.encode(encoding_rs::GBK.encode("张伟").0),
        i % 60
    )
    .into_bytes()
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize]
}

fn main() {
    let before = rss_kb();
    let mut app = App::new(
        HeaderInfo {
            account: "bench".into(),
            server: "127.0.0.1:110".into(),
            mode: "plain".into(),
        },
        80,
        24,
    );
    let entries = (0..N)
        .map(|i| ListRow::new(format!("u{i}").into(), 2000 + i as u64))
        .collect();
    update(&mut app, Msg::Worker(Event::Indexed(entries)));

    // Key-to-frame while headers stream in: a batch of 64 arrives, then a key.
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut latencies = Vec::new();
    for n in 0..N.div_ceil(64) {
        // Summaries are parsed by the worker in the real program; here, outside the timed part.
        let chunk: Vec<(postie::uidl::Uidl, std::sync::Arc<Summary>)> = (n * 64
            ..((n + 1) * 64).min(N))
            .map(|i| {
                (
                    format!("u{i}").into(),
                    std::sync::Arc::new(Summary::from_headers(
                        &header(i),
                        &DecodeOptions::default(),
                    )),
                )
            })
            .collect();
        update(&mut app, Msg::Worker(Event::HeadersLoaded(chunk)));
        let key = if n % 50 == 49 {
            Key::Char('G')
        } else if n % 50 == 0 {
            Key::Char('g')
        } else {
            Key::Char('j')
        };
        let start = Instant::now();
        update(&mut app, Msg::Key(key));
        term.draw(|f| postie::ui::draw(f, &app)).unwrap();
        latencies.push(start.elapsed());
    }
    let after = rss_kb();
    println!(
        "{N} messages with summaries in the list: app state ≈ {} MB (RSS growth of this process)",
        (after.saturating_sub(before)) / 1024
    );
    let p50 = percentile(&mut latencies, 0.5);
    let p99 = percentile(&mut latencies, 0.99);
    let max = *latencies.last().unwrap();
    println!("key-to-frame while {} header batches stream in (80×24): median {:.3} ms, p99 {:.3} ms, max {:.3} ms", latencies.len(), p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3, max.as_secs_f64() * 1e3);

    for (w, h) in [(80u16, 24u16), (200, 50)] {
        update(&mut app, Msg::Resize(w, h));
        update(&mut app, Msg::Key(Key::Char('G')));
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let frames = 2000;
        let start = Instant::now();
        for i in 0..frames {
            update(
                &mut app,
                Msg::Key(if i % 2 == 0 {
                    Key::Char('k')
                } else {
                    Key::Char('j')
                }),
            );
            term.draw(|f| postie::ui::draw(f, &app)).unwrap();
        }
        let per = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
        println!("frame (update + draw) with {N} messages at {w}×{h}: {per:.3} ms");
    }

    // Three accounts of N messages each in one reader, the sidebar drawn
    // (its unread counts go over every account's lists each frame).
    let mut desk = postie::app::desk::Desk::new(vec![app.clone(), app.clone(), app]);
    desk.update(Msg::Resize(200, 50), None);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let frames = 500;
    let start = Instant::now();
    for i in 0..frames {
        let k = if i % 2 == 0 {
            Key::Char('k')
        } else {
            Key::Char('j')
        };
        desk.update(Msg::Key(k), None);
        term.draw(|f| postie::ui::draw_desk(f, &desk)).unwrap();
    }
    let per = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
    println!(
        "frame (update + draw) with 3 accounts of {N} messages at 200×50, sidebar: {per:.3} ms"
    );
    // 200 folders in the sidebar (the five, 195 of the user's, two levels),
    // 50 messages each, beside the 100,000-message INBOX.
    let mut one = desk.app().clone();
    let mut folders: Vec<postie::store::Folder> = postie::store::Folder::ALL.to_vec();
    for k in 0..195 {
        let name = if k % 3 == 0 {
            format!("客户{k}")
        } else {
            format!("项目{}/二期{k}", k / 3)
        };
        folders.push(postie::store::Folder::own(&name).unwrap());
    }
    for f in &folders[5..] {
        let rows = (0..50)
            .map(|i| ListRow::new(format!("{}-{i}", f.name()).into(), 1000))
            .collect();
        update(
            &mut one,
            Msg::Worker(Event::FolderLoaded {
                folder: f.clone(),
                rows,
            }),
        );
    }
    update(&mut one, Msg::Worker(Event::Folders(folders)));
    let mut desk = postie::app::desk::Desk::new(vec![one]);
    desk.update(Msg::Resize(200, 50), None);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let start = Instant::now();
    for i in 0..frames {
        let k = if i % 2 == 0 {
            Key::Char('k')
        } else {
            Key::Char('j')
        };
        desk.update(Msg::Key(k), None);
        term.draw(|f| postie::ui::draw_desk(f, &desk)).unwrap();
    }
    let per = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
    println!("frame (update + draw) with 200 folders in the sidebar and {N} messages at 200×50: {per:.3} ms");
    let start = Instant::now();
    let title = desk.title();
    println!(
        "title (unread over 3 × {N}): {:.3} ms ({title})",
        start.elapsed().as_secs_f64() * 1e3
    );
}
