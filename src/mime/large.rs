//! Large messages, never held whole: the text of a message's head, and
//! every attachment (name, type, decoded size) from one streaming pass over
//! its MIME structure.

use super::charset::{lookup, DecodeOptions};
use super::header::HeaderContext;
use super::render::{Attachment, PartInfo, Rendered};
use super::transfer;
use crate::text::sanitize::sanitize_line;

/// How much of a large message the reader decodes as text.
pub const LARGE_HEAD: usize = 1024 * 1024;
/// Header blocks longer than this are cut when scanning a large message.
const MAX_HEADER_BLOCK: usize = 256 * 1024;

/// A large message read from `file` without holding it whole: the text of
/// its first `LARGE_HEAD` bytes, and every attachment (name, type, decoded
/// size) from one streaming pass over its MIME structure.
/// Messages larger than this go to a temp file instead of memory.
pub const SPILL_ABOVE: u64 = 8 * 1024 * 1024;

/// A message file decoded for the reader: whole when small, else its head
/// and a streaming scan of its attachments.
pub fn render_file(file: &mut std::fs::File, decode: &DecodeOptions) -> std::io::Result<Rendered> {
    use std::io::{Read, Seek};
    if file.metadata()?.len() > SPILL_ABOVE {
        return render_large(file, decode);
    }
    file.rewind()?;
    let mut raw = Vec::new();
    file.read_to_end(&mut raw)?;
    Ok(Rendered::from_message(&raw, decode))
}

/// What `render_file` gives, from a message in memory.
pub fn render_bytes(raw: &[u8], decode: &DecodeOptions) -> Rendered {
    if raw.len() as u64 > SPILL_ABOVE {
        let mut cursor = std::io::Cursor::new(raw);
        if let Ok(r) = render_large(&mut cursor, decode) {
            return r;
        }
    }
    Rendered::from_message(raw, decode)
}

pub fn render_large(
    file: &mut (impl std::io::Read + std::io::Seek),
    opts: &DecodeOptions,
) -> std::io::Result<Rendered> {
    use std::io::Read;
    let total = file.seek(std::io::SeekFrom::End(0))?;
    file.rewind()?;
    let mut head = Vec::with_capacity(LARGE_HEAD.min(total as usize));
    file.by_ref()
        .take(LARGE_HEAD as u64)
        .read_to_end(&mut head)?;
    let mut rendered = Rendered::from_message(&head, opts);
    if total > head.len() as u64 {
        file.rewind()?;
        rendered.attachments = scan_attachments(std::io::BufReader::new(file), opts)?;
        rendered.body.push_str(&format!(
            "\n\n[this message is {}: the text of its first {} is shown; `postie show --raw` prints the whole message, `postie save` its attachments]",
            crate::text::human_size(total),
            crate::text::human_size(head.len() as u64)
        ));
    }
    Ok(rendered)
}

/// Reads lines of any length, keeping at most 64 KB of each (a line that
/// long cannot be a boundary or a header worth reading).
struct Lines<R> {
    inner: R,
    line: Vec<u8>,
    /// The whole line's length without its line break, and the break's.
    content: u64,
    ending: u64,
    /// Base64 alphabet characters in the whole line (however long).
    alphabet: u64,
}

impl<R: std::io::BufRead> Lines<R> {
    /// The next line (without its end, cut at 64 KB); false at the end.
    fn next(&mut self) -> std::io::Result<bool> {
        self.line.clear();
        (self.content, self.ending, self.alphabet) = (0, 0, 0);
        let mut last = 0u8;
        let mut any = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(any);
            }
            any = true;
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            self.alphabet += chunk
                .iter()
                .filter(|b| b.is_ascii_alphanumeric() || **b == b'+' || **b == b'/')
                .count() as u64;
            let room = (64 * 1024usize).saturating_sub(self.line.len());
            self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.content += chunk.len() as u64;
            if let Some(&b) = chunk.last() {
                last = b;
            }
            let n = chunk.len() + usize::from(done);
            self.inner.consume(n);
            if done {
                self.ending = 1;
                if last == b'\r' && self.content > 0 {
                    self.content -= 1;
                    self.ending = 2;
                    if self.line.last() == Some(&b'\r') {
                        self.line.pop();
                    }
                }
                return Ok(true);
            }
        }
    }
}

/// One open multipart while scanning: its boundary, subtype, children seen.
struct Open {
    boundary: Vec<u8>,
    subtype: String,
    children: usize,
}

