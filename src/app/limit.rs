//! Limit patterns (`l`, as in mutt): which rows a folder shows. Free words
//! match the sender or subject; `from:`, `subject:`, `to:`, `body:`,
//! `is:unread`, `is:read`, `is:flagged`, `is:answered`, `is:local`,
//! `has:attachment`, `larger:1M`, `smaller:10K`, `before:2024-03-01`,
//! `after:2024-03-01`; all must match (AND), a leading `-` or `!` negates
//! one; `"…"` quotes a phrase. `to:` and `body:` are answered by the store's
//! full-text index (stored messages). Pure: parsing and matching.

use super::list::Entry;
use crate::store::query::{IndexHits, IndexQuery};
use crate::store::Flags;
use rust_i18n::t;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// Sender or subject contains (lower-case).
    Text(String),
    From(String),
    Subject(String),
    /// Answered by the full-text index (every `to:`/`body:` part at once).
    Indexed,
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

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// As typed (for the status line).
    pub text: String,
    terms: Vec<Term>,
    /// The `to:` and `body:` parts, as a full-text query for the store.
    pub index_query: Option<IndexQuery>,
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

impl Pattern {
    /// Parses `text`; dates are days in `zone`. An unknown `key:` is an error
    /// that names it (a typo must not silently match nothing).
    pub fn parse(text: &str, zone: chrono::FixedOffset) -> Result<Pattern, String> {
        let mut terms: Vec<Term> = Vec::new();
        let mut index = IndexQuery::default();
        for w in words(text) {
            let (negated, w) = match w.strip_prefix(['-', '!']) {
                Some(rest) if !rest.is_empty() => (true, rest.to_string()),
                _ => (false, w),
            };
            let (key, value) = match w.split_once(':') {
                Some((k, v)) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic()) => {
                    (k.to_ascii_lowercase(), v.to_string())
                }
                _ => (String::new(), w.clone()),
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
                crate::config::parse_size(v)
                    .ok_or_else(|| t!("limit.bad_size", key = key, value = v).into_owned())
            };
            let date = |v: &str| {
                day_start(v, zone)
                    .ok_or_else(|| t!("limit.bad_date", key = key, value = v).into_owned())
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
                "body" | "to" => {
                    need(&lower)?;
                    let list = match (key.as_str(), negated) {
                        ("body", false) => &mut index.body,
                        ("body", true) => &mut index.not_body,
                        (_, false) => &mut index.to,
                        (_, true) => &mut index.not_to,
                    };
                    list.push(value.clone());
                    if !terms.iter().any(|t| t.test == Test::Indexed) {
                        terms.push(Term {
                            test: Test::Indexed,
                            negated: false,
                        });
                    }
                    continue;
                }
                "is" => match lower.as_str() {
                    "unread" | "new" => Test::Unread,
                    "read" | "seen" => {
                        terms.push(Term {
                            test: Test::Unread,
                            negated: !negated,
                        });
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
            terms.push(Term { test, negated });
        }
        let has_index = !(index.body.is_empty()
            && index.to.is_empty()
            && index.not_body.is_empty()
            && index.not_to.is_empty());
        Ok(Pattern {
            text: text.trim().to_string(),
            terms,
            index_query: has_index.then_some(index),
        })
    }

    /// Does row `e` match? `indexed`: what the full-text index answered for
    /// `index_query` (None while it is being asked: such rows are left out).
    pub fn matches(&self, e: &Entry, indexed: Option<&IndexHits>) -> bool {
        self.terms
            .iter()
            .all(|t| t.negated != test(&t.test, e, indexed))
    }
}

fn test(t: &Test, e: &Entry, indexed: Option<&IndexHits>) -> bool {
    let s = e.summary.as_deref();
    let has = |field: &str, q: &str| field.to_lowercase().contains(q);
    match t {
        Test::Text(q) => {
            s.is_some_and(|s| has(s.subject(), q) || has(s.from(), q) || has(s.from_address(), q))
        }
        Test::From(q) => s.is_some_and(|s| has(s.from(), q) || has(s.from_address(), q)),
        Test::Subject(q) => s.is_some_and(|s| has(s.subject(), q)),
        Test::Indexed => indexed.is_some_and(|hits| hits.admits(&e.uidl)),
        Test::Unread => !e.seen(),
        Test::Flagged => e.flags.contains(Flags::FLAGGED),
        Test::Answered => e.flags.contains(Flags::ANSWERED),
        Test::Local => e.local_only(),
        Test::Attachment => s.is_some_and(|s| s.maybe_attachment),
        Test::Larger(n) => e.size > *n,
        Test::Smaller(n) => e.size < *n,
        Test::Before(t) => s.and_then(|s| s.timestamp).is_some_and(|d| d < *t),
        Test::After(t) => s.and_then(|s| s.timestamp).is_some_and(|d| d >= *t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn patterns_parse_and_name_their_mistakes() {
        let p = Pattern::parse("from:李 \"季度 报告\" -is:unread larger:1M", utc()).unwrap();
        assert_eq!(p.terms.len(), 4);
        assert_eq!(p.terms[1].test, Test::Text("季度 报告".into()));
        assert!(p.terms[2].negated);
        assert_eq!(p.terms[3].test, Test::Larger(1024 * 1024));
        assert!(p.index_query.is_none());
        let p = Pattern::parse("body:季度报告 to:wang -body:草稿", utc()).unwrap();
        let q = p.index_query.unwrap();
        assert_eq!(q.body, vec!["季度报告"]);
        assert_eq!(q.to, vec!["wang"]);
        assert_eq!(q.not_body, vec!["草稿"]);
        assert_eq!(
            Pattern::parse("after:2024-03-01", utc()).unwrap().terms[0].test,
            Test::After(1_709_251_200)
        );
        for bad in [
            "frm:x",
            "is:lost",
            "larger:lots",
            "before:yesterday",
            "from:",
        ] {
            let e = Pattern::parse(bad, utc()).unwrap_err();
            assert!(e.contains(bad.split(':').next().unwrap()), "{bad}: {e}");
        }
        // A time in free text is text.
        assert_eq!(
            Pattern::parse("10:30", utc()).unwrap().terms[0].test,
            Test::Text("10:30".into())
        );
    }
}
