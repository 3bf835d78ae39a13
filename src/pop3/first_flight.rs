//! What follows the login down the same pipeline, and how each of its
//! replies is taken: for `open_index` UIDL and LIST; for a cold list STAT,
//! then, the moment STAT says how many messages there are, `TOP n 0` for
//! the newest `early`, UIDL and LIST, then `TOP n 0` for all the others.
//! Its replies are numbered from its first command, whether that went out
//! in the login's own flight (a server that keeps its read-ahead) or after.

use super::client::{read_index, Arrival, MAX_PREFETCH};
use super::codec::{parse_stat, Command};
use super::connection::Pop3Error;
use super::pipeline::{Flow, Queued, Reply};
use super::session::AuthMethod;

/// What rides along with the login commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Extra {
    Nothing,
    Index,
    /// STAT, then (once it is answered) TOPs for the `early` newest messages,
    /// UIDL, LIST and TOPs for the others.
    Headers {
        early: u32,
    },
}

/// The first flight's state while its replies arrive.
pub(super) struct FirstFlight<F> {
    extra: Extra,
    on: F,
    addr: String,
    auth: AuthMethod,
    pipelined: bool,
    /// What STAT said (0 until then, or when absurd).
    count: u32,
    /// How many of the newest headers come before UIDL and LIST.
    early: u32,
    /// UIDL's and LIST's replies (LIST's kept only for `Extra::Index`).
    pub(super) index_replies: [Option<Reply>; 2],
}

impl<F: FnMut(Arrival) -> Flow> FirstFlight<F> {
    pub(super) fn new(extra: Extra, addr: String, on: F) -> Self {
        FirstFlight {
            extra,
            on,
            addr,
            auth: AuthMethod::UserPass,
            pipelined: false,
            count: 0,
            early: 0,
            index_replies: [None, None],
        }
    }

    /// Its first commands (what a reply appends comes later).
    pub(super) fn commands(&self) -> Vec<Command> {
        match self.extra {
            Extra::Nothing => vec![],
            Extra::Index => vec![Command::Uidl(None), Command::List(None)],
            Extra::Headers { .. } => vec![Command::Stat],
        }
    }

    /// How the session was opened, for the index's arrival.
    pub(super) fn logged_in(&mut self, auth: AuthMethod, pipelined: bool) {
        self.auth = auth;
        self.pipelined = pipelined;
    }

    /// Reply `k` of the flight.
    pub(super) fn reply(&mut self, k: usize, reply: Reply) -> Result<Flow, Pop3Error> {
        let k = k as u32;
        let (count, early) = (self.count, self.early);
        let header = |msg: u32, reply: Reply| {
            let header = reply
                .into_result(&Command::Top { msg, lines: 0 })
                .map(|r| r.body.unwrap_or_default());
            Arrival::Header(msg, header)
        };
        match self.extra {
            Extra::Index => {
                if let Some(slot) = self.index_replies.get_mut(k as usize) {
                    *slot = Some(reply);
                }
                Ok(Flow::Continue)
            }
            Extra::Headers { early: wanted } if k == 0 => {
                // An absurd count prefetches nothing rather than queueing
                // millions of commands; the index decides.
                let count = match parse_stat(&reply.status.text) {
                    Ok(stat) if reply.status.is_ok() && stat.count <= MAX_PREFETCH => stat.count,
                    _ => 0,
                };
                let early = wanted.min(count);
                (self.count, self.early) = (count, early);
                (self.on)(Arrival::Count(count));
                Ok(Flow::Append(vec![
                    Queued::HeadersDown {
                        from: count,
                        count: early,
                    },
                    Queued::One(Command::Uidl(None)),
                    Queued::One(Command::List(None)),
                    Queued::HeadersDown {
                        from: count - early,
                        count: count - early,
                    },
                ]))
            }
            Extra::Headers { .. } if k <= early => Ok((self.on)(header(count + 1 - k, reply))),
            Extra::Headers { .. } if k == early + 1 => {
                self.index_replies[0] = Some(reply);
                Ok(Flow::Continue)
            }
            Extra::Headers { .. } if k == early + 2 => {
                let [uidl, _] = std::mem::take(&mut self.index_replies);
                let entries = read_index(&self.addr, uidl, Some(reply), &|_| None)?;
                Ok((self.on)(Arrival::Index {
                    entries,
                    auth: self.auth,
                    pipelined: self.pipelined,
                }))
            }
            Extra::Headers { .. } => Ok((self.on)(header((count + 3).saturating_sub(k), reply))),
            Extra::Nothing => Ok(Flow::Continue),
        }
    }
}
