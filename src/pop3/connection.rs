//! The only code that touches a socket: TCP, implicit TLS and STLS through
//! tokio-native-tls, timeouts on every wait, and pipelining (many commands in
//! flight, replies matched in order). Bytes go through `codec::Decoder`; state
//! through `session::Session`, which refuses illegal commands before they leave.

use std::collections::VecDeque;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_native_tls::TlsStream;

use super::codec::{BodyProgress, CodecError, Command, StatusKind, StatusLine};
use super::error::server_words;
pub use super::error::Pop3Error;
use super::session::{Greeting, Session, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum TlsMode {
    /// POP3S: TLS from the first byte (port 995).
    #[default]
    #[serde(rename = "implicit")]
    Implicit,
    /// STLS after the greeting (RFC 2595); refused if the server does not offer it.
    #[serde(rename = "starttls")]
    StartTls,
    #[serde(rename = "none")]
    None,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::Implicit => 995,
            TlsMode::StartTls | TlsMode::None => 110,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect, TLS handshake and greeting together.
    pub connect: Duration,
    /// From sending a command to its status line.
    pub command: Duration,
    /// The longest silence allowed inside a multi-line reply.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(20),
            command: Duration::from_secs(60),
            read: Duration::from_secs(60),
        }
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
    pub timeouts: Timeouts,
}

impl Endpoint {
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// What a pipeline's reply handler wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Send nothing more; the replies already in flight are still read and handed over.
    Pause,
    /// Send these too, after the rest (what to ask next depends on this reply:
    /// after STAT, the `TOP n 0` of every message).
    Append(Vec<Command>),
}

/// A reply: the status line, and for a positive multi-line reply its unstuffed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusLine,
    pub body: Option<Vec<u8>>,
}

impl Reply {
    /// The reply as a result: `-ERR` becomes `Pop3Error::Refused` for `cmd`.
    pub fn into_result(self, cmd: &Command) -> Result<Reply, Pop3Error> {
        if self.status.is_ok() {
            Ok(self)
        } else {
            Err(Pop3Error::refused(cmd, self.status))
        }
    }
}

/// Bytes of command text first allowed in flight: about 5,000 `TOP n 0`,
/// a round trip's worth of a fast server on a 50 ms link.
pub const INITIAL_WINDOW: usize = 64 * 1024;
/// The least the window shrinks to: over a thousand `TOP n 0`, enough for a
/// server on the same machine.
pub const PIPELINE_WINDOW: usize = 16 * 1024;
/// The most the window grows to on a long, fast link.
pub const MAX_PIPELINE_WINDOW: usize = 1024 * 1024;

/// The pipeline window: enough commands in flight to keep the server busy
/// across a round trip, and not many more. Two measurements size it, as TCP
/// BBR and Vegas size theirs: the shortest delay seen between a command and
/// its reply (the round trip with no queue), and the rate at which the
/// server answers (bytes of commands per second over a round trip). The
/// window grows to two round trips of that rate: while the window is what
/// limits, the rate is about the window per round trip, so it doubles each
/// round trip until the server is what limits. It shrinks when replies come
/// back well over a round trip late (they waited in a queue at the server),
/// so on a short link few commands wait there, which keeps a pause (the user
/// opening a message) quick to take effect; a slow command (UIDL of a big
/// mailbox) shrinks it only until the next round trip's rate restores it.
#[derive(Debug, Clone, Copy)]
struct Window {
    bytes: usize,
    min_delay: Option<Duration>,
    /// Bytes of commands answered since `since`.
    answered: usize,
    since: Option<Instant>,
}

impl Window {
    fn new() -> Window {
        Window {
            bytes: INITIAL_WINDOW,
            min_delay: None,
            answered: 0,
            since: None,
        }
    }

    /// Writes go out when this much of the window is free: in batches, but
    /// soon enough that the window stays nearly full.
    fn refill_below(&self) -> usize {
        self.bytes - self.bytes / 4
    }

    /// A reply arrived `delay` after its command (of `len` bytes) was sent.
    fn observe(&mut self, delay: Duration, len: usize) {
        self.observe_at(Instant::now(), delay, len);
    }

