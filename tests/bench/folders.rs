//! `cargo bench --bench folders`: filing, measured. A measurement, not a
//! test (not part of CI's pass/fail); figures printed beside mutt where it
//! runs.
//!
//! 1. Moving 1,000 tagged messages between folders: the store's batch move
//!    (what `M` on 1,000 tagged rows runs), and `postie move --search` end
//!    to end; beside mutt 2.x's `T~A` then `;s=folder` and `$` in a
//!    1,000-message Maildir (tmux), until the source is empty.
//! 2. 50 rules over 10,000 newly fetched messages: `postie fetch` from a
//!    private Dovecot into an empty store, without rules and with 50
//!    (header rules among them), best of 3 each, alternated.
//! 3. `postie filter --dry-run` over a 100,000-message folder, 50 rules.
//!
//! `cargo bench --bench folders -- filter` runs part 3 only (`move`,
//! `fetch` likewise). Knobs: `POSTIE_BENCH_FETCH_N` (10000), `POSTIE_BENCH_FILTER_N` (100000),
//! `POSTIE_BENCH_STORE_DIR=/dev/shm` (the fetch part's stores on tmpfs),
//! `POSTIE_BENCH_TIME=FILE` (each run's user/sys/wall/RSS from
//! /usr/bin/time appended to FILE.true with rules, FILE.false without).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::dovecot::maildir_name;
use common::{generated_message, Account, Dovecot, User};
use postie::mime::{DecodeOptions, Summary};
use postie::store::{account_key, Folder, Store};
use postie::uidl::Uidl;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A store under `root` (the account `test` of `user` on 127.0.0.1) with
/// `n` messages in INBOX, summaries in the index.
fn store_with(root: &Path, user: &str, n: usize) {
    let mut s = Store::open(
        root,
        &account_key("127.0.0.1", user),
        DecodeOptions::default(),
    )
    .unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let new: Vec<(Uidl, u64)> = chunk
            .iter()
            .map(|i| (Uidl::from(format!("uid-{i}")), 300))
            .collect();
        s.apply_server_index(&new, &[]).unwrap();
        let items: Vec<(Uidl, Vec<u8>)> = chunk
            .iter()
            .map(|&i| (Uidl::from(format!("uid-{i}")), generated_message(i)))
            .collect();
        s.deliver_batch(&items).unwrap();
        let sums: Vec<(Uidl, Arc<Summary>)> = items
            .iter()
            .map(|(u, b)| {
                (
                    u.clone(),
                    Arc::new(Summary::from_headers(b, &DecodeOptions::default())),
                )
            })
            .collect();
        s.put_summaries(&sums).unwrap();
    }
}

/// 50 rules: header rules (the block parsed for every message), senders,
/// subjects, sizes; a few match generated mail.
fn fifty_rules(account: &str) -> String {
    let mut out = String::new();
    for k in 0..50 {
        let (pattern, action) = match k % 5 {
            0 => (format!("header:X-Rule-{k}=yes"), "junk = true".to_string()),
            1 => (
                format!("from:nobody{k}@example.org | subject:never-{k}"),
                format!("move = \"规则/{k}\""),
            ),
            2 => (
                format!("list:list{k}.example.org"),
                format!("copy = \"存档{k}\""),
            ),
            3 => (
                format!("subject:项目{k} & size>1M"),
                "flag = true".to_string(),
            ),
            _ => (
                format!("cc:person{k}@corp.cn"),
                "mark = \"read\"".to_string(),
            ),
        };
        out.push_str(&format!(
            "[[accounts.{account}.rules]]\nmatch = '{pattern}'\n{action}\n\n"
        ));
    }
    // One that files a share of generated mail, so moves are measured too.
    out.push_str(&format!(
        "[[accounts.{account}.rules]]\nmatch = 'subject:报告'\nmove = \"报告\"\n"
    ));
    out
}

