//! `cargo bench --bench scale`: the reader (the real binary, in a real terminal
//! under tmux) against a private Dovecot holding N generated messages (a third
//! of them Chinese), behind a latency proxy on 127.0.0.1. For each N and
//! one-way delay it prints, from the milestones postie itself records
//! (`POSTIE_TIMINGS`, measured from process start):
//!
//! - time to the first screenful (every visible row filled),
//! - time to the full list with an empty header cache,
//! - time to the full list with a warm cache and 20 new messages,
//! - peak RSS,
//!
//! and, in its own line, `postie list --json` with an empty store (a
//! process writing every row to a file: login, index, every header decoded,
//! recorded in the store, printed), best of the same tries,
//!
//! beside a minimal pipelined reference client in this process (USER + PASS +
//! STAT in one flight, then every `TOP n 0` newest first, unparsed) and, if
//! installed, mutt (timed until its index shows every message). A
//! measurement, not a test: not part of CI's pass/fail.
//!
//! Knobs: `POSTIE_BENCH_SIZES=1000,10000,100000`, `POSTIE_BENCH_DELAYS_MS=0,25`,
//! `POSTIE_BENCH_MUTT=0` to leave mutt out, `POSTIE_BENCH_HOLD=SECS` to keep the
//! server up (its address printed) for profiling by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::dovecot::maildir_name;
use common::proxy::LatencyProxy;
use common::tmux::{postie_command, Tmux};
use common::{generated_message, Account, Dovecot, User};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// List rows on an 80×24 screen (24 minus header, column titles, status line).
const SCREENFUL: usize = 21;
/// New messages delivered between the cold and the warm run.
const NEW_MAIL: usize = 20;
/// Cold runs per side and row; the best of each is printed.
const TRIES: usize = 3;

fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|d| d.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn main() {
    let sizes = env_list("POSTIE_BENCH_SIZES", &[1000, 10_000, 100_000]);
    let delays = env_list("POSTIE_BENCH_DELAYS_MS", &[0, 25]);
    let mutt = std::env::var("POSTIE_BENCH_MUTT").map_or(true, |v| v != "0")
        && Command::new("mutt").arg("-v").output().is_ok();
    let names: Vec<&'static str> = sizes
        .iter()
        .map(|n| &*Box::leak(format!("n{n}").into_boxed_str()))
        .collect();
    let dovecot = Dovecot::start(names.iter().map(|n| User::new(n, Vec::new())).collect())
        .unwrap_or_else(|e| {
            eprintln!("cannot start Dovecot: {e}");
            std::process::exit(1);
        });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    println!("machine: {}", common::machine());
    println!(
        "server: Dovecot {} on 127.0.0.1, Maildir, plain POP3, USER/PASS; 80x24 terminal (tmux)",
        dovecot_version()
    );
    println!("times in seconds from process start; 'open' = logged in with the maildrop open (STAT answered); 'screen' = first {SCREENFUL} rows filled; 'warm' = reopen with a header cache and {NEW_MAIL} new messages");
    println!("cold figures are the best of {TRIES} runs per side, taken in turns; targets: screen ≤ open + 2 RTT + 100 ms, warm ≤ open + 3 RTT + 100 ms");
    println!();
    println!(
        "{:>7} {:>4} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} {:>6} {:>7} | {:>5} {:>5} | {:>7} {:>7} {:>7}",
        "N", "ms", "open", "screen", "full", "screen", "full", "warm", "ratio", "RSS MB", "scr≤", "wrm≤", "mutt", "warm", "RSS MB"
    );
    println!(
        "{:>12} | {:^20} | {:^37} | {:^11} | {:^23}",
        "", "reference", "postie", "targets", "mutt"
    );

    for (&n, &user) in sizes.iter().zip(&names) {
        let n = n as usize;
        let made = Instant::now();
        fill(&dovecot, user, 0..n);
        eprintln!(
            "[{n} messages written in {:.1} s]",
            made.elapsed().as_secs_f64()
        );
        let password = dovecot.password(user);
        if let Some(secs) = std::env::var("POSTIE_BENCH_HOLD")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            // For profiling by hand: the server stays up this long.
            eprintln!(
                "[holding: 127.0.0.1:{} user {user} password {password}]",
                dovecot.plain_port
            );
            // And one latency proxy per delay asked for, to profile a slow link by hand.
            let proxies: Vec<LatencyProxy> = delays
                .iter()
                .filter(|&&ms| ms > 0)
                .map(|&ms| {
                    let p = rt
                        .block_on(LatencyProxy::start(
                            dovecot.plain_port,
                            Duration::from_millis(ms),
                        ))
                        .unwrap();
                    eprintln!("[holding: {ms} ms one way at 127.0.0.1:{}]", p.port);
                    p
                })
                .collect();
            std::thread::sleep(Duration::from_secs(secs));
            drop(proxies);
        }
        let mut next = n;
        // Let Dovecot build its index once, so every timed run sees the same server.
        rt.block_on(reference(dovecot.plain_port, user, &password))
            .unwrap_or_else(|e| panic!("reference client: {e}"));
        for &ms in &delays {
            let proxy = (ms > 0).then(|| {
                rt.block_on(LatencyProxy::start(
                    dovecot.plain_port,
                    Duration::from_millis(ms),
                ))
                .unwrap()
            });
            let port = proxy.as_ref().map_or(dovecot.plain_port, |p| p.port);
            let acct = Account {
                port,
                tls: "none",
                user,
                auth: "user",
                ca_file: None,
                pipelining: true,
            };
            // The server's pace varies between runs: each side gets the best
            // of TRIES cold runs, taken in turns.
            let mut best: Option<(Reference, PostieRun, tempfile::TempDir)> = None;
            let mut json: Option<(f64, u64)> = None;
            for _ in 0..TRIES {
                let r = rt.block_on(reference(port, user, &password)).unwrap();
                let j = run_list_json(&acct, &password);
                json = Some(json.map_or(j, |b| if j.0 < b.0 { j } else { b }));
                let home = tempfile::tempdir().unwrap();
                let c = run_postie(home.path(), &acct, &password);
                best = Some(match best {
                    None => (r, c, home),
                    Some((br, bc, bh)) => {
                        let r = if r.full < br.full { r } else { br };
                        if c.full < bc.full {
                            (r, c, home)
                        } else {
                            (r, bc, bh)
                        }
                    }
                });
            }
            let Some((r, cold, home)) = best else {
                unreachable!()
            };
            let mutt_home = tempfile::tempdir().unwrap();
            // mutt pays two round trips per message: skip runs that would take over ~3 minutes.
            let mutt_ok = mutt && (n as u64) * 4 * ms <= 180_000;
            let mutt_cold =
                mutt_ok.then(|| run_mutt(mutt_home.path(), port, user, &password, next));
            fill(&dovecot, user, next..next + NEW_MAIL);
            next += NEW_MAIL;
            let warm = run_postie(home.path(), &acct, &password);
            let mutt_warm =
                mutt_ok.then(|| run_mutt(mutt_home.path(), port, user, &password, next));
            let rtt = 2.0 * ms as f64 / 1000.0;
            let screen_target = r.open + 2.0 * rtt + 0.1;
            let warm_target = r.open + 3.0 * rtt + 0.1;
            let fmt_mutt = |m: &Option<(f64, u64)>, rss: bool| match m {
                Some((t, kb)) if rss => format!("{:.1}", *kb as f64 / 1024.0),
                Some((t, _)) => format!("{t:.3}"),
                None => "-".into(),
            };
            println!(
                "{:>7} {:>4} | {:>6.3} {:>6.3} {:>6.3} | {:>6.3} {:>6.3} {:>6.3} {:>5.2}x {:>7.1} | {:>5} {:>5} | {:>7} {:>7} {:>7}",
                n,
                ms,
                r.open,
                r.screen,
                r.full,
                cold.screen,
                cold.full,
                warm.full,
                cold.full / r.full,
                cold.rss_kb.max(warm.rss_kb) as f64 / 1024.0,
                if cold.screen <= screen_target { "yes" } else { "NO" },
                if warm.full <= warm_target { "yes" } else { "NO" },
                fmt_mutt(&mutt_cold, false),
                fmt_mutt(&mutt_warm, false),
                fmt_mutt(&mutt_cold, true),
            );
            if let Some((secs, kb)) = json {
                println!(
                    "{:>12} | postie list --json, empty store: {secs:.3} s = {:.2}x the reference's full list, peak RSS {:.1} MB",
                    "",
                    secs / r.full,
                    kb as f64 / 1024.0
                );
            }
            eprintln!(
                "[targets: screen ≤ {screen_target:.3} s, warm ≤ {warm_target:.3} s; reference PASS accepted at {:.3} s; postie logged in and indexed at {:.3} s cold, {:.3} s warm; peak RSS {:.1} MB cold, {:.1} MB warm]",
                r.login,
                cold.indexed,
                warm.indexed,
                cold.rss_kb as f64 / 1024.0,
                warm.rss_kb as f64 / 1024.0
            );
        }
    }
}

