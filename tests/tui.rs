//! End to end: the real binary in tmux against the test Dovecot. Read a GB2312
//! message, mark two, unmark one, quit and confirm: the server then holds
//! exactly one message fewer, the right one. `x` after marks deletes nothing;
//! a connection killed mid-session deletes nothing, the screen says so, and the
//! marks come back in the new session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use common::tmux::{postie_command, Tmux};
use common::{Account, Dovecot, User};

/// The first five demo messages: welcome, GB2312 QP, GBK base64, Foxmail, HTML.
fn five() -> Vec<Vec<u8>> {
    common::demo_messages(5)
}

fn users() -> Vec<User> {
    vec![
        User::new("tui_commit", five()),
        User::new("tui_discard", five()),
        User::new("tui_drop", five()),
        User::new("tui_trash", five()),
    ]
}

fn dovecot() -> Option<&'static Dovecot> {
    common::dovecot::shared(users)
}

struct Session {
    tmux: Tmux,
    _home: tempfile::TempDir,
}

fn open(d: &Dovecot, user: &str) -> Session {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    let acct = Account {
        port: d.plain_port,
        tls: "starttls",
        user,
        auth: "auto",
        ca_file: Some(&d.ca_file),
        pipelining: true,
    };
    std::fs::write(&cfg, acct.toml()).unwrap();
    let tmux = Tmux::start(
        &postie_command(&cfg, &d.password(user), home.path()),
        100,
        30,
    );
    tmux.wait_for("5 messages", 20);
    Session { tmux, _home: home }
}

fn contents(d: &Dovecot, user: &str) -> Vec<String> {
    d.message_files(user)
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned())
        .collect()
}

#[test]
fn read_gb2312_mark_two_unmark_one_quit_and_confirm() {
    let Some(d) = dovecot() else { return };
    let s = open(d, "tui_commit");
    let t = &s.tmux;
    let screen = t.screen();
    // The header line: account (the config's name for it), folder, server, mode.
    let header = screen.lines().next().unwrap_or("").trim_end().to_string();
    assert!(
        header.contains("postie │ test │ INBOX │ 127.0.0.1:") && header.ends_with("│ STLS"),
        "{screen}"
    );
    assert!(
        screen.contains("第二季度销售报告") && screen.contains("邮件示例"),
        "decoded subjects:\n{screen}"
    );
    // The oldest but one is the GB2312 quoted-printable message.
    t.keys(&["G", "k", "Enter"]);
    let screen = t.wait_for("您好！附件是第二季度的销售报告，请查收。", 10);
    assert!(screen.contains("Subject: 第二季度销售报告"), "{screen}");
    t.keys(&["q", "g", "d", "d"]);
    t.wait_for("5 messages, 2 marked for deletion", 5);
    t.keys(&["k", "u"]);
    t.wait_for("5 messages, 1 marked for deletion", 5);
    t.keys(&["q"]);
    t.wait_for("Delete 1 message from the server? (y/n/c)", 5);
    assert_eq!(
        d.message_files("tui_commit").len(),
        5,
        "nothing deleted before the answer"
    );
    t.keys(&["y"]);
    t.wait_for("EXITED:0", 10);
    let left = contents(d, "tui_commit");
    assert_eq!(left.len(), 4);
    assert!(
        !left
            .iter()
            .any(|m| m.contains("Subject: Your weekly digest")),
        "the newest (marked) message is gone"
    );
    assert!(
        left.iter().any(|m| m.contains("X-Mailer: foxmail 3.1")),
        "the unmarked one stays"
    );
}

