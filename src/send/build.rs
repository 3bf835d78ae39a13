//! A draft made into the bytes that go over SMTP, with lettre's builder:
//! UTF-8 text/plain in quoted-printable or base64 (whichever is smaller; 7bit
//! when it is short ASCII), RFC 2047 headers (names and subject; never the
//! addresses), threading headers, and attachments named the two ways
//! receiving clients read (RFC 2231 on Content-Disposition, RFC 2047 on
//! Content-Type's `name`, which QQ Mail and Outlook want). Pure.

use std::time::SystemTime;

use base64::Engine;
use lettre::message::header::{ContentTransferEncoding, Header, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use super::draft::Draft;
use crate::mime::address::{parse_mailbox, split_addresses};

/// A message ready to hand to the server.
#[derive(Debug, Clone)]
pub struct Built {
    pub envelope: lettre::address::Envelope,
    /// Exactly what is sent (and kept in Sent): no Bcc line.
    pub bytes: Vec<u8>,
    pub message_id: String,
}

/// A file to attach: its name as the recipient should see it, and its bytes.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// `<time.random@domain>` on the sender's own domain (RFC 5322 §3.6.4).
pub fn message_id(from_address: &str, now: SystemTime, salt: u64) -> String {
    let domain = from_address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .filter(|d| !d.is_empty())
        .unwrap_or("localhost");
    let t = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "<{}.{:x}{:08x}.postie@{domain}>",
        t.as_secs(),
        salt,
        t.subsec_nanos() ^ std::process::id()
    )
}

/// What went wrong building: said to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

fn mailboxes(field: &str, value: &str) -> Result<Vec<Mailbox>, BuildError> {
    split_addresses(value)
        .iter()
        .map(|a| parse_mailbox(a).map_err(|e| BuildError(format!("{field}: {e}"))))
        .collect()
}

/// The bare address a read receipt is asked to go to: the sender's.
fn receipt_address(from: &str) -> Result<String, BuildError> {
    mailboxes("From", from)?
        .into_iter()
        .next()
        .map(|m| m.email.to_string())
        .ok_or_else(|| BuildError("From: give exactly one address".into()))
}

/// Checks what the user can fix in the editor: the addresses.
pub fn check(draft: &Draft) -> Result<(), BuildError> {
    let from = mailboxes("From", &draft.from)?;
    if from.len() != 1 {
        return Err(BuildError("From: give exactly one address".into()));
    }
    let mut n = 0;
    for (field, value) in [("To", &draft.to), ("Cc", &draft.cc), ("Bcc", &draft.bcc)] {
        n += mailboxes(field, value)?.len();
    }
    mailboxes("Reply-To", &draft.reply_to)?;
    if n == 0 {
        return Err(BuildError("no recipients: add an address to To".into()));
    }
    Ok(())
}

/// Header names the builder writes itself; a user's line with one of these is not copied.
const OWN: [&str; 9] = [
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "date",
    "message-id",
    "user-agent",
    "sender",
    "content-disposition",
    "return-path",
];

