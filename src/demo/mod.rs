//! The built-in demo: a small RFC 1939 server on 127.0.0.1 (random port)
//! serving the messages in `assets/demo/`. It speaks CAPA, UIDL, TOP,
//! PIPELINING, USER/PASS and APOP, locks the mailbox per session, and applies
//! deletions only at QUIT, so postie's client code runs against it unchanged.

mod mailbox;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

use crate::pop3::session::apop_digest;
use crate::secret::Secret;

pub use mailbox::MESSAGES as FILES;

pub const USER: &str = "demo";
pub const PASSWORD: &str = "demo";
/// Longest command line the demo accepts (RFC 2449 allows 255 octets).
const MAX_COMMAND: usize = 1024;

#[derive(Debug, Clone)]
pub struct DemoMessage {
    pub uidl: String,
    /// CRLF line endings, as sent on the wire (before dot-stuffing).
    pub bytes: Vec<u8>,
}

/// Normalises line endings to CRLF, as a POP3 server presents a message.
pub fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The shipped demo messages, oldest first.
pub fn demo_messages() -> Vec<DemoMessage> {
    FILES
        .iter()
        .map(|(name, bytes)| DemoMessage {
            uidl: format!("demo-{}", name.trim_end_matches(".eml")),
            bytes: to_crlf(bytes),
        })
        .collect()
}

#[derive(Debug, Default)]
struct Maildrop {
    messages: Vec<DemoMessage>,
    locked: bool,
}

/// A running demo server; it stops when dropped.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    store: Arc<Mutex<Maildrop>>,
    task: tokio::task::JoinHandle<()>,
}

