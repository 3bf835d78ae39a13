//! mbox files, both ways: splitting one into messages (mboxrd and mboxo, as
//! Thunderbird, mutt and Python's `mailbox` write them), reading the flags
//! mutt (`Status`/`X-Status`) and Thunderbird (`X-Mozilla-Status`,
//! `X-Mozilla-Status2`) keep in a message's header, and writing mboxrd with
//! mutt's status headers. The status headers are the mbox's bookkeeping, not
//! the message: reading takes them out, writing puts them in, so a message
//! exported and imported again has its own bytes.

use std::io::{self, BufRead, Write};

/// The largest message taken from an mbox: a bigger one is skipped (and
/// reported), so one damaged file cannot take all memory.
pub const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// One message of an mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// The message, `>From ` unquoted, without the separating empty line.
    pub bytes: Vec<u8>,
    /// Where its `From ` line starts in the file (for error messages).
    pub offset: u64,
}

/// A message too big to take ([`MAX_MESSAGE`]); it was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooBig {
    pub offset: u64,
    pub bytes: u64,
}

/// What the mbox reader gives: a message, or one it skipped.
pub type Item = Result<MboxMessage, TooBig>;

/// One message's bytes as its lines are read, up to a limit: past it the
/// bytes are dropped and only the size kept, so the message is reported
/// as too big without holding it.
struct Gathered {
    bytes: Vec<u8>,
    size: u64,
    max: usize,
}

impl Gathered {
    fn new(max: usize) -> Gathered {
        Gathered {
            bytes: Vec::new(),
            size: 0,
            max,
        }
    }

    fn push(&mut self, part: &[u8]) {
        self.size += part.len() as u64;
        if self.size > self.max as u64 {
            self.bytes = Vec::new();
        } else {
            self.bytes.extend_from_slice(part);
        }
    }

    fn too_big(&self) -> bool {
        self.size > self.max as u64
    }

    /// The message that started at `offset`, or why it was skipped.
    fn finish(self, offset: u64) -> Item {
        if self.too_big() {
            return Err(TooBig {
                offset,
                bytes: self.size,
            });
        }
        Ok(MboxMessage {
            bytes: self.bytes,
            offset,
        })
    }
}

/// Whether `start` (a file's first bytes) is an mbox: its first line that
/// is not empty is a `From ` line.
pub fn looks_like_mbox(start: &[u8]) -> bool {
    let trimmed = start
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .map(|p| &start[p..])
        .unwrap_or_default();
    trimmed.starts_with(b"From ")
}

/// Splits an mbox into messages as it reads (one message in memory at a
/// time). A line starting `From ` begins a message, as in Python's
/// `mailbox.mbox` and Thunderbird; `>From `, `>>From `… lose one `>`
/// (mboxrd; for mboxo that is the only quoting there is).
pub struct MboxReader<R> {
    inner: R,
    line: Vec<u8>,
    /// The offset of the `From ` line that starts the next message.
    next_from: Option<u64>,
    offset: u64,
    max: usize,
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(inner: R) -> MboxReader<R> {
        MboxReader {
            inner,
            line: Vec::new(),
            next_from: None,
            offset: 0,
            max: MAX_MESSAGE,
        }
    }

    /// How far into the file reading has got.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Messages over `max` bytes are skipped (tests use a small one).
    pub fn with_limit(mut self, max: usize) -> MboxReader<R> {
        self.max = max;
        self
    }

    fn read_line(&mut self) -> io::Result<bool> {
        self.line.clear();
        let n = self.inner.read_until(b'\n', &mut self.line)?;
        self.offset += n as u64;
        Ok(n > 0)
    }

