//! An in-memory mailbox for the worker's tests: messages, a password, a log
//! of the commands that reached it, and faults on demand (unreachable for N
//! logins, a link that drops at the next command, a slow RETR). Marks are
//! per session and only a QUIT deletes, as RFC 1939 says.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::pop3::codec::{ResponseCode, ShareUidl};
use crate::pop3::Mailbox;
use crate::pop3::{
    Arrival, AuthMethod, AuthPreference, ClientConfig, Endpoint, Flow, MailboxEntry, Pop3Error,
    Timeouts, TlsMode,
};
use crate::secret::Secret;

/// The server's side: what it holds and how it misbehaves.
#[derive(Debug, Default)]
pub struct Server {
    /// (UIDL, bytes), in number order.
    pub messages: Vec<(String, Vec<u8>)>,
    pub password: String,
    /// The next this many logins find nobody there.
    pub unreachable: u32,
    /// The link drops at the next command.
    pub drop_next: bool,
    /// A pause between each 64 KB of a RETR.
    pub slow_retr: Option<Duration>,
    /// A pause before each `TOP` reply (a slow link).
    pub slow_top: Option<Duration>,
    /// After this many `TOP`s the server answers no more (a stalled link).
    pub stall_top_after: Option<usize>,
    /// Logins that got in.
    pub sessions: u32,
    /// Logins tried.
    pub attempts: u32,
    /// What reached the server: `DELE 2`, `QUIT`, `RSET`, `drop`...
    pub log: Vec<String>,
}

/// Servers by port: `open` finds its server from the config it is given.
static SERVERS: Mutex<Vec<(u16, Arc<Mutex<Server>>)>> = Mutex::new(Vec::new());

fn lock(s: &Mutex<Server>) -> MutexGuard<'_, Server> {
    match s.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// A server holding `messages` (UIDL, bytes), and the config to reach it.
pub fn serve(messages: &[(&str, &[u8])]) -> (Arc<Mutex<Server>>, ClientConfig) {
    let server = Arc::new(Mutex::new(Server {
        messages: messages
            .iter()
            .map(|(u, b)| (u.to_string(), b.to_vec()))
            .collect(),
        password: "right".into(),
        ..Server::default()
    }));
    let mut all = SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    let port = 10_000 + all.len() as u16;
    all.push((port, server.clone()));
    let cfg = ClientConfig {
        token: None,
        endpoint: Endpoint {
            host: "fake.invalid".into(),
            port,
            tls: TlsMode::None,
            ca_file: None,
            timeouts: Timeouts::default(),
        },
        user: "u".into(),
        password: Secret::new("right"),
        auth: AuthPreference::Auto,
        allow_insecure_auth: true,
        pipelining: true,
    };
    (server, cfg)
}

pub fn server(s: &Arc<Mutex<Server>>) -> MutexGuard<'_, Server> {
    lock(s)
}

/// One session.
pub struct Fake {
    server: Arc<Mutex<Server>>,
    /// The mailbox as this session saw it at login (RFC 1939: it does not change).
    snapshot: Vec<(String, Vec<u8>)>,
    marked: BTreeSet<u32>,
    broken: bool,
}

impl Fake {
    fn lost() -> Pop3Error {
        Pop3Error::ConnectionLost {
            addr: "fake".into(),
            reason: "reset by the test".into(),
        }
    }

    /// A command reaches the server, or the link drops under it.
    fn command(&mut self, what: String) -> Result<(), Pop3Error> {
        if self.broken {
            return Err(Fake::lost());
        }
        let mut s = lock(&self.server);
        if s.drop_next {
            s.drop_next = false;
            s.log.push("drop".into());
            self.broken = true;
            return Err(Fake::lost());
        }
        s.log.push(what);
        Ok(())
    }

    fn message(&self, n: u32) -> Result<&[u8], Pop3Error> {
        self.snapshot
            .get(n as usize - 1)
            .map(|(_, b)| b.as_slice())
            .ok_or(Pop3Error::Refused {
                command: "RETR",
                code: None,
                text: "no such message".into(),
            })
    }

    fn open(cfg: &ClientConfig) -> Result<(Fake, Vec<MailboxEntry>), Pop3Error> {
        let found = SERVERS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(p, _)| *p == cfg.endpoint.port)
            .map(|(_, s)| s.clone());
        let Some(server) = found else {
            return Err(Pop3Error::Connect {
                addr: "fake".into(),
                reason: "no such server".into(),
            });
        };
        let snapshot = {
            let mut s = lock(&server);
            s.attempts += 1;
            if s.unreachable > 0 {
                s.unreachable -= 1;
                return Err(Pop3Error::Connect {
                    addr: "fake".into(),
                    reason: "connection refused".into(),
                });
            }
            if cfg.password.expose() != s.password {
                return Err(Pop3Error::Login {
                    code: Some(ResponseCode::Auth),
                    text: "Authentication failed.".into(),
                });
            }
            s.sessions += 1;
            s.log.push("login".into());
            s.messages.clone()
        };
        let entries = snapshot
            .iter()
            .enumerate()
            .map(|(i, (u, b))| MailboxEntry {
                number: i as u32 + 1,
                size: b.len() as u64,
                uidl: Some(u.as_str().into()),
                bad_uidl: false,
            })
            .collect();
        Ok((
            Fake {
                server,
                snapshot,
                marked: BTreeSet::new(),
                broken: false,
            },
            entries,
        ))
    }
}

