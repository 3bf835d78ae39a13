//! `[accounts.NAME.oauth]`: postie's own OAuth 2.0 client for an account
//! (Outlook.com, Office 365, Gmail): the provider's endpoints (from the
//! provider table by name, or given), the user's own application (client)
//! id, the scopes. No token is ever in the config: the refresh token lives
//! in a 0600 file in the account's store.

use serde::Deserialize;

use crate::secret::Secret;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// A provider from postie's table (`outlook`, `office365`,
    /// `office365-china`, `gmail`, `google-workspace`): its endpoints and scopes.
    pub provider: Option<String>,
    /// The application (client) id registered with the provider.
    pub client_id: String,
    /// Google's "installed app" clients have one (not a secret in
    /// Google's sense, but kept out of logs all the same).
    pub client_secret: Option<Secret>,
    /// Microsoft's tenant (default `common`; `organizations`, or the
    /// tenant's id or domain).
    pub tenant: Option<String>,
    /// Endpoints for a provider not in the table (or to override it).
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub device_url: Option<String>,
    /// Default: the provider's.
    pub scopes: Option<Vec<String>>,
}

impl OAuthConfig {
    /// What is wrong with it, in words for the user.
    pub fn problem(&self) -> Option<String> {
        if self.client_id.trim().is_empty() {
            return Some("oauth.client_id is empty: register an application with your provider and paste its client id (see postie-config(5))".into());
        }
        if self.provider.is_none() && self.token_url.is_none() {
            return Some(
                "oauth needs a provider (outlook, office365, office365-china, gmail, google-workspace) or a token_url"
                    .into(),
            );
        }
        for (what, url) in [
            ("authorization_url", &self.authorization_url),
            ("token_url", &self.token_url),
            ("device_url", &self.device_url),
        ] {
            if let Some(u) = url {
                let ok = u.starts_with("https://")
                    || u.starts_with("http://127.0.0.1")
                    || u.starts_with("http://localhost");
                if !ok {
                    return Some(format!("oauth.{what} {u:?} must be an https:// address"));
                }
            }
        }
        None
    }
}

impl super::AccountConfig {
    /// Signs in with OAuth 2.0 (a token command or postie's own client)
    /// rather than a password.
    pub fn uses_oauth(&self) -> bool {
        self.oauth_token_command.is_some() || self.oauth.is_some()
    }

    pub(super) fn validate_oauth(&self) -> Result<(), String> {
        use crate::pop3::AuthPreference as A;
        if self.oauth_token_command.is_some() && self.oauth.is_some() {
            return Err("oauth_token_command and [oauth] both give tokens: keep one".into());
        }
        if let Some(o) = &self.oauth {
            if let Some(p) = o.problem() {
                return Err(p);
            }
        }
        if self.uses_oauth() && (self.password.is_some() || self.password_command.is_some()) {
            return Err(
                "an OAuth account has no password: remove password / password_command".into(),
            );
        }
        match self.auth {
            A::XOAuth2 | A::OAuthBearer if !self.uses_oauth() => Err(
                "auth = \"xoauth2\" / \"oauthbearer\" needs tokens: set up [oauth] (postie setup) or oauth_token_command".into(),
            ),
            A::User | A::Plain | A::Apop if self.uses_oauth() => Err(
                "an OAuth account logs in with auth = \"auto\", \"xoauth2\" or \"oauthbearer\"".into(),
            ),
            _ => Ok(()),
        }
    }
}
