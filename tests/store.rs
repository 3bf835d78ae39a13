//! The local store against a real Dovecot and real readers: read state that
//! survives a restart, stored messages read with no RETR (Dovecot's own
//! counters), the store's view when the server is down, messages deleted
//! elsewhere, Python's `mailbox` reading the Maildir postie wrote, a damaged
//! index, two processes at once, and attachments saved with hostile names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{generated_mailbox, postie_in, Account, Dovecot, User};
use postie::pop3::{AuthPreference, Client, ClientConfig, Endpoint, Timeouts, TlsMode};
use postie::secret::Secret;

fn users() -> Vec<User> {
    vec![
        User::new("state", generated_mailbox(6)),
        User::new("gone", generated_mailbox(5)),
        User::new("pymail", generated_mailbox(4)),
        User::new("attach", vec![hostile_attachments()]),
        User::new("twice", generated_mailbox(40)),
        User::new("large", vec![common::big_message(10 * 1024 * 1024)]),
    ]
}

fn dovecot() -> Option<&'static Dovecot> {
    common::dovecot::shared(users)
}

fn account<'a>(d: &'a Dovecot, user: &'a str) -> Account<'a> {
    Account {
        port: d.plain_port,
        tls: "starttls",
        user,
        auth: "auto",
        ca_file: Some(&d.ca_file),
        pipelining: true,
    }
}

/// A home for postie (config, store, state) that lasts the test.
struct Home {
    dir: tempfile::TempDir,
    cfg: String,
    pw: String,
}

impl Home {
    fn new(d: &Dovecot, user: &str) -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            cfg: account(d, user).toml(),
            pw: d.password(user),
        }
    }
    fn run(&self, args: &[&str]) -> common::Run {
        postie_in(self.dir.path(), &self.cfg, Some(&self.pw), args)
    }
    fn ok(&self, args: &[&str]) -> common::Run {
        let r = self.run(args);
        assert_eq!(r.status, 0, "postie {args:?}: {}", r.stderr);
        r
    }
    fn json(&self, args: &[&str]) -> Vec<serde_json::Value> {
        serde_json::from_slice(&self.ok(args).stdout).unwrap()
    }
    fn root(&self) -> PathBuf {
        self.dir.path().join("data").join("postie").join("test")
    }
}

/// Dovecot's per-session log lines for `user` (one per logout).
fn logouts(d: &Dovecot, user: &str) -> Vec<String> {
    d.log()
        .lines()
        .filter(|l| l.contains(&format!("({user})")) && l.contains("top="))
        .map(String::from)
        .collect()
}

/// Waits until `user` has `n` logouts, and returns the last one's RETR count.
fn last_retr(d: &Dovecot, user: &str, n: usize) -> usize {
    let start = std::time::Instant::now();
    loop {
        let l = logouts(d, user);
        if l.len() >= n || start.elapsed() > Duration::from_secs(10) {
            assert_eq!(l.len(), n, "sessions of {user}: {l:?}");
            return l[n - 1]
                .split("retr=")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .and_then(|r| r.parse().ok())
                .unwrap_or(usize::MAX);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A second client for `user`, as another mail program would be.
fn plain_client(d: &Dovecot, user: &str) -> ClientConfig {
    ClientConfig {
        token: None,
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port: d.plain_port,
            tls: TlsMode::None,
            ca_file: None,
            timeouts: Timeouts::default(),
        },
        user: user.into(),
        password: Secret::new(d.password(user)),
        auth: AuthPreference::User,
        allow_insecure_auth: false,
        pipelining: true,
    }
}

fn row<'a>(rows: &'a [serde_json::Value], uidl: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["uidl"] == uidl)
        .unwrap_or_else(|| panic!("no row {uidl} in {rows:?}"))
}