#[test]
fn x_after_marks_and_q_n_delete_nothing() {
    let Some(d) = dovecot() else { return };
    let s = open(d, "tui_discard");
    s.tmux.keys(&["d", "d", "d"]);
    s.tmux.wait_for("3 marked for deletion", 5);
    s.tmux.keys(&["x"]);
    s.tmux.wait_for("EXITED:0", 10);
    assert_eq!(d.message_files("tui_discard").len(), 5);

    let s = open(d, "tui_discard");
    s.tmux.keys(&["d", "q"]);
    s.tmux.wait_for("Delete 1 message from the server?", 5);
    s.tmux.keys(&["n"]);
    s.tmux.wait_for("EXITED:0", 10);
    assert_eq!(d.message_files("tui_discard").len(), 5);
}

#[test]
fn a_killed_connection_deletes_nothing_and_the_marks_come_back() {
    let Some(d) = dovecot() else { return };
    let s = open(d, "tui_drop");
    let t = &s.tmux;
    t.keys(&["d", "d"]);
    t.wait_for("2 marked for deletion", 5);
    d.kick("tui_drop");
    // The reconnect can be quick enough to replace the notice before a look.
    let screen = t.wait_for_any(
        &[
            "connection lost; 2 deletions were not committed",
            "reconnected",
        ],
        10,
    );
    // The marks stand: the counts say so, or (a long notice is shown alone)
    // the notice itself.
    assert!(
        screen.contains("2 marked for d") || screen.contains("2 deletions were not committed"),
        "{screen}"
    );
    assert_eq!(
        d.message_files("tui_drop").len(),
        5,
        "a dropped session deletes nothing"
    );
    t.wait_for("reconnected", 15);
    // The marks were re-applied in the new session: confirming now deletes those two.
    t.keys(&["q"]);
    t.wait_for("Delete 2 messages from the server? (y/n/c)", 5);
    t.keys(&["y"]);
    t.wait_for("EXITED:0", 10);
    let left = contents(d, "tui_drop");
    assert_eq!(left.len(), 3);
    assert!(!left
        .iter()
        .any(|m| m.contains("Your weekly digest") || m.contains("foxmail 3.1")));
}

/// Five demo messages and the one with Chinese attachment names (newest).
fn six() -> Vec<Vec<u8>> {
    let mut m = five();
    m.push(postie::demo::to_crlf(postie::demo::FILES[6].1));
    m
}

/// The flag columns of the list row whose subject contains `subject`.
fn flags_of(screen: &str, subject: &str) -> String {
    let line = screen
        .lines()
        .find(|l| l.contains(subject))
        .unwrap_or_else(|| panic!("no row {subject:?}:\n{screen}"));
    // The sidebar (16 cells) comes first at 100 columns.
    line.chars().skip(16).take(5).collect()
}