    fn observe_at(&mut self, now: Instant, delay: Duration, len: usize) {
        let base = self.min_delay.map_or(delay, |m| m.min(delay));
        self.min_delay = Some(base);
        if delay > base * 5 / 2 + Duration::from_millis(5) {
            self.bytes = self.bytes.saturating_sub(len).max(PIPELINE_WINDOW);
        }
        let since = *self.since.get_or_insert(now);
        self.answered += len;
        // The rate over at least a round trip (and 5 ms, for a clock's grain).
        let interval = now.duration_since(since);
        if interval < base.max(Duration::from_millis(5)) {
            return;
        }
        let rate = self.answered as f64 / interval.as_secs_f64();
        self.answered = 0;
        self.since = Some(now);
        let target = (2.0 * base.as_secs_f64() * rate) as usize;
        self.bytes = self.bytes.max(target).min(MAX_PIPELINE_WINDOW);
    }
}

const READ_CHUNK: usize = 64 * 1024;

pub struct Connection {
    stream: Option<Stream>,
    decoder: super::codec::Decoder,
    session: Session,
    greeting: Greeting,
    timeouts: Timeouts,
    addr: String,
    read_buf: Vec<u8>,
    /// The peer is a loopback address: cleartext never leaves this machine.
    peer_loopback: bool,
    /// Set once a reply could not be read whole: the stream is out of step.
    broken: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.addr)
            .field("state", &self.session.state())
            .field("tls", &self.session.is_tls())
            .finish()
    }
}

/// The TLS settings for `endpoint`, built once per `ca_file` for the whole
/// process, on a blocking thread: building reads the system's CA bundle
/// (about 100 ms with OpenSSL 3) and the `ca_file`, which must not happen on
/// an async task, nor again at every reconnect and new-mail check.
async fn cached_tls_connector(
    endpoint: &Endpoint,
) -> Result<tokio_native_tls::TlsConnector, Pop3Error> {
    type Cache = std::sync::Mutex<Vec<(Option<PathBuf>, tokio_native_tls::TlsConnector)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let find = |c: &Cache| -> Option<tokio_native_tls::TlsConnector> {
        let held = c.lock().unwrap_or_else(|p| p.into_inner());
        held.iter()
            .find(|(k, _)| *k == endpoint.ca_file)
            .map(|(_, v)| v.clone())
    };
    if let Some(c) = find(cache) {
        return Ok(c);
    }
    let ep = endpoint.clone();
    let built = tokio::task::spawn_blocking(move || tls_connector(&ep))
        .await
        .map_err(|e| Pop3Error::Local(format!("cannot build the TLS settings: {e}")))??;
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((endpoint.ca_file.clone(), built.clone()));
    Ok(built)
}

