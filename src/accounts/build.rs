//! An account's settings as the library's own types: the POP3 client's
//! endpoint and login, how mail is decoded, who sends and how. The config
//! is the schema; what the tasks below take is built here.

use rust_i18n::t;
use std::time::Duration;

use crate::config::{AccountConfig, ConfigError, Decoding};
use crate::pop3::{ClientConfig, Endpoint, Timeouts};
use crate::secret::Secret;

/// The account's `fallback_charset` and `decoding` settings.
pub fn decode_options(account: &AccountConfig) -> crate::mime::DecodeOptions {
    crate::mime::DecodeOptions {
        fallback: account
            .fallback_charset
            .as_deref()
            .and_then(crate::mime::charset::lookup),
        strict: account.decoding == Decoding::Strict,
    }
}

pub fn endpoint(account: &AccountConfig) -> Endpoint {
    let d = Timeouts::default();
    let secs = |v: Option<u64>, default: Duration| v.map(Duration::from_secs).unwrap_or(default);
    Endpoint {
        host: account.host.trim().to_string(),
        port: account.port.unwrap_or(account.tls.default_port()),
        tls: account.tls,
        ca_file: account.ca_file.as_deref().map(crate::paths::expand_tilde),
        timeouts: Timeouts {
            connect: secs(account.connect_timeout, d.connect),
            command: secs(account.command_timeout, d.command),
            read: secs(account.read_timeout, d.read),
        },
    }
}

pub fn client_config(account: &AccountConfig, name: &str, password: Secret) -> ClientConfig {
    ClientConfig {
        token: super::tokens::token_source(account, name),
        endpoint: endpoint(account),
        user: account.user.clone(),
        password,
        auth: account.auth,
        allow_insecure_auth: account.allow_insecure_auth,
        pipelining: account.pipelining,
    }
}

/// Who the user is on mail they send (blocking: reads `signature_file`).
pub fn identity(
    account: &AccountConfig,
    name: &str,
) -> Result<crate::send::compose::Identity, ConfigError> {
    let address = account.from_address().ok_or_else(|| ConfigError::Invalid {
        account: name.to_string(),
        reason: format!("no From address: set email = \"you@example.com\" in [accounts.{name}]"),
    })?;
    let from = match account.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => crate::mime::address::format_mailbox(n, &address),
        _ => address.clone(),
    };
    let mut mine: Vec<String> = vec![address.to_lowercase(), account.user.to_lowercase()];
    mine.extend(account.alternates.iter().map(|a| a.trim().to_lowercase()));
    mine.dedup();
    let signature = match (&account.signature, &account.signature_file) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(f)) => {
            let path = crate::paths::expand_tilde(f);
            Some(
                std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
                    account: name.to_string(),
                    reason: format!("cannot read signature_file {}: {e}", path.display()),
                })?,
            )
        }
        (None, None) => None,
    };
    Ok(crate::send::compose::Identity {
        from,
        mine,
        attribution: account.attribution.clone(),
        signature,
    })
}

/// How to send, with the password for it (the SMTP table's own source,
/// else `account_password`: the name's, already known).
pub fn smtp_settings(
    account: &AccountConfig,
    name: &str,
    account_password: Option<&Secret>,
) -> Result<crate::send::smtp::SmtpSettings, ConfigError> {
    let Some(smtp) = &account.smtp else {
        return Err(ConfigError::Invalid {
            account: name.to_string(),
            reason: t!("config.no_smtp", name = name).into_owned(),
        });
    };
    let password = if let Some(cmd) = &smtp.password_command {
        crate::config::run_password_command(name, cmd, account.password_command_limit())?
    } else if let Some(p) = &smtp.password {
        p.clone()
    } else if let Some(p) = account_password {
        p.clone()
    } else {
        account.resolve_password(name)?
    };
    Ok(crate::send::smtp::SmtpSettings {
        host: smtp.host.trim().to_string(),
        port: smtp
            .port
            .unwrap_or(crate::config::smtp_default_port(smtp.tls)),
        tls: smtp.tls,
        user: smtp.user.clone().unwrap_or_else(|| account.user.clone()),
        password,
        auth: smtp.auth,
        token: super::tokens::token_source(account, name),
        ca_file: smtp
            .ca_file
            .as_deref()
            .or(account.ca_file.as_deref())
            .map(crate::paths::expand_tilde),
        allow_insecure_auth: smtp
            .allow_insecure_auth
            .unwrap_or(account.allow_insecure_auth),
        timeout: Duration::from_secs(smtp.timeout.unwrap_or(60)),
    })
}
