//! One SMTP submission, with lettre's connection API step by step (so each
//! failure is known for what it is): connect (implicit TLS, or STARTTLS
//! that must be offered: no downgrade), AUTH (PLAIN, LOGIN, or CRAM-MD5,
//! which lettre lacks and is written here on its command API), MAIL, RCPT,
//! DATA. A connection lost after the message's final `.` and before the
//! reply leaves the outcome unknown: `may have been sent`, never retried.

use rust_i18n::t;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;

use crate::pop3::TlsMode;
use crate::secret::Secret;
use crate::text::sanitize::sanitize_line;
use serde::Deserialize;

/// Which SMTP AUTH mechanism to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpAuth {
    /// The strongest the server offers: CRAM-MD5, then PLAIN, then LOGIN.
    #[default]
    Auto,
    Plain,
    Login,
    CramMd5,
    /// Bearer tokens (OAuth 2.0): `xoauth2` or `oauthbearer`.
    Xoauth2,
    Oauthbearer,
}

/// Where and how to submit.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: String,
    pub password: Secret,
    pub auth: SmtpAuth,
    pub ca_file: Option<PathBuf>,
    pub allow_insecure_auth: bool,
    /// For connecting and for each reply.
    pub timeout: Duration,
    /// Where bearer tokens come from (OAuth 2.0); None logs in with `password`.
    pub token: Option<crate::pop3::sasl::Tokens>,
}

/// Why a message was not sent, in the user's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{}", t!("smtp.connect", addr = _0))]
    Connect(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{}", t!("smtp.no_starttls", addr = _0))]
    NoStartTls(String),
    #[error("{0}")]
    Insecure(String),
    #[error("{}", t!("smtp.auth", words = _0))]
    Auth(String),
    #[error("{0}")]
    NoMechanism(String),
    /// `temporary`: a 4xx reply (try again later), else 5xx.
    #[error("{}", t!("smtp.refused", words = text))]
    Refused { text: String, temporary: bool },
    #[error("{}", t!("smtp.unknown", why = _0))]
    Unknown(String),
    #[error("{0}")]
    Local(String),
    /// No token to log in with: its kind says whether to sign in again,
    /// try later (the token service is unreachable) or fix a local setting.
    #[error("{0}")]
    Token(crate::pop3::sasl::TokenError),
}

impl SendError {
    /// The server may have the message: sending again could send it twice.
    pub fn may_have_been_sent(&self) -> bool {
        matches!(self, SendError::Unknown(_))
    }
}

impl crate::error::Classify for SendError {
    fn class(&self) -> crate::error::ErrorClass {
        use crate::error::ErrorClass;
        match self {
            SendError::Connect(_) => ErrorClass::Temporary,
            SendError::Refused {
                temporary: true, ..
            } => ErrorClass::Temporary,
            SendError::Refused {
                temporary: false, ..
            } => ErrorClass::Server,
            SendError::Tls(_) | SendError::NoStartTls(_) => ErrorClass::Tls,
            SendError::Auth(_) | SendError::NoMechanism(_) => ErrorClass::Login,
            // The server may have it: not to be retried blindly.
            SendError::Unknown(_) => ErrorClass::Server,
            SendError::Insecure(_) | SendError::Local(_) => ErrorClass::Local,
            SendError::Token(e) => e.class(),
        }
    }
}

/// What lettre said, as one clean line (a server's words included).
fn said(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    sanitize_line(&text).into_owned()
}

fn reply_text(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => {
            let text = said(e);
            // lettre says "permanent error (550): no such user"; the code first reads better.
            let words = text.split_once("): ").map_or(text.as_str(), |(_, w)| w);
            format!("{code} {words}")
        }
        None => said(e),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[path = "smtp_oauth.rs"]
mod oauth;

/// `AUTH CRAM-MD5` and its answer (RFC 2195), on lettre's command API.
struct CramMd5Start;

impl fmt::Display for CramMd5Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AUTH CRAM-MD5\r\n")
    }
}

struct Line(String);

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