fn postie(home: &Path, cfg: &str, pw: Option<&str>, args: &[&str]) -> (f64, String) {
    let path = home.join("config.toml");
    std::fs::write(&path, cfg).unwrap();
    let perf = std::env::var("POSTIE_BENCH_TIME")
        .ok()
        .map(|o| format!("{o}.{}", cfg.contains("rules")));
    let mut c = match &perf {
        Some(out) => {
            let mut c = Command::new("/usr/bin/time");
            c.args([
                "-a",
                "-o",
                out,
                "-f",
                "%U user %S sys %e wall %M KB",
                env!("CARGO_BIN_EXE_postie"),
            ]);
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_postie")),
    };
    c.env("POSTIE_CONFIG", &path)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .args(args);
    if let Some(p) = pw {
        c.env("POSTIE_PASSWORD", p);
    }
    let start = Instant::now();
    let out = c.output().unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn moving() {
    const N: usize = 1000;
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("data/postie/test");
    store_with(&root, "mover", N);
    let mut s = Store::open(
        &root,
        &account_key("127.0.0.1", "mover"),
        DecodeOptions::default(),
    )
    .unwrap();
    let uidls: Vec<String> = (0..N).map(|i| format!("uid-{i}")).collect();
    let mut times = Vec::new();
    for to in ["客户", "项目/二期", "客户", "INBOX", "客户"] {
        let folder = Folder::parse(to).unwrap();
        let start = Instant::now();
        let filed = s.file_many(&uidls, &folder, false).unwrap();
        times.push(start.elapsed());
        assert_eq!(filed.done.len(), N);
    }
    drop(s);
    times.sort();
    println!(
        "move {N} tagged messages (the store's batch, what M runs), 5 runs: best {:.3} s, median {:.3} s",
        times[0].as_secs_f64(),
        times[2].as_secs_f64()
    );
    let cfg = "[accounts.test]\nhost = \"127.0.0.1\"\nuser = \"mover\"\n";
    let mut cli = Vec::new();
    for to in ["甲", "乙", "甲"] {
        cli.push(
            postie(
                home.path(),
                cfg,
                None,
                &["move", "--search", "is:read | is:unread", "--to", to],
            )
            .0,
        );
    }
    cli.sort_by(f64::total_cmp);
    println!(
        "postie move --search (start, reconcile, match, move {N}), best of 3: {:.3} s",
        cli[0]
    );
    match mutt_save(N) {
        Some(t) => println!("mutt: T~A, ;s=folder, $ on {N} messages in a Maildir: {t:.3} s"),
        None => println!("mutt: not run (needs mutt and tmux)"),
    }
}

/// mutt saving `n` tagged messages to another Maildir and syncing: seconds
/// from the keys to an empty source folder.
fn mutt_save(n: usize) -> Option<f64> {
    Command::new("mutt").arg("-v").output().ok()?;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(src.join(sub)).unwrap();
    }
    for i in 0..n {
        std::fs::write(
            src.join("cur").join(format!("{i}.bench:2,S")),
            generated_message(i),
        )
        .unwrap();
    }
    let rc = dir.path().join("muttrc");
    std::fs::write(
        &rc,
        format!(
            "set folder={}\nset mbox_type=Maildir\nunset confirmcreate\nunset confirmappend\nset delete=yes\nset quit=yes\nset move=no\nset sort=mailbox-order\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let t = common::tmux::Tmux::start(
        &format!("mutt -n -F '{}' -f '{}'", rc.display(), src.display()),
        100,
        30,
    );
    t.wait_for(&format!("Msgs:{n}"), 30);
    t.keys(&["T", "~A", "Enter"]);
    t.wait_for(&format!("Tag:{n}"), 10);
    let start = Instant::now();
    t.keys(&["-l", ";s=dst"]);
    t.keys(&["Enter", "$"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(src.join("cur"))
        .map(|d| d.count())
        .unwrap_or(0)
        > 0
    {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = start.elapsed().as_secs_f64();
    let moved = std::fs::read_dir(dir.path().join("dst/cur"))
        .map(|d| d.count())
        .unwrap_or(0);
    (moved == n).then_some(secs)
}

fn rules_on_fetch() {
    let n = env_usize("POSTIE_BENCH_FETCH_N", 10_000);
    let d = Dovecot::start(vec![User::new("ruled", Vec::new())]).unwrap_or_else(|e| {
        eprintln!("cannot start Dovecot: {e}");
        std::process::exit(1);
    });
    let new = d.maildir("ruled").join("new");
    std::fs::create_dir_all(&new).unwrap();
    for i in 0..n {
        let msg = generated_message(i);
        std::fs::write(new.join(maildir_name(i, msg.len())), &msg).unwrap();
    }
    Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(d.maildir("ruled"))
        .status()
        .unwrap();
    let base = Account {
        port: d.plain_port,
        tls: "none",
        user: "ruled",
        auth: "auto",
        ca_file: None,
        pipelining: true,
    }
    .toml()
        + "leave_on_server = \"always\"\nallow_insecure_auth = true\n";
    let with_rules = format!("{base}\n{}", fifty_rules("test"));
    let pw = d.password("ruled");
    let (mut plain, mut ruled) = (Vec::new(), Vec::new());
    let mut filed = String::new();
    for _ in 0..5 {
        for (cfg, out) in [(&base, &mut plain), (&with_rules, &mut ruled)] {
            // POSTIE_BENCH_STORE_DIR=/dev/shm: the stores on tmpfs, so the
            // rules' own cost is not lost in the disk's noise.
            let home = match std::env::var_os("POSTIE_BENCH_STORE_DIR") {
                Some(d) => tempfile::tempdir_in(d).unwrap(),
                None => tempfile::tempdir().unwrap(),
            };
            let (secs, stdout) = postie(home.path(), cfg, Some(&pw), &["fetch"]);
            out.push(secs);
            if cfg == &with_rules {
                filed = stdout.trim().to_string();
            }
        }
    }
    plain.sort_by(f64::total_cmp);
    ruled.sort_by(f64::total_cmp);
    println!(
        "postie fetch of {n} messages, 5 runs alternated: best {:.3} s / median {:.3} s without rules, best {:.3} s / median {:.3} s with 51 rules (best {:+.1}%, median {:+.1}%); last: {filed}",
        plain[0],
        plain[2],
        ruled[0],
        ruled[2],
        (ruled[0] / plain[0] - 1.0) * 100.0,
        (ruled[2] / plain[2] - 1.0) * 100.0
    );
}

fn filter_dry_run() {
    let n = env_usize("POSTIE_BENCH_FILTER_N", 100_000);
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("data/postie/test");
    let start = Instant::now();
    store_with(&root, "filtered", n);
    eprintln!(
        "(a {n}-message store made in {:.1} s)",
        start.elapsed().as_secs_f64()
    );
    let cfg = format!(
        "[accounts.test]\nhost = \"127.0.0.1\"\nuser = \"filtered\"\n\n{}",
        fifty_rules("test")
    );
    let mut times = Vec::new();
    let mut said = String::new();
    for _ in 0..3 {
        let (secs, out) = postie(home.path(), &cfg, None, &["filter", "--dry-run"]);
        times.push(secs);
        said = out.lines().last().unwrap_or_default().to_string();
    }
    times.sort_by(f64::total_cmp);
    println!("postie filter --dry-run over {n} messages, 51 rules (header rules: every head read), best of 3: {:.3} s ({said})", times[0]);
}

fn main() {
    println!("machine: {}", common::machine());
    // `-- move`, `-- fetch` or `-- filter` runs one part; none runs all.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |part: &str| only.is_empty() || only.iter().any(|a| a == part);
    if wants("move") {
        moving();
    }
    if wants("fetch") {
        rules_on_fetch();
    }
    if wants("filter") {
        filter_dry_run();
    }
}