#[test]
fn read_state_sticks_and_a_stored_message_is_read_without_retr() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "state");
    let rows = h.json(&["list", "--json"]);
    assert_eq!(rows.len(), 6);
    assert!(rows
        .iter()
        .all(|r| r["seen"] == false && r["stored"] == false));
    let uidl = rows[2]["uidl"].as_str().unwrap().to_string();
    let number = rows[2]["number"].as_u64().unwrap().to_string();
    // First read: one RETR; the message is kept and marked seen.
    let first = h.ok(&["show", &number]);
    assert_eq!(last_retr(d, "state", 2), 1);
    let rows = h.json(&["list", "--json"]);
    let r = row(&rows, &uidl);
    assert_eq!(
        (r["seen"].clone(), r["stored"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(rows.iter().filter(|r| r["seen"] == true).count(), 1);
    // Read again by number: the session lists, but retrieves nothing.
    let again = h.ok(&["show", &number]);
    assert_eq!(last_retr(d, "state", 4), 0, "no RETR for a stored message");
    assert_eq!(again.stdout, first.stdout);
    // By UIDL: no session at all.
    let raw = h.ok(&["show", "--uidl", &uidl, "--raw"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        logouts(d, "state").len(),
        4,
        "show --uidl of a stored message needs no server"
    );
    let on_server = d
        .message_files("state")
        .into_iter()
        .map(|f| std::fs::read(f).unwrap())
        .find(|b| b == &raw.stdout);
    assert!(
        on_server.is_some(),
        "the stored copy is byte-identical to the server's"
    );
}

#[test]
fn messages_deleted_elsewhere_leave_the_list_or_stay_when_stored() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "gone");
    let rows = h.json(&["list", "--json"]);
    let (kept, lost) = (
        rows[3]["uidl"].as_str().unwrap().to_string(),
        rows[4]["uidl"].as_str().unwrap().to_string(),
    );
    h.ok(&[
        "show",
        rows[3]["number"].as_u64().unwrap().to_string().as_str(),
    ]);
    // Another client deletes both (messages 2 and 1: the two oldest).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg = plain_client(d, "gone");
    rt.block_on(async {
        let mut c = Client::connect(&cfg).await.unwrap();
        c.dele(&[1, 2]).await.unwrap();
        c.quit().await.unwrap();
    });
    let rows = h.json(&["list", "--json"]);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(
        rows.iter().all(|r| r["uidl"] != lost.as_str()),
        "an unstored one leaves"
    );
    let r = row(&rows, &kept);
    assert_eq!(r["number"], serde_json::Value::Null);
    assert_eq!(
        (r["on_server"].clone(), r["stored"].clone()),
        (false.into(), true.into())
    );
    let text = h.ok(&["list"]).stdout_text();
    assert!(text.lines().any(|l| l.starts_with("- ")), "{text}");
    // It still reads, from the store.
    let shown = h.ok(&["show", "--uidl", &kept]);
    assert!(shown.stdout_text().starts_with("From: "));
}

/// Python's own Maildir reader sees the messages, bytes and flags postie wrote.
#[test]
fn python_mailbox_reads_the_store() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "pymail");
    let rows = h.json(&["list", "--json"]);
    for r in &rows {
        h.ok(&["show", "--raw", &r["number"].as_u64().unwrap().to_string()]);
    }
    // Flag one, unsee another, as the reader's F and m would.
    let key = postie::store::account_key("127.0.0.1", "pymail");
    let (flagged, unseen) = (
        rows[0]["uidl"].as_str().unwrap().to_string(),
        rows[1]["uidl"].as_str().unwrap().to_string(),
    );
    {
        use postie::store::{Flags, Store};
        let mut s = Store::open(&h.root(), &key, Default::default()).unwrap();
        s.set_flags(&flagged, Flags::SEEN.with(Flags::FLAGGED))
            .unwrap();
        s.set_flags(&unseen, Flags::default()).unwrap();
    }
    let script = r#"
import mailbox, sys, json
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
out = []
for key in md.keys():
    m = md.get_message(key)
    out.append({"key": key, "flags": m.get_flags(), "subdir": m.get_subdir(), "hex": md.get_bytes(key).hex()})
