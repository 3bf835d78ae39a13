//! From raw message bytes to what a person reads: a `Summary` for the list
//! (from `TOP n 0` headers) and a `Rendered` message for the reader and
//! `postie show` (from RETR). Charsets, encoded-words, transfer encodings and
//! structure are all decoded here from the raw bytes; every string leaving
//! this module has been through `sanitize`. No I/O.

pub mod charset;
pub mod date;
pub mod header;
pub mod render;
pub mod sanitize;
pub mod transfer;

use serde::Serialize;

pub use charset::DecodeOptions;
pub use render::{Attachment, Rendered};

use header::{find, parse_addresses, split_entity, HeaderContext, Params};
use sanitize::sanitize_line;

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

impl Summary {
    /// Reads the header block from `TOP n 0` (or a whole message).
    pub fn from_headers(raw: &[u8], opts: &DecodeOptions) -> Summary {
        let (fields, _) = split_entity(raw);
        let ct = find(&fields, "content-type")
            .map(Params::parse)
            .unwrap_or_default();
        let declared = ct.text("charset").as_deref().and_then(charset::lookup);
        let ctx = HeaderContext {
            opts: *opts,
            declared,
        };
        let sender = find(&fields, "from")
            .and_then(|v| parse_addresses(v, &ctx).into_iter().next())
            .unwrap_or_default();
        let (date_raw, date) = date::from_fields(&fields, &ctx);
        Summary {
            subject: sanitize_line(
                ctx.decode(find(&fields, "subject").unwrap_or_default())
                    .trim(),
            ),
            from: sanitize_line(sender.display()),
            from_address: sanitize_line(&sender.address),
            timestamp: date.map(|d| d.timestamp()),
            date_rfc3339: date.map(|d| d.to_rfc3339()),
            date_raw: sanitize_line(&date_raw),
            maybe_attachment: ct.value == "multipart/mixed",
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
