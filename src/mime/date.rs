//! Date headers: RFC 5322 and the common ways mailers bend it. What cannot be
//! read is shown as written (the caller keeps the raw text), never dropped.

use chrono::{DateTime, FixedOffset};

/// A header block's Date: the text as written (decoded, trimmed) and its reading, if any.
pub fn from_fields(
    fields: &[super::header::Field<'_>],
    ctx: &super::header::HeaderContext,
) -> (String, Option<DateTime<FixedOffset>>) {
    let raw = super::header::find(fields, "date")
        .map(|v| ctx.decode_raw(&super::header::unfold(v)).trim().to_string())
        .unwrap_or_default();
    let parsed = parse(&raw);
    (raw, parsed)
}

/// A date, or None when it cannot be read — or lies outside the years
/// 1000 to 9999, which RFC 5322 cannot write (chrono's RFC 2822 formatting
/// panics on year 20224: found by fuzzing).
pub fn parse(raw: &str) -> Option<DateTime<FixedOffset>> {
    use chrono::Datelike;
    parse_any(raw).filter(|d| (1000..=9999).contains(&d.year()))
}

fn parse_any(raw: &str) -> Option<DateTime<FixedOffset>> {
    let cleaned = clean(raw);
    if cleaned.is_empty() || cleaned.len() > 200 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(&cleaned) {
        return Some(d);
    }
    // Without the day name (a wrong one makes chrono refuse the whole date).
    let no_day = match cleaned.split_once(", ") {
        Some((day, rest)) if day.len() <= 9 && day.chars().all(|c| c.is_ascii_alphabetic()) => rest,
        _ => cleaned.as_str(),
    };
    if let Ok(d) = DateTime::parse_from_rfc2822(no_day) {
        return Some(d);
    }
    for fmt in [
        "%d %b %Y %H:%M:%S %z",
        "%d %b %Y %H:%M %z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%a %b %d %H:%M:%S %Y %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(no_day, fmt) {
            return Some(d);
        }
    }
    None
}

/// Comments like `(CST)` removed, whitespace collapsed.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut depth = 0u32;
    for c in raw.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            c if c.is_whitespace() => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_forms() {
        let d = parse("Tue, 04 Jun 2024 10:15:00 +0800 (CST)").unwrap();
        assert_eq!(d.to_rfc3339(), "2024-06-04T10:15:00+08:00");
        assert_eq!(
            parse("4 Jun 2024 10:15:00 +0800").unwrap().to_rfc3339(),
            "2024-06-04T10:15:00+08:00"
        );
        assert_eq!(
            parse("Mon,  4 Jun 2024 10:15:00 +0800")
                .unwrap()
                .to_rfc3339(),
            "2024-06-04T10:15:00+08:00"
        );
        assert_eq!(
            parse("Tue, 04 Jun 2024 10:15 GMT").unwrap().to_rfc3339(),
            "2024-06-04T10:15:00+00:00"
        );
    }

    #[test]
    fn broken_dates_are_none() {
        assert_eq!(parse("sat, SEP 2000 13:34:18 +0800"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("yesterday"), None);
        // Years RFC 5322 cannot write are unreadable, not a panic later.
        assert_eq!(parse("Tue, 04 Jun 20224 10:15:00 +0800"), None);
        assert_eq!(parse("04 Jun 0099 10:15:00 +0800"), None);
    }
}
