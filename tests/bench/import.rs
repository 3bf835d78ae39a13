//! `cargo bench --bench import`: `postie import` of a generated mbox (the
//! fetch benches' mail: a third Chinese in GBK base64, 1–30 KB) beside
//! Debian's `mb2md` on the same file and file system, both into an empty
//! Maildir; then the same import again (everything already here). Prints
//! messages/s, wall time and peak RSS (/usr/bin/time). A measurement, not a
//! test. Knobs: `POSTIE_BENCH_IMPORT_N` (100000), `POSTIE_BENCH_DIR` (where
//! the mbox and both Maildirs go; default the system's temp dir).
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

fn main() {
    let n = env_usize("POSTIE_BENCH_IMPORT_N", 100_000);
    println!("machine: {}", common::machine());
    let base = match std::env::var_os("POSTIE_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
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
    println!("an mbox of {n} messages, {:.0} MB", bytes as f64 / 1e6);
    let mut rows = Vec::new();
    if Path::new("/usr/bin/mb2md").exists() {
        let dest = base.path().join("mb2md");
        let (secs, rss, _) = timed(
            Command::new("/usr/bin/mb2md")
                .arg("-s")
                .arg(&mbox)
                .arg("-d")
                .arg(&dest),
        );
        let got = count_files(&dest);
        println!(
            "mb2md:          {secs:7.2} s  {:7.0} messages/s  {rss:6.1} MB  ({got} files)",
            n as f64 / secs
        );
        rows.push(("mb2md", secs));
        std::fs::remove_dir_all(&dest).unwrap();
    } else {
        println!("mb2md: not installed (apt-get install mb2md)");
    }
    let home = base.path().join("postie");
    std::fs::create_dir_all(&home).unwrap();
    let cfg = home.join("config.toml");
    std::fs::write(
        &cfg,
        "[accounts.test]\nhost = \"127.0.0.1\"\nuser = \"bench\"\n",
    )
    .unwrap();
    for run in ["postie import", "again (all here)"] {
        let marks = tempfile::NamedTempFile::new().unwrap();
        let (secs, rss, out) = timed(
            Command::new(env!("CARGO_BIN_EXE_postie"))
                .env("POSTIE_TIMINGS", marks.path())
                .env("POSTIE_CONFIG", &cfg)
                .env("XDG_DATA_HOME", home.join("data"))
                .env("XDG_STATE_HOME", home.join("state"))
                .env("XDG_CACHE_HOME", home.join("cache"))
                .arg("import")
                .arg(&mbox),
        );
        println!(
            "{run:15} {secs:7.2} s  {:7.0} messages/s  {rss:6.1} MB  ({})",
            n as f64 / secs,
            out.lines().next().unwrap_or_default()
        );
        // When every message was durable and listed, and when the full
        // text was indexed (the process's own clock).
        let text = std::fs::read_to_string(marks.path()).unwrap_or_default();
        let mark = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(|ms| ms / 1000.0)
        };
        if let (Some(stored), Some(texts)) = (mark("import-stored "), mark("import-texts-done ")) {
            println!(
                "                 stored (durable, listed) at {stored:.2} s = {:.0} messages/s; full text indexed {:.2} s later",
                n as f64 / stored,
                texts - stored
            );
            if run == "postie import" {
                rows.push(("stored", stored));
                // Where the storing time went (each batch's phases, summed).
                let mut phases: Vec<(String, f64)> = Vec::new();
                for l in text.lines() {
                    let mut f = l.split_whitespace();
                    let (Some(name), Some(v)) = (f.next(), f.next()) else {
                        continue;
                    };
                    if !((name.starts_with("import-") || name.starts_with("texts-"))
                        && name.ends_with("-ms"))
                    {
                        continue;
                    }
                    let v: f64 = v.parse().unwrap_or(0.0);
                    match phases.iter_mut().find(|p| p.0 == name) {
                        Some(p) => p.1 += v,
                        None => phases.push((name.to_string(), v)),
                    }
                }
                let words: Vec<String> = phases
                    .iter()
                    .map(|(n, ms)| format!("{} {:.2} s", n.trim_end_matches("-ms"), ms / 1000.0))
                    .collect();
                println!("                 phases: {}", words.join(", "));
            }
        }
        rows.push((run, secs));
    }
    if let (Some(peer), Some(us)) = (
        rows.iter().find(|r| r.0 == "mb2md"),
        rows.iter().find(|r| r.0 == "postie import"),
    ) {
        println!("postie / mb2md time: {:.2}× (the whole run)", us.1 / peer.1);
        if let Some(stored) = rows.iter().find(|r| r.0 == "stored") {
            println!("postie stored / mb2md time: {:.2}×", stored.1 / peer.1);
        }
    }
}
