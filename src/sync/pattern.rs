//! The one pattern language of `l` (limit), `postie search`-style selection
//! (`move --search`) and filter rules. Free words match the sender or
//! subject; `from:`, `subject:`, `to:`, `cc:`, `body:`, `list:` (List-Id),
//! `header:NAME=VALUE` (`header:X-Spam-Flag=YES`; `header:NAME` alone: the
//! header is there), `is:unread|read|flagged|answered|local`,
//! `has:attachment`, `larger:1M`, `smaller:10K`, `size>1M`, `size<10K`,
//! `before:2024-03-01`, `after:2024-03-01`. Parts next to each other must
//! all match (`&` says so too); `|` between parts means either side; a
//! leading `-` or `!` negates one part; `"…"` quotes a phrase.
//!
//! In the reader's list (`Scope::List`) `to:` and `body:` are answered by the
//! store's full-text index; `cc:`, `list:` and `header:` need the header
//! block. Rules and `postie move`/`filter` (`Scope::Message`) have the header
//! block: `to:`/`cc:` read it, `body:` is refused (rules read headers only).

use rust_i18n::t;

use crate::mime::header::{split_entity, unfold, HeaderContext};
use crate::mime::{DecodeOptions, Summary};
use crate::store::query::{IndexHits, IndexQuery};
use crate::store::Flags;
use crate::uidl::Uidl;

/// Where a pattern is matched, which decides what it can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Rows of a list: summaries, flags; `to:`/`body:` through the index.
    List,
    /// One message with its header block (rules, `move --search`, `filter`).
    Message,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// Sender or subject contains (lower-case).
    Text(String),
    From(String),
    Subject(String),
    /// Answered by the full-text index (every `to:`/`body:` part at once).
    Indexed,
    /// Any of these headers' decoded values contains the text.
    InHeaders(&'static [&'static str], String),
    /// Header NAME (lower-case) is there, and contains VALUE when one is given.
    Header(String, Option<String>),
    Unread,
    Flagged,
    Answered,
    Local,
    Attachment,
    Larger(u64),
    Smaller(u64),
    /// Dated before this instant (seconds since the epoch).
    Before(i64),
    /// Dated at or after this instant.
    After(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    test: Test,
    negated: bool,
}

/// A parsed pattern: any of `groups` matches when all of its terms do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// As typed (for the status line).
    pub text: String,
    groups: Vec<Vec<Term>>,
    /// The `to:` and `body:` parts, as a full-text query for the store.
    pub index_query: Option<IndexQuery>,
}

/// What a pattern is matched against.
pub trait Candidate {
    fn uidl(&self) -> &Uidl;
    fn summary(&self) -> Option<&Summary>;
    fn flags(&self) -> Flags;
    fn size(&self) -> u64;
    /// Kept only here (the server no longer has it).
    fn local_only(&self) -> bool;
    /// The header block, decoded, when it is known.
    fn headers(&self) -> Option<&HeaderBlock> {
        None
    }
    /// The summary when it costs nothing to have (already read).
    fn summary_at_hand(&self) -> Option<&Summary> {
        self.summary()
    }
}

/// A message's header fields, names lower-case; a value is unfolded and
/// decoded (RFC 2047, the charset rules of the reader) only when a rule
/// asks for its header, so the `Received:` lines of 100,000 messages are
/// never decoded for nothing.
#[derive(Debug, Clone, Default)]
pub struct HeaderBlock {
    fields: Vec<(String, Vec<u8>)>,
    /// Each field's decoded value, once asked for.
    decoded: Vec<std::cell::OnceCell<String>>,
    ctx: HeaderContext,
}

impl HeaderBlock {
    /// Reads the header block at the start of `raw` (the rest is ignored).
    pub fn parse(raw: &[u8], decode: &DecodeOptions) -> HeaderBlock {
        let (fields, _) = split_entity(raw);
        // Decoded as the list and the reader decode them; the charset
        // judging is needed only for raw 8-bit header text.
        let ctx = if fields.iter().all(|f| f.value.is_ascii()) {
            HeaderContext {
                opts: *decode,
                latin_is_gbk: crate::mime::header::latin_words_are_gbk(&fields),
                ..HeaderContext::default()
            }
        } else {
            Summary::header_context(&fields, &[], decode)
        };
        HeaderBlock {
            fields: fields
                .iter()
                .map(|f| {
                    (
                        String::from_utf8_lossy(f.name).trim().to_ascii_lowercase(),
                        f.value.to_vec(),
                    )
                })
                .collect(),
            decoded: (0..fields.len())
                .map(|_| std::cell::OnceCell::new())
                .collect(),
            ctx,
        }
    }