print(json.dumps(out))
"#;
    let out = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(h.root().join("INBOX"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen.len(), 4);
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let server: Vec<String> = d
        .message_files("pymail")
        .into_iter()
        .map(|f| hex(&std::fs::read(f).unwrap()))
        .collect();
    for m in &seen {
        assert!(
            server.contains(&m["hex"].as_str().unwrap().to_string()),
            "bytes differ"
        );
    }
    // The file name carries the UIDL (`,U=hex`), so each file is known by it.
    let by_uidl = |u: &str| {
        let tag = format!(",U={}", hex(u.as_bytes()));
        seen.iter()
            .find(|m| m["key"].as_str().unwrap().contains(&tag))
            .unwrap_or_else(|| panic!("no file for {u}: {seen:?}"))
            .clone()
    };
    let f = by_uidl(&flagged);
    assert_eq!(
        (f["flags"].as_str(), f["subdir"].as_str()),
        (Some("FS"), Some("cur"))
    );
    let u = by_uidl(&unseen);
    assert_eq!(
        (u["flags"].as_str(), u["subdir"].as_str()),
        (Some(""), Some("new"))
    );
    assert_eq!(seen.iter().filter(|m| m["flags"] == "S").count(), 2);
    // And postie reads the flags back from the files (the durable truth).
    let rows = h.json(&["list", "--offline", "--json"]);
    assert_eq!(row(&rows, &flagged)["flagged"], true);
    assert_eq!(row(&rows, &unseen)["seen"], false);
}

#[test]
fn with_the_server_down_list_and_show_use_the_store() {
    let Some(d) = common::dovecot::own(vec![User::new("down", generated_mailbox(5))], "") else {
        return;
    };
    let mut h = Home::new(&d, "down");
    // The server's certificate goes with it when it stops: keep a copy.
    let ca = h.dir.path().join("ca.pem");
    std::fs::copy(&d.ca_file, &ca).unwrap();
    h.cfg = h
        .cfg
        .replace(&d.ca_file.display().to_string(), &ca.display().to_string());
    let online = h.json(&["list", "--json"]);
    let uidl = online[1]["uidl"].as_str().unwrap().to_string();
    let shown = h.ok(&["show", &online[1]["number"].as_u64().unwrap().to_string()]);
    let offline = h.ok(&["list", "--offline", "--json"]);
    assert!(offline.stderr.is_empty(), "{}", offline.stderr);
    d.stop();
    let down = h.ok(&["list", "--json"]);
    assert!(
        down.stderr
            .starts_with("postie: offline (cannot connect to 127.0.0.1:")
            && down.stderr.trim_end().ends_with("showing the local store"),
        "{}",
        down.stderr
    );
    assert_eq!(down.stdout, offline.stdout);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&down.stdout).unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r["number"].is_null()));
    for (a, b) in rows.iter().zip(&online) {
        assert_eq!(
            (&a["uidl"], &a["subject"], &a["from"]),
            (&b["uidl"], &b["subject"], &b["from"])
        );
    }
    assert_eq!(row(&rows, &uidl)["seen"], true);
    let again = h.ok(&["show", "--uidl", &uidl]);
    assert_eq!(
        again.stdout, shown.stdout,
        "a stored message reads the same offline"
    );
    let text = h.ok(&["list"]).stdout_text();
    assert_eq!(text.lines().count(), 5, "{text}");
}

/// Messages in the store with flags, for the damage tests (no server needed).
fn stored_home() -> (tempfile::TempDir, String, Vec<(String, u8)>) {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = format!(
        "[accounts.test]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\n"
    );
    let root = dir.path().join("data").join("postie").join("test");
    let key = postie::store::account_key("127.0.0.1", "u");
    let mut s = postie::store::Store::open(&root, &key, Default::default()).unwrap();
    use postie::store::Flags;
    let mut expect = Vec::new();
    for (i, m) in generated_mailbox(5).iter().enumerate() {
        let uidl = postie::uidl::Uidl::from(format!("uid-{i}"));
        let flags = match i {
            0 => Flags::SEEN,
            1 => Flags::SEEN.with(Flags::FLAGGED),
            2 => Flags::FLAGGED,
            _ => Flags::default(),
        };
        s.apply_server_index(&[(uidl.clone(), m.len() as u64)], &[])
            .unwrap();
        s.deliver(&uidl, m, flags, None).unwrap();
        expect.push((uidl.to_string(), flags.bits()));
    }
    (dir, cfg, expect)
}

