//! The POP3 operations postie performs, built on one `Connection`: connect and
//! log in (STLS, CAPA, the chosen auth method), index the mailbox (UIDL + LIST),
//! fetch headers (`TOP n 0`) and bodies (RETR), mark and unmark (DELE, RSET).
//! Everything that can be pipelined is, when the server offers PIPELINING.

use tokio::io::AsyncWrite;

use super::codec::{
    parse_listing, parse_scan_listing, parse_stat, parse_uid_listing_shared, Command, ShareUidl,
};
use super::connection::{Connection, Pop3Error, MAX_LISTING};
use super::endpoint::{Endpoint, TlsMode};
use super::first_flight::{Extra, FirstFlight};
use super::login;
use super::pipeline::{Flow, Queued, Reply};
use super::session::{choose_oauth, AuthMethod, AuthPreference, Capabilities};
use super::Stat;
use crate::secret::Secret;

pub use super::connection::MAX_HEADER_BLOCK;
/// The most messages whose headers `open_prefetching` asks for up front.
pub const MAX_PREFETCH: u32 = 2_000_000;
/// The default `max_message_size`: a RETR larger than this is refused (1 GB).
pub const MAX_MESSAGE_SIZE: u64 = 1024 * 1024 * 1024;
/// The largest message `retr` holds in memory; larger ones go through `retr_to`.
pub const MAX_MESSAGE_IN_MEMORY: usize = 512 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub user: String,
    pub password: Secret,
    pub auth: AuthPreference,
    pub allow_insecure_auth: bool,
    /// Use PIPELINING when the server offers it (the default); false forces lock-step.
    pub pipelining: bool,
    /// Where bearer tokens come from (OAuth 2.0); None logs in with `password`.
    pub token: Option<super::sasl::Tokens>,
}

/// One message as this session numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxEntry {
    pub number: u32,
    pub size: u64,
    /// None when the server does not support UIDL. Shared, not copied,
    /// by whoever keeps it (the worker, the header cache, the list).
    pub uidl: Option<arcstr::ArcStr>,
    /// The server's UIDL line for it was unusable (over 70 characters, a
    /// control character): the message is readable this session only.
    pub bad_uidl: bool,
}

#[derive(Debug)]
pub struct Client {
    conn: Connection,
    caps: Capabilities,
    auth: AuthMethod,
    pipelined: bool,
}

impl Client {
    /// Connects, upgrades with STLS when asked, and logs in.
    pub async fn connect(cfg: &ClientConfig) -> Result<Client, Pop3Error> {
        Ok(Client::login(cfg, Extra::Nothing, |_| Flow::Continue)
            .await?
            .0)
    }

    /// Connects, logs in and reads the index (UIDL + LIST). When the server
    /// pipelines, UIDL and LIST go out behind the login commands, so the
    /// index costs no round trip of its own.
    pub async fn open(cfg: &ClientConfig) -> Result<(Client, Vec<MailboxEntry>), Pop3Error> {
        Client::open_sharing(cfg, &|_| None).await
    }

    /// `open`, with UIDLs `share` already holds taken from it instead of
    /// allocated again.
    pub async fn open_sharing(
        cfg: &ClientConfig,
        share: ShareUidl<'_>,
    ) -> Result<(Client, Vec<MailboxEntry>), Pop3Error> {
        let (mut client, unparsed) = Client::open_unparsed(cfg).await?;
        let index = client.parse_index(unparsed, share).await?;
        Ok((client, index))
    }

    /// The first half of `open_sharing`: logged in, the index asked for
    /// (and, with PIPELINING, its replies read but not yet parsed), so that
    /// whatever holds the UIDLs to share can be read meanwhile.
    pub async fn open_unparsed(cfg: &ClientConfig) -> Result<(Client, Unparsed), Pop3Error> {
        let (client, replies) = Client::login(cfg, Extra::Index, |_| Flow::Continue).await?;
        Ok((client, Unparsed(replies)))
    }

