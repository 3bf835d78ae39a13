//! Header fields from raw bytes: RFC 2047 encoded-words (joined before charset
//! decoding, so a character split across two words survives), raw 8-bit text
//! (declared charset, then `fallback_charset`, then detection), RFC 2231
//! parameters with continuations, and address lists. Never panics, never drops
//! what it cannot decode: a malformed encoded-word is shown as written.

use base64::Engine as _;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use super::charset::{
    decode_as, decode_exact, decode_unlabelled, is_chinese, lookup, DecodeOptions,
};

/// What header decoding knows about the message around it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderContext {
    pub opts: DecodeOptions,
    /// The charset the message declares for its text (Content-Type charset).
    pub declared: Option<&'static Encoding>,
    /// The charset of the message's unlabelled 8-bit text, judged from all
    /// of it together (`charset::message_charset`).
    pub detected: Option<&'static Encoding>,
    /// The message's Latin-1-labelled encoded-words, judged together, are
    /// GBK (old Foxmail): `latin_words_are_gbk`.
    pub latin_is_gbk: bool,
}

/// Fields whose encoded-words a person reads: the ones judged together.
const WORDED: [&str; 6] = ["subject", "from", "to", "cc", "reply-to", "sender"];

/// Do the message's Latin-1/windows-1252-labelled encoded-words (Subject and
/// the display names) hold GBK? Old Foxmail labelled GB2312 bytes
/// `iso-8859-1`; in a multipart message nothing at the top declares a
/// Chinese charset to give it away. All such words of the message are judged
/// together (`charset::latin_reads_as_mojibake`).
pub fn latin_words_are_gbk(fields: &[Field<'_>]) -> bool {
    let mut sample = Vec::new();
    for f in fields.iter().filter(|f| {
        // Only encoded-words count: a value without "=?" has none.
        memchr::memmem::find(f.value, b"=?").is_some()
            && WORDED
                .iter()
                .any(|n| f.name.eq_ignore_ascii_case(n.as_bytes()))
    }) {
        for seg in segments(&unfold(f.value)) {
            if let Segment::Word { charset, bytes } = seg {
                let latin = lookup(charset) == Some(WINDOWS_1252)
                    || charset.eq_ignore_ascii_case("us-ascii");
                if latin && !bytes.is_ascii() && sample.len() < 4096 {
                    sample.extend_from_slice(&bytes);
                    sample.push(b' ');
                }
            }
        }
    }
    super::charset::latin_reads_as_mojibake(&sample)
}

/// The raw 8-bit header values of a block (and the start of a body, when
/// given), one space apart: the sample `message_charset` judges.
pub fn eight_bit_sample(fields: &[Field<'_>], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        if !f.value.is_ascii() && out.len() < 64 * 1024 {
            out.extend_from_slice(f.value);
            out.push(b' ');
        }
    }
    let body = &body[..body.len().min(64 * 1024)];
    if !body.is_ascii() {
        out.extend_from_slice(body);
    }
    out
}

/// One header field: lower-case name and the raw (still folded) value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
}

/// Most fields kept per header block; more are ignored (bounded work on hostile mail).
pub const MAX_FIELDS: usize = 20_000;

/// Splits a message (or part) into its header fields and its body.
pub fn split_entity<'a>(raw: &'a [u8]) -> (Vec<Field<'a>>, &'a [u8]) {
    let mut fields: Vec<Field<'a>> = Vec::new();
    let mut pos = 0;
    let mut current: Option<(usize, usize, usize)> = None; // name start, name end, value start
    let close = |fields: &mut Vec<Field<'a>>, cur: Option<(usize, usize, usize)>, end: usize| {
        if let Some((ns, ne, vs)) = cur {
            // Without the last line's end, so an unfolded value needs no copy.
            let mut end = end;
            while end > vs && matches!(raw[end - 1], b'\r' | b'\n') {
                end -= 1;
            }
            if fields.len() < MAX_FIELDS {
                fields.push(Field {
                    name: &raw[ns..ne],
                    value: &raw[vs..end.max(vs)],
                });
            }
        }
    };
    while pos < raw.len() {
        let line_end = memchr::memchr(b'\n', &raw[pos..])
            .map(|i| pos + i + 1)
            .unwrap_or(raw.len());
        let line = &raw[pos..line_end];
        let content = trim_eol(line);
        if content.is_empty() {
            close(&mut fields, current.take(), pos);
            return (fields, &raw[line_end..]);
        }
        if matches!(line[0], b' ' | b'\t') {
            // Continuation of the field before (folded); stray ones are ignored.
            pos = line_end;
            continue;
        }
        close(&mut fields, current.take(), pos);
        if let Some(colon) = memchr::memchr(b':', content) {
            let name = content[..colon].trim_ascii();
            if !name.is_empty() && name.iter().all(|&b| b.is_ascii_graphic()) {
                let ns = pos + (name.as_ptr() as usize - line.as_ptr() as usize);
                current = Some((ns, ns + name.len(), pos + colon + 1));
            }
        }
        pos = line_end;
    }
    close(&mut fields, current.take(), raw.len());
    (fields, &raw[raw.len()..])
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The first field named `name` (case-insensitive).
pub fn find<'a>(fields: &[Field<'a>], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
        .map(|f| f.value)
}

