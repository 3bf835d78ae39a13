//! `cargo bench --bench import`: `postie import` of a generated mbox (the
//! fetch benches' mail: a third Chinese in GBK base64, 1–30 KB) beside
//! Debian's `mb2md` on the same file and file system, both into an empty
//! Maildir, alternated for `POSTIE_BENCH_ROUNDS` rounds (3; best of each
//! printed); then the same import again (everything already here). Prints
//! messages/s, wall time and peak RSS (/usr/bin/time). A measurement, not a
//! test. Knobs: `POSTIE_BENCH_IMPORT_N` (100000), `POSTIE_BENCH_DIR` (where
//! the mbox and the Maildirs go; default the system's temp dir).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `cmd` under /usr/bin/time: (wall seconds, peak RSS in MB, stdout).
fn timed(cmd: &mut Command) -> (f64, f64, String) {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let mut c = Command::new("/usr/bin/time");
    c.arg("-o").arg(rss_file.path()).args(["-f", "%M"]);
    c.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let start = Instant::now();
    let out = c.output().unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{:?}: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let kb: f64 = std::fs::read_to_string(rss_file.path())
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0.0);
    (
        secs,
        kb / 1024.0,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn count_files(dir: &Path) -> usize {
    ["cur", "new"]
        .iter()
        .map(|s| {
            std::fs::read_dir(dir.join(s))
                .map(|d| d.count())
                .unwrap_or(0)
        })
        .sum()
}

/// A `postie import` run's own marks: when every message was stored
/// (durable, listed, indexed) and where the time went.
fn marks_of(text: &str) -> (Option<f64>, Vec<(String, f64)>) {
    let stored = text
        .lines()
        .find_map(|l| l.strip_prefix("import-texts-done "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|ms| ms / 1000.0);
    // Each batch's phases, summed.
    let mut phases: Vec<(String, f64)> = Vec::new();
    for l in text.lines() {
        let mut f = l.split_whitespace();
        let (Some(name), Some(v)) = (f.next(), f.next()) else {
            continue;
        };
        if !((name.starts_with("import-") || name.starts_with("texts-")) && name.ends_with("-ms")) {
            continue;
        }
        let v: f64 = v.parse().unwrap_or(0.0);
        match phases.iter_mut().find(|p| p.0 == name) {
            Some(p) => p.1 += v,
            None => phases.push((name.to_string(), v)),
        }
    }
    (stored, phases)
}

fn main() {
    let n = env_usize("POSTIE_BENCH_IMPORT_N", 100_000);
    let rounds = env_usize("POSTIE_BENCH_ROUNDS", 3).max(1);
    let base = match std::env::var_os("POSTIE_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    println!("{}", common::machine());
    let mbox = base.path().join("big.mbox");
    let mut bytes = 0usize;
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&mbox).unwrap());
        for i in 0..n {
            let m = common::generated_message(i);
            bytes += m.len();
            w.write_all(b"From sender@example.cn Mon Jan  1 10:00:00 2024\n")
                .unwrap();
            w.write_all(&m).unwrap();
            w.write_all(b"\n").unwrap();
        }
        w.into_inner().unwrap().sync_all().unwrap();
    }
    println!(
        "an mbox of {n} messages, {:.0} MB; {rounds} rounds, mb2md and postie alternated, each into a new directory (nothing is deleted until the end: on ext4 creating files soon after deleting thousands is slow)",
        bytes as f64 / 1e6
    );
    let mb2md = Path::new("/usr/bin/mb2md").exists();
    if !mb2md {
        println!("mb2md: not installed (apt-get install mb2md)");
    }
    let (mut best_peer, mut best_us) = (f64::MAX, f64::MAX);
    let mut last_home = None;
    for round in 1..=rounds {
        if mb2md {
            let dest = base.path().join(format!("mb2md-{round}"));
            let (secs, rss, _) = timed(
                Command::new("/usr/bin/mb2md")
                    .arg("-s")
                    .arg(&mbox)
                    .arg("-d")
                    .arg(&dest),
            );
            let got = count_files(&dest);
            println!(
                "round {round} mb2md:          {secs:7.2} s  {:7.0} messages/s  {rss:6.1} MB  ({got} files)",
                n as f64 / secs
            );
            best_peer = best_peer.min(secs);
        }
        let home = base.path().join(format!("postie-{round}"));
        std::fs::create_dir_all(&home).unwrap();
        let (secs, rss, out, marks) = import(&home, &mbox);
        println!(
            "round {round} postie import:  {secs:7.2} s  {:7.0} messages/s  {rss:6.1} MB  ({})",
            n as f64 / secs,
            out.lines().next().unwrap_or_default()
        );
        let (stored, phases) = marks_of(&marks);
        if let Some(stored) = stored {
            println!("      stored (durable, listed) and indexed at {stored:.2} s (the process's own clock)");
        }
        let words: Vec<String> = phases
            .iter()
            .map(|(n, ms)| format!("{} {:.2} s", n.trim_end_matches("-ms"), ms / 1000.0))
            .collect();
        println!(
            "      phases (summed over batches; the render threads run beside the writing): {}",
            words.join(", ")
        );
        best_us = best_us.min(secs);
        last_home = Some(home);
    }
    if let Some(home) = last_home {
        let (secs, rss, out, _) = import(&home, &mbox);
        println!(
            "again (all here): {secs:7.2} s  {:7.0} messages/s  {rss:6.1} MB  ({})",
            n as f64 / secs,
            out.lines().next().unwrap_or_default()
        );
    }
    if mb2md {
        println!(
            "best of {rounds}: postie {best_us:.2} s ({:.0} messages/s, full text indexed), mb2md {best_peer:.2} s ({:.0} messages/s); postie / mb2md time: {:.2}×",
            n as f64 / best_us,
            n as f64 / best_peer,
            best_us / best_peer
        );
    }
}

/// `postie import MBOX` into the store under `home`: (seconds, peak RSS
/// MB, stdout, its `POSTIE_TIMINGS` marks).
fn import(home: &Path, mbox: &Path) -> (f64, f64, String, String) {
    let cfg = home.join("config.toml");
    std::fs::write(
        &cfg,
        "[accounts.test]\nhost = \"127.0.0.1\"\nuser = \"bench\"\n",
    )
    .unwrap();
    let marks = tempfile::NamedTempFile::new().unwrap();
    let (secs, rss, out) = timed(
        Command::new(env!("CARGO_BIN_EXE_postie"))
            .env("POSTIE_TIMINGS", marks.path())
            .env("POSTIE_CONFIG", &cfg)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .arg("import")
            .arg(mbox),
    );
    let text = std::fs::read_to_string(marks.path()).unwrap_or_default();
    (secs, rss, out, text)
}
