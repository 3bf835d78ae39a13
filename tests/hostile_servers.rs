//! Hostile POP3 servers, table-driven: the real binary (`postie list` or
//! `show 1`) against a scripted server on 127.0.0.1, each case with the
//! error it must give in plain words, a time bound, a memory bound (peak RSS
//! from `/usr/bin/time`), and nothing of the server's escapes, C0/C1 controls
//! or bidi overrides in what postie prints. Cases: escapes in the greeting
//! and in -ERR replies, endless multi-line replies, a 100 MB status line,
//! STARTTLS injection in the same segment as the STLS reply, garbage, a
//! hang-up, a silent server, hostile listings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server does when it gets a command.
#[derive(Clone)]
enum Act {
    Send(Vec<u8>),
    /// `+OK` and then lines for ever.
    EndlessLines,
    /// `+OK` and then one status line of this many bytes, never ended.
    LongStatus(usize),
    /// Nothing, for ever.
    Silence,
    /// Hang up.
    Close,
    /// `+OK` to STLS with these bytes in the same segment (an injection),
    /// then a real TLS handshake; the rest is served over TLS with `after_tls`.
    StartTls(Vec<u8>),
}

trait Link: std::io::Read + Write + Send {}
impl<T: std::io::Read + Write + Send> Link for T {}

struct Script {
    greeting: Act,
    /// By command verb; anything else gets `+OK`.
    replies: Vec<(&'static str, Act)>,
    /// After a StartTls act.
    after_tls: Vec<(&'static str, Act)>,
}

fn send(out: &mut dyn Link, act: &Act) -> bool {
    match act {
        Act::Send(b) => out.write_all(b).is_ok(),
        Act::EndlessLines => {
            if out.write_all(b"+OK here it comes\r\n").is_err() {
                return false;
            }
            let line = [b'L'; 78];
            for i in 0u64.. {
                let _ = i;
                if out.write_all(&line).is_err() || out.write_all(b"\r\n").is_err() {
                    return false;
                }
            }
            false
        }
        Act::LongStatus(n) => {
            let chunk = vec![b'A'; 64 * 1024];
            let mut sent = 0;
            if out.write_all(b"+OK ").is_err() {
                return false;
            }
            while sent < *n {
                if out.write_all(&chunk).is_err() {
                    return false;
                }
                sent += chunk.len();
            }
            // Never ended: wait for the client to hang up.
            std::thread::sleep(Duration::from_secs(60));
            false
        }
        Act::Silence => {
            std::thread::sleep(Duration::from_secs(60));
            false
        }
        Act::Close | Act::StartTls(_) => false,
    }
}

fn read_line(link: &mut dyn Link) -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match link.read(&mut b) {
            Ok(1) => {
                line.push(b[0]);
                if b[0] == b'\n' {
                    return Some(String::from_utf8_lossy(&line).trim_end().to_string());
                }
            }
            _ => return None,
        }
    }
}

/// A certificate for 127.0.0.1 (openssl), as a TLS acceptor and its CA file.
fn tls_identity(dir: &std::path::Path) -> Option<native_tls::TlsAcceptor> {
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    let cert = std::fs::read(dir.join("cert.pem")).ok()?;
    let key = std::fs::read(dir.join("key.pem")).ok()?;
    let id = native_tls::Identity::from_pkcs8(&cert, &key).ok()?;
    native_tls::TlsAcceptor::new(id).ok()
}

/// Serves one connection with `script`; returns the port and the lines the
/// client sent (those sent over TLS marked `tls:`).
fn serve(script: Script, tls: Option<native_tls::TlsAcceptor>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let Ok((sock, _)) = listener.accept() else {
            return;
        };
        let mut link: Box<dyn Link> = Box::new(sock.try_clone().unwrap());
        if !send(&mut *link, &script.greeting) {
            return;
        }
        let mut replies = &script.replies;
        let mut over_tls = false;
        while let Some(cmd) = read_line(&mut *link) {
            log.lock()
                .unwrap()
                .push(format!("{}{cmd}", if over_tls { "tls:" } else { "" }));
            let verb = cmd.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let act = replies
                .iter()
                .find(|(v, _)| *v == verb)
                .map(|(_, a)| a.clone())
                .unwrap_or(Act::Send(b"+OK\r\n".to_vec()));
            if let Act::StartTls(injected) = &act {
                let mut seg = b"+OK begin TLS\r\n".to_vec();
                seg.extend_from_slice(injected);
                let mut plain: TcpStream = sock.try_clone().unwrap();
                if plain.write_all(&seg).is_err() {
                    return;
                }
                let Some(acceptor) = &tls else { return };
                let Ok(t) = acceptor.accept(sock.try_clone().unwrap()) else {
                    return;
                };
                link = Box::new(t);
                replies = &script.after_tls;
                over_tls = true;
                continue;
            }
            if !send(&mut *link, &act) {
                return;
            }
        }
    });
    (port, seen)
}

fn ok(s: &str) -> Act {
    Act::Send(s.as_bytes().to_vec())
}

