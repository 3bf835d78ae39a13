//! `cargo bench --bench fetch`: `postie fetch` beside mpop, fetchmail and
//! getmail6 (Debian packages, when installed), each downloading the same
//! mailbox from a private Dovecot into an empty Maildir, leaving everything
//! on the server, then once more with nothing new; through the latency proxy
//! at 0 and 25 ms one way. Wall time and peak RSS (`/usr/bin/time`). The
//! lock-step peers (fetchmail, getmail6) would take many minutes at 25 ms
//! on 10,000 messages, so at 25 ms every tool is also run on a 1,000-message
//! mailbox. A measurement, not a test: not part of CI's pass/fail.
//!
//! Knobs: `POSTIE_BENCH_N` (10000), `POSTIE_BENCH_BIG` (5 messages of 5–20 MB),
//! `POSTIE_BENCH_HOLD=SECS` (keep the filled Dovecot up for profiling by hand),
//! `POSTIE_BENCH_BEFORE=PATH` (an earlier postie binary as one more peer).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::dovecot::maildir_name;
use common::proxy::LatencyProxy;
use common::{big_message, generated_message, Dovecot, User};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn fill(d: &Dovecot, user: &str, n: usize, big: usize) {
    let new = d.maildir(user).join("new");
    std::fs::create_dir_all(&new).unwrap();
    for i in 0..n {
        let msg = generated_message(i);
        std::fs::write(new.join(maildir_name(i, msg.len())), &msg).unwrap();
    }
    for k in 0..big {
        let msg = big_message((5 + k * 15 / big.max(1)) * 1024 * 1024);
        let i = n + k;
        std::fs::write(new.join(maildir_name(i, msg.len())), &msg).unwrap();
    }
    Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(d.maildir(user))
        .status()
        .unwrap();
}

