//! Reply, reply-all and forward, as values: one `Re: ` / `Fwd: ` never
//! stacked (an existing `Re:`, `RE:`, `回复：`, `回复:`, `答复:`, `Fwd:`,
//! `FW:`, `转发：` counts as one), recipients deduplicated without the user's
//! own addresses, and the quoted text under `On DATE, NAME wrote:`.

use crate::mime::subject::base_subject;

/// `Re: ` + the base subject.
pub fn reply_subject(subject: &str) -> String {
    format!("Re: {}", base_subject(subject))
}

/// `Fwd: ` + the base subject.
pub fn forward_subject(subject: &str) -> String {
    format!("Fwd: {}", base_subject(subject))
}

/// Who a reply goes to: Reply-To if given, else From; for reply-all also
/// every To and Cc, deduplicated (case-insensitively) and without the
/// user's own addresses. Returns (to, cc).
pub fn recipients(
    from: &str,
    reply_to: &[String],
    to: &[String],
    cc: &[String],
    all: bool,
    mine: &[String],
) -> (Vec<String>, Vec<String>) {
    let is_mine = |a: &str| mine.iter().any(|m| m.eq_ignore_ascii_case(a.trim()));
    let mut seen: Vec<String> = Vec::new();
    let mut take = |list: &mut Vec<String>, a: &str| {
        let a = a.trim();
        if a.is_empty() || is_mine(a) || seen.iter().any(|s| s.eq_ignore_ascii_case(a)) {
            return;
        }
        seen.push(a.to_string());
        list.push(a.to_string());
    };
    let mut primary = Vec::new();
    if reply_to.is_empty() {
        take(&mut primary, from);
    } else {
        for a in reply_to {
            take(&mut primary, a);
        }
    }
    let mut copy = Vec::new();
    if all {
        for a in to {
            take(&mut primary, a);
        }
        for a in cc {
            take(&mut copy, a);
        }
    }
    // Replying to one's own message: back to its recipients.
    if primary.is_empty() && is_mine(from) {
        for a in to {
            take(&mut primary, a);
        }
    }
    (primary, copy)
}

/// The line over a quoted original. `template` (the account's
/// `attribution`) is strftime for the original's date, with `{name}` for
/// its sender; without one (or when the date cannot be read), the words of
/// the language in use: `On DATE, NAME wrote:`, `张伟 于 2024年12月2日 周一
/// 10:05 写道：`.
pub fn attribution(
    template: Option<&str>,
    name: &str,
    date: Option<chrono::DateTime<chrono::FixedOffset>>,
    raw_date: &str,
) -> String {
    attribution_in(crate::i18n::current(), template, name, date, raw_date)
}

fn attribution_in(
    lang: crate::i18n::Language,
    template: Option<&str>,
    name: &str,
    date: Option<chrono::DateTime<chrono::FixedOffset>>,
    raw_date: &str,
) -> String {
    if let (Some(t), Some(d)) = (template, date) {
        if let Some(line) = strftime(t, &d) {
            return line.replace("{name}", name);
        }
    }
    let date = match (lang, date) {
        (crate::i18n::Language::ZhCn, Some(d)) => crate::i18n::attribution_date(&d),
        _ => raw_date.to_string(),
    };
    crate::i18n::fill_in(
        lang,
        "compose.attribution",
        &[("name", name.to_string()), ("date", date)],
    )
}

/// `template` formatted with `d`, or None when it is not valid strftime.
pub fn strftime(template: &str, d: &chrono::DateTime<chrono::FixedOffset>) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    use std::fmt::Write as _;
    if StrftimeItems::new(template).any(|i| matches!(i, Item::Error)) {
        return None;
    }
    let mut out = String::new();
    write!(out, "{}", d.format(template)).ok()?;
    Some(out)
}

