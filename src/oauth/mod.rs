//! OAuth 2.0 sign-in for POP3 and SMTP: where an account's bearer tokens
//! come from. `oauth_token_command` (oama, mutt_oauth2.py, a company's
//! tool) prints one (`command`); postie's own client keeps a refresh token
//! in a 0600 file in the account's store and trades it for access tokens as
//! they expire (`tokens`), after signing in with the device authorization
//! grant or a browser on this machine (`signin`). Both answer
//! `pop3::sasl::TokenSource`, asked before every login. The protocol work
//! (requests, polling, PKCE) is the `oauth2` crate's, over reqwest.

pub mod command;
pub mod signin;
pub mod tokens;

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{EndpointMaybeSet, EndpointNotSet, EndpointSet};
use rust_i18n::t;

pub use command::CommandTokens;
pub use tokens::{OAuthTokens, TOKEN_FILE};

use crate::pop3::sasl::TokenErrorKind;
use crate::secret::Secret;
use crate::text::sanitize::sanitize_line;

/// A provider's endpoints and the user's application, as the accounts
/// layer resolved them from the config and the provider table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub authorization_url: Option<String>,
    pub token_url: String,
    pub device_url: Option<String>,
    pub scopes: Vec<String>,
}

/// Why signing in or renewing a token did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The provider could not be reached, or failed (5xx, nonsense).
    #[error("{}", t!("oauth.unreachable", error = _0))]
    Http(String),
    /// The provider refused (`invalid_grant`, `invalid_client`, …): its
    /// error code and description.
    #[error("{}", t!("oauth.refused", error = _0, words = _1))]
    Refused(String, String),
    #[error("{}", t!("oauth.denied"))]
    Denied,
    #[error("{}", t!("oauth.code_expired"))]
    CodeExpired,
    #[error("{}", t!("oauth.not_signed_in"))]
    NotSignedIn,
    #[error("{}", t!("oauth.no_refresh_token"))]
    NoRefreshToken,
    #[error("{0}")]
    Config(String),
    /// The token file: its path and why.
    #[error("{}", t!("oauth.file", path = _0, error = _1))]
    File(String, String),
    /// The browser sign-in: no answer in time, or a forged one.
    #[error("{0}")]
    Browser(String),
}

impl OAuthError {
    /// What a login that needed the token should make of it.
    pub fn kind(&self) -> TokenErrorKind {
        match self {
            OAuthError::Http(_) => TokenErrorKind::Temporary,
            OAuthError::Refused(..)
            | OAuthError::Denied
            | OAuthError::CodeExpired
            | OAuthError::NotSignedIn
            | OAuthError::NoRefreshToken
            | OAuthError::Browser(_) => TokenErrorKind::SignIn,
            OAuthError::Config(_) | OAuthError::File(..) => TokenErrorKind::Local,
        }
    }

    /// A token request's failure, classified by what came back.
    pub(crate) fn from_request<RE: std::error::Error + 'static>(
        e: oauth2::RequestTokenError<RE, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
    ) -> OAuthError {
        match e {
            // RFC 6749's codes for a provider failing for the moment.
            oauth2::RequestTokenError::ServerResponse(r)
                if matches!(
                    r.error(),
                    BasicErrorResponseType::Extension(code)
                        if code == "temporarily_unavailable" || code == "server_error"
                ) =>
            {
                OAuthError::Http(sanitize_line(r.error().as_ref()).into_owned())
            }
            oauth2::RequestTokenError::ServerResponse(r) => OAuthError::Refused(
                sanitize_line(r.error().as_ref()).into_owned(),
                words(r.error_description().map(String::as_str)),
            ),
            other => OAuthError::Http(chain(&other)),
        }
    }
}

/// A provider's description of an error, one sanitised line of bounded length.
fn words(text: Option<&str>) -> String {
    let w: String = sanitize_line(text.unwrap_or_default())
        .chars()
        .take(300)
        .collect();
    if w.is_empty() {
        t!("oauth.reason.none").into_owned()
    } else {
        w
    }
}

/// An error and its causes on one line (reqwest hides the useful part in a source).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    sanitize_line(&out).chars().take(400).collect()
}

/// The client for these endpoints (each endpoint set or not, as given).
type Client =
    BasicClient<EndpointMaybeSet, EndpointMaybeSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(e: &Endpoints) -> Result<Client, OAuthError> {
    let bad = |what: &str, url: &str| {
        OAuthError::Config(t!("oauth.bad_url", what = what, url = sanitize_line(url)).into_owned())
    };
    let auth = match &e.authorization_url {
        Some(u) => Some(oauth2::AuthUrl::new(u.clone()).map_err(|_| bad("authorization_url", u))?),
        None => None,
    };
    let device = match &e.device_url {
        Some(u) => {
            Some(oauth2::DeviceAuthorizationUrl::new(u.clone()).map_err(|_| bad("device_url", u))?)
        }
        None => None,
    };
    let token =
        oauth2::TokenUrl::new(e.token_url.clone()).map_err(|_| bad("token_url", &e.token_url))?;
    let mut c = BasicClient::new(oauth2::ClientId::new(e.client_id.clone()))
        .set_auth_uri_option(auth)
        .set_device_authorization_url_option(device)
        .set_token_uri(token);
    if let Some(s) = &e.client_secret {
        c = c.set_client_secret(oauth2::ClientSecret::new(s.expose().to_string()));
    }
    // Public clients (no secret) send their id in the body, as Microsoft
    // and Google expect.
    Ok(c.set_auth_type(oauth2::AuthType::RequestBody))
}

/// The HTTP client: no redirects (RFC 6749 §10: a token request is never
/// sent on to another address), a time limit per request.
fn http() -> Result<reqwest::Client, OAuthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| OAuthError::Http(chain(&e)))
}
