//! End to end: the real binary in tmux against the test Dovecot. Read a GB2312
//! message, mark two, unmark one, quit and confirm: the server then holds
//! exactly one message fewer, the right one. `x` after marks deletes nothing;
//! a connection killed mid-session deletes nothing, the screen says so, and the
//! marks come back in the new session.

mod common;

use common::tmux::{postie_command, Tmux};
use common::{Account, Dovecot, User};

/// The first five demo messages: welcome, GB2312 QP, GBK base64, Foxmail, HTML.
fn five() -> Vec<Vec<u8>> {
    postie::demo::FILES
        .iter()
        .take(5)
        .map(|(_, b)| postie::demo::to_crlf(b))
        .collect()
}

fn users() -> Vec<User> {
    vec![
        User::new("tui_commit", five()),
        User::new("tui_discard", five()),
        User::new("tui_drop", five()),
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
    let screen = t.wait_for("connection lost; 2 deletions were not committed", 10);
    assert!(screen.contains("2 marked for deletion"), "{screen}");
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
