//! A whole message (from RETR) made readable. mail-parser finds the MIME tree
//! (part boundaries, nested messages, truncated parts); every byte of header
//! and content is decoded here from the raw message, so nothing is lost to an
//! early wrong guess. Depth and part count are bounded.

use mail_parser::{MessageParser, MessagePart, PartType};
use rust_i18n::t;

use super::charset::{decode_text, lookup, message_charset, DecodeOptions};
use super::header::latin_words_are_gbk;
use super::header::{
    eight_bit_sample, find, parse_addresses, split_entity, HeaderContext, Mailbox, Params,
};
use super::transfer;
use super::Summary;
use crate::text::sanitize::{sanitize_line, sanitize_text};

/// How deep multiparts and attached messages are followed.
pub const MAX_DEPTH: usize = 32;
/// How many parts are looked at in one message.
pub const MAX_PARTS: usize = 5000;
/// HTML beyond this is not converted (the conversion is the slowest step).
const MAX_HTML: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    /// Its place in the list `show` prints (1-based): what `save --part` takes.
    pub part: usize,
    pub name: String,
    /// Decoded size in octets.
    pub size: u64,
    pub mime_type: String,
}

/// A message ready to read: headers, body text, attachments; all sanitised.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rendered {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: String,
    /// The date in the reader's words (`i18n::long_date`); empty when unreadable.
    #[serde(skip)]
    pub date_local: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// What the list shows for this message, decoded as above: the list
    /// takes it once the message has been read, so the two agree.
    #[serde(skip)]
    pub summary: Option<std::sync::Arc<super::Summary>>,
    /// The HTML alternative of the text part shown, as text (numbered
    /// links), when the message has both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The first HTML part, decoded but still HTML: for a browser (never
    /// shown in the terminal).
    #[serde(skip)]
    pub html_source: Option<String>,
    /// The address a read receipt is asked for (`Disposition-Notification-To`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_to: Option<String>,
}

/// What a part's own headers say about it.
pub(super) struct PartInfo {
    pub(super) mime: String,
    pub(super) params: Params,
    pub(super) cte: String,
    pub(super) disposition: Option<Params>,
}

impl PartInfo {
    pub(super) fn read(header_block: &[u8], default_mime: &str) -> PartInfo {
        let (fields, _) = split_entity(header_block);
        let params = find(&fields, "content-type")
            .map(Params::parse)
            .unwrap_or_default();
        let mime = if params.value.contains('/') {
            params.value.clone()
        } else {
            default_mime.to_string()
        };
        let cte = find(&fields, "content-transfer-encoding")
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
            .unwrap_or_default();
        let disposition = find(&fields, "content-disposition").map(Params::parse);
        PartInfo {
            mime,
            params,
            cte,
            disposition,
        }
    }

    pub(super) fn charset(&self) -> Option<String> {
        self.params.text("charset")
    }

    /// Declared an attachment, or not something a reader shows inline
    /// (inline parts: plain text, HTML, other text without a file name, containers).
    pub(super) fn is_attachment(&self) -> bool {
        if self
            .disposition
            .as_ref()
            .is_some_and(|d| d.value == "attachment")
        {
            return true;
        }
        let m = self.mime.as_str();
        let inline = m == "text/plain"
            || m == "text/html"
            || m.starts_with("multipart/")
            || m.starts_with("message/")
            || (m.starts_with("text/") && self.filename_param().is_none());
        !inline
    }

    pub(super) fn filename_param(&self) -> Option<&Params> {
        match &self.disposition {
            Some(d) if d.has("filename") => Some(d),
            _ if self.params.has("name") => Some(&self.params),
            _ => None,
        }
    }

    pub(super) fn filename(&self, ctx: &HeaderContext) -> Option<String> {
        let p = self.filename_param()?;
        let key = if p.has("filename") {
            "filename"
        } else {
            "name"
        };
        p.decoded(key, ctx)
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
    }
}

