//! `postie fetch` against a real Dovecot: every message stored byte for byte,
//! a second run retrieves nothing (Dovecot's counters), new mail is exactly
//! what is downloaded, each `leave_on_server` policy leaves exactly the right
//! messages on the server, a full disk stops before any DELE, and exit codes
//! tell cron what to do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::time::Duration;

use common::{generated_mailbox, Account, Dovecot, User};

fn users() -> Vec<User> {
    vec![
        User::new("many", generated_mailbox(2000)),
        User::new("always", generated_mailbox(20)),
        User::new("never", generated_mailbox(20)),
        User::new("days", generated_mailbox(20)),
        User::new("untildel", generated_mailbox(20)),
        User::new("full", generated_mailbox(30)),
        User::new("killed", generated_mailbox(KILLED)),
    ]
}

/// Messages in the mailbox the kill test empties.
const KILLED: usize = 1000;

fn dovecot() -> Option<&'static Dovecot> {
    common::dovecot::shared(users)
}

struct Home {
    dir: tempfile::TempDir,
    cfg: String,
    pw: String,
}

impl Home {
    fn new(d: &Dovecot, user: &str, policy: &str) -> Home {
        let mut cfg = Account {
            port: d.plain_port,
            tls: "starttls",
            user,
            auth: "auto",
            ca_file: Some(&d.ca_file),
            pipelining: true,
        }
        .toml();
        cfg.push_str(&format!("leave_on_server = \"{policy}\"\n"));
        Home {
            dir: tempfile::tempdir().unwrap(),
            cfg,
            pw: d.password(user),
        }
    }
    fn fetch(&self, extra_env: &[(&str, String)]) -> common::Run {
        let path = self.dir.path().join("config.toml");
        std::fs::write(&path, &self.cfg).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_postie"));
        cmd.env("POSTIE_CONFIG", &path)
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("POSTIE_PASSWORD", &self.pw)
            .env_remove("POSTIE_TEST_NOW")
            .args(["fetch", "--json"])
            .stdin(std::process::Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        common::Run {
            status: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
    fn report(&self, extra_env: &[(&str, String)]) -> serde_json::Value {
        let r = self.fetch(extra_env);
        assert_eq!(r.status, 0, "{}", r.stderr);
        let v: Vec<serde_json::Value> = serde_json::from_slice(&r.stdout).unwrap();
        v[0].clone()
    }
    fn inbox(&self) -> std::path::PathBuf {
        self.dir.path().join("data/postie/test/INBOX")
    }
}

fn digests(files: impl IntoIterator<Item = std::path::PathBuf>) -> Vec<[u8; 16]> {
    use md5::Digest;
    let mut v: Vec<[u8; 16]> = files
        .into_iter()
        .map(|f| md5::Md5::digest(std::fs::read(f).unwrap()).into())
        .collect();
    v.sort();
    v
}

fn stored_files(inbox: &Path) -> Vec<std::path::PathBuf> {
    postie::store::maildir::scan(inbox)
        .unwrap()
        .into_iter()
        .map(|(rel, _)| inbox.join(rel))
        .collect()
}

fn last_logout(d: &Dovecot, user: &str, n: usize) -> String {
    let start = std::time::Instant::now();
    loop {
        let lines: Vec<String> = d
            .log()
            .lines()
            .filter(|l| l.contains(&format!("({user})")) && l.contains("top="))
            .map(String::from)
            .collect();
        if lines.len() >= n || start.elapsed() > Duration::from_secs(10) {
            assert_eq!(lines.len(), n, "{lines:?}");
            return lines[n - 1].clone();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn deliver(d: &Dovecot, user: &str, from: usize, n: usize) {
    for i in from..from + n {
        d.deliver(user, i, &common::generated_message(i));
    }
}

#[test]
fn fetch_stores_everything_once_and_then_only_what_is_new() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "many", "always");
    let server_before = digests(d.message_files("many"));
    let r = h.report(&[]);
    assert_eq!(
        (r["new"].as_u64(), r["downloaded"].as_u64()),
        (Some(2000), Some(2000))
    );
    assert_eq!(r["deleted"], 0);
    assert!(last_logout(d, "many", 1).contains("retr=2000/"));
    assert_eq!(
        digests(stored_files(&h.inbox())),
        server_before,
        "byte-identical"
    );
    assert_eq!(std::fs::read_dir(h.inbox().join("tmp")).unwrap().count(), 0);
    // Nothing new: no RETR, and (without --json) nothing printed.
    let again = h.report(&[]);
    assert_eq!(
        (again["new"].as_u64(), again["downloaded"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(last_logout(d, "many", 2).contains("retr=0/"));
    deliver(d, "many", 5000, 10);
    let ten = h.report(&[]);
    assert_eq!(
        (ten["new"].as_u64(), ten["downloaded"].as_u64()),
        (Some(10), Some(10))
    );
    assert!(last_logout(d, "many", 3).contains("retr=10/"));
    assert_eq!(stored_files(&h.inbox()).len(), 2010);
    assert_eq!(
        d.message_files("many").len(),
        2010,
        "always: nothing deleted"
    );
}

#[test]
fn policies_never_and_days_delete_exactly_what_they_should() {
    let Some(d) = dovecot() else { return };
    let never = Home::new(d, "never", "never");
    let before = digests(d.message_files("never"));
    let r = never.report(&[]);
    assert_eq!(
        (r["downloaded"].as_u64(), r["deleted"].as_u64()),
        (Some(20), Some(20))
    );
    assert!(
        d.message_files("never").is_empty(),
        "deleted after a safe download"
    );
    assert_eq!(
        digests(stored_files(&never.inbox())),
        before,
        "every one kept here"
    );

    let days = Home::new(d, "days", "2d");
    let t0: i64 = 1_900_000_000;
    let at = |t: i64| vec![("POSTIE_TEST_NOW", t.to_string())];
    let r = days.report(&at(t0));
    assert_eq!(
        (r["downloaded"].as_u64(), r["deleted"].as_u64()),
        (Some(20), Some(0))
    );
    let r = days.report(&at(t0 + 86_400));
    assert_eq!(r["deleted"], 0, "one day old: kept");
    assert_eq!(d.message_files("days").len(), 20);
    deliver(d, "days", 7000, 3);
    let r = days.report(&at(t0 + 3 * 86_400));
    assert_eq!(
        (r["downloaded"].as_u64(), r["deleted"].as_u64()),
        (Some(3), Some(20))
    );
    assert_eq!(
        d.message_files("days").len(),
        3,
        "only the three downloaded today stay"
    );
    assert_eq!(stored_files(&days.inbox()).len(), 23);
}

#[test]
fn until_deleted_deletes_on_the_server_what_was_deleted_here() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "untildel", "until-deleted");
    let r = h.report(&[]);
    assert_eq!(
        (r["downloaded"].as_u64(), r["deleted"].as_u64()),
        (Some(20), Some(0))
    );
    // Delete two here: one to Trash, one for good.
    let root = h.dir.path().join("data/postie/test");
    let key = postie::store::account_key("127.0.0.1", "untildel");
    let (a, b) = {
        use postie::store::{Folder, Store};
        let mut s = Store::open(&root, &key, Default::default()).unwrap();
        let rows = s.load(&Folder::Inbox).unwrap();
        let (a, b) = (rows[0].uidl.to_string(), rows[5].uidl.to_string());
        assert!(s.move_to(&a, &Folder::Trash).unwrap());
        assert!(s.move_to(&b, &Folder::Trash).unwrap());
        s.delete(&b).unwrap();
        (a, b)
    };
    let r = h.report(&[]);
    assert_eq!(
        (r["downloaded"].as_u64(), r["deleted"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(d.message_files("untildel").len(), 18);
    let left: Vec<String> = d
        .expected_uidls("untildel")
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert!(!left.contains(&a) && !left.contains(&b), "{left:?}");
    let r = h.report(&[]);
    assert_eq!(r["deleted"], 0, "deleted once");
}

/// A file-size limit makes the store unwritable part way: the run stops
/// with a clear error before any DELE, even with leave_on_server = "never".
#[test]
fn a_full_disk_stops_before_any_dele() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "full", "never");
    let path = h.dir.path().join("config.toml");
    std::fs::write(&path, &h.cfg).unwrap();
    // Messages are 1-28 KB: a 20 KB file-size limit fails some deliveries.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 20; exec '{}' fetch",
            env!("CARGO_BIN_EXE_postie")
        ))
        .env("POSTIE_CONFIG", &path)
        .env("XDG_DATA_HOME", h.dir.path().join("data"))
        .env("XDG_STATE_HOME", h.dir.path().join("state"))
        .env("POSTIE_PASSWORD", &h.pw)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing was deleted from the server"), "{err}");
    assert_eq!(
        d.message_files("full").len(),
        30,
        "the server still has everything"
    );
    // With room again, the next run finishes the job.
    let r = h.report(&[]);
    assert_eq!(r["deleted"], 30);
    assert_eq!(stored_files(&h.inbox()).len(), 30);
}

#[test]
fn exit_codes_tell_cron_what_to_do() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        "[accounts.test]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\n"
    );
    let r = common::postie_in(dir.path(), &cfg, None, &["fetch"]);
    assert_eq!(r.status, 75, "unreachable is temporary: {}", r.stderr);
    assert!(
        r.stderr.starts_with("postie: cannot connect to 127.0.0.1:"),
        "{}",
        r.stderr
    );
    let bad = format!("{cfg}leave_on_server = \"sometimes\"\n");
    let r = common::postie_in(dir.path(), &bad, None, &["fetch"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("leave_on_server \"sometimes\""),
        "{}",
        r.stderr
    );
}

/// `kill -9` at 20 moments during `leave_on_server = "never"` runs, then a
/// clean run: every message is in the store exactly once, byte for byte,
/// and gone from the server; nothing half-written outside `tmp/`.
#[test]
fn kill_9_at_any_moment_loses_and_duplicates_nothing() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "killed", "never");
    let original = digests(d.message_files("killed"));
    let path = h.dir.path().join("config.toml");
    std::fs::write(&path, &h.cfg).unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..20 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Killed when the store holds a chosen number more (by bytes
        // received, in effect), or after a chosen time for the early rounds.
        let before = stored_files(&h.inbox()).len();
        let more = (seed >> 33) as usize % (KILLED + 1 - before.min(KILLED)) / 2;
        let delay = Duration::from_millis(100 + (seed >> 40) % 300);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
            .env("POSTIE_CONFIG", &path)
            .env("XDG_DATA_HOME", h.dir.path().join("data"))
            .env("XDG_STATE_HOME", h.dir.path().join("state"))
            .env("POSTIE_PASSWORD", &h.pw)
            .args(["fetch", "--quiet"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        if round < 2 || more == 0 {
            // By time: early on, and once everything is stored (then the
            // kill falls before, during or after the DELEs and QUIT).
            std::thread::sleep(delay);
        } else {
            while stored_files(&h.inbox()).len() < before + more
                && start.elapsed() < Duration::from_secs(20)
                && child.try_wait().ok().flatten().is_none()
            {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        // What the store and the server hold together is still everything.
        let mut union = digests(stored_files(&h.inbox()));
        let stored = union.len();
        union.extend(digests(d.message_files("killed")));
        union.sort();
        union.dedup();
        assert_eq!(union, original, "round {round}: {stored} stored");
        eprintln!("round {round}: killed after {:?} (aimed at +{more}), {stored} stored, {} on the server", start.elapsed(), d.message_files("killed").len());
    }
    let left = d.message_files("killed").len() as u64;
    let r = h.report(&[]);
    assert_eq!(
        r["deleted"].as_u64(),
        Some(left),
        "the clean run deletes what was left"
    );
    let files = stored_files(&h.inbox());
    let mine = digests(files.iter().cloned());
    let mut unique = mine.clone();
    unique.dedup();
    assert_eq!(mine.len(), unique.len(), "no message stored twice");
    assert_eq!(mine, original, "every message, byte for byte");
    assert!(
        d.message_files("killed").is_empty(),
        "all deleted after the clean run"
    );
    let rows = common::store_rows_keyed(&h.dir.path().join("data/postie/test"), "127.0.0.1/killed");
    assert_eq!(rows, KILLED, "one index row each");
    for sub in ["new", "cur"] {
        for e in std::fs::read_dir(h.inbox().join(sub)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(name.contains(",U="), "a stray file {sub}/{name}");
        }
    }
}