    /// The second half: the index, sharing `share`'s UIDLs.
    pub async fn parse_index(
        &mut self,
        unparsed: Unparsed,
        share: ShareUidl<'_>,
    ) -> Result<Vec<MailboxEntry>, Pop3Error> {
        match unparsed.0 {
            Some([uidl, list]) => read_index(self.conn.addr(), uidl, list, share),
            None => self.index_sharing(share).await,
        }
    }

    /// For a mailbox whose headers are all unknown (an empty cache): the
    /// login and STAT go out in one flight, and the moment STAT says how many
    /// messages there are, `TOP n 0` for the newest `early` messages, then
    /// UIDL and LIST, then `TOP n 0` for all the others follow down the same
    /// pipeline. The first screenful of headers arrives one round trip after
    /// the login, before the server has spent any time on the index, and the
    /// rest stream behind it. `on` gets the count, those early headers (keyed
    /// by this session's numbers only), the index, then each other header as
    /// it arrives; it may pause the stream (what is left is then fetched the
    /// usual way). The index is always delivered once the login succeeds:
    /// without PIPELINING, or if a pause came before it was asked for, it is
    /// read as `open` reads it, and no header is prefetched.
    pub async fn open_prefetching<F>(
        cfg: &ClientConfig,
        early: u32,
        mut on: F,
    ) -> Result<Client, Pop3Error>
    where
        F: FnMut(Arrival) -> Flow,
    {
        let mut indexed = false;
        let (mut client, _) = Client::login(cfg, Extra::Headers { early }, |arrival| {
            indexed |= matches!(arrival, Arrival::Index { .. });
            on(arrival)
        })
        .await?;
        if !indexed {
            let entries = client.index().await?;
            on(Arrival::Index {
                entries,
                auth: client.auth,
                pipelined: client.pipelined,
            });
        }
        Ok(client)
    }

    /// Logs in, then sends `extra` in one flight when the server pipelines.
    /// Returns the UIDL and LIST replies for `Extra::Index`; hands the count,
    /// the index and headers to `on` for `Extra::Headers` (and returns None).
    ///
    /// Nothing goes out behind PASS, APOP or AUTH before its reply, unless
    /// the server is known to keep it (Dovecot; Cyrus but for AUTH): then
    /// the first flight (`extra`'s first commands) rides in the login's,
    /// a round trip less. Cyrus discards what arrives with AUTH, and
    /// Courier's login process hands the connection to the mail process
    /// after PASS/AUTH, losing what it read ahead (mpop always waits).
    async fn login<F>(
        cfg: &ClientConfig,
        extra: Extra,
        on: F,
    ) -> Result<(Client, Option<[Option<Reply>; 2]>), Pop3Error>
    where
        F: FnMut(Arrival) -> Flow,
    {
        let (mut conn, capa_body) = Connection::open_with_capa(&cfg.endpoint).await?;
        let mut caps = capa_body
            .map(|b| Capabilities::parse(&b))
            .unwrap_or_default();
        if cfg.endpoint.tls == TlsMode::StartTls {
            if !caps.stls {
                return Err(Pop3Error::StartTlsUnavailable {
                    addr: cfg.endpoint.addr(),
                });
            }
            conn.starttls(&cfg.endpoint).await?;
            // RFC 2595: what was said before TLS cannot be trusted; ask again.
            caps = capa(&mut conn).await?;
        }
        let pipelined = cfg.pipelining && caps.pipelining;
        let utf8 = caps.utf8 && enable_utf8(&mut conn).await?;
        let link_secure = conn.is_tls() || conn.is_loopback();
        let extra = if pipelined { extra } else { Extra::Nothing };
        let mut flight = FirstFlight::new(extra, conn.addr().to_string(), on);
        let cmds = flight.commands();
        let (auth, answered) = match &cfg.token {
            Some(tokens) => {
                let mech = choose_oauth(cfg.auth, &caps, link_secure, cfg.allow_insecure_auth)?;
                login::with_token(&mut conn, cfg, mech, tokens).await?;
                (AuthMethod::OAuth(mech), None)
            }
            None => {
                login::with_password(&mut conn, cfg, &caps, link_secure, pipelined, &cmds).await?
            }
        };
        let rode = answered.is_some();
        tracing::info!(addr = conn.addr(), %auth, tls = conn.is_tls(), pipelined, utf8, rode, "logged in");
        flight.logged_in(auth, pipelined);
        match answered {
            // The first flight went out with the login: what its replies
            // appended follows now, numbered after them.
            Some(replies) => {
                let mut more = Vec::new();
                for (k, reply) in replies.into_iter().enumerate() {
                    if let Flow::Append(m) = flight.reply(k, reply)? {
                        more.extend(m);
                    }
                }
                if !more.is_empty() {
                    let offset = cmds.len();
                    conn.pipeline_queued(more, MAX_LISTING, true, |i, r| {
                        flight.reply(offset + i, r)
                    })
                    .await?;
                }
            }
            None if !cmds.is_empty() => {
                conn.pipeline(&cmds, MAX_LISTING, true, |i, r| flight.reply(i, r))
                    .await?;
            }
            None => {}
        }
        let client = Client {
            conn,
            caps,
            auth,
            pipelined,
        };
        let replies = (extra == Extra::Index).then_some(flight.index_replies);
        Ok((client, replies))
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    pub fn auth_method(&self) -> AuthMethod {
        self.auth
    }

    pub fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }

