//! Read receipts (RFC 8098 message disposition notifications): a message
//! whose sender asked with `Disposition-Notification-To` gets, once, a
//! `multipart/report; report-type=disposition-notification` saying it was
//! displayed: a human-readable part in the language in use and the
//! machine-readable `message/disposition-notification` part. Sent with a
//! null return path (RFC 8098 §2.1: nothing may bounce back to it).

use std::time::SystemTime;

use base64::Engine as _;

use super::build::{BuildError, Built};

/// `receipts = "ask" | "never" | "always"`: what happens when a message
/// asks for a read receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReceiptPolicy {
    /// A question when the message is opened (the default).
    #[default]
    Ask,
    Never,
    Always,
}

impl ReceiptPolicy {
    pub fn parse(s: &str) -> Option<ReceiptPolicy> {
        match s {
            "ask" => Some(ReceiptPolicy::Ask),
            "never" => Some(ReceiptPolicy::Never),
            "always" => Some(ReceiptPolicy::Always),
            _ => None,
        }
    }
}

/// What a receipt says about the message it answers.
pub struct Receipt<'a> {
    /// The user, as they send (`Name <addr>`).
    pub from: &'a str,
    /// Where the sender asked the receipt to go.
    pub to: &'a str,
    /// The user's own address: the message's final recipient.
    pub final_recipient: &'a str,
    pub original_subject: &'a str,
    pub original_message_id: &'a str,
    /// Sent without asking (`receipts = "always"`).
    pub automatic: bool,
}

/// The receipt, ready for SMTP.
pub fn build(r: &Receipt<'_>, date: SystemTime, message_id: String) -> Result<Built, BuildError> {
    let parse = |what: &str, v: &str| -> Result<lettre::message::Mailbox, BuildError> {
        v.parse()
            .map_err(|e| BuildError(format!("{what}: {v:?} is not an address ({e})")))
    };
    let from = parse("From", r.from)?;
    let to = parse("Disposition-Notification-To", r.to)?;
    let subject = crate::i18n::fill(
        "receipt.subject",
        &[("subject", r.original_subject.to_string())],
    );
    // lettre writes (and encodes) the ordinary header fields; the MIME
    // structure, which it cannot make, follows them.
    let head = lettre::Message::builder()
        .from(from)
        .to(to.clone())
        .subject(subject)
        .date(date)
        .message_id(Some(message_id.clone()))
        .user_agent(format!("postie/{}", env!("CARGO_PKG_VERSION")))
        .body(String::new())
        .map_err(|e| BuildError(format!("cannot build the receipt: {e}")))?
        .formatted();
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(head.len(), |p| p + 2);
    let mut bytes = Vec::new();
    let mut skipping = false;
    for line in head[..end].split_inclusive(|&b| b == b'\n') {
        let continued = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continued {
            let lower = line.to_ascii_lowercase();
            skipping = lower.starts_with(b"content-type:")
                || lower.starts_with(b"content-transfer-encoding:")
                || lower.starts_with(b"mime-version:");
        }
        if !skipping {
            bytes.extend_from_slice(line);
        }
    }
    let boundary = format!(
        "postie-mdn-{}",
        message_id.trim_matches(['<', '>']).replace('@', ".")
    );
    let human = crate::i18n::fill(
        "receipt.body",
        &[
            ("subject", r.original_subject.to_string()),
            ("to", r.final_recipient.to_string()),
        ],
    );
    let human = base64::engine::general_purpose::STANDARD
        .encode(human.as_bytes())
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned() + "\r\n")
        .collect::<String>();
    let disposition = if r.automatic {
        "automatic-action/MDN-sent-automatically; displayed"
    } else {
        "manual-action/MDN-sent-manually; displayed"
    };
    let original_id = if r.original_message_id.is_empty() {
        String::new()
    } else {
        format!(
            "Original-Message-ID: {}\r\n",
            one_line(r.original_message_id)
        )
    };
    bytes.extend_from_slice(
        format!(
            "MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"{boundary}\"\r\n\
             \r\n\
             --{boundary}\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             {human}\
             --{boundary}\r\n\
             Content-Type: message/disposition-notification\r\n\
             \r\n\
             Reporting-UA: postie; postie/{version}\r\n\
             Final-Recipient: rfc822;{final_recipient}\r\n\
             {original_id}\
             Disposition: {disposition}\r\n\
             \r\n\
             --{boundary}--\r\n",
            version = env!("CARGO_PKG_VERSION"),
            final_recipient = one_line(r.final_recipient),
        )
        .as_bytes(),
    );
    let envelope = lettre::address::Envelope::new(None, vec![to.email])
        .map_err(|e| BuildError(format!("cannot address the receipt: {e}")))?;
    Ok(Built {
        envelope,
        bytes: super::build::local_date(bytes, date),
        message_id,
    })
}

/// A header value on one line (no CR/LF smuggled from a message).
fn one_line(v: &str) -> String {
    v.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_a_disposition_notification_report() {
        let r = Receipt {
            from: "李明 <li@example.cn>",
            to: "wang@example.cn",
            final_recipient: "li@example.cn",
            original_subject: "季度报告",
            original_message_id: "<p1@example.cn>\r\nBcc: evil@example.com",
            automatic: false,
        };
        let built = build(&r, SystemTime::UNIX_EPOCH, "<m1@example.cn>".into()).unwrap();
        let text = String::from_utf8(built.bytes).unwrap();
        assert!(text.contains("multipart/report; report-type=disposition-notification"));
        assert!(text.contains("Content-Type: message/disposition-notification\r\n"));
        assert!(text.contains("Disposition: manual-action/MDN-sent-manually; displayed\r\n"));
        assert!(text.contains("Final-Recipient: rfc822;li@example.cn\r\n"));
        // Nothing a message says can add a header line.
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert_eq!(built.envelope.from(), None, "a null return path");
        assert_eq!(text.matches("MIME-Version").count(), 1, "{text}");
    }
}
