//! The user's folders against a real Dovecot, the real binary and
//! independent readers: `postie fetch` files 200 messages by five rules
//! (Chinese senders and subjects, a `header:` rule, a `junk` rule, `stop`),
//! Python's `mailbox.Maildir` finds every message exactly once, byte for
//! byte, with its flags; the server keeps all 200; a moved message is still
//! known to `until-deleted`; and Debian's bogofilter, trained on 20 spam and
//! 20 ham messages, sends a new spam to Junk at fetch time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{dovecot, encoded_word, message, postie_in, Account, User};

/// Message `i` of the 200 and where the rules must put it.
fn case(i: usize) -> (Vec<u8>, &'static str) {
    let date = format!("Mon, {} Dec 2024 10:05:00 +0800", 1 + i % 28);
    let gbk = encoding_rs::GBK;
    let utf8 = encoding_rs::UTF_8;
    match i % 5 {
        // Rule 1: from:@jd.com | subject:订单 → 购物 (stop).
        0 => (
            message(
                &format!("{} <shop{i}@jd.com>", encoded_word("京东商城", gbk)),
                &encoded_word(&format!("您的订单 {i} 已发货"), utf8),
                &date,
                "",
                "订单详情\n",
            ),
            "购物",
        ),
        // Rule 2: the server's spam header → Junk (stop), even when it
        // would match rule 1's subject.
        1 => (
            message(
                &format!("Winner <lucky{i}@spam.example>"),
                &encoded_word(
                    if i % 2 == 0 {
                        "中奖通知"
                    } else {
                        "订单确认"
                    },
                    utf8,
                ),
                &date,
                "X-Spam-Flag: YES\r\nX-Spam-Score: 9.1\r\n",
                "You won\n",
            ),
            "Junk",
        ),
        // Rule 3: from:张伟 → 项目/二期, marked read.
        2 => (
            message(
                &format!("{} <zhang.wei@corp.cn>", encoded_word("张伟", gbk)),
                &encoded_word(&format!("二期进度 第{i}周"), gbk),
                &date,
                "",
                "进度见附件\n",
            ),
            "项目/二期",
        ),
        // Rule 4: list:news.example → a copy in 存档, the original stays.
        3 => (
            message(
                &format!("News <news{i}@example.org>"),
                &format!("Weekly {i}"),
                &date,
                "List-Id: Example News <news.example.org>\r\n",
                "news\n",
            ),
            "INBOX",
        ),
        // Rule 5: subject:合同 & -from:jd.com → flagged, stays.
        _ => (
            message(
                &format!("Boss <boss{i}@corp.cn>"),
                &encoded_word(&format!("合同 {i}"), utf8),
                &date,
                "",
                "请审阅\n",
            ),
            "INBOX",
        ),
    }
}

const RULES: &str = r#"
[[accounts.test.rules]]
match = 'header:X-Spam-Flag=YES'
junk = true
stop = true

[[accounts.test.rules]]
match = 'from:@jd.com | subject:订单'
move = "购物"
stop = true

[[accounts.test.rules]]
match = 'from:张伟'
move = "项目/二期"
mark = "read"

[[accounts.test.rules]]
match = 'list:news.example'
copy = "存档"

[[accounts.test.rules]]
match = 'subject:合同 & -from:jd.com'
flag = true
"#;

