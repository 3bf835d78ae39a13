//! The user's folders in the real reader (tmux, a private Dovecot): create
//! 客户 with `b`, tag three rows with `T` and move them there with `M`
//! (Tab completes), find them after a restart with their read state; `*`
//! after a limit then `m` marks exactly the limited rows; rename and delete
//! a folder (its mail lands in Trash); `J` to Junk and back with junk
//! commands that record their calls.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::tmux::{postie_command, Tmux};
use common::{dovecot, message, Account, User};

fn mail() -> Vec<Vec<u8>> {
    let senders = [
        ("Alice <alice@example.com>", "Lunch on Friday"),
        ("京东 <shop@jd.com>", "Your order has shipped"),
        ("Bob <bob@example.com>", "Minutes of the review"),
        ("京东 <deals@jd.com>", "Deals for you"),
        ("Carol <carol@example.com>", "Budget draft"),
        ("Dave <dave@example.com>", "Holiday plans"),
    ];
    senders
        .iter()
        .enumerate()
        .map(|(i, (from, subject))| {
            message(
                from,
                subject,
                &format!("Mon, {} Dec 2024 10:05:00 +0800", i + 1),
                "",
                "text\n",
            )
        })
        .collect()
}

fn start(cfg: &Path, pw: &str, home: &Path) -> Tmux {
    let t = Tmux::start(&postie_command(cfg, pw, home), 110, 30);
    t.wait_for("6 messages", 20);
    t
}

/// Files of a Maildir folder (cur and new).
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            out.extend(rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()));
        }
    }
    out
}

/// The row of the list showing `subject`.
fn row<'a>(screen: &'a str, subject: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(subject))
        .unwrap_or_else(|| panic!("no row {subject:?}:\n{screen}"))
}

#[test]
fn folders_tags_moves_renames_deletes_and_junk_in_the_reader() {
    let users = vec![User::new("org", mail())];
    let Some(d) = dovecot::own(users, "") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let cfg = h.join("config.toml");
    let mut toml = Account {
        port: d.plain_port,
        tls: "starttls",
        user: "org",
        auth: "auto",
        ca_file: Some(&d.ca_file),
        pipelining: true,
    }
    .toml();
    toml.push_str(&format!(
        "junk = {{ learn_spam = \"cat > /dev/null; echo spam >> {0}/calls\", learn_ham = \"cat > /dev/null; echo ham >> {0}/calls\" }}\n",
        h.display()
    ));
    std::fs::write(&cfg, toml).unwrap();
    let pw = d.password("org");
    let root = h.join("data/postie/test");

    let t = start(&cfg, &pw, h);
    // b: a new name asks, then creates and shows the folder.
    t.keys(&["b"]);
    t.wait_for("Folder (Tab completes", 5);
    t.keys(&["-l", "客户"]);
    t.keys(&["Enter"]);
    t.wait_for("Create it? (y/n)", 5);
    t.keys(&["y"]);
    t.wait_for("客户 is empty.", 5);
    assert!(root.join("INBOX/.客户/cur").is_dir());
    // Back round to INBOX; open the newest (read, stored), then tag three.
    t.keys(&["Tab"]);
    t.wait_for("│ INBOX │", 5);
    t.keys(&["Enter"]);
    t.wait_for("Subject: Holiday plans", 10);
    t.keys(&["q"]);
    t.wait_for("6 messages", 5);
    t.keys(&["T", "T", "T"]);
    t.wait_for("3 tagged", 5);
    t.keys(&["M"]);
    t.wait_for("Move 3 messages to:", 5);
    t.keys(&["-l", "客"]);
    t.keys(&["Tab"]);
    t.wait_for("Move 3 messages to: 客户", 5);
    t.keys(&["Enter"]);
    let screen = t.wait_for("3 messages moved to 客户", 15);
    assert!(!screen.contains("Holiday plans"), "{screen}");
    assert_eq!(files(&root.join("INBOX/.客户")).len(), 3);
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
    drop(t);

    // After a restart: there, and the one read is still read.
    let t = Tmux::start(&postie_command(&cfg, &pw, h), 110, 30);
    t.wait_for("3 messages", 20);
    t.keys(&["b"]);
    t.keys(&["-l", "客户"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("│ 客户 │", 5);
    for s in ["Holiday plans", "Budget draft", "Deals for you"] {
        assert!(screen.contains(s), "{s} not in 客户:\n{screen}");
    }
    assert!(!row(&screen, "Holiday plans").contains(" N "), "{screen}");
    assert!(row(&screen, "Budget draft").contains(" N "), "{screen}");
    // The other 京东 message stays in INBOX: a limit, *, then m.
    t.keys(&["Tab"]);
    t.wait_for("│ INBOX │", 5);
    t.keys(&["l"]);
    t.keys(&["-l", "from:jd.com | subject:Lunch"]);
    t.keys(&["Enter"]);
    t.wait_for("2 of 3", 5);
    t.keys(&["*"]);
    t.wait_for("2 tagged", 5);
    t.keys(&["m", "l", "C-u", "Enter"]);
    let screen = t.wait_for("3 messages", 5);
    assert!(
        !row(&screen, "Your order has shipped").contains(" N "),
        "{screen}"
    );
    assert!(!row(&screen, "Lunch on Friday").contains(" N "), "{screen}");
    assert!(
        row(&screen, "Minutes of the review").contains(" N "),
        "{screen}"
    );

    // Tags stay until Esc (as in mutt).
    t.keys(&["Escape"]);
    t.wait_for("tags cleared", 5);
    // J: to Junk (learn_spam runs), and from Junk back (learn_ham runs).
    t.keys(&["g", "J"]);
    t.wait_for("1 message moved to Junk", 15);
    t.keys(&["b"]);
    t.keys(&["-l", "Junk"]);
    t.keys(&["Enter"]);
    t.wait_for("│ Junk │", 5);
    t.keys(&["J"]);
    t.wait_for("1 message moved to INBOX", 10);
    let calls = std::fs::read_to_string(h.join("calls")).unwrap_or_default();
    assert_eq!(calls, "spam\nham\n");

    // Rename 客户 with b, Ctrl-R; then delete it with b, Ctrl-D: its mail to Trash.
    t.keys(&["b"]);
    t.keys(&["-l", "客户"]);
    t.keys(&["Enter"]);
    t.wait_for("│ 客户 │", 5);
    t.keys(&["b"]);
    t.wait_for("Ctrl-R renames 客户", 5);
    t.keys(&["C-r"]);
    t.wait_for("Rename 客户 to:", 5);
    t.keys(&["C-u"]);
    t.keys(&["-l", "重要客户"]);
    t.keys(&["Enter"]);
    t.wait_for("│ 重要客户 │", 10);
    assert!(root.join("INBOX/.重要客户/cur").is_dir());
    assert!(!root.join("INBOX/.客户").exists());
    t.keys(&["b", "C-d"]);
    t.wait_for("Its 3 messages go to Trash", 5);
    t.keys(&["y"]);
    t.wait_for("│ INBOX │", 10);
    assert!(!root.join("INBOX/.重要客户").exists());
    assert_eq!(files(&root.join("Trash")).len(), 3);
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
    // Nothing was deleted from the server.
    assert_eq!(d.message_files("org").len(), 6);
}
