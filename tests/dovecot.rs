//! postie against a real Dovecot: listing, raw fetches, every login method on
//! every kind of link, deletion semantics, and the errors a user sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{big_message, generated_mailbox, postie, postie_in, Account, Dovecot, User};
use postie::pop3::{
    AuthMethod, AuthPreference, Client, ClientConfig, Endpoint, Pop3Error, Timeouts, TlsMode,
};
use postie::secret::Secret;

const BIG_INDEX: usize = 1000;

fn users() -> Vec<User> {
    let mut big = generated_mailbox(2000);
    big.insert(BIG_INDEX, big_message(10 * 1024 * 1024));
    let small = || generated_mailbox(5);
    vec![
        User::new("big", big),
        User::new("small", small()),
        User::new("del_quit", small()),
        User::new("del_rset", small()),
        User::new("del_drop", small()),
        User::new("del_kick", small()),
        User::new("del_cli", small()),
        User::new("worker_undo", small()),
        User::new("del_copy", small()),
        User::new("cached", generated_mailbox(300)),
        User::new("worker_cache", generated_mailbox(50)),
        User::new("first_visit", generated_mailbox(150)),
        User::new(
            "corpus",
            corpus_files().into_iter().map(|(_, bytes)| bytes).collect(),
        ),
    ]
}

/// The decoding corpus, in file-name order (which is its order on the server).
fn corpus_files() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn dovecot() -> Option<&'static Dovecot> {
    common::dovecot::shared(users)
}

fn account<'a>(d: &'a Dovecot, user: &'a str, tls: &'a str, auth: &'a str) -> Account<'a> {
    let port = if tls == "implicit" {
        d.pop3s_port
    } else {
        d.plain_port
    };
    Account {
        port,
        tls,
        user,
        auth,
        ca_file: Some(&d.ca_file),
        pipelining: true,
    }
}

fn client_config(d: &Dovecot, user: &str, tls: TlsMode, auth: AuthPreference) -> ClientConfig {
    ClientConfig {
        token: None,
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port: if tls == TlsMode::Implicit {
                d.pop3s_port
            } else {
                d.plain_port
            },
            tls,
            ca_file: Some(d.ca_file.clone()),
            timeouts: Timeouts {
                connect: Duration::from_secs(10),
                command: Duration::from_secs(20),
                read: Duration::from_secs(20),
            },
        },
        user: user.into(),
        password: Secret::new(d.password(user)),
        auth,
        allow_insecure_auth: false,
        pipelining: true,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string()
}

