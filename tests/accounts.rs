//! Several accounts in one reader, the password asked inside the screen,
//! and new mail that shows up by itself: the real binary in tmux against
//! the test Dovecot, with the server's Maildir checked afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use common::tmux::Tmux;
use common::{Dovecot, User};

fn five() -> Vec<Vec<u8>> {
    common::demo_messages(5)
}

fn three() -> Vec<Vec<u8>> {
    (0..3).map(common::generated_message).collect()
}

fn users() -> Vec<User> {
    vec![
        User::new("multi_a", five()),
        User::new("multi_b", three()),
        User::new("prompted", five()),
        User::new("newmail", five()),
        User::new("fetch_a", five()),
        User::new("fetch_b", three()),
        User::new("empty_pw", three()),
        User::new("fixpw", five()),
        User::new("nosmtp", three()),
    ]
}

fn dovecot() -> Option<&'static Dovecot> {
    common::dovecot::shared(users)
}

/// One `[accounts.NAME]` table on the test Dovecot (STLS, its CA).
fn account(d: &Dovecot, name: &str, user: &str, password: Option<&str>, extra: &str) -> String {
    let mut s = format!(
        "[accounts.{name}]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nuser = \"{user}\"\nca_file = \"{}\"\ncommand_timeout = 20\nconnect_timeout = 10\n{extra}",
        d.plain_port,
        d.ca_file.display()
    );
    if let Some(p) = password {
        s.push_str(&format!("password = \"{p}\"\n"));
    }
    s
}

/// The reader on `config`, with no POSTIE_PASSWORD: each account's own source counts.
fn reader(config: &str, home: &std::path::Path, width: u16) -> Tmux {
    let cfg = home.join("config.toml");
    std::fs::write(&cfg, config).unwrap();
    let line = format!(
        "env -u POSTIE_PASSWORD HOME='{h}' XDG_STATE_HOME='{h}/state' XDG_CACHE_HOME='{h}/cache' XDG_DATA_HOME='{h}/data' POSTIE_CONFIG='{c}' TERM=xterm-256color '{bin}'",
        h = home.display(),
        c = cfg.display(),
        bin = env!("CARGO_BIN_EXE_postie")
    );
    Tmux::start(&line, width, 30)
}

#[test]
fn two_accounts_side_by_side_delete_in_one_and_a_wrong_password_in_a_third() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        "{}\n{}\n{}",
        account(d, "alpha", "multi_a", Some(&d.password("multi_a")), ""),
        account(d, "beta", "multi_b", Some(&d.password("multi_b")), ""),
        account(d, "broken", "multi_a", Some("not-the-password"), "")
    );
    let t = reader(&config, home.path(), 110);
    let screen = t.wait_for("5 messages", 20);
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or("")
            .contains("alpha │ INBOX"),
        "{screen}"
    );
    // The sidebar: every account with its unread counts; the broken one says why.
    let screen = t.wait_for("INBOX (3)", 20);
    let screen = if screen.contains("✗ login failed") {
        screen
    } else {
        t.wait_for("✗ login failed", 20)
    };
    assert!(
        screen.contains("alpha") && screen.contains("INBOX (5)"),
        "{screen}"
    );
    assert!(
        screen.contains("beta") && screen.contains("broken"),
        "{screen}"
    );
    // The one that works is not stopped by the one that does not.
    assert!(
        !screen.contains("Login failed"),
        "no pop-up over alpha:\n{screen}"
    );
    // Tab through alpha's folders (INBOX, Sent, Drafts, Trash, Junk) to beta's INBOX.
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Tab"]);
    let screen = t.wait_for("beta │ INBOX", 10);
    assert!(screen.contains("3 messages"), "{screen}");
    t.keys(&["d"]);
    t.wait_for("3 messages, 1 marked for deletion", 10);
    // Shift-Tab goes back to alpha's last folder, then on to broken: its own pop-up.
    t.keys(&["BTab"]);
    t.wait_for("alpha │ Junk", 10);
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Tab", "Tab"]);
    let screen = t.wait_for("broken │ INBOX", 10);
    assert!(screen.contains("Login failed"), "{screen}");
    t.keys(&["Escape", "q"]);
    t.wait_for("Delete 1 message from the server? (y/n/c)", 10);
    t.keys(&["y"]);
    t.wait_for("EXITED:0", 20);
    assert_eq!(d.message_files("multi_b").len(), 2, "beta's mark committed");
    assert_eq!(d.message_files("multi_a").len(), 5, "alpha untouched");
}