/// Every message file of the account's store as Python's `mailbox` reads
/// it: folder ("INBOX", "Junk", or the Maildir++ sub-folder of INBOX as
/// Python names it), md5 of the bytes, flags.
fn python_view(root: &Path) -> Vec<(String, String, String)> {
    let script = r#"
import hashlib, json, mailbox, os, sys
root = sys.argv[1]
out = []
def take(name, md):
    for key in md.keys():
        m = md.get_message(key)
        data = md.get_bytes(key)
        out.append([name, hashlib.md5(data).hexdigest(), m.get_flags()])
inbox = mailbox.Maildir(os.path.join(root, 'INBOX'), factory=None, create=False)
take('INBOX', inbox)
for f in inbox.list_folders():
    take(f, inbox.get_folder(f))
for name in ['Junk', 'Trash', 'Sent', 'Drafts']:
    take(name, mailbox.Maildir(os.path.join(root, name), factory=None, create=False))
print(json.dumps(out))
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn md5(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn config(d: &dovecot::Dovecot, user: &str, policy: &str, extra: &str) -> String {
    let mut cfg = Account {
        port: d.plain_port,
        tls: "starttls",
        user,
        auth: "auto",
        ca_file: Some(&d.ca_file),
        pipelining: true,
    }
    .toml();
    cfg.push_str(&format!("leave_on_server = \"{policy}\"\n{extra}"));
    cfg
}

/// `postie fetch --json`'s object for the one account.
fn fetch_json(home: &Path, cfg: &str, pw: &str) -> serde_json::Value {
    let run = postie_in(home, cfg, Some(pw), &["fetch", "--json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let all: Vec<serde_json::Value> = serde_json::from_slice(&run.stdout).unwrap();
    all[0].clone()
}

#[test]
fn fetch_files_by_rules_and_every_message_is_in_exactly_one_folder() {
    let cases: Vec<(Vec<u8>, &str)> = (0..200).map(case).collect();
    let users = vec![User::new(
        "rules",
        cases.iter().map(|(m, _)| m.clone()).collect(),
    )];
    let Some(d) = dovecot::own(users, "") else {
        return;
    };
    let pw = d.password("rules");
    let home = tempfile::tempdir().unwrap();
    let cfg = config(&d, "rules", "always", RULES);
    let run = postie_in(home.path(), &cfg, Some(&pw), &["fetch"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // 40 to 购物 + 20 to 购物 + 20 to Junk + 40 to 项目/二期.
    assert!(
        run.stdout_text().contains("120 filed by rules"),
        "{}",
        run.stdout_text()
    );
    let root = home.path().join("data/postie/test");
    assert!(root.join("INBOX/.项目.二期/cur").is_dir());
    assert!(root.join("INBOX/.购物/cur").is_dir());
    let seen = python_view(&root);
    let mut by_md5: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (folder, sum, flags) in &seen {
        by_md5
            .entry(sum.clone())
            .or_default()
            .push((folder.clone(), flags.clone()));
    }
    for (i, (bytes, want)) in cases.iter().enumerate() {
        let places = by_md5.get(&md5(bytes)).cloned().unwrap_or_default();
        let (originals, copies): (Vec<_>, Vec<_>) = places.iter().partition(|(f, _)| f != "存档");
        // Python names the Maildir++ folder `项目.二期`.
        let want_py = want.replace('/', ".");
        assert_eq!(
            originals
                .iter()
                .map(|(f, _)| f.as_str())
                .collect::<Vec<_>>(),
            [want_py.as_str()],
            "message {i} is in {places:?}, not once in {want}"
        );
        let flags = &originals[0].1;
        match i % 5 {
            2 => assert!(flags.contains('S'), "message {i}: read by rule 3: {flags}"),
            4 => assert!(
                flags.contains('F'),
                "message {i}: flagged by rule 5: {flags}"
            ),
            _ => assert!(!flags.contains('S'), "message {i}: {flags}"),
        }
        let copied = if i % 5 == 3 { 1 } else { 0 };
        assert_eq!(copies.len(), copied, "message {i}: copies {copies:?}");
    }
    assert_eq!(seen.len(), 200 + 40, "200 messages and 40 copies");
    // leave_on_server = "always": the server still has every one.
    assert_eq!(d.message_files("rules").len(), 200);
    // A second fetch downloads nothing: filed mail is known wherever it is.
    let again = fetch_json(home.path(), &cfg, &pw);
    assert_eq!(
        (again["new"].as_u64(), again["downloaded"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    // `postie filter --dry-run` over INBOX: nothing left to file there.
    let dry = postie_in(home.path(), &cfg, Some(&pw), &["filter", "--dry-run"]);
    assert_eq!(dry.status, 0, "{}", dry.stderr);
    assert!(
        dry.stdout_text().contains("0 messages would be filed"),
        "{}",
        dry.stdout_text()
    );

    // A message moved to a folder of the user's keeps its UIDL: with
    // until-deleted it stays on the server, and once deleted here (moved
    // to Trash) the next fetch deletes it there.
    let rows: Vec<serde_json::Value> = serde_json::from_slice(
        &postie_in(
            home.path(),
            &cfg,
            Some(&pw),
            &["list", "--json", "--offline"],
        )
        .stdout,
    )
    .unwrap();
    let uidl = rows[0]["uidl"].as_str().unwrap().to_string();
    let until = config(&d, "rules", "until-deleted", RULES);
    let moved = postie_in(
        home.path(),
        &until,
        Some(&pw),
        &["move", "--uidl", &uidl, "--to", "客户"],
    );
    assert_eq!(moved.status, 0, "{}", moved.stderr);
    let fetch = fetch_json(home.path(), &until, &pw);
    assert_eq!(
        (fetch["downloaded"].as_u64(), fetch["deleted"].as_u64()),
        (Some(0), Some(0)),
        "{fetch}"
    );
    assert_eq!(d.message_files("rules").len(), 200, "filed, not deleted");
    let trashed = postie_in(
        home.path(),
        &until,
        Some(&pw),
        &["move", "--uidl", &uidl, "--to", "Trash"],
    );
    assert_eq!(trashed.status, 0, "{}", trashed.stderr);
    let fetch = fetch_json(home.path(), &until, &pw);
    assert_eq!(fetch["deleted"].as_u64(), Some(1), "{fetch}");
    assert_eq!(d.message_files("rules").len(), 199);
    // The folders as the command line lists them, and a delete that asks.
    let list = postie_in(home.path(), &until, Some(&pw), &["folder", "list"]);
    let text = list.stdout_text();
    for name in ["购物", "项目", "二期", "存档", "客户", "Junk"] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    let refused = postie_in(
        home.path(),
        &until,
        Some(&pw),
        &["folder", "delete", "存档"],
    );
    assert_ne!(refused.status, 0);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let deleted = postie_in(
        home.path(),
        &until,
        Some(&pw),
        &["folder", "delete", "存档", "--yes"],
    );
    assert_eq!(deleted.status, 0, "{}", deleted.stderr);
    assert!(!root.join("INBOX/.存档").exists());
    let trash = python_view(&root)
        .into_iter()
        .filter(|(f, _, _)| f == "Trash")
        .count();
    assert_eq!(trash, 41, "the 40 copies and the message moved there");
}

/// Spam and ham in two vocabularies that bogofilter tells apart.
fn spam(i: usize) -> Vec<u8> {
    message(
        &format!("Prize Center <prize{i}@lottery.example>"),
        &format!("You are a WINNER claim prize {i}"),
        "Mon, 2 Dec 2024 10:05:00 +0800",
        "",
        &format!(
            "Congratulations winner! Claim your cash prize now. Free money, casino bonus, \
             lottery jackpot, viagra discount, act now, wire transfer fee {i}. Unsubscribe.\n"
        ),
    )
}

fn ham(i: usize) -> Vec<u8> {
    message(
        "Li Na <li.na@corp.cn>",
        &format!("Project review notes {i}"),
        "Mon, 2 Dec 2024 10:05:00 +0800",
        "",
        &format!(
            "Hi team, the design review for milestone {i} is on Thursday. Please read the \
             schedule, the test plan and the budget spreadsheet before the meeting. Thanks, Na\n"
        ),
    )
}

#[test]
fn bogofilter_as_the_junk_judge_sends_new_spam_to_junk_at_fetch_time() {
    if Command::new("bogofilter").arg("-V").output().is_err() {
        dovecot::skip_or_fail("bogofilter is not installed (apt-get install bogofilter)");
        return;
    }
    let users = vec![User::new("judged", vec![spam(100), ham(100)])];
    let Some(d) = dovecot::own(users, "") else {
        return;
    };
    let db = tempfile::tempdir().unwrap();
    let dir = db.path().display().to_string();
    // Trained on 20 spam and 20 ham, as `learn_spam`/`learn_ham` would.
    for (k, bytes) in (0..20)
        .map(spam)
        .map(|b| (true, b))
        .chain((0..20).map(ham).map(|b| (false, b)))
    {
        let mut child = Command::new("bogofilter")
            .args(["-d", &dir, if k { "-s" } else { "-n" }])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), &bytes).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
    }
    let extra = format!(
        "junk = {{ judge = \"bogofilter -d {dir}\", learn_spam = \"bogofilter -d {dir} -s\", learn_ham = \"bogofilter -d {dir} -n\" }}\n"
    );
    let cfg = config(&d, "judged", "always", &extra);
    let home = tempfile::tempdir().unwrap();
    let run = postie_in(home.path(), &cfg, Some(&d.password("judged")), &["fetch"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let root = home.path().join("data/postie/test");
    let seen = python_view(&root);
    let junk: Vec<&String> = seen
        .iter()
        .filter(|(f, _, _)| f == "Junk")
        .map(|(_, m, _)| m)
        .collect();
    let inbox: Vec<&String> = seen
        .iter()
        .filter(|(f, _, _)| f == "INBOX")
        .map(|(_, m, _)| m)
        .collect();
    assert_eq!(junk, [&md5(&spam(100))], "{seen:?}");
    assert_eq!(inbox, [&md5(&ham(100))], "{seen:?}");
}

/// Every message file of the store by the UIDL in its name (`,U=hex`):
/// the folders (relative to the account's root) it is in.
fn where_on_disk(root: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut dirs = vec!["INBOX".to_string(), "Trash".to_string(), "Junk".to_string()];
    for e in std::fs::read_dir(root.join("INBOX")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            dirs.push(format!("INBOX/{name}"));
        }
    }
    for d in dirs {
        for sub in ["cur", "new"] {
            let Ok(rd) = std::fs::read_dir(root.join(&d).join(sub)) else {
                continue;
            };
            for e in rd {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                let hex = name
                    .split(",U=")
                    .nth(1)
                    .and_then(|r| r.split([',', ':']).next())
                    .unwrap_or_default()
                    .to_string();
                out.entry(hex).or_default().push(d.clone());
            }
        }
    }
    out
}

/// The index's folder for each UIDL, read by Python's sqlite3.
fn index_folders(root: &Path) -> BTreeMap<String, String> {
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import json, sqlite3, sys\n\
             c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
             print(json.dumps(c.execute('SELECT uidl, folder FROM messages WHERE file IS NOT NULL').fetchall()))",
        ])
        .arg(root.join("index.sqlite"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|(u, f)| (u.bytes().map(|b| format!("{b:02x}")).collect(), f))
        .collect()
}

/// The folder a directory is, as the index names it.
fn index_name(dir: &str) -> String {
    match dir.strip_prefix("INBOX/.") {
        Some(own) => own.replace('.', "/"),
        None => dir.to_string(),
    }
}

#[test]
fn kill_9_while_moving_1000_messages_leaves_each_in_exactly_one_folder() {
    const N: usize = 1000;
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("data/postie/test");
    let cfg = "[accounts.test]\nhost = \"127.0.0.1\"\nuser = \"kill\"\n";
    {
        let mut s = postie::store::Store::open(
            &root,
            &postie::store::account_key("127.0.0.1", "kill"),
            Default::default(),
        )
        .unwrap();
        let new: Vec<(postie::uidl::Uidl, u64)> = (0..N)
            .map(|i| (postie::uidl::Uidl::from(format!("uid-{i}")), 200))
            .collect();
        s.apply_server_index(&new, &[]).unwrap();
        let items: Vec<(postie::uidl::Uidl, Vec<u8>)> = new
            .iter()
            .enumerate()
            .map(|(i, (u, _))| {
                (
                    u.clone(),
                    message(
                        "A <a@example.com>",
                        &format!("msg {i}"),
                        "Mon, 2 Dec 2024 10:05:00 +0800",
                        "",
                        "x\n",
                    ),
                )
            })
            .collect();
        s.deliver_batch(&items).unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_postie");
    let cfg_path = home.path().join("config.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let run = |to: &str| {
        Command::new(bin)
            .env("POSTIE_CONFIG", &cfg_path)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .args(["move", "--search", "subject:msg", "--to", to])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // One whole move, to know how long one takes.
    let start = std::time::Instant::now();
    assert!(run("甲").wait().unwrap().success());
    let whole = start.elapsed().as_micros().max(1000) as u64;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut kills = 0;
    let mut round = 0;
    // Kills that cut a move half-way (its messages in two folders).
    let mut split = 0;
    while kills < 50 {
        round += 1;
        assert!(
            round <= 200,
            "only {kills} of 200 moves were killed mid-way"
        );
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let to = ["乙", "甲/子", "丙", "甲"][round % 4];
        let mut child = run(to);
        std::thread::sleep(std::time::Duration::from_micros(seed % (whole * 3 / 4)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            kills += 1;
        }
        // On disk, at once: every message in exactly one folder.
        let disk = where_on_disk(&root);
        assert_eq!(disk.len(), N, "round {round}: messages lost or added");
        for (u, dirs) in &disk {
            assert_eq!(dirs.len(), 1, "round {round}: {u} in {dirs:?}");
        }
        let used: std::collections::BTreeSet<&String> = disk.values().map(|d| &d[0]).collect();
        if used.len() > 1 {
            split += 1;
        }
        // After the next start (which makes the index agree with the
        // files), the index says the same.
        let list = Command::new(bin)
            .env("POSTIE_CONFIG", &cfg_path)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .args(["folder", "list"])
            .output()
            .unwrap();
        assert!(
            list.status.success(),
            "{}",
            String::from_utf8_lossy(&list.stderr)
        );
        let index = index_folders(&root);
        assert_eq!(index.len(), N, "round {round}");
        for (u, dirs) in &disk {
            assert_eq!(
                index.get(u),
                Some(&index_name(&dirs[0])),
                "round {round}: {u}"
            );
        }
    }
    eprintln!("{kills} kills in {round} moves; {split} cut a move half-way");
    assert!(split >= 5, "only {split} kills landed inside the renames");
}