    /// The next message; `None` at the end of the file.
    pub fn next_message(&mut self) -> io::Result<Option<Item>> {
        // Up to the first `From ` line (text before it is not a message).
        while self.next_from.is_none() {
            if !self.read_line()? {
                return Ok(None);
            }
            if self.line.starts_with(b"From ") {
                self.next_from = Some(self.offset - self.line.len() as u64);
            }
        }
        let start = self.next_from.take().unwrap_or_default();
        let mut got = Gathered::new(self.max);
        while self.read_line()? {
            if self.line.starts_with(b"From ") {
                self.next_from = Some(self.offset - self.line.len() as u64);
                break;
            }
            let quoted = self.line.iter().take_while(|&&b| b == b'>').count();
            if quoted > 0 && self.line[quoted..].starts_with(b"From ") {
                got.push(&self.line[1..]);
            } else {
                got.push(&self.line);
            }
        }
        if got.too_big() {
            return Ok(Some(got.finish(start)));
        }
        let mut bytes = got.bytes;
        // The empty line a writer puts after each message is not the message's.
        if bytes.ends_with(b"\r\n\r\n") {
            bytes.truncate(bytes.len() - 2);
        } else if bytes.ends_with(b"\n\n") {
            bytes.truncate(bytes.len() - 1);
        }
        Ok(Some(Ok(MboxMessage {
            bytes,
            offset: start,
        })))
    }
}

/// A file of many messages read one at a time: an mbox, a Foxmail `.box`.
pub trait Messages {
    /// The next message (or one skipped as too big); `None` at the end.
    fn next_message(&mut self) -> io::Result<Option<Item>>;
    /// How far into the file reading has got.
    fn position(&self) -> u64;
}

impl<R: BufRead> Messages for MboxReader<R> {
    fn next_message(&mut self) -> io::Result<Option<Item>> {
        MboxReader::next_message(self)
    }
    fn position(&self) -> u64 {
        MboxReader::position(self)
    }
}

impl<R: BufRead> Messages for FoxmailBoxReader<R> {
    fn next_message(&mut self) -> io::Result<Option<Item>> {
        FoxmailBoxReader::next_message(self)
    }
    fn position(&self) -> u64 {
        FoxmailBoxReader::position(self)
    }
}

/// Flags an mbox keeps in a message's header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MboxFlags {
    pub seen: bool,
    pub answered: bool,
    pub flagged: bool,
    pub deleted: bool,
    pub draft: bool,
    pub forwarded: bool,
    pub mdn_sent: bool,
}

impl MboxFlags {
    pub fn is_empty(self) -> bool {
        self == MboxFlags::default()
    }
}

/// Thunderbird's `X-Mozilla-Status` bits (nsMsgMessageFlags.idl).
const MOZ_READ: u32 = 0x0001;
const MOZ_REPLIED: u32 = 0x0002;
const MOZ_MARKED: u32 = 0x0004;
const MOZ_EXPUNGED: u32 = 0x0008;
const MOZ_FORWARDED: u32 = 0x1000;
/// `X-Mozilla-Status2`'s: deleted on an IMAP server, a receipt sent.
const MOZ_IMAP_DELETED: u32 = 0x0020_0000;
const MOZ_MDN_SENT: u32 = 0x0080_0000;

fn is_status_field(name: &[u8]) -> Option<usize> {
    const NAMES: [&[u8]; 4] = [
        b"status",
        b"x-status",
        b"x-mozilla-status",
        b"x-mozilla-status2",
    ];
    NAMES.iter().position(|n| name.eq_ignore_ascii_case(n))
}

