//! POP3 on the wire, without I/O: commands become bytes, bytes become status
//! lines and dot-unstuffed multi-line bodies. `connection` feeds this decoder
//! with whatever the socket gives it; nothing here knows about sockets.

use std::fmt;

use crate::secret::Secret;

/// Longest status line we accept (RFC 2449 allows 512 octets; real servers add more text).
pub const MAX_STATUS_LINE: usize = 8 * 1024;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CodecError {
    #[error("server sent a status line longer than {MAX_STATUS_LINE} bytes")]
    LineTooLong,
    #[error("server sent a malformed status line: {0:?}")]
    BadStatus(String),
    #[error("malformed {what} in server reply: {line:?}")]
    BadListing { what: &'static str, line: String },
    #[error("{0} may not contain CR, LF or NUL")]
    BadArgument(&'static str),
    #[error("{0} may not be empty")]
    EmptyArgument(&'static str),
    #[error("message numbers start at 1")]
    ZeroMessageNumber,
}

/// APOP's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApopLogin {
    pub user: String,
    pub digest: String,
}

/// Every command postie sends: RFC 1939, CAPA (RFC 2449), STLS (RFC 2595), AUTH PLAIN (RFC 5034).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(Secret),
    /// Boxed: the rare variant stays out of the way of the many `TOP n 0`
    /// a big mailbox queues (32 bytes a command instead of 48).
    Apop(Box<ApopLogin>),
    /// AUTH PLAIN with its initial response (the base64 SASL message).
    AuthPlain(Secret),
    /// AUTH with a bearer-token mechanism (`OAUTHBEARER`, `XOAUTH2`); the
    /// initial response rides on the line only when it fits (RFC 5034).
    Auth {
        mech: &'static str,
        initial: Option<Secret>,
    },
    /// A line answering the server's `+` challenge during AUTH (base64, or
    /// empty).
    SaslResponse(Secret),
    Capa,
    Stls,
    /// RFC 6856: ask for UTF-8 headers as they are (Courier otherwise
    /// replaces a message with raw 8-bit headers by a notice).
    Utf8,
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Top {
        msg: u32,
        lines: u32,
    },
    Retr(u32),
    Dele(u32),
    Rset,
    Noop,
    Quit,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop(_) => "APOP",
            Command::AuthPlain(_) => "AUTH PLAIN",
            Command::Auth { .. } => "AUTH",
            Command::SaslResponse(_) => "SASL response",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Uidl(_) => "UIDL",
            Command::Top { .. } => "TOP",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Utf8 => "UTF8",
            Command::Quit => "QUIT",
        }
    }

    /// Whether a positive reply carries a multi-line body after the status line.
    pub fn is_multiline(&self) -> bool {
        matches!(
            self,
            Command::Capa
                | Command::List(None)
                | Command::Uidl(None)
                | Command::Top { .. }
                | Command::Retr(_)
        )
    }

    /// Appends the command line, CRLF included, to `out`. Arguments that could
    /// smuggle a second command (CR, LF) or truncate one (NUL) are refused.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        fn arg(what: &'static str, s: &str) -> Result<(), CodecError> {
            if s.is_empty() {
                return Err(CodecError::EmptyArgument(what));
            }
            if s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(CodecError::BadArgument(what));
            }
            Ok(())
        }
        fn num(n: u32) -> Result<u32, CodecError> {
            if n == 0 {
                Err(CodecError::ZeroMessageNumber)
            } else {
                Ok(n)
            }
        }
        let line = match self {
            Command::User(u) => {
                arg("user name", u)?;
                format!("USER {u}")
            }
            Command::Pass(p) => {
                // RFC 1939 lets a password contain spaces; only line breaks are impossible.
                if p.expose().bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    return Err(CodecError::BadArgument("password"));
                }
                format!("PASS {}", p.expose())
            }
            Command::Apop(apop) => {
                let ApopLogin { user, digest } = &**apop;
                arg("user name", user)?;
                if user.contains(' ') {
                    return Err(CodecError::BadArgument("APOP user name"));
                }
                arg("APOP digest", digest)?;
                format!("APOP {user} {digest}")
            }
            Command::AuthPlain(initial) => {
                arg("AUTH PLAIN response", initial.expose())?;
                format!("AUTH PLAIN {}", initial.expose())
            }
            Command::Auth { mech, initial } => {
                arg("SASL mechanism", mech)?;
                match initial {
                    Some(r) => {
                        arg("AUTH response", r.expose())?;
                        format!("AUTH {mech} {}", r.expose())
                    }
                    None => format!("AUTH {mech}"),
                }
            }
            Command::SaslResponse(r) => {
                // Empty is a valid answer (XOAUTH2's to an error challenge).
                if r.expose().bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    return Err(CodecError::BadArgument("SASL response"));
                }
                r.expose().to_string()
            }
            Command::Capa => "CAPA".into(),
            Command::Stls => "STLS".into(),
            Command::Stat => "STAT".into(),
            Command::List(None) => "LIST".into(),
            Command::List(Some(n)) => format!("LIST {}", num(*n)?),
            Command::Uidl(None) => "UIDL".into(),
            Command::Uidl(Some(n)) => format!("UIDL {}", num(*n)?),
            Command::Top { msg, lines } => format!("TOP {} {lines}", num(*msg)?),
            Command::Retr(n) => format!("RETR {}", num(*n)?),
            Command::Dele(n) => format!("DELE {}", num(*n)?),
            Command::Rset => "RSET".into(),
            Command::Noop => "NOOP".into(),
            Command::Utf8 => "UTF8".into(),
            Command::Quit => "QUIT".into(),
        };
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Ok,
    Err,
    /// `+ ` during SASL: the server wants more.
    Continuation,
}