/// The body of a reply: the attribution line and each line of the
/// original's text prefixed `> ` (`>` alone on an empty line).
pub fn quote(attribution: &str, text: &str) -> String {
    let mut out = format!("{attribution}\n");
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(">\n");
        } else if line.starts_with('>') {
            out.push('>');
            out.push_str(line);
            out.push('\n');
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// References for a reply (RFC 5322 §3.6.4): the parent's References (or,
/// without them, its In-Reply-To) followed by the parent's Message-ID.
pub fn references(parent_references: &str, parent_in_reply_to: &str, parent_id: &str) -> String {
    let mut ids: Vec<&str> = parent_references.split_whitespace().collect();
    if ids.is_empty() {
        ids.extend(parent_in_reply_to.split_whitespace().take(1));
    }
    if !parent_id.is_empty() && !ids.contains(&parent_id) {
        ids.push(parent_id);
    }
    ids.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_prefix_never_stacked() {
        for (s, want) in [
            ("hello", "Re: hello"),
            ("Re: hello", "Re: hello"),
            ("RE: RE: hello", "Re: hello"),
            ("回复：第二季度", "Re: 第二季度"),
            ("回复: 第二季度", "Re: 第二季度"),
            ("答复: 会议", "Re: 会议"),
            ("转发：报告", "Re: 报告"),
            ("Fwd: Re: x", "Re: x"),
            ("FW: x", "Re: x"),
            ("Re[2]: x", "Re: x"),
            ("Reply hazy", "Re: Reply hazy"),
            ("Re:", "Re: "),
        ] {
            assert_eq!(reply_subject(s), want, "{s:?}");
        }
        assert_eq!(forward_subject("Re: 回复：x"), "Fwd: x");
    }

    #[test]
    fn reply_all_dedups_and_drops_my_addresses() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mine = v(&["me@example.cn", "me@old.example.cn"]);
        let (to, cc) = recipients(
            "li@example.cn",
            &[],
            &v(&["me@example.cn", "wang@example.cn", "LI@example.cn"]),
            &v(&["wang@example.cn", "me@old.example.cn", "zhao@example.cn"]),
            true,
            &mine,
        );
        assert_eq!(to, v(&["li@example.cn", "wang@example.cn"]));
        assert_eq!(cc, v(&["zhao@example.cn"]));
        let (to, cc) = recipients(
            "li@example.cn",
            &v(&["list@example.cn"]),
            &[],
            &[],
            false,
            &mine,
        );
        assert_eq!((to, cc.is_empty()), (v(&["list@example.cn"]), true));
    }

    #[test]
    fn replying_to_my_own_message_goes_to_its_recipients() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (to, _) = recipients(
            "me@example.cn",
            &[],
            &v(&["wang@example.cn"]),
            &[],
            false,
            &v(&["me@example.cn"]),
        );
        assert_eq!(to, v(&["wang@example.cn"]));
    }

    #[test]
    fn quoting_and_references() {
        assert_eq!(
            quote(
                &attribution(None, "李明", None, "Tue, 4 Jun 2024"),
                "您好！\n\n> earlier\n附件"
            ),
            "On Tue, 4 Jun 2024, 李明 wrote:\n> 您好！\n>\n>> earlier\n> 附件\n"
        );
        assert_eq!(references("<a@x> <b@x>", "", "<c@x>"), "<a@x> <b@x> <c@x>");
        assert_eq!(references("", "<b@x>", "<c@x>"), "<b@x> <c@x>");
        assert_eq!(references("", "", "<c@x>"), "<c@x>");
    }

    #[test]
    fn the_attribution_follows_the_language_and_the_template() {
        use crate::i18n::Language;
        let d = chrono::DateTime::parse_from_rfc2822("Mon, 2 Dec 2024 10:05:00 +0800").ok();
        assert_eq!(
            attribution_in(
                Language::ZhCn,
                None,
                "张伟",
                d,
                "Mon, 2 Dec 2024 10:05:00 +0800"
            ),
            "张伟 于 2024年12月2日 周一 10:05 写道："
        );
        assert_eq!(
            attribution_in(
                Language::En,
                None,
                "张伟",
                d,
                "Mon, 2 Dec 2024 10:05:00 +0800"
            ),
            "On Mon, 2 Dec 2024 10:05:00 +0800, 张伟 wrote:"
        );
        assert_eq!(
            attribution_in(
                Language::En,
                Some("%Y-%m-%d %H:%M，{name} 写道："),
                "张伟",
                d,
                ""
            ),
            "2024-12-02 10:05，张伟 写道："
        );
        // A template that is not strftime, or no readable date: the default.
        assert_eq!(
            attribution_in(Language::En, Some("%Q {name}"), "张伟", d, "raw"),
            "On raw, 张伟 wrote:"
        );
        assert_eq!(
            attribution_in(Language::ZhCn, None, "张伟", None, "someday"),
            "张伟 于 someday 写道："
        );
    }
}
