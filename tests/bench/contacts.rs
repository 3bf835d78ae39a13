//! `cargo bench --bench contacts`: completion over a 50,000-contact address
//! book (Chinese names from common surnames and given names, a third of
//! them Western; mixed ranks). Prints the time to load the book and build
//! the completion keys (pinyin for every Chinese name), and per keystroke
//! p50/p99/max over typed queries (`z`, `zh`, … `zhang wei`, `张`, `张伟`,
//! `wei@`, `li.n`). A measurement, not a test. Knob:
//! `POSTIE_BENCH_CONTACTS` (50000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::time::Instant;

use postie::contacts::{Book, Card, Seen};

fn main() {
    let n: usize = std::env::var("POSTIE_BENCH_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    println!("machine: {}", common::machine());
    let surnames = [
        "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "单", "曾",
    ];
    let given = [
        "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
    ];
    let western = [
        "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut book = Book::open(&dir.path().join("contacts.sqlite")).unwrap();
    let cards: Vec<Card> = (0..n)
        .map(|i| {
            let name = if i % 3 == 2 {
                format!(
                    "{} {}",
                    western[i % western.len()],
                    western[(i / 8) % western.len()]
                )
            } else {
                format!(
                    "{}{}{}",
                    surnames[i % surnames.len()],
                    given[(i / 12) % given.len()],
                    if i % 2 == 0 {
                        given[(i / 7) % given.len()]
                    } else {
                        ""
                    }
                )
            };
            Card {
                name,
                emails: vec![format!("user{i}@corp{}.cn", i % 50)],
                groups: if i % 100 == 0 {
                    vec![format!("组{}", i % 7)]
                } else {
                    vec![]
                },
                is_group: false,
            }
        })
        .collect();
    book.add_cards(&cards).unwrap();
    let seen: Vec<Seen> = (0..n / 5)
        .map(|i| Seen {
            name: String::new(),
            email: format!("user{}@corp{}.cn", i * 5, (i * 5) % 50),
            sent: i % 2 == 0,
            at: 1_750_000_000 - (i as i64) * 3600,
        })
        .collect();
    book.learn(&seen).unwrap();
    let t = Instant::now();
    let matcher = book.matcher(1_750_000_000).unwrap();
    println!(
        "{} contacts and groups loaded, keys built: {:.1} ms",
        matcher.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let typed = [
        "z",
        "zh",
        "zha",
        "zhan",
        "zhang",
        "zhang ",
        "zhang w",
        "zhang we",
        "zhang wei",
        "zw",
        "zwf",
        "张",
        "张伟",
        "w",
        "we",
        "wei",
        "wei@",
        "l",
        "li",
        "li.",
        "li.n",
        "a",
        "al",
        "ali",
        "alice",
        "user1",
        "user12",
        "user123@",
        "shan",
        "dan",
        "cz",
    ];
    let mut times = Vec::new();
    for _ in 0..20 {
        for q in typed {
            let t = Instant::now();
            let hits = matcher.find(q, 10);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(hits);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "per keystroke over {n} contacts ({} queries): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 ≤ 5 ms)",
        times.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1]
    );
}
