//! `postie setup`'s tests of a new account: a POP3 login (then STAT and
//! QUIT, nothing deleted) and an SMTP login (EHLO, STARTTLS as configured,
//! AUTH, QUIT; no mail sent), each failure put in plain words: the network,
//! the certificate, POP3 not turned on, or the password (an authorization
//! code, for providers that want one).

use std::path::PathBuf;
use std::time::Duration;

use super::providers::{PasswordKind, Server};
use crate::error::{Classify, ErrorClass};
use crate::pop3::{AuthPreference, Client, ClientConfig, Endpoint, Pop3Error, Timeouts};
use crate::secret::Secret;
use crate::send::smtp::SmtpAuth;
use crate::send::smtp::{SendError, Session, SmtpSettings};

/// What went wrong, by what the user should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The server could not be reached (or did not answer in time).
    Network,
    /// The certificate is not trusted: a CA file may help.
    Untrusted,
    /// The certificate (its name) or the encryption otherwise.
    Tls,
    /// The server says the protocol is not turned on for this mailbox.
    NotEnabled,
    /// The password (or authorization code) was refused.
    Credentials,
    /// Anything else the server said.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub trouble: Trouble,
    /// One line for the user, the server's own words included (sanitised).
    pub text: String,
}

/// What a provider's refusal says when the service is off rather than the
/// password wrong (QQ, NetEase, Sina, Gmail word it in their own ways).
fn says_not_enabled(words: &str) -> bool {
    let w = words.to_lowercase();
    [
        "not open",
        "not enabled",
        "disabled",
        "not allowed",
        "not activated",
        "turn on",
        "enable pop",
        "web login required",
        "未开启",
        "没有开启",
        "未开通",
        "服务未",
    ]
    .iter()
    .any(|k| w.contains(k))
}

/// The refusal in plain words, with what to do for this provider.
fn refused(service: &str, words: String, kind: PasswordKind, help: &str) -> Failure {
    if says_not_enabled(&words) {
        return Failure {
            trouble: Trouble::NotEnabled,
            text: format!(
                "{service} is not turned on for this mailbox (the server says: {words}). {}",
                if help.is_empty() {
                    "Turn it on in the web mail's settings, then try again."
                } else {
                    help
                }
            ),
        };
    }
    let what = match kind {
        PasswordKind::AuthorizationCode => {
            "This provider wants the authorization code (授权码) made in its web settings, not your web password — and POP3/SMTP must be turned on there."
        }
        PasswordKind::AppPassword => {
            "This provider wants an app password (made after turning on two-step verification), not your account password."
        }
        PasswordKind::Password | PasswordKind::Oauth2 => {
            "Check the address (the user name) and the password."
        }
    };
    Failure {
        trouble: Trouble::Credentials,
        text: format!("the {service} login was refused (the server says: {words}). {what}"),
    }
}

fn pop3_failure(e: &Pop3Error, kind: PasswordKind, help: &str) -> Failure {
    if let Pop3Error::Login { code, text } = e {
        let words = crate::pop3::error::server_words(code, text);
        return refused("POP3", words, kind, help);
    }
    let text = crate::text::sanitize::sanitize_line(&e.to_string()).into_owned();
    let trouble = match (e, e.class()) {
        (Pop3Error::TlsUntrusted { .. }, _) => Trouble::Untrusted,
        (_, class) => trouble_of(class),
    };
    failure(trouble, text)
}

/// What the user does about an error of `class` (a refused login aside,
/// which is answered with the provider's own advice).
fn trouble_of(class: ErrorClass) -> Trouble {
    match class {
        ErrorClass::Temporary => Trouble::Network,
        ErrorClass::Tls => Trouble::Tls,
        ErrorClass::Login => Trouble::Credentials,
        ErrorClass::Server | ErrorClass::Local | ErrorClass::Cancelled | ErrorClass::Bug => {
            Trouble::Other
        }
    }
}

/// A failure in words, with the network's advice when the network failed.
fn failure(trouble: Trouble, text: String) -> Failure {
    let text = match trouble {
        Trouble::Network => {
            format!("{text} (check the server name and port, and that this machine can reach it)")
        }
        _ => text,
    };
    Failure { trouble, text }
}

