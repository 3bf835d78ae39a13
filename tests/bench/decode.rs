//! `cargo bench --bench decode`: decoding throughput over the fixture corpus
//! and the demo mailbox, summary extraction from `TOP n 0` header blocks, and
//! the time each hostile input takes. Prints figures; not part of CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use postie::mime::{DecodeOptions, Rendered, Summary};

fn header_block(raw: &[u8]) -> &[u8] {
    raw.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| &raw[..p + 4])
        .unwrap_or(raw)
}

/// Runs `f` until `budget` has passed; returns (iterations, elapsed).
fn repeat(budget: Duration, mut f: impl FnMut()) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    (n, start.elapsed())
}

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    corpus.extend(postie::demo::FILES.iter().map(|(_, b)| b.to_vec()));
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let opts = DecodeOptions::default();
    println!(
        "corpus: {} messages, {} bytes (tests/fixtures + assets/demo)",
        corpus.len(),
        bytes
    );

    let (n, t) = repeat(Duration::from_secs(2), || {
        for m in &corpus {
            black_box(Rendered::from_message(black_box(m), &opts));
        }
    });
    let mb = (n as f64 * bytes as f64) / 1e6;
    println!(
        "full decode (Rendered::from_message): {:.1} MB/s, {:.1} µs per message",
        mb / t.as_secs_f64(),
        t.as_secs_f64() * 1e6 / (n as f64 * corpus.len() as f64)
    );

    let headers: Vec<&[u8]> = corpus.iter().map(|m| header_block(m)).collect();
    let (n, t) = repeat(Duration::from_secs(2), || {
        for h in &headers {
            black_box(Summary::from_headers(black_box(h), &opts));
        }
    });
    println!(
        "summary from TOP headers (Summary::from_headers): {:.2} µs per message",
        t.as_secs_f64() * 1e6 / (n as f64 * headers.len() as f64)
    );

    let big = common::generated_mailbox(2000);
    let big_headers: Vec<&[u8]> = big.iter().map(|m| header_block(m)).collect();
    let start = Instant::now();
    for h in &big_headers {
        black_box(Summary::from_headers(h, &opts));
    }
    println!(
        "summaries of the 2,000 generated test messages: {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );

    for (name, raw) in [
        ("100,000-character header", common::hostile::huge_header()),
        ("10,000 Received lines", common::hostile::many_received()),
        ("5 MB base64 attachment", common::hostile::big_attachment()),
        ("1,000 nested multiparts", common::hostile::deeply_nested()),
    ] {
        let start = Instant::now();
        let r = black_box(Rendered::from_message(&raw, &opts));
        let s = black_box(Summary::from_headers(header_block(&raw), &opts));
        println!(
            "{name:>26}: {:>8.2} ms ({} bytes; subject {} chars)",
            start.elapsed().as_secs_f64() * 1e3,
            raw.len(),
            s.subject().chars().count().max(r.subject.chars().count())
        );
    }
}
