//! The reliability soaks (kill -9, chaos proxy, full disk) against a private
//! Dovecot and aiosmtpd: run in full by hand through `cargo bench --bench
//! soak` (tests/soak/soak.rs), in short by CI (tests/kills.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::proxy::{ChaosProxy, Dice};
use super::{Dovecot, User};

// ---------------------------------------------------------------- helpers

/// A message the soak can recognise anywhere: `<soak-N@postie>`.
fn soak_message(n: usize, big: bool) -> Vec<u8> {
    let mut m = format!(
        "From: =?GB2312?B?wO7D9w==?= <li@example.cn>\r\nTo: li@example.cn\r\nSubject: soak {n}\r\nDate: Fri, 4 Dec 2026 10:00:00 +0800\r\nMessage-ID: <soak-{n}@postie>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    .into_bytes();
    let lines = if big { 20_000 } else { 20 };
    for i in 0..lines {
        m.extend_from_slice(format!("line {i} of message {n}: 中文 soak text\r\n").as_bytes());
    }
    m
}

/// The Message-ID of a message file (None if it has none).
fn message_id(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head[..n]);
    for line in text.split("\r\n").flat_map(|l| l.split('\n')) {
        if line.is_empty() {
            break;
        }
        if line.len() > 11 && line[..11].eq_ignore_ascii_case("message-id:") {
            return Some(line[11..].trim().to_string());
        }
    }
    None
}

fn subject(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Subject: ").map(str::to_string))
}

/// Message files in a Maildir folder (cur/ and new/; tmp/ is not mail).
fn mail_files(folder: &Path) -> Vec<PathBuf> {
    ["cur", "new"]
        .iter()
        .flat_map(|d| std::fs::read_dir(folder.join(d)).into_iter().flatten())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect()
}

/// Message-IDs in the store's folders, with how many times each is there.
fn store_ids(home: &Path, folders: &[&str]) -> BTreeMap<String, usize> {
    let root = home.join("data").join("postie").join("test");
    let mut ids = BTreeMap::new();
    for f in folders {
        for p in mail_files(&root.join(f)) {
            if let Some(id) = message_id(&p) {
                *ids.entry(id).or_insert(0) += 1;
            }
        }
    }
    ids
}

/// Whether the draft with this subject is marked as (possibly) sent.
fn draft_says_sending(home: &Path, subject: &str) -> bool {
    let root = home.join("data").join("postie").join("test").join("Drafts");
    mail_files(&root).iter().any(|p| {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        text.contains(&format!("Subject: {subject}"))
            && text.lines().any(|l| {
                l.starts_with("X-Postie-Status: sending")
                    || l.starts_with("X-Postie-Status: may have been sent")
            })
    })
}

fn store_subjects(home: &Path, folder: &str) -> Vec<String> {
    let root = home.join("data").join("postie").join("test");
    mail_files(&root.join(folder))
        .iter()
        .filter_map(|p| subject(p))
        .collect()
}

/// Message-IDs in the user's Maildir on the server. new/ is read before
/// cur/: Dovecot moves files from new/ to cur/ while a session (perhaps one
/// of a process just killed) runs, and a file moved between the two reads
/// is then seen in cur/ instead of not at all.
fn server_ids(d: &Dovecot, user: &str) -> BTreeSet<String> {
    let dir = d.maildir(user);
    ["new", "cur"]
        .iter()
        .flat_map(|sub| {
            std::fs::read_dir(dir.join(sub))
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect::<Vec<_>>()
        })
        .filter_map(|p| message_id(&p))
        .collect()
}

