//! Where an account's OAuth tokens come from: `oauth_token_command`, or
//! postie's own client with the `[oauth]` table's endpoints (the provider
//! table's, `{tenant}` filled in, overridden by what the table gives) and
//! the token file in the account's store. One source per token file in a
//! process, so POP3 and SMTP share one access token and one refresh.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use rust_i18n::t;

use super::providers::Table;
use crate::config::oauth::OAuthConfig;
use crate::config::AccountConfig;
use crate::oauth::{CommandTokens, Endpoints, OAuthTokens, TOKEN_FILE};
use crate::pop3::sasl::{TokenError, TokenErrorKind, TokenFuture, TokenSource, Tokens};

/// The shipped provider table, parsed once.
fn shipped() -> Option<&'static Table> {
    static TABLE: OnceLock<Option<Table>> = OnceLock::new();
    TABLE.get_or_init(|| Table::load(None).ok()).as_ref()
}

/// The endpoints `o` names, from `table` (default: the shipped one).
pub fn oauth_endpoints(o: &OAuthConfig, table: Option<&Table>) -> Result<Endpoints, String> {
    let from_table = match o.provider.as_deref() {
        Some(id) => {
            let known = table
                .or(shipped())
                .and_then(|t| t.get(id))
                .and_then(|p| p.oauth.clone());
            // A provider of a table other than the shipped one (a company's)
            // is written out with its addresses: those are enough.
            if known.is_none() && o.token_url.is_none() {
                return Err(t!("oauth.unknown_provider", id = id).into_owned());
            }
            known
        }
        None => None,
    };
    let tenant = o
        .tenant
        .clone()
        .or_else(|| from_table.as_ref().and_then(|p| p.tenant.clone()))
        .unwrap_or_else(|| "common".into());
    let fill = |u: &str| u.replace("{tenant}", &tenant);
    let pick = |own: &Option<String>, table: Option<&String>| {
        own.as_deref().or(table.map(String::as_str)).map(fill)
    };
    let p = from_table.as_ref();
    let token_url = pick(&o.token_url, p.map(|p| &p.token_url))
        .ok_or_else(|| t!("oauth.no_token_url").into_owned())?;
    Ok(Endpoints {
        client_id: o.client_id.trim().to_string(),
        client_secret: o.client_secret.clone(),
        authorization_url: pick(&o.authorization_url, p.map(|p| &p.authorization_url)),
        token_url,
        device_url: pick(&o.device_url, p.and_then(|p| p.device_url.as_ref())),
        scopes: o
            .scopes
            .clone()
            .or_else(|| p.map(|p| p.scopes.clone()))
            .unwrap_or_default(),
    })
}

/// The token file of the account named `name`.
pub fn token_file(name: &str) -> PathBuf {
    crate::store::default_root(name).join(TOKEN_FILE)
}

/// A source that can only say why there are no tokens (a config naming a
/// provider postie does not know): said at the login that needs them.
struct Unusable(String);

impl TokenSource for Unusable {
    fn token(&self, _refused: bool) -> TokenFuture<'_> {
        let text = self.0.clone();
        Box::pin(async move {
            Err(TokenError {
                kind: TokenErrorKind::Local,
                text,
            })
        })
    }
}

/// The account's token source, if it signs in with OAuth.
pub fn token_source(account: &AccountConfig, name: &str) -> Option<Tokens> {
    if let Some(cmd) = &account.oauth_token_command {
        return Some(Tokens(Arc::new(CommandTokens::new(cmd))));
    }
    let o = account.oauth.as_ref()?;
    Some(match oauth_endpoints(o, None) {
        Ok(e) => shared(e, token_file(name)),
        Err(why) => Tokens(Arc::new(Unusable(why))),
    })
}

/// One `OAuthTokens` per token file and endpoints in this process.
fn shared(e: Endpoints, file: PathBuf) -> Tokens {
    type Registry = Mutex<HashMap<PathBuf, (Endpoints, Arc<OAuthTokens>)>>;
    static SOURCES: OnceLock<Registry> = OnceLock::new();
    let map = SOURCES.get_or_init(Default::default);
    let Ok(mut map) = map.lock() else {
        return Tokens(Arc::new(OAuthTokens::new(e, file)));
    };
    if let Some((known, t)) = map.get(&file) {
        if *known == e {
            return Tokens(t.clone());
        }
    }
    let t = Arc::new(OAuthTokens::new(e.clone(), file.clone()));
    map.insert(file, (e, t.clone()));
    Tokens(t)
}