pub fn build(
    draft: &Draft,
    attachments: &[Attachment],
    signature: Option<&str>,
    date: SystemTime,
    message_id: String,
) -> Result<Built, BuildError> {
    check(draft)?;
    let mut from = mailboxes("From", &draft.from)?;
    let mut b = lettre::Message::builder()
        .from(from.remove(0))
        .subject(draft.subject.trim())
        .date(date)
        .message_id(Some(message_id.clone()))
        .user_agent(format!("postie/{}", env!("CARGO_PKG_VERSION")));
    for m in mailboxes("To", &draft.to)? {
        b = b.to(m);
    }
    for m in mailboxes("Cc", &draft.cc)? {
        b = b.cc(m);
    }
    for m in mailboxes("Bcc", &draft.bcc)? {
        b = b.bcc(m);
    }
    for m in mailboxes("Reply-To", &draft.reply_to)? {
        b = b.reply_to(m);
    }
    if !draft.in_reply_to.trim().is_empty() {
        b = b.in_reply_to(draft.in_reply_to.trim().to_string());
    }
    if !draft.references.trim().is_empty() {
        b = b.references(draft.references.trim().to_string());
    }
    for (name, value) in &draft.extra {
        let lower = name.to_ascii_lowercase();
        // `Receipt: yes` in the draft asks for a read receipt, to the sender.
        if lower == "receipt" {
            let yes = matches!(
                value.trim().to_ascii_lowercase().as_str(),
                "yes" | "y" | "1" | "是"
            );
            if yes {
                let me = receipt_address(&draft.from)?;
                if let Ok(hn) = HeaderName::new_from_ascii("Disposition-Notification-To".into()) {
                    b = b.raw_header(HeaderValue::new(hn, me));
                }
            }
            continue;
        }
        if OWN.contains(&lower.as_str()) || lower.starts_with("x-postie-") {
            continue;
        }
        let Ok(hn) = HeaderName::new_from_ascii(name.clone()) else {
            continue;
        };
        b = b.raw_header(HeaderValue::new(hn, value.clone()));
    }
    let text = with_signature(&draft.body, signature);
    let plain = SinglePart::plain(text);
    let message = if attachments.is_empty() {
        b.singlepart(plain)
    } else {
        let mut mixed = MultiPart::mixed().singlepart(plain);
        for a in attachments {
            mixed = mixed.singlepart(attachment_part(a));
        }
        b.multipart(mixed)
    }
    .map_err(|e| BuildError(format!("cannot build the message: {e}")))?;
    Ok(Built {
        envelope: message.envelope().clone(),
        bytes: local_date(message.formatted(), date),
        message_id,
    })
}

/// The Date header in the sender's own offset (`+0800` in Shanghai), as
/// mail programs write it: lettre writes UTC (`+0000`), which readers then
/// show as the wrong local time in the attribution of a reply.
pub(crate) fn local_date(mut bytes: Vec<u8>, date: SystemTime) -> Vec<u8> {
    let local: chrono::DateTime<chrono::Local> = date.into();
    let line = format!("Date: {}\r\n", local.to_rfc2822());
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes.len(), |p| p + 2);
    let mut at = 0;
    while at < head_end {
        let end = bytes[at..head_end]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(head_end, |p| at + p + 2);
        if bytes[at..end].len() >= 5 && bytes[at..at + 5].eq_ignore_ascii_case(b"date:") {
            // A folded Date (it is not) would continue on lines starting with space.
            let mut stop = end;
            while stop < head_end && matches!(bytes[stop], b' ' | b'\t') {
                stop = bytes[stop..head_end]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .map_or(head_end, |p| stop + p + 2);
            }
            bytes.splice(at..stop, line.into_bytes());
            return bytes;
        }
        at = end;
    }
    bytes
}

/// The body with `-- ` and the signature under it, unless it is there already.
pub fn with_signature(body: &str, signature: Option<&str>) -> String {
    let body = body.replace("\r\n", "\n");
    let Some(sig) = signature.map(str::trim_end).filter(|s| !s.is_empty()) else {
        return body;
    };
    if body.contains(&format!("\n-- \n{sig}")) || body.starts_with(&format!("-- \n{sig}")) {
        return body;
    }
    let mut out = body.trim_end_matches('\n').to_string();
    out.push_str("\n\n-- \n");
    out.push_str(sig);
    out.push('\n');
    out
}

fn attachment_part(a: &Attachment) -> SinglePart {
    let mime = mime_guess::from_path(&a.name)
        .first_raw()
        .unwrap_or("application/octet-stream");
    SinglePart::builder()
        .header(NamedType::new(mime, &a.name))
        .header(Disposition::attachment(&a.name))
        .body(
            Body::new_with_encoding(a.bytes.clone(), ContentTransferEncoding::Base64)
                .unwrap_or_else(Body::new),
        )
}

/// `Content-Type: TYPE; name="…"`, the name RFC 2047-encoded when it is not
/// plain ASCII, in words of at most 75 characters (RFC 2047 §2).
#[derive(Debug, Clone)]
struct NamedType(String);

