//! Full-text search, sorting and limits against the test Dovecot: `postie
//! search` finds a Chinese phrase whose only occurrence is inside a base64
//! GBK body, takes FTS5 syntax literally, and the reader's o, O and l work
//! on the real binary in tmux.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use common::tmux::Tmux;
use common::{Dovecot, User};

fn gbk_body(from: &str, subject: &str, date: &str, text: &str) -> Vec<u8> {
    use base64::Engine as _;
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&gbk);
    common::message(
        from,
        subject,
        date,
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n",
        &b64,
    )
}

fn mailbox() -> Vec<Vec<u8>> {
    vec![
        gbk_body(
            "Wang <wang@example.cn>",
            "weekly",
            "Mon, 01 Jan 2024 09:00:00 +0800",
            "附件是第二季度报告，请在周五前查收。",
        ),
        common::message(
            "Zhao <zhao@example.cn>",
            "lunch",
            "Wed, 03 Jan 2024 12:00:00 +0800",
            "",
            "see you at noon",
        ),
        common::message(
            "An <an@example.cn>",
            "budget",
            "Tue, 02 Jan 2024 10:00:00 +0800",
            "",
            "numbers attached",
        ),
    ]
}

fn dovecot() -> Option<&'static Dovecot> {
    common::dovecot::shared(|| {
        vec![
            User::new("finder", mailbox()),
            User::new("sorter", mailbox()),
            User::new("many", common::generated_mailbox(250)),
        ]
    })
}

fn config(d: &Dovecot, user: &str) -> String {
    common::Account {
        port: d.plain_port,
        tls: "starttls",
        user,
        auth: "auto",
        ca_file: Some(&d.ca_file),
        pipelining: true,
    }
    .toml()
}