#[test]
fn an_account_without_a_password_asks_for_it_inside_the_screen() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let t = reader(&account(d, "mine", "prompted", None, ""), home.path(), 100);
    t.wait_for("Password for mine (127.0.0.1:", 20);
    // Typed characters are masked.
    t.keys(&["-l", "wrong-one"]);
    let screen = t.wait_for("*********", 5);
    assert!(!screen.contains("wrong-one"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait_for("login failed", 20);
    assert!(
        screen.contains("Password for mine"),
        "asked again:\n{screen}"
    );
    t.keys(&["-l", &d.password("prompted"), "Enter"]);
    t.wait_for("5 messages", 20);
    t.keys(&["q"]);
    t.wait_for("EXITED:0", 10);
    // Held in memory only: nothing was written into the config.
    let config = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(!config.contains("password"), "{config}");
    // The log is private: 0600 in a 0700 directory, and holds no password.
    use std::os::unix::fs::PermissionsExt;
    let log = home.path().join("state/postie/postie.log");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(log.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&log).unwrap();
    // Written (by the log's own thread, flushed when the reader ends) ...
    assert!(text.contains("logged in"), "{text}");
    // ... and without the password.
    assert!(!text.contains(&d.password("prompted")) && !text.contains("wrong-one"));
}

#[test]
fn new_mail_shows_up_by_itself_and_a_pending_mark_is_kept() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let pw = d.password("newmail");
    let t = reader(
        &account(d, "test", "newmail", Some(&pw), "check_interval = \"2s\"\n"),
        home.path(),
        100,
    );
    t.wait_for("5 messages", 20);
    t.keys(&["G", "d"]);
    t.wait_for("5 messages, 1 marked for deletion", 10);
    t.wait_for_title("postie — test: 5 unread", 5);
    let msg = common::message(
        "Zhang <zhang@example.cn>",
        "a new one arrives",
        "Fri, 04 Dec 2026 10:00:00 +0800",
        "",
        "hello",
    );
    d.deliver("newmail", 100, &msg);
    // No key pressed: the next check finds it (its row first, its headers
    // a moment later).
    t.wait_for("1 new in test", 20);
    let screen = t.wait_for("a new one arrives", 10);
    assert!(screen.contains("1 new in test"), "{screen}");
    let screen = t.wait_for("6 messages, 1 marked for deletion", 10);
    assert!(screen.contains("a new one arrives"), "{screen}");
    t.wait_for_title("postie — test: 6 unread", 5);
    t.keys(&["q"]);
    t.wait_for("Delete 1 message from the server? (y/n/c)", 10);
    t.keys(&["y"]);
    t.wait_for("EXITED:0", 20);
    let left: Vec<String> = d
        .message_files("newmail")
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
        .collect();
    assert_eq!(left.len(), 5);
    assert!(left.iter().any(|m| m.contains("a new one arrives")));
}

#[test]
fn fetch_all_downloads_every_account_and_list_reads_each() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    // A third account whose server is not there: it fails, the others not.
    let closed = common::refused_port();
    let config = format!(
        "{}\n{}\n[accounts.third]\nhost = \"127.0.0.1\"\nport = {closed}\ntls = \"none\"\nuser = \"u\"\npassword = \"p\"\nconnect_timeout = 3\n",
        account(d, "first", "fetch_a", None, ""),
        account(d, "second", "fetch_b", None, "")
    );
    // Each account's password from its own variable.
    let run = |args: &[&str]| {
        let path = home.path().join("config.toml");
        std::fs::write(&path, &config).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
            .env_remove("POSTIE_PASSWORD")
            .env("POSTIE_PASSWORD_FIRST", d.password("fetch_a"))
            .env("POSTIE_PASSWORD_SECOND", d.password("fetch_b"))
            .env("POSTIE_CONFIG", &path)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["fetch", "--all", "--json"]);
    // The unreachable one makes the run temporary (75: cron tries again).
    assert_eq!(code, Some(75), "{err}");
    let reports: serde_json::Value = serde_json::from_str(&out).unwrap();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 3, "{out}");
    assert_eq!(reports[0]["account"], "first");
    assert_eq!(reports[0]["downloaded"], 5);
    assert_eq!(reports[1]["account"], "second");
    assert_eq!(reports[1]["downloaded"], 3);
    assert_eq!(reports[2]["account"], "third");
    assert_eq!(reports[2]["temporary"], true);
    assert!(
        reports[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot connect")),
        "{out}"
    );
    let (code, out, err) = run(&["list", "--offline", "--json", "--account", "second"]);
    assert_eq!(code, Some(0), "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert!(
        rows.as_array().unwrap().iter().all(|r| r["stored"] == true),
        "{out}"
    );
}

#[test]
fn an_empty_postie_password_does_not_override_the_configured_one() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    std::fs::write(
        &cfg,
        account(d, "first", "empty_pw", Some(&d.password("empty_pw")), ""),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .env("POSTIE_PASSWORD", "")
        .env("POSTIE_PASSWORD_FIRST", "")
        .env("POSTIE_CONFIG", &cfg)
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .args(["list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("offline"), "logged in, not offline: {err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

/// A wrong password fixed in the config while the reader runs: `R` reads the
/// file again and logs in with the new one. A config that no longer parses
/// is shown with its line and column, and the settings in use stay.
#[test]
fn r_reads_the_config_again_after_the_password_is_fixed() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    let t = reader(
        &account(d, "mine", "fixpw", Some("wrong"), ""),
        home.path(),
        100,
    );
    t.wait_for("Login failed", 20);
    // Broken on line 9: the notice says where, and nothing changes.
    let broken = format!(
        "{}password = \"unterminated\n",
        account(d, "mine", "fixpw", None, "")
    );
    std::fs::write(&cfg, broken).unwrap();
    t.keys(&["R"]);
    let screen = t.wait_for("was not read again", 20);
    assert!(screen.contains("line 9, column"), "{screen}");
    let fixed = account(d, "mine", "fixpw", Some(&d.password("fixpw")), "");
    std::fs::write(&cfg, fixed).unwrap();
    t.keys(&["Escape"]);
    t.keys(&["R"]);
    t.wait_for("5 messages", 20);
    t.keys(&["q"]);
    t.wait_for("EXITED:0", 10);
}

/// Without an SMTP table, c (and r, a, f) say at once how to add one,
/// instead of opening the editor for a message that cannot be sent.
#[test]
fn compose_without_smtp_says_so_before_the_editor() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let t = reader(
        &account(d, "mine", "nosmtp", Some(&d.password("nosmtp")), ""),
        home.path(),
        100,
    );
    t.wait_for("3 messages", 20);
    t.keys(&["c"]);
    let screen = t.wait_for("no [accounts.mine.smtp] table", 10);
    assert!(
        screen.contains("Message number 2"),
        "still the list: {screen}"
    );
    t.keys(&["q"]);
    t.wait_for("EXITED:0", 10);
}