impl NamedType {
    fn new(mime: &str, name: &str) -> NamedType {
        let printable = name
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ');
        let value = if printable {
            format!("{mime}; name=\"{name}\"")
        } else {
            format!("{mime};\r\n name=\"{}\"", encoded_words(name))
        };
        NamedType(value)
    }
}

/// `=?utf-8?B?…?=` words, split at character boundaries, joined by folding white space.
fn encoded_words(s: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        // 45 bytes encode to 60 characters: with `=?utf-8?B?` and `?=`, 72.
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?utf-8?B?{}?=", engine.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?utf-8?B?{}?=", engine.encode(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// `Content-Disposition: attachment; filename*=utf-8''…` (RFC 2231, one
/// piece: a name of up to 255 bytes stays under the 998-octet line limit),
/// or the plain quoted form for a printable ASCII name.
#[derive(Debug, Clone)]
struct Disposition(String);

impl Disposition {
    fn attachment(name: &str) -> Disposition {
        let printable = name
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ');
        if printable {
            return Disposition(format!("attachment; filename=\"{name}\""));
        }
        let mut pct = String::new();
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                pct.push(b as char);
            } else {
                pct.push_str(&format!("%{b:02X}"));
            }
        }
        if pct.len() <= 900 {
            return Disposition(format!("attachment;\r\n filename*=utf-8''{pct}"));
        }
        // Longer than a line may be: RFC 2231 continuations, never splitting a %XX.
        let mut pieces = Vec::new();
        let mut rest = pct.as_str();
        while !rest.is_empty() {
            let mut cut = rest.len().min(60);
            while cut < rest.len() && rest[..cut].rfind('%').is_some_and(|p| p + 3 > cut) {
                cut -= 1;
            }
            pieces.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        let parts: Vec<String> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let charset = if i == 0 { "utf-8''" } else { "" };
                format!("filename*{i}*={charset}{p}")
            })
            .collect();
        Disposition(format!("attachment;\r\n {}", parts.join(";\r\n ")))
    }
}

impl Header for Disposition {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Disposition")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Disposition(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::dangerous_new_pre_encoded(Self::name(), self.0.clone(), self.0.clone())
    }
}

