//! The first text of a new message, a reply, a reply to all or a forward,
//! from the original as the reader shows it. Pure.

use std::path::PathBuf;

use super::draft::Draft;
use super::reply;
use crate::mime::address::format_mailbox;
use crate::mime::header::Mailbox;
use crate::mime::render::Addresses;
use crate::mime::Rendered;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeKind {
    New,
    Reply,
    ReplyAll,
    Forward,
}

/// Who the user is, for From and for leaving themselves out of reply-all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `Name <address>` (or the address alone).
    pub from: String,
    /// The user's own addresses (lower case): email, user, alternates.
    pub mine: Vec<String>,
    pub signature: Option<String>,
    /// The account's `attribution` (strftime, `{name}`), if set.
    pub attribution: Option<String>,
}

/// What answering a message needs from it.
#[derive(Debug, Clone, Default)]
pub struct Original {
    /// Its id in the store, marked answered once the answer is sent.
    pub uidl: String,
    pub addresses: Addresses,
    /// Decoded as the reader shows it (HTML-only mail as its text).
    pub rendered: Rendered,
    pub message_id: String,
    pub in_reply_to: String,
    pub references: String,
}

fn addresses_of(list: &[Mailbox]) -> Vec<String> {
    list.iter().map(|m| m.address.clone()).collect()
}