/// A server that behaves: one message, with the given subject line.
fn normal(subject: &str) -> Vec<(&'static str, Act)> {
    vec![
        ("CAPA", ok("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")),
        ("UIDL", ok("+OK\r\n1 one\r\n.\r\n")),
        ("LIST", ok("+OK\r\n1 100\r\n.\r\n")),
        ("STAT", ok("+OK 1 100\r\n")),
        (
            "TOP",
            Act::Send(format!("+OK\r\nSubject: {subject}\r\nFrom: a@b\r\n\r\n.\r\n").into_bytes()),
        ),
        (
            "RETR",
            Act::Send(
                format!("+OK\r\nSubject: {subject}\r\nFrom: a@b\r\n\r\nbody\r\n.\r\n").into_bytes(),
            ),
        ),
    ]
}

fn with(
    mut base: Vec<(&'static str, Act)>,
    over: Vec<(&'static str, Act)>,
) -> Vec<(&'static str, Act)> {
    for (v, a) in over {
        base.retain(|(b, _)| *b != v);
        base.insert(0, (v, a));
    }
    base
}

struct Case {
    name: &'static str,
    script: Script,
    args: &'static [&'static str],
    tls: &'static str,
    /// Must the command succeed?
    succeeds: bool,
    /// Words the output (stdout + stderr) must hold.
    says: &'static [&'static str],
    max_secs: u64,
    max_rss_mb: u64,
    /// Commands that must never reach the server.
    never: &'static [&'static str],
}

/// Any escape, C0 control other than tab/newline, C1 control or bidi control.
fn hostile_char(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || ('\u{80}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
    })
}