impl Header for NamedType {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Type")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(NamedType(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::dangerous_new_pre_encoded(Self::name(), self.0.clone(), self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            from: "王小明 <ming@example.cn>".into(),
            to: "张三 <zhang@example.cn>".into(),
            bcc: "secret@example.cn".into(),
            subject: "Re: 项目进度".into(),
            in_reply_to: "<orig@example.cn>".into(),
            references: "<root@example.cn> <orig@example.cn>".into(),
            body: "你好，\n\n这是第一季度报告。\n".repeat(3),
            ..Draft::default()
        }
    }

    fn build_it(d: &Draft, att: &[Attachment]) -> Built {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_790_000_000);
        build(
            d,
            att,
            Some("王小明\n产品部"),
            now,
            message_id("ming@example.cn", now, 7),
        )
        .unwrap()
    }

    #[test]
    fn receipt_yes_asks_for_a_read_receipt_to_the_sender() {
        let mut d = draft();
        d.extra.push(("Receipt".into(), "yes".into()));
        let text = String::from_utf8(build_it(&d, &[]).bytes).unwrap();
        let from = crate::mime::address::parse_mailbox(&d.from)
            .map(|m| m.email.to_string())
            .unwrap();
        assert!(
            text.contains(&format!("Disposition-Notification-To: {from}\r\n")),
            "{text}"
        );
        assert!(!text.contains("Receipt:"), "{text}");
        let mut d = draft();
        d.extra.push(("Receipt".into(), "no".into()));
        let text = String::from_utf8(build_it(&d, &[]).bytes).unwrap();
        assert!(!text.contains("Disposition-Notification-To"), "{text}");
    }

    #[test]
    fn headers_are_encoded_and_threaded_and_bcc_is_left_out() {
        let b = build_it(&draft(), &[]);
        let text = String::from_utf8(b.bytes.clone()).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(!text.contains("secret@"), "{text}");
        assert!(text.contains("In-Reply-To: <orig@example.cn>"));
        assert!(text.contains("References: <root@example.cn> <orig@example.cn>"));
        assert!(text.contains("@example.cn>"));
        assert!(text.contains("User-Agent: postie/"));
        assert!(text.contains("MIME-Version: 1.0"));
        assert!(text.contains("Subject: Re: =?utf-8?b?"), "{text}");
        assert!(text.contains("<zhang@example.cn>"));
        assert!(text.lines().all(|l| l.len() <= 998));
        let to: Vec<String> = b.envelope.to().iter().map(|a| a.to_string()).collect();
        assert_eq!(to, vec!["zhang@example.cn", "secret@example.cn"]);
        // Read back by postie's own decoder.
        let r = crate::mime::Rendered::from_message(&b.bytes, &Default::default());
        assert_eq!(r.subject, "Re: 项目进度");
        assert!(r.from.starts_with("王小明"));
        assert!(r.body.contains("这是第一季度报告。"));
        assert!(r.body.contains("-- \n王小明\n产品部"), "{}", r.body);
    }

    #[test]
    fn attachments_carry_both_name_forms() {
        let att = Attachment {
            name: "销售报告.pdf".into(),
            bytes: b"%PDF-1.4 \x00\x01\x02".to_vec(),
        };
        let b = build_it(&draft(), std::slice::from_ref(&att));
        let text = String::from_utf8(b.bytes.clone()).unwrap();
        assert!(text.contains("Content-Type: application/pdf;"), "{text}");
        assert!(
            text.contains("name=\"=?utf-8?B?6ZSA5ZSu5oql5ZGKLnBkZg==?=\""),
            "{text}"
        );
        assert!(
            text.contains("filename*=utf-8''%E9%94%80%E5%94%AE%E6%8A%A5%E5%91%8A.pdf"),
            "{text}"
        );
        assert!(text.contains("Content-Transfer-Encoding: base64"), "{text}");
        let parts = crate::mime::attachment_parts(&b.bytes, &Default::default());
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].file_name, "销售报告.pdf");
        assert_eq!(parts[0].bytes, att.bytes);
    }

    #[test]
    fn a_long_name_becomes_several_words_and_lines_stay_short() {
        let name = format!("{}.docx", "很长的文件名".repeat(20));
        let words = encoded_words(&name);
        assert!(words.split("\r\n ").all(|w| w.len() <= 75), "{words}");
        let att = Attachment {
            name: name.clone(),
            bytes: vec![1; 10],
        };
        let b = build_it(&draft(), &[att]);
        assert!(b.bytes.split(|&c| c == b'\n').all(|l| l.len() <= 998));
        let parts = crate::mime::attachment_parts(&b.bytes, &Default::default());
        assert_eq!(parts[0].file_name, name);
    }

    #[test]
    fn bad_addresses_and_no_recipients_are_refused() {
        let mut d = draft();
        d.to = "bob@".into();
        assert_eq!(
            check(&d).unwrap_err().0,
            "To: \"bob@\" is not an e-mail address"
        );
        d.to.clear();
        d.bcc.clear();
        assert!(check(&d).unwrap_err().0.starts_with("no recipients"));
    }

    #[test]
    fn the_signature_is_added_once() {
        assert_eq!(with_signature("hi\n", Some("Me")), "hi\n\n-- \nMe\n");
        let once = with_signature("hi\n", Some("Me"));
        assert_eq!(with_signature(&once, Some("Me")), once);
        assert_eq!(with_signature("hi\n", None), "hi\n");
    }

    #[test]
    fn message_ids_are_on_the_senders_domain() {
        let now = SystemTime::now();
        let a = message_id("ming@example.cn", now, 1);
        let b = message_id("ming@example.cn", now, 2);
        assert!(a.ends_with("@example.cn>") && a.starts_with('<'));
        assert_ne!(a, b);
    }
}