pub fn tls_connector(endpoint: &Endpoint) -> Result<tokio_native_tls::TlsConnector, Pop3Error> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = &endpoint.ca_file {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| Pop3Error::CaFile {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        let certs =
            native_tls::Certificate::stack_from_pem(&pem).map_err(|e| Pop3Error::CaFile {
                path: shown.clone(),
                detail: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(Pop3Error::CaFile {
                path: shown,
                detail: "no PEM certificate in the file".into(),
            });
        }
        for cert in certs {
            builder.add_root_certificate(cert);
        }
    }
    let connector = builder.build().map_err(|e| Pop3Error::TlsHandshake {
        host: endpoint.host.clone(),
        detail: e.to_string(),
    })?;
    Ok(tokio_native_tls::TlsConnector::from(connector))
}

fn tls_error(host: &str, e: native_tls::Error) -> Pop3Error {
    let detail = e.to_string();
    let lower = detail.to_ascii_lowercase();
    if lower.contains("certificate verify failed")
        || lower.contains("self-signed")
        || lower.contains("self signed")
        || lower.contains("unable to get local issuer")
        || lower.contains("hostname mismatch")
    {
        let reason = detail
            .rsplit_once(": (")
            .map(|(_, r)| r.trim_end_matches(')').to_string())
            .unwrap_or(detail);
        if lower.contains("hostname mismatch") {
            return Pop3Error::TlsWrongHost {
                host: host.to_string(),
                detail: reason,
            };
        }
        Pop3Error::TlsUntrusted {
            host: host.to_string(),
            detail: reason,
        }
    } else {
        Pop3Error::TlsHandshake {
            host: host.to_string(),
            detail,
        }
    }
}

impl Connection {
    /// Connects, does the TLS handshake for POP3S, and reads the greeting.
    /// Opens the connection and asks CAPA in the same flight as the
    /// handshake: the command goes out without waiting for the greeting (it
    /// waits in the server's input until the greeting has been sent), so the
    /// capabilities cost no round trip of their own. `None` when the server
    /// refuses CAPA (an RFC 1939-only server).
    pub async fn open_with_capa(
        endpoint: &Endpoint,
    ) -> Result<(Connection, Option<Vec<u8>>), Pop3Error> {
        let mut conn = Connection::connect(endpoint).await?;
        let cmd = Command::Capa;
        let reply = timeout(conn.timeouts.command, conn.read_reply(&cmd, 64 * 1024))
            .await
            .map_err(|_| Pop3Error::Timeout {
                what: "waiting for the CAPA reply".into(),
                secs: conn.timeouts.command.as_secs(),
            })??;
        conn.session.apply(&cmd, &reply.status);
        let body = reply.status.is_ok().then(|| reply.body.unwrap_or_default());
        Ok((conn, body))
    }

    /// TCP (and TLS for POP3S), CAPA written at once, the greeting read and checked.
    async fn connect(endpoint: &Endpoint) -> Result<Connection, Pop3Error> {
        let addr = endpoint.addr();
        let connector = match endpoint.tls {
            TlsMode::None => None,
            _ => Some(cached_tls_connector(endpoint).await?),
        };
        let deadline = endpoint.timeouts.connect;
        let secs = deadline.as_secs();
        let attempt = async {
            let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
                .await
                .map_err(|e| Pop3Error::Connect {
                    addr: addr.clone(),
                    reason: io_reason(&e),
                })?;
            let _ = tcp.set_nodelay(true);
            let peer_loopback = tcp
                .peer_addr()
                .map(|a| is_loopback(a.ip()))
                .unwrap_or(false);
            let stream = match (&endpoint.tls, &connector) {
                (TlsMode::Implicit, Some(c)) => Stream::Tls(Box::new(
                    c.connect(&endpoint.host, tcp)
                        .await
                        .map_err(|e| tls_error(&endpoint.host, e))?,
                )),
                _ => Stream::Plain(tcp),
            };
            let mut conn = Connection {
                stream: Some(stream),
                decoder: Default::default(),
                session: Session::new(endpoint.tls == TlsMode::Implicit),
                greeting: Greeting::default(),
                timeouts: endpoint.timeouts,
                addr: addr.clone(),
                read_buf: vec![0; READ_CHUNK],
                peer_loopback,
                broken: None,
            };
            let mut out = Vec::new();
            Command::Capa
                .encode(&mut out)
                .map_err(|source| Pop3Error::Protocol {
                    addr: addr.clone(),
                    source,
                })?;
            conn.write(&out).await?;
            let status = conn.read_status().await?;
            match status.kind {
                StatusKind::Ok => conn.greeting = Greeting { text: status.text },
                _ => {
                    return Err(Pop3Error::Connect {
                        addr: addr.clone(),
                        reason: format!(
                            "server refused the session: {}",
                            server_words(&status.code(), &status.text)
                        ),
                    })
                }
            }
            Ok(conn)
        };
        match timeout(deadline, attempt).await {
            Ok(result) => result,
            Err(_) => Err(Pop3Error::Connect {
                addr,
                reason: format!("no greeting within {secs} s"),
            }),
        }
    }

    pub fn greeting(&self) -> &Greeting {
        &self.greeting
    }

    pub fn state(&self) -> State {
        self.session.state()
    }

    pub fn is_tls(&self) -> bool {
        self.session.is_tls()
    }

    /// The address we actually reached is loopback (whatever name was configured).
    pub fn is_loopback(&self) -> bool {
        self.peer_loopback
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Upgrades the link with STLS. Whatever was buffered before the handshake is
    /// thrown away, so a man in the middle cannot inject replies in cleartext.
    pub async fn starttls(&mut self, endpoint: &Endpoint) -> Result<(), Pop3Error> {
        let connector = cached_tls_connector(endpoint).await?;
        self.command(&Command::Stls).await?;
        self.decoder.discard_buffered();
        let Some(Stream::Plain(tcp)) = self.stream.take() else {
            return Err(Pop3Error::Bug("STLS on a link that is not plain TCP"));
        };
        let secs = self.timeouts.connect.as_secs();
        let tls = match timeout(
            self.timeouts.connect,
            connector.connect(&endpoint.host, tcp),
        )
        .await
        {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => return Err(self.fail(tls_error(&endpoint.host, e))),
            Err(_) => {
                return Err(self.fail(Pop3Error::Timeout {
                    what: "in the TLS handshake after STLS".into(),
                    secs,
                }))
            }
        };
        self.stream = Some(Stream::Tls(Box::new(tls)));
        self.session.set_tls();
        Ok(())
    }

    /// Sends one command and reads its reply; `-ERR` becomes `Pop3Error::Refused`.
    pub async fn command(&mut self, cmd: &Command) -> Result<Reply, Pop3Error> {
        let mut reply = None;
        self.pipeline(std::slice::from_ref(cmd), MAX_LISTING, true, |_, r| {
            reply = Some(r);
            Ok(Flow::Continue)
        })
        .await?;
        let reply = reply.ok_or(Pop3Error::Bug("no reply recorded"))?;
        reply.into_result(cmd)
    }

    /// Sends `cmds` and hands each reply to `on_reply` in order, with its index.
    ///
    /// With `pipelined`, commands are written ahead while earlier replies are
    /// still arriving, as many bytes of commands in flight as the `Window` allows;
    /// without, one command per round trip. The replies are the same either way.
    /// A `-ERR` reply is passed on, not turned into an error. `Flow::Pause` from
    /// `on_reply` stops sending; an error does too and is returned; either way
    /// what is in flight is read first, so the connection stays in step.
    /// Returns how many commands were sent and answered.
    pub async fn pipeline<F>(
        &mut self,
        cmds: &[Command],
        max_body: usize,
        pipelined: bool,
        mut on_reply: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(usize, Reply) -> Result<Flow, Pop3Error>,
    {
        self.usable()?;
        self.session.check_batch(cmds)?;
        self.probe().await?;
        let mut next = 0;
        // (command, its bytes, when sent, whether it went out behind others)
        let mut in_flight: VecDeque<(usize, usize, Instant, bool)> = VecDeque::new();
        let mut in_flight_bytes = 0;
        let mut window = Window::new();
        let mut stop: Option<Pop3Error> = None;
        let mut paused = false;
        let mut out = Vec::new();
        let mut cmds = std::borrow::Cow::Borrowed(cmds);
        loop {
            if stop.is_none()
                && !paused
                && (in_flight.is_empty() || (pipelined && in_flight_bytes <= window.refill_below()))
            {
                out.clear();
                while next < cmds.len() {
                    let before = out.len();
                    cmds[next]
                        .encode(&mut out)
                        .map_err(|source| Pop3Error::Protocol {
                            addr: self.addr.clone(),
                            source,
                        })?;
                    let len = out.len() - before;
                    let ahead = !in_flight.is_empty();
                    in_flight.push_back((next, len, Instant::now(), ahead));
                    in_flight_bytes += len;
                    next += 1;
                    let after_state_change =
                        matches!(cmds[next - 1], Command::Quit | Command::Stls);
                    if !pipelined || in_flight_bytes >= window.bytes || after_state_change {
                        break;
                    }
                }
                if !out.is_empty() {
                    let data = std::mem::take(&mut out);
                    self.write_reading(&data).await?;
                    out = data;
                }
            }
            let Some((idx, len, sent, ahead)) = in_flight.pop_front() else {
                break;
            };
            in_flight_bytes -= len;
            let cmd = &cmds[idx];
            // A header block has its own bound, whatever else shares the batch.
            let limit = match cmd {
                Command::Top { .. } => max_body.min(MAX_HEADER_BLOCK),
                _ => max_body,
            };
            let reply = match self.read_reply(cmd, limit).await {
                // A server that offers PIPELINING but answers only one command
                // at a time waits for ever behind the others: say what helps.
                Err(Pop3Error::Timeout { what, secs })
                    if pipelined && (ahead || !in_flight.is_empty()) =>
                {
                    return Err(Pop3Error::Timeout {
                        what: format!(
                            "{what} to a command sent ahead of others (if this server offers PIPELINING but does not really do it, set pipelining = false for the account)"
                        ),
                        secs,
                    });
                }
                other => other?,
            };
            if pipelined {
                window.observe(sent.elapsed(), len);
            }
            self.session.apply(cmd, &reply.status);
            if stop.is_none() {
                match on_reply(idx, reply) {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Pause) => paused = true,
                    Ok(Flow::Append(more)) => match self.session.check_batch(&more) {
                        Ok(()) => cmds.to_mut().extend(more),
                        Err(e) => stop = Some(e.into()),
                    },
                    Err(e) => stop = Some(e),
                }
            }
            if matches!(self.session.state(), State::Update | State::Closed) {
                break;
            }
        }
        match stop {
            Some(e) => Err(e),
            None => Ok(next),
        }
    }

    /// RETR streamed into `sink`: memory stays at one read chunk whatever the
    /// message size. Returns the number of bytes written.
    pub async fn retr_to<W: AsyncWrite + Unpin>(
        &mut self,
        msg: u32,
        sink: &mut W,
    ) -> Result<u64, Pop3Error> {
        self.usable()?;
        let cmd = Command::Retr(msg);
        self.session.check(&cmd)?;
        self.probe().await?;
        let mut line = Vec::new();
        cmd.encode(&mut line)
            .map_err(|source| Pop3Error::Protocol {
                addr: self.addr.clone(),
                source,
            })?;
        self.write(&line).await?;
        let status = self.read_status().await?;
        if !status.is_ok() {
            return Err(Pop3Error::refused(&cmd, status));
        }
        let mut chunk = Vec::with_capacity(READ_CHUNK * 2);
        let mut total = 0u64;
        let mut pace = Pace::new();
        loop {
            let progress = self
                .decoder
                .body(&mut chunk)
                .map_err(|e| self.protocol(e))?;
            if chunk.len() >= READ_CHUNK || (progress == BodyProgress::Done && !chunk.is_empty()) {
                if let Err(e) = sink.write_all(&chunk).await {
                    // The reply is still arriving; the connection is out of step now.
                    return Err(
                        self.fail(Pop3Error::Local(format!("cannot keep the message: {e}")))
                    );
                }
                total += chunk.len() as u64;
                chunk.clear();
            }
            if progress == BodyProgress::Done {
                break;
            }
            self.fill_body(&mut pace, "waiting for the rest of RETR")
                .await?;
        }
        sink.flush()
            .await
            .map_err(|e| Pop3Error::Local(format!("cannot write the message: {e}")))?;
        Ok(total)
    }

    /// QUIT: in TRANSACTION this commits the deletions (UPDATE state).
    pub async fn quit(mut self) -> Result<StatusLine, Pop3Error> {
        let reply = self.command(&Command::Quit).await?;
        if let Some(mut s) = self.stream.take() {
            let _ = timeout(Duration::from_secs(2), s.shutdown()).await;
        }
        Ok(reply.status)
    }

    /// Between commands the server has nothing to say; anything it did say, or
    /// a closed socket, means the session is over (Dovecot, for one, sends
    /// `-ERR [SYS/TEMP] Server shutting down.` and closes when a session is
    /// kicked). Checked without waiting before every command, so such a line is
    /// never mistaken for the reply to the next one. The worker also calls this
    /// while idle to notice a dropped connection.
    pub async fn probe(&mut self) -> Result<(), Pop3Error> {
        self.usable()?;
        if self.decoder.buffered() == 0 {
            let Some(stream) = self.stream.as_mut() else {
                return Err(self.fail(Pop3Error::Local("not connected".into())));
            };
            // A zero timeout polls the read once: data or EOF if present, else nothing.
            match timeout(Duration::ZERO, stream.read(&mut self.read_buf)).await {
                Err(_) => return Ok(()),
                Ok(Ok(0)) => {
                    let e = Pop3Error::ConnectionLost {
                        addr: self.addr.clone(),
                        reason: "the server closed the connection".into(),
                    };
                    return Err(self.fail(e));
                }
                Ok(Ok(n)) => self.decoder.feed(&self.read_buf[..n]),
                Ok(Err(e)) => {
                    let e = Pop3Error::ConnectionLost {
                        addr: self.addr.clone(),
                        reason: io_reason(&e),
                    };
                    return Err(self.fail(e));
                }
            }
        }
        let reason = match self.decoder.status() {
            Ok(Some(s)) => format!(
                "the server ended the session: {}",
                server_words(&s.code(), &s.text)
            ),
            Ok(None) => "the server sent data nobody asked for".into(),
            Err(e) => format!("the server sent data nobody asked for: {e}"),
        };
        Err(self.fail(Pop3Error::ConnectionLost {
            addr: self.addr.clone(),
            reason,
        }))
    }

    /// A failure has left the session out of step: it cannot be used again.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    fn usable(&self) -> Result<(), Pop3Error> {
        match &self.broken {
            Some(reason) => Err(Pop3Error::ConnectionLost {
                addr: self.addr.clone(),
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    fn fail(&mut self, e: Pop3Error) -> Pop3Error {
        self.broken.get_or_insert_with(|| e.to_string());
        self.session.close();
        e
    }

    fn protocol(&mut self, source: CodecError) -> Pop3Error {
        let e = Pop3Error::Protocol {
            addr: self.addr.clone(),
            source,
        };
        self.fail(e)
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), Pop3Error> {
        let secs = self.timeouts.command.as_secs();
        let Some(stream) = self.stream.as_mut() else {
            return Err(self.fail(Pop3Error::Local("not connected".into())));
        };
        let result = timeout(self.timeouts.command, async {
            stream.write_all(data).await?;
            stream.flush().await
        })
        .await;
        self.written(result, secs)
    }

    /// The outcome of a timed write, as the session's error.
    fn written(
        &mut self,
        result: Result<io::Result<()>, tokio::time::error::Elapsed>,
        secs: u64,
    ) -> Result<(), Pop3Error> {
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                let e = Pop3Error::ConnectionLost {
                    addr: self.addr.clone(),
                    reason: io_reason(&e),
                };
                Err(self.fail(e))
            }
            Err(_) => Err(self.fail(Pop3Error::Timeout {
                what: "sending a command".into(),
                secs,
            })),
        }
    }

    /// Writes `data`, reading whatever the server sends meanwhile into the
    /// decoder: when the server will not read more commands until its replies
    /// are taken, a write that only waited would wait for ever.
    async fn write_reading(&mut self, data: &[u8]) -> Result<(), Pop3Error> {
        let secs = self.timeouts.command.as_secs();
        let limit = self.timeouts.command;
        let mut sent = 0;
        while sent < data.len() {
            let Some(stream) = self.stream.as_mut() else {
                return Err(self.fail(Pop3Error::Local("not connected".into())));
            };
            let read_buf = &mut self.read_buf;
            let step = std::future::poll_fn(|cx| {
                let mut pinned = Pin::new(&mut *stream);
                if let Poll::Ready(r) = pinned.as_mut().poll_write(cx, &data[sent..]) {
                    return Poll::Ready(r.map(Progress::Wrote));
                }
                let mut buf = ReadBuf::new(read_buf);
                match pinned.poll_read(cx, &mut buf) {
                    Poll::Ready(Ok(())) => Poll::Ready(Ok(Progress::Read(buf.filled().len()))),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            });
            match timeout(limit, step).await {
                Ok(Ok(Progress::Wrote(n))) if n > 0 => sent += n,
                Ok(Ok(Progress::Read(n))) if n > 0 => self.decoder.feed(&self.read_buf[..n]),
                Ok(Ok(_)) => {
                    let e = Pop3Error::ConnectionLost {
                        addr: self.addr.clone(),
                        reason: "the server closed the connection".into(),
                    };
                    return Err(self.fail(e));
                }
                // An I/O error or the time limit: as for any write.
                failed => return self.written(failed.map(|r| r.map(drop)), secs),
            }
        }
        let flushed = match self.stream.as_mut() {
            Some(stream) => timeout(limit, stream.flush()).await,
            None => return Err(self.fail(Pop3Error::Local("not connected".into()))),
        };
        self.written(flushed, secs)
    }

    async fn fill(&mut self, limit: Duration, what: &str) -> Result<(), Pop3Error> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(self.fail(Pop3Error::Local("not connected".into())));
        };
        match timeout(limit, stream.read(&mut self.read_buf)).await {
            Ok(Ok(0)) => {
                let e = Pop3Error::ConnectionLost {
                    addr: self.addr.clone(),
                    reason: "the server closed the connection".into(),
                };
                Err(self.fail(e))
            }
            Ok(Ok(n)) => {
                self.decoder.feed(&self.read_buf[..n]);
                Ok(())
            }
            Ok(Err(e)) => {
                let e = Pop3Error::ConnectionLost {
                    addr: self.addr.clone(),
                    reason: io_reason(&e),
                };
                Err(self.fail(e))
            }
            Err(_) => {
                let e = Pop3Error::Timeout {
                    what: what.to_string(),
                    secs: limit.as_secs(),
                };
                Err(self.fail(e))
            }
        }
    }

    /// A status line, within `command_timeout` for the whole line: a server
    /// that trickles it a byte at a time does not restart the clock.
    async fn read_status(&mut self) -> Result<StatusLine, Pop3Error> {
        let deadline = Instant::now() + self.timeouts.command;
        loop {
            match self.decoder.status() {
                Ok(Some(s)) => return Ok(s),
                Ok(None) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let what = "waiting for the server's reply";
                    let secs = self.timeouts.command.as_secs();
                    let timed_out = move || Pop3Error::Timeout {
                        what: what.into(),
                        secs,
                    };
                    if left.is_zero() {
                        let e = timed_out();
                        return Err(self.fail(e));
                    }
                    match self.fill(left, what).await {
                        // Reported against the whole limit, not what was left of it.
                        Err(Pop3Error::Timeout { .. }) => return Err(timed_out()),
                        other => other?,
                    }
                }
                Err(e) => return Err(self.protocol(e)),
            }
        }
    }

    /// More of a multi-line reply: within `read_timeout` of silence, and, once
    /// `read_timeout` has passed, at `MIN_RATE` on average (a server that
    /// trickles a body cannot hold the session for ever).
    async fn fill_body(&mut self, pace: &mut Pace, what: &str) -> Result<(), Pop3Error> {
        let before = self.decoder.buffered();
        self.fill(self.timeouts.read, what).await?;
        pace.bytes += self.decoder.buffered().saturating_sub(before) as u64;
        let elapsed = pace.start.elapsed();
        if elapsed > self.timeouts.read && (pace.bytes as f64) < MIN_RATE * elapsed.as_secs_f64() {
            let e = Pop3Error::Timeout {
                what: format!(
                    "{what}: the server sent {} bytes in {} s, slower than {} bytes a second",
                    pace.bytes,
                    elapsed.as_secs(),
                    MIN_RATE as u64
                ),
                secs: elapsed.as_secs(),
            };
            return Err(self.fail(e));
        }
        Ok(())
    }

    async fn read_reply(&mut self, cmd: &Command, max_body: usize) -> Result<Reply, Pop3Error> {
        let status = self.read_status().await?;
        if status.kind == StatusKind::Continuation && !matches!(cmd, Command::AuthPlain(_)) {
            return Err(self.protocol(CodecError::BadStatus(format!("+ {}", status.text))));
        }
        if !(status.is_ok() && cmd.is_multiline()) {
            return Ok(Reply { status, body: None });
        }
        let mut body = Vec::new();
        let mut pace = Pace::new();
        loop {
            match self.decoder.body(&mut body) {
                Ok(BodyProgress::Done) => {
                    return Ok(Reply {
                        status,
                        body: Some(body),
                    })
                }
                Ok(BodyProgress::NeedMore) if body.len() > max_body => {
                    let e = Pop3Error::TooLarge {
                        command: cmd.name(),
                        limit: max_body,
                    };
                    return Err(self.fail(e));
                }
                Ok(BodyProgress::NeedMore) => {
                    let what = format!("waiting for the rest of the {} reply", cmd.name());
                    self.fill_body(&mut pace, &what).await?
                }
                Err(e) => return Err(self.protocol(e)),
            }
        }
    }
}

/// The slowest a multi-line reply may arrive, on average, once
/// `read_timeout` has passed: 256 bytes a second (a 2G link does 5,000).
pub const MIN_RATE: f64 = 256.0;

/// How fast a multi-line reply is arriving.
struct Pace {
    start: Instant,
    bytes: u64,
}

impl Pace {
    fn new() -> Pace {
        Pace {
            start: Instant::now(),
            bytes: 0,
        }
    }
}

/// What one step of `write_reading` did.
enum Progress {
    Wrote(usize),
    Read(usize),
}

/// The most header bytes `TOP n 0` may return before postie stops trusting the reply.
pub const MAX_HEADER_BLOCK: usize = 4 * 1024 * 1024;

/// The largest in-memory multi-line reply: a 1,000,000-message UIDL listing fits.
pub const MAX_LISTING: usize = 128 * 1024 * 1024;

fn is_loopback(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
        v4 => v4.is_loopback(),
    }
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running, and is the port right?)".into()
        }
        io::ErrorKind::ConnectionReset => "connection reset by the server".into(),
        io::ErrorKind::TimedOut => "timed out".into(),
        _ => e.to_string(),
    }
}

