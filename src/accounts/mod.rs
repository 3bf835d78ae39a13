//! Accounts: the config (or the demo) resolved into what the commands and
//! the reader start from (`resolve`, `resolve_all`, the account's store);
//! and, for new accounts, the provider table shipped in `assets/`, the tests
//! of a new account's logins, writing it into the config (keeping what is
//! there), and the setup wizard that ties them together (`postie setup`,
//! and `A` in the reader).

mod build;
pub mod probe;
pub mod providers;
mod resolve;
pub mod tokens;
pub mod wizard;
pub mod write;

pub use build::{client_config, decode_options, endpoint, identity, smtp_settings};
pub use resolve::{
    demo_client_config, file_settings, resolve, resolve_all, resolve_offline, ReaderAccount,
    Source, SourceArgs,
};

use rust_i18n::t;
use std::path::Path;

/// `postie setup [--providers FILE]`: runs the wizard on this terminal.
/// Exit status 0 when an account was added, 1 otherwise.
pub async fn run_setup(config: Option<&Path>, providers_file: Option<&Path>) -> anyhow::Result<u8> {
    let providers_file = providers_file.map(Path::to_path_buf);
    let path = config.map_or_else(crate::paths::config_file, Path::to_path_buf);
    let rt = tokio::runtime::Handle::current();
    let outcome = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let table = load_table(providers_file.as_deref())?;
        Ok(wizard::run(&mut wizard::Terminal, &table, rt, &path))
    })
    .await??;
    Ok(match outcome {
        wizard::Outcome::Added { .. } => 0,
        wizard::Outcome::NotPossible(_) | wizard::Outcome::Cancelled => 1,
    })
}

/// `postie setup --signin NAME`: the account's OAuth sign-in again (the
/// device flow, or the browser where the provider allows no other).
pub async fn run_signin(config: Option<&Path>, name: &str) -> anyhow::Result<u8> {
    let path = config.map(Path::to_path_buf);
    let loaded =
        tokio::task::spawn_blocking(move || crate::config::Config::load(path.as_deref())).await??;
    let account = loaded
        .as_ref()
        .and_then(|c| c.accounts.get(name))
        .ok_or_else(|| anyhow::anyhow!("{}", t!("oauth.no_such_account", name = name)))?;
    let o = account
        .oauth
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("{}", t!("oauth.not_oauth_account", name = name)))?;
    let endpoints = tokens::oauth_endpoints(o, None).map_err(|e| anyhow::anyhow!(e))?;
    let file = tokens::token_file(name);
    let rt = tokio::runtime::Handle::current();
    let done = tokio::task::spawn_blocking(move || {
        wizard::sign_in_again(&mut wizard::Terminal, rt, &endpoints, &file)
    })
    .await?;
    Ok(if done { 0 } else { 1 })
}

/// The shipped table with `--providers FILE` (else `$POSTIE_PROVIDERS`)
/// merged over it.
pub fn load_table(providers_file: Option<&Path>) -> anyhow::Result<providers::Table> {
    let from_env = std::env::var_os("POSTIE_PROVIDERS")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let extra = match providers_file.or(from_env.as_deref()) {
        Some(p) => Some((
            std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
            p.display().to_string(),
        )),
        None => None,
    };
    providers::Table::load(extra.as_ref().map(|(t, w)| (t.as_str(), w.as_str())))
        .map_err(|e| anyhow::anyhow!(e))
}