/// The CRAM-MD5 answer to a base64 challenge: base64(user SP hex(HMAC-MD5(password, challenge))).
pub fn cram_md5_answer(
    user: &str,
    password: &Secret,
    challenge_b64: &str,
) -> Result<String, String> {
    use hmac::{Hmac, Mac};
    let engine = base64::engine::general_purpose::STANDARD;
    let challenge = engine
        .decode(challenge_b64.trim())
        .map_err(|_| "the server's CRAM-MD5 challenge is not base64".to_string())?;
    let mut mac = Hmac::<md5::Md5>::new_from_slice(password.expose().as_bytes())
        .map_err(|_| "cannot start HMAC-MD5".to_string())?;
    mac.update(&challenge);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(engine.encode(format!("{user} {hex}")))
}

/// Which mechanisms an EHLO reply's `AUTH` lines offer (upper case).
fn offered_mechanisms(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        let up = l.to_ascii_uppercase();
        let rest = up
            .strip_prefix("AUTH ")
            .or_else(|| up.strip_prefix("AUTH="));
        if let Some(rest) = rest {
            out.extend(rest.split_whitespace().map(str::to_string));
        }
    }
    out
}

/// A session ready for MAIL: connected, encrypted as configured, logged in.
pub struct Session {
    conn: AsyncSmtpConnection,
    timeout: Duration,
    /// Implicit TLS, or STARTTLS done (lettre cannot tell for a stream handed to it).
    encrypted: bool,
}

/// What TLS needs, built once (system roots plus `ca_file`, native-tls as
/// for POP3, the host name checked): lettre's parameters for STARTTLS, a
/// connector for implicit TLS. Blocking: it reads the CA bundle.
#[derive(Clone)]
pub enum TlsSetup {
    /// lettre's parameters, for STARTTLS.
    StartTls(TlsParameters),
    /// A connector for implicit TLS.
    Implicit(tokio_native_tls::TlsConnector),
}

impl TlsSetup {
    /// Only what the mode needs: each build reads the whole CA bundle.
    pub fn build(s: &SmtpSettings) -> Result<TlsSetup, SendError> {
        let pem = match &s.ca_file {
            Some(ca) => Some(std::fs::read(ca).map_err(|e| {
                SendError::Tls(format!("cannot read ca_file {}: {e}", ca.display()))
            })?),
            None => None,
        };
        let bad = |e: String| {
            let path = s
                .ca_file
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display()
                .to_string();
            SendError::Tls(format!("ca_file {path} is not a PEM certificate: {e}"))
        };
        if s.tls == TlsMode::Implicit {
            let mut builder = native_tls::TlsConnector::builder();
            if let Some(pem) = &pem {
                let certs =
                    native_tls::Certificate::stack_from_pem(pem).map_err(|e| bad(e.to_string()))?;
                if certs.is_empty() {
                    return Err(bad("no certificate in it".into()));
                }
                for c in certs {
                    builder.add_root_certificate(c);
                }
            }
            let connector = builder.build().map_err(|e| SendError::Tls(e.to_string()))?;
            return Ok(TlsSetup::Implicit(tokio_native_tls::TlsConnector::from(
                connector,
            )));
        }
        let mut params = TlsParameters::builder(s.host.clone());
        if let Some(pem) = &pem {
            params =
                params.add_root_certificate(Certificate::from_pem(pem).map_err(|e| bad(said(&e)))?);
        }
        params
            .build_native()
            .map(TlsSetup::StartTls)
            .map_err(|e| SendError::Tls(said(&e)))
    }
}

enum TlsPending {
    Ready(TlsSetup),
    Building(tokio::task::JoinHandle<Result<TlsSetup, SendError>>),
}

impl TlsPending {
    /// The settings, once built (None when the link has no TLS).
    async fn take(pending: &mut Option<TlsPending>) -> Result<Option<TlsSetup>, SendError> {
        match pending.take() {
            None => Ok(None),
            Some(TlsPending::Ready(t)) => Ok(Some(t)),
            Some(TlsPending::Building(h)) => h
                .await
                .map_err(|e| SendError::Local(format!("cannot set up TLS: {e}")))?
                .map(Some),
        }
    }
}