    /// Every value of header `name` (lower-case), decoded.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .zip(&self.decoded)
            .filter(move |((n, _), _)| n == name)
            .map(|((_, v), d)| d.get_or_init(|| self.ctx.decode(&unfold(v))).as_str())
    }
}

/// Words of a pattern: whitespace-separated, `"…"` keeps spaces.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `2024-03-01` as the start of that day in `zone` (seconds since the epoch).
fn day_start(s: &str, zone: chrono::FixedOffset) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .ok()?;
    let t = d.and_hms_opt(0, 0, 0)?;
    Some(t.and_local_timezone(zone).single()?.timestamp())
}

const TO: &[&str] = &["to"];
const CC: &[&str] = &["cc"];
const LIST: &[&str] = &["list-id"];

impl Pattern {
    /// Parses `text` for the reader's list; dates are days in `zone`.
    pub fn parse(text: &str, zone: chrono::FixedOffset) -> Result<Pattern, String> {
        Pattern::parse_for(text, zone, Scope::List)
    }

    /// Parses `text`; an unknown `key:` (or one the scope cannot answer)
    /// is an error that names it: a typo must not silently match nothing.
    pub fn parse_for(
        text: &str,
        zone: chrono::FixedOffset,
        scope: Scope,
    ) -> Result<Pattern, String> {
        let mut groups: Vec<Vec<Term>> = vec![Vec::new()];
        let mut index = IndexQuery::default();
        for w in words(text) {
            match w.as_str() {
                "|" => {
                    if groups.last().is_some_and(|g| g.is_empty()) {
                        return Err(t!("limit.empty_side").into_owned());
                    }
                    groups.push(Vec::new());
                    continue;
                }
                "&" => continue,
                _ => {}
            }
            let (negated, w) = match w.strip_prefix(['-', '!']) {
                Some(rest) if !rest.is_empty() => (true, rest.to_string()),
                _ => (false, w),
            };
            let (key, value) = if let Some(v) = w.strip_prefix("size>") {
                ("larger".to_string(), v.to_string())
            } else if let Some(v) = w.strip_prefix("size<") {
                ("smaller".to_string(), v.to_string())
            } else {
                match w.split_once(':') {
                    Some((k, v)) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic()) => {
                        (k.to_ascii_lowercase(), v.to_string())
                    }
                    _ => (String::new(), w.clone()),
                }
            };
            let lower = value.to_lowercase();
            let need = |v: &str| {
                if v.is_empty() {
                    Err(t!("limit.needs_value", key = key).into_owned())
                } else {
                    Ok(())
                }
            };
            let size = |v: &str| {
                crate::text::parse_size(v)
                    .ok_or_else(|| t!("limit.bad_size", key = key, value = v).into_owned())
            };
            let date = |v: &str| {
                day_start(v, zone)
                    .ok_or_else(|| t!("limit.bad_date", key = key, value = v).into_owned())
            };
            let headers_only = |key: &str| {
                if scope == Scope::List {
                    Err(t!("limit.needs_headers", key = key).into_owned())
                } else {
                    Ok(())
                }
            };
            let test = match key.as_str() {
                "" => Test::Text(lower),
                "from" => {
                    need(&lower)?;
                    Test::From(lower)
                }
                "subject" => {
                    need(&lower)?;
                    Test::Subject(lower)
                }
                "to" if scope == Scope::Message => {
                    need(&lower)?;
                    Test::InHeaders(TO, lower)
                }
                "cc" => {
                    need(&lower)?;
                    headers_only("cc")?;
                    Test::InHeaders(CC, lower)
                }
                "list" => {
                    need(&lower)?;
                    headers_only("list")?;
                    Test::InHeaders(LIST, lower)
                }
                "header" => {
                    need(&lower)?;
                    headers_only("header")?;
                    let (name, want) = match value.split_once('=') {
                        Some((n, v)) => (n, Some(v.to_lowercase())),
                        None => (value.as_str(), None),
                    };
                    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                        return Err(t!("limit.bad_header", value = value).into_owned());
                    }
                    Test::Header(name.to_ascii_lowercase(), want)
                }
                "body" if scope == Scope::Message => {
                    return Err(t!("limit.body_in_rule").into_owned());
                }
                "body" | "to" => {
                    need(&lower)?;
                    if groups.len() > 1 || text.split_whitespace().any(|w| w == "|") {
                        return Err(t!("limit.index_with_or", key = key).into_owned());
                    }
                    let list = match (key.as_str(), negated) {
                        ("body", false) => &mut index.body,
                        ("body", true) => &mut index.not_body,
                        (_, false) => &mut index.to,
                        (_, true) => &mut index.not_to,
                    };
                    list.push(value.clone());
                    let group = groups.last_mut().ok_or("")?;
                    if !group.iter().any(|t| t.test == Test::Indexed) {
                        group.push(Term {
                            test: Test::Indexed,
                            negated: false,
                        });
                    }
                    continue;
                }
                "is" => match lower.as_str() {
                    "unread" | "new" => Test::Unread,
                    "read" | "seen" => {
                        if let Some(g) = groups.last_mut() {
                            g.push(Term {
                                test: Test::Unread,
                                negated: !negated,
                            });
                        }
                        continue;
                    }
                    "flagged" => Test::Flagged,
                    "answered" | "replied" => Test::Answered,
                    "local" => Test::Local,
                    _ => return Err(t!("limit.bad_is", value = value).into_owned()),
                },
                "has" => match lower.as_str() {
                    "attachment" | "attachments" => Test::Attachment,
                    _ => return Err(t!("limit.bad_has", value = value).into_owned()),
                },
                "larger" => Test::Larger(size(&value)?),
                "smaller" => Test::Smaller(size(&value)?),
                "before" => Test::Before(date(&value)?),
                "after" => Test::After(date(&value)?),
                // A URL is plain text.
                _ if value.starts_with("//") => Test::Text(w.to_lowercase()),
                _ => return Err(t!("limit.bad_key", key = key).into_owned()),
            };
            if let Some(g) = groups.last_mut() {
                g.push(Term { test, negated });
            }
        }
        if groups.len() > 1 && groups.iter().any(|g| g.is_empty()) {
            return Err(t!("limit.empty_side").into_owned());
        }
        let has_index = !(index.body.is_empty()
            && index.to.is_empty()
            && index.not_body.is_empty()
            && index.not_to.is_empty());
        Ok(Pattern {
            text: text.trim().to_string(),
            groups,
            index_query: has_index.then_some(index),
        })
    }

    /// Does `c` match? `indexed`: what the full-text index answered for
    /// `index_query` (None while it is being asked: such rows are left out).
    pub fn matches(&self, c: &impl Candidate, indexed: Option<&IndexHits>) -> bool {
        self.groups
            .iter()
            .any(|g| g.iter().all(|t| t.negated != test(&t.test, c, indexed)))
    }

    /// Whether matching needs the header block (a rule's `header:`, `cc:`…).
    pub fn needs_headers(&self) -> bool {
        self.groups
            .iter()
            .flatten()
            .any(|t| matches!(t.test, Test::InHeaders(..) | Test::Header(..)))
    }
}