/// The `Name <addr>` form for each chosen address, the name taken from
/// wherever in the original that address appeared with one.
fn with_names(chosen: &[String], o: &Addresses) -> String {
    let all: Vec<&Mailbox> = o
        .reply_to
        .iter()
        .chain(&o.from)
        .chain(&o.to)
        .chain(&o.cc)
        .collect();
    chosen
        .iter()
        .map(|a| {
            let name = all
                .iter()
                .find(|m| m.address.eq_ignore_ascii_case(a) && !m.name.is_empty())
                .map_or("", |m| m.name.as_str());
            format_mailbox(name, a)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn signature_block(identity: &Identity) -> String {
    match identity.signature.as_deref().map(str::trim_end) {
        Some(sig) if !sig.is_empty() => format!("\n-- \n{sig}\n"),
        _ => String::new(),
    }
}

/// The draft a compose key starts with. `forwarded` are the files the
/// original's attachments were saved to (forward only).
pub fn new_draft(
    kind: ComposeKind,
    identity: &Identity,
    original: Option<&Original>,
    forwarded: Vec<PathBuf>,
) -> Draft {
    let mut d = Draft {
        from: identity.from.clone(),
        ..Draft::default()
    };
    let sig = signature_block(identity);
    let Some(o) = original.filter(|_| kind != ComposeKind::New) else {
        d.body = format!("\n{sig}");
        return d;
    };
    let r = &o.rendered;
    d.answers = o.uidl.clone();
    match kind {
        ComposeKind::Reply | ComposeKind::ReplyAll => {
            let from = o.addresses.from.first().cloned().unwrap_or_default();
            let (to, cc) = reply::recipients(
                &from.address,
                &addresses_of(&o.addresses.reply_to),
                &addresses_of(&o.addresses.to),
                &addresses_of(&o.addresses.cc),
                kind == ComposeKind::ReplyAll,
                &identity.mine,
            );
            d.to = with_names(&to, &o.addresses);
            d.cc = with_names(&cc, &o.addresses);
            d.subject = reply::reply_subject(&r.subject);
            d.in_reply_to = o.message_id.clone();
            d.references = reply::references(&o.references, &o.in_reply_to, &o.message_id);
            let name = if from.name.is_empty() {
                from.address.as_str()
            } else {
                from.name.as_str()
            };
            let date = r.summary.as_ref().and_then(|s| s.date());
            let line = reply::attribution(identity.attribution.as_deref(), name, date, &r.date);
            d.body = format!("\n\n{}{sig}", reply::quote(&line, &r.body));
        }
        ComposeKind::Forward => {
            d.subject = reply::forward_subject(&r.subject);
            let block =
                crate::mime::render::forwarded_block(&r.from, &r.date, &r.subject, &r.to, &r.cc);
            d.body = format!("\n\n{block}\n{}\n{sig}", r.body.trim_end());
            d.attach = forwarded;
        }
        ComposeKind::New => {}
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(name: &str, address: &str) -> Mailbox {
        Mailbox {
            name: name.into(),
            address: address.into(),
        }
    }

    fn original() -> Original {
        Original {
            uidl: "U1".into(),
            addresses: Addresses {
                from: vec![mb("李明", "li@example.cn")],
                reply_to: vec![],
                to: vec![mb("我", "me@example.cn"), mb("王芳", "wang@example.cn")],
                cc: vec![mb("", "zhao@example.cn"), mb("Me Old", "ME@old.example.cn")],
            },
            rendered: Rendered {
                from: "李明 <li@example.cn>".into(),
                to: "我 <me@example.cn>, 王芳 <wang@example.cn>".into(),
                cc: "zhao@example.cn".into(),
                date: "Tue, 1 Dec 2026 10:00:00 +0800".into(),
                date_local: String::new(),
                subject: "回复：项目进度".into(),
                body: "进度如下：\n\n第一阶段完成。".into(),
                attachments: vec![],
                summary: None,
                ..Default::default()
            },
            message_id: "<m2@example.cn>".into(),
            in_reply_to: "<m1@example.cn>".into(),
            references: "<m0@example.cn> <m1@example.cn>".into(),
        }
    }

    fn me() -> Identity {
        Identity {
            from: "我 <me@example.cn>".into(),
            mine: vec!["me@example.cn".into(), "me@old.example.cn".into()],
            signature: Some("王小明".into()),
            attribution: None,
        }
    }

    #[test]
    fn reply_all_threads_quotes_and_leaves_me_out() {
        let d = new_draft(ComposeKind::ReplyAll, &me(), Some(&original()), vec![]);
        assert_eq!(d.to, "李明 <li@example.cn>, 王芳 <wang@example.cn>");
        assert_eq!(d.cc, "zhao@example.cn");
        assert_eq!(d.subject, "Re: 项目进度");
        assert_eq!(d.in_reply_to, "<m2@example.cn>");
        assert_eq!(
            d.references,
            "<m0@example.cn> <m1@example.cn> <m2@example.cn>"
        );
        assert_eq!(d.answers, "U1");
        assert!(d.body.contains(
            "On Tue, 1 Dec 2026 10:00:00 +0800, 李明 wrote:\n> 进度如下：\n>\n> 第一阶段完成。\n"
        ));
        assert!(d.body.ends_with("\n-- \n王小明\n"));
        let d = new_draft(ComposeKind::Reply, &me(), Some(&original()), vec![]);
        assert_eq!((d.to.as_str(), d.cc.as_str()), ("李明 <li@example.cn>", ""));
    }

    #[test]
    fn forward_carries_the_block_and_the_files() {
        let files = vec![PathBuf::from("/x/销售报告.pdf")];
        let d = new_draft(
            ComposeKind::Forward,
            &me(),
            Some(&original()),
            files.clone(),
        );
        assert_eq!(d.subject, "Fwd: 项目进度");
        assert!(d.to.is_empty());
        assert!(d.in_reply_to.is_empty());
        assert!(d.body.contains("---------- Forwarded message ----------\nFrom: 李明 <li@example.cn>\nDate: Tue, 1 Dec 2026 10:00:00 +0800\nSubject: 回复：项目进度\nTo: "));
        assert!(d.body.contains("第一阶段完成。"));
        assert_eq!(d.attach, files);
    }

    #[test]
    fn html_only_mail_is_quoted_as_its_text() {
        let raw = b"From: a@example.cn\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>\xe8\xbf\x9b\xe5\xba\xa6<b>\xe5\xbe\x88\xe5\xa5\xbd</b></p><script>alert(1)</script></body></html>\r\n";
        let o = Original {
            rendered: Rendered::from_message(raw, &Default::default()),
            ..original()
        };
        let d = new_draft(ComposeKind::Reply, &me(), Some(&o), vec![]);
        assert!(d.body.contains("> 进度"), "{}", d.body);
        assert!(
            !d.body.contains("<p>") && !d.body.contains("<b>"),
            "{}",
            d.body
        );
        assert!(!d.body.contains("alert"), "{}", d.body);
    }

    #[test]
    fn a_new_message_has_the_signature_only() {
        let d = new_draft(ComposeKind::New, &me(), None, vec![]);
        assert_eq!(d.from, "我 <me@example.cn>");
        assert_eq!(d.body, "\n\n-- \n王小明\n");
    }
}