    pub fn is_pipelined(&self) -> bool {
        self.pipelined
    }

    pub fn connection_ref(&self) -> &Connection {
        &self.conn
    }

    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub async fn stat(&mut self) -> Result<Stat, Pop3Error> {
        let reply = self.conn.command(&Command::Stat).await?;
        parse_stat(&reply.status.text).map_err(|source| Pop3Error::Protocol {
            addr: self.conn.addr().into(),
            source,
        })
    }

    /// UIDL + LIST in one round trip (when pipelined): every message with its
    /// size and unique id, in message-number order.
    pub async fn index(&mut self) -> Result<Vec<MailboxEntry>, Pop3Error> {
        self.index_sharing(&|_| None).await
    }

    /// `index`, sharing UIDLs as `open_sharing` does.
    pub async fn index_sharing(
        &mut self,
        share: ShareUidl<'_>,
    ) -> Result<Vec<MailboxEntry>, Pop3Error> {
        let cmds = [Command::Uidl(None), Command::List(None)];
        let mut replies: [Option<Reply>; 2] = [None, None];
        self.conn
            .pipeline(&cmds, MAX_LISTING, self.pipelined, |i, r| {
                replies[i] = Some(r);
                Ok(Flow::Continue)
            })
            .await?;
        let [uidl, list] = replies;
        read_index(self.conn.addr(), uidl, list, share)
    }

