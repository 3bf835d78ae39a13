//! A message being written, as the text the user edits: header lines
//! (`From`, `To`, `Cc`, `Bcc`, `Subject`, and the threading and attachment
//! lines postie keeps), a blank line, the body. Parsing it back is lenient:
//! whatever the editor left is kept, nothing the user wrote is dropped.

use std::path::PathBuf;

/// Lines postie puts at the top of a draft to tell the user something
/// (an address it could not read); they are not part of the message.
pub const COMMENT: &str = "# postie: ";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub reply_to: String,
    pub in_reply_to: String,
    pub references: String,
    /// The message this answers or forwards (its UIDL): marked answered once sent.
    pub answers: String,
    /// Files to attach (`Attach:` lines, as mutt writes them).
    pub attach: Vec<PathBuf>,
    /// What happened to an earlier attempt (`may have been sent …`, a reason).
    pub status: String,
    /// Other header lines the user wrote, passed through as written.
    pub extra: Vec<(String, String)>,
    pub body: String,
}

/// Header values are one line each in the draft.
fn one_line(v: &str) -> String {
    v.replace(['\r', '\n'], " ").trim().to_string()
}

impl Draft {
    /// The text the editor gets.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut line = |name: &str, value: &str| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(&one_line(value));
            out.push('\n');
        };
        line("From", &self.from);
        line("To", &self.to);
        line("Cc", &self.cc);
        line("Bcc", &self.bcc);
        line("Subject", &self.subject);
        for (name, value) in [
            ("Reply-To", &self.reply_to),
            ("In-Reply-To", &self.in_reply_to),
            ("References", &self.references),
        ] {
            if !value.is_empty() {
                line(name, value);
            }
        }
        for p in &self.attach {
            line("Attach", &p.display().to_string());
        }
        for (name, value) in &self.extra {
            line(name, value);
        }
        if !self.answers.is_empty() {
            line("X-Postie-Answers", &self.answers);
        }
        if !self.status.is_empty() {
            line("X-Postie-Status", &self.status);
        }
        out.push('\n');
        out.push_str(&self.body);
        if !self.body.ends_with('\n') {
            out.push('\n');
        }
        out
    }

    /// The draft as `render` wrote it, or as the user left it. Text before a
    /// header block that is not one (the user deleted the headers) is body.
    pub fn parse(text: &str) -> Draft {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let text = text.replace("\r\n", "\n");
        let mut lines = text.split_inclusive('\n').peekable();
        while lines.peek().is_some_and(|l| l.starts_with(COMMENT)) {
            lines.next();
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut consumed = 0usize;
        let rest: Vec<&str> = lines.collect();
        for l in &rest {
            let bare = l.trim_end_matches('\n');
            if bare.trim().is_empty() {
                consumed += 1;
                break;
            }
            if (bare.starts_with(' ') || bare.starts_with('\t')) && !fields.is_empty() {
                if let Some(last) = fields.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(bare.trim());
                }
                consumed += 1;
                continue;
            }
            match header_line(bare) {
                Some((name, value)) => {
                    fields.push((name.to_string(), value.to_string()));
                    consumed += 1;
                }
                // Not a header: from here on it is the body.
                None => break,
            }
        }
        let mut d = Draft {
            body: rest[consumed..].concat(),
            ..Draft::default()
        };
        for (name, value) in fields {
            let join = |slot: &mut String, v: &str| {
                if v.is_empty() {
                    return;
                }
                if !slot.is_empty() {
                    slot.push_str(", ");
                }
                slot.push_str(v);
            };
            match name.to_ascii_lowercase().as_str() {
                "from" => d.from = value,
                "to" => join(&mut d.to, &value),
                "cc" => join(&mut d.cc, &value),
                "bcc" => join(&mut d.bcc, &value),
                "subject" => d.subject = value,
                "reply-to" => d.reply_to = value,
                "in-reply-to" => d.in_reply_to = value,
                "references" => d.references = value,
                "attach" if !value.is_empty() => d
                    .attach
                    .push(crate::config::expand_tilde(std::path::Path::new(&value))),
                "attach" => {}
                "x-postie-answers" => d.answers = value,
                "x-postie-status" => d.status = value,
                _ => d.extra.push((name, value)),
            }
        }
        d
    }

    /// Every recipient, each with the field it came from.
    pub fn recipients(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (field, value) in [("To", &self.to), ("Cc", &self.cc), ("Bcc", &self.bcc)] {
            for a in split_addresses(value) {
                out.push((field, a));
            }
        }
        out
    }

    /// The draft with `reason` as a comment line at the top (for the editor).
    pub fn render_with_comment(&self, reason: &str) -> String {
        format!("{COMMENT}{}\n{}", one_line(reason), self.render())
    }
}

/// `Name: value` with a field name as RFC 5322 allows (printable, no colon).
fn header_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let ok = !name.is_empty()
        && name.len() <= 76
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    ok.then(|| (name, value.trim()))
}

