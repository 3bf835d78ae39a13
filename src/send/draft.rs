//! A message being written, as the text the user edits: header lines
//! (`From`, `To`, `Cc`, `Bcc`, `Subject`, and the threading and attachment
//! lines postie keeps), a blank line, the body. Parsing it back is lenient:
//! whatever the editor left is kept, nothing the user wrote is dropped.

use std::path::PathBuf;

use crate::mime::address::split_addresses;

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
                    .push(crate::paths::expand_tilde(std::path::Path::new(&value))),
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
}
