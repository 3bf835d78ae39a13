//! From raw message bytes to what a person reads: a `Summary` for the list
//! (from `TOP n 0` headers) and a `Rendered` message for the reader and
//! `postie show` (from RETR). Charsets, encoded-words, transfer encodings and
//! structure are all decoded here from the raw bytes; every string leaving
//! this module has been through `sanitize`. No I/O.

pub mod address;
pub mod charset;
pub mod date;
pub mod header;
pub mod large;
pub mod mbox;
pub mod render;
pub mod subject;

pub mod transfer;

pub use charset::DecodeOptions;
pub use large::{render_bytes, render_file, render_large, scan_attachments, SPILL_ABOVE};
pub use render::{attachment_parts, Attachment, AttachmentPart, Rendered};

use crate::text::sanitize::sanitize_line;
use header::{find, first_address, split_entity, HeaderContext, Params};

/// How many text parts a `Summary` holds before the raw date.
const PARTS: usize = 8;

/// What the list shows for one message: compact (one allocation for all its
/// text, 40 bytes beside it), owned, cheap to keep by the hundred thousand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Subject, sender, sender address, Message-ID, In-Reply-To, References,
    /// Reply-To, the first recipient and, only when the date could not be
    /// read, the Date header as written: back to back, at most `MAX_TEXT`
    /// bytes.
    text: Box<str>,
    ends: [u16; PARTS],
    /// The date, the sender's offset and the attachment guess in one word
    /// (`Stamp`): 8 bytes where three fields took 24.
    stamp: Stamp,
}

/// The most text a summary keeps (its ends are u16): every part is cut at
/// `MAX_PART` bytes first, so each keeps its own share.
const MAX_TEXT: usize = u16::MAX as usize;
const MAX_PART: usize = MAX_TEXT / (PARTS + 1);

/// Seconds since the epoch in the top 48 bits (`NO_DATE` when the date
/// could not be read), the sender's UTC offset in minutes in the low 15
/// (±16,383; real offsets stay within ±5,999), bit 15 the attachment guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp(i64);

/// The 48-bit seconds field's value for "no date" (its lowest).
const NO_DATE: i64 = -(1 << 47);
const ATTACHMENT: i64 = 1 << 15;

impl Stamp {
    fn new(date: Option<(i64, i16)>, attachment: bool) -> Stamp {
        // A date beyond ±4 million years (only a corrupt index has one) is
        // no date.
        let (secs, offset) = date
            .filter(|&(t, o)| t > NO_DATE && t < -NO_DATE && o.unsigned_abs() < 1 << 14)
            .unwrap_or((NO_DATE, 0));
        Stamp(secs << 16 | if attachment { ATTACHMENT } else { 0 } | (i64::from(offset) & 0x7FFF))
    }

    fn timestamp(self) -> Option<i64> {
        let secs = self.0 >> 16;
        (secs != NO_DATE).then_some(secs)
    }

    fn offset_minutes(self) -> i16 {
        // Sign-extend the low 15 bits.
        let low = (self.0 & 0x7FFF) as i16;
        (low << 1) >> 1
    }

    fn attachment(self) -> bool {
        self.0 & ATTACHMENT != 0
    }
}

impl Default for Summary {
    fn default() -> Summary {
        Summary::new("", "", "", "", None, false)
    }
}

/// A header block's Content-Type (empty when it has none).
fn content_type(fields: &[header::Field<'_>]) -> Params {
    find(fields, "content-type")
        .map(Params::parse)
        .unwrap_or_default()
}

/// The charset of the first text part in a multipart body (its part
/// headers, within the first 64 KB), for the list to decode as the reader does.
fn first_text_charset(body: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let body = &body[..body.len().min(64 * 1024)];
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].strip_suffix(b"\r").unwrap_or(lines[i]);
        i += 1;
        let Some(head) = line.get(..13) else { continue };
        if !head.eq_ignore_ascii_case(b"content-type:") {
            continue;
        }
        let mut value = line[13..].to_vec();
        // A folded value goes on in lines that start with white space.
        while let Some(next) = lines
            .get(i)
            .filter(|l| l.first().is_some_and(|b| *b == b' ' || *b == b'\t'))
        {
            value.extend_from_slice(next.strip_suffix(b"\r").unwrap_or(next));
            i += 1;
        }
        let params = Params::parse(&value);
        if params.value.starts_with("text/") {
            return params.text("charset").as_deref().and_then(charset::lookup);
        }
    }
    None
}

impl Summary {
    /// `date` is the time (seconds since the epoch) with the sender's UTC
    /// offset in minutes; `date_raw` is kept only when there is no `date`.
    pub fn new(
        subject: &str,
        from: &str,
        from_address: &str,
        date_raw: &str,
        date: Option<(i64, i16)>,
        maybe_attachment: bool,
    ) -> Summary {
        Summary::whole(&SummaryParts {
            subject,
            from,
            from_address,
            recipient: "",
            ids: [""; 4],
            date_raw,
            date,
            maybe_attachment,
        })
    }

