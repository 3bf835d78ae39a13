//! What can go wrong talking POP3, each error carrying what a user needs to
//! act on it: the server's own words (sanitised), its response code, a hint.

use super::codec::{CodecError, Command, ResponseCode, StatusLine};
use super::session::{AuthChoiceError, IllegalCommand};
use crate::error::{Classify, ErrorClass};
use rust_i18n::t;

#[derive(Debug, thiserror::Error)]
pub enum Pop3Error {
    #[error("{}", t!("pop3.connect", addr = addr, reason = reason))]
    Connect { addr: String, reason: String },
    #[error("{}", t!("pop3.tls_untrusted", host = host, detail = detail))]
    TlsUntrusted { host: String, detail: String },
    #[error("{}", t!("pop3.tls_wrong_host", host = host, detail = detail))]
    TlsWrongHost { host: String, detail: String },
    #[error("{}", t!("pop3.tls_handshake", host = host, detail = detail))]
    TlsHandshake { host: String, detail: String },
    #[error("{}", t!("pop3.ca_file", path = path, detail = detail))]
    CaFile { path: String, detail: String },
    #[error("{}", t!("pop3.no_stls", addr = addr))]
    StartTlsUnavailable { addr: String },
    #[error("{}", t!("pop3.timeout", secs = secs, what = what))]
    Timeout { what: String, secs: u64 },
    #[error("{}", t!("pop3.lost", addr = addr, reason = reason))]
    ConnectionLost { addr: String, reason: String },
    #[error("{}", t!("pop3.protocol", addr = addr, error = source))]
    Protocol { addr: String, source: CodecError },
    #[error("{0}")]
    Illegal(#[from] IllegalCommand),
    #[error("{}", t!("pop3.login", words = server_words(code, text)))]
    Login {
        code: Option<ResponseCode>,
        text: String,
    },
    #[error("{0}")]
    AuthChoice(#[from] AuthChoiceError),
    /// The server refused the bearer token: why (from its error challenge,
    /// when it sent one) and its final words.
    #[error("{}", t!("pop3.oauth_refused", reason = reason_words(reason), words = server_words(&None, text)))]
    OAuthRefused {
        reason: Option<super::sasl::OAuthReason>,
        text: String,
    },
    /// No token to log in with.
    #[error("{0}")]
    Token(#[from] super::sasl::TokenError),
    #[error("{}", t!("pop3.refused", command = command, words = server_words(code, text)))]
    Refused {
        command: &'static str,
        code: Option<ResponseCode>,
        text: String,
    },
    #[error(
        "{}",
        t!("pop3.too_large", command = command, limit = crate::text::human_size(*limit as u64))
    )]
    TooLarge { command: &'static str, limit: usize },
    #[error("{}", t!("pop3.unsupported", what = _0))]
    Unsupported(&'static str),
    /// This machine: a disk, a file.
    #[error("{0}")]
    Local(String),
    /// Stopped on purpose (the user left a long download, the reader went away).
    #[error("{0}")]
    Cancelled(&'static str),
    /// postie broke its own rules (a reply that should have been recorded was not).
    #[error("{}", t!("error.internal", what = _0))]
    Bug(&'static str),
}

fn reason_words(reason: &Option<super::sasl::OAuthReason>) -> String {
    match reason {
        Some(r) => r.to_string(),
        None => t!("oauth.reason.none").into_owned(),
    }
}

pub(crate) fn server_words(code: &Option<ResponseCode>, text: &str) -> String {
    let text = crate::text::sanitize::sanitize_line(text);
    match code.as_ref().and_then(|c| c.hint().map(|h| (c, h))) {
        Some((_, hint)) if text.is_empty() => hint.to_string(),
        Some((_, hint)) => format!("{text} ({hint})"),
        None if text.is_empty() => "no reason given".to_string(),
        None => text.into_owned(),
    }
}

impl Pop3Error {
    pub fn refused(command: &Command, status: StatusLine) -> Pop3Error {
        Pop3Error::Refused {
            command: command.name(),
            code: status.code(),
            text: status.text,
        }
    }

    /// The response code the server gave, if this error came from one.
    pub fn code(&self) -> Option<&ResponseCode> {
        match self {
            Pop3Error::Login { code, .. } | Pop3Error::Refused { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    /// True when trying again later may well work: the server is not there
    /// now, or says it is busy (`[IN-USE]`), throttling (`[LOGIN-DELAY]`)
    /// or failing for the moment (`[SYS/TEMP]`). The user need not act.
    fn is_temporary(&self) -> bool {
        matches!(
            self,
            Pop3Error::Connect { .. }
                | Pop3Error::Timeout { .. }
                | Pop3Error::ConnectionLost { .. }
        ) || matches!(
            self.code(),
            Some(ResponseCode::InUse | ResponseCode::LoginDelay | ResponseCode::SysTemp)
        )
    }

    /// True when the connection cannot be used any more (reconnect to go on).
    /// The session cannot go on (the link, its encryption or its step with
    /// the server is gone). An allow-list: a local failure (a full disk, a
    /// message that does not decode) or a refused command leaves a healthy
    /// session as it is; a connection broken by a local failure mid-reply
    /// says so itself at its next use (`ConnectionLost`).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Pop3Error::Connect { .. }
                | Pop3Error::TlsUntrusted { .. }
                | Pop3Error::TlsWrongHost { .. }
                | Pop3Error::TlsHandshake { .. }
                | Pop3Error::CaFile { .. }
                | Pop3Error::StartTlsUnavailable { .. }
                | Pop3Error::Timeout { .. }
                | Pop3Error::ConnectionLost { .. }
                | Pop3Error::Protocol { .. }
                | Pop3Error::TooLarge { .. }
                | Pop3Error::Login { .. }
                | Pop3Error::AuthChoice(_)
                | Pop3Error::OAuthRefused { .. }
                | Pop3Error::Token(_)
        )
    }
}

impl Classify for Pop3Error {
    fn class(&self) -> ErrorClass {
        if self.is_temporary() {
            return ErrorClass::Temporary;
        }
        match self {
            Pop3Error::Connect { .. }
            | Pop3Error::Timeout { .. }
            | Pop3Error::ConnectionLost { .. } => ErrorClass::Temporary,
            Pop3Error::Login { .. } | Pop3Error::AuthChoice(_) | Pop3Error::OAuthRefused { .. } => {
                ErrorClass::Login
            }
            Pop3Error::Token(e) => e.class(),
            Pop3Error::TlsUntrusted { .. }
            | Pop3Error::TlsWrongHost { .. }
            | Pop3Error::TlsHandshake { .. }
            | Pop3Error::CaFile { .. }
            | Pop3Error::StartTlsUnavailable { .. } => ErrorClass::Tls,
            Pop3Error::Refused { .. }
            | Pop3Error::Unsupported(_)
            | Pop3Error::Protocol { .. }
            | Pop3Error::TooLarge { .. } => ErrorClass::Server,
            Pop3Error::Illegal(_) | Pop3Error::Bug(_) => ErrorClass::Bug,
            Pop3Error::Local(_) => ErrorClass::Local,
            Pop3Error::Cancelled(_) => ErrorClass::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lost_link_is_fatal_to_the_session() {
        assert!(
            !Pop3Error::Local("cannot write the message: No space left on device".into())
                .is_fatal()
        );
        assert!(!Pop3Error::Unsupported("TOP").is_fatal());
        for fatal in [
            Pop3Error::ConnectionLost {
                addr: "h:110".into(),
                reason: "reset".into(),
            },
            Pop3Error::Timeout {
                what: "x".into(),
                secs: 1,
            },
            Pop3Error::TooLarge {
                command: "TOP",
                limit: 1,
            },
        ] {
            assert!(fatal.is_fatal(), "{fatal}");
        }
    }

    #[test]
    fn every_error_has_the_class_its_handling_needs() {
        let refused = |code| Pop3Error::Refused {
            command: "PASS",
            code,
            text: String::new(),
        };
        let login = |code| Pop3Error::Login {
            code,
            text: String::new(),
        };
        for (e, class) in [
            (
                Pop3Error::Connect {
                    addr: "h".into(),
                    reason: "r".into(),
                },
                ErrorClass::Temporary,
            ),
            (login(Some(ResponseCode::InUse)), ErrorClass::Temporary),
            (login(Some(ResponseCode::LoginDelay)), ErrorClass::Temporary),
            (refused(Some(ResponseCode::SysTemp)), ErrorClass::Temporary),
            (login(Some(ResponseCode::Auth)), ErrorClass::Login),
            (login(None), ErrorClass::Login),
            (
                Pop3Error::TlsUntrusted {
                    host: "h".into(),
                    detail: "d".into(),
                },
                ErrorClass::Tls,
            ),
            (
                Pop3Error::StartTlsUnavailable { addr: "h".into() },
                ErrorClass::Tls,
            ),
            (refused(None), ErrorClass::Server),
            (Pop3Error::Unsupported("TOP"), ErrorClass::Server),
            (Pop3Error::Local("disk full".into()), ErrorClass::Local),
            (Pop3Error::Cancelled("stopped"), ErrorClass::Cancelled),
            (Pop3Error::Bug("no RETR reply"), ErrorClass::Bug),
        ] {
            assert_eq!(e.class(), class, "{e}");
        }
    }
}
