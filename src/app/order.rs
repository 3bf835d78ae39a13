//! The order of a folder's rows: sorted by date, arrival, sender, subject or
//! size, and limited to what a pattern lets through. Pure: entries in,
//! positions out; the arrival order (the server's, newest first) is the
//! tie-break everywhere, so equal keys never shuffle between layouts.

use super::list::{Entry, Limit, Sort, SortKey};

/// The rows to show, as positions in `entries`; None when that is simply
/// every entry in arrival order (costs nothing).
pub fn arrange(entries: &[Entry], sort: Sort, limit: Option<&Limit>) -> Option<Vec<u32>> {
    let arrival = Sort {
        key: SortKey::Arrival,
        reverse: false,
    };
    if sort == arrival && limit.is_none() {
        return None;
    }
    let mut rows: Vec<u32> = match limit {
        Some(l) => (0..entries.len() as u32)
            .filter(|&i| l.pattern.matches(&entries[i as usize], l.indexed.as_ref()))
            .collect(),
        None => (0..entries.len() as u32).collect(),
    };
    match sort.key {
        SortKey::Arrival => {}
        SortKey::Date => {
            let keys = date_keys(entries);
            // Newest first; equal dates keep their arrival order.
            rows.sort_by(|&a, &b| keys[b as usize].cmp(&keys[a as usize]).then(a.cmp(&b)));
        }
        SortKey::Size => {
            rows.sort_by(|&a, &b| {
                entries[b as usize]
                    .size
                    .cmp(&entries[a as usize].size)
                    .then(a.cmp(&b))
            });
        }
        SortKey::Sender => {
            rows.sort_by_cached_key(|&i| {
                let e = &entries[i as usize];
                let who = e
                    .summary
                    .as_ref()
                    .map_or(String::new(), |s| s.from().to_lowercase());
                // Rows without headers yet go last, in arrival order.
                (who.is_empty(), who, i)
            });
        }
        SortKey::Subject => {
            rows.sort_by_cached_key(|&i| {
                let e = &entries[i as usize];
                let subject = e.summary.as_ref().map_or(String::new(), |s| {
                    crate::mime::subject::base_subject(s.subject()).to_lowercase()
                });
                (subject.is_empty(), subject, i)
            });
        }
    }
    if sort.reverse {
        rows.reverse();
    }
    Some(rows)
}

/// Each row's date for sorting. A row whose date cannot be read (or whose
/// headers have not arrived) takes the date of the row that arrived just
/// after it, so it stays where it arrived instead of jumping to an end.
fn date_keys(entries: &[Entry]) -> Vec<i64> {
    inherited_dates(
        entries
            .iter()
            .map(|e| e.summary.as_ref().and_then(|s| s.timestamp())),
    )
}

/// Dates in arrival order (newest first), a missing one replaced by the
/// date of the message that arrived just after it.
pub fn inherited_dates(dates: impl Iterator<Item = Option<i64>>) -> Vec<i64> {
    let mut newer = i64::MAX;
    dates
        .map(|t| {
            let k = t.unwrap_or(newer);
            if let Some(t) = t {
                newer = t;
            }
            k
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::limit::Pattern;
    use crate::mime::{DecodeOptions, Summary};
    use std::sync::Arc;

    fn entry(uidl: &str, from: &str, subject: &str, date: &str, size: u64) -> Entry {
        let raw = format!("From: {from}\r\nSubject: {subject}\r\nDate: {date}\r\n\r\n");
        let mut e = Entry::new(crate::sync::ListRow::new(uidl.into(), size));
        e.summary = Some(Arc::new(Summary::from_headers(
            raw.as_bytes(),
            &DecodeOptions::default(),
        )));
        e
    }

    fn rows() -> Vec<Entry> {
        // Arrival order, newest first.
        vec![
            entry(
                "a",
                "Zhao <z@x.cn>",
                "Re: 项目进度",
                "Tue, 02 Jan 2024 10:00:00 +0800",
                300,
            ),
            entry(
                "b",
                "li <l@x.cn>",
                "broken date",
                "sat, SEP 2000 13:34:18 +0800",
                100,
            ),
            entry(
                "c",
                "Wang <w@x.cn>",
                "季度报告",
                "Mon, 01 Jan 2024 10:00:00 +0800",
                5_000_000,
            ),
            entry(
                "d",
                "an <a@x.cn>",
                "项目进度",
                "Wed, 03 Jan 2024 09:00:00 +0800",
                200,
            ),
        ]
    }

    fn uidls(entries: &[Entry], order: Option<Vec<u32>>) -> Vec<String> {
        order
            .unwrap()
            .iter()
            .map(|&i| entries[i as usize].uidl.to_string())
            .collect()
    }

    #[test]
    fn each_sort_and_its_reverse() {
        let e = rows();
        let by = |key, reverse| uidls(&e, arrange(&e, Sort { key, reverse }, None));
        let arrival = Sort {
            key: SortKey::Arrival,
            reverse: false,
        };
        assert!(arrange(&e, arrival, None).is_none());
        assert_eq!(Sort::default().key, SortKey::Date);
        assert_eq!(by(SortKey::Arrival, true), ["d", "c", "b", "a"]);
        // The unreadable date stays next to the message that arrived after it.
        assert_eq!(by(SortKey::Date, false), ["d", "a", "b", "c"]);
        assert_eq!(by(SortKey::Date, true), ["c", "b", "a", "d"]);
        assert_eq!(by(SortKey::Sender, false), ["d", "b", "c", "a"]);
        // Re: does not count: the two 项目进度 sit together (季 < 项 in code points).
        assert_eq!(by(SortKey::Subject, false), ["b", "c", "a", "d"]);
        assert_eq!(by(SortKey::Size, false), ["c", "a", "d", "b"]);
    }

    #[test]
    fn a_limit_keeps_the_sort() {
        let e = rows();
        let zone = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        let limit = Limit {
            pattern: Pattern::parse("进度 -from:an", zone).unwrap(),
            indexed: None,
        };
        assert_eq!(uidls(&e, arrange(&e, Sort::default(), Some(&limit))), ["a"]);
        let limit = Limit {
            pattern: Pattern::parse("smaller:1K after:2024-01-02", zone).unwrap(),
            indexed: None,
        };
        let sort = Sort {
            key: SortKey::Size,
            reverse: false,
        };
        assert_eq!(uidls(&e, arrange(&e, sort, Some(&limit))), ["a", "d"]);
    }
}