impl DemoServer {
    /// Binds 127.0.0.1 on a random port and serves `messages`.
    pub async fn start(messages: Vec<DemoMessage>) -> std::io::Result<DemoServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let store = Arc::new(Mutex::new(Maildrop {
            messages,
            locked: false,
        }));
        let shared = store.clone();
        let task = tokio::spawn(async move {
            let mut counter = 0u64;
            while let Ok((sock, _)) = listener.accept().await {
                counter += 1;
                let store = shared.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(sock, store, counter).await {
                        tracing::debug!("demo session ended: {e}");
                    }
                });
            }
        });
        Ok(DemoServer { addr, store, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The UIDLs still in the mailbox (what a QUIT has committed so far).
    pub fn uidls(&self) -> Vec<String> {
        match self.store.lock() {
            Ok(s) => s.messages.iter().map(|m| m.uidl.clone()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Lock(Arc<Mutex<Maildrop>>);

impl Drop for Lock {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.lock() {
            s.locked = false;
        }
    }
}

fn dot_stuff(out: &mut Vec<u8>, data: &[u8]) {
    for line in data.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    if !data.is_empty() && !data.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

/// Header block plus the first `lines` body lines, as TOP returns them.
fn top(bytes: &[u8], lines: usize) -> &[u8] {
    let header_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(bytes.len());
    let mut end = header_end;
    for _ in 0..lines {
        match bytes[end..].iter().position(|&b| b == b'\n') {
            Some(p) => end += p + 1,
            None => {
                end = bytes.len();
                break;
            }
        }
    }
    &bytes[..end]
}

async fn serve(sock: TcpStream, store: Arc<Mutex<Maildrop>>, id: u64) -> std::io::Result<()> {
    let (r, w) = sock.into_split();
    let mut reader = BufReader::new(r);
    let mut writer = BufWriter::new(w);
    let timestamp = format!("<{}.{}@postie.demo>", std::process::id(), id);
    writer
        .write_all(format!("+OK postie demo server ready {timestamp}\r\n").as_bytes())
        .await?;
    writer.flush().await?;

    let mut user: Option<String> = None;
    let mut session: Option<(Vec<DemoMessage>, Lock)> = None;
    let mut deleted: BTreeSet<usize> = BTreeSet::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_COMMAND as u64 + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(()); // dropped without QUIT: nothing is deleted
        }
        if !line.ends_with(b"\n") {
            writer.write_all(b"-ERR command line too long\r\n").await?;
            writer.flush().await?;
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let mut words = text.split(' ');
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let args: Vec<&str> = words.collect();
        let mut out: Vec<u8> = Vec::new();
        let mut quit = false;

        match (&session, verb.as_str()) {
            (_, "CAPA") => out.extend_from_slice(
                b"+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\nRESP-CODES\r\nEXPIRE NEVER\r\nIMPLEMENTATION postie-demo\r\n.\r\n",
            ),
            (None, "USER") if args.len() == 1 => {
                user = Some(args[0].to_string());
                out.extend_from_slice(b"+OK\r\n");
            }
            (None, "PASS") | (None, "APOP") => {
                let ok = match verb.as_str() {
                    "PASS" => user.as_deref() == Some(USER) && text.get(5..) == Some(PASSWORD),
                    _ => {
                        args.len() == 2
                            && args[0] == USER
                            && args[1] == apop_digest(&timestamp, &Secret::new(PASSWORD))
                    }
                };
                user = None;
                if !ok {
                    out.extend_from_slice(b"-ERR [AUTH] invalid user name or password (the demo account is demo/demo)\r\n");
                } else {
                    let mut s = store.lock().map_err(|_| std::io::Error::other("demo store poisoned"))?;
                    if s.locked {
                        out.extend_from_slice(b"-ERR [IN-USE] the demo mailbox is open in another session\r\n");
                    } else {
                        s.locked = true;
                        session = Some((s.messages.clone(), Lock(store.clone())));
                        out.extend_from_slice(b"+OK mailbox locked and ready\r\n");
                    }
                }
            }
            (None, "QUIT") => {
                out.extend_from_slice(b"+OK bye\r\n");
                quit = true;
            }
            (None, _) => out.extend_from_slice(b"-ERR log in first\r\n"),
            (Some((msgs, _)), v) => {
                let live = |n: &str| -> Option<usize> {
                    let i = n.parse::<usize>().ok()?.checked_sub(1)?;
                    (i < msgs.len() && !deleted.contains(&i)).then_some(i)
                };
                let no_such = b"-ERR no such message\r\n".as_slice();
                match (v, args.as_slice()) {
                    ("STAT", []) => {
                        let (count, size) = msgs
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| !deleted.contains(i))
                            .fold((0, 0), |(c, s), (_, m)| (c + 1, s + m.bytes.len()));
                        out.extend_from_slice(format!("+OK {count} {size}\r\n").as_bytes());
                    }
                    ("LIST" | "UIDL", []) => {
                        out.extend_from_slice(b"+OK\r\n");
                        for (i, m) in msgs.iter().enumerate().filter(|(i, _)| !deleted.contains(i)) {
                            let value = if v == "LIST" { m.bytes.len().to_string() } else { m.uidl.clone() };
                            out.extend_from_slice(format!("{} {value}\r\n", i + 1).as_bytes());
                        }
                        out.extend_from_slice(b".\r\n");
                    }
                    ("LIST" | "UIDL", [n]) => match live(n) {
                        Some(i) => {
                            let value = if v == "LIST" { msgs[i].bytes.len().to_string() } else { msgs[i].uidl.clone() };
                            out.extend_from_slice(format!("+OK {} {value}\r\n", i + 1).as_bytes());
                        }
                        None => out.extend_from_slice(no_such),
                    },
                    ("RETR", [n]) => match live(n) {
                        Some(i) => {
                            out.extend_from_slice(format!("+OK {} octets\r\n", msgs[i].bytes.len()).as_bytes());
                            dot_stuff(&mut out, &msgs[i].bytes);
                        }
                        None => out.extend_from_slice(no_such),
                    },
                    ("TOP", [n, k]) => match (live(n), k.parse::<usize>()) {
                        (Some(i), Ok(k)) => {
                            out.extend_from_slice(b"+OK\r\n");
                            dot_stuff(&mut out, top(&msgs[i].bytes, k));
                        }
                        (None, _) => out.extend_from_slice(no_such),
                        (_, Err(_)) => out.extend_from_slice(b"-ERR bad line count\r\n"),
                    },
                    ("DELE", [n]) => match live(n) {
                        Some(i) => {
                            deleted.insert(i);
                            out.extend_from_slice(b"+OK marked\r\n");
                        }
                        None => out.extend_from_slice(no_such),
                    },
                    ("RSET", []) => {
                        deleted.clear();
                        out.extend_from_slice(b"+OK\r\n");
                    }
                    ("NOOP", []) => out.extend_from_slice(b"+OK\r\n"),
                    ("QUIT", []) => {
                        let gone: BTreeSet<String> = deleted.iter().map(|&i| msgs[i].uidl.clone()).collect();
                        if let Ok(mut s) = store.lock() {
                            s.messages.retain(|m| !gone.contains(&m.uidl));
                        }
                        out.extend_from_slice(format!("+OK {} messages deleted\r\n", gone.len()).as_bytes());
                        quit = true;
                    }
                    _ => out.extend_from_slice(b"-ERR unknown command or wrong arguments\r\n"),
                }
            }
        }
        writer.write_all(&out).await?;
        // Batch replies to pipelined commands: flush only when no command is waiting.
        if quit || reader.buffer().is_empty() {
            writer.flush().await?;
        }
        if quit {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_file_is_compiled_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".eml"))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, listed, "regenerate src/demo/mailbox.rs");
        assert!(listed.len() >= 12);
    }

    #[test]
    fn dot_stuffing_and_top() {
        let mut out = Vec::new();
        dot_stuff(&mut out, b"a\r\n.b\r\n.\r\n");
        assert_eq!(out, b"a\r\n..b\r\n..\r\n.\r\n");
        assert_eq!(top(b"H: 1\r\n\r\nl1\r\nl2\r\n", 0), b"H: 1\r\n\r\n");
        assert_eq!(top(b"H: 1\r\n\r\nl1\r\nl2\r\n", 1), b"H: 1\r\n\r\nl1\r\n");
        assert_eq!(to_crlf(b"a\nb\r\n"), b"a\r\nb\r\n");
    }
}