/// A TLS stream lettre can drive (its trait wants the peer address).
#[derive(Debug)]
struct TlsTcp(tokio_native_tls::TlsStream<tokio::net::TcpStream>);

impl tokio::io::AsyncRead for TlsTcp {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for TlsTcp {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().get_ref().get_ref().peer_addr()
    }
}

async fn within<T>(
    limit: Duration,
    what: &str,
    f: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<Result<T, lettre::transport::smtp::Error>, SendError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| SendError::Connect(format!("{what}: no answer in {} s", limit.as_secs())))
}

impl Session {
    /// Connects and logs in: what `postie setup` tests, and what sending starts with.
    pub async fn open(s: &SmtpSettings, tls: Option<TlsSetup>) -> Result<Session, SendError> {
        let addr = format!("{}:{}", s.host, s.port);
        // Reading the system's CA bundle takes tens of milliseconds: done on
        // a blocking thread, while the connection is being made (and, for
        // STARTTLS, while the greeting and EHLO go back and forth).
        let mut pending = (s.tls != TlsMode::None).then(|| match tls {
            Some(t) => TlsPending::Ready(t),
            None => TlsPending::Building(tokio::task::spawn_blocking({
                let s = s.clone();
                move || TlsSetup::build(&s)
            })),
        });
        let hello = ClientId::Domain("localhost".into());
        let tcp = tokio::time::timeout(
            s.timeout,
            tokio::net::TcpStream::connect((s.host.as_str(), s.port)),
        )
        .await
        .map_err(|_| SendError::Connect(format!("{addr}: no answer in {} s", s.timeout.as_secs())))?
        .map_err(|e| SendError::Connect(format!("{addr}: {e}")))?;
        // Commands are small and answered one by one: without this, Nagle's
        // algorithm and delayed ACKs add 40 ms to many of the round trips.
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn AsyncTokioStream> = if s.tls == TlsMode::Implicit {
            let Some(TlsSetup::Implicit(connector)) = TlsPending::take(&mut pending).await? else {
                return Err(SendError::Tls("no implicit TLS settings".into()));
            };
            let tls = tokio::time::timeout(s.timeout, connector.connect(&s.host, tcp))
                .await
                .map_err(|_| {
                    SendError::Tls(format!(
                        "{addr}: no TLS handshake in {} s",
                        s.timeout.as_secs()
                    ))
                })?
                .map_err(|e| {
                    SendError::Tls(format!("{addr}: {}", sanitize_line(&e.to_string())))
                })?;
            Box::new(TlsTcp(tls))
        } else {
            Box::new(tcp)
        };
        let mut encrypted = s.tls == TlsMode::Implicit;
        let mut conn = within(
            s.timeout,
            &addr,
            AsyncSmtpConnection::connect_with_transport(stream, &hello),
        )
        .await?
        .map_err(|e| SendError::Connect(format!("{addr}: {}", said(&e))))?;
        if s.tls == TlsMode::StartTls {
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(SendError::NoStartTls(addr));
            }
            let Some(TlsSetup::StartTls(params)) = TlsPending::take(&mut pending).await? else {
                return Err(SendError::Tls("no STARTTLS settings".into()));
            };
            within(s.timeout, &addr, conn.starttls(params, &hello))
                .await?
                .map_err(|e| SendError::Tls(format!("{addr}: STARTTLS: {}", said(&e))))?;
            encrypted = true;
        }
        let mut session = Session {
            conn,
            timeout: s.timeout,
            encrypted,
        };
        session.login(s, &hello, &addr).await?;
        Ok(session)
    }

    async fn login(
        &mut self,
        s: &SmtpSettings,
        hello: &ClientId,
        addr: &str,
    ) -> Result<(), SendError> {
        // lettre keeps only the mechanisms it implements; the raw EHLO lines
        // show CRAM-MD5 and the token mechanisms too.
        let raw = s.token.is_some() || matches!(s.auth, SmtpAuth::Auto | SmtpAuth::CramMd5);
        let offered = if raw {
            let r = within(
                self.timeout,
                addr,
                self.conn.command(Ehlo::new(hello.clone())),
            )
            .await?
            .map_err(|e| SendError::Connect(format!("{addr}: EHLO: {}", said(&e))))?;
            offered_mechanisms(&r.message().map(str::to_string).collect::<Vec<_>>())
        } else {
            Vec::new()
        };
        if let Some(tokens) = &s.token {
            let cleartext_ok = self.encrypted || s.allow_insecure_auth || is_loopback(&s.host);
            let Some(mech) = oauth::choose(s.auth, &offered) else {
                return Err(SendError::NoMechanism(
                    t!("smtp.no_oauth", addr = addr).into_owned(),
                ));
            };
            if !cleartext_ok {
                return Err(SendError::Insecure(
                    t!("smtp.oauth_insecure", addr = addr).into_owned(),
                ));
            }
            return oauth::login(&mut self.conn, self.timeout, addr, s, mech, tokens).await;
        }
        let info = self.conn.server_info();
        let has = |m: Mechanism| info.supports_auth_mechanism(m);
        let cram = offered.iter().any(|m| m == "CRAM-MD5");
        let encrypted = self.encrypted;
        let cleartext_ok = encrypted || s.allow_insecure_auth || is_loopback(&s.host);
        let choice = match s.auth {
            SmtpAuth::CramMd5 if cram => Some("CRAM-MD5"),
            SmtpAuth::Auto if cram => Some("CRAM-MD5"),
            SmtpAuth::Plain if has(Mechanism::Plain) => Some("PLAIN"),
            SmtpAuth::Login if has(Mechanism::Login) => Some("LOGIN"),
            SmtpAuth::Auto if has(Mechanism::Plain) => Some("PLAIN"),
            SmtpAuth::Auto if has(Mechanism::Login) => Some("LOGIN"),
            _ => None,
        };
        let Some(choice) = choice else {
            let wanted = match s.auth {
                SmtpAuth::Auto => "PLAIN, LOGIN or CRAM-MD5".to_string(),
                SmtpAuth::Plain => "PLAIN".into(),
                SmtpAuth::Login => "LOGIN".into(),
                SmtpAuth::CramMd5 => "CRAM-MD5".into(),
                SmtpAuth::Xoauth2 | SmtpAuth::Oauthbearer => "XOAUTH2 or OAUTHBEARER".into(),
            };
            let hint = if !encrypted {
                " (many servers offer AUTH only over TLS: set tls = \"starttls\" or \"implicit\")"
            } else {
                ""
            };
            return Err(SendError::NoMechanism(format!(
                "{addr} does not offer AUTH {wanted}{hint}"
            )));
        };
        if choice != "CRAM-MD5" && !cleartext_ok {
            return Err(SendError::Insecure(format!(
                "refusing to send the password in clear text to {addr} (tls = \"none\"); use TLS, auth = \"cram-md5\", or allow_insecure_auth = true"
            )));
        }
        let refused = |e: lettre::transport::smtp::Error| {
            if e.status().is_some() {
                SendError::Auth(reply_text(&e))
            } else {
                SendError::Connect(format!("{addr}: AUTH: {}", said(&e)))
            }
        };
        if choice == "CRAM-MD5" {
            let challenge = within(self.timeout, addr, self.conn.command(CramMd5Start))
                .await?
                .map_err(refused)?;
            if !challenge.has_code(334) {
                return Err(SendError::Auth(format!(
                    "unexpected answer to AUTH CRAM-MD5: {}",
                    sanitize_line(challenge.first_line().unwrap_or(""))
                )));
            }
            let answer =
                cram_md5_answer(&s.user, &s.password, challenge.first_line().unwrap_or(""))
                    .map_err(SendError::Auth)?;
            let done = within(self.timeout, addr, self.conn.command(Line(answer)))
                .await?
                .map_err(refused)?;
            if !done.has_code(235) {
                return Err(SendError::Auth(format!(
                    "{} {}",
                    done.code(),
                    sanitize_line(done.first_line().unwrap_or(""))
                )));
            }
            return Ok(());
        }
        let mechanism = if choice == "PLAIN" {
            Mechanism::Plain
        } else {
            Mechanism::Login
        };
        let creds = Credentials::new(s.user.clone(), s.password.expose().to_string());
        within(self.timeout, addr, self.conn.auth(&[mechanism], &creds))
            .await?
            .map_err(refused)?;
        Ok(())
    }

    /// MAIL, RCPT for each recipient, DATA and the message. Ok once the server said 250.
    pub async fn submit(
        &mut self,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
    ) -> Result<(), SendError> {
        let t = self.timeout;
        let step = |what: &'static str| {
            move |e: lettre::transport::smtp::Error| {
                if e.status().is_some() {
                    SendError::Refused {
                        text: format!("{}: {what}", reply_text(&e)),
                        temporary: e.is_transient(),
                    }
                } else {
                    SendError::Connect(format!("{what}: {}", said(&e)))
                }
            }
        };
        within(
            t,
            "MAIL",
            self.conn
                .command(Mail::new(envelope.from().cloned(), vec![])),
        )
        .await?
        .map_err(step("the sender"))?;
        let mut refused = Vec::new();
        // Only when every refusal is a 4xx is trying again later enough.
        let mut all_temporary = true;
        for to in envelope.to() {
            match within(t, "RCPT", self.conn.command(Rcpt::new(to.clone(), vec![]))).await? {
                Ok(_) => {}
                Err(e) if e.status().is_some() => {
                    all_temporary &= e.is_transient();
                    refused.push(format!("{to} ({})", reply_text(&e)));
                }
                Err(e) => return Err(step("a recipient")(e)),
            }
        }
        if !refused.is_empty() {
            // Some refused: nothing is sent, so the user can fix the address and send to all at once.
            return Err(SendError::Refused {
                text: format!(
                    "recipient{} refused: {}",
                    if refused.len() == 1 { "" } else { "s" },
                    refused.join(", ")
                ),
                temporary: all_temporary,
            });
        }
        within(t, "DATA", self.conn.command(Data))
            .await?
            .map_err(step("DATA"))?;
        // The body may be large on a slow link: at least 10 KB/s, beyond the usual wait.
        let long = t + Duration::from_secs(bytes.len() as u64 / 10_240);
        // lettre ends the data with CRLF . CRLF; without our own last CRLF
        // the server receives exactly `bytes` (what Sent keeps).
        let data = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
        match tokio::time::timeout(long, self.conn.message(data)).await {
            Err(_) => Err(SendError::Unknown(format!(
                "no answer in {} s after the message",
                long.as_secs()
            ))),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.status().is_some() => Err(SendError::Refused {
                text: reply_text(&e),
                temporary: e.is_transient(),
            }),
            Ok(Err(e)) => Err(SendError::Unknown(said(&e))),
        }
    }

    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.conn.quit()).await;
    }
}