fn offline_flags(dir: &Path, cfg: &str) -> (common::Run, Vec<(String, bool, bool)>) {
    let run = postie_in(dir, cfg, None, &["list", "--offline", "--json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&run.stdout).unwrap();
    let mut flags: Vec<(String, bool, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["uidl"].as_str().unwrap().to_string(),
                r["seen"].as_bool().unwrap(),
                r["flagged"].as_bool().unwrap(),
            )
        })
        .collect();
    flags.sort();
    (run, flags)
}

#[test]
fn a_damaged_index_is_moved_aside_rebuilt_and_loses_no_flag() {
    let expected: Vec<(String, bool, bool)> = vec![
        ("uid-0".into(), true, false),
        ("uid-1".into(), true, true),
        ("uid-2".into(), false, true),
        ("uid-3".into(), false, false),
        ("uid-4".into(), false, false),
    ];
    type Damage = fn(&Path, &Path);
    let damages: [(&str, Damage); 5] = [
        ("random bytes", |index, _| {
            let junk: Vec<u8> = (0..9000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect();
            std::fs::write(index, junk).unwrap();
        }),
        ("truncated", |index, _| {
            let f = std::fs::OpenOptions::new().write(true).open(index).unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(len / 3).unwrap();
        }),
        ("a directory", |index, _| {
            std::fs::remove_file(index).unwrap();
            std::fs::create_dir(index).unwrap();
        }),
        ("read-only", |index, _| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(index, std::fs::Permissions::from_mode(0o400)).unwrap();
        }),
        ("a symlink to another file", |index, other| {
            std::fs::remove_file(index).unwrap();
            std::os::unix::fs::symlink(other, index).unwrap();
        }),
    ];
    for (what, damage) in damages {
        let (dir, cfg, _) = stored_home();
        let root = dir.path().join("data").join("postie").join("test");
        let index = root.join("index.sqlite");
        // Checkpointed and closed: the index is one file.
        let (_, before) = offline_flags(dir.path(), &cfg);
        assert_eq!(before, expected, "{what}: before");
        for extra in ["index.sqlite-wal", "index.sqlite-shm"] {
            let _ = std::fs::remove_file(root.join(extra));
        }
        let other = dir.path().join("precious.txt");
        std::fs::write(&other, b"not postie's").unwrap();
        damage(&index, &other);
        let (run, after) = offline_flags(dir.path(), &cfg);
        assert_eq!(after, expected, "{what}: flags after ({})", run.stderr);
        assert_eq!(
            std::fs::read(&other).unwrap(),
            b"not postie's",
            "{what}: wrote through the link"
        );
        match what {
            "read-only" => {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&index).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "made private and writable again");
            }
            _ => {
                assert!(
                    run.stderr
                        .contains("postie: warning: local store: the index")
                        && run.stderr.contains("moved it to"),
                    "{what}: says what it did: {}",
                    run.stderr
                );
                assert!(
                    std::fs::symlink_metadata(&index).unwrap().is_file(),
                    "{what}: a new index"
                );
            }
        }
    }
}

#[test]
fn the_store_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, _, _) = stored_home();
    let root = dir.path().join("data").join("postie");
    let mut checked = 0;
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", p.display());
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", p.display());
        }
        checked += 1;
    }
    assert!(checked > 15, "{checked}");
}

