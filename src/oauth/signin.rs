//! Signing in, from a terminal: the device authorization grant (RFC 8628:
//! a short code to type at the provider's address on any device — a phone
//! will do, nothing is needed on a server reached over SSH; polled at the
//! provider's interval, slower on `slow_down`), or with a browser on this
//! machine the authorization code grant with PKCE (RFC 7636) and a
//! loopback redirect (RFC 8252). Either way the refresh token ends in the
//! account's token file.

use std::path::Path;
use std::time::Duration;

use oauth2::{PkceCodeChallenge, Scope, StandardDeviceAuthorizationResponse};
use rust_i18n::t;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::tokens::{stored_from, write};
use super::{client, http, Endpoints, OAuthError};
use crate::text::sanitize::sanitize_line;

/// What the user is asked to do in the device flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// Where to go (sanitised: it comes from the network).
    pub verification_uri: String,
    /// The same with the code filled in, when the provider gives one (for a QR code).
    pub complete_uri: Option<String>,
    pub user_code: String,
    pub expires_in: Duration,
}

/// How long the browser sign-in waits for the redirect.
const BROWSER_WAIT: Duration = Duration::from_secs(300);

fn scopes(e: &Endpoints) -> impl Iterator<Item = Scope> + '_ {
    e.scopes.iter().map(|s| Scope::new(s.clone()))
}

async fn save(path: &Path, r: &oauth2::basic::BasicTokenResponse) -> Result<(), OAuthError> {
    let stored = stored_from(r, None)?;
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || write(&path, &stored))
        .await
        .map_err(|e| OAuthError::Http(e.to_string()))?
}

/// The device flow: `show` is told the code and address once, then the
/// provider is polled until the user has signed in (or declined, or the
/// code expired). The refresh token is written to `token_file`.
pub async fn device(
    e: &Endpoints,
    token_file: &Path,
    show: impl FnOnce(&DeviceCode),
) -> Result<(), OAuthError> {
    if e.device_url.is_none() {
        return Err(OAuthError::Config(t!("oauth.no_device_url").into_owned()));
    }
    let c = client(e)?;
    let http = http()?;
    let details: StandardDeviceAuthorizationResponse = c
        .exchange_device_code()
        .map_err(|_| OAuthError::Config(t!("oauth.no_device_url").into_owned()))?
        .add_scopes(scopes(e))
        .request_async(&http)
        .await
        .map_err(OAuthError::from_request)?;
    show(&DeviceCode {
        verification_uri: sanitize_line(details.verification_uri().as_str()).into_owned(),
        complete_uri: details
            .verification_uri_complete()
            .map(|u| sanitize_line(u.secret()).into_owned()),
        user_code: sanitize_line(details.user_code().secret()).into_owned(),
        expires_in: details.expires_in(),
    });
    let token = c
        .exchange_device_access_token(&details)
        .request_async(&http, tokio::time::sleep, None)
        .await;
    let token = match token {
        Ok(t) => t,
        Err(oauth2::RequestTokenError::ServerResponse(r)) => {
            use oauth2::DeviceCodeErrorResponseType as E;
            return Err(match r.error() {
                E::AccessDenied => OAuthError::Denied,
                E::ExpiredToken => OAuthError::CodeExpired,
                other => OAuthError::Refused(
                    sanitize_line(other.as_ref()).into_owned(),
                    super::words(r.error_description().map(String::as_str)),
                ),
            });
        }
        Err(oauth2::RequestTokenError::Other(_)) => return Err(OAuthError::CodeExpired),
        Err(other) => return Err(OAuthError::Http(super::chain(&other))),
    };
    save(token_file, &token).await
}

/// A browser sign-in under way: the address to visit, and a listener on
/// 127.0.0.1 waiting for the provider's redirect.
pub struct BrowserSignIn {
    url: String,
    state: oauth2::CsrfToken,
    verifier: oauth2::PkceCodeVerifier,
    redirect: oauth2::RedirectUrl,
    endpoints: Endpoints,
    listener: tokio::task::JoinHandle<Result<String, OAuthError>>,
}