struct Walker {
    ctx: HeaderContext,
    blocks: Vec<String>,
    attachments: Vec<Attachment>,
    parts_seen: usize,
    notes: Vec<&'static str>,
    /// When saving: each attachment's decoded name (not yet made safe) and bytes.
    kept: Option<Vec<AttachmentPart>>,
    /// The HTML alternative of a text part shown, as text.
    html_alt: Option<String>,
    /// The first HTML part, decoded (for a browser).
    html_source: Option<String>,
}

/// An attachment with what saving it needs.
#[derive(Debug, Clone)]
pub struct AttachmentPart {
    pub attachment: Attachment,
    /// The decoded file name as the message gives it (made safe only by the saver).
    pub file_name: String,
    /// Exactly the decoded content.
    pub bytes: Vec<u8>,
}

fn raw_slice(raw: &[u8], from: u32, to: u32) -> &[u8] {
    let (from, to) = (from as usize, to as usize);
    raw.get(from.min(to)..to.min(raw.len())).unwrap_or_default()
}

fn header_block<'a>(msg: &'a mail_parser::Message<'_>, part: &MessagePart<'_>) -> &'a [u8] {
    raw_slice(&msg.raw_message, part.offset_header, part.offset_body)
}

fn body_bytes<'a>(msg: &'a mail_parser::Message<'_>, part: &MessagePart<'_>) -> &'a [u8] {
    raw_slice(&msg.raw_message, part.offset_body, part.offset_end)
}

/// `<meta charset=...>` or `content="text/html; charset=..."` near the start of HTML.
fn html_meta_charset(html: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&html[..html.len().min(4096)]).to_ascii_lowercase();
    let at = head.find("charset=")?;
    let rest = head[at + 8..].trim_start_matches(['"', '\'', ' ']);
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
    Some(rest[..end].to_string()).filter(|s| !s.is_empty())
}

pub fn html_to_text(html: &str) -> String {
    let html = if html.len() > MAX_HTML {
        let mut cut = MAX_HTML;
        while !html.is_char_boundary(cut) {
            cut -= 1;
        }
        &html[..cut]
    } else {
        html
    };
    html2text::config::plain()
        .link_footnotes(true)
        .string_from_read(html.as_bytes(), 10_000)
        .map(|t| t.lines().map(str::trim_end).collect::<Vec<_>>().join("\n"))
        .unwrap_or_else(|_| html.to_string())
}

impl Walker {
    fn text_of(&mut self, info: &PartInfo, body: &[u8]) -> String {
        let bytes = transfer::decode(body, &info.cte);
        if info.mime == "text/html" {
            let source = self.html_of(info, &bytes);
            html_to_text(&source)
        } else {
            decode_text(&bytes, info.charset().as_deref(), &self.ctx.opts)
        }
    }

    /// An HTML part decoded to text (still HTML); the first is kept for a browser.
    fn html_of(&mut self, info: &PartInfo, bytes: &[u8]) -> String {
        let label = info.charset().or_else(|| html_meta_charset(bytes));
        let source = decode_text(bytes, label.as_deref(), &self.ctx.opts);
        if self.html_source.is_none() && source.len() <= MAX_HTML {
            self.html_source = Some(source.clone());
        }
        source
    }

    fn push_block(&mut self, text: String) {
        let t = text.trim_matches(|c| c == '\r' || c == '\n').to_string();
        if !t.trim().is_empty() {
            self.blocks.push(t);
        }
    }

    fn attach(&mut self, info: &PartInfo, body: &[u8]) {
        let n = self.attachments.len() + 1;
        let name = info
            .filename(&self.ctx)
            .unwrap_or_else(|| format!("part-{n}"));
        let size = transfer::decoded_len(body, &info.cte);
        let attachment = Attachment {
            part: n,
            name: sanitize_line(&name).into_owned(),
            size,
            mime_type: sanitize_line(&info.mime).into_owned(),
        };
        if let Some(kept) = self.kept.as_mut() {
            kept.push(AttachmentPart {
                attachment: attachment.clone(),
                file_name: name,
                bytes: transfer::decode(body, &info.cte),
            });
        }
        self.attachments.push(attachment);
    }

