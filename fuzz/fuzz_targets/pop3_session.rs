//! The POP3 session, end to end: postie's real client (login, index, headers,
//! RETR, DELE, RSET, QUIT or a dropped link) against a server on 127.0.0.1
//! whose every reply is fuzz bytes (split into writes at 0xFF), plus the pure state machine fed random
//! command/reply sequences. Checked: no panic; no command after QUIT; a DELE
//! only for a number the driver asked to delete, and none without being
//! asked; no QUIT at all when the driver drops the link (nothing is
//! committed); the password never in a line other than PASS; no command
//! outside the states RFC 1939 allows.
#![no_main]
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use postie::pop3::client::{Client, ClientConfig};
use postie::pop3::codec::{Command, StatusKind, StatusLine};
use postie::pop3::{Endpoint, Flow, Timeouts, TlsMode};
use postie::pop3::session::{AuthPreference, Session, State};
use postie::secret::Secret;

const PASSWORD: &str = "pw-Zq9fuzz";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// Serves `chunks` in order, each its own write, without waiting for the
/// commands (the client cannot tell: it reads replies in order either way,
/// and it writes CAPA before reading the greeting already), then hangs up
/// its side and records every line the client sent until it closes.
fn serve(listener: TcpListener, chunks: Vec<Vec<u8>>) -> Vec<String> {
    let mut lines = Vec::new();
    let Ok((mut sock, _)) = listener.accept() else {
        return lines;
    };
    let _ = sock.set_nodelay(true);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
    for chunk in &chunks {
        if sock.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = sock.shutdown(std::net::Shutdown::Write);
    let mut sent = Vec::new();
    let _ = sock.read_to_end(&mut sent);
    for l in sent.split(|&b| b == b'\n') {
        if !l.is_empty() {
            lines.push(String::from_utf8_lossy(l).trim_end().to_string());
        }
    }
    lines
}

struct Plan {
    pipelining: bool,
    auth: AuthPreference,
    delete: Vec<u32>,
    unmark_one: bool,
    ending: u8,
}

async fn drive(port: u16, plan: &Plan) -> Vec<u32> {
    let mut asked = Vec::new();
    let cfg = ClientConfig {
        token: None,
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port,
            tls: TlsMode::None,
            ca_file: None,
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                command: Duration::from_secs(2),
                read: Duration::from_secs(2),
            },
        },
        user: "fuzz".into(),
        password: Secret::new(PASSWORD),
        auth: plan.auth,
        allow_insecure_auth: false,
        pipelining: plan.pipelining,
    };
    let Ok((mut client, entries)) = Client::open(&cfg).await else {
        return asked;
    };
    let numbers: Vec<u32> = entries.iter().map(|e| e.number).take(16).collect();
    if client
        .headers(&numbers, |_, _| Flow::Continue)
        .await
        .is_err()
    {
        return asked;
    }
    if let Some(&first) = numbers.first() {
        if client.retr(first).await.is_err() {
            return asked;
        }
    }
    let dele: Vec<u32> = plan
        .delete
        .iter()
        .filter_map(|i| numbers.get(*i as usize % numbers.len().max(1)).copied())
        .collect();
    asked.extend(&dele);
    if client.dele(&dele).await.is_err() {
        return asked;
    }
    if plan.unmark_one && dele.len() > 1 {
        if client.reset_marks(&dele[1..]).await.is_err() {
            return asked;
        }
    }
    match plan.ending % 3 {
        0 => {
            let _ = client.quit().await;
        }
        1 => {
            let _ = client.quit_discarding().await;
        }
        _ => drop(client), // the link dropped: nothing may be committed
    }
    asked
}