/// Removes folding: CR and LF go, the whitespace after them stays. Most
/// values are on one line and come back as they are.
pub fn unfold(value: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !value.iter().any(|&b| b == b'\r' || b == b'\n') {
        return std::borrow::Cow::Borrowed(value);
    }
    value
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect()
}

enum Segment<'a> {
    Raw(&'a [u8]),
    Word { charset: &'a str, bytes: Vec<u8> },
}

/// Parses `=?charset[*lang]?B|Q?text?=` at the start of `s`; returns the word and its length.
fn encoded_word(s: &[u8]) -> Option<(&str, Vec<u8>, usize)> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = rest.iter().take(80).position(|&b| b == b'?')?;
    let charset_full = std::str::from_utf8(&rest[..q1]).ok()?;
    if charset_full.is_empty()
        || charset_full
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b == b'=')
    {
        return None;
    }
    let charset = charset_full.split('*').next().unwrap_or(charset_full); // RFC 2231 language tag
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    // Encoded text never contains '?' or whitespace, so the scan stops at the
    // first of them: linear work even for a header made of nothing but "=?".
    let text_len = rest[text_start..]
        .iter()
        .position(|&b| b == b'?' || b.is_ascii_whitespace())?;
    if rest.get(text_start + text_len..text_start + text_len + 2) != Some(b"?=") {
        return None;
    }
    let text = &rest[text_start..text_start + text_len];
    let bytes = match enc {
        b'B' | b'b' => decode_b(text)?,
        b'Q' | b'q' => decode_q(text)?,
        _ => return None,
    };
    Some((charset, bytes, 2 + text_start + text_len + 2))
}

fn decode_b(text: &[u8]) -> Option<Vec<u8>> {
    let unpadded = text
        .strip_suffix(b"==")
        .or(text.strip_suffix(b"="))
        .unwrap_or(text);
    let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
    if !unpadded.contains(&b'=') {
        return engine.decode(unpadded).ok();
    }
    // Padding in the middle (words glued together by a careless mailer).
    let trimmed: Vec<u8> = text.iter().copied().filter(|&b| b != b'=').collect();
    engine.decode(&trimmed).ok()
}

fn decode_q(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

fn segments(value: &[u8]) -> Vec<Segment<'_>> {
    let mut segs = Vec::new();
    let mut raw_start = 0;
    let mut i = 0;
    while i + 1 < value.len() {
        if value[i] == b'=' && value[i + 1] == b'?' {
            if let Some((charset, bytes, len)) = encoded_word(&value[i..]) {
                if raw_start < i {
                    segs.push(Segment::Raw(&value[raw_start..i]));
                }
                segs.push(Segment::Word { charset, bytes });
                i += len;
                raw_start = i;
                continue;
            }
        }
        i += 1;
    }
    if raw_start < value.len() {
        segs.push(Segment::Raw(&value[raw_start..]));
    }
    segs
}

impl HeaderContext {
    /// Raw 8-bit header text: UTF-8 if valid, else the declared charset, the fallback, detection.
    pub fn decode_raw(&self, bytes: &[u8]) -> String {
        decode_unlabelled(bytes, &[self.declared, self.opts.fallback, self.detected])
    }