#[test]
fn list_json_is_exactly_the_servers_mailbox_with_and_without_pipelining() {
    let Some(d) = dovecot() else { return };
    let mut outputs = Vec::new();
    for pipelining in [true, false] {
        let acct = Account {
            pipelining,
            ..account(d, "big", "none", "user")
        };
        let run = postie(&acct.toml(), Some(&d.password("big")), &["list", "--json"]);
        assert_eq!(run.status, 0, "stderr: {}", run.stderr);
        outputs.push(run.stdout);
    }
    assert_eq!(
        outputs[0], outputs[1],
        "pipelined and lock-step listings differ"
    );
    // With a store: the first run asks every header in the login's
    // pipeline and records them while they arrive; the second knows them
    // all and asks none. Both print the same rows.
    let acct = account(d, "big", "none", "user");
    let home = tempfile::tempdir().unwrap();
    for run in ["first", "second"] {
        let r = postie_in(
            home.path(),
            &acct.toml(),
            Some(&d.password("big")),
            &["list", "--json"],
        );
        assert_eq!(r.status, 0, "{run} run, stderr: {}", r.stderr);
        assert_eq!(r.stdout, outputs[0], "{run} run with a store differs");
    }
    // A reader that stops early (`| head`): the rest is not written, and
    // that is no error (the listing is far larger than a pipe's buffer).
    let cfg = home.path().join("config.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .env("POSTIE_CONFIG", &cfg)
        .env("POSTIE_PASSWORD", d.password("big"))
        .env("XDG_CACHE_HOME", home.path().join("cache2"))
        .env("XDG_STATE_HOME", home.path().join("state2"))
        .env("XDG_DATA_HOME", home.path().join("data2"))
        .args(["list", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut head).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(outputs[0].len() > 256 * 1024, "the listing fits a pipe");
    assert_eq!(head[..], outputs[0][..100]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let rows: Vec<serde_json::Value> = serde_json::from_slice(&outputs[0]).expect("valid JSON");
    let files = d.message_contents("big");
    assert_eq!(rows.len(), 2001);
    assert_eq!(rows.len(), files.len());
    // Newest first: the highest number on top, and numbers count down by one.
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["number"].as_u64(), Some((files.len() - i) as u64));
    }
    let uidls = d.expected_uidls("big");
    assert_eq!(
        uidls.len(),
        files.len(),
        "dovecot-uidlist covers every message"
    );
    for row in &rows {
        let n = row["number"].as_u64().unwrap() as usize;
        let (file, bytes) = &files[n - 1];
        let size = bytes.len() as u64;
        assert_eq!(row["size"].as_u64(), Some(size), "size of message {n}");
        let base = file_name(file).split(',').next().unwrap().to_string();
        let expected = uidls
            .iter()
            .find(|(b, _)| *b == base)
            .map(|(_, u)| u.clone());
        assert_eq!(
            row["uidl"].as_str().map(str::to_string),
            expected,
            "UIDL of message {n}"
        );
        for key in ["date", "from", "from_address", "subject"] {
            assert!(row.get(key).is_some(), "key {key} missing");
        }
    }
    // Headers decoded: message 1 is a GBK encoded-word subject.
    let first = rows.last().unwrap();
    assert_eq!(first["subject"], "季度报告 第0号");
    assert_eq!(first["from"], "张伟");
    assert_eq!(first["from_address"], "user0@example.cn");
    assert_eq!(first["date"], "2024-01-01T00:00:00+08:00");
    let big = &rows[rows.len() - 1 - BIG_INDEX];
    assert_eq!(big["subject"], "Ten megabytes");
}

#[test]
fn list_text_output_is_aligned_by_display_width() {
    let Some(d) = dovecot() else { return };
    let run = postie(
        &account(d, "small", "none", "user").toml(),
        Some(&d.password("small")),
        &["list"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = run.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("5  "), "{text}");
    // The size column ends at the same display column on every line, Chinese or not.
    let widths: Vec<usize> = lines.iter().map(|l| postie::text::width(l)).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{text}");
    assert!(
        lines[4].contains("季度报告 第0号") && lines[4].contains("张伟"),
        "{text}"
    );
}

#[test]
fn show_raw_is_byte_identical_to_the_file_on_the_server() {
    let Some(d) = dovecot() else { return };
    // Read the files first: RETR makes Dovecot rename them (it adds the Seen flag).
    let files: Vec<Vec<u8>> = d
        .message_contents("big")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    let cfg = account(d, "big", "implicit", "plain").toml();
    // 1: Chinese; 2: has dot lines; BIG_INDEX+1: the 10 MB message; last.
    for n in [1, 2, 4, BIG_INDEX + 1, files.len()] {
        let run = postie(
            &cfg,
            Some(&d.password("big")),
            &["show", &n.to_string(), "--raw"],
        );
        assert_eq!(run.status, 0, "show {n}: {}", run.stderr);
        let expected = &files[n - 1];
        assert!(
            run.stdout == *expected,
            "message {n}: {} bytes vs {} on disk",
            run.stdout.len(),
            expected.len()
        );
    }
    assert!(files[BIG_INDEX].len() >= 10 * 1024 * 1024);
    assert!(
        files[1].windows(3).any(|w| w == b"\n.t"),
        "fixture has dot lines"
    );
}

#[test]
fn show_by_number_and_uidl_decodes_the_message() {
    let Some(d) = dovecot() else { return };
    let cfg = account(d, "small", "starttls", "apop").toml();
    let pw = d.password("small");
    let run = postie(&cfg, Some(&pw), &["show", "1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = run.stdout_text();
    assert!(
        text.starts_with("From: 张伟 <user0@example.cn>\nTo: test@example.com\nDate: "),
        "{text}"
    );
    assert!(text.contains("\nSubject: 季度报告 第0号\n\n"), "{text}");
    assert!(
        text.contains("line 0 of message 0: the quick brown fox"),
        "{text}"
    );

    let list = postie(&cfg, Some(&pw), &["list", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    let uidl = rows[rows.len() - 1]["uidl"].as_str().unwrap().to_string();
    let by_uidl = postie(&cfg, Some(&pw), &["show", "--uidl", &uidl]);
    assert_eq!(by_uidl.stdout, run.stdout);

    let missing = postie(&cfg, Some(&pw), &["show", "9"]);
    assert_ne!(missing.status, 0);
    assert_eq!(missing.stderr, "postie: no message 9 (mailbox has 5)\n");
}

#[test]
fn every_login_method_over_every_link() {
    let Some(d) = dovecot() else { return };
    let pw = d.password("small");
    for tls in ["none", "starttls", "implicit"] {
        for auth in ["user", "apop", "plain", "auto"] {
            let run = postie(
                &account(d, "small", tls, auth).toml(),
                Some(&pw),
                &["list", "--json"],
            );
            assert_eq!(run.status, 0, "tls={tls} auth={auth}: {}", run.stderr);
            let rows: Vec<serde_json::Value> = serde_json::from_slice(&run.stdout).unwrap();
            assert_eq!(rows.len(), 5, "tls={tls} auth={auth}");
        }
    }
    // Dovecot's own log names the mechanisms it saw.
    let log = d.log();
    for mech in ["method=PLAIN", "method=APOP"] {
        assert!(log.contains(mech), "dovecot log lacks {mech}");
    }
    // The library reports what it chose: auto prefers AUTH PLAIN over TLS and on loopback.
    let rt = runtime();
    for (tls, auth, want, want_tls) in [
        (
            TlsMode::Implicit,
            AuthPreference::Auto,
            AuthMethod::SaslPlain,
            true,
        ),
        (
            TlsMode::StartTls,
            AuthPreference::Apop,
            AuthMethod::Apop,
            true,
        ),
        (
            TlsMode::None,
            AuthPreference::User,
            AuthMethod::UserPass,
            false,
        ),
    ] {
        let client = rt
            .block_on(Client::connect(&client_config(d, "small", tls, auth)))
            .unwrap();
        assert_eq!(client.auth_method(), want);
        assert_eq!(client.is_tls(), want_tls);
        assert!(
            client.capabilities().pipelining
                && client.capabilities().uidl
                && client.capabilities().top
        );
        rt.block_on(client.quit()).unwrap();
    }
}

fn connect(rt: &tokio::runtime::Runtime, d: &Dovecot, user: &str) -> Client {
    rt.block_on(Client::connect(&client_config(
        d,
        user,
        TlsMode::StartTls,
        AuthPreference::Auto,
    )))
    .unwrap()
}

#[test]
fn dele_then_quit_deletes_exactly_the_marked_messages() {
    let Some(d) = dovecot() else { return };
    let rt = runtime();
    let before = d.message_files("del_quit");
    let mut c = connect(&rt, d, "del_quit");
    assert!(rt.block_on(c.dele(&[2, 4])).unwrap().is_empty());
    // Marked, not yet gone: the files are still there until QUIT.
    assert_eq!(d.message_files("del_quit").len(), 5);
    rt.block_on(c.quit()).unwrap();
    let after = d.message_files("del_quit");
    let names = |v: &[PathBuf]| {
        v.iter()
            .map(|p| file_name(p).split(':').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let mut expected = names(&before);
    expected.remove(3);
    expected.remove(1);
    assert_eq!(names(&after), expected);
}

#[test]
fn dele_rset_quit_deletes_nothing() {
    let Some(d) = dovecot() else { return };
    let rt = runtime();
    let mut c = connect(&rt, d, "del_rset");
    assert!(rt.block_on(c.dele(&[1, 2, 3])).unwrap().is_empty());
    rt.block_on(c.rset()).unwrap();
    rt.block_on(c.quit()).unwrap();
    assert_eq!(d.message_files("del_rset").len(), 5);
    let mut c = connect(&rt, d, "del_rset");
    assert!(rt.block_on(c.dele(&[1])).unwrap().is_empty());
    rt.block_on(c.quit_discarding()).unwrap();
    assert_eq!(d.message_files("del_rset").len(), 5);
}

#[test]
fn dele_then_a_dropped_connection_deletes_nothing() {
    let Some(d) = dovecot() else { return };
    let rt = runtime();
    let mut c = connect(&rt, d, "del_drop");
    assert!(rt.block_on(c.dele(&[1, 2])).unwrap().is_empty());
    drop(c); // the socket closes without QUIT
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(d.message_files("del_drop").len(), 5);
    // A new session sees every message again.
    let mut c = connect(&rt, d, "del_drop");
    assert_eq!(rt.block_on(c.stat()).unwrap().count, 5);
    rt.block_on(c.quit()).unwrap();
}

#[test]
fn dele_then_server_side_disconnect_deletes_nothing() {
    let Some(d) = dovecot() else { return };
    let rt = runtime();
    let mut c = connect(&rt, d, "del_kick");
    assert!(rt.block_on(c.dele(&[1])).unwrap().is_empty());
    d.kick("del_kick");
    // Watch the idle socket, as the reader's worker does, until the drop shows.
    let start = std::time::Instant::now();
    let err = loop {
        if let Err(e) = rt.block_on(c.connection().probe()) {
            break e;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the kick was never noticed"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(matches!(err, Pop3Error::ConnectionLost { .. }), "{err}");
    assert!(
        err.to_string().starts_with("connection to 127.0.0.1:"),
        "{err}"
    );
    // Dovecot says why before it closes; the user gets to read it.
    assert!(err.to_string().contains("Server shutting down"), "{err}");
    // The client knows it is dead; nothing more is sent, QUIT included.
    assert!(matches!(
        rt.block_on(c.noop()),
        Err(Pop3Error::ConnectionLost { .. })
    ));
    assert!(rt.block_on(c.quit()).is_err());
    assert_eq!(d.message_files("del_kick").len(), 5);
}

#[test]
fn list_and_show_never_delete() {
    let Some(d) = dovecot() else { return };
    let cfg = account(d, "del_cli", "none", "auto").toml();
    let pw = d.password("del_cli");
    for args in [&["list"][..], &["show", "1"], &["show", "2", "--raw"]] {
        assert_eq!(postie(&cfg, Some(&pw), args).status, 0);
    }
    assert_eq!(d.message_files("del_cli").len(), 5);
    // Dovecot's own count of DELE in each of those sessions: zero.
    let logouts = logouts(d, "del_cli", 3);
    assert_eq!(logouts.len(), 3, "{logouts:?}");
    assert!(logouts.iter().all(|l| l.contains("del=0/")), "{logouts:?}");
}

fn assert_one_clear_line(run: &common::Run, starts: &str, secrets: &[&str]) {
    assert_ne!(run.status, 0, "must fail");
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one line on stderr: {:?}",
        run.stderr
    );
    assert!(
        run.stderr.starts_with(starts),
        "{:?} does not start with {starts:?}",
        run.stderr
    );
    for s in secrets {
        assert!(
            !run.stderr.contains(s) && !run.stdout_text().contains(s),
            "password leaked: {:?}",
            run.stderr
        );
    }
}

#[test]
fn wrong_password_is_one_clear_line_without_the_password() {
    let Some(d) = dovecot() else { return };
    let real = d.password("small");
    for auth in ["user", "apop", "plain"] {
        let run = postie(
            &account(d, "small", "starttls", auth).toml(),
            Some("Wrong-Pa55word"),
            &["list"],
        );
        assert_one_clear_line(&run, "postie: login failed: ", &["Wrong-Pa55word", &real]);
        assert!(
            run.stderr.contains("[AUTH]") || run.stderr.contains("check the user name"),
            "{}",
            run.stderr
        );
    }
    // A password in the config file is just as private.
    let cfg = account(d, "small", "none", "user").toml() + "password = \"Conf-Wrong-Pa55\"\n";
    let run = postie(&cfg, None, &["list"]);
    assert_one_clear_line(&run, "postie: login failed: ", &["Conf-Wrong-Pa55"]);
}

#[test]
fn untrusted_certificate_is_refused_on_pop3s_and_stls() {
    let Some(d) = dovecot() else { return };
    for tls in ["implicit", "starttls"] {
        let acct = Account {
            ca_file: None,
            ..account(d, "small", tls, "plain")
        };
        let run = postie(&acct.toml(), Some(&d.password("small")), &["list"]);
        assert_one_clear_line(
            &run,
            "postie: TLS: certificate not trusted for 127.0.0.1",
            &[&d.password("small")],
        );
    }
}

#[test]
fn refused_connection_is_one_clear_line() {
    let Some(d) = dovecot() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let acct = Account {
        port,
        ..account(d, "small", "none", "user")
    };
    // `show N` needs the server; `list` falls back to the store (tested elsewhere).
    let run = postie(&acct.toml(), Some("x"), &["show", "1"]);
    assert_one_clear_line(
        &run,
        &format!("postie: cannot connect to 127.0.0.1:{port}: connection refused"),
        &[],
    );
}

#[test]
fn starttls_without_stls_on_offer_is_refused_not_downgraded() {
    // Dovecot always offers STLS with ssl = yes; the demo server never does.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(postie::demo::DemoServer::start(
            postie::demo::demo_messages(),
        ))
        .unwrap();
    let port = server.addr().port();
    let cfg = format!(
        "[accounts.d]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"starttls\"\nuser = \"demo\"\n"
    );
    let run = postie(&cfg, Some("demo"), &["list"]);
    assert_one_clear_line(
        &run,
        &format!("postie: 127.0.0.1:{port} does not offer STLS"),
        &["demo\n"],
    );
    // Nothing was sent after CAPA: no login, so the mailbox was never opened.
    drop(server);
}

#[test]
fn the_corpus_reads_the_same_over_pop3_as_from_the_file() {
    let Some(d) = dovecot() else { return };
    let cfg = account(d, "corpus", "starttls", "plain").toml();
    let pw = d.password("corpus");
    let files = corpus_files();
    assert!(files.len() >= 40);
    for (i, (path, _)) in files.iter().enumerate() {
        let over_pop3 = postie(&cfg, Some(&pw), &["show", &(i + 1).to_string()]);
        assert_eq!(
            over_pop3.status,
            0,
            "{}: {}",
            path.display(),
            over_pop3.stderr
        );
        let from_file = postie(&cfg, Some(&pw), &["show", "--file", path.to_str().unwrap()]);
        assert_eq!(from_file.status, 0, "{}", from_file.stderr);
        assert!(
            over_pop3.stdout == from_file.stdout,
            "{}: POP3 and file differ:\n--- pop3\n{}\n--- file\n{}",
            path.display(),
            over_pop3.stdout_text(),
            from_file.stdout_text()
        );
    }
    // The list path (TOP n 0) gives the expected subjects and senders too.
    let expected: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/expected.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let list = postie(&cfg, Some(&pw), &["list", "--json"]);
    assert_eq!(list.status, 0, "{}", list.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), expected.len());
    for e in &expected {
        let n: usize = e["file"].as_str().unwrap()[..2].parse().unwrap();
        let row = &rows[rows.len() - n];
        assert_eq!(row["number"].as_u64(), Some(n as u64));
        for key in ["subject", "from", "from_address"] {
            if let Some(want) = e[key].as_str() {
                assert_eq!(row[key].as_str(), Some(want), "{} {key}", e["file"]);
            }
        }
    }
}

async fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<postie::worker::Event>,
) -> postie::worker::Event {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("worker event in time")
        .expect("worker alive")
}

/// The worker's `u`: POP3 has no per-message undelete, so it sends RSET and
/// DELE again for the other marks. Proven on the server: after QUIT exactly the
/// still-marked messages are gone.
#[test]
fn worker_unmark_one_is_rset_plus_dele_of_the_rest() {
    use postie::worker::{Event, Request, Worker};
    let Some(d) = dovecot() else { return };
    let rt = runtime();
    let before = d.message_files("worker_undo");
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = client_config(d, "worker_undo", TlsMode::StartTls, AuthPreference::Auto);
    let worker = Worker::new(
        cfg,
        postie::mime::DecodeOptions::default(),
        None,
        req_rx,
        ev_tx,
    );
    rt.block_on(async move {
        let task = tokio::spawn(worker.run());
        let mut uidls = Vec::new();
        while uidls.is_empty() {
            if let Event::Indexed(entries) = next_event(&mut ev_rx).await {
                uidls = entries.into_iter().map(|e| e.uidl).collect();
            }
        }
        // Newest first: mark messages 5, 4 and 3, wait until the server has all three.
        for u in &uidls[..3] {
            req_tx.send(Request::Mark(u.clone())).unwrap();
        }
        loop {
            if let Event::MarksApplied(m) = next_event(&mut ev_rx).await {
                if m.len() == 3 {
                    break;
                }
            }
        }
        // Unmark the middle one: only RSET + DELE 5 + DELE 3 can do that.
        req_tx.send(Request::Unmark(uidls[1].clone())).unwrap();
        loop {
            if let Event::MarksApplied(m) = next_event(&mut ev_rx).await {
                assert_eq!(m.iter().cloned().collect::<Vec<_>>().len(), 2);
                assert!(!m.contains(&*uidls[1]));
                break;
            }
        }
        req_tx.send(Request::QuitCommit).unwrap();
        loop {
            if let Event::Closed { deleted } = next_event(&mut ev_rx).await {
                assert_eq!(deleted, 2);
                break;
            }
        }
        task.await.unwrap();
    });
    let after: Vec<String> = d
        .message_files("worker_undo")
        .iter()
        .map(|p| file_name(p).split(',').next().unwrap().to_string())
        .collect();
    let names: Vec<String> = before
        .iter()
        .map(|p| file_name(p).split(',').next().unwrap().to_string())
        .collect();
    // Files are oldest first: messages 1, 2 and 4 remain.
    assert_eq!(
        after,
        vec![names[0].clone(), names[1].clone(), names[3].clone()]
    );
    // Dovecot's logout line counts the DELEs it saw: 3 + 2 after the RSET.
    let lines = logouts(d, "worker_undo", 1);
    let line = lines.first().map(String::as_str).unwrap_or("");
    assert!(line.contains("del=2/"), "{line}");
}

/// `d` on three messages never opened, then a committed QUIT: before the
/// DELE is committed each is downloaded and stored, so all three are in
/// Trash afterwards with the server's exact bytes, and none is left on the
/// server.
#[test]
fn deleting_unopened_messages_keeps_a_copy_of_each_in_trash() {
    use postie::worker::{Event, Request, Worker};
    let Some(d) = dovecot() else { return };
    let rt = runtime();
    let home = tempfile::tempdir().unwrap();
    let digest = |p: &std::path::Path| -> [u8; 16] {
        use md5::Digest;
        md5::Md5::digest(std::fs::read(p).unwrap()).into()
    };
    let base = |p: &std::path::Path| file_name(p).split(',').next().unwrap_or("").to_string();
    let before: Vec<(String, [u8; 16])> = d
        .message_files("del_copy")
        .iter()
        .map(|p| (base(p), digest(p)))
        .collect();
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = client_config(d, "del_copy", TlsMode::StartTls, AuthPreference::Auto);
    let store = common::store_at(home.path());
    let worker = Worker::new(
        cfg,
        postie::mime::DecodeOptions::default(),
        Some(store.clone()),
        req_rx,
        ev_tx,
    );
    let stored = rt.block_on(async move {
        let task = tokio::spawn(worker.run());
        let mut uidls = Vec::new();
        while uidls.is_empty() {
            if let Event::Indexed(entries) = next_event(&mut ev_rx).await {
                uidls = entries.into_iter().map(|e| e.uidl).collect();
            }
        }
        // Newest first: messages 5, 4 and 3, none of them opened.
        for u in &uidls[..3] {
            req_tx.send(Request::Mark(u.clone())).unwrap();
        }
        req_tx.send(Request::QuitCommit).unwrap();
        let mut stored = 0;
        loop {
            match next_event(&mut ev_rx).await {
                Event::Stored(_) => stored += 1,
                Event::Closed { deleted } => {
                    assert_eq!(deleted, 3);
                    break;
                }
                Event::Failed(f) => panic!("{}", f.summary),
                _ => {}
            }
        }
        task.await.unwrap();
        store.close(Duration::from_secs(10)).await;
        stored
    });
    assert_eq!(stored, 3, "each copy reported stored");
    let after = d.message_files("del_copy");
    assert_eq!(after.len(), 2, "none of the three left on the server");
    let left: Vec<String> = after.iter().map(|p| base(p)).collect();
    let mut gone: Vec<[u8; 16]> = before
        .iter()
        .filter(|(name, _)| !left.contains(name))
        .map(|(_, d)| *d)
        .collect();
    let trash = home.path().join("Trash");
    let mut copies: Vec<[u8; 16]> = postie::store::maildir::scan(&trash)
        .unwrap()
        .into_iter()
        .map(|(rel, _)| digest(&trash.join(rel)))
        .collect();
    gone.sort();
    copies.sort();
    assert_eq!(gone.len(), 3);
    assert_eq!(copies, gone, "Trash holds the server's exact bytes");
    // Dovecot's own count: three RETRs, three DELEs committed.
    let lines = logouts(d, "del_copy", 1);
    let line = lines.first().map(String::as_str).unwrap_or("");
    assert!(
        line.contains("retr=3/") && line.contains("del=3/"),
        "{line}"
    );
}

/// `user`'s logout lines in order (`top=N/bytes, retr=..., del=N/M`), waiting
/// up to 10 s until there are at least `n`: Dovecot logs a session's end just
/// after the client has its reply to QUIT.
fn logouts(d: &Dovecot, user: &str, n: usize) -> Vec<String> {
    let start = std::time::Instant::now();
    loop {
        let lines: Vec<String> = d
            .log()
            .lines()
            .filter(|l| l.contains(&format!("({user})")) && l.contains("top="))
            .map(String::from)
            .collect();
        if lines.len() >= n || start.elapsed() > Duration::from_secs(10) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Dovecot's count of TOP commands in `user`'s `session`-th session (from 1).
fn top_count(d: &Dovecot, user: &str, session: usize) -> usize {
    let lines = logouts(d, user, session);
    let line = lines.get(session - 1).map(String::as_str).unwrap_or("");
    line.split("top=")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

#[test]
fn the_local_store_makes_a_reopen_cost_only_new_messages() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let cfg = account(d, "cached", "none", "user").toml();
    let pw = d.password("cached");
    let run = |args: &[&str]| common::postie_in(home.path(), &cfg, Some(&pw), args);

    let cold = run(&["list", "--json"]);
    assert_eq!(cold.status, 0, "{}", cold.stderr);
    assert_eq!(top_count(d, "cached", 1), 300);
    let warm = run(&["list", "--json"]);
    assert_eq!(warm.stdout, cold.stdout, "the store gives the same listing");
    assert_eq!(top_count(d, "cached", 2), 0, "a warm reopen sends no TOP");

    // A new message costs exactly one TOP.
    let new = common::message(
        "New <new@example.org>",
        "Brand new",
        "Wed, 03 Jan 2024 10:00:00 +0000",
        "",
        "hello\n",
    );
    let name = common::dovecot::maildir_name(10_000, new.len());
    let tmp = d.maildir("cached").join("tmp").join(&name);
    std::fs::write(&tmp, &new).unwrap();
    std::process::Command::new("chown")
        .args(["nobody:nogroup"])
        .arg(&tmp)
        .status()
        .unwrap();
    std::fs::rename(&tmp, d.maildir("cached").join("new").join(&name)).unwrap();
    let with_new = run(&["list", "--json"]);
    assert_eq!(top_count(d, "cached", 3), 1);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&with_new.stdout).unwrap();
    assert_eq!(rows.len(), 301);
    assert_eq!(rows[0]["subject"], "Brand new");

    // A message deleted elsewhere leaves the store's index too (it was never stored).
    let rt = runtime();
    let mut c = rt
        .block_on(Client::connect(&client_config(
            d,
            "cached",
            TlsMode::None,
            AuthPreference::User,
        )))
        .unwrap();
    rt.block_on(c.dele(&[1])).unwrap();
    rt.block_on(c.quit()).unwrap();
    let after = run(&["list", "--json"]);
    assert_eq!(top_count(d, "cached", 5), 0);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(rows.len(), 300);
    let root = home.path().join("data").join("postie").join("test");
    let key = postie::store::account_key("127.0.0.1", "cached");
    let mut store =
        postie::store::Store::open(&root, &key, postie::mime::DecodeOptions::default()).unwrap();
    let rows = store.load(&postie::store::Folder::Inbox).unwrap();
    assert_eq!(
        rows.len(),
        300,
        "the deleted message is no longer in the index"
    );
    assert!(rows.iter().all(|r| r.summary.is_some()));
    let index = root.join("index.sqlite");
    let bytes = std::fs::metadata(&index).unwrap().len();
    assert!(bytes / 300 < 2000, "index {bytes} bytes for 300 messages");
    drop(store);

    // A damaged index is moved aside and rebuilt, never fatal.
    let _ = std::fs::remove_file(root.join("index.sqlite-wal"));
    let _ = std::fs::remove_file(root.join("index.sqlite-shm"));
    std::fs::write(&index, b"not an index at all").unwrap();
    let rebuilt = run(&["list", "--json"]);
    assert_eq!(rebuilt.status, 0, "{}", rebuilt.stderr);
    assert_eq!(rebuilt.stdout, after.stdout);
    assert!(std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e
            .file_name()
            .to_string_lossy()
            .starts_with("index.sqlite.bad-")));
    assert_eq!(top_count(d, "cached", 6), 300);
    run(&["list"]);
    assert_eq!(top_count(d, "cached", 7), 0);
}

/// One reader session through the worker: wait for every header, then leave.
/// Returns how many summaries came from the store (in the index) and how
/// many from the server.
fn worker_session(d: &Dovecot, user: &str, store: &std::path::Path) -> (usize, usize) {
    use postie::worker::{Event, Request, Worker};
    let rt = runtime();
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = client_config(d, user, TlsMode::StartTls, AuthPreference::Auto);
    let worker = Worker::new(
        cfg,
        postie::mime::DecodeOptions::default(),
        Some(common::store_at(store)),
        req_rx,
        ev_tx,
    );
    rt.block_on(async move {
        let task = tokio::spawn(worker.run());
        let (mut total, mut from_store, mut loaded) = (usize::MAX, 0, 0);
        while from_store + loaded < total {
            match next_event(&mut ev_rx).await {
                Event::Indexed(e) => {
                    total = e.len();
                    from_store = e.iter().filter(|r| r.summary.is_some()).count();
                }
                Event::HeadersLoaded(b) => loaded += b.len(),
                _ => {}
            }
        }
        req_tx.send(Request::QuitDiscard).unwrap();
        while !matches!(next_event(&mut ev_rx).await, Event::Closed { .. }) {}
        task.await.unwrap();
        (from_store, loaded)
    })
}

#[test]
fn the_reader_reopens_from_the_store_without_top() {
    let Some(d) = dovecot() else { return };
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(worker_session(d, "worker_cache", dir.path()), (0, 50));
    assert_eq!(top_count(d, "worker_cache", 1), 50);
    let rows = common::store_rows(dir.path());
    assert_eq!(rows.len(), 50);
    assert!(
        rows.iter().all(|r| r.summary.is_some()),
        "every summary recorded"
    );
    assert_eq!(worker_session(d, "worker_cache", dir.path()), (50, 0));
    assert_eq!(
        top_count(d, "worker_cache", 2),
        0,
        "every header came from the store"
    );
}

/// A first visit through the worker against Dovecot: the 64 newest rows come
/// as a preview before the index, then every message's summary arrives under
/// its own UIDL (as `Client::open` pairs them on a separate session), each
/// header fetched exactly once, and the cache is saved complete.
#[test]
fn a_first_visit_previews_the_newest_rows_then_keys_every_header_by_its_uidl() {
    use postie::worker::{Event, Request, Worker};
    let Some(d) = dovecot() else { return };
    let mailbox = generated_mailbox(150);
    let subject = |n: u32| {
        postie::mime::Summary::from_headers(
            &mailbox[n as usize - 1],
            &postie::mime::DecodeOptions::default(),
        )
        .subject()
        .to_string()
    };
    let rt = runtime();
    let cfg = client_config(d, "first_visit", TlsMode::None, AuthPreference::User);
    let (client, index) = rt.block_on(Client::open(&cfg)).unwrap();
    rt.block_on(client.quit()).unwrap();
    let truth: std::collections::BTreeMap<String, String> = index
        .iter()
        .map(|e| (e.uidl.as_deref().unwrap().to_string(), subject(e.number)))
        .collect();
    assert_eq!(truth.len(), 150);

    let dir = tempfile::tempdir().unwrap();
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(
        cfg,
        postie::mime::DecodeOptions::default(),
        Some(common::store_at(dir.path())),
        req_rx,
        ev_tx,
    );
    let (preview, seen) = rt.block_on(async move {
        let task = tokio::spawn(worker.run());
        let mut preview = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
        let mut indexed = false;
        while seen.len() < 150 {
            match next_event(&mut ev_rx).await {
                Event::Preview { count, rows } => {
                    assert!(!indexed);
                    assert_eq!(count, 150);
                    preview.extend(rows.iter().map(|s| s.subject().to_string()));
                }
                Event::Indexed(_) => indexed = true,
                Event::HeadersLoaded(b) => {
                    for (u, s) in b {
                        let before = seen.insert(u.to_string(), s.subject().to_string());
                        assert!(before.is_none(), "{u} loaded twice");
                    }
                }
                Event::Failed(postie::error::Failure { summary: error, .. }) => panic!("{error}"),
                _ => {}
            }
        }
        req_tx.send(Request::QuitDiscard).unwrap();
        while !matches!(next_event(&mut ev_rx).await, Event::Closed { .. }) {}
        task.await.unwrap();
        (preview, seen)
    });
    let newest: Vec<String> = (87..=150).rev().map(subject).collect();
    assert_eq!(preview, newest);
    assert_eq!(seen, truth);
    assert_eq!(top_count(d, "first_visit", 2), 150, "each header once");
    let rows = common::store_rows(dir.path());
    assert_eq!(rows.len(), 150);
    let stored: std::collections::BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r.uidl.to_string(),
                r.summary.as_ref().unwrap().subject().to_string(),
            )
        })
        .collect();
    assert_eq!(
        stored, truth,
        "the store has every summary under its own UIDL"
    );
}

/// Dovecot keeps what arrives behind a login and answers it once logged
/// in, so a fetch's UIDL + LIST and a cold list's STAT go in the login's
/// own flight (a round trip less on a long link): recorded by a proxy that
/// passes the server's replies on only after 200 ms, they reached the
/// server before the login's reply reached postie. With USER/PASS and with AUTH PLAIN, and
/// the list is whole either way. (Servers that lose such read-ahead —
/// Courier, Cyrus after AUTH — are in tests/other_servers.rs.)
#[test]
fn the_first_flight_rides_with_the_login_to_dovecot_and_is_answered() {
    use common::proxy::RecordingProxy;
    use postie::pop3::{Arrival, Flow};
    let Some(d) = dovecot() else { return };
    let rt = runtime();
    for (auth, login) in [
        (AuthPreference::User, &b"PASS "[..]),
        (AuthPreference::Plain, &b"AUTH PLAIN "[..]),
    ] {
        let proxy = rt
            .block_on(RecordingProxy::start(
                d.plain_port,
                Duration::from_millis(200),
            ))
            .unwrap();
        let mut cfg = client_config(d, "small", TlsMode::None, auth);
        cfg.endpoint.port = proxy.port;
        // A fetch's UIDL + LIST the same way.
        let (client, unparsed) = rt.block_on(Client::open_unparsed(&cfg)).unwrap();
        assert_rode(&proxy, login, b"UIDL\r\nLIST\r\n", auth);
        proxy.chunks.lock().unwrap().clear();
        let mut client = client;
        let index = rt
            .block_on(client.parse_index(unparsed, &|_| None))
            .unwrap();
        assert_eq!(index.len(), 5);
        rt.block_on(client.quit()).unwrap();
        let (mut count, mut headers, mut indexed) = (None, 0, 0);
        let client = rt
            .block_on(Client::open_prefetching(&cfg, 3, |a| {
                match a {
                    Arrival::Count(n) => count = Some(n),
                    Arrival::Index { entries, .. } => indexed = entries.len(),
                    Arrival::Header(n, h) => {
                        assert!(!h.unwrap().is_empty(), "header {n}");
                        headers += 1;
                    }
                }
                Flow::Continue
            }))
            .unwrap();
        rt.block_on(client.quit()).unwrap();
        assert_eq!((count, indexed, headers), (Some(5), 5, 5), "{auth:?}");
        assert_rode(&proxy, login, b"STAT\r\n", auth);
    }
}

/// `after` reached the server (through `proxy`) before the reply to
/// `login` reached the client.
fn assert_rode(
    proxy: &common::proxy::RecordingProxy,
    login: &[u8],
    after: &[u8],
    auth: AuthPreference,
) {
    use common::proxy::Way;
    let chunks = proxy.chunks.lock().unwrap().clone();
    let has = |c: &[u8], s: &[u8]| c.windows(s.len()).any(|w| w == s);
    let sent_login = chunks
        .iter()
        .position(|(w, c)| *w == Way::ToServer && has(c, login))
        .expect("the login");
    let rode = chunks
        .iter()
        .position(|(w, c)| *w == Way::ToServer && has(c, after))
        .expect("the first flight");
    let logged_in = chunks
        .iter()
        .skip(sent_login)
        .position(|(w, _)| *w == Way::ToClient)
        .map(|i| i + sent_login)
        .expect("the login's reply");
    assert!(
        rode < logged_in,
        "{auth:?}: {} went out after the login's reply: {:?}",
        String::from_utf8_lossy(after),
        chunks
            .iter()
            .map(|(w, c)| (*w, String::from_utf8_lossy(c).into_owned()))
            .collect::<Vec<_>>()
    );
}