/// One status line: `+OK text`, `-ERR text` or a SASL continuation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub kind: StatusKind,
    pub text: String,
}

impl StatusLine {
    pub fn is_ok(&self) -> bool {
        self.kind == StatusKind::Ok
    }

    /// The RFC 2449 / RFC 3206 response code at the start of the text, if any.
    pub fn code(&self) -> Option<ResponseCode> {
        ResponseCode::parse(&self.text)
    }

    fn parse(line: &[u8]) -> Result<StatusLine, CodecError> {
        let line = String::from_utf8_lossy(line);
        let trimmed = line.trim_end_matches([' ', '\t']);
        let split = |rest: &str| rest.trim_start_matches([' ', '\t']).to_string();
        let upper: String = trimmed
            .chars()
            .take(4)
            .collect::<String>()
            .to_ascii_uppercase();
        if upper.starts_with("+OK") && !trimmed[3..].starts_with(|c: char| c.is_alphanumeric()) {
            return Ok(StatusLine {
                kind: StatusKind::Ok,
                text: split(&trimmed[3..]),
            });
        }
        if upper == "-ERR" && !trimmed[4..].starts_with(|c: char| c.is_alphanumeric()) {
            return Ok(StatusLine {
                kind: StatusKind::Err,
                text: split(&trimmed[4..]),
            });
        }
        if trimmed == "+" || trimmed.starts_with("+ ") {
            return Ok(StatusLine {
                kind: StatusKind::Continuation,
                text: split(&trimmed[1..]),
            });
        }
        let mut shown: String = trimmed.chars().take(80).collect();
        if shown.len() < trimmed.len() {
            shown.push('…');
        }
        Err(CodecError::BadStatus(shown))
    }
}

/// Extended response codes (RFC 2449 section 8, RFC 3206).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseCode {
    InUse,
    LoginDelay,
    SysTemp,
    SysPerm,
    Auth,
    Other(String),
}

impl ResponseCode {
    pub fn parse(text: &str) -> Option<ResponseCode> {
        let rest = text.strip_prefix('[')?;
        let end = rest.find(']')?;
        let code = &rest[..end];
        if code.is_empty() || code.len() > 64 || code.contains(char::is_whitespace) {
            return None;
        }
        Some(match code.to_ascii_uppercase().as_str() {
            "IN-USE" => ResponseCode::InUse,
            "LOGIN-DELAY" => ResponseCode::LoginDelay,
            "SYS/TEMP" => ResponseCode::SysTemp,
            "SYS/PERM" => ResponseCode::SysPerm,
            "AUTH" => ResponseCode::Auth,
            _ => ResponseCode::Other(code.to_string()),
        })
    }

    /// What a user should make of the code, in plain words.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ResponseCode::InUse => {
                Some("another client has this mailbox open, perhaps another postie; POP3 allows one session at a time")
            }
            ResponseCode::LoginDelay => {
                Some("the server limits how often you may log in; wait and try again")
            }
            ResponseCode::SysTemp => Some("a temporary problem on the server; try again later"),
            ResponseCode::SysPerm => {
                Some("a lasting problem on the server; contact its administrator")
            }
            ResponseCode::Auth => Some("check the user name and password"),
            ResponseCode::Other(_) => None,
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ResponseCode::InUse => "IN-USE",
            ResponseCode::LoginDelay => "LOGIN-DELAY",
            ResponseCode::SysTemp => "SYS/TEMP",
            ResponseCode::SysPerm => "SYS/PERM",
            ResponseCode::Auth => "AUTH",
            ResponseCode::Other(s) => s,
        };
        write!(f, "[{s}]")
    }
}

/// Progress of a multi-line body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProgress {
    /// Everything buffered was consumed; feed more bytes.
    NeedMore,
    /// The terminating `.` line was consumed.
    Done,
}

