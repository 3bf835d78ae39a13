//! OAuth 2.0 bearer tokens over SASL (RFC 7628 `OAUTHBEARER`, Google's and
//! Microsoft's `XOAUTH2`): the client's messages, when an initial response
//! may ride on the AUTH line (RFC 5034: 255 octets at most), and the
//! server's error challenge (base64 JSON) read into a reason. Plain
//! functions, used by the POP3 login and by SMTP; where the token comes
//! from is a `TokenSource` the accounts layer provides.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine as _;
use rust_i18n::t;

use crate::error::ErrorClass;
use crate::secret::Secret;

/// A SASL mechanism that carries a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthMech {
    OAuthBearer,
    XOAuth2,
}

impl OAuthMech {
    pub fn name(self) -> &'static str {
        match self {
            OAuthMech::OAuthBearer => "OAUTHBEARER",
            OAuthMech::XOAuth2 => "XOAUTH2",
        }
    }

    /// What the client answers an error challenge with before the server's
    /// final refusal: RFC 7628 §3.2.3's `%x01` for OAUTHBEARER; XOAUTH2
    /// (Google, Microsoft) takes an empty line.
    pub fn abort_response(self) -> &'static str {
        match self {
            OAuthMech::OAuthBearer => "AQ==",
            OAuthMech::XOAuth2 => "",
        }
    }
}

/// RFC 7628's gs2 `saslname`: `,` and `=` escaped.
fn saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// The client's first (and only) message, base64-encoded: for OAUTHBEARER
/// `n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A` (RFC 7628 §3.1),
/// for XOAUTH2 `user=USER^Aauth=Bearer TOKEN^A^A`.
pub fn initial_response(
    mech: OAuthMech,
    user: &str,
    token: &Secret,
    host: &str,
    port: u16,
) -> Secret {
    let mut raw = match mech {
        OAuthMech::OAuthBearer => {
            // No user: the gs2 header has no authzid (`n,,`).
            let authzid = if user.is_empty() {
                String::new()
            } else {
                format!("a={}", saslname(user))
            };
            format!(
                "n,{authzid},\x01host={host}\x01port={port}\x01auth=Bearer {}\x01\x01",
                token.expose()
            )
        }
        OAuthMech::XOAuth2 => format!("user={user}\x01auth=Bearer {}\x01\x01", token.expose()),
    }
    .into_bytes();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&raw);
    raw.fill(0);
    Secret::new(encoded)
}

/// RFC 5034 §4: an initial response goes on the AUTH line only if the line
/// (`AUTH MECH RESPONSE` and CRLF) is at most 255 octets; a JWT rarely fits,
/// and Office 365 needs the two-step form then.
pub fn fits_on_auth_line(mech: OAuthMech, response: &Secret) -> bool {
    "AUTH ".len() + mech.name().len() + 1 + response.expose().len() + 2 <= 255
}

/// Why the server refused a token, read from its error challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthReason {
    /// The token expired or was revoked (`invalid_token`, XOAUTH2's `401`):
    /// a fresh one may work.
    Expired,
    /// The token lacks the scope the server needs.
    Scope(String),
    /// Anything else the server said (its status, as sent).
    Other(String),
}

impl fmt::Display for OAuthReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = match self {
            OAuthReason::Expired => t!("oauth.reason.expired"),
            OAuthReason::Scope(s) if s.is_empty() => t!("oauth.reason.scope_unnamed"),
            OAuthReason::Scope(s) => t!("oauth.reason.scope", scope = s),
            OAuthReason::Other(s) => t!("oauth.reason.other", status = s),
        };
        f.write_str(&words)
    }
}

/// The longest error challenge read (the JSON is a few dozen bytes).
const MAX_CHALLENGE: usize = 4096;

