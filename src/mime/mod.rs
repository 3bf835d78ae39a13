//! From raw message bytes to what a person reads: a `Summary` for the list
//! (from `TOP n 0` headers) and a `Rendered` message for the reader and
//! `postie show` (from RETR). All text leaving here is sanitised. No I/O.

pub mod sanitize;

use mail_parser::{Address, MessageParser, MimeHeaders};
use serde::Serialize;

use sanitize::{sanitize_line, sanitize_text};

/// What the list shows for one message; compact, owned, cheap to keep by the thousand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub subject: String,
    /// The sender's name if present, else the address.
    pub from: String,
    pub from_address: String,
    /// Seconds since the epoch (UTC), if the Date header could be read.
    pub timestamp: Option<i64>,
    /// RFC 3339 with the sender's own offset, if the date could be read.
    pub date_rfc3339: Option<String>,
    /// The Date header as written, for showing when it could not be read.
    pub date_raw: String,
    /// Guessed from the headers: multipart/mixed usually carries attachments.
    pub maybe_attachment: bool,
}

fn parser() -> MessageParser {
    MessageParser::default()
}

fn first_sender(addr: Option<&Address<'_>>) -> (String, String) {
    let Some(a) = addr.and_then(|a| a.first()) else {
        return (String::new(), String::new());
    };
    let address = a.address().unwrap_or_default().trim().to_string();
    let name = a
        .name()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&address)
        .to_string();
    (sanitize_line(&name), sanitize_line(&address))
}

fn address_list(addr: Option<&Address<'_>>) -> String {
    let Some(addr) = addr else {
        return String::new();
    };
    let parts: Vec<String> = addr
        .iter()
        .map(|a| {
            match (
                a.name().map(str::trim).filter(|n| !n.is_empty()),
                a.address(),
            ) {
                (Some(n), Some(ad)) => format!("{n} <{ad}>"),
                (Some(n), None) => n.to_string(),
                (None, Some(ad)) => ad.to_string(),
                (None, None) => String::new(),
            }
        })
        .filter(|s| !s.is_empty())
        .collect();
    sanitize_line(&parts.join(", "))
}

impl Summary {
    /// Reads the header block from `TOP n 0` (or a whole message).
    pub fn from_headers(raw: &[u8]) -> Summary {
        let Some(msg) = parser().parse_headers(raw) else {
            return Summary::default();
        };
        let (from, from_address) = first_sender(msg.from());
        let date = msg.date().filter(|d| d.is_valid());
        let date_raw = msg
            .header_raw("Date")
            .map(|d| sanitize_line(d.trim()))
            .unwrap_or_default();
        let maybe_attachment = msg.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("mixed"))
        });
        Summary {
            subject: sanitize_line(msg.subject().unwrap_or_default().trim()),
            from,
            from_address,
            timestamp: date.map(|d| d.to_timestamp()),
            date_rfc3339: date.map(|d| d.to_rfc3339()),
            date_raw,
            maybe_attachment,
        }
    }

    /// The date for the list, in local time; the raw text when it could not be read.
    pub fn list_date(&self) -> String {
        match self
            .timestamp
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        {
            Some(utc) => utc
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            None => self.date_raw.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub name: String,
    /// Decoded size in octets.
    pub size: u64,
}

/// A message ready to read: headers, body text, attachments; all sanitised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

impl Rendered {
    pub fn from_message(raw: &[u8]) -> Rendered {
        let Some(msg) = parser().parse(raw) else {
            return Rendered {
                body: sanitize_text(&String::from_utf8_lossy(raw)),
                ..Default::default()
            };
        };
        let date = match msg.date().filter(|d| d.is_valid()) {
            Some(d) => d.to_rfc822(),
            None => msg
                .header_raw("Date")
                .map(|d| d.trim().to_string())
                .unwrap_or_default(),
        };
        let body = msg
            .body_text(0)
            .or_else(|| msg.body_html(0).map(|h| h.into_owned().into()))
            .map(|b| b.into_owned())
            .unwrap_or_default();
        let attachments = msg
            .attachments()
            .enumerate()
            .map(|(i, part)| Attachment {
                name: sanitize_line(
                    part.attachment_name()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("part-{}", i + 1))
                        .as_str(),
                ),
                size: part.contents().len() as u64,
            })
            .collect();
        Rendered {
            from: address_list(msg.from()),
            to: address_list(msg.to()),
            cc: address_list(msg.cc()),
            date: sanitize_line(&date),
            subject: sanitize_line(msg.subject().unwrap_or_default()),
            body: sanitize_text(body.trim_end_matches(['\r', '\n'])),
            attachments,
        }
    }

    /// The text `postie show` prints (CONTRACT.md).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("From: {}\n", self.from));
        out.push_str(&format!("To: {}\n", self.to));
        if !self.cc.is_empty() {
            out.push_str(&format!("Cc: {}\n", self.cc));
        }
        out.push_str(&format!("Date: {}\n", self.date));
        out.push_str(&format!("Subject: {}\n\n", self.subject));
        out.push_str(&self.body);
        out.push('\n');
        if !self.attachments.is_empty() {
            out.push_str("\nAttachments:\n");
            for (i, a) in self.attachments.iter().enumerate() {
                out.push_str(&format!(
                    "  {}. {} ({})\n",
                    i + 1,
                    a.name,
                    crate::display::human_size(a.size)
                ));
            }
        }
        out
    }
}