    fn part(
        &mut self,
        msg: &mail_parser::Message<'_>,
        id: usize,
        depth: usize,
        default_mime: &str,
    ) {
        self.parts_seen += 1;
        if depth > MAX_DEPTH || self.parts_seen > MAX_PARTS {
            self.notes
                .push("[the message is nested too deeply; the rest is not shown]");
            return;
        }
        let Some(part) = msg.parts.get(id) else {
            return;
        };
        let info = PartInfo::read(header_block(msg, part), default_mime);
        let body = body_bytes(msg, part);
        match &part.body {
            PartType::Multipart(children) => {
                let children: Vec<usize> = children.iter().map(|&c| c as usize).collect();
                let sub = info
                    .mime
                    .strip_prefix("multipart/")
                    .unwrap_or("mixed")
                    .to_string();
                match sub.as_str() {
                    "alternative" => self.alternative(msg, &children, depth),
                    "related" => {
                        // The root (first) part is the message; the rest are its pictures,
                        // listed only when they carry a file name.
                        if let Some(&root) = children.first() {
                            self.part(msg, root, depth + 1, "text/plain");
                        }
                        for &c in children.iter().skip(1) {
                            if let Some(p) = msg.parts.get(c) {
                                let pi = PartInfo::read(
                                    header_block(msg, p),
                                    "application/octet-stream",
                                );
                                if pi.filename(&self.ctx).is_some() {
                                    self.attach(&pi, body_bytes(msg, p));
                                }
                            }
                        }
                    }
                    _ => {
                        let child_default = if sub == "digest" {
                            "message/rfc822"
                        } else {
                            "text/plain"
                        };
                        for c in children {
                            self.part(msg, c, depth + 1, child_default);
                        }
                    }
                }
            }
            // An attached message is shown inline, with its own headers.
            PartType::Message(inner) => self.forwarded(inner, depth + 1),
            _ if info.is_attachment() => self.attach(&info, body),
            _ => {
                let text = self.text_of(&info, body);
                self.push_block(text);
            }
        }
    }

    fn alternative(&mut self, msg: &mail_parser::Message<'_>, children: &[usize], depth: usize) {
        let mut html = None;
        let mut other = None;
        for &c in children {
            let Some(p) = msg.parts.get(c) else { continue };
            let info = PartInfo::read(header_block(msg, p), "text/plain");
            match info.mime.as_str() {
                "text/plain" => {
                    let text = self.text_of(&info, body_bytes(msg, p));
                    if !text.trim().is_empty() {
                        self.push_block(text);
                        // An HTML alternative beside it can be shown instead
                        // (the reader's H; `show --html`): often the text part
                        // only says "view this in HTML".
                        let html_child = children.iter().find_map(|&h| {
                            let hp = msg.parts.get(h)?;
                            let hi = PartInfo::read(header_block(msg, hp), "text/plain");
                            (hi.mime == "text/html").then_some((hi, hp))
                        });
                        if let Some((hi, hp)) = html_child {
                            if self.html_alt.is_none() {
                                let html = self.text_of(&hi, body_bytes(msg, hp));
                                self.html_alt = Some(sanitize_text(&html));
                            }
                        }
                        return;
                    }
                }
                "text/html" => html = html.or(Some(c)),
                m if m.starts_with("multipart/") => other = Some(c),
                _ => {}
            }
        }
        if let Some(c) = html.or(other) {
            self.part(msg, c, depth + 1, "text/plain");
        }
    }

    fn forwarded(&mut self, inner: &mail_parser::Message<'_>, depth: usize) {
        let Some(root) = inner.parts.first() else {
            return;
        };
        let (fields, _) = split_entity(header_block(inner, root));
        let ctx = HeaderContext {
            declared: declared_charset(inner).or(self.ctx.declared),
            latin_is_gbk: latin_words_are_gbk(&fields) || self.ctx.latin_is_gbk,
            ..self.ctx
        };
        let h = Headers::read(&fields, &ctx);
        let block = forwarded_block(&h.from, &h.date, &h.subject, &h.to, &h.cc);
        self.blocks.push(block.trim_end().to_string());
        let outer = std::mem::replace(&mut self.ctx, ctx);
        self.part(inner, 0, depth, "text/plain");
        self.ctx = outer;
    }
}

