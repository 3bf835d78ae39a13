//! SMTP AUTH with a bearer token (XOAUTH2, OAUTHBEARER), on lettre's
//! command API like CRAM-MD5: the initial response on the AUTH line
//! (RFC 4954 allows long lines), an error challenge (`334` and base64
//! JSON) answered as RFC 7628 says and read into a reason, a token the
//! server calls expired replaced once.

use lettre::transport::smtp::client::AsyncSmtpConnection;
use rust_i18n::t;

use super::{within, Line, SendError};
use crate::pop3::sasl::{self, OAuthMech, OAuthReason, Tokens};
use crate::text::sanitize::sanitize_line;

/// The mechanism: the one asked for, else OAUTHBEARER, then XOAUTH2, as
/// offered (`offered`: the raw EHLO AUTH list).
pub(super) fn choose(auth: super::SmtpAuth, offered: &[String]) -> Option<OAuthMech> {
    use super::SmtpAuth as A;
    let has = |m: OAuthMech| offered.iter().any(|o| o == m.name());
    match auth {
        A::Oauthbearer if has(OAuthMech::OAuthBearer) => Some(OAuthMech::OAuthBearer),
        A::Xoauth2 if has(OAuthMech::XOAuth2) => Some(OAuthMech::XOAuth2),
        A::Auto if has(OAuthMech::OAuthBearer) => Some(OAuthMech::OAuthBearer),
        A::Auto if has(OAuthMech::XOAuth2) => Some(OAuthMech::XOAuth2),
        _ => None,
    }
}

/// Logs in with a token from `tokens`.
pub(super) async fn login(
    conn: &mut AsyncSmtpConnection,
    timeout: std::time::Duration,
    addr: &str,
    s: &super::SmtpSettings,
    mech: OAuthMech,
    tokens: &Tokens,
) -> Result<(), SendError> {
    let mut refused = false;
    loop {
        let token = tokens.0.token(refused).await.map_err(SendError::Token)?;
        let response = sasl::initial_response(mech, &s.user, &token, &s.host, s.port);
        let line = Line(format!("AUTH {} {}", mech.name(), response.expose()));
        let reply = within(timeout, addr, conn.command(line)).await?;
        let reply = match reply {
            Ok(r) => r,
            Err(e) if e.status().is_some() => {
                return Err(SendError::Auth(super::reply_text(&e)));
            }
            Err(e) => {
                return Err(SendError::Connect(format!(
                    "{addr}: AUTH: {}",
                    super::said(&e)
                )))
            }
        };
        if reply.has_code(235) {
            return Ok(());
        }
        if !reply.has_code(334) {
            return Err(SendError::Auth(format!(
                "{} {}",
                reply.code(),
                sanitize_line(reply.first_line().unwrap_or(""))
            )));
        }
        let reason = sasl::read_error_challenge(reply.first_line().unwrap_or(""));
        // The server's final word after the answer RFC 7628 asks for.
        let last = within(
            timeout,
            addr,
            conn.command(Line(mech.abort_response().to_string())),
        )
        .await?;
        let words = match last {
            Ok(r) => sanitize_line(r.first_line().unwrap_or("")).into_owned(),
            Err(e) => super::reply_text(&e),
        };
        if reason == OAuthReason::Expired && !refused {
            tracing::info!(addr, "SMTP token refused as expired; asking for a new one");
            refused = true;
            continue;
        }
        return Err(SendError::Auth(
            t!("smtp.oauth_refused", reason = reason, words = words).into_owned(),
        ));
    }
}