/// The store in the real reader: what was read stays read after a restart,
/// `m` and `F` stick, `s` saves with the Chinese name, and with the server
/// stopped the header says `offline` and a stored message still opens.
#[test]
fn read_state_flags_saving_and_offline_reading_in_the_real_reader() {
    let Some(d) = common::dovecot::own(vec![User::new("tui_store", six())], "") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let ca = home.path().join("ca.pem");
    std::fs::copy(&d.ca_file, &ca).unwrap();
    let cfg = home.path().join("config.toml");
    let acct = Account {
        port: d.plain_port,
        tls: "starttls",
        user: "tui_store",
        auth: "auto",
        ca_file: Some(&ca),
        pipelining: true,
    };
    std::fs::write(&cfg, acct.toml()).unwrap();
    let start = || {
        let t = Tmux::start(
            &postie_command(&cfg, &d.password("tui_store"), home.path()),
            100,
            30,
        );
        t
    };
    let t = start();
    let screen = t.wait_for("6 messages", 20);
    assert_eq!(flags_of(&screen, "报告附件"), "N   @", "{screen}");
    // Read the newest (the one with attachments) and save them all.
    t.keys(&["Enter"]);
    t.wait_for("Attachments:", 10);
    t.keys(&["s"]);
    let prompt = t.wait_for("Save attachments to: ", 5);
    assert!(
        prompt.contains(&format!("{}/Downloads", home.path().display())),
        "{prompt}"
    );
    t.keys(&["Enter"]);
    t.wait_for("saved 2 files", 10);
    let pdf = home.path().join("Downloads").join("销售报告.pdf");
    let csv = home.path().join("Downloads").join("数据汇总.csv");
    assert!(
        pdf.is_file() && csv.is_file(),
        "saved under their Chinese names"
    );
    let expected = postie::mime::attachment_parts(&six()[5], &Default::default());
    assert_eq!(
        std::fs::read(&pdf).unwrap(),
        expected[0].bytes,
        "exact bytes"
    );
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        expected[1].bytes,
        "exact bytes"
    );
    // Back in the list: mark the next one read with m, flag the third with F.
    t.keys(&["q", "j", "m", "j", "F"]);
    let screen = t.wait_for("!", 5);
    assert_eq!(flags_of(&screen, "Your weekly digest"), "     ", "{screen}");
    assert_eq!(flags_of(&screen, "邮件示例"), "N !  ", "{screen}");
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
    drop(t);

    let t = start();
    let screen = t.wait_for("6 messages", 20);
    assert_eq!(
        flags_of(&screen, "报告附件"),
        "    @",
        "read stays read:\n{screen}"
    );
    assert_eq!(
        flags_of(&screen, "Your weekly digest"),
        "     ",
        "m stays:\n{screen}"
    );
    assert_eq!(flags_of(&screen, "邮件示例"), "N !  ", "F stays:\n{screen}");
    assert_eq!(flags_of(&screen, "Welcome to postie"), "N    ");
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
    drop(t);

    // The server goes away; the store does not.
    d.stop();
    let t = start();
    let screen = t.wait_for("offline", 20);
    let header = screen.lines().next().unwrap_or("");
    assert!(header.trim_end().ends_with("│ offline"), "{screen}");
    assert!(screen.contains("cannot connect to 127.0.0.1:"), "{screen}");
    assert_eq!(
        flags_of(&screen, "邮件示例"),
        "N !  ",
        "the store's view:\n{screen}"
    );
    t.keys(&["Enter"]);
    let screen = t.wait_for("报告和数据见附件。", 10);
    assert!(screen.contains("1. 销售报告.pdf"), "{screen}");
    t.keys(&["q", "x"]);
    t.wait_for("EXITED:0", 10);
}

/// Committing a deletion moves the local copy to Trash; `u` there restores it
/// to INBOX (kept only here now: `L`); `d` in Trash asks, then removes for good.
#[test]
fn a_committed_deletion_keeps_the_local_copy_in_trash() {
    let Some(d) = dovecot() else { return };
    let Session {
        tmux,
        _home: home_dir,
    } = open(d, "tui_trash");
    let t = &tmux;
    // Read the newest (so it is stored), then mark it and commit.
    t.keys(&["Enter"]);
    t.wait_for("Subject: Your weekly digest", 10);
    t.keys(&["d"]);
    t.wait_for("5 messages, 1 marked for deletion", 5);
    t.keys(&["q"]);
    t.wait_for("Delete 1 message from the server? (y/n/c)", 5);
    t.keys(&["y"]);
    t.wait_for("EXITED:0", 10);
    assert_eq!(d.message_files("tui_trash").len(), 4);
    let home = home_dir.path().to_path_buf();
    drop(tmux);
    let cfg = home.join("config.toml");
    let t = Tmux::start(
        &postie_command(&cfg, &d.password("tui_trash"), &home),
        100,
        30,
    );
    let screen = t.wait_for("4 messages", 20);
    assert!(!screen.contains("Your weekly digest"), "{screen}");
    assert!(
        screen.contains("Trash (") || screen.contains("  Trash"),
        "{screen}"
    );
    t.keys(&["Tab", "Tab", "Tab"]);
    let screen = t.wait_for("│ Trash │", 5);
    assert!(screen.contains("Your weekly digest"), "in Trash:\n{screen}");
    t.keys(&["Enter"]);
    t.wait_for("Subject: Your weekly digest", 10);
    t.keys(&["q", "u"]);
    t.wait_for("restored to INBOX", 5);
    // Past Junk, round to INBOX.
    t.keys(&["Tab", "Tab"]);
    let screen = t.wait_for("│ INBOX │", 5);
    let row = screen
        .lines()
        .find(|l| l.contains("Your weekly digest"))
        .unwrap_or_else(|| panic!("restored:\n{screen}"));
    assert!(
        row.chars()
            .skip(16)
            .take(5)
            .collect::<String>()
            .starts_with(" L"),
        "{row}"
    );
    // Back to Trash with it, from INBOX (a local-only message goes at once), then for good.
    let n = screen
        .lines()
        .skip(2)
        .position(|l| l.contains("Your weekly digest"))
        .unwrap();
    for _ in 0..n {
        t.keys(&["j"]);
    }
    t.keys(&["d"]);
    t.wait_for("moved to Trash", 5);
    // Backwards past Junk to Trash.
    t.keys(&["BTab", "BTab"]);
    t.wait_for("│ Trash │", 5);
    t.keys(&["d"]);
    t.wait_for("Delete this message for good? (y/n)", 5);
    t.keys(&["y"]);
    let screen = t.wait_for("deleted for good", 5);
    assert!(screen.contains("Trash is empty."), "{screen}");
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
    let trash = home.join("data/postie/test/Trash");
    for sub in ["cur", "new"] {
        assert_eq!(std::fs::read_dir(trash.join(sub)).unwrap().count(), 0);
    }
}