/// Does `hay` contain `q` (already lower-case), ignoring case? Without an
/// allocation when `hay` has no upper-case letter, or is ASCII.
fn contains_ci(hay: &str, q: &str) -> bool {
    if hay.is_ascii() {
        let (h, n) = (hay.as_bytes(), q.as_bytes());
        return n.is_empty()
            || (n.len() <= h.len()
                && h.windows(n.len())
                    .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b)));
    }
    if !hay.chars().any(char::is_uppercase) {
        return hay.contains(q);
    }
    hay.to_lowercase().contains(q)
}

fn test(t: &Test, c: &impl Candidate, indexed: Option<&IndexHits>) -> bool {
    let has = |field: &str, q: &str| contains_ci(field, q);
    // With the header block at hand, From and Subject are read from it (a
    // summary is not parsed for them).
    let header_has = |name: &str, q: &str| c.headers().map(|h| h.values(name).any(|v| has(v, q)));
    let in_summary = |s: &Summary, from: bool, subject: bool, q: &str| {
        (subject && has(s.subject(), q)) || (from && (has(s.from(), q) || has(s.from_address(), q)))
    };
    // A summary already read (the index's) answers From and Subject;
    // else the header block, so none is parsed for them.
    let by_summary = |from: bool, subject: bool, q: &str| match c.summary_at_hand() {
        Some(s) => Some(in_summary(s, from, subject, q)),
        None => {
            let f = if from {
                header_has("from", q)
            } else {
                Some(false)
            };
            let s = if subject {
                header_has("subject", q)
            } else {
                Some(false)
            };
            f.zip(s).map(|(a, b)| a || b)
        }
    };
    match t {
        Test::Text(q) => by_summary(true, true, q)
            .unwrap_or_else(|| c.summary().is_some_and(|s| in_summary(s, true, true, q))),
        Test::From(q) => by_summary(true, false, q)
            .unwrap_or_else(|| c.summary().is_some_and(|s| in_summary(s, true, false, q))),
        Test::Subject(q) => by_summary(false, true, q)
            .unwrap_or_else(|| c.summary().is_some_and(|s| in_summary(s, false, true, q))),
        Test::Indexed => indexed.is_some_and(|hits| hits.admits(c.uidl())),
        Test::InHeaders(names, q) => c
            .headers()
            .is_some_and(|h| names.iter().any(|n| h.values(n).any(|v| has(v, q)))),
        Test::Header(name, want) => c.headers().is_some_and(|h| {
            let mut values = h.values(name).peekable();
            match want {
                None => values.peek().is_some(),
                Some(q) => values.any(|v| has(v.trim(), q)),
            }
        }),
        Test::Unread => !c.flags().contains(Flags::SEEN),
        Test::Flagged => c.flags().contains(Flags::FLAGGED),
        Test::Answered => c.flags().contains(Flags::ANSWERED),
        Test::Local => c.local_only(),
        Test::Attachment => c.summary().is_some_and(|s| s.maybe_attachment()),
        Test::Larger(n) => c.size() > *n,
        Test::Smaller(n) => c.size() < *n,
        Test::Before(t) => c
            .summary()
            .and_then(|s| s.timestamp())
            .is_some_and(|d| d < *t),
        Test::After(t) => c
            .summary()
            .and_then(|s| s.timestamp())
            .is_some_and(|d| d >= *t),
    }
}