/// Turns the server's byte stream into status lines and body bytes.
///
/// Bodies are produced incrementally, dot-unstuffed, with each line's own ending
/// (CRLF, or LF from a sloppy server) kept, so a message is reproduced byte for
/// byte. Body lines of any length pass through in pieces: memory stays bounded
/// by what was fed, never by what the server chooses to send.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    pos: usize,
    mid_line: bool,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes received but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Forgets everything buffered. After STLS, bytes that arrived before the
    /// handshake must never be read as if they came over TLS.
    pub fn discard_buffered(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.mid_line = false;
    }

    /// The next status line, or `None` if it has not fully arrived yet.
    pub fn status(&mut self) -> Result<Option<StatusLine>, CodecError> {
        let pending = &self.buf[self.pos..];
        match memchr(b'\n', pending) {
            Some(i) => {
                if i > MAX_STATUS_LINE {
                    return Err(CodecError::LineTooLong);
                }
                let mut line = &pending[..i];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                let status = StatusLine::parse(line);
                self.pos += i + 1;
                self.mid_line = false;
                status.map(Some)
            }
            None if pending.len() > MAX_STATUS_LINE => Err(CodecError::LineTooLong),
            None => Ok(None),
        }
    }

    /// Appends the next piece of a multi-line body to `out`, unstuffed.
    pub fn body(&mut self, out: &mut Vec<u8>) -> Result<BodyProgress, CodecError> {
        loop {
            let pending = &self.buf[self.pos..];
            if pending.is_empty() {
                return Ok(BodyProgress::NeedMore);
            }
            if self.mid_line {
                match memchr(b'\n', pending) {
                    Some(i) => {
                        out.extend_from_slice(&pending[..=i]);
                        self.pos += i + 1;
                        self.mid_line = false;
                    }
                    None => {
                        out.extend_from_slice(pending);
                        self.pos = self.buf.len();
                        return Ok(BodyProgress::NeedMore);
                    }
                }
                continue;
            }
            // At the start of a line: only a leading '.' needs a look ahead.
            if pending[0] != b'.' {
                self.mid_line = true;
                continue;
            }
            match pending.get(1) {
                None => return Ok(BodyProgress::NeedMore),
                Some(b'\n') => {
                    self.pos += 2;
                    return Ok(BodyProgress::Done);
                }
                Some(b'\r') => match pending.get(2) {
                    None => return Ok(BodyProgress::NeedMore),
                    Some(b'\n') => {
                        self.pos += 3;
                        return Ok(BodyProgress::Done);
                    }
                    // ".\rX" is not a terminator; keep the line as sent.
                    Some(_) => self.mid_line = true,
                },
                Some(b'.') => {
                    // Dot-stuffed: drop the first dot.
                    self.pos += 1;
                    self.mid_line = true;
                }
                // A lone leading dot the server forgot to stuff: keep it, as most clients do.
                Some(_) => self.mid_line = true,
            }
        }
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// Splits a listing body into lines without their endings, skipping none.
pub fn body_lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let empty = body.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub count: u32,
    pub size: u64,
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split([' ', '\t']).filter(|w| !w.is_empty())
}

fn bad(what: &'static str, line: &str) -> CodecError {
    let mut shown: String = line.chars().take(80).collect();
    if shown.len() < line.len() {
        shown.push('…');
    }
    CodecError::BadListing { what, line: shown }
}

/// `+OK nn mm`: the drop listing.
pub fn parse_stat(text: &str) -> Result<Stat, CodecError> {
    let mut w = words(text);
    let count = w.next().and_then(|s| s.parse().ok());
    let size = w.next().and_then(|s| s.parse().ok());
    match (count, size) {
        (Some(count), Some(size)) => Ok(Stat { count, size }),
        _ => Err(bad("STAT drop listing", text)),
    }
}

/// `n size`: one scan listing (a LIST line, or the text of `+OK` to `LIST n`).
pub fn parse_scan_listing(line: &str) -> Result<(u32, u64), CodecError> {
    let mut w = words(line);
    let n = w
        .next()
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|&n| n > 0);
    let size = w.next().and_then(|s| s.parse::<u64>().ok());
    match (n, size) {
        (Some(n), Some(size)) => Ok((n, size)),
        _ => Err(bad("scan listing", line)),
    }
}

/// `n uid`: one unique-id listing. RFC 1939: 1 to 70 characters from 0x21 to 0x7E.
pub fn parse_uid_listing(line: &str) -> Result<(u32, arcstr::ArcStr), CodecError> {
    parse_uid_listing_shared(line, &|_| None)
}

/// A UIDL already held elsewhere (the local store's copy), to share instead
/// of allocating a new one.
pub type ShareUidl<'a> = &'a (dyn Fn(&str) -> Option<arcstr::ArcStr> + Sync);

/// `parse_uid_listing`, taking the id from `share` when it has it: a
/// 100,000-message mailbox then holds one copy of each UIDL, not two.
pub fn parse_uid_listing_shared(
    line: &str,
    share: ShareUidl<'_>,
) -> Result<(u32, arcstr::ArcStr), CodecError> {
    let mut w = words(line);
    let n = w
        .next()
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|&n| n > 0);
    let uid = w
        .next()
        .filter(|u| u.len() <= 70 && u.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    match (n, uid) {
        (Some(n), Some(uid)) => Ok((n, share(uid).unwrap_or_else(|| uid.into()))),
        _ => Err(bad("unique-id listing", line)),
    }
}

/// Parses every line of a multi-line listing with `parse`.
pub fn parse_listing<T>(
    body: &[u8],
    parse: impl Fn(&str) -> Result<T, CodecError>,
) -> Result<Vec<T>, CodecError> {
    body_lines(body)
        .map(|l| parse(&String::from_utf8_lossy(l)))
        .collect()
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