#[test]
fn search_finds_a_phrase_only_in_a_base64_gbk_body_and_takes_syntax_literally() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let cfg = config(d, "finder");
    let pw = d.password("finder");
    let run = common::postie_in(home.path(), &cfg, Some(&pw), &["fetch"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // No password, no network: the store alone answers.
    let run = common::postie_in(home.path(), &cfg, None, &["search", "季度报告", "--json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout_text()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["subject"], "weekly");
    assert_eq!(rows[0]["stored"], true);
    // Text output is list's.
    let run = common::postie_in(home.path(), &cfg, None, &["search", "季度报告"]);
    let out = run.stdout_text();
    assert!(out.contains("Wang") && out.contains("weekly"), "{out}");
    assert_eq!(out.lines().count(), 1);
    // FTS5 syntax is never an error.
    for q in [
        "\"季度",
        "NEAR(季度 报告)",
        "-报告*",
        "季度 OR lunch",
        "a\"\"\"b",
        "季度*",
    ] {
        let run = common::postie_in(home.path(), &cfg, None, &["search", q]);
        assert!(
            run.status == 0 || run.stderr.trim_end() == format!("postie: no message matches {q}"),
            "{q}: {}",
            run.stderr
        );
    }
    // Two characters find the body too (most Chinese words are two).
    let run = common::postie_in(home.path(), &cfg, None, &["search", "季度", "--json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout_text()).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows:?}");
    // Nothing found: said on stderr, exit 1, like grep (`[]` for --json).
    let run = common::postie_in(home.path(), &cfg, None, &["search", "预算"]);
    assert_eq!(
        (run.status, run.stdout_text(), run.stderr.trim_end()),
        (1, String::new(), "postie: no message matches 预算")
    );
    let run = common::postie_in(home.path(), &cfg, None, &["search", "预算", "--json"]);
    assert_eq!((run.status, run.stdout_text().trim()), (1, "[]"));
    // A short word scans subjects and senders.
    let run = common::postie_in(home.path(), &cfg, None, &["search", "lu"]);
    assert!(run.stdout_text().contains("lunch"), "{}", run.stdout_text());
    let run = common::postie_in(home.path(), &cfg, None, &["search", ""]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("nothing to search for"),
        "{}",
        run.stderr
    );
}

/// Mail fetched without the reader open waits to be indexed; a search
/// indexes it first and says so when there is much of it, once.
#[test]
fn the_first_search_over_much_unindexed_mail_says_it_indexes_first() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let cfg = config(d, "many");
    let pw = d.password("many");
    let run = common::postie_in(home.path(), &cfg, Some(&pw), &["fetch"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = common::postie_in(home.path(), &cfg, None, &["search", "第12号", "--json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("indexing 250 stored messages for search first"),
        "{}",
        run.stderr
    );
    // Not a terminal: no running count.
    assert!(!run.stderr.contains("indexed "), "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout_text()).unwrap();
    assert!(!rows.as_array().unwrap().is_empty(), "{rows:?}");
    // Done once: the next search says nothing.
    let run = common::postie_in(home.path(), &cfg, None, &["search", "quick", "--json"]);
    assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn sort_and_limit_in_the_reader() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    std::fs::write(&cfg, config(d, "sorter")).unwrap();
    let t = Tmux::start(
        &common::tmux::postie_command(&cfg, &d.password("sorter"), home.path()),
        100,
        24,
    );
    t.wait_for("3 messages", 20);
    let order = |screen: &str| -> Vec<&'static str> {
        let mut seen: Vec<(usize, &'static str)> = ["weekly", "lunch", "budget"]
            .iter()
            .filter_map(|s| screen.find(s).map(|i| (i, *s)))
            .collect();
        seen.sort();
        seen.into_iter().map(|(_, s)| s).collect()
    };
    // By date, the default: the newest written (lunch) on top.
    assert_eq!(order(&t.screen()), ["lunch", "budget", "weekly"]);
    t.keys(&["o"]);
    // Arrival: the newest delivered (budget) on top.
    let screen = t.wait_for("sorted by arrival", 5);
    assert_eq!(order(&screen), ["budget", "lunch", "weekly"]);
    t.keys(&["o"]);
    let screen = t.wait_for("sorted by sender", 5);
    assert_eq!(order(&screen), ["budget", "weekly", "lunch"]);
    t.keys(&["o", "o", "o"]);
    let screen = t.wait_for("sorted by date", 5);
    assert_eq!(order(&screen), ["lunch", "budget", "weekly"]);
    t.keys(&["O"]);
    let screen = t.wait_for("sorted by date, reversed", 5);
    assert_eq!(order(&screen), ["weekly", "budget", "lunch"]);
    t.keys(&["l"]);
    t.wait_for("Limit to:", 5);
    t.keys(&["-l", "from:zhao"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("limit: from:zhao (1 of 3)", 5);
    assert_eq!(order(&screen), ["lunch"]);
    // body: asks the full-text index; opening a message stores it first.
    t.keys(&["l", "C-u"]);
    t.keys(&["-l", "frm:x"]);
    t.keys(&["Enter"]);
    t.wait_for("limit: frm: is not a pattern postie knows", 5);
    t.keys(&["l", "C-u", "Enter"]);
    let screen = t.wait_for("3 messages", 5);
    assert_eq!(
        order(&screen),
        ["weekly", "budget", "lunch"],
        "the sort stays"
    );
    t.keys(&["q"]);
    t.wait_for("EXITED:0", 10);
    // body: in a limit uses the index: after a fetch, the reader finds the phrase.
    let text = std::fs::read_to_string(&cfg).unwrap();
    let run = common::postie_in(home.path(), &text, Some(&d.password("sorter")), &["fetch"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let t = Tmux::start(
        &common::tmux::postie_command(&cfg, &d.password("sorter"), home.path()),
        100,
        24,
    );
    t.wait_for("3 messages", 20);
    t.keys(&["l"]);
    t.keys(&["-l", "body:季度报告"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("limit: body:季度报告 (1 of 3)", 10);
    assert_eq!(order(&screen), ["weekly"]);
    // Two characters find the body too.
    t.keys(&["l", "C-u"]);
    t.keys(&["-l", "body:季度"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("limit: body:季度 (1 of 3)", 10);
    assert_eq!(order(&screen), ["weekly"]);
    t.keys(&["q"]);
    t.wait_for("EXITED:0", 10);
}

#[test]
fn threads_in_the_demo_drawn_folded_and_unfolded() {
    let home = tempfile::tempdir().unwrap();
    let line = format!(
        "env -u POSTIE_CONFIG HOME='{h}' XDG_CONFIG_HOME='{h}/cfg' XDG_STATE_HOME='{h}/state' XDG_DATA_HOME='{h}/data' TERM=xterm-256color '{bin}' --demo",
        h = home.path().display(),
        bin = env!("CARGO_BIN_EXE_postie")
    );
    let t = Tmux::start(&line, 100, 30);
    t.wait_for("16 messages", 20);
    t.keys(&["t"]);
    let screen = t.wait_for("└─>", 10);
    // The message with an unreadable date stays where it arrived: on top.
    let first = screen.lines().nth(2).unwrap_or("");
    assert!(first.contains("old-client"), "{screen}");
    // The demo's thread: 项目进度 and its three replies, one under the other.
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("项目进度")).collect();
    assert_eq!(rows.len(), 4, "{screen}");
    assert!(
        !rows[0].contains("─>") && rows[1..].iter().all(|r| r.contains("─>")),
        "{screen}"
    );
    // Fold it from its root: one row says what it holds.
    let root_at = screen.lines().position(|l| l.contains("项目进度")).unwrap();
    let selected_at = screen
        .lines()
        .position(|l| l.contains("old-client"))
        .unwrap();
    let down = root_at as isize - selected_at as isize;
    for _ in 0..down.max(0) {
        t.keys(&["j"]);
    }
    t.keys(&["z"]);
    let screen = t.wait_for("(4 messages, 4 unread)", 10);
    assert_eq!(
        screen.lines().filter(|l| l.contains("项目进度")).count(),
        1,
        "{screen}"
    );
    t.keys(&["z"]);
    t.wait_for("└─>", 10);
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
}

#[test]
fn y_copies_a_link_with_osc_52_and_pipe_sends_the_raw_message() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("piped.eml");
    let line = format!(
        "env -u POSTIE_CONFIG HOME='{h}' XDG_CONFIG_HOME='{h}/cfg' XDG_STATE_HOME='{h}/state' XDG_DATA_HOME='{h}/data' TERM=xterm-256color '{bin}' --demo",
        h = home.path().display(),
        bin = env!("CARGO_BIN_EXE_postie")
    );
    let t = Tmux::start(&line, 100, 30);
    // tmux keeps what OSC 52 sets as a paste buffer.
    t.tmux_command(&["set", "-g", "set-clipboard", "on"]);
    t.wait_for("16 messages", 20);
    t.keys(&["/"]);
    t.keys(&["-l", "weekly"]);
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Subject: Your weekly digest", 10);
    t.keys(&["y"]);
    let screen = t.wait_for("Links and addresses", 5);
    assert!(screen.contains("https://example.org/chinese"), "{screen}");
    // Down to that link, then copy it.
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains(". ")).collect();
    let at = rows
        .iter()
        .position(|l| l.contains("https://example.org/chinese"))
        .unwrap_or(0);
    for _ in 0..at {
        t.keys(&["j"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("sent to your clipboard with OSC 52", 5);
    let start = std::time::Instant::now();
    while !t
        .tmux_command(&["show-buffer"])
        .contains("https://example.org/chinese")
    {
        assert!(
            start.elapsed().as_secs() < 5,
            "clipboard: {:?}",
            t.tmux_command(&["show-buffer"])
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // | sends the raw message (stored when it was opened) to a command.
    t.keys(&["|"]);
    t.wait_for("Pipe the message to:", 5);
    t.keys(&["-l", &format!("cat > '{}'", out.display())]);
    t.keys(&["Enter"]);
    t.wait_for("press any key to go back", 10);
    t.keys(&["q"]);
    t.wait_for("finished", 10);
    let piped = std::fs::read_to_string(&out).unwrap();
    assert!(piped.contains("Subject: Your weekly digest"), "{piped}");
    assert!(
        piped.contains("Content-Type: text/html"),
        "raw bytes, not the rendering"
    );
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
}