/// Runs `cmd` under /usr/bin/time: (seconds, peak RSS in MB, ok). fetchmail
/// exits 1 for "no new mail", which is success here.
fn timed(cmd: &mut Command) -> (f64, f64, bool) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let prog = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let mut t = Command::new("/usr/bin/time");
    t.arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(out.path())
        .arg(prog)
        .args(args);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    let status = t
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let text = std::fs::read_to_string(out.path()).unwrap_or_default();
    // A failed command's "Command exited with non-zero status" comes first.
    let mut w = text.lines().last().unwrap_or("").split_whitespace();
    let secs = w.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let kb: f64 = w.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let fetchmail_idle = cmd.get_program() == "fetchmail" && status.status.code() == Some(1);
    let ok = status.status.success() || fetchmail_idle;
    if !ok {
        eprintln!(
            "  ({:?} failed: {})",
            cmd.get_program(),
            String::from_utf8_lossy(&status.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    (secs, kb / 1024.0, ok)
}

fn maildir(dir: &Path) -> PathBuf {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    dir.to_path_buf()
}

fn count(dir: &Path) -> usize {
    ["cur", "new"]
        .iter()
        .map(|s| std::fs::read_dir(dir.join(s)).map_or(0, |r| r.count()))
        .sum()
}

fn private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Builds a peer's command: (work dir, port, user, password).
type MakeCommand = Box<dyn Fn(&Path, u16, &str, &str) -> Command>;

struct Peer {
    name: &'static str,
    run: MakeCommand,
    /// Where it delivered, given its work dir.
    out: fn(&Path) -> PathBuf,
}

/// `POSTIE_BENCH_PEERS=postie,mpop` runs only those.
fn wanted(name: &str) -> bool {
    std::env::var("POSTIE_BENCH_PEERS").map_or(true, |v| v.split(',').any(|p| p.trim() == name))
}

/// `postie fetch` (the binary at `bin`) as a peer named `name`.
fn postie_peer(name: &'static str, bin: std::ffi::OsString) -> Peer {
    Peer {
        name,
        run: Box::new(move |work, port, user, pw| {
            private(
                &work.join("config.toml"),
                &format!("[accounts.test]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"{user}\"\nauth = \"user\"\nleave_on_server = \"always\"\n"),
            );
            let mut c = Command::new(&bin);
            c.env("POSTIE_CONFIG", work.join("config.toml"))
                .env("XDG_DATA_HOME", work.join("data"))
                .env("XDG_STATE_HOME", work.join("state"))
                .env("POSTIE_PASSWORD", pw)
                .args(["fetch", "--quiet"]);
            c
        }),
        out: |w| w.join("data/postie/test/INBOX"),
    }
}

fn peers() -> Vec<Peer> {
    let mut v = vec![postie_peer("postie", env!("CARGO_BIN_EXE_postie").into())];
    // `POSTIE_BENCH_BEFORE=PATH`: an earlier build of postie, measured in the
    // same run (the before/after tables of a performance change).
    if let Some(before) = std::env::var_os("POSTIE_BENCH_BEFORE") {
        v.push(postie_peer("before", before));
    }
    if Command::new("mpop").arg("--version").output().is_ok() {
        v.push(Peer {
            name: "mpop",
            run: Box::new(|work, port, user, pw| {
                let md = maildir(&work.join("Maildir"));
                private(
                    &work.join("mpoprc"),
                    &format!("account test\nhost 127.0.0.1\nport {port}\ntls off\nauth user\nuser {user}\npassword {pw}\ndelivery maildir {}\nkeep on\nuidls_file {}\n", md.display(), work.join("uidls").display()),
                );
                let mut c = Command::new("mpop");
                c.arg("-C").arg(work.join("mpoprc")).arg("-q").arg("test");
                c
            }),
            out: |w| w.join("Maildir"),
        });
    }
    if Command::new("fetchmail").arg("--version").output().is_ok() {
        v.push(Peer {
            name: "fetchmail",
            run: Box::new(|work, port, user, pw| {
                let md = maildir(&work.join("Maildir"));
                private(
                    &work.join("fetchmailrc"),
                    &format!("poll 127.0.0.1 service {port} protocol pop3 uidl auth password user \"{user}\" password \"{pw}\" keep sslproto '' mda \"/bin/sh -c 'f=$(mktemp -p {d}/tmp) && cat > $f && mv $f {d}/new/'\"\n", d = md.display()),
                );
                let mut c = Command::new("fetchmail");
                c.env("HOME", work)
                    .arg("-f")
                    .arg(work.join("fetchmailrc"))
                    .arg("-i")
                    .arg(work.join("fetchids"))
                    .args(["--nodetach", "--silent", "--nosyslog"]);
                c
            }),
            out: |w| w.join("Maildir"),
        });
    }
    if Command::new("getmail").arg("--version").output().is_ok() {
        v.push(Peer {
            name: "getmail6",
            run: Box::new(|work, port, user, pw| {
                let md = maildir(&work.join("Maildir"));
                private(
                    &work.join("getmailrc"),
                    &format!("[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = {port}\nusername = {user}\npassword = {pw}\n\n[destination]\ntype = Maildir\npath = {}/\nuser = nobody\n\n[options]\nread_all = false\ndelete = false\nverbose = 0\n", md.display()),
                );
                // getmail6 refuses to deliver as root: its Maildir goes to nobody.
                Command::new("chown").args(["-R", "nobody:nogroup"]).arg(&md).status().unwrap();
                let mut c = Command::new("getmail");
                c.arg(format!("--rcfile={}", work.join("getmailrc").display()))
                    .arg(format!("--getmaildir={}", work.display()));
                c
            }),
            out: |w| w.join("Maildir"),
        });
    }
    v.retain(|p| wanted(p.name));
    v
}

fn main() {
    let n = env_usize("POSTIE_BENCH_N", 10_000);
    let big = env_usize("POSTIE_BENCH_BIG", 5);
    println!("machine: {}", common::machine());
    let d = Dovecot::start(vec![
        User::new("big", Vec::new()),
        User::new("small", Vec::new()),
    ])
    .unwrap_or_else(|e| {
        eprintln!("cannot start Dovecot: {e}");
        std::process::exit(1);
    });
    fill(&d, "big", n, big);
    fill(&d, "small", 1000, 0);
    // `POSTIE_BENCH_HOLD=SECS`: print how to reach the filled Dovecot and keep
    // it running that long (profiling a run by hand), then measure nothing.
    if let Some(secs) = std::env::var("POSTIE_BENCH_HOLD")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        println!(
            "dovecot: 127.0.0.1:{} user big password {}",
            d.plain_port,
            d.password("big")
        );
        std::thread::sleep(Duration::from_secs(secs));
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let peers = peers();
    let mut keep: Vec<tempfile::TempDir> = Vec::new();
    println!(
        "peers: {}",
        peers.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
    );
    println!(
        "{:>9} {:>6} {:>5} | {:>8} {:>8} {:>8} | {:>8} {:>8}",
        "tool", "N", "ms", "cold s", "RSS MB", "got", "again s", "RSS MB"
    );
    for (user, count_msgs, delays) in [("big", n + big, vec![0u64, 25]), ("small", 1000, vec![25])]
    {
        for &delay in &delays {
            let proxy = rt
                .block_on(LatencyProxy::start(
                    d.plain_port,
                    Duration::from_millis(delay),
                ))
                .unwrap();
            let mut postie_time = f64::NAN;
            for p in &peers {
                let lockstep = p.name == "fetchmail" || p.name == "getmail6";
                if lockstep && delay > 0 && user == "big" {
                    println!(
                        "{:>9} {:>6} {:>5} | (skipped: lock-step, see the 1,000-message rows)",
                        p.name, count_msgs, delay
                    );
                    continue;
                }
                let work = tempfile::tempdir().unwrap();
                // Removed at the end, not between tools: on ext4 without a
                // journal, creating files soon after 10,000 were deleted
                // costs seconds of inode search (`recently_deleted`), which
                // would be charged to whichever tool runs next.
                let dir = work.path().to_path_buf();
                keep.push(work);
                let pw = d.password(user);
                let (cold, cold_rss, ok) = timed(&mut (p.run)(&dir, proxy.port, user, &pw));
                let got = count(&(p.out)(&dir));
                let (again, again_rss, ok2) = timed(&mut (p.run)(&dir, proxy.port, user, &pw));
                if p.name == "postie" {
                    postie_time = cold;
                }
                let ratio = if p.name == "postie" {
                    String::new()
                } else {
                    format!("  postie/{} = {:.2}", p.name, postie_time / cold)
                };
                println!(
                    "{:>9} {:>6} {:>5} | {:>8.2} {:>8.1} {:>8} | {:>8.2} {:>8.1}{}{}",
                    p.name,
                    count_msgs,
                    delay,
                    cold,
                    cold_rss,
                    got,
                    again,
                    again_rss,
                    if ok && ok2 { "" } else { "  (failed)" },
                    ratio
                );
            }
        }
    }
}