const ESCAPES: &str = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b]0;pwned\x07\u{202e}\u{85}\u{9b}31m";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "escapes in the greeting",
            script: Script {
                greeting: Act::Send(format!("+OK hello {ESCAPES} <1.2@h>\r\n").into_bytes()),
                replies: normal("plain"),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: true,
            says: &["plain"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &[],
        },
        Case {
            name: "a refusing greeting full of escapes",
            script: Script {
                greeting: Act::Send(format!("-ERR go away {ESCAPES}\r\n").into_bytes()),
                replies: vec![],
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            // Nothing is stored yet: the failure is the answer (exit 75), not an empty list.
            succeeds: false,
            says: &["server refused the session", "go away"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &["USER", "PASS"],
        },
        Case {
            name: "-ERR with escapes to PASS",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(
                    normal("x"),
                    vec![(
                        "PASS",
                        Act::Send(format!("-ERR [AUTH] bad {ESCAPES}\r\n").into_bytes()),
                    )],
                ),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["bad"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &["UIDL", "LIST"],
        },
        Case {
            name: "escapes in a subject",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: normal(&format!("hi {ESCAPES} there")),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: true,
            says: &["hi"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &[],
        },
        Case {
            name: "escapes in a body",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(
                    normal("x"),
                    vec![(
                        "RETR",
                        Act::Send(
                            format!("+OK\r\nSubject: x\r\n\r\nline {ESCAPES} end\r\n.\r\n")
                                .into_bytes(),
                        ),
                    )],
                ),
                after_tls: vec![],
            },
            args: &["show", "1"],
            tls: "none",
            succeeds: true,
            says: &["line", "end"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &["DELE"],
        },
        Case {
            name: "an endless CAPA reply",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: vec![("CAPA", Act::EndlessLines)],
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["larger than"],
            max_secs: 20,
            max_rss_mb: 100,
            never: &["PASS"],
        },
        Case {
            name: "an endless UIDL listing",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(normal("x"), vec![("UIDL", Act::EndlessLines)]),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["larger than"],
            max_secs: 60,
            max_rss_mb: 600,
            never: &["DELE"],
        },
        Case {
            name: "an endless TOP reply",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(normal("x"), vec![("TOP", Act::EndlessLines)]),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["larger than"],
            max_secs: 30,
            max_rss_mb: 150,
            never: &["DELE"],
        },
        Case {
            name: "a 100 MB status line",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(
                    normal("x"),
                    vec![
                        ("STAT", Act::LongStatus(100 << 20)),
                        ("UIDL", Act::LongStatus(100 << 20)),
                    ],
                ),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["status line longer than"],
            max_secs: 30,
            max_rss_mb: 100,
            never: &["DELE"],
        },
        Case {
            name: "a 100 MB greeting",
            script: Script {
                greeting: Act::LongStatus(100 << 20),
                replies: vec![],
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["status line longer than"],
            max_secs: 30,
            max_rss_mb: 100,
            never: &["USER", "PASS"],
        },
        Case {
            name: "STARTTLS injection in the STLS reply's segment",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: vec![
                    ("CAPA", ok("+OK\r\nSTLS\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")),
                    // Injected after the +OK in the same segment: a CAPA reply
                    // and the USER and PASS replies that would log postie in
                    // if it read them once TLS is up.
                    (
                        "STLS",
                        Act::StartTls(
                            b"+OK\r\nUSER\r\n.\r\n+OK user\r\n+OK logged in\r\n".to_vec(),
                        ),
                    ),
                ],
                after_tls: with(
                    normal("x"),
                    vec![("PASS", ok("-ERR [AUTH] the real server refuses\r\n"))],
                ),
            },
            args: &["list"],
            tls: "starttls",
            succeeds: false,
            says: &["the real server refuses"],
            max_secs: 30,
            max_rss_mb: 100,
            // Nothing in clear text after STLS, and no listing: the login failed.
            never: &["USER", "PASS", "UIDL", "tls:UIDL"],
        },
        Case {
            name: "binary garbage for a reply",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: vec![(
                    "CAPA",
                    Act::Send(b"\x00\xff\xfe\x1b[31m garbage\r\n".to_vec()),
                )],
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["postie:"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &["PASS"],
        },
        Case {
            name: "a hang-up after the login",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(
                    normal("x"),
                    vec![("PASS", ok("+OK\r\n")), ("UIDL", Act::Close)],
                ),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["the server closed the connection"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &["DELE"],
        },
        Case {
            name: "a server silent after USER",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(normal("x"), vec![("USER", Act::Silence)]),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: false,
            says: &["timed out after 3 s"],
            max_secs: 20,
            max_rss_mb: 100,
            never: &["DELE"],
        },
        Case {
            name: "a listing with a negative size and a control character in a UIDL",
            script: Script {
                greeting: ok("+OK ready\r\n"),
                replies: with(
                    normal("fine"),
                    vec![
                        (
                            "UIDL",
                            Act::Send(b"+OK\r\n1 one\r\n2 bad\x1bid\r\n.\r\n".to_vec()),
                        ),
                        ("LIST", ok("+OK\r\n1 100\r\n2 -20\r\n.\r\n")),
                    ],
                ),
                after_tls: vec![],
            },
            args: &["list"],
            tls: "none",
            succeeds: true,
            says: &["fine"],
            max_secs: 15,
            max_rss_mb: 100,
            never: &["DELE"],
        },
    ]
}

#[test]
fn hostile_servers_get_clear_errors_in_bounded_time_and_memory() {
    let time = std::path::Path::new("/usr/bin/time");
    if !time.exists() {
        common::skip_or_fail(
            "hostile_servers: /usr/bin/time is not installed (apt-get install time)",
        );
        return;
    }
    let mut failures = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let mut tls_lines = String::new();
        let acceptor = if case.tls == "starttls" {
            let Some(a) = tls_identity(dir.path()) else {
                common::skip_or_fail("hostile_servers: openssl cannot make a certificate");
                return;
            };
            tls_lines = format!("ca_file = \"{}\"\n", dir.path().join("cert.pem").display());
            Some(a)
        } else {
            None
        };
        let (port, seen) = serve(case.script, acceptor);
        let cfg = dir.path().join("config.toml");
        std::fs::write(
            &cfg,
            format!(
                "[accounts.h]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{}\"\nuser = \"u\"\npassword = \"p\"\nauth = \"user\"\nconnect_timeout = 3\ncommand_timeout = 3\nread_timeout = 3\n{tls_lines}",
                case.tls
            ),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let start = Instant::now();
        let out = Command::new(time)
            .arg("-f")
            .arg("MAXRSS %M")
            .arg(env!("CARGO_BIN_EXE_postie"))
            .args(case.args)
            .env("POSTIE_CONFIG", &cfg)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("POSTIE_DEADLINE_SECS", case.max_secs.to_string())
            .output()
            .unwrap();
        let took = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let rss_mb = stderr
            .lines()
            .find_map(|l| l.strip_prefix("MAXRSS "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(u64::MAX)
            / 1024;
        let said: String = stderr
            .lines()
            .filter(|l| !l.starts_with("MAXRSS") && !l.starts_with("Command exited"))
            .collect::<Vec<_>>()
            .join("\n");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let all = format!("{stdout}\n{said}");
        let mut wrong = Vec::new();
        if out.status.success() != case.succeeds {
            wrong.push(format!("exit {:?}", out.status.code()));
        }
        for w in case.says {
            if !all.contains(w) {
                wrong.push(format!("does not say {w:?}"));
            }
        }
        if let Some(c) = hostile_char(&all) {
            wrong.push(format!("printed {:?}", c));
        }
        if took > Duration::from_secs(case.max_secs) {
            wrong.push(format!("took {took:?}"));
        }
        if rss_mb > case.max_rss_mb {
            wrong.push(format!("peak RSS {rss_mb} MB"));
        }
        let sent = seen.lock().unwrap().clone();
        for never in case.never {
            if sent
                .iter()
                .any(|l| l.to_ascii_uppercase().starts_with(never))
            {
                wrong.push(format!("sent {never}"));
            }
        }
        println!(
            "{}: exit {:?}, {:.1} s, {} MB: {}",
            case.name,
            out.status.code(),
            took.as_secs_f64(),
            rss_mb,
            said.lines().last().unwrap_or("")
        );
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {} — output: {all:?}",
                case.name,
                wrong.join(", ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
