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

pub use charset::DecodeOptions;
pub use render::{Attachment, Rendered};

use header::{find, first_address, split_entity, HeaderContext, Params};
use sanitize::sanitize_line;

/// A message's unique id (UIDL), shared rather than copied between the
/// worker, the cache and the list: a 100,000-message mailbox holds one copy.
pub type Uidl = std::sync::Arc<str>;

/// What the list shows for one message: compact (one allocation for all its
/// text), owned, cheap to keep by the hundred thousand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Subject, sender, sender address and, only when the date could not be
    /// read, the Date header as written: back to back.
    text: Box<str>,
    ends: [u32; 3],
    /// Seconds since the epoch (UTC), if the Date header could be read.
    pub timestamp: Option<i64>,
    /// The sender's own UTC offset, in minutes.
    offset_minutes: i16,
    /// Guessed from the headers: multipart/mixed usually carries attachments.
    pub maybe_attachment: bool,
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
        let date_raw = if date.is_some() { "" } else { date_raw };
        let mut text =
            String::with_capacity(subject.len() + from.len() + from_address.len() + date_raw.len());
        let mut ends = [0u32; 3];
        for (end, part) in ends.iter_mut().zip([subject, from, from_address]) {
            text.push_str(part);
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        text.push_str(date_raw);
        Summary {
            text: text.into_boxed_str(),
            ends,
            timestamp: date.map(|d| d.0),
            offset_minutes: date.map_or(0, |d| d.1),
            maybe_attachment,
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

    /// The Date header as written, when it could not be read.
    pub fn date_raw(&self) -> &str {
        self.part(3)
    }

    /// The sender's UTC offset in minutes (meaningful with a `timestamp`).
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// The date with the sender's own offset, if it could be read.
    pub fn date(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        let offset = chrono::FixedOffset::east_opt(i32::from(self.offset_minutes) * 60)?;
        let utc = chrono::DateTime::from_timestamp(self.timestamp?, 0)?;
        Some(utc.with_timezone(&offset))
    }

    /// RFC 3339 with the sender's own offset, if the date could be read.
    pub fn date_rfc3339(&self) -> Option<String> {
        self.date().map(|d| d.to_rfc3339())
    }

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
            .and_then(|v| first_address(v, &ctx))
            .unwrap_or_default();
        let (date_raw, date) = date::from_fields(&fields, &ctx);
        let date = date.map(|d| {
            let minutes = d.offset().local_minus_utc() / 60;
            (d.timestamp(), i16::try_from(minutes).unwrap_or(0))
        });
        Summary::new(
            &sanitize_line(
                ctx.decode(find(&fields, "subject").unwrap_or_default())
                    .trim(),
            ),
            &sanitize_line(sender.display()),
            &sanitize_line(&sender.address),
            &sanitize_line(&date_raw),
            date,
            ct.value == "multipart/mixed",
        )
    }

    /// The date for the list in local time (`%Y-%m-%d %H:%M`, or without the
    /// year when `short`); the date as written when it could not be read.
    /// `zone` is the reader's time zone; None means the system's.
    pub fn local_date(&self, short: bool, zone: Option<chrono::FixedOffset>) -> String {
        let format = if short {
            "%m-%d %H:%M"
        } else {
            "%Y-%m-%d %H:%M"
        };
        match self
            .timestamp
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        {
            Some(utc) => match zone {
                Some(z) => utc.with_timezone(&z).format(format).to_string(),
                None => utc.with_timezone(&chrono::Local).format(format).to_string(),
            },
            None => self.date_raw().to_string(),
        }
    }

    /// The date for `postie list`.
    pub fn list_date(&self) -> String {
        self.local_date(false, None)
    }
}