fn write_config(home: &Path, config: &str) -> PathBuf {
    let path = home.join("config.toml");
    std::fs::write(&path, config).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn postie_cmd(home: &Path, password: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postie"));
    cmd.env("POSTIE_CONFIG", home.join("config.toml"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("POSTIE_PASSWORD", password)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Runs to the end: (exit code, stderr, seconds).
fn run(home: &Path, password: &str, args: &[&str], stdin: Option<&[u8]>) -> (i32, String, f64) {
    let start = Instant::now();
    let mut cmd = postie_cmd(home, password, args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().unwrap();
    if let (Some(b), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        let _ = pipe.write_all(b);
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed().as_secs_f64(),
    )
}

/// Kill moments drawn over how long the operation runs: the window
/// shrinks to the length of a run that ended before its kill.
struct Killer {
    window_ms: u64,
    kills: usize,
    finished: usize,
}

impl Killer {
    fn new() -> Killer {
        Killer {
            window_ms: 400,
            kills: 0,
            finished: 0,
        }
    }

    /// Waits a random moment of the window, then `kill -9` if still running.
    fn strike(&mut self, mut child: Child, dice: &Dice) {
        let start = Instant::now();
        let after = Duration::from_micros(dice.below(self.window_ms * 1000));
        std::thread::sleep(after);
        match child.try_wait() {
            Ok(None) => {
                let _ = child.kill(); // SIGKILL
                let _ = child.wait();
                self.kills += 1;
            }
            _ => {
                let _ = child.wait();
                self.finished += 1;
                // It ran at most this long: draw later kills within it.
                let ran = start.elapsed().as_millis() as u64;
                self.window_ms = (ran * 9 / 10).max(5);
            }
        }
    }
}

pub struct Verdict {
    pub broken: Vec<String>,
}

impl Verdict {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            let w = what();
            println!("  INVARIANT BROKEN: {w}");
            self.broken.push(w);
        }
    }
}

/// Union and duplicates: every id ever delivered is on the server or in the
/// store, and none is in the store twice.
/// What was delivered and is neither on the server nor in the store (nor
/// `excused`: deletions the user confirmed).
fn lost_mail(
    d: &Dovecot,
    home: &Path,
    delivered: &BTreeSet<String>,
    excused: &BTreeSet<String>,
) -> Vec<String> {
    let missing = || {
        let server = server_ids(d, "li");
        let stored = store_ids(home, &["INBOX", "Trash"]);
        delivered
            .iter()
            .filter(|id| {
                !server.contains(*id) && !stored.contains_key(*id) && !excused.contains(*id)
            })
            .cloned()
            .collect::<Vec<String>>()
    };
    let lost = missing();
    if lost.is_empty() {
        return lost;
    }
    // A rename by the server in the middle of a read: look again.
    std::thread::sleep(Duration::from_secs(1));
    missing()
}

fn check_mail(v: &mut Verdict, d: &Dovecot, home: &Path, delivered: &BTreeSet<String>, when: &str) {
    let lost = lost_mail(d, home, delivered, &BTreeSet::new());
    v.check(lost.is_empty(), || format!("{when}: lost {lost:?}"));
    let stored = store_ids(home, &["INBOX", "Trash"]);
    let twice: Vec<(&String, &usize)> = stored.iter().filter(|(_, n)| **n > 1).collect();
    v.check(twice.is_empty(), || {
        format!("{when}: twice in the store {twice:?}")
    });
}

/// The next start is clean: `list --offline` works and reports no damage.
fn check_next_start(v: &mut Verdict, home: &Path, password: &str, when: &str) {
    let (code, err, _) = run(home, password, &["list", "--offline"], None);
    v.check(code == 0, || {
        format!("{when}: list --offline exit {code}: {err}")
    });
    v.check(
        !err.contains("damaged") && !err.contains("moved it"),
        || format!("{when}: the next start found damage: {err}"),
    );
}

fn seed() -> u64 {
    std::env::var("POSTIE_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A verdict to fill, and the servers (None: recorded as broken).
fn begin() -> (Verdict, Option<(Dovecot, super::smtp::Smtp)>) {
    let mut v = Verdict { broken: vec![] };
    let servers = start_servers();
    if servers.is_none() {
        v.check(false, || "the servers cannot start".into());
    }
    (v, servers)
}

/// The private Dovecot (users li and bo) and an SMTP server delivering to
/// bo; None (outside CI only) when they cannot start.
pub fn start_servers() -> Option<(Dovecot, super::smtp::Smtp)> {
    let d = super::dovecot::own(vec![User::new("li", vec![]), User::new("bo", vec![])], "")?;
    let s = super::smtp::own(&d, "li", &d.password("li"), "bo")?;
    Some((d, s))
}

fn config(pop3_port: u16, smtp_table: &str, policy: &str) -> String {
    format!(
        "[accounts.test]\nhost = \"127.0.0.1\"\nport = {pop3_port}\ntls = \"none\"\nuser = \"li\"\nauth = \"user\"\ncommand_timeout = 5\nread_timeout = 5\nconnect_timeout = 5\nleave_on_server = \"{policy}\"\nemail = \"li@example.cn\"\nname = \"李明\"\n\n[accounts.test.smtp]\n{smtp_table}",
    )
}

/// STARTTLS (the private server requires it before AUTH), at `port`.
fn smtp_table(d: &Dovecot, port: u16) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"starttls\"\nuser = \"li\"\nauth = \"auto\"\ntimeout = 5\nca_file = \"{}\"\n",
        d.ca_file.display()
    )
}

// ---------------------------------------------------------------- kill

pub fn kill_soak(n: usize) -> Verdict {
    let (mut v, servers) = begin();
    let Some((d, s)) = servers else {
        return v;
    };
    let pw = d.password("li");
    let dice = Dice::new(seed());
    let home = tempfile::tempdir().unwrap();
    let smtp = smtp_table(&d, s.starttls_port);
    let mut delivered = BTreeSet::new();
    let mut next = 0usize;
    // fetch
    let mut killer = Killer::new();
    let mut i = 0;
    while killer.kills < n {
        i += 1;
        for k in 0..5 {
            d.deliver("li", next, &soak_message(next, k == 0 && i % 3 == 0));
            delivered.insert(format!("<soak-{next}@postie>"));
            next += 1;
        }
        let policy = if i % 2 == 0 { "never" } else { "always" };
        write_config(home.path(), &config(d.plain_port, &smtp, policy));
        let child = postie_cmd(home.path(), &pw, &["fetch", "--quiet"])
            .spawn()
            .unwrap();
        killer.strike(child, &dice);
        let when = format!("fetch kill {i}");
        check_mail(&mut v, &d, home.path(), &delivered, &when);
        check_next_start(&mut v, home.path(), &pw, &when);
    }
    write_config(home.path(), &config(d.plain_port, &smtp, "never"));
    let (code, err, _) = run(home.path(), &pw, &["fetch", "--quiet"], None);
    v.check(code == 0, || format!("the fetch after the kills: {err}"));
    check_mail(&mut v, &d, home.path(), &delivered, "after a clean fetch");
    let stored = store_ids(home.path(), &["INBOX", "Trash"]);
    let all_in = delivered.iter().all(|id| stored.contains_key(id));
    v.check(all_in && server_ids(&d, "li").is_empty(), || {
        "a clean fetch with \"never\" did not move everything into the store".into()
    });
    println!(
        "kill fetch: {} kills ({} runs ended before the kill), {} messages, all in the store once after a clean fetch: {all_in}",
        killer.kills,
        killer.finished,
        delivered.len()
    );

    // list: header saves into the index
    let mut killer = Killer::new();
    write_config(home.path(), &config(d.plain_port, &smtp, "always"));
    let mut i = 0;
    while killer.kills < n {
        i += 1;
        for _ in 0..40 {
            d.deliver("li", next, &soak_message(next, false));
            delivered.insert(format!("<soak-{next}@postie>"));
            next += 1;
        }
        let child = postie_cmd(home.path(), &pw, &["list"]).spawn().unwrap();
        killer.strike(child, &dice);
        let when = format!("list kill {i}");
        check_mail(&mut v, &d, home.path(), &delivered, &when);
        check_next_start(&mut v, home.path(), &pw, &when);
    }
    let (code, err, _) = run(home.path(), &pw, &["list"], None);
    v.check(code == 0, || format!("list after the kills: {err}"));
    println!(
        "kill list (header saves): {} kills ({} ended before the kill)",
        killer.kills, killer.finished
    );

    // send: the draft, the sending mark, Sent
    let mut killer = Killer::new();
    let before = s.received().len();
    let mut asked = Vec::new();
    let mut i = 0;
    while killer.kills < n {
        i += 1;
        let subject = format!("soak-send-{i}");
        let mut cmd = postie_cmd(
            home.path(),
            &pw,
            &["send", "--to", "bo@example.cn", "--subject", &subject],
        );
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(mut pipe) = child.stdin.take() {
            use std::io::Write;
            let _ = pipe.write_all(format!("body of {subject}\n中文\n").as_bytes());
        }
        killer.strike(child, &dice);
        asked.push(subject);
        check_next_start(&mut v, home.path(), &pw, &format!("send kill {i}"));
    }
    let received: Vec<String> = s.received()[before..]
        .iter()
        .filter_map(|r| {
            String::from_utf8_lossy(&r.bytes)
                .lines()
                .find_map(|l| l.strip_prefix("Subject: ").map(str::to_string))
        })
        .collect();
    let sent = store_subjects(home.path(), "Sent");
    let drafts = store_subjects(home.path(), "Drafts");
    let (mut delivered_n, mut drafted, mut neither) = (0, 0, 0);
    for subj in &asked {
        let got = received.iter().filter(|r| *r == subj).count();
        let in_sent = sent.iter().filter(|r| *r == subj).count();
        let in_drafts = drafts.iter().filter(|r| *r == subj).count();
        v.check(got <= 1, || format!("{subj} delivered {got} times"));
        v.check(in_sent <= 1, || format!("{subj} in Sent {in_sent} times"));
        v.check(in_sent == 0 || got == 1, || {
            format!("{subj} in Sent but never delivered")
        });
        v.check(got == 0 || in_sent == 1 || in_drafts == 1, || {
            format!("{subj} delivered but neither in Sent nor kept as a draft")
        });
        // A kill between the Sent copy's rename and the draft's removal
        // leaves both for a moment: the draft says `sending <Message-ID>`,
        // and the next start (each kill is followed by one) finishes the
        // removal. Never both afterwards.
        v.check(
            got == 0 || in_sent == 1 || draft_says_sending(home.path(), subj),
            || format!("{subj} delivered, kept as a draft that does not say it may have been sent"),
        );
        v.check(!(in_sent == 1 && in_drafts == 1), || {
            format!("{subj} in Sent and still in Drafts after the next start")
        });
        if got == 1 {
            delivered_n += 1;
        } else if in_drafts == 1 {
            drafted += 1;
        } else {
            neither += 1;
        }
    }
    println!(
        "kill send: {} kills ({} ended before the kill): {delivered_n} delivered (each in Sent, or kept as a draft marked as possibly sent), {drafted} kept as drafts, {neither} killed before the draft was written; none in both Sent and Drafts",
        killer.kills, killer.finished
    );
    kill_draft_saves(&mut v, &d, home.path(), &pw, n, &dice);
    v
}

/// Only the draft-saving kills (`soak -- drafts N`).
pub fn kill_drafts_soak(n: usize) -> Verdict {
    let (mut v, servers) = begin();
    let Some((d, s)) = servers else {
        return v;
    };
    let pw = d.password("li");
    let home = tempfile::tempdir().unwrap();
    for k in 0..3 {
        d.deliver("li", k, &soak_message(k, false));
    }
    let smtp = smtp_table(&d, s.starttls_port);
    write_config(home.path(), &config(d.plain_port, &smtp, "always"));
    kill_draft_saves(&mut v, &d, home.path(), &pw, n, &Dice::new(seed()));
    v
}

/// The editor the draft loop gives postie: writes `draft-body-N` (N from
/// the file `counter` beside it) into the body, then `done-N`, and exits.
const DRAFT_EDITOR: &str = r#"#!/bin/sh
dir=$(dirname "$0")
n=$(cat "$dir/counter")
printf 'To: bo@example.cn\nSubject: draft %s\n\ndraft-body-%s\n' "$n" "$n" > "$1"
touch "$dir/done-$n"
"#;

/// `kill -9` of the reader at random moments after `c`: the draft is made in
/// Drafts, the editor writes it, postie reads it back and shows the compose
/// screen. Afterwards: what the editor wrote is in Drafts, no draft file is
/// empty or half-written, and the next start is clean.
fn kill_draft_saves(v: &mut Verdict, d: &Dovecot, home: &Path, pw: &str, n: usize, dice: &Dice) {
    use super::tmux::{postie_command, postie_pid, Tmux};
    let editor = home.join("editor.sh");
    std::fs::write(&editor, DRAFT_EDITOR).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = d;
    let drafts_dir = home.join("data/postie/test/Drafts");
    let mut killer = Killer::new();
    let mut i = 0;
    let mut edited = 0;
    while killer.kills < n && i < n * 4 {
        i += 1;
        std::fs::write(home.join("counter"), i.to_string()).unwrap();
        let command = format!(
            "env VISUAL= EDITOR='{}' {}",
            editor.display(),
            postie_command(&home.join("config.toml"), pw, home)
        );
        let t = Tmux::start(&command, 100, 30);
        let ready = Instant::now();
        while !t.screen().contains("message") && ready.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let Some(pid) = postie_pid(home) else {
            v.check(false, || format!("draft kill {i}: postie did not start"));
            continue;
        };
        let waiting = !mail_files(&drafts_dir).is_empty();
        // send-keys without the helper's pause after each key: the kill
        // moment is drawn from the key press on.
        let press = |k: &str| {
            t.tmux_command(&["send-keys", "-t", "postie", k]);
        };
        if waiting {
            // Drafts left by earlier kills are offered first: a new one.
            press("c");
            t.wait_for("waiting", 10);
            press("n");
        } else {
            press("c");
        }
        let start = Instant::now();
        std::thread::sleep(Duration::from_micros(dice.below(killer.window_ms * 1000)));
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        let waited = start.elapsed();
        std::thread::sleep(Duration::from_millis(100));
        if t.screen().contains("Send? (y: send") {
            // It had finished saving before the kill: draw later kills earlier.
            killer.finished += 1;
            killer.window_ms = (waited.as_millis() as u64 * 9 / 10).max(5);
        } else {
            killer.kills += 1;
        }
        t.wait_for("EXITED:", 10);
        drop(t);
        // What the editor finished writing is in Drafts, whole.
        let texts: Vec<String> = mail_files(&drafts_dir)
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect();
        if home.join(format!("done-{i}")).exists() {
            edited += 1;
            v.check(
                texts
                    .iter()
                    .any(|t| t.contains(&format!("draft-body-{i}\n"))),
                || format!("draft kill {i}: what the editor wrote is not in Drafts"),
            );
        }
        for t in &texts {
            v.check(
                t.contains("\n\n") && t.lines().next().is_some_and(|l| l.contains(':')),
                || format!("draft kill {i}: a draft file is empty or half-written: {t:?}"),
            );
        }
        check_next_start(v, home, pw, &format!("draft kill {i}"));
    }
    println!(
        "kill draft saves (the reader, c, the editor, postie reading the draft back): {} kills ({} after the compose screen was up), the editor had finished in {edited}, {} drafts in Drafts",
        killer.kills,
        killer.finished,
        mail_files(&drafts_dir).len()
    );
}

// ---------------------------------------------------------------- chaos

pub fn chaos_soak(want: u64) -> Verdict {
    let (mut v, servers) = begin();
    let Some((d, s)) = servers else {
        return v;
    };
    let pw = d.password("li");
    let seed = seed();
    println!("chaos: seed {seed} (POSTIE_SOAK_SEED to repeat)");
    let dice = Dice::new(seed);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let pop = rt
        .block_on(ChaosProxy::start(d.plain_port, 0.04, dice.clone()))
        .unwrap();
    let smtp_proxy = rt
        .block_on(ChaosProxy::start(s.starttls_port, 0.04, dice.clone()))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let smtp = smtp_table(&d, smtp_proxy.port);
    let mut delivered = BTreeSet::new();
    // What the user confirmed for deletion (committed or by policy), and
    // what the server acknowledged.
    let mut may_delete: BTreeSet<String> = BTreeSet::new();
    let mut next = 0usize;
    let mut cycle = 0;
    let mut rss_curve = Vec::new();
    let mut longest = 0f64;
    let policies = ["always", "never", "0d", "until-deleted"];
    let faults = || pop.faults.total() + smtp_proxy.faults.total();
    let (mut commits, mut acknowledged, mut deleted_by_commit) = (0, 0, 0);
    let (mut fetch_ok, mut fetch_failed, mut send_ok, mut send_failed) = (0, 0, 0, 0);
    let started = Instant::now();
    while faults() < want {
        cycle += 1;
        for k in 0..6 {
            d.deliver("li", next, &soak_message(next, k == 0 && cycle % 4 == 0));
            delivered.insert(format!("<soak-{next}@postie>"));
            next += 1;
        }
        let policy = policies[cycle % policies.len()];
        write_config(home.path(), &config(pop.port, &smtp, policy));
        // list and open, through the binary
        // Each step starts when the last one's connections are closed: a
        // command the proxy held back (a QUIT postie gave up waiting for)
        // reaches the server within the step that sent it.
        let settle = || {
            pop.wait_idle(Duration::from_secs(30));
            smtp_proxy.wait_idle(Duration::from_secs(30));
        };
        for args in [&["list"][..], &["show", "1"]] {
            let (_, _, secs) = run(home.path(), &pw, args, None);
            longest = longest.max(secs);
        }
        settle();
        // mark, unmark, commit: the reader's worker, in this process
        let before: BTreeSet<String> = server_ids(&d, "li");
        let (committed, marked) = rt.block_on(reader_cycle(pop.port, &pw, &dice));
        settle();
        // The messages the worker marked are deleted only if it committed;
        // a commit whose reply was lost may or may not have happened.
        for id in &marked {
            may_delete.insert(id.clone());
        }
        let after: BTreeSet<String> = server_ids(&d, "li");
        let gone: Vec<&String> = before.difference(&after).collect();
        if committed.is_some() {
            commits += 1;
        }
        if committed == Some(true) {
            acknowledged += 1;
        }
        deleted_by_commit += gone.len();
        let unconfirmed: Vec<&&String> = gone.iter().filter(|g| !marked.contains(**g)).collect();
        v.check(unconfirmed.is_empty(), || {
            format!("cycle {cycle}: deleted without being marked: {unconfirmed:?}")
        });
        if committed == Some(true) {
            let kept: Vec<&String> = marked.iter().filter(|m| after.contains(*m)).collect();
            v.check(kept.is_empty(), || {
                format!("cycle {cycle}: a commit the server acknowledged left {kept:?}")
            });
        }
        // fetch with this cycle's policy
        let before = server_ids(&d, "li");
        let (code, _, secs) = run(home.path(), &pw, &["fetch", "--quiet"], None);
        longest = longest.max(secs);
        settle();
        if code == 0 {
            fetch_ok += 1;
        } else {
            fetch_failed += 1;
        }
        let after = server_ids(&d, "li");
        let stored = store_ids(home.path(), &["INBOX", "Trash"]);
        for g in before.difference(&after) {
            v.check(stored.contains_key(g) || may_delete.contains(g), || {
                format!("cycle {cycle}: fetch ({policy}) deleted {g}, which is not in the store")
            });
        }
        // send
        let subject = format!("chaos-send-{cycle}");
        let (code, _, secs) = run(
            home.path(),
            &pw,
            &["send", "--to", "bo@example.cn", "--subject", &subject],
            Some(b"chaos body\n"),
        );
        longest = longest.max(secs);
        settle();
        if code == 0 {
            send_ok += 1;
        } else {
            send_failed += 1;
        }
        let got = s
            .received()
            .iter()
            .filter(|r| String::from_utf8_lossy(&r.bytes).contains(&format!("Subject: {subject}")))
            .count();
        let in_sent = store_subjects(home.path(), "Sent")
            .iter()
            .filter(|x| **x == subject)
            .count();
        let in_drafts = store_subjects(home.path(), "Drafts")
            .iter()
            .filter(|x| **x == subject)
            .count();
        v.check(in_sent + in_drafts == 1, || {
            format!("cycle {cycle}: the message sent is in Sent {in_sent}, Drafts {in_drafts} (a draft lost or doubled)")
        });
        v.check(in_sent == 0 || got >= 1, || {
            format!("cycle {cycle}: in Sent, never delivered")
        });
        // the union and the store, and the next start
        let all_lost = lost_mail(&d, home.path(), &delivered, &may_delete);
        v.check(all_lost.is_empty(), || {
            format!("cycle {cycle}: lost {all_lost:?}")
        });
        let twice: Vec<(String, usize)> = store_ids(home.path(), &["INBOX", "Trash"])
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .collect();
        v.check(twice.is_empty(), || {
            format!("cycle {cycle}: twice in the store {twice:?}")
        });
        let rss = rss_kb(std::process::id()) / 1024;
        rss_curve.push(rss);
        if cycle % 10 == 0 {
            println!(
                "  cycle {cycle}: {} ({}), {:.0} s, worker process RSS {rss} MB, longest command {longest:.1} s",
                faults(),
                pop.faults.line(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    v.check(longest < 60.0, || format!("a command ran {longest:.1} s"));
    println!(
        "chaos: {cycle} cycles, {} messages delivered; POP3 proxy: {}; SMTP proxy: {}; longest command {longest:.1} s",
        delivered.len(),
        pop.faults.line(),
        smtp_proxy.faults.line()
    );
    println!(
        "chaos: {commits} commits asked, {acknowledged} closed with every mark deleted, {deleted_by_commit} messages deleted by them; fetch {fetch_ok} ok / {fetch_failed} failed; send {send_ok} ok / {send_failed} failed (kept as drafts)"
    );
    let pick: Vec<String> = rss_curve
        .iter()
        .enumerate()
        .filter(|(i, _)| i % (rss_curve.len() / 10).max(1) == 0)
        .map(|(i, r)| format!("{}:{r}", i + 1))
        .collect();
    println!(
        "chaos: RSS of the process running the reader's worker, MB by cycle: {}",
        pick.join(" ")
    );
    v
}

/// One reader session: list, open a message, mark three, unmark one, and
/// commit (or, one time in four, leave without committing). Returns whether
/// the commit was acknowledged (None: no commit asked) and the ids marked
/// for the commit.
async fn reader_cycle(port: u16, pw: &str, dice: &Dice) -> (Option<bool>, BTreeSet<String>) {
    use postie::worker::{Event, Request};
    let cfg = super::loopback_client(port, "li", pw, postie::pop3::AuthPreference::User, 5);
    let (req_tx, mut ev_rx, task) = super::spawn_worker_for(cfg, None);
    let mut marked: Vec<postie::uidl::Uidl> = Vec::new();
    let mut ids: BTreeMap<postie::uidl::Uidl, String> = BTreeMap::new();
    let commit = dice.below(4) != 0;
    let mut asked_quit = false;
    let mut result = None;
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let ev = match tokio::time::timeout(Duration::from_secs(20), ev_rx.recv()).await {
            Ok(Some(ev)) => ev,
            _ => break,
        };
        match ev {
            Event::Indexed(entries) if marked.is_empty() && !asked_quit => {
                let uidls: Vec<postie::uidl::Uidl> =
                    entries.iter().map(|e| e.uidl.clone()).collect();
                if uidls.is_empty() {
                    break;
                }
                let _ = req_tx.send(Request::Visible(uidls.clone()));
                let _ = req_tx.send(Request::FetchBody(uidls[0].clone()));
                for u in uidls.iter().take(3) {
                    let _ = req_tx.send(Request::Mark(u.clone()));
                    marked.push(u.clone());
                }
                if marked.len() == 3 {
                    let _ = req_tx.send(Request::Unmark(marked[1].clone()));
                    marked.remove(1);
                }
            }
            Event::HeadersLoaded(rows) => {
                for (u, s) in rows {
                    ids.insert(u, s.message_id().trim_matches(['<', '>']).to_string());
                }
            }
            Event::MarksApplied(set)
                if !asked_quit
                    && !marked.is_empty()
                    && marked.iter().all(|m| set.contains(m))
                    && marked.iter().all(|m| ids.contains_key(m)) =>
            {
                asked_quit = true;
                let _ = req_tx.send(if commit {
                    Request::QuitCommit
                } else {
                    Request::QuitDiscard
                });
            }
            Event::Closed { deleted } => {
                result = Some(commit && deleted == marked.len());
                break;
            }
            _ => {}
        }
    }
    if !asked_quit {
        let _ = req_tx.send(Request::QuitDiscard);
    }
    let mut task = task;
    if tokio::time::timeout(Duration::from_secs(30), &mut task)
        .await
        .is_err()
    {
        // Still retrying: stopped here, so no late commit lands in a later
        // cycle (a commit stopped before its QUIT deletes nothing).
        task.abort();
        let _ = task.await;
    }
    // Only a commit that was asked for may delete the marked messages.
    let marked_ids: BTreeSet<String> = if commit && asked_quit {
        marked
            .iter()
            .filter_map(|u| ids.get(u))
            .map(|m| format!("<{m}>"))
            .collect()
    } else {
        BTreeSet::new()
    };
    (
        if commit && asked_quit {
            Some(result.unwrap_or(false))
        } else {
            None
        },
        marked_ids,
    )
}

// ---------------------------------------------------------------- disk

pub fn disk_soak() -> Verdict {
    let (mut v, servers) = begin();
    let Some((d, s)) = servers else {
        return v;
    };
    let pw = d.password("li");
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&data)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        v.check(false, || "cannot mount a 4 MB tmpfs (run as root)".into());
        return v;
    }
    let smtp = smtp_table(&d, s.starttls_port);
    write_config(home.path(), &config(d.plain_port, &smtp, "never"));
    let mut delivered = BTreeSet::new();
    // 12 messages of about 1 MB: more than the disk holds.
    for n in 0..12 {
        d.deliver("li", n, &soak_message(n, true));
        delivered.insert(format!("<soak-{n}@postie>"));
    }
    let (code, err, secs) = run(home.path(), &pw, &["fetch"], None);
    println!("disk fetch: exit {code}, {secs:.1} s: {}", err.trim());
    v.check(code != 0, || {
        "fetch into a full disk claimed success".into()
    });
    v.check(
        err.contains("No space left") || err.contains("space"),
        || format!("fetch did not say the disk is full: {err}"),
    );
    v.check(
        err.contains("nothing was deleted") || err.contains("not deleted") || !err.is_empty(),
        || err.clone(),
    );
    check_mail(&mut v, &d, home.path(), &delivered, "disk fetch");
    let server = server_ids(&d, "li");
    let stored = store_ids(home.path(), &["INBOX"]);
    let deleted_unstored: Vec<&String> = delivered
        .iter()
        .filter(|id| !server.contains(*id) && !stored.contains_key(*id))
        .collect();
    v.check(deleted_unstored.is_empty(), || {
        format!("deleted but not stored: {deleted_unstored:?}")
    });
    let tmp_left = std::fs::read_dir(data.join("postie/test/INBOX/tmp"))
        .map(|r| r.count())
        .unwrap_or(0);
    println!(
        "disk fetch: {} of 12 stored, {} left on the server, {tmp_left} files left in tmp/ (removed at the next start)",
        stored.len(),
        server.len()
    );
    // save: attachments into a full directory
    let full_dir = data.join("saved");
    let filler = data.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 4 << 20]);
    let eml = home.path().join("att.eml");
    let mut m = b"From: a@b\r\nSubject: att\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nsee\r\n--z\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    for _ in 0..20_000 {
        m.extend_from_slice(
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n",
        );
    }
    m.extend_from_slice(b"--z--\r\n");
    std::fs::write(&eml, &m).unwrap();
    let eml_s = eml.display().to_string();
    let dir_s = full_dir.display().to_string();
    let (code, err, _) = run(
        home.path(),
        &pw,
        &["save", "--file", &eml_s, "--dir", &dir_s],
        None,
    );
    println!("disk save: exit {code}: {}", err.trim());
    v.check(code != 0, || "save into a full disk claimed success".into());
    let half: Vec<PathBuf> = std::fs::read_dir(&full_dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.check(half.is_empty(), || {
        format!("save left a half-written file: {half:?}")
    });
    // send: the draft cannot be written
    let (code, err, _) = run(
        home.path(),
        &pw,
        &["send", "--to", "bo@example.cn", "--subject", "disk-send"],
        Some(b"body\n"),
    );
    println!("disk send: exit {code}: {}", err.trim());
    v.check(code != 0, || "send with a full disk claimed success".into());
    let got = s
        .received()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.bytes).contains("Subject: disk-send"))
        .count();
    println!("disk send: delivered {got} (a message is sent only once its draft is safe)");
    // Where it says the draft is kept, it is, whole.
    if let Some(path) = err.split("kept in Drafts: ").nth(1) {
        let text = std::fs::read_to_string(path.trim()).unwrap_or_default();
        v.check(
            text.contains("Subject: disk-send") && text.contains("body"),
            || format!("send says the draft is kept at {path}, but it holds {text:?}"),
        );
    } else {
        v.check(
            err.contains("nothing was kept") || err.contains("not saved"),
            || format!("send neither kept a draft nor said so: {err}"),
        );
    }
    v.check(got == 0, || {
        "sent although its draft could not be written".into()
    });
    let _ = std::fs::remove_file(&filler);
    let _ = Command::new("umount").arg(&data).status();
    v
}