    fn decode_word(&self, charset: &str, bytes: &[u8]) -> String {
        let Some(enc) = lookup(charset) else {
            return self.decode_raw(bytes);
        };
        if self.opts.strict {
            return decode_as(bytes, enc);
        }
        if let Some(s) = super::charset::seven_bit_mislabel(charset, bytes) {
            return s;
        }
        // Old Foxmail and friends labelled GB2312 bytes as ISO-8859-1: when the
        // message itself declares a Chinese charset and the bytes are valid GBK, read them so.
        // A multipart message declares no charset at the top: the first text
        // part's counts (the reader's), else the account's fallback_charset.
        // Without either, the message's Latin-labelled words judged together.
        let chinese = self
            .declared
            .or(self.opts.fallback)
            .filter(|e| is_chinese(e))
            .or(self.latin_is_gbk.then_some(encoding_rs::GBK));
        let latin = enc == WINDOWS_1252 || charset.eq_ignore_ascii_case("us-ascii");
        if latin && !bytes.is_ascii() {
            if let Some(s) = chinese.and_then(|c| decode_exact(bytes, c)) {
                return s;
            }
        }
        if enc == UTF_8 {
            if let Some(s) = decode_exact(bytes, UTF_8) {
                return s;
            }
            return self.decode_raw(bytes);
        }
        decode_as(bytes, enc)
    }

    /// An unstructured header (Subject, a display name): encoded-words decoded,
    /// adjacent words joined, raw 8-bit text decoded, folding removed.
    pub fn decode(&self, raw: &[u8]) -> String {
        let value = unfold(raw);
        let segs = segments(&value);
        let mut out = String::new();
        let mut i = 0;
        while i < segs.len() {
            match &segs[i] {
                Segment::Raw(bytes) => {
                    let between_words = i > 0
                        && matches!(segs.get(i + 1), Some(Segment::Word { .. }))
                        && matches!(segs[i - 1], Segment::Word { .. })
                        && bytes.iter().all(|b| matches!(b, b' ' | b'\t'));
                    if between_words {
                        // Dropped.
                    } else if bytes.is_ascii() {
                        out.push_str(&String::from_utf8_lossy(bytes));
                    } else {
                        out.push_str(&self.decode_raw(bytes));
                    }
                    i += 1;
                }
                Segment::Word { charset, bytes } => {
                    // Concatenate the bytes of following words in the same charset
                    // (whitespace between words is dropped), then decode once —
                    // except for a stateful charset (ISO-2022-*), whose every word
                    // ends back in ASCII: joined, the escape sequences would meet
                    // and decode as a replacement character.
                    let stateful = is_stateful(charset);
                    let mut joined = bytes.clone();
                    let mut j = i + 1;
                    loop {
                        let ws = matches!(segs.get(j), Some(Segment::Raw(b)) if b.iter().all(|c| matches!(c, b' ' | b'\t')));
                        let k = if ws { j + 1 } else { j };
                        match segs.get(k) {
                            Some(Segment::Word {
                                charset: c2,
                                bytes: b2,
                            }) if c2.eq_ignore_ascii_case(charset) => {
                                if stateful {
                                    out.push_str(&self.decode_word(charset, &joined));
                                    joined = b2.clone();
                                } else {
                                    joined.extend_from_slice(b2);
                                }
                                j = k + 1;
                            }
                            _ => break,
                        }
                    }
                    out.push_str(&self.decode_word(charset, &joined));
                    i = j;
                }
            }
        }
        out
    }
}

/// Charsets with shift states (escape sequences): each encoded-word stands alone.
fn is_stateful(charset: &str) -> bool {
    let c = charset.trim().to_ascii_lowercase();
    c.starts_with("iso-2022") || c.starts_with("hz") || c == "utf-7" || c == "csiso2022jp"
}

/// A MIME type with its parameters (Content-Type, Content-Disposition).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Lower-case `type/subtype` (or disposition type).
    pub value: String,
    /// Lower-case names; values as raw bytes after unquoting and RFC 2231 assembly,
    /// with the RFC 2231 charset when one was given.
    params: Vec<(String, Vec<u8>, Option<String>)>,
}