fn check_lines(lines: &[String], asked: &[u32], plan: &Plan) {
    let mut quit_seen = false;
    for l in lines {
        assert!(!quit_seen, "a command after QUIT: {l:?} in {lines:?}");
        let verb = l.split(' ').next().unwrap_or("").to_ascii_uppercase();
        if verb != "PASS" {
            assert!(!l.contains(PASSWORD), "password outside PASS: {l:?}");
        }
        match verb.as_str() {
            "DELE" => {
                let n: u32 = l[5..].trim().parse().expect("DELE with a number");
                assert!(asked.contains(&n), "DELE {n} never asked for: {lines:?}");
            }
            "QUIT" => {
                quit_seen = true;
                assert!(
                    plan.ending % 3 != 2,
                    "QUIT sent although the link was dropped"
                );
            }
            "CAPA" | "USER" | "PASS" | "APOP" | "AUTH" | "STLS" | "STAT" | "LIST" | "UIDL"
            | "TOP" | "RETR" | "RSET" | "NOOP" => {}
            "" => {}
            other => panic!("unknown command sent: {other:?}"),
        }
    }
}

/// The pure state machine: random commands and replies. A transaction
/// command is legal only after a login command got +OK; nothing after
/// QUIT; check_batch agrees with checking one by one.
fn state_machine(data: &[u8]) {
    let mut s = Session::new(data.first().is_some_and(|b| b & 1 == 1));
    let mut logged_in = false;
    let mut ended = false;
    for pair in data.chunks(2) {
        let cmd = match pair[0] % 15 {
            0 => Command::User("u".into()),
            1 => Command::Pass(Secret::new("p")),
            2 => Command::AuthPlain(Secret::new("x")),
            3 => Command::Capa,
            4 => Command::Stls,
            5 => Command::Stat,
            6 => Command::List(None),
            7 => Command::Uidl(Some(1)),
            8 => Command::Top { msg: 1, lines: 0 },
            9 => Command::Retr(1),
            10 => Command::Dele(1),
            11 => Command::Rset,
            12 => Command::Noop,
            13 => Command::Quit,
            _ => {
                s.set_tls();
                continue;
            }
        };
        let legal = s.check(&cmd).is_ok();
        assert_eq!(legal, s.check_batch(std::slice::from_ref(&cmd)).is_ok());
        if ended {
            assert!(!legal, "{} legal after the session ended", cmd.name());
        }
        if matches!(
            cmd,
            Command::Stat
                | Command::List(_)
                | Command::Uidl(_)
                | Command::Top { .. }
                | Command::Retr(_)
                | Command::Dele(_)
                | Command::Rset
                | Command::Noop
        ) && legal
        {
            assert!(logged_in, "{} legal before a login", cmd.name());
        }
        if !legal {
            continue;
        }
        let ok = pair.get(1).is_some_and(|b| b & 1 == 0);
        let status = StatusLine {
            kind: if ok { StatusKind::Ok } else { StatusKind::Err },
            text: String::new(),
        };
        s.apply(&cmd, &status);
        if ok && matches!(cmd, Command::Pass(_) | Command::AuthPlain(_)) {
            logged_in = true;
        }
        if ok && matches!(cmd, Command::Quit) {
            ended = true;
        }
        if logged_in {
            assert_ne!(s.state(), State::Authorization);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    state_machine(data);
    let plan = Plan {
        pipelining: data[0] & 1 == 1,
        auth: match (data[0] >> 1) % 4 {
            0 => AuthPreference::Auto,
            1 => AuthPreference::Apop,
            2 => AuthPreference::User,
            _ => AuthPreference::Plain,
        },
        unmark_one: data[0] & 0x10 != 0,
        ending: data[1],
        delete: (0..(data[2] % 5) as u32).map(|i| i * 3 + 1).collect(),
    };
    // The rest is the server's replies, split at 0xFF; at most 64.
    let chunks: Vec<Vec<u8>> = data[3..]
        .split(|&b| b == 0xFF)
        .take(64)
        .map(|c| c.to_vec())
        .collect();
    let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
        return;
    };
    let Ok(port) = listener.local_addr().map(|a| a.port()) else {
        return;
    };
    let server = std::thread::spawn(move || serve(listener, chunks));
    let asked = runtime().block_on(drive(port, &plan));
    let lines = server.join().expect("the script server");
    check_lines(&lines, &asked, &plan);
});