/// Reads and takes out the status headers of `message`'s header block:
/// returns the flags found (`None` when there were none at all) and the
/// message without them.
pub fn take_status(message: &[u8]) -> (Option<MboxFlags>, Vec<u8>) {
    let mut flags = MboxFlags::default();
    let mut found = false;
    let mut out = Vec::with_capacity(message.len());
    let mut pos = 0;
    // Whether the field being read is a status field (its folded lines go too).
    let mut dropping = false;
    while pos < message.len() {
        let end = message[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| pos + i + 1)
            .unwrap_or(message.len());
        let line = &message[pos..end];
        let content = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if content.is_empty() {
            // The body follows, untouched.
            out.extend_from_slice(&message[pos..]);
            return (found.then_some(flags), out);
        }
        if matches!(content[0], b' ' | b'\t') {
            if !dropping {
                out.extend_from_slice(line);
            }
            pos = end;
            continue;
        }
        dropping = false;
        if let Some(colon) = content.iter().position(|&b| b == b':') {
            let name = content[..colon].trim_ascii();
            if let Some(kind) = is_status_field(name) {
                dropping = true;
                found = true;
                let value = String::from_utf8_lossy(content[colon + 1..].trim_ascii()).into_owned();
                read_status(kind, &value, &mut flags);
                pos = end;
                continue;
            }
        }
        out.extend_from_slice(line);
        pos = end;
    }
    (found.then_some(flags), out)
}

fn read_status(kind: usize, value: &str, f: &mut MboxFlags) {
    match kind {
        // mutt: Status: R (read), O (old); X-Status: A F D T.
        0 => f.seen |= value.contains('R'),
        1 => {
            f.answered |= value.contains('A');
            f.flagged |= value.contains('F');
            f.deleted |= value.contains('D');
            f.draft |= value.contains('T');
        }
        2 => {
            let bits = u32::from_str_radix(value.trim(), 16).unwrap_or(0);
            f.seen |= bits & MOZ_READ != 0;
            f.answered |= bits & MOZ_REPLIED != 0;
            f.flagged |= bits & MOZ_MARKED != 0;
            f.deleted |= bits & MOZ_EXPUNGED != 0;
            f.forwarded |= bits & MOZ_FORWARDED != 0;
        }
        _ => {
            let bits = u32::from_str_radix(value.trim(), 16).unwrap_or(0);
            f.deleted |= bits & MOZ_IMAP_DELETED != 0;
            f.mdn_sent |= bits & MOZ_MDN_SENT != 0;
        }
    }
}

/// Writes one message as mboxrd: a `From ` line (`sender`, `when` as
/// asctime), mutt's `Status`/`X-Status` and Thunderbird's
/// `X-Mozilla-Status` at the end of the header block
/// (in the message's own line ending), every `From `/`>From ` line quoted
/// with one more `>`, and the empty line that ends it.
pub fn write_mboxrd(
    w: &mut impl Write,
    sender: &str,
    when: &chrono::DateTime<chrono::Utc>,
    message: &[u8],
    flags: MboxFlags,
) -> io::Result<()> {
    let sender: String = sender.chars().filter(|c| c.is_ascii_graphic()).collect();
    let sender = if sender.is_empty() {
        "MAILER-DAEMON".to_string()
    } else {
        sender
    };
    writeln!(w, "From {sender} {}", when.format("%a %b %e %H:%M:%S %Y"))?;
    let crlf = message
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|p| p > 0 && message[p - 1] == b'\r');
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut in_head = true;
    let mut pos = 0;
    let mut ended_with_eol = true;
    while pos < message.len() {
        let end = message[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| pos + i + 1)
            .unwrap_or(message.len());
        let line = &message[pos..end];
        if in_head && (line == b"\n" || line == b"\r\n") {
            write_status(w, flags, eol)?;
            in_head = false;
        }
        let quoted = line.iter().take_while(|&&b| b == b'>').count();
        if line[quoted..].starts_with(b"From ") {
            w.write_all(b">")?;
        }
        w.write_all(line)?;
        ended_with_eol = line.ends_with(b"\n");
        pos = end;
    }
    if !ended_with_eol {
        w.write_all(eol)?;
    }
    if in_head {
        write_status(w, flags, eol)?;
    }
    w.write_all(b"\n")
}