impl Params {
    pub fn parse(raw: &[u8]) -> Params {
        let value = unfold(raw);
        let mut parts = split_unquoted(&value, b';');
        let head = parts.next().unwrap_or_default();
        let main =
            String::from_utf8_lossy(<[u8]>::trim_ascii(&strip_comments(head))).to_ascii_lowercase();
        // name -> [(section, extended, bytes)]
        let mut sections: Vec<(String, u32, bool, Vec<u8>)> = Vec::new();
        for p in parts {
            let Some(eq) = p.iter().position(|&b| b == b'=') else {
                continue;
            };
            let name = String::from_utf8_lossy(p[..eq].trim_ascii()).to_ascii_lowercase();
            let val = unquote(p[eq + 1..].trim_ascii());
            let (base, section, extended) = match name.split_once('*') {
                None => (name.clone(), 0, false),
                Some((base, rest)) => {
                    let extended = rest.ends_with('*') || rest.is_empty();
                    let idx = rest.trim_end_matches('*').parse::<u32>().unwrap_or(0);
                    (base.to_string(), idx, extended)
                }
            };
            if sections.len() < 256 {
                sections.push((base, section, extended, val));
            }
        }
        let mut params: Vec<(String, Vec<u8>, Option<String>)> = Vec::new();
        let mut names: Vec<String> = sections.iter().map(|s| s.0.clone()).collect();
        names.dedup();
        let mut seen = std::collections::HashSet::new();
        for name in names {
            if !seen.insert(name.clone()) {
                continue;
            }
            let mut secs: Vec<&(String, u32, bool, Vec<u8>)> =
                sections.iter().filter(|s| s.0 == name).collect();
            // A value given both plainly and in RFC 2231 form: the extended
            // one wins (RFC 2231 §4, RFC 6266 §4.3).
            secs.sort_by_key(|s| (s.1, !s.2));
            secs.dedup_by_key(|s| s.1);
            let mut bytes = Vec::new();
            let mut charset = None;
            for (i, (_, _, extended, val)) in secs.iter().enumerate() {
                if *extended {
                    let mut v: &[u8] = val;
                    if i == 0 {
                        // charset'language'value
                        let mut it = v.splitn(3, |&b| b == b'\'');
                        if let (Some(cs), Some(_lang), Some(rest)) =
                            (it.next(), it.next(), it.next())
                        {
                            charset = Some(String::from_utf8_lossy(cs).into_owned())
                                .filter(|c| !c.is_empty());
                            v = rest;
                        }
                    }
                    bytes.extend(percent_decode(v));
                } else {
                    bytes.extend_from_slice(val);
                }
            }
            params.push((name, bytes, charset));
        }
        Params {
            value: main,
            params,
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.params.iter().any(|(n, _, _)| n == name)
    }

    /// A parameter's raw value as ASCII-ish text (for boundary, charset).
    pub fn raw(&self, name: &str) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_slice())
    }

    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
    }

    /// A parameter decoded for display: RFC 2231 charset, else RFC 2047 words
    /// inside the value (non-standard, universal), else raw 8-bit decoding.
    pub fn decoded(&self, name: &str, ctx: &HeaderContext) -> Option<String> {
        let (_, bytes, charset) = self.params.iter().find(|(n, _, _)| n == name)?;
        Some(match charset.as_deref().and_then(lookup) {
            Some(enc) if !ctx.opts.strict => {
                decode_exact(bytes, enc).unwrap_or_else(|| ctx.decode_raw(bytes))
            }
            Some(enc) => decode_as(bytes, enc),
            None => ctx.decode(bytes),
        })
    }
}

fn percent_decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' {
            if let Some(b) = v
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

/// Removes surrounding quotes and backslash escapes.
fn unquote(v: &[u8]) -> Vec<u8> {
    let Some(inner) = v.strip_prefix(b"\"") else {
        return v.to_vec();
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    let mut out = Vec::with_capacity(inner.len());
    let mut escaped = false;
    for &b in inner {
        if escaped || b != b'\\' {
            out.push(b);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

/// Splits on `sep` outside quoted strings, angle brackets and comments,
/// lazily: who needs only the first piece scans no further.
fn split_unquoted(v: &[u8], sep: u8) -> Unquoted<'_> {
    Unquoted {
        v,
        start: 0,
        sep,
        done: false,
    }
}

/// The pieces of `split_unquoted`.
struct Unquoted<'a> {
    v: &'a [u8],
    start: usize,
    sep: u8,
    done: bool,
}

impl<'a> Iterator for Unquoted<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let (v, start) = (self.v, self.start);
        if memchr::memchr(self.sep, &v[start..]).is_none() {
            // No separator at all: the rest is one piece, whatever it quotes.
            self.done = true;
            return Some(&v[start..]);
        }
        let (mut quoted, mut escaped, mut angle, mut comment) = (false, false, 0u32, 0u32);
        for (i, &b) in v.iter().enumerate().skip(start) {
            if escaped {
                escaped = false;
            } else if b == b'\\' && (quoted || comment > 0) {
                escaped = true;
            } else if b == b'"' && comment == 0 {
                quoted = !quoted;
            } else if !quoted {
                if b == self.sep && angle == 0 && comment == 0 {
                    self.start = i + 1;
                    return Some(&v[start..i]);
                }
                match b {
                    b'(' => comment += 1,
                    b')' => comment = comment.saturating_sub(1),
                    b'<' if comment == 0 => angle += 1,
                    b'>' if comment == 0 => angle = angle.saturating_sub(1),
                    _ => {}
                }
            }
        }
        self.done = true;
        Some(&v[start..])
    }
}