#[test]
fn two_processes_at_once_corrupt_nothing() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "twice");
    h.ok(&["list"]);
    // Four at once, three rounds: each reads, lists and records in one index.
    for _ in 0..3 {
        let runs: Vec<_> = (0..4)
            .map(|i| {
                let (dir, pw) = (h.dir.path().to_path_buf(), h.pw.clone());
                std::thread::spawn(move || {
                    // One config file for all (postie_in would rewrite it under the others).
                    let n = (i * 7 + 1).to_string();
                    std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
                        .env("POSTIE_CONFIG", dir.join("config.toml"))
                        .env("XDG_DATA_HOME", dir.join("data"))
                        .env("XDG_STATE_HOME", dir.join("state"))
                        .env("POSTIE_PASSWORD", pw)
                        .args(["show", &n])
                        .stdin(std::process::Stdio::null())
                        .output()
                        .unwrap()
                })
            })
            .collect();
        for r in runs {
            let r = r.join().unwrap();
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        }
    }
    let check = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('pragma integrity_check').fetchone()[0], c.execute('select count(*), sum(file is not null) from messages').fetchone())")
        .arg(h.root().join("index.sqlite"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        out.trim(),
        "ok (40, 4)",
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let rows = h.json(&["list", "--json"]);
    assert_eq!(rows.len(), 40);
    assert_eq!(rows.iter().filter(|r| r["stored"] == true).count(), 4);
}

#[test]
fn a_mailbox_in_use_is_said_in_plain_words() {
    let Some(d) = common::dovecot::own(
        vec![User::new("busy", generated_mailbox(3))],
        "pop3_lock_session = yes",
    ) else {
        return;
    };
    let h = Home::new(&d, "busy");
    h.ok(&["list"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg = plain_client(&d, "busy");
    let holder = rt.block_on(Client::connect(&cfg)).unwrap();
    let list = h.ok(&["list", "--json"]);
    assert!(
        list.stderr.starts_with(
            "postie: the mailbox is in use by another session (login failed: [IN-USE]"
        ) && list.stderr.contains("perhaps another postie"),
        "{}",
        list.stderr
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), 3, "the store's view meanwhile");
    let show = h.run(&["show", "1"]);
    assert_ne!(show.status, 0);
    assert!(show.stderr.contains("[IN-USE]"), "{}", show.stderr);
    rt.block_on(holder.quit()).unwrap();
}

/// One message whose attachments have every kind of name a sender can give.
fn hostile_attachments() -> Vec<u8> {
    let mut m = String::from(
        "From: a@example.org\r\nTo: b@example.org\r\nSubject: names\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=gbk\r\n\r\nbody\r\n",
    );
    for (i, (ct_name, disposition)) in attachment_headers().iter().enumerate() {
        m.push_str(&format!(
            "--b\r\nContent-Type: application/octet-stream{ct_name}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment{disposition}\r\n\r\n{}\r\n",
            base64_of(&content(i))
        ));
    }
    m.push_str("--b--\r\n");
    // The raw GBK name: 报告 in GBK is B1 A8 B8 E6.
    let mut bytes = m.into_bytes();
    let marker = b"RAWGBK";
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .unwrap();
    bytes.splice(at..at + marker.len(), [0xB1, 0xA8, 0xB8, 0xE6]);
    bytes
}

fn attachment_headers() -> Vec<(String, String)> {
    vec![
        (
            String::new(),
            "; filename*0*=utf-8''%E5%AD%A3%E5%BA%A6; filename*1*=%E6%8A%A5%E5%91%8A.pdf".into(),
        ),
        (
            String::new(),
            "; filename=\"plain.pdf\"; filename*=utf-8''%E6%89%A9%E5%B1%95.pdf".into(),
        ),
        (
            String::new(),
            "; filename=\"=?utf-8?B?5Lit5paH?=.txt\"".into(),
        ),
        (String::new(), "; filename=\"RAWGBK.doc\"".into()),
        (String::new(), "; filename=\"../../x.sh\"".into()),
        (String::new(), "; filename=\"/etc/passwd\"".into()),
        (String::new(), "; filename=\"....\"".into()),
        (
            String::new(),
            "; filename=\"evil\u{1b}[31m\u{202e}fdp.exe\"".into(),
        ),
        ("; name=\"same.txt\"".into(), String::new()),
        (String::new(), "; filename=\"same.txt\"".into()),
    ]
}

const SAVED_NAMES: [&str; 10] = [
    "季度报告.pdf",
    "扩展.pdf",
    "中文.txt",
    "报告.doc",
    "_.._x.sh",
    "_etc_passwd",
    "attachment-7",
    "evil[31mfdp.exe",
    "same.txt",
    "same (1).txt",
];

fn content(i: usize) -> Vec<u8> {
    (0..(300 + i * 97))
        .map(|k| ((k * 31 + i * 7) % 256) as u8)
        .collect()
}

fn base64_of(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn check_saved(out: &common::Run, dir: &Path) {
    assert_eq!(out.status, 0, "{}", out.stderr);
    let paths: Vec<PathBuf> = out.stdout_text().lines().map(PathBuf::from).collect();
    assert_eq!(paths.len(), SAVED_NAMES.len(), "{}", out.stdout_text());
    for (i, (p, name)) in paths.iter().zip(SAVED_NAMES).enumerate() {
        assert_eq!(
            p.parent(),
            Some(dir),
            "{} is inside the directory",
            p.display()
        );
        assert_eq!(p.file_name().unwrap().to_str().unwrap(), name);
        assert_eq!(std::fs::read(p).unwrap(), content(i), "{name}: exact bytes");
    }
    let all: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert_eq!(
        all.len(),
        SAVED_NAMES.len(),
        "nothing written elsewhere in the directory"
    );
}

#[test]
fn attachments_are_saved_with_safe_names_and_exact_bytes() {
    let home = tempfile::tempdir().unwrap();
    let eml = home.path().join("m.eml");
    std::fs::write(&eml, hostile_attachments()).unwrap();
    let dir = home.path().join("out");
    let out = common::postie_in(
        home.path(),
        "",
        None,
        &[
            "--demo",
            "save",
            "--file",
            eml.to_str().unwrap(),
            "--dir",
            dir.to_str().unwrap(),
        ],
    );
    check_saved(&out, &dir);
    // Saving again never overwrites.
    let again = common::postie_in(
        home.path(),
        "",
        None,
        &[
            "--demo",
            "save",
            "--file",
            eml.to_str().unwrap(),
            "--dir",
            dir.to_str().unwrap(),
            "--part",
            "1",
        ],
    );
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert!(
        again.stdout_text().trim_end().ends_with("季度报告 (1).pdf"),
        "{}",
        again.stdout_text()
    );
    assert!(!home.path().join("x.sh").exists() && !Path::new("/x.sh").exists());
}

#[test]
fn attachments_of_a_message_on_the_server_are_saved_and_it_is_kept() {
    let Some(d) = dovecot() else { return };
    let h = Home::new(d, "attach");
    let dir = h.dir.path().join("downloads");
    let out = h.run(&["save", "1", "--dir", dir.to_str().unwrap()]);
    check_saved(&out, &dir);
    let rows = h.json(&["list", "--json"]);
    assert_eq!(rows[0]["stored"], true, "saving kept the message");
    let shown = h.ok(&["show", "1"]).stdout_text();
    assert!(shown.contains("Attachments:\n  1. 季度报告.pdf"), "{shown}");
    assert!(shown.contains("  4. 报告.doc"), "{shown}");
}

/// A 10 MB message in the reader: retrieved into the store's tmp/ and kept;
/// shown from its head with every attachment at full size, never read whole;
/// opened again from the store, with no second RETR.
#[test]
fn a_large_message_is_kept_and_reread_from_the_store_in_part() {
    use postie::worker::{Event, Request, Worker};
    let Some(d) = dovecot() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(
        plain_client(d, "large"),
        Default::default(),
        Some(common::store_at(dir.path())),
        req_rx,
        ev_tx,
    );
    let bodies = rt.block_on(async move {
        let task = tokio::spawn(worker.run());
        let mut bodies = Vec::new();
        let mut uidl = None;
        while bodies.len() < 2 {
            match next_event(&mut ev_rx).await {
                Event::Indexed(rows) => {
                    uidl = Some(rows[0].uidl.clone());
                    req_tx
                        .send(Request::FetchBody(rows[0].uidl.clone()))
                        .unwrap();
                }
                Event::BodyLoaded { rendered, .. } => {
                    bodies.push(rendered);
                    if bodies.len() == 1 {
                        req_tx
                            .send(Request::FetchBody(uidl.clone().unwrap()))
                            .unwrap();
                    }
                }
                Event::BodyFailed { error, .. } => panic!("{error}"),
                _ => {}
            }
        }
        req_tx.send(Request::QuitDiscard).unwrap();
        while !matches!(next_event(&mut ev_rx).await, Event::Closed { .. }) {}
        task.await.unwrap();
        bodies
    });
    for b in &bodies {
        assert!(
            b.body.starts_with("A big one."),
            "{}",
            &b.body[..b.body.len().min(200)]
        );
        assert!(
            b.body.contains("the text of its first 1.0M is shown"),
            "shown from its head"
        );
        assert_eq!(b.attachments.len(), 1);
        assert_eq!(b.attachments[0].name, "big.bin");
        assert!(
            b.attachments[0].size > 7 * 1024 * 1024,
            "{}",
            b.attachments[0].size
        );
    }
    assert_eq!(bodies[0].attachments, bodies[1].attachments);
    assert_eq!(
        last_retr(d, "large", 1),
        1,
        "the second open came from the store"
    );
    let rows = common::store_rows(dir.path());
    assert!(rows[0].stored);
    let files = postie::store::maildir::scan(&dir.path().join("INBOX")).unwrap();
    assert_eq!(files.len(), 1);
    let on_disk = std::fs::read(dir.path().join("INBOX").join(&files[0].0)).unwrap();
    let on_server = std::fs::read(&d.message_files("large")[0]).unwrap();
    assert!(
        on_disk == on_server,
        "byte-identical ({} vs {})",
        on_disk.len(),
        on_server.len()
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("INBOX/tmp"))
            .unwrap()
            .count(),
        0
    );
}

async fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<postie::worker::Event>,
) -> postie::worker::Event {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an event within 30 s")
        .expect("the worker is running")
}

/// A planted (or damaged) index whose summaries hold escape sequences,
/// OSC 52, C1 controls and bidi overrides: `list --offline` prints them
/// as visible placeholders, in text and in JSON.
#[test]
fn list_sanitises_what_the_index_holds() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let config = "[accounts.x]\nhost = \"pop.example.com\"\nuser = \"u\"\npassword = \"p\"\n";
    let root = dir.path().join("data").join("postie").join("x");
    {
        let mut store = postie::store::Store::open(
            &root,
            &postie::store::account_key("pop.example.com", "u"),
            postie::mime::DecodeOptions::default(),
        )
        .unwrap();
        let u = postie::uidl::Uidl::from("u-1");
        store.apply_server_index(&[(u.clone(), 100)], &[]).unwrap();
        let evil = postie::mime::Summary::new(
            "Invoice \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}gpj.exe",
            "Mallory\u{1b}[31m",
            "m@example.com",
            "",
            None,
            false,
        );
        store.put_summaries(&[(u, Arc::new(evil))]).unwrap();
    }
    for args in [
        &["list", "--offline"][..],
        &["list", "--offline", "--json"][..],
    ] {
        let run = common::postie_in(dir.path(), config, None, args);
        assert_eq!(run.status, 0, "{}", run.stderr);
        let out = run.stdout_text();
        for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(!out.contains(bad), "{args:?}: {bad:?} printed: {out:?}");
        }
        assert!(out.contains("Invoice"), "{out}");
    }
}