/// The charset the message declares for its text: the top-level Content-Type,
/// else the first text part's.
fn declared_charset(msg: &mail_parser::Message<'_>) -> Option<&'static encoding_rs::Encoding> {
    msg.parts.iter().take(64).find_map(|p| {
        let info = PartInfo::read(header_block(msg, p), "text/plain");
        info.mime
            .starts_with("text/")
            .then(|| info.charset().as_deref().and_then(lookup))
            .flatten()
    })
}

/// The display headers of a message or an attached one.
pub(super) struct Headers {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: String,
    pub date_local: String,
    pub subject: String,
}

fn address_line(list: &[Mailbox]) -> String {
    sanitize_line(
        &list
            .iter()
            .map(Mailbox::full)
            .collect::<Vec<_>>()
            .join(", "),
    )
    .into_owned()
}

impl Headers {
    pub fn read(fields: &[super::header::Field<'_>], ctx: &HeaderContext) -> Headers {
        let addrs = |name| {
            find(fields, name)
                .map(|v| parse_addresses(v, ctx))
                .unwrap_or_default()
        };
        let (date, date_local) = match super::date::from_fields(fields, ctx) {
            (_, Some(d)) => (d.to_rfc2822(), crate::i18n::long_date(&d)),
            (raw, None) => (raw, String::new()),
        };
        Headers {
            from: address_line(&addrs("from")),
            to: address_line(&addrs("to")),
            cc: address_line(&addrs("cc")),
            date: sanitize_line(&date).into_owned(),
            date_local,
            subject: sanitize_line(
                ctx.decode(find(fields, "subject").unwrap_or_default())
                    .trim(),
            )
            .into_owned(),
        }
    }
}

/// Every attachment of a message with its decoded bytes, in `show`'s order.
pub fn attachment_parts(raw: &[u8], opts: &DecodeOptions) -> Vec<AttachmentPart> {
    walk(raw, opts, true).1
}

impl Rendered {
    pub fn from_message(raw: &[u8], opts: &DecodeOptions) -> Rendered {
        walk(raw, opts, false).0
    }
}

fn walk(raw: &[u8], opts: &DecodeOptions, keep: bool) -> (Rendered, Vec<AttachmentPart>) {
    {
        let (top_fields, top_body) = split_entity(raw);
        let ctx = HeaderContext {
            opts: *opts,
            declared: None,
            // All of the message's 8-bit text together decides for each part of it.
            detected: message_charset(&eight_bit_sample(&top_fields, top_body)),
            latin_is_gbk: latin_words_are_gbk(&top_fields),
        };
        drop(top_fields);
        let Some(msg) = MessageParser::default().parse(raw) else {
            let (fields, body) = split_entity(raw);
            let h = Headers::read(&fields, &ctx);
            let rendered = Rendered {
                body: sanitize_text(&decode_text(body, None, opts)),
                from: h.from,
                to: h.to,
                cc: h.cc,
                date: h.date,
                date_local: h.date_local,
                subject: h.subject,
                attachments: Vec::new(),
                summary: Some(std::sync::Arc::new(Summary::from_fields(&fields, &ctx))),
                ..Default::default()
            };
            return (rendered, Vec::new());
        };
        let ctx = HeaderContext {
            declared: declared_charset(&msg),
            ..ctx
        };
        let mut w = Walker {
            ctx,
            blocks: Vec::new(),
            attachments: Vec::new(),
            parts_seen: 0,
            notes: Vec::new(),
            kept: keep.then(Vec::new),
            html_alt: None,
            html_source: None,
        };
        w.part(&msg, 0, 0, "text/plain");
        let (fields, _) = split_entity(
            msg.parts
                .first()
                .map(|p| header_block(&msg, p))
                .unwrap_or(raw),
        );
        let h = Headers::read(&fields, &ctx);
        let summary = Summary::from_fields(&fields, &ctx);
        // The whole message says whether it has attachments (the headers
        // alone only guess, from multipart/mixed): the list's @ is exact.
        let summary = summary.with_attachment(!w.attachments.is_empty());
        let receipt_to = find(&fields, "disposition-notification-to")
            .and_then(|v| parse_addresses(v, &ctx).into_iter().next())
            .map(|m| sanitize_line(&m.address).into_owned())
            .filter(|a| a.contains('@'));
        let mut blocks = w.blocks;
        if let Some(note) = w.notes.first() {
            blocks.push(note.to_string());
        }
        let rendered = Rendered {
            from: h.from,
            to: h.to,
            cc: h.cc,
            date: h.date,
            date_local: h.date_local,
            subject: h.subject,
            body: sanitize_text(&blocks.join("\n\n")),
            attachments: w.attachments,
            summary: Some(std::sync::Arc::new(summary)),
            html: w.html_alt,
            html_source: w.html_source,
            receipt_to,
        };
        (rendered, w.kept.unwrap_or_default())
    }
}

impl Rendered {
    /// The reader's header lines, labelled in the language in use (发件人：…),
    /// the date as its readers write it (`i18n::long_date`).
    pub fn reader_fields(&self) -> Vec<(std::borrow::Cow<'static, str>, &str)> {
        let mut fields = vec![
            (t!("field.from"), self.from.as_str()),
            (t!("field.to"), self.to.as_str()),
        ];
        if !self.cc.is_empty() {
            fields.push((t!("field.cc"), self.cc.as_str()));
        }
        let date = if self.date_local.is_empty() {
            self.date.as_str()
        } else {
            self.date_local.as_str()
        };
        fields.extend([
            (t!("field.date"), date),
            (t!("field.subject"), self.subject.as_str()),
        ]);
        fields
    }

    /// The header lines `show` prints, in order: From, To, Cc (only if any), Date, Subject.
    pub fn header_fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![("From", self.from.as_str()), ("To", self.to.as_str())];
        if !self.cc.is_empty() {
            fields.push(("Cc", self.cc.as_str()));
        }
        fields.extend([
            ("Date", self.date.as_str()),
            ("Subject", self.subject.as_str()),
        ]);
        fields
    }

    /// The text `postie show` prints (README.md, "Using it").
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (label, value) in self.header_fields() {
            out.push_str(&format!("{label}: {value}\n"));
        }
        out.push('\n');
        out.push_str(&self.body);
        out.push('\n');
        if !self.attachments.is_empty() {
            out.push_str("\nAttachments:\n");
            for (i, a) in self.attachments.iter().enumerate() {
                out.push_str(&format!(
                    "  {}. {} ({})\n",
                    i + 1,
                    a.name,
                    crate::text::human_size(a.size)
                ));
            }
        }
        out
    }
}

