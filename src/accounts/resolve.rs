//! Accounts resolved: the command line and the config (or the demo) turned
//! into what a command or the reader starts from — servers, password,
//! decoding, the store's place — and the account's store opened.

use rust_i18n::t;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};

use crate::config::Config;
use crate::demo::{demo_messages, DemoServer};
use crate::mime::DecodeOptions;
use crate::pop3::{AuthPreference, ClientConfig, Endpoint, Timeouts, TlsMode};
use crate::secret::Secret;
use crate::store::{Store, StoreHandle};

/// Where the mail comes from, as chosen on the command line.
#[derive(Debug, Clone, Default)]
pub struct SourceArgs {
    pub config: Option<PathBuf>,
    pub account: Option<String>,
    pub demo: bool,
}

pub fn demo_client_config(server: &DemoServer) -> ClientConfig {
    ClientConfig {
        token: None,
        endpoint: Endpoint {
            host: server.addr().ip().to_string(),
            port: server.addr().port(),
            tls: TlsMode::None,
            ca_file: None,
            timeouts: Timeouts::default(),
        },
        user: crate::demo::USER.to_string(),
        password: Secret::new(crate::demo::PASSWORD),
        auth: AuthPreference::Auto,
        allow_insecure_auth: false,
        pipelining: true,
    }
}

/// An account (or the demo) resolved from the command line and config, not yet connected.
pub struct Source {
    pub client: ClientConfig,
    pub label: String,
    pub decode: DecodeOptions,
    /// `demo`, `TLS`, `STLS` or `plain`, for the header line.
    pub mode: String,
    /// Where this account's local store lives (a temp dir for the demo).
    pub store_root: PathBuf,
    /// What the store's index is for: server, user, decoding settings.
    pub store_key: String,
    /// Where attachments are saved by default.
    pub download_dir: PathBuf,
    /// `download = "all"`: every new message in the background (with the
    /// `max_download_size` limit, if any).
    pub background_download: Option<Option<u64>>,
    /// `leave_on_server`.
    pub policy: crate::sync::LeavePolicy,
    pub demo: Option<DemoServer>,
    /// The account's settings (None for the demo).
    pub account: Option<crate::config::AccountConfig>,
    /// `check_interval` (None: only on R).
    pub check_every: Option<std::time::Duration>,
    /// `bell_on_new`.
    pub bell_on_new: bool,
    /// The demo's store, removed when postie exits.
    _demo_store: Option<tempfile::TempDir>,
}

pub async fn resolve(args: &SourceArgs) -> Result<Source> {
    let config = if args.demo {
        None
    } else {
        Config::load_async(args.config.as_deref()).await?
    };
    let Some(config) = config else {
        if let Some(name) = &args.account {
            return Err(anyhow!(
                "{}",
                t!(
                    "config.no_file_no_account",
                    path = crate::paths::config_file().display(),
                    name = format!("{name:?}")
                )
            ));
        }
        let server = DemoServer::start(demo_messages())
            .await
            .context("cannot start the demo server")?;
        let dir = tempfile::Builder::new()
            .prefix("postie-demo-")
            .tempdir()
            .context("cannot make a temp dir for the demo's store")?;
        let client = demo_client_config(&server);
        return Ok(Source {
            store_key: "demo".into(),
            store_root: dir.path().join("demo"),
            download_dir: crate::paths::download_dir(None),
            background_download: None,
            policy: crate::sync::LeavePolicy::Always,
            client,
            label: "demo".into(),
            decode: DecodeOptions::default(),
            mode: "demo".into(),
            demo: Some(server),
            account: None,
            check_every: None,
            bell_on_new: false,
            _demo_store: Some(dir),
        });
    };
    for w in &config.warnings {
        eprintln!("postie: warning: {w}");
    }
    let (name, account) = config.account(args.account.as_deref())?;
    let password = account.resolve_password(name)?;
    Ok(Source::for_account(name, account, password))
}

/// An account's source for work on the local store alone: no password is
/// looked up (nothing goes to the server).
pub async fn resolve_offline(args: &SourceArgs) -> Result<Source> {
    let config = if args.demo {
        None
    } else {
        Config::load_async(args.config.as_deref()).await?
    };
    match config {
        None => resolve(args).await,
        Some(config) => {
            for w in &config.warnings {
                eprintln!("postie: warning: {w}");
            }
            let (name, account) = config.account(args.account.as_deref())?;
            Ok(Source::for_account(name, account, Secret::default()))
        }
    }
}

/// One account of the reader: its source, and whether a password must be
/// typed first (no source configured, or its command failed: `Some(why)`).
pub struct ReaderAccount {
    pub source: Source,
    pub ask_password: Option<Option<String>>,
}

