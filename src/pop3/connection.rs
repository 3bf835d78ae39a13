//! The only code that touches a socket: TCP, implicit TLS and STLS through
//! tokio-native-tls, timeouts on every wait, and pipelining (many commands in
//! flight, replies matched in order). Bytes go through `codec::Decoder`; state
//! through `session::Session`, which refuses illegal commands before they leave.

use super::codec::{BodyProgress, CodecError, Command, StatusKind, StatusLine};
use super::endpoint::{Endpoint, Timeouts, TlsMode};
use super::error::server_words;
pub use super::error::Pop3Error;
use super::pipeline::{Backlog, Flow, Queue, Queued, Reply, Window};
use super::session::{Greeting, Session, State};
use super::tls::{cached_tls_connector, tls_error, Stream};
use rust_i18n::t;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Bytes set aside for a `TOP n 0` reply before it is read.
const HEADER_ROOM: usize = 4096;
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
    /// When CAPA went out behind the handshake (until its reply is read).
    capa_sent: Option<Instant>,
    /// The shortest time a reply took: the round trip with no queue (CAPA's,
    /// then what pipelines measured).
    round_trip: Option<Duration>,
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
                what: t!("timeout.capa").into(),
                secs: conn.timeouts.command.as_secs(),
            })??;
        conn.session.apply(&cmd, &reply.status);
        conn.round_trip = conn.capa_sent.take().map(|t| t.elapsed());
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
                capa_sent: None,
                round_trip: None,
            };
            let mut out = Vec::new();
            Command::Capa
                .encode(&mut out)
                .map_err(|source| Pop3Error::Protocol {
                    addr: addr.clone(),
                    source,
                })?;
            conn.write(&out).await?;
            conn.capa_sent = Some(Instant::now());
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
                reason: t!("timeout.no_greeting", secs = secs).into(),
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
                    what: t!("timeout.stls_handshake").into(),
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
        on_reply: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(usize, Reply) -> Result<Flow, Pop3Error>,
    {
        self.pipeline_gated(cmds, max_body, pipelined, None, on_reply)
            .await
    }

    /// `pipeline`, reading no reply while `backlog` is over its limit.
    pub async fn pipeline_gated<F>(
        &mut self,
        cmds: &[Command],
        max_body: usize,
        pipelined: bool,
        backlog: Option<&Backlog>,
        on_reply: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(usize, Reply) -> Result<Flow, Pop3Error>,
    {
        self.usable()?;
        self.session.check_batch(cmds)?;
        let (queue, window) = (Queue::new(cmds), Window::new());
        self.run_pipeline(queue, window, max_body, pipelined, backlog, on_reply)
            .await
    }

    /// `pipeline` of what a reply read elsewhere asked to append (the
    /// first flight's STAT, when it rode with the login): replies are
    /// numbered from 0 in `more`, and the window starts knowing the round
    /// trip this connection measured.
    pub async fn pipeline_queued<F>(
        &mut self,
        more: Vec<Queued>,
        max_body: usize,
        pipelined: bool,
        on_reply: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(usize, Reply) -> Result<Flow, Pop3Error>,
    {
        self.usable()?;
        self.session.check_batch(&Queue::samples(&more))?;
        let (queue, window) = (Queue::of(more), Window::knowing(self.round_trip));
        self.run_pipeline(queue, window, max_body, pipelined, None, on_reply)
            .await
    }

    async fn run_pipeline<F>(
        &mut self,
        mut queue: Queue<'_>,
        mut window: Window,
        max_body: usize,
        pipelined: bool,
        backlog: Option<&Backlog>,
        mut on_reply: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(usize, Reply) -> Result<Flow, Pop3Error>,
    {
        self.probe().await?;
        let mut next = 0;
        // (command, its bytes, when sent, whether it went out behind others)
        let mut in_flight: VecDeque<(usize, usize, Instant, bool)> = VecDeque::new();
        let mut in_flight_bytes = 0;
        let mut stop: Option<Pop3Error> = None;
        let mut paused = false;
        let mut out = Vec::new();
        let missing = || Pop3Error::Bug("a pipeline's command out of its queue");
        loop {
            if stop.is_none()
                && !paused
                && (in_flight.is_empty() || (pipelined && in_flight_bytes <= window.refill_below()))
            {
                out.clear();
                while next < queue.len() {
                    let before = out.len();
                    let cmd = queue.get(next).ok_or_else(missing)?;
                    cmd.encode(&mut out).map_err(|source| Pop3Error::Protocol {
                        addr: self.addr.clone(),
                        source,
                    })?;
                    let len = out.len() - before;
                    let ahead = !in_flight.is_empty();
                    in_flight.push_back((next, len, Instant::now(), ahead));
                    in_flight_bytes += len;
                    next += 1;
                    let after_state_change = matches!(*cmd, Command::Quit | Command::Stls);
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
            let cmd = queue.get(idx).ok_or_else(missing)?;
            let cmd = &*cmd;
            // A header block has its own bound, whatever else shares the batch.
            let limit = match cmd {
                Command::Top { .. } => max_body.min(MAX_HEADER_BLOCK),
                _ => max_body,
            };
            if let Some(b) = backlog {
                b.wait().await;
            }
            let reply = match self.read_reply(cmd, limit).await {
                // A server that offers PIPELINING but answers only one command
                // at a time waits for ever behind the others: say what helps.
                // (Silence at the first command of a flight is no such sign.)
                Err(Pop3Error::Timeout { what, secs }) if pipelined && ahead => {
                    return Err(Pop3Error::Timeout {
                        what: t!("timeout.pipelined", what = what).into(),
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
                    Ok(Flow::Append(more)) => {
                        match self.session.check_batch(&Queue::samples(&more)) {
                            Ok(()) => queue.append(more),
                            Err(e) => stop = Some(e.into()),
                        }
                    }
                    Err(e) => stop = Some(e),
                }
            }
            if matches!(self.session.state(), State::Update | State::Closed) {
                break;
            }
        }
        if let Some(measured) = window.round_trip() {
            self.round_trip = Some(self.round_trip.map_or(measured, |r| r.min(measured)));
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
            self.fill_body(&mut pace, &t!("timeout.rest_of_retr"))
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
                what: t!("timeout.sending").into(),
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
                    let what = t!("timeout.reply").into_owned();
                    let secs = self.timeouts.command.as_secs();
                    let said = what.clone();
                    let timed_out = move || Pop3Error::Timeout {
                        what: said.clone(),
                        secs,
                    };
                    if left.is_zero() {
                        let e = timed_out();
                        return Err(self.fail(e));
                    }
                    match self.fill(left, &what).await {
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
        let sasl = matches!(
            cmd,
            Command::AuthPlain(_) | Command::Auth { .. } | Command::SaslResponse(_)
        );
        if status.kind == StatusKind::Continuation && !sasl {
            return Err(self.protocol(CodecError::BadStatus(format!("+ {}", status.text))));
        }
        if !(status.is_ok() && cmd.is_multiline()) {
            return Ok(Reply { status, body: None });
        }
        // A header block is read and dropped at once: room for a usual one
        // up front (not a dozen doublings), never shrunk.
        let header = matches!(cmd, Command::Top { .. });
        let mut body = Vec::with_capacity(if header { HEADER_ROOM } else { 0 });
        let mut pace = Pace::new();
        loop {
            match self.decoder.body(&mut body) {
                Ok(BodyProgress::Done) => {
                    // Grown by doubling: kept at its size (a fetch holds
                    // many replies while the disk catches up).
                    if !header {
                        body.shrink_to_fit();
                    }
                    return Ok(Reply {
                        status,
                        body: Some(body),
                    });
                }
                Ok(BodyProgress::NeedMore) if body.len() > max_body => {
                    let e = Pop3Error::TooLarge {
                        command: cmd.name(),
                        limit: max_body,
                    };
                    return Err(self.fail(e));
                }
                Ok(BodyProgress::NeedMore) => {
                    let what = t!("timeout.rest_of", command = cmd.name());
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