/// The settings a probe uses: generous timeouts, a new account's defaults.
pub struct Probe<'a> {
    pub user: &'a str,
    pub password: &'a Secret,
    pub ca_file: Option<PathBuf>,
    pub kind: PasswordKind,
    pub help: &'a str,
    /// OAuth tokens instead of the password.
    pub token: Option<crate::pop3::sasl::Tokens>,
}

impl Probe<'_> {
    /// Logs in, counts the messages (STAT), and leaves with QUIT (nothing
    /// is marked, so nothing is deleted). Ok: the number of messages.
    pub async fn pop3(&self, server: &Server) -> Result<u32, Failure> {
        let cfg = ClientConfig {
            token: self.token.clone(),
            endpoint: Endpoint {
                host: server.host.clone(),
                port: server.pop3_port(),
                tls: server.tls,
                ca_file: self.ca_file.clone(),
                timeouts: Timeouts {
                    connect: Duration::from_secs(15),
                    command: Duration::from_secs(30),
                    read: Duration::from_secs(30),
                },
            },
            user: self.user.to_string(),
            password: self.password.clone(),
            auth: AuthPreference::Auto,
            allow_insecure_auth: false,
            pipelining: true,
        };
        let fail = |e: Pop3Error| pop3_failure(&e, self.kind, self.help);
        let mut client = Client::connect(&cfg).await.map_err(fail)?;
        let stat = client.stat().await.map_err(fail)?;
        client.quit().await.map_err(fail)?;
        Ok(stat.count)
    }

    /// Connects, encrypts as configured, logs in, and says QUIT: no mail is sent.
    pub async fn smtp(&self, server: &Server) -> Result<(), Failure> {
        let settings = SmtpSettings {
            host: server.host.clone(),
            port: server.smtp_port(),
            tls: server.tls,
            user: self.user.to_string(),
            password: self.password.clone(),
            auth: SmtpAuth::Auto,
            ca_file: self.ca_file.clone(),
            allow_insecure_auth: false,
            timeout: Duration::from_secs(30),
            token: self.token.clone(),
        };
        match Session::open(&settings, None).await {
            Ok(session) => {
                session.quit().await;
                Ok(())
            }
            Err(e) => Err(self.smtp_failure(&e)),
        }
    }

    fn smtp_failure(&self, e: &SendError) -> Failure {
        match e {
            SendError::Auth(words) => refused("SMTP", words.clone(), self.kind, self.help),
            _ => failure(trouble_of(e.class()), e.to_string()),
        }
    }
}

/// Whether anything answers at `server` within `limit` (a TCP connection;
/// used to order the guesses for a domain postie does not know).
pub async fn answers(server: &Server, limit: Duration) -> bool {
    let connect = tokio::net::TcpStream::connect((server.host.as_str(), server.pop3_port()));
    matches!(tokio::time::timeout(limit, connect).await, Ok(Ok(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_in_plain_words() {
        let f = refused(
            "POP3",
            "[AUTH] Authentication failed.".into(),
            PasswordKind::AuthorizationCode,
            "",
        );
        assert_eq!(f.trouble, Trouble::Credentials);
        let says = |w: &str| f.text.contains(w);
        assert!(
            says("授权码") && says("Authentication failed"),
            "{}",
            f.text
        );
        let f = refused(
            "POP3",
            "Login fail. POP3 service is not open for this account".into(),
            PasswordKind::AuthorizationCode,
            "Settings → POP3",
        );
        assert_eq!(f.trouble, Trouble::NotEnabled);
        assert!(f.text.contains("not turned on") && f.text.contains("Settings → POP3"));
        let f = refused("SMTP", "535 bad".into(), PasswordKind::Password, "");
        assert!(!f.text.contains("授权码"), "{}", f.text);
        assert_eq!(
            pop3_failure(
                &Pop3Error::Connect {
                    addr: "pop.x:995".into(),
                    reason: "refused".into()
                },
                PasswordKind::Password,
                ""
            )
            .trouble,
            Trouble::Network
        );
    }
}