/// A message as a rule sees it: its flags, size and header block; its
/// summary (dates, attachments) read from the header block only when a
/// rule asks, or the index's when there is one.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub uidl: Uidl,
    pub flags: Flags,
    pub size: u64,
    pub on_server: bool,
    headers: Option<HeaderBlock>,
    summary: std::cell::OnceCell<Option<Summary>>,
    /// The header block's bytes, for a summary read on demand.
    head: Vec<u8>,
    decode: DecodeOptions,
}

impl MessageView {
    /// A row of the index: its summary, no header block.
    pub fn of_row(row: &crate::store::Row) -> Self {
        MessageView {
            uidl: row.uidl.clone(),
            flags: row.flags,
            size: row.size,
            on_server: row.on_server,
            headers: None,
            summary: std::cell::OnceCell::from(row.summary.as_deref().cloned()),
            head: Vec::new(),
            decode: DecodeOptions::default(),
        }
    }

    /// A row of the index and its message's header block (the index's
    /// summary kept: no second parse).
    pub fn of_row_with_head(row: &crate::store::Row, raw: &[u8], decode: &DecodeOptions) -> Self {
        let mut v = MessageView::read(row.uidl.clone(), raw, row.size, row.flags, decode);
        v.on_server = row.on_server;
        if let Some(s) = row.summary.as_deref() {
            v.summary = std::cell::OnceCell::from(Some(s.clone()));
        }
        v
    }

    /// From a message's bytes (the header block at least).
    pub fn read(uidl: Uidl, raw: &[u8], size: u64, flags: Flags, decode: &DecodeOptions) -> Self {
        // The header block: up to the first empty line, found in one pass
        // over the head only (not a scan of the whole message per ending).
        let (_, body) = split_entity(raw);
        let head = &raw[..raw.len() - body.len()];
        MessageView {
            uidl,
            flags,
            size,
            on_server: true,
            headers: Some(HeaderBlock::parse(head, decode)),
            summary: std::cell::OnceCell::new(),
            head: head.to_vec(),
            decode: *decode,
        }
    }
}

impl Candidate for MessageView {
    fn uidl(&self) -> &Uidl {
        &self.uidl
    }
    fn summary(&self) -> Option<&Summary> {
        self.summary
            .get_or_init(|| Some(Summary::from_headers(&self.head, &self.decode)))
            .as_ref()
    }
    fn flags(&self) -> Flags {
        self.flags
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn local_only(&self) -> bool {
        !self.on_server
    }
    fn headers(&self) -> Option<&HeaderBlock> {
        self.headers.as_ref()
    }
    fn summary_at_hand(&self) -> Option<&Summary> {
        self.summary.get().and_then(Option::as_ref)
    }
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