/// Connect, log in, submit, quit. `tls`: built before (the reader keeps one).
pub async fn send(
    s: &SmtpSettings,
    tls: Option<TlsSetup>,
    envelope: &lettre::address::Envelope,
    bytes: &[u8],
) -> Result<(), SendError> {
    let mut session = Session::open(s, tls).await?;
    let result = session.submit(envelope, bytes).await;
    if result.is_ok() {
        session.quit().await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cram_md5_matches_rfc_2195() {
        // RFC 2195 section 2's worked example.
        let challenge = base64::engine::general_purpose::STANDARD
            .encode("<1896.697170952@postoffice.reston.mci.net>");
        let answer = cram_md5_answer("tim", &Secret::new("tanstaaftanstaaf"), &challenge).unwrap();
        assert_eq!(answer, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    }

    #[test]
    fn auth_lines_are_read_both_ways() {
        let lines = vec![
            "smtp.example.com".to_string(),
            "AUTH LOGIN PLAIN CRAM-MD5".to_string(),
            "AUTH=LOGIN".to_string(),
            "8BITMIME".to_string(),
        ];
        assert_eq!(
            offered_mechanisms(&lines),
            vec!["LOGIN", "PLAIN", "CRAM-MD5", "LOGIN"]
        );
    }

    #[test]
    fn loopback_is_recognised() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(is_loopback("[::1]"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("smtp.qq.com"));
    }
}