/// Reads the server's error challenge (RFC 7628 §3.2.2: base64 of a JSON
/// object with `status`, maybe `scope` and `schemes`). Anything unreadable
/// is `Other` with what could be read, never a panic.
pub fn read_error_challenge(challenge: &str) -> OAuthReason {
    let text = challenge.trim();
    if text.len() > MAX_CHALLENGE {
        return OAuthReason::Other(String::new());
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) else {
        return OAuthReason::Other(String::new());
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return OAuthReason::Other(String::new());
    };
    let field = |name: &str| {
        v.get(name)
            .and_then(|s| s.as_str())
            .map(|s| {
                crate::text::sanitize::sanitize_line(s)
                    .chars()
                    .take(200)
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    let (status, scope) = (field("status"), field("scope"));
    match status.as_str() {
        "invalid_token" | "401" => OAuthReason::Expired,
        "insufficient_scope" | "403" => OAuthReason::Scope(scope),
        _ => OAuthReason::Other(status),
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct TokenError {
    pub kind: TokenErrorKind,
    /// In plain words, without any token.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorKind {
    /// The grant is gone (revoked, expired, never made): the user must sign
    /// in again (`postie setup` or the reader's sign-in pop-up).
    SignIn,
    /// The token service could not be reached or failed: try again later.
    Temporary,
    /// `oauth_token_command` failed, or the token file is unreadable.
    Local,
}

impl TokenError {
    pub fn class(&self) -> ErrorClass {
        match self.kind {
            TokenErrorKind::SignIn => ErrorClass::Login,
            TokenErrorKind::Temporary => ErrorClass::Temporary,
            TokenErrorKind::Local => ErrorClass::Local,
        }
    }
}

/// The future a `TokenSource` answers with.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Secret, TokenError>> + Send + 'a>>;

/// Where an account's access token comes from (a command, postie's own
/// OAuth client with its refresh token): asked before every login.
pub trait TokenSource: Send + Sync {
    /// A token to log in with. `refused`: the server refused the last one
    /// (expired, revoked), so a new one is wanted, not a cached one.
    fn token(&self, refused: bool) -> TokenFuture<'_>;
}

/// A shared token source in a config (compared by identity).
#[derive(Clone)]
pub struct Tokens(pub Arc<dyn TokenSource>);

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tokens(***)")
    }
}

impl PartialEq for Tokens {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Tokens {}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(s: &Secret) -> String {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(s.expose())
                .unwrap(),
        )
        .unwrap()
    }

    /// RFC 7628 §4.1's example (no authzid, `host=server.example.com`, `port=143`).
    #[test]
    fn oauthbearer_matches_rfc_7628_example() {
        let r = initial_response(
            OAuthMech::OAuthBearer,
            "",
            &Secret::new("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="),
            "server.example.com",
            143,
        );
        assert_eq!(
            r.expose(),
            "biwsAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"
        );
    }

    /// curl's test 874 (POP3 XOAUTH2): user and token as there.
    #[test]
    fn xoauth2_matches_curls_test_874() {
        let r = initial_response(
            OAuthMech::XOAuth2,
            "user",
            &Secret::new("mF_9.B5f-4.1JqM"),
            "127.0.0.1",
            110,
        );
        assert_eq!(
            r.expose(),
            "dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB"
        );
        assert_eq!(
            decoded(&r),
            "user=user\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01"
        );
    }

    /// curl's tests 887/888 (POP3 OAUTHBEARER): `n,a=user,` with host and port.
    #[test]
    fn oauthbearer_carries_host_and_port_as_curl_does() {
        let r = initial_response(
            OAuthMech::OAuthBearer,
            "user",
            &Secret::new("mF_9.B5f-4.1JqM"),
            "127.0.0.1",
            9001,
        );
        assert_eq!(
            decoded(&r),
            "n,a=user,\x01host=127.0.0.1\x01port=9001\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01"
        );
    }

    #[test]
    fn a_user_name_with_a_comma_or_equals_is_escaped() {
        let r = initial_response(OAuthMech::OAuthBearer, "a,b=c", &Secret::new("t"), "h", 1);
        assert!(decoded(&r).starts_with("n,a=a=2Cb=3Dc,\x01"));
    }

    #[test]
    fn a_jwt_does_not_fit_on_the_auth_line() {
        let short = initial_response(OAuthMech::XOAuth2, "u", &Secret::new("t"), "h", 1);
        assert!(fits_on_auth_line(OAuthMech::XOAuth2, &short));
        let jwt = Secret::new("e".repeat(900));
        let long = initial_response(OAuthMech::XOAuth2, "u", &jwt, "h", 1);
        assert!(!fits_on_auth_line(OAuthMech::XOAuth2, &long));
    }

    /// RFC 7628 §4.3's failure challenge, and curl's test 890's (the one it
    /// answers with `AQ==`), and Google's XOAUTH2 error.
    #[test]
    fn error_challenges_are_read_into_reasons() {
        // {"status":"invalid_token","scope":"example_scope","openid-configuration":"…"}
        assert_eq!(
            read_error_challenge("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0="),
            OAuthReason::Expired
        );
        // curl 890: {"status":"401","schemes":"bearer","scope":"profile"}
        assert_eq!(
            read_error_challenge(
                "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJwcm9maWxlIn0K"
            ),
            OAuthReason::Expired
        );
        let scope = base64::engine::general_purpose::STANDARD
            .encode(r#"{"status":"insufficient_scope","scope":"mail.pop"}"#);
        assert_eq!(
            read_error_challenge(&scope),
            OAuthReason::Scope("mail.pop".into())
        );
        let odd = base64::engine::general_purpose::STANDARD
            .encode(r#"{"status":"invalid_request\u001b[31m"}"#);
        assert_eq!(
            read_error_challenge(&odd),
            OAuthReason::Other("invalid_request^[[31m".into())
        );
        for junk in ["", "!!!", "bm90IGpzb24=", &"QUFB".repeat(5000)] {
            assert!(matches!(read_error_challenge(junk), OAuthReason::Other(_)));
        }
        assert_eq!(OAuthMech::OAuthBearer.abort_response(), "AQ==");
        assert_eq!(OAuthMech::XOAuth2.abort_response(), "");
    }
}