impl Connection {
    /// Answers a SASL continuation with `*` (RFC 5034: cancel) and reads the `-ERR`.
    pub async fn cancel_sasl(&mut self) -> Result<StatusLine, Pop3Error> {
        self.write(b"*\r\n").await?;
        self.read_status().await
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    /// Commands of `len` bytes through a link of round trip `rtt` to a server
    /// answering `rate` bytes of commands per second, written the way
    /// `pipeline` writes them (refilled below `Window::refill_below`).
    /// Returns the window after `total` commands, and the longest any command
    /// of the second half (once the window has settled) waited at the server.
    fn simulate(rtt: Duration, rate: f64, total: usize) -> (usize, Duration) {
        simulate_with(rtt, rate, total, None)
    }

    /// As `simulate`, with one command (number, seconds) much slower than
    /// the others, as UIDL of a big mailbox is.
    fn simulate_with(
        rtt: Duration,
        rate: f64,
        total: usize,
        slow: Option<(usize, f64)>,
    ) -> (usize, Duration) {
        let len = 13;
        let start = Instant::now();
        let mut w = Window::new();
        let mut now = Duration::ZERO;
        let mut server_free = Duration::ZERO;
        let mut in_flight: VecDeque<(Duration, Duration)> = VecDeque::new(); // (sent, answered)
        let (mut sent, mut done) = (0, 0);
        let mut longest_wait = Duration::ZERO;
        while done < total {
            if in_flight.is_empty() || in_flight.len() * len <= w.refill_below() {
                while sent < total && in_flight.len() * len < w.bytes {
                    let arrives = now + rtt / 2;
                    let begins = arrives.max(server_free);
                    if sent > total / 2 {
                        longest_wait = longest_wait.max(begins - arrives);
                    }
                    let work = match slow {
                        Some((n, secs)) if n == sent => secs,
                        _ => len as f64 / rate,
                    };
                    server_free = begins + Duration::from_secs_f64(work);
                    in_flight.push_back((now, server_free + rtt / 2));
                    sent += 1;
                }
            }
            let Some((at, back)) = in_flight.pop_front() else {
                break;
            };
            now = now.max(back);
            w.observe_at(start + now, now - at, len);
            done += 1;
        }
        (w.bytes, longest_wait)
    }

    #[test]
    fn a_long_link_to_a_fast_server_opens_the_window_to_two_round_trips_of_its_pace() {
        // 50 ms round trip, 100,000 TOPs a second.
        let rate = 13.0 * 100_000.0;
        let (bytes, wait) = simulate(Duration::from_millis(50), rate, 200_000);
        let two_rtts = 2.0 * 0.05 * rate;
        assert!(
            (bytes as f64) > 0.8 * two_rtts && (bytes as f64) < 1.3 * two_rtts,
            "window {bytes}, two round trips of the server {two_rtts}"
        );
        // Commands queue at the server for about a round trip, no more.
        assert!(wait < Duration::from_millis(120), "waited {wait:?}");
    }

    #[test]
    fn a_slow_command_does_not_leave_the_window_shut() {
        // UIDL of 100,000 messages: 150 ms of the server's time, early on.
        let rate = 13.0 * 100_000.0;
        let slow = Some((100, 0.150));
        let (bytes, _) = simulate_with(Duration::from_millis(50), rate, 100_000, slow);
        assert!(
            bytes as f64 > 0.8 * 2.0 * 0.05 * rate,
            "window {bytes} after the slow command"
        );
    }

    #[test]
    fn a_local_server_keeps_the_window_small() {
        let (bytes, wait) = simulate(Duration::from_micros(100), 13.0 * 100_000.0, 50_000);
        assert_eq!(bytes, PIPELINE_WINDOW);
        assert!(wait < Duration::from_millis(20), "waited {wait:?}");
    }

    #[test]
    fn a_slow_server_on_a_long_link_gets_no_more_than_it_can_use() {
        // 2,000 commands a second: two round trips' worth is 200 commands.
        let (bytes, _) = simulate(Duration::from_millis(50), 13.0 * 2_000.0, 5_000);
        assert_eq!(bytes, PIPELINE_WINDOW);
    }
}