/// Splits an address list at commas and semicolons (Outlook and Foxmail
/// users separate with `;`, and full-width `，` `；` slip in with a Chinese
/// input method) outside quotes and angle brackets.
pub fn split_addresses(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for c in list.chars() {
        if escaped {
            escaped = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' | '，' | '；' if !quoted && !angle => {
                let t = cur.trim();
                if !t.is_empty() {
                    out.push(t.to_string());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    let t = cur.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
    out
}

/// One address as a lettre mailbox, or why it is not one.
pub fn parse_mailbox(entry: &str) -> Result<lettre::message::Mailbox, String> {
    let entry = entry.trim();
    let (name, addr) = match (entry.rfind('<'), entry.ends_with('>')) {
        (Some(open), true) => (entry[..open].trim(), &entry[open + 1..entry.len() - 1]),
        _ => ("", entry),
    };
    let addr = addr.trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .map(|n| n.replace("\\\"", "\"").replace("\\\\", "\\"))
        .unwrap_or_else(|| name.to_string());
    let bad = || format!("\"{entry}\" is not an e-mail address");
    if addr.is_empty() || addr.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let address: lettre::Address = addr.parse().map_err(|_| bad())?;
    let name = name.trim();
    Ok(lettre::message::Mailbox::new(
        (!name.is_empty()).then(|| name.to_string()),
        address,
    ))
}

/// `Name <addr>` as a draft line shows it, quoting a name that needs it.
pub fn format_mailbox(name: &str, address: &str) -> String {
    let name = one_line(name);
    if name.is_empty() || name == address {
        return address.to_string();
    }
    let plain = name.chars().all(|c| {
        !matches!(
            c,
            ',' | ';' | '"' | '<' | '>' | '(' | ')' | '@' | ':' | '\\' | '[' | ']' | '，' | '；'
        )
    });
    if plain {
        format!("{name} <{address}>")
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\" <{address}>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_survives_render_and_parse() {
        let d = Draft {
            from: "Alice Wang <alice@example.com>".into(),
            to: "张三 <zhang@example.cn>, bob@example.com".into(),
            cc: String::new(),
            bcc: "boss@example.com".into(),
            subject: "Re: 项目进度".into(),
            in_reply_to: "<a@x>".into(),
            references: "<r@x> <a@x>".into(),
            answers: "UID123".into(),
            attach: vec![PathBuf::from("/tmp/销售报告.pdf")],
            status: "may have been sent".into(),
            body: "你好\n\n> quoted\n".into(),
            ..Draft::default()
        };
        assert_eq!(Draft::parse(&d.render()), d);
    }

    #[test]
    fn comments_continuations_and_repeats_are_read() {
        let text = "# postie: \"bob@\" is not an e-mail address\r\nTo: a@x.com,\r\n  b@y.com\r\nto: c@z.com\r\nSubject: hi\r\nX-Mailer: mine\r\n\r\nbody\r\nline 2\r\n";
        let d = Draft::parse(text);
        assert_eq!(d.to, "a@x.com, b@y.com, c@z.com");
        assert_eq!(d.subject, "hi");
        assert_eq!(d.extra, vec![("X-Mailer".to_string(), "mine".to_string())]);
        assert_eq!(d.body, "body\nline 2\n");
    }

    #[test]
    fn text_without_headers_is_all_body() {
        let d = Draft::parse("Dear Bob,\nthis is it.\n");
        assert_eq!(d.body, "Dear Bob,\nthis is it.\n");
        assert!(d.to.is_empty());
        // "Dear Bob," has no colon; a first line that looks like prose with one is also body.
        let d = Draft::parse("Note to self: buy milk\n");
        assert_eq!(d.body, "Note to self: buy milk\n");
    }

    #[test]
    fn address_lists_split_outside_quotes_and_brackets() {
        assert_eq!(
            split_addresses("\"Wang, Li\" <l@x.cn>; b@y.com，c@z.com ; <d,e@w.com>"),
            vec!["\"Wang, Li\" <l@x.cn>", "b@y.com", "c@z.com", "<d,e@w.com>"]
        );
        assert!(split_addresses("  ,; ").is_empty());
    }

    #[test]
    fn mailboxes_parse_with_chinese_names_and_refuse_junk() {
        let m = parse_mailbox("张三 <zhang@example.cn>").unwrap();
        assert_eq!(m.name.as_deref(), Some("张三"));
        assert_eq!(m.email.to_string(), "zhang@example.cn");
        let m = parse_mailbox("\"Wang, Li\" <l@x.cn>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Wang, Li"));
        assert!(parse_mailbox("bob@").is_err());
        assert!(parse_mailbox("bob").is_err());
        assert!(parse_mailbox("a b@c.com").is_err());
        assert_eq!(
            parse_mailbox("bob@").unwrap_err(),
            "\"bob@\" is not an e-mail address"
        );
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(format_mailbox("张三", "z@x.cn"), "张三 <z@x.cn>");
        assert_eq!(
            format_mailbox("Wang, Li", "l@x.cn"),
            "\"Wang, Li\" <l@x.cn>"
        );
        assert_eq!(format_mailbox("", "l@x.cn"), "l@x.cn");
        let s = format_mailbox("A \"B\" C", "l@x.cn");
        assert_eq!(
            parse_mailbox(&s).unwrap().name.as_deref(),
            Some("A \"B\" C")
        );
    }
}