impl Mailbox for Fake {
    fn open_sharing(
        cfg: &ClientConfig,
        _share: ShareUidl<'_>,
    ) -> impl Future<Output = Result<(Self, Vec<MailboxEntry>), Pop3Error>> + Send {
        std::future::ready(Fake::open(cfg))
    }

    fn open_prefetching<F>(
        cfg: &ClientConfig,
        _early: u32,
        mut on: F,
    ) -> impl Future<Output = Result<Self, Pop3Error>> + Send
    where
        F: FnMut(Arrival) -> Flow + Send,
    {
        // As a server without PIPELINING: the index, and no header early.
        let opened = Fake::open(cfg).map(|(fake, entries)| {
            on(Arrival::Index {
                entries,
                auth: AuthMethod::UserPass,
                pipelined: false,
            });
            fake
        });
        std::future::ready(opened)
    }

    fn expire(&self) -> Option<String> {
        None
    }

    fn auth_method(&self) -> AuthMethod {
        AuthMethod::UserPass
    }

    fn is_pipelined(&self) -> bool {
        false
    }

    fn is_broken(&self) -> bool {
        self.broken
    }

    async fn headers<F>(&mut self, numbers: &[u32], mut on: F) -> Result<usize, Pop3Error>
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow + Send,
    {
        for (i, &n) in numbers.iter().enumerate() {
            self.command(format!("TOP {n} 0"))?;
            let (slow, stall) = {
                let s = lock(&self.server);
                (s.slow_top, s.stall_top_after)
            };
            if let Some(pause) = slow {
                tokio::time::sleep(pause).await;
            }
            if stall.is_some_and(|after| i >= after) {
                std::future::pending::<()>().await;
            }
            let head = self.message(n).map(|b| {
                let end = b
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(b.len(), |e| e + 4);
                b[..end].to_vec()
            });
            if let Flow::Pause = on(n, head) {
                return Ok(i + 1);
            }
        }
        Ok(numbers.len())
    }

    async fn retrieve<F>(
        &mut self,
        items: &[(u32, u64)],
        _max_each: usize,
        _max_in_flight: u64,
        mut on: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow + Send,
    {
        for (i, &(n, _)) in items.iter().enumerate() {
            self.command(format!("RETR {n}"))?;
            let bytes = self.message(n).map(<[u8]>::to_vec);
            if let Flow::Pause = on(n, bytes) {
                return Ok(i + 1);
            }
        }
        Ok(items.len())
    }

    async fn retrieve_to<W: AsyncWrite + Unpin + Send>(
        &mut self,
        number: u32,
        sink: &mut W,
        max: u64,
    ) -> Result<u64, Pop3Error> {
        self.command(format!("RETR {number}"))?;
        let bytes = self.message(number)?.to_vec();
        let slow = lock(&self.server).slow_retr;
        let mut written = 0u64;
        for chunk in bytes.chunks(64 * 1024) {
            if let Some(pause) = slow {
                tokio::time::sleep(pause).await;
            }
            written += chunk.len() as u64;
            if written > max {
                return Err(Pop3Error::Local("too large".into()));
            }
            sink.write_all(chunk)
                .await
                .map_err(|e| Pop3Error::Local(e.to_string()))?;
        }
        Ok(written)
    }

    async fn dele(&mut self, numbers: &[u32]) -> Result<Vec<(u32, Pop3Error)>, Pop3Error> {
        for &n in numbers {
            self.command(format!("DELE {n}"))?;
            self.marked.insert(n);
        }
        Ok(Vec::new())
    }

    async fn reset_marks(&mut self, keep: &[u32]) -> Result<Vec<(u32, Pop3Error)>, Pop3Error> {
        self.command("RSET".into())?;
        self.marked.clear();
        self.dele(keep).await
    }

    async fn noop(&mut self) -> Result<(), Pop3Error> {
        self.command("NOOP".into())
    }

    async fn probe(&mut self) -> Result<(), Pop3Error> {
        if self.broken {
            return Err(Fake::lost());
        }
        Ok(())
    }

    async fn quit(mut self) -> Result<(), Pop3Error> {
        self.command("QUIT".into())?;
        // Only now are the marked messages deleted.
        let gone: BTreeSet<String> = self
            .marked
            .iter()
            .filter_map(|&n| self.snapshot.get(n as usize - 1).map(|(u, _)| u.clone()))
            .collect();
        lock(&self.server)
            .messages
            .retain(|(u, _)| !gone.contains(u));
        Ok(())
    }

    async fn quit_discarding(mut self) -> Result<(), Pop3Error> {
        self.command("RSET".into())?;
        self.command("QUIT".into())
    }
}