fn write_status(w: &mut impl Write, flags: MboxFlags, eol: &[u8]) -> io::Result<()> {
    let mut status = String::new();
    if flags.seen {
        status.push('R');
    }
    status.push('O');
    let mut x_status = String::new();
    for (on, c) in [
        (flags.answered, 'A'),
        (flags.flagged, 'F'),
        (flags.deleted, 'D'),
        (flags.draft, 'T'),
    ] {
        if on {
            x_status.push(c);
        }
    }
    w.write_all(b"Status: ")?;
    w.write_all(status.as_bytes())?;
    w.write_all(eol)?;
    if !x_status.is_empty() {
        w.write_all(b"X-Status: ")?;
        w.write_all(x_status.as_bytes())?;
        w.write_all(eol)?;
    }
    // Thunderbird's, which also carries what mutt's cannot: forwarded, and
    // a read receipt sent.
    let mut moz = 0;
    for (on, bit) in [
        (flags.seen, MOZ_READ),
        (flags.answered, MOZ_REPLIED),
        (flags.flagged, MOZ_MARKED),
        (flags.deleted, MOZ_EXPUNGED),
        (flags.forwarded, MOZ_FORWARDED),
    ] {
        if on {
            moz |= bit;
        }
    }
    write!(w, "X-Mozilla-Status: {moz:04x}")?;
    w.write_all(eol)?;
    if flags.mdn_sent {
        write!(w, "X-Mozilla-Status2: {MOZ_MDN_SENT:08x}")?;
        w.write_all(eol)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "mbox_tests.rs"]
mod tests;

/// The line Foxmail 4–6 put before each message in a `.box` mail-folder
/// file (`in`, `out`, `sent`, `trash` in `mail/ACCOUNT/`), as described in
/// the public analyses of that format (zhiding.cn, 2007): seven 0x10, six
/// 0x11, one status byte (`S` seen there; not decoded here), CR LF.
const FOXMAIL_MARK: &[u8] = b"\x10\x10\x10\x10\x10\x10\x10\x11\x11\x11\x11\x11\x11";

/// Whether `start` is a Foxmail `.box` file: it starts with the mark.
pub fn looks_like_foxmail_box(start: &[u8]) -> bool {
    start.starts_with(FOXMAIL_MARK)
}

/// Splits a Foxmail `.box` file into messages as it reads.
pub struct FoxmailBoxReader<R> {
    inner: R,
    line: Vec<u8>,
    started: bool,
    done: bool,
    offset: u64,
}

impl<R: BufRead> FoxmailBoxReader<R> {
    pub fn new(inner: R) -> FoxmailBoxReader<R> {
        FoxmailBoxReader {
            inner,
            line: Vec::new(),
            started: false,
            done: false,
            offset: 0,
        }
    }

    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Where the mark starts in `line` if `line` ends with a whole mark line.
    fn mark_at(line: &[u8]) -> Option<usize> {
        let n = FOXMAIL_MARK.len() + 3;
        let at = line.len().checked_sub(n)?;
        (line[at..].starts_with(FOXMAIL_MARK) && line.ends_with(b"\r\n")).then_some(at)
    }

    /// The next message; `None` at the end of the file.
    pub fn next_message(&mut self) -> io::Result<Option<Item>> {
        while !self.started {
            self.line.clear();
            let n = self.inner.read_until(b'\n', &mut self.line)?;
            self.offset += n as u64;
            if n == 0 {
                return Ok(None);
            }
            self.started = Self::mark_at(&self.line).is_some();
        }
        if self.done {
            return Ok(None);
        }
        let start = self.offset;
        let mut got = Gathered::new(MAX_MESSAGE);
        loop {
            self.line.clear();
            let n = self.inner.read_until(b'\n', &mut self.line)?;
            self.offset += n as u64;
            if n == 0 {
                self.done = true;
                break;
            }
            match Self::mark_at(&self.line) {
                Some(at) => {
                    got.push(&self.line[..at]);
                    break;
                }
                None => got.push(&self.line),
            }
        }
        Ok(Some(got.finish(start)))
    }
}