impl BrowserSignIn {
    /// Where the user signs in.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits for the redirect (or takes `pasted`, the address a browser on
    /// another machine ended at), checks the state, exchanges the code
    /// with the PKCE verifier, writes the token file.
    pub async fn finish(self, pasted: Option<&str>, token_file: &Path) -> Result<(), OAuthError> {
        let query = match pasted.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                self.listener.abort();
                p.split_once('?')
                    .map(|(_, q)| q.to_string())
                    .unwrap_or_default()
            }
            None => self
                .listener
                .await
                .map_err(|e| OAuthError::Browser(e.to_string()))??,
        };
        let param = |name: &str| {
            oauth2::url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if param("state").as_deref() != Some(self.state.secret().as_str()) {
            return Err(OAuthError::Browser(t!("oauth.browser_state").into_owned()));
        }
        if let Some(err) = param("error") {
            return Err(if err.as_str() == "access_denied" {
                OAuthError::Denied
            } else {
                OAuthError::Refused(
                    sanitize_line(&err).into_owned(),
                    super::words(param("error_description").as_deref()),
                )
            });
        }
        let code = param("code")
            .ok_or_else(|| OAuthError::Browser(t!("oauth.browser_state").into_owned()))?;
        let c = client(&self.endpoints)?.set_redirect_uri(self.redirect);
        let http = http()?;
        let token = c
            .exchange_code(oauth2::AuthorizationCode::new(code))
            .set_pkce_verifier(self.verifier)
            .request_async(&http)
            .await
            .map_err(OAuthError::from_request)?;
        save(token_file, &token).await
    }
}

/// Starts the browser flow (RFC 8252: a one-time listener on 127.0.0.1 for
/// the redirect; RFC 7636: an S256 challenge).
pub async fn start_browser(e: &Endpoints) -> Result<BrowserSignIn, OAuthError> {
    let no_listener =
        |e: std::io::Error| OAuthError::Browser(t!("oauth.no_listener", error = e).into_owned());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(no_listener)?;
    let port = listener.local_addr().map_err(no_listener)?.port();
    let redirect = oauth2::RedirectUrl::new(format!("http://127.0.0.1:{port}/"))
        .map_err(|e| OAuthError::Config(e.to_string()))?;
    let c = client(e)?.set_redirect_uri(redirect.clone());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = c
        .authorize_url(oauth2::CsrfToken::new_random)
        .map_err(|_| OAuthError::Config(t!("oauth.no_authorization_url").into_owned()))?
        .add_scopes(scopes(e))
        .set_pkce_challenge(challenge)
        .url();
    let listener = tokio::spawn(async move {
        tokio::time::timeout(BROWSER_WAIT, redirected(&listener))
            .await
            .map_err(|_| {
                OAuthError::Browser(
                    t!("oauth.browser_timeout", secs = BROWSER_WAIT.as_secs()).into_owned(),
                )
            })?
    });
    Ok(BrowserSignIn {
        url: url.to_string(),
        state,
        verifier,
        redirect,
        endpoints: e.clone(),
        listener,
    })
}

/// The browser flow in one: `open` is given the address to visit; the
/// redirect to the listener finishes it.
pub async fn browser(
    e: &Endpoints,
    token_file: &Path,
    open: impl FnOnce(&str),
) -> Result<(), OAuthError> {
    let s = start_browser(e).await?;
    open(s.url());
    s.finish(None, token_file).await
}

/// The query of the first request to the listener that carries one; the
/// browser is answered with a page saying where to look next.
async fn redirected(listener: &tokio::net::TcpListener) -> Result<String, OAuthError> {
    // (Runs in its own task: the sign-in may also finish from a pasted address.)
    loop {
        let (mut sock, _) = listener
            .accept()
            .await
            .map_err(|e| OAuthError::Browser(t!("oauth.no_listener", error = e).into_owned()))?;
        let mut buf = vec![0u8; 8192];
        let mut n = 0;
        // The request line is all that is needed; at most 8 KB, 10 s.
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            while n < buf.len() {
                match sock.read(&mut buf[n..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
                if buf[..n].windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
        })
        .await;
        let line = String::from_utf8_lossy(&buf[..n]);
        let target = line
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("GET "))
            .and_then(|l| l.split(' ').next())
            .unwrap_or("");
        let query = target.split_once('?').map(|(_, q)| q.to_string());
        let page = match &query {
            Some(_) => t!("oauth.browser_done"),
            None => t!("oauth.browser_waiting"),
        };
        let body = format!(
            "<!doctype html><meta charset=utf-8><title>postie</title><p>{}</p>",
            page.replace('&', "&amp;").replace('<', "&lt;")
        );
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = sock.write_all(reply.as_bytes()).await;
        let _ = sock.shutdown().await;
        if let (Ok(()), Some(q)) = (read, query) {
            return Ok(q);
        }
    }
}