/// Who a message is from and to, as addresses (for answering it): decoded
/// with the message's own charset, like the reader's header lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addresses {
    pub from: Vec<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
}

pub fn addresses(raw: &[u8], opts: &DecodeOptions) -> Addresses {
    let parsed = MessageParser::default().parse(raw);
    let declared = parsed.as_ref().and_then(declared_charset);
    let (fields, body) = split_entity(raw);
    let ctx = HeaderContext {
        opts: *opts,
        declared,
        detected: message_charset(&eight_bit_sample(&fields, body)),
        latin_is_gbk: latin_words_are_gbk(&fields),
    };
    let list = |name| {
        find(&fields, name)
            .map(|v| parse_addresses(v, &ctx))
            .unwrap_or_default()
            .into_iter()
            .map(|m| Mailbox {
                name: sanitize_line(&m.name).into_owned(),
                address: sanitize_line(&m.address).into_owned(),
            })
            .collect()
    };
    Addresses {
        from: list("from"),
        reply_to: list("reply-to"),
        to: list("to"),
        cc: list("cc"),
    }
}

/// `---------- Forwarded message ----------` and the From, Date, Subject,
/// To and Cc lines that are not empty: how an attached message is shown,
/// and how a forward starts.
pub fn forwarded_block(from: &str, date: &str, subject: &str, to: &str, cc: &str) -> String {
    let mut block = String::from("---------- Forwarded message ----------\n");
    for (label, value) in [
        ("From", from),
        ("Date", date),
        ("Subject", subject),
        ("To", to),
        ("Cc", cc),
    ] {
        if !value.is_empty() {
            block.push_str(&format!("{label}: {value}\n"));
        }
    }
    block
}
