//! `cargo bench --bench list`: how long `postie list` takes on a 2,000-message
//! mailbox in a real Dovecot, pipelined and lock-step, at several one-way
//! delays (a latency proxy stands in for a slow link). Prints figures; it is a
//! measurement, not a test, and it is not part of CI's pass/fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::proxy::LatencyProxy;
use common::{big_message, generated_mailbox, Account, Dovecot, User};

fn main() {
    let n: usize = std::env::var("POSTIE_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let delays_ms: Vec<u64> = std::env::var("POSTIE_BENCH_DELAYS_MS")
        .ok()
        .map(|v| v.split(',').filter_map(|d| d.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![0, 5, 25]);
    let mut mailbox = generated_mailbox(n);
    mailbox.push(big_message(100 * 1024 * 1024));
    let dovecot = match Dovecot::start(vec![User::new("bench", mailbox)]) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot start Dovecot: {e}");
            std::process::exit(1);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let password = dovecot.password("bench");
    let count = n + 1;
    println!("postie list, {count} messages in a private Dovecot on 127.0.0.1 (one is 100 MB), plain link, USER/PASS");
    println!("machine: {}", common::machine());
    println!(
        "{:>10}  {:>12}  {:>12}  {:>8}  {:>12}  {:>12}",
        "one-way", "pipelined", "lock-step", "ratio", "peak RSS", "warm cache"
    );

    // `home` keeps the header cache between runs; None means a cold cache.
    let run_in = |port: u16, pipelining: bool, home: Option<&std::path::Path>| -> (Duration, u64) {
        let acct = Account {
            port,
            tls: "none",
            user: "bench",
            auth: "user",
            ca_file: None,
            pipelining,
        };
        let fresh = tempfile::tempdir().unwrap();
        let dir = home.unwrap_or(fresh.path());
        let cfg = dir.join("config.toml");
        std::fs::write(&cfg, acct.toml()).unwrap();
        let start = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(env!("CARGO_BIN_EXE_postie"))
            .args(["list", "--json"])
            .env("POSTIE_CONFIG", &cfg)
            .env("POSTIE_PASSWORD", &password)
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .output()
            .unwrap();
        let elapsed = start.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows.len(), count);
        let rss_kb = String::from_utf8_lossy(&out.stderr)
            .trim()
            .lines()
            .last()
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        (elapsed, rss_kb)
    };
    let run = |port: u16, pipelining: bool| run_in(port, pipelining, None);
    // Warm Dovecot's index once so every timed run sees the same server.
    run(dovecot.plain_port, true);

    for &ms in &delays_ms {
        // At 0 ms connect directly: the proxy's timer ticks in whole milliseconds.
        let proxy = (ms > 0).then(|| {
            rt.block_on(LatencyProxy::start(
                dovecot.plain_port,
                Duration::from_millis(ms),
            ))
            .unwrap()
        });
        let port = proxy.as_ref().map(|p| p.port).unwrap_or(dovecot.plain_port);
        let best = |pipelining: bool, tries: usize| {
            (0..tries)
                .map(|_| run(port, pipelining))
                .min_by_key(|(d, _)| *d)
                .unwrap()
        };
        let tries = if ms == 0 { 5 } else { 1 };
        let (piped, rss) = best(true, tries);
        let (lock, _) = best(false, tries);
        let home = tempfile::tempdir().unwrap();
        run_in(port, true, Some(home.path()));
        let (warm, _) = (0..tries)
            .map(|_| run_in(port, true, Some(home.path())))
            .min_by_key(|(d, _)| *d)
            .unwrap();
        println!(
            "{:>8} ms  {:>10.3} s  {:>10.3} s  {:>7.1}x  {:>9} KB  {:>10.3} s",
            ms,
            piped.as_secs_f64(),
            lock.as_secs_f64(),
            lock.as_secs_f64() / piped.as_secs_f64(),
            rss,
            warm.as_secs_f64()
        );
    }

    // Streaming: the peak RSS of `show --raw` for the 100 MB message stays small.
    let acct = Account {
        port: dovecot.plain_port,
        tls: "none",
        user: "bench",
        auth: "user",
        ca_file: None,
        pipelining: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, acct.toml()).unwrap();
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "/usr/bin/time -f %M '{}' show {count} --raw | wc -c",
            env!("CARGO_BIN_EXE_postie")
        ))
        .env("POSTIE_CONFIG", &cfg)
        .env("POSTIE_PASSWORD", &password)
        .output()
        .unwrap();
    println!(
        "show --raw of the 100 MB message: {} bytes in {:.2} s, peak RSS {} KB",
        String::from_utf8_lossy(&out.stdout).trim(),
        start.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}