fn strip_comments(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let (mut depth, mut quoted) = (0u32, false);
    for &b in v {
        match b {
            b'"' if depth == 0 => {
                quoted = !quoted;
                out.push(b);
            }
            b'(' if !quoted => depth += 1,
            b')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(b),
            _ => {}
        }
    }
    out
}

fn comment_text(v: &[u8]) -> Option<Vec<u8>> {
    let start = v.iter().position(|&b| b == b'(')?;
    let end = v.iter().rposition(|&b| b == b')')?;
    (end > start + 1).then(|| v[start + 1..end].to_vec())
}

/// One address: display name (decoded) and the address itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailbox {
    pub name: String,
    pub address: String,
}

impl Mailbox {
    /// The name if there is one, else the address.
    pub fn display(&self) -> &str {
        if self.name.is_empty() {
            &self.address
        } else {
            &self.name
        }
    }

    pub fn full(&self) -> String {
        match (self.name.is_empty(), self.address.is_empty()) {
            (false, false) => format!("{} <{}>", self.name, self.address),
            (false, true) => self.name.clone(),
            _ => self.address.clone(),
        }
    }
}

/// Most addresses kept from one header.
const MAX_ADDRESSES: usize = 1000;

/// An address list (From, To, Cc) from raw bytes, tolerant of what mailers do:
/// encoded-words inside quotes, raw 8-bit names, groups, comments as names.
pub fn parse_addresses(raw: &[u8], ctx: &HeaderContext) -> Vec<Mailbox> {
    let value = unfold(raw);
    split_unquoted(&value, b',')
        .take(MAX_ADDRESSES)
        .filter_map(|entry| mailbox(entry, ctx))
        .collect()
}

/// The first address of a list (the sender, for the message list).
pub fn first_address(raw: &[u8], ctx: &HeaderContext) -> Option<Mailbox> {
    let value = unfold(raw);
    split_unquoted(&value, b',')
        .take(MAX_ADDRESSES)
        .find_map(|entry| mailbox(entry, ctx))
}

/// One entry of an address list; None when there is nothing in it.
fn mailbox(entry: &[u8], ctx: &HeaderContext) -> Option<Mailbox> {
    let mut entry: &[u8] = entry.trim_ascii();
    // Group syntax: "Team: a@b, c@d;" -- drop the group label and the final ';'.
    if let Some(colon) = split_unquoted(entry, b':')
        .next()
        .map(|f| f.len())
        .filter(|&l| l < entry.len())
    {
        if !entry[..colon].contains(&b'<') && !entry[..colon].contains(&b'@') {
            entry = entry[colon + 1..].trim_ascii();
        }
    }
    let entry = <[u8]>::trim_ascii(entry.strip_suffix(b";").unwrap_or(entry));
    if entry.is_empty() {
        return None;
    }
    let lt = split_unquoted(entry, b'<')
        .next()
        .map(|f| f.len())
        .filter(|&l| l < entry.len());
    Some(match lt {
        Some(lt) => {
            let gt = entry[lt..]
                .iter()
                .position(|&b| b == b'>')
                .map(|g| lt + g)
                .unwrap_or(entry.len());
            let name = <[u8]>::trim_ascii(&strip_comments(&entry[..lt])).to_vec();
            let name = unquote(&name);
            Mailbox {
                name: ctx.decode(<[u8]>::trim_ascii(&name)).trim().to_string(),
                address: ctx
                    .decode_raw(entry[lt + 1..gt].trim_ascii())
                    .trim()
                    .to_string(),
            }
        }
        None => {
            let name = comment_text(entry).map(|c| {
                ctx.decode(&unquote(<[u8]>::trim_ascii(&c)))
                    .trim()
                    .to_string()
            });
            let address = ctx
                .decode_raw(<[u8]>::trim_ascii(&strip_comments(entry)))
                .trim()
                .to_string();
            // A bare encoded-word or name with no address at all.
            if !address.contains('@') && name.is_none() {
                Mailbox {
                    name: ctx.decode(&unquote(entry)).trim().to_string(),
                    address: String::new(),
                }
            } else {
                Mailbox {
                    name: name.unwrap_or_default(),
                    address,
                }
            }
        }
    })
}

#[cfg(test)]
#[path = "header_tests.rs"]
mod tests;