    /// `TOP n 0` for each number, pipelined; `on_header` gets each header block
    /// (or the server's refusal for that message) as soon as it arrives, and may
    /// pause the stream. Returns how many numbers were done.
    pub async fn headers<F>(
        &mut self,
        numbers: &[u32],
        mut on_header: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow,
    {
        let cmds: Vec<Command> = numbers
            .iter()
            .map(|&msg| Command::Top { msg, lines: 0 })
            .collect();
        self.conn
            .pipeline(&cmds, MAX_HEADER_BLOCK, self.pipelined, |i, reply| {
                let result = reply
                    .into_result(&cmds[i])
                    .map(|r| r.body.unwrap_or_default());
                Ok(on_header(numbers[i], result))
            })
            .await
    }

    /// `RETR` for each number, pipelined; `on_message` gets each message (or
    /// the server's refusal) as soon as it is in, and may pause the stream.
    /// Each reply is held in memory while it arrives (at most `max_each`
    /// bytes): stream larger ones with `retr_to`. Returns how many were done.
    pub async fn retrieve<F>(
        &mut self,
        numbers: &[u32],
        max_each: usize,
        mut on_message: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow,
    {
        let cmds: Vec<Command> = numbers.iter().map(|&n| Command::Retr(n)).collect();
        self.conn
            .pipeline(&cmds, max_each, self.pipelined, |i, reply| {
                let result = reply
                    .into_result(&cmds[i])
                    .map(|r| r.body.unwrap_or_default());
                Ok(on_message(numbers[i], result))
            })
            .await
    }

    /// `retrieve` with at most `max_in_flight` bytes of replies (by their
    /// LIST sizes) asked for and not yet read: more RETRs go out as replies
    /// come in, so a fast server never has the client buffer more than that.
    pub async fn retrieve_sized<F>(
        &mut self,
        items: &[(u32, u64)],
        max_each: usize,
        max_in_flight: u64,
        on_message: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow,
    {
        self.retrieve_gated(items, max_each, max_in_flight, None, on_message)
            .await
    }

    /// `retrieve_sized`, reading no reply while `backlog` is over its limit.
    pub async fn retrieve_gated<F>(
        &mut self,
        items: &[(u32, u64)],
        max_each: usize,
        max_in_flight: u64,
        backlog: Option<&crate::pop3::pipeline::Backlog>,
        mut on_message: F,
    ) -> Result<usize, Pop3Error>
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow,
    {
        let mut next = 0;
        let mut in_flight = 0u64;
        let mut first = Vec::new();
        while next < items.len() && (first.is_empty() || in_flight + items[next].1 <= max_in_flight)
        {
            first.push(Command::Retr(items[next].0));
            in_flight += items[next].1;
            next += 1;
        }
        self.conn
            .pipeline_gated(&first, max_each, self.pipelined, backlog, |i, reply| {
                let Some(&(number, size)) = items.get(i) else {
                    return Ok(Flow::Continue);
                };
                in_flight = in_flight.saturating_sub(size);
                let result = reply
                    .into_result(&Command::Retr(number))
                    .map(|r| r.body.unwrap_or_default());
                if let Flow::Pause = on_message(number, result) {
                    return Ok(Flow::Pause);
                }
                let mut more = Vec::new();
                while next < items.len()
                    && (in_flight == 0 || in_flight + items[next].1 <= max_in_flight)
                {
                    more.push(Queued::One(Command::Retr(items[next].0)));
                    in_flight += items[next].1;
                    next += 1;
                }
                Ok(if more.is_empty() {
                    Flow::Continue
                } else {
                    Flow::Append(more)
                })
            })
            .await
    }

    /// The whole message, in memory. Use `retr_to` to stream a large one.
    pub async fn retr(&mut self, msg: u32) -> Result<Vec<u8>, Pop3Error> {
        let cmd = Command::Retr(msg);
        let mut body = None;
        self.conn
            .pipeline(
                std::slice::from_ref(&cmd),
                MAX_MESSAGE_IN_MEMORY,
                false,
                |_, r| {
                    body = Some(r.into_result(&cmd)?.body.unwrap_or_default());
                    Ok(Flow::Continue)
                },
            )
            .await?;
        body.ok_or(Pop3Error::Bug("no RETR reply"))
    }

    pub async fn retr_to<W: AsyncWrite + Unpin>(
        &mut self,
        msg: u32,
        sink: &mut W,
    ) -> Result<u64, Pop3Error> {
        self.conn.retr_to(msg, sink).await
    }

    /// `retr_to`, refusing a message that grows past `max` bytes (whatever
    /// LIST said): the download stops there with a clear error, the
    /// connection is out of step afterwards and must be dropped.
    pub async fn retr_to_capped<W: AsyncWrite + Unpin>(
        &mut self,
        msg: u32,
        sink: &mut W,
        max: u64,
    ) -> Result<u64, Pop3Error> {
        let mut capped = Capped {
            inner: sink,
            written: 0,
            max,
        };
        self.conn.retr_to(msg, &mut capped).await
    }

    /// Marks messages deleted (pipelined). Returns, per number, the server's
    /// refusal if it had one; the marks take effect only at QUIT.
    pub async fn dele(&mut self, numbers: &[u32]) -> Result<Vec<(u32, Pop3Error)>, Pop3Error> {
        let cmds: Vec<Command> = numbers.iter().map(|&n| Command::Dele(n)).collect();
        let mut refused = Vec::new();
        self.conn
            .pipeline(&cmds, 0, self.pipelined, |i, r| {
                if let Err(e) = r.into_result(&cmds[i]) {
                    refused.push((numbers[i], e));
                }
                Ok(Flow::Continue)
            })
            .await?;
        Ok(refused)
    }

    /// Unmarks every message marked in this session.
    pub async fn rset(&mut self) -> Result<(), Pop3Error> {
        self.conn.command(&Command::Rset).await.map(drop)
    }

    /// RSET followed by DELE of `keep`, pipelined: POP3 has no per-message
    /// undelete, so unmarking one message means unmarking all and re-marking the rest.
    pub async fn reset_marks(&mut self, keep: &[u32]) -> Result<Vec<(u32, Pop3Error)>, Pop3Error> {
        let mut cmds = vec![Command::Rset];
        cmds.extend(keep.iter().map(|&n| Command::Dele(n)));
        let mut refused = Vec::new();
        let mut rset_refused = None;
        self.conn
            .pipeline(&cmds, 0, self.pipelined, |i, r| {
                match (i, r.into_result(&cmds[i])) {
                    (0, Err(e)) => rset_refused = Some(e),
                    (_, Err(e)) => refused.push((keep[i - 1], e)),
                    _ => {}
                }
                Ok(Flow::Continue)
            })
            .await?;
        match rset_refused {
            Some(e) => Err(e),
            None => Ok(refused),
        }
    }

    pub async fn noop(&mut self) -> Result<(), Pop3Error> {
        self.conn.command(&Command::Noop).await.map(drop)
    }

    /// QUIT: the server commits the marked deletions. The only way postie deletes.
    pub async fn quit(self) -> Result<(), Pop3Error> {
        self.conn.quit().await.map(drop)
    }

    /// RSET then QUIT: leave without deleting anything, in one round trip when pipelined.
    pub async fn quit_discarding(mut self) -> Result<(), Pop3Error> {
        let cmds = [Command::Rset, Command::Quit];
        let mut refused = None;
        self.conn
            .pipeline(&cmds, 0, self.pipelined, |i, r| {
                if !r.status.is_ok() && refused.is_none() {
                    refused = Some(Pop3Error::refused(&cmds[i], r.status));
                }
                Ok(Flow::Continue)
            })
            .await?;
        match refused {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// What `open_prefetching` hands over, in order: the count, the first
/// headers, the index, then the other headers.
#[derive(Debug)]
pub enum Arrival {
    /// How many messages STAT reported.
    Count(u32),
    /// The mailbox, and how the session was opened.
    Index {
        entries: Vec<MailboxEntry>,
        auth: AuthMethod,
        pipelined: bool,
    },
    Header(u32, Result<Vec<u8>, Pop3Error>),
}

/// The UIDL and LIST replies of a login, not yet parsed (`Client::parse_index`).
pub struct Unparsed(Option<[Option<Reply>; 2]>);

/// The index from the replies to UIDL and LIST (UIDL may be refused).
pub(super) fn read_index(
    addr: &str,
    uidl: Option<Reply>,
    list: Option<Reply>,
    share: ShareUidl<'_>,
) -> Result<Vec<MailboxEntry>, Pop3Error> {
    let protocol = |source| Pop3Error::Protocol {
        addr: addr.to_string(),
        source,
    };
    let list = list
        .ok_or(Pop3Error::Bug("no LIST reply"))?
        .into_result(&Command::List(None))?;
    // One bad line does not make the mailbox unreadable: a size that cannot
    // be read is taken as 0, a line without a message number is skipped.
    let mut sizes: Vec<(u32, u64)> = parse_listing(list.body.as_deref().unwrap_or_default(), |l| {
        Ok(parse_scan_listing(l)
            .ok()
            .or_else(|| message_number(l).map(|n| (n, 0))))
    })
    .map_err(protocol)?
    .into_iter()
    .flatten()
    .collect();
    // Both listings come in message-number order from every server seen;
    // sorting is a check then, and the two are joined by one walk.
    sizes.sort_by_key(|&(n, _)| n);
    sizes.dedup_by_key(|&mut (n, _)| n);
    let mut uids = match uidl {
        Some(r) if r.status.is_ok() => {
            // An unusable UIDL line marks its message (view only); a line
            // without a message number is skipped.
            let mut uids: Vec<(u32, Option<arcstr::ArcStr>)> =
                parse_listing(r.body.as_deref().unwrap_or_default(), |l| {
                    Ok(match parse_uid_listing_shared(l, share) {
                        Ok((n, u)) => Some((n, Some(u))),
                        Err(_) => message_number(l).map(|n| (n, None)),
                    })
                })
                .map_err(protocol)?
                .into_iter()
                .flatten()
                .collect();
            uids.sort_by_key(|(n, _)| *n);
            uids.dedup_by_key(|(n, _)| *n);
            Some(uids.into_iter().peekable())
        }
        _ => None,
    };
    let has_uidl = uids.is_some();
    let entries: Vec<MailboxEntry> = sizes
        .into_iter()
        .map(|(number, size)| {
            let found = uids.as_mut().and_then(|u| {
                while u.next_if(|(n, _)| *n < number).is_some() {}
                u.next_if(|(n, _)| *n == number).map(|(_, uid)| uid)
            });
            // With UIDL, a message its listing left out or garbled is view only.
            let bad_uidl = has_uidl && !matches!(found, Some(Some(_)));
            MailboxEntry {
                number,
                size,
                uidl: found.flatten(),
                bad_uidl,
            }
        })
        .collect();
    Ok(entries)
}

/// The message number a listing line starts with, when it has one.
fn message_number(line: &str) -> Option<u32> {
    line.split_whitespace()
        .next()
        .and_then(|w| w.parse::<u32>().ok())
        .filter(|&n| n > 0)
}

/// Says `UTF8` (RFC 6856) before logging in. True when the server took it; a
/// refusal is no reason not to read the mail.
async fn enable_utf8(conn: &mut Connection) -> Result<bool, Pop3Error> {
    match conn.command(&Command::Utf8).await {
        Ok(_) => Ok(true),
        Err(e) if !e.is_fatal() => {
            tracing::info!(addr = conn.addr(), error = %e, "UTF8 refused");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

async fn capa(conn: &mut Connection) -> Result<Capabilities, Pop3Error> {
    let mut caps = Capabilities::default();
    conn.pipeline(&[Command::Capa], 64 * 1024, false, |_, reply| {
        if reply.status.is_ok() {
            caps = Capabilities::parse(reply.body.as_deref().unwrap_or_default());
        }
        Ok(Flow::Continue)
    })
    .await?;
    Ok(caps)
}

/// A writer that refuses to take more than `max` bytes in all.
struct Capped<'a, W> {
    inner: &'a mut W,
    written: u64,
    max: u64,
}

/// The words for a message over `max_message_size`.
pub fn too_large(max: u64) -> String {
    format!(
        "it is larger than max_message_size ({}); raise it in the config to read it",
        crate::text::human_size(max)
    )
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Capped<'_, W> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.written.saturating_add(data.len() as u64) > self.max {
            return std::task::Poll::Ready(Err(std::io::Error::other(too_large(self.max))));
        }
        let this = &mut *self;
        let r = std::pin::Pin::new(&mut *this.inner).poll_write(cx, data);
        if let std::task::Poll::Ready(Ok(n)) = &r {
            this.written += *n as u64;
        }
        r
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}