/// What the reader opens: every configured account (or the one named with
/// `--account`), else the demo; and which to show first. Password sources
/// run here (commands in parallel, off the async threads); an account
/// without one gets the reader's own prompt.
pub async fn resolve_all(args: &SourceArgs) -> Result<(Vec<ReaderAccount>, usize)> {
    let config = if args.demo {
        None
    } else {
        Config::load_async(args.config.as_deref()).await?
    };
    let Some(config) = config else {
        let source = resolve(args).await?;
        return Ok((
            vec![ReaderAccount {
                source,
                ask_password: None,
            }],
            0,
        ));
    };
    for w in &config.warnings {
        eprintln!("postie: warning: {w}");
    }
    let (first, _) = config.account(args.account.as_deref())?;
    let first = first.to_string();
    let chosen: Vec<(String, crate::config::AccountConfig)> = config
        .accounts
        .iter()
        .filter(|(n, _)| args.account.is_none() || **n == first)
        .map(|(n, a)| (n.clone(), a.clone()))
        .collect();
    let shown = chosen.iter().position(|(n, _)| *n == first).unwrap_or(0);
    let out = futures_util::future::join_all(
        chosen
            .into_iter()
            .map(|(name, account)| ReaderAccount::new(name, account)),
    )
    .await;
    Ok((out, shown))
}

impl ReaderAccount {
    /// An account for the reader: its password source run off the async
    /// threads; none (or a failing command) means the reader asks.
    pub async fn new(name: String, account: crate::config::AccountConfig) -> ReaderAccount {
        let lookup = {
            let (name, account) = (name.clone(), account.clone());
            tokio::task::spawn_blocking(move || account.password_source(&name)).await
        };
        let (password, ask) = match lookup {
            Ok(Ok(Some(p))) => (p, None),
            Ok(Ok(None)) => (Secret::default(), Some(None)),
            Ok(Err(e)) => (Secret::default(), Some(Some(e.to_string()))),
            Err(e) => (Secret::default(), Some(Some(e.to_string()))),
        };
        ReaderAccount {
            source: Source::for_account(&name, &account, password),
            ask_password: ask,
        }
    }
}

impl Source {
    /// The account's `max_message_size` (1 GB by default and for the demo).
    /// The account's filter rules and spam filter (nothing for the demo).
    pub fn filer(&self) -> crate::filing::Filer {
        let Some(a) = &self.account else {
            return crate::filing::Filer::default();
        };
        crate::filing::Filer {
            // Checked when the config was read.
            rules: crate::config::rules::compile(&a.rules).unwrap_or_default(),
            junk: a.junk.as_ref().map(|j| j.commands()).unwrap_or_default(),
            decode: self.decode,
        }
    }

    pub fn max_message(&self) -> u64 {
        self.account
            .as_ref()
            .map_or(crate::config::MAX_MESSAGE_SIZE, |a| a.max_message())
    }

    /// A configured account, with the password it logs in with.
    pub fn for_account(
        name: &str,
        account: &crate::config::AccountConfig,
        password: Secret,
    ) -> Source {
        let mode = match account.tls {
            TlsMode::Implicit => "TLS",
            TlsMode::StartTls => "STLS",
            TlsMode::None => "plain",
        };
        let client = crate::accounts::client_config(account, name, password);
        Source {
            label: name.to_string(),
            mode: mode.into(),
            store_key: crate::store::account_key(&client.endpoint.host, &client.user),
            store_root: crate::store::default_root(name),
            download_dir: crate::paths::download_dir(account.download_dir.as_deref()),
            background_download: account.background_download(),
            policy: account.leave_policy(),
            decode: crate::accounts::decode_options(account),
            client,
            demo: None,
            account: Some(account.clone()),
            check_every: account.check_every(),
            bell_on_new: account.bell_on_new,
            _demo_store: None,
        }
    }

    /// Opens the account's store on its own thread. A store that cannot be
    /// opened at all (no disk) is reported and postie goes on without one.
    pub async fn open_store(&self) -> Option<StoreHandle> {
        self.open_store_with(StoreHandle::start).await
    }

    /// `open_store` for the reader: the store's thread indexes text when idle.
    pub async fn open_store_indexing(&self) -> Option<StoreHandle> {
        self.open_store_with(StoreHandle::start_indexing).await
    }

    async fn open_store_with(&self, start: fn(Store) -> StoreHandle) -> Option<StoreHandle> {
        let (root, key, decode) = (self.store_root.clone(), self.store_key.clone(), self.decode);
        let opened = tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&root, &key, decode)?;
            let settled = crate::send::outbox::settle_sent(&mut store);
            store.notes.extend(settled);
            Ok::<_, crate::store::StoreError>(store)
        })
        .await;
        match opened {
            Ok(Ok(store)) => Some(start(store)),
            Ok(Err(e)) => {
                tracing::warn!("no local store: {e}");
                eprintln!("postie: warning: no local store: {e}");
                None
            }
            Err(e) => {
                eprintln!("postie: warning: no local store: {e}");
                None
            }
        }
    }
}

/// How a file given with `--file` is read, and where its attachments go:
/// the account's settings when one is configured, else the defaults.
pub async fn file_settings(args: &SourceArgs) -> Result<(DecodeOptions, PathBuf)> {
    let defaults = || (DecodeOptions::default(), crate::paths::download_dir(None));
    if args.demo {
        return Ok(defaults());
    }
    let Some(config) = Config::load_async(args.config.as_deref()).await? else {
        return Ok(defaults());
    };
    let (_, account) = config.account(args.account.as_deref())?;
    Ok((
        crate::accounts::decode_options(account),
        crate::paths::download_dir(account.download_dir.as_deref()),
    ))
}