/// `download = "all"`: the reader stores every message in the background
/// (`downloading K/N` meanwhile), a message opened mid-way shows at once, and
/// after a restart with the server stopped every message opens from the store.
#[test]
fn download_all_stores_everything_in_the_background() {
    const N: usize = 2000;
    let Some(d) = common::dovecot::own(vec![User::new("tui_bg", common::generated_mailbox(N))], "")
    else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let ca = home.path().join("ca.pem");
    std::fs::copy(&d.ca_file, &ca).unwrap();
    let cfg = home.path().join("config.toml");
    let mut text = Account {
        port: d.plain_port,
        tls: "starttls",
        user: "tui_bg",
        auth: "auto",
        ca_file: Some(&ca),
        pipelining: true,
    }
    .toml();
    text.push_str("download = \"all\"\n");
    std::fs::write(&cfg, text).unwrap();
    let start = || {
        Tmux::start(
            &postie_command(&cfg, &d.password("tui_bg"), home.path()),
            100,
            30,
        )
    };
    let inbox = home.path().join("data/postie/test/INBOX");
    let stored = || postie::store::maildir::scan(&inbox).map_or(0, |f| f.len());
    // Quit as soon as the download is under way: nothing is lost.
    let t = start();
    t.wait_for("downloading", 30);
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
    drop(t);
    let first = stored();
    eprintln!("stored before quitting: {first} of {N}");
    assert!(first <= N);
    // The next start resumes; a message opened meanwhile shows at once.
    let t = start();
    t.wait_for(&format!("{N} messages"), 20);
    t.keys(&["j", "j", "Enter"]);
    t.wait_for("Subject: ", 10);
    t.keys(&["q"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while stored() < N {
        assert!(
            std::time::Instant::now() < deadline,
            "not all stored:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The last files are on disk a moment before the worker's word of it
    // reaches the status line (the index, then the event): allow that.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let screen = t.wait_for(&format!("{N} messages"), 10);
        if !screen.contains("downloading") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{screen}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
    drop(t);
    assert_eq!(stored(), N, "each message stored once");
    d.stop();
    let t = start();
    t.wait_for("offline", 20);
    t.keys(&["G", "Enter"]);
    let screen = t.wait_for("Subject: ", 10);
    assert!(!screen.contains("cannot"), "{screen}");
    t.keys(&["q", "x"]);
    t.wait_for("EXITED:0", 10);
}