enum ScanState {
    /// Header lines of a part (or a message) so far, with its default type.
    Headers(Vec<u8>, &'static str),
    /// Inside a body: counting into attachment `Some(i)`.
    Body(Option<Counting>),
}

/// An attachment being sized: its encoding, and the line break after the
/// last line (counted only if another line of the body follows: the break
/// before a boundary belongs to the boundary, RFC 2046 §5.1.1).
struct Counting {
    index: usize,
    cte: String,
    pending: u64,
    /// Base64 characters so far (the size is three quarters of them).
    alphabet: u64,
}

/// The attachments of a message, in `show`'s order, from one pass.
pub fn scan_attachments(
    reader: impl std::io::BufRead,
    opts: &DecodeOptions,
) -> std::io::Result<Vec<Attachment>> {
    let mut lines = Lines {
        inner: reader,
        line: Vec::new(),
        content: 0,
        ending: 0,
        alphabet: 0,
    };
    let mut ctx = HeaderContext {
        opts: *opts,
        declared: None,
        detected: None,
        latin_is_gbk: false,
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut state = ScanState::Headers(Vec::new(), "text/plain");
    let mut found: Vec<Attachment> = Vec::new();
    let mut top = true;
    while lines.next()? {
        let line = &lines.line[..];
        let trimmed: &[u8] = {
            let mut t = line;
            while t.last().is_some_and(|b| b.is_ascii_whitespace()) {
                t = &t[..t.len() - 1];
            }
            t
        };
        if trimmed.starts_with(b"--") && !stack.is_empty() {
            let hit = stack.iter().rposition(|o| {
                trimmed[2..].starts_with(&o.boundary)
                    && matches!(&trimmed[2 + o.boundary.len()..], b"" | b"--")
            });
            if let Some(depth) = hit {
                let closing = trimmed.len() == stack[depth].boundary.len() + 4;
                stack.truncate(depth + 1);
                if closing {
                    stack.pop();
                    state = ScanState::Body(None);
                } else {
                    let open = &mut stack[depth];
                    open.children += 1;
                    let default = if open.subtype == "digest" {
                        "message/rfc822"
                    } else {
                        "text/plain"
                    };
                    state = ScanState::Headers(Vec::new(), default);
                }
                continue;
            }
        }
        match &mut state {
            ScanState::Headers(block, _) if !trimmed.is_empty() => {
                if block.len() < MAX_HEADER_BLOCK {
                    block.extend_from_slice(line);
                    block.extend_from_slice(b"\r\n");
                }
            }
            ScanState::Headers(block, default) => {
                let info = PartInfo::read(block, default);
                if top {
                    ctx.declared = info.charset().as_deref().and_then(lookup);
                    top = false;
                }
                let in_related_tail = stack
                    .last()
                    .is_some_and(|o| o.subtype == "related" && o.children > 1);
                state = if let Some(sub) = info.mime.strip_prefix("multipart/") {
                    match info.params.raw("boundary") {
                        Some(b) if !b.is_empty() => stack.push(Open {
                            boundary: b.to_vec(),
                            subtype: sub.to_string(),
                            children: 0,
                        }),
                        _ => {}
                    }
                    ScanState::Body(None)
                } else if info.mime == "message/rfc822" {
                    // The attached message's own headers come next.
                    ScanState::Headers(Vec::new(), "text/plain")
                } else if info.is_attachment()
                    && (!in_related_tail || info.filename(&ctx).is_some())
                {
                    let n = found.len() + 1;
                    let name = info.filename(&ctx).unwrap_or_else(|| format!("part-{n}"));
                    found.push(Attachment {
                        part: n,
                        name: sanitize_line(&name).into_owned(),
                        size: 0,
                        mime_type: sanitize_line(&info.mime).into_owned(),
                    });
                    ScanState::Body(Some(Counting {
                        index: n - 1,
                        cte: info.cte.to_ascii_lowercase(),
                        pending: 0,
                        alphabet: 0,
                    }))
                } else {
                    ScanState::Body(None)
                };
            }
            ScanState::Body(Some(c)) => {
                let a = &mut found[c.index];
                match c.cte.trim() {
                    "base64" => {
                        c.alphabet += lines.alphabet;
                        a.size = c.alphabet * 3 / 4;
                    }
                    "quoted-printable" => {
                        a.size += c.pending + transfer::decoded_len(line, &c.cte);
                        c.pending = if line.ends_with(b"=") { 0 } else { 2 };
                    }
                    _ => {
                        // Counted as written: the whole line, however long.
                        a.size += c.pending + lines.content;
                        c.pending = lines.ending;
                    }
                }
            }
            ScanState::Body(None) => {}
        }
    }
    Ok(found)
}