/// Delivers messages `range` of the generated mailbox into `user`'s Maildir
/// the way a delivery agent does (`new/`, in order), owned by the server's user.
fn fill(dovecot: &Dovecot, user: &str, range: std::ops::Range<usize>) {
    let new = dovecot.maildir(user).join("new");
    std::fs::create_dir_all(&new).unwrap();
    for i in range {
        let msg = generated_message(i);
        std::fs::write(new.join(maildir_name(i, msg.len())), &msg).unwrap();
    }
    let ok = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(dovecot.maildir(user))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "chown of the Maildir failed");
}

struct Reference {
    /// PASS accepted.
    login: f64,
    /// STAT answered: the maildrop is open (Dovecot accepts PASS first and
    /// opens the mailbox at the next command: 0.2 s for 100,000 messages).
    open: f64,
    screen: f64,
    full: f64,
}

/// The minimal pipelined client: greeting; USER, PASS and STAT in one flight;
/// then `TOP n 0` for every message, newest first, all sent ahead while the
/// replies are read (and only counted). No CAPA, no UIDL, no parsing.
async fn reference(port: u16, user: &str, password: &str) -> Result<Reference, String> {
    let start = Instant::now();
    let sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::with_capacity(256 * 1024, r);
    let mut line = Vec::new();
    read_line(&mut r, &mut line).await?;
    w.write_all(format!("USER {user}\r\nPASS {password}\r\nSTAT\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    read_line(&mut r, &mut line).await?;
    read_line(&mut r, &mut line).await?;
    if !line.starts_with(b"+OK") {
        return Err(format!("login refused: {}", String::from_utf8_lossy(&line)));
    }
    let login = start.elapsed().as_secs_f64();
    read_line(&mut r, &mut line).await?;
    let open = start.elapsed().as_secs_f64();
    let count: usize = String::from_utf8_lossy(&line)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("bad STAT reply")?;
    let writer = tokio::spawn(async move {
        let mut cmds = Vec::with_capacity(count * 14);
        for n in (1..=count).rev() {
            cmds.extend_from_slice(format!("TOP {n} 0\r\n").as_bytes());
        }
        let _ = w.write_all(&cmds).await;
        w
    });
    let mut screen = 0.0;
    for k in 1..=count {
        read_line(&mut r, &mut line).await?;
        if line.starts_with(b"+OK") {
            loop {
                read_line(&mut r, &mut line).await?;
                if line == b".\r\n" {
                    break;
                }
            }
        }
        if k == SCREENFUL.min(count) {
            screen = start.elapsed().as_secs_f64();
        }
    }
    let full = start.elapsed().as_secs_f64();
    let mut w = writer.await.map_err(|e| e.to_string())?;
    let _ = w.write_all(b"QUIT\r\n").await;
    let _ = read_line(&mut r, &mut line).await;
    Ok(Reference {
        login,
        open,
        screen,
        full,
    })
}

type Reader = BufReader<tokio::net::tcp::OwnedReadHalf>;

async fn read_line(r: &mut Reader, line: &mut Vec<u8>) -> Result<(), String> {
    line.clear();
    match r.read_until(b'\n', line).await {
        Ok(0) => Err("connection closed".to_string()),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

struct PostieRun {
    indexed: f64,
    screen: f64,
    full: f64,
    rss_kb: u64,
}

/// The reader in tmux until its list is complete, then `q`; the milestones
/// are the ones postie writes to `POSTIE_TIMINGS`.
fn run_postie(home: &Path, acct: &Account, password: &str) -> PostieRun {
    let cfg = home.join("config.toml");
    std::fs::write(&cfg, acct.toml()).unwrap();
    let timings = home.join("timings");
    let _ = std::fs::remove_file(&timings);
    let cmd = format!(
        "env POSTIE_TIMINGS='{}' {}",
        timings.display(),
        postie_command(&cfg, password, home)
    );
    let tmux = Tmux::start(&cmd, 80, 24);
    let milestones = |want: &str| -> Vec<(String, f64)> {
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let text = std::fs::read_to_string(&timings).unwrap_or_default();
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
    };
    milestones("list-complete");
    tmux.keys(&["q"]);
    let m = milestones("peak-rss-kb");
    let get = |k: &str| m.iter().find(|(n, _)| n == k).map_or(f64::NAN, |(_, v)| *v);
    PostieRun {
        indexed: get("logged-in-and-indexed") / 1000.0,
        screen: get("first-screen") / 1000.0,
        full: get("list-complete") / 1000.0,
        rss_kb: get("peak-rss-kb") as u64,
    }
}

/// `postie list --json` with an empty store, its output into a file: wall
/// seconds from spawn to exit, and its peak RSS (KiB, `/usr/bin/time`).
fn run_list_json(acct: &Account, password: &str) -> (f64, u64) {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(h.join("config.toml"), acct.toml()).unwrap();
    let out = std::fs::File::create(h.join("list.json")).unwrap();
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(h.join("rss"))
        .arg(env!("CARGO_BIN_EXE_postie"))
        .args(["list", "--json"])
        .env("HOME", h)
        .env("XDG_STATE_HOME", h.join("state"))
        .env("XDG_CACHE_HOME", h.join("cache"))
        .env("XDG_DATA_HOME", h.join("data"))
        .env("POSTIE_CONFIG", h.join("config.toml"))
        .env("POSTIE_PASSWORD", password)
        .stdout(out)
        .status()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success(), "postie list --json failed");
    let kb = std::fs::read_to_string(h.join("rss"))
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (secs, kb)
}

/// mutt in tmux until its status line shows `count` messages; returns the
/// seconds that took and mutt's peak RSS. Its header cache lives in `home`.
fn run_mutt(home: &Path, port: u16, user: &str, password: &str, count: usize) -> (f64, u64) {
    let rc = home.join("muttrc");
    std::fs::write(
        &rc,
        format!(
            "set pop_user=\"{user}\"\nset pop_pass=\"{password}\"\nset pop_authenticators=\"user\"\n\
             set ssl_starttls=no\nset ssl_force_tls=no\nset header_cache=\"{hc}\"\n\
             set folder=\"{h}\"\nset spoolfile=\"\"\nset record=\"\"\nset postponed=\"\"\n\
             set move=no\nset quit=yes\nset mail_check=0\n\
             set status_format=\"MUTTSTATUS %m.\"\n",
            hc = home.join("hcache").display(),
            h = home.display()
        ),
    )
    .unwrap();
    let rss = home.join("mutt.rss");
    let cmd = format!(
        "env HOME='{h}' TERM=xterm-256color /usr/bin/time -f %M -o '{r}' mutt -n -F '{rc}' -f 'pop://{user}@127.0.0.1:{port}/'",
        h = home.display(),
        r = rss.display(),
        rc = rc.display()
    );
    let _ = std::fs::remove_file(&rss);
    let start = Instant::now();
    let tmux = Tmux::start(&cmd, 80, 24);
    let want = format!("MUTTSTATUS {count}.");
    loop {
        if tmux.screen().contains(&want) {
            break;
        }
        if start.elapsed() > Duration::from_secs(900) {
            panic!(
                "mutt did not show {count} messages; screen:\n{}",
                tmux.screen()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let t = start.elapsed().as_secs_f64();
    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let kb = loop {
        let text = std::fs::read_to_string(&rss).unwrap_or_default();
        if let Some(kb) = text.lines().last().and_then(|l| l.trim().parse().ok()) {
            break kb;
        }
        if Instant::now() > deadline {
            break 0;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (t, kb)
}

fn dovecot_version() -> String {
    Command::new("dovecot")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