    /// Every field at once (one allocation for the text).
    pub fn whole(p: &SummaryParts<'_>) -> Summary {
        let date_raw = if p.date.is_some() { "" } else { p.date_raw };
        Summary {
            text: Box::from(""),
            ends: [0; PARTS],
            stamp: Stamp::new(p.date, p.maybe_attachment),
        }
        .with_parts(
            [
                p.subject,
                p.from,
                p.from_address,
                p.ids[0],
                p.ids[1],
                p.ids[2],
                p.ids[3],
                p.recipient,
            ],
            date_raw,
        )
    }

    fn with_parts(mut self, parts: [&str; PARTS], date_raw: &str) -> Summary {
        let cut = |p: &str| {
            let mut at = p.len().min(MAX_PART);
            while !p.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let mut text =
            String::with_capacity(parts.iter().map(|p| cut(p)).sum::<usize>() + cut(date_raw));
        for (end, part) in self.ends.iter_mut().zip(parts) {
            text.push_str(&part[..cut(part)]);
            // At most (PARTS + 1) * MAX_PART bytes: it fits.
            *end = u16::try_from(text.len()).unwrap_or(u16::MAX);
        }
        text.push_str(&date_raw[..cut(date_raw)]);
        self.text = text.into_boxed_str();
        self
    }

    /// Seconds since the epoch (UTC), if the Date header could be read.
    pub fn timestamp(&self) -> Option<i64> {
        self.stamp.timestamp()
    }

    /// Guessed from the headers (multipart/mixed usually carries
    /// attachments), or known from the whole message.
    pub fn maybe_attachment(&self) -> bool {
        self.stamp.attachment()
    }

    /// The same summary, its attachment mark known from the whole message.
    pub fn with_attachment(self, attachment: bool) -> Summary {
        let date = self.timestamp().map(|t| (t, self.offset_minutes()));
        Summary {
            stamp: Stamp::new(date, attachment),
            ..self
        }
    }

    /// The first recipient (To): a name, else the address.
    pub fn recipient(&self) -> &str {
        self.part(7)
    }

    /// Message-ID, In-Reply-To, References and Reply-To.
    pub fn ids(&self) -> Ids {
        Ids {
            message_id: self.message_id().to_string(),
            in_reply_to: self.in_reply_to().to_string(),
            references: self.references().to_string(),
            reply_to: self.reply_to().to_string(),
        }
    }

    /// A row that stands for a message whose headers could not be had.
    pub fn note(text: &str) -> Summary {
        Summary::new(text, "", "", "", None, false)
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        self.text.get(start..end).unwrap_or("")
    }

    pub fn subject(&self) -> &str {
        self.part(0)
    }

    /// The sender's name if present, else the address.
    pub fn from(&self) -> &str {
        self.part(1)
    }

    pub fn from_address(&self) -> &str {
        self.part(2)
    }

    /// The Message-ID with its angle brackets, or "".
    pub fn message_id(&self) -> &str {
        self.part(3)
    }

    pub fn in_reply_to(&self) -> &str {
        self.part(4)
    }

    /// The References field: message ids separated by spaces.
    pub fn references(&self) -> &str {
        self.part(5)
    }

    /// The Reply-To address, or "".
    pub fn reply_to(&self) -> &str {
        self.part(6)
    }

    /// The Date header as written, when it could not be read.
    pub fn date_raw(&self) -> &str {
        self.part(PARTS)
    }

    /// The sender's UTC offset in minutes (meaningful with a `timestamp`).
    pub fn offset_minutes(&self) -> i16 {
        self.stamp.offset_minutes()
    }

    /// The date with the sender's own offset, if it could be read.
    pub fn date(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        let offset = chrono::FixedOffset::east_opt(i32::from(self.offset_minutes()) * 60)?;
        let utc = chrono::DateTime::from_timestamp(self.timestamp()?, 0)?;
        Some(utc.with_timezone(&offset))
    }

    /// RFC 3339 with the sender's own offset, if the date could be read.
    pub fn date_rfc3339(&self) -> Option<String> {
        self.date().map(|d| d.to_rfc3339())
    }

    /// Reads the header block from `TOP n 0` (or a whole message, whose
    /// first text part's charset and 8-bit text then count too).
    pub fn from_headers(raw: &[u8], opts: &DecodeOptions) -> Summary {
        let (fields, body) = split_entity(raw);
        // Content-Type read once for both the context and the summary.
        let ct = content_type(&fields);
        let ctx = Self::context_for(&fields, &ct, body, opts);
        Summary::summarise(&fields, &ctx, ct.value == "multipart/mixed")
    }

    /// How the header block `fields` of a message with `body` (empty for `TOP
    /// n 0`) is decoded: the top-level charset, else (multipart, when the body
    /// came along) the first text part's, as the reader takes it; the 8-bit
    /// text judged together; old Foxmail's Latin-1-labelled GBK words.
    pub fn header_context(
        fields: &[header::Field<'_>],
        body: &[u8],
        opts: &DecodeOptions,
    ) -> HeaderContext {
        Self::context_for(fields, &content_type(fields), body, opts)
    }

    /// `header_context` with the block's Content-Type already read.
    fn context_for(
        fields: &[header::Field<'_>],
        ct: &Params,
        body: &[u8],
        opts: &DecodeOptions,
    ) -> HeaderContext {
        let declared = ct
            .text("charset")
            .as_deref()
            .and_then(charset::lookup)
            .or_else(|| first_text_charset(body));
        HeaderContext {
            opts: *opts,
            declared,
            detected: charset::message_charset(&header::eight_bit_sample(fields, body)),
            latin_is_gbk: header::latin_words_are_gbk(fields),
        }
    }

    /// The summary of a header block decoded in `ctx` (the reader's, for a
    /// whole message: the list then shows what the reader shows).
    pub(crate) fn from_fields(fields: &[header::Field<'_>], ctx: &HeaderContext) -> Summary {
        let mixed = content_type(fields).value == "multipart/mixed";
        Summary::summarise(fields, ctx, mixed)
    }

    /// `from_fields`, told whether the message is multipart/mixed.
    fn summarise(
        fields: &[header::Field<'_>],
        ctx: &HeaderContext,
        multipart_mixed: bool,
    ) -> Summary {
        let sender = find(fields, "from")
            .and_then(|v| first_address(v, ctx))
            .unwrap_or_default();
        let (date_raw, date) = date::from_fields(fields, ctx);
        let date = date.map(|d| {
            let minutes = d.offset().local_minus_utc() / 60;
            (d.timestamp(), i16::try_from(minutes).unwrap_or(0))
        });
        let ids = Ids {
            message_id: message_ids(find(fields, "message-id")),
            in_reply_to: message_ids(find(fields, "in-reply-to")),
            references: message_ids(find(fields, "references")),
            reply_to: find(fields, "reply-to")
                .and_then(|v| first_address(v, ctx))
                .map(|m| sanitize_line(&m.address).into_owned())
                .unwrap_or_default(),
        };
        let recipient = find(fields, "to")
            .and_then(|v| first_address(v, ctx))
            .unwrap_or_default();
        Summary::whole(&SummaryParts {
            subject: &sanitize_line(
                ctx.decode(find(fields, "subject").unwrap_or_default())
                    .trim(),
            ),
            from: &sanitize_line(sender.display()),
            from_address: &sanitize_line(&sender.address),
            recipient: &sanitize_line(recipient.display()),
            ids: [
                &ids.message_id,
                &ids.in_reply_to,
                &ids.references,
                &ids.reply_to,
            ],
            date_raw: &sanitize_line(&date_raw),
            date,
            maybe_attachment: multipart_mixed,
        })
    }

    /// The date for the list in local time (`%Y-%m-%d %H:%M`, or without the
    /// year when `short`); the date as written when it could not be read.
    /// `zone` is the reader's time zone; None means the system's.
    pub fn local_date(&self, short: bool, zone: Option<chrono::FixedOffset>) -> String {
        use crate::i18n::column_date;
        match self
            .timestamp()
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        {
            Some(utc) => match zone {
                Some(z) => column_date(&utc.with_timezone(&z), short),
                None => column_date(&utc.with_timezone(&chrono::Local), short),
            },
            None => self.date_raw().to_string(),
        }
    }

    /// The date for `postie list`.
    pub fn list_date(&self) -> String {
        self.local_date(false, None)
    }
}

/// Every field of a summary, borrowed (`Summary::whole`).
#[derive(Debug, Clone, Copy)]
pub struct SummaryParts<'a> {
    pub subject: &'a str,
    pub from: &'a str,
    pub from_address: &'a str,
    /// The first recipient: a name, else the address.
    pub recipient: &'a str,
    /// Message-ID, In-Reply-To, References and Reply-To (as `Ids` holds them).
    pub ids: [&'a str; 4],
    /// The Date header as written (kept only when `date` is None).
    pub date_raw: &'a str,
    /// Seconds since the epoch and the sender's UTC offset in minutes.
    pub date: Option<(i64, i16)>,
    pub maybe_attachment: bool,
}

/// The fields that thread and answer a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    pub message_id: String,
    pub in_reply_to: String,
    pub references: String,
    pub reply_to: String,
}

/// The `<...>` message ids of a Message-ID, In-Reply-To or References field,
/// space-separated (comments and phrases dropped; at most `MAX_PART` bytes
/// kept, so a summary never cuts one).
fn message_ids(value: Option<&[u8]>) -> String {
    let Some(v) = value else {
        return String::new();
    };
    let v = header::unfold(v);
    let text = String::from_utf8_lossy(&v);
    let mut out = String::new();
    let mut rest = &*text;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let id = &rest[start..start + len + 1];
        if !id.contains(char::is_whitespace) && out.len() + id.len() < MAX_PART {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&sanitize_line(id));
        }
        rest = &rest[start + len + 1..];
    }
    out
}
