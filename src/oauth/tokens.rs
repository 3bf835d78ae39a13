//! postie's own OAuth client after sign-in: the refresh token in a 0600
//! file in the account's store (written whole to a temporary file, synced,
//! renamed: never half-written), access tokens kept in memory and renewed a
//! minute before they expire, or at once when a server refuses one. A
//! refresh the provider refuses (`invalid_grant`: revoked, expired, the
//! password changed) means signing in again; one that cannot reach it is
//! tried once more, then reported as temporary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use oauth2::{RefreshToken, TokenResponse};
use rust_i18n::t;

use super::{client, http, Endpoints, OAuthError};
use crate::pop3::sasl::{TokenError, TokenErrorKind, TokenFuture, TokenSource};
use crate::secret::Secret;

/// The file, in the account's store directory.
pub const TOKEN_FILE: &str = "oauth-token.json";

/// An access token this close to expiry is renewed first.
const EARLY: i64 = 60;

/// What the token file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub refresh: Secret,
    pub access: Option<(Secret, i64)>,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Reads the token file (blocking). None: not signed in.
pub fn read(path: &Path) -> Result<Option<Stored>, OAuthError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(OAuthError::File(path.display().to_string(), e.to_string())),
    };
    let bad = || {
        OAuthError::File(
            path.display().to_string(),
            t!("oauth.file_bad").into_owned(),
        )
    };
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let text = |k: &str| v.get(k).and_then(|s| s.as_str()).map(Secret::new);
    let refresh = text("refresh_token").ok_or_else(bad)?;
    let access = text("access_token").zip(v.get("expires_at").and_then(|e| e.as_i64()));
    Ok(Some(Stored { refresh, access }))
}

/// Writes the token file (blocking): 0600, whole or not at all.
pub fn write(path: &Path, s: &Stored) -> Result<(), OAuthError> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let err = |e: std::io::Error| OAuthError::File(path.display().to_string(), e.to_string());
    let dir = path.parent().unwrap_or(Path::new("."));
    // The account's store directory: 0700, as the store makes it.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(err)?;
    let mut v = serde_json::json!({ "refresh_token": s.refresh.expose() });
    if let Some((a, at)) = &s.access {
        v["access_token"] = a.expose().into();
        v["expires_at"] = (*at).into();
    }
    let mut text = v.to_string().into_bytes();
    let tmp = dir.join(format!(".{TOKEN_FILE}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    text.fill(0);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(err)
}

/// What a token response becomes in the file (the old refresh token kept
/// when the provider did not send a new one).
pub(super) fn stored_from(
    r: &oauth2::basic::BasicTokenResponse,
    old_refresh: Option<&Secret>,
) -> Result<Stored, OAuthError> {
    let refresh = match (r.refresh_token(), old_refresh) {
        (Some(t), _) => Secret::new(t.secret().clone()),
        (None, Some(old)) => old.clone(),
        (None, None) => return Err(OAuthError::NoRefreshToken),
    };
    let lifetime = r.expires_in().unwrap_or(Duration::from_secs(3600));
    let access = Secret::new(r.access_token().secret().clone());
    Ok(Stored {
        refresh,
        access: Some((access, now() + lifetime.as_secs() as i64)),
    })
}

/// Trades the refresh token for a new access token; a request that did not
/// reach the provider (or a 5xx) is tried once more after a second.
pub async fn refresh(e: &Endpoints, stored: &Stored) -> Result<Stored, OAuthError> {
    let c = client(e)?;
    let http = http()?;
    let rt = RefreshToken::new(stored.refresh.expose().to_string());
    let mut tries = 0;
    loop {
        tries += 1;
        let mut req = c.exchange_refresh_token(&rt);
        for s in &e.scopes {
            req = req.add_scope(oauth2::Scope::new(s.clone()));
        }
        match req.request_async(&http).await {
            Ok(r) => return stored_from(&r, Some(&stored.refresh)),
            Err(err) => {
                let err = OAuthError::from_request(err);
                if err.kind() == TokenErrorKind::Temporary && tries < 2 {
                    tracing::info!("refreshing the access token failed ({err}); trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                return Err(err);
            }
        }
    }
}

/// An account's tokens from postie's own client.
pub struct OAuthTokens {
    endpoints: Endpoints,
    file: PathBuf,
    cache: tokio::sync::Mutex<Option<(Secret, i64)>>,
}

impl OAuthTokens {
    pub fn new(endpoints: Endpoints, file: PathBuf) -> OAuthTokens {
        OAuthTokens {
            endpoints,
            file,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    async fn get(&self, refused: bool) -> Result<Secret, OAuthError> {
        let mut cache = self.cache.lock().await;
        let fresh = |exp: i64| exp > now() + EARLY;
        if !refused {
            if let Some((t, exp)) = cache.as_ref() {
                if fresh(*exp) {
                    return Ok(t.clone());
                }
            }
        }
        let path = self.file.clone();
        let stored = tokio::task::spawn_blocking(move || read(&path))
            .await
            .map_err(|e| OAuthError::Http(e.to_string()))??
            .ok_or(OAuthError::NotSignedIn)?;
        // Another postie (a cron fetch) may have renewed it meanwhile.
        if let Some((t, exp)) = &stored.access {
            let same = cache.as_ref().is_some_and(|(c, _)| c == t);
            if fresh(*exp) && !(refused && same) {
                *cache = Some((t.clone(), *exp));
                return Ok(t.clone());
            }
        }
        let renewed = refresh(&self.endpoints, &stored).await?;
        let path = self.file.clone();
        let keep = renewed.clone();
        tokio::task::spawn_blocking(move || write(&path, &keep))
            .await
            .map_err(|e| OAuthError::Http(e.to_string()))??;
        let access = renewed.access.ok_or(OAuthError::NoRefreshToken)?;
        *cache = Some(access.clone());
        Ok(access.0)
    }
}

impl TokenSource for OAuthTokens {
    fn token(&self, refused: bool) -> TokenFuture<'_> {
        Box::pin(async move {
            self.get(refused).await.map_err(|e| TokenError {
                kind: e.kind(),
                text: e.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_0600_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acct").join(TOKEN_FILE);
        assert_eq!(read(&path).unwrap(), None);
        let s = Stored {
            refresh: Secret::new("rt-1"),
            access: Some((Secret::new("at-1"), 1_900_000_000)),
        };
        write(&path, &s).unwrap();
        assert_eq!(read(&path).unwrap(), Some(s.clone()));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Rewritten: still 0600, no temporary file left.
        write(&path, &Stored { access: None, ..s }).unwrap();
        assert_eq!(read(&path).unwrap().unwrap().access, None);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(TOKEN_FILE)]);
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(read(&path), Err(OAuthError::File(..))));
    }
}
