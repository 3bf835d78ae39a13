//! `postie list` and `postie show`: open the mailbox (an account or the demo),
//! do the minimum of POP3 round trips, print decoded, sanitised text, and leave
//! with QUIT having marked nothing.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::config::Config;
use crate::demo::{demo_messages, DemoServer};
use crate::display::{fit, fit_right, human_size, width};
use crate::mime::{DecodeOptions, Rendered, Summary};
use crate::pop3::{
    AuthPreference, Client, ClientConfig, Endpoint, Flow, MailboxEntry, Timeouts, TlsMode,
};
use crate::secret::Secret;
use crate::store::HeaderCache;

/// Where the mail comes from, as chosen on the command line.
#[derive(Debug, Clone, Default)]
pub struct SourceArgs {
    pub config: Option<PathBuf>,
    pub account: Option<String>,
    pub demo: bool,
}

/// An opened mailbox; keeps the demo server alive as long as it is used.
pub struct Mailbox {
    pub client: Client,
    /// The server's index, read with the login.
    pub index: Vec<MailboxEntry>,
    /// How this account's mail is decoded (`fallback_charset`, `decoding`).
    pub decode: DecodeOptions,
    pub cache: HeaderCache,
    _demo: Option<DemoServer>,
}

pub fn demo_client_config(server: &DemoServer) -> ClientConfig {
    ClientConfig {
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
    /// Where this account's header cache lives (none for the demo).
    pub cache_path: Option<PathBuf>,
    pub demo: Option<DemoServer>,
}

pub async fn resolve(args: &SourceArgs) -> Result<Source> {
    let config = if args.demo {
        None
    } else {
        Config::load(args.config.as_deref())?
    };
    let Some(config) = config else {
        if let Some(name) = &args.account {
            return Err(anyhow!(
                "no config file at {}, so there is no account {name:?} (see README.md)",
                crate::config::default_path().display()
            ));
        }
        let server = DemoServer::start(demo_messages())
            .await
            .context("cannot start the demo server")?;
        return Ok(Source {
            client: demo_client_config(&server),
            label: "demo".into(),
            decode: DecodeOptions::default(),
            mode: "demo".into(),
            cache_path: None,
            demo: Some(server),
        });
    };
    for w in &config.warnings {
        eprintln!("postie: warning: {w}");
    }
    let (name, account) = config.account(args.account.as_deref())?;
    let password = account.resolve_password(name)?;
    let mode = match account.tls {
        TlsMode::Implicit => "TLS",
        TlsMode::StartTls => "STLS",
        TlsMode::None => "plain",
    };
    let client = account.client_config(password);
    let decode = DecodeOptions::for_account(account);
    Ok(Source {
        label: name.to_string(),
        mode: mode.into(),
        cache_path: Some(crate::store::cache::default_path(&cache_key(
            &client, &decode,
        ))),
        client,
        decode,
        demo: None,
    })
}

/// The header cache's key for an account: server, user and decoding settings.
fn cache_key(client: &ClientConfig, decode: &DecodeOptions) -> String {
    crate::store::cache::account_key(
        &client.endpoint.host,
        client.endpoint.port,
        &client.user,
        decode,
    )
}

impl Source {
    /// The account's header cache, read from disk (empty and unused for the demo).
    pub fn header_cache(&self) -> HeaderCache {
        match &self.cache_path {
            Some(path) => {
                let cache = HeaderCache::open(path.clone(), cache_key(&self.client, &self.decode));
                if let Some(why) = &cache.discarded {
                    tracing::warn!("header cache not used: {why}");
                }
                cache
            }
            None => HeaderCache::disabled(),
        }
    }
}

/// Resolves the account (or the demo) and logs in.
/// Logs in; `with_cache` reads the account's header cache (only `list` needs it).
pub async fn open(args: &SourceArgs, with_cache: bool) -> Result<Mailbox> {
    let source = resolve(args).await?;
    let (client, index) = Client::open(&source.client).await?;
    Ok(Mailbox {
        client,
        index,
        cache: if with_cache {
            source.header_cache()
        } else {
            HeaderCache::disabled()
        },
        decode: source.decode,
        _demo: source.demo,
    })
}

/// One row of `postie list`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListedMessage {
    pub number: u32,
    pub uidl: Option<String>,
    pub size: u64,
    pub date: Option<String>,
    pub from: String,
    pub from_address: String,
    pub subject: String,
    #[serde(skip)]
    pub list_date: String,
}

/// Index and headers of the whole mailbox, newest first.
pub async fn fetch_listing(
    client: &mut Client,
    index: &[MailboxEntry],
    decode: &DecodeOptions,
    cache: &mut HeaderCache,
) -> Result<Vec<ListedMessage>> {
    let newest_first: Vec<&MailboxEntry> = index.iter().rev().collect();
    let has_uidl = index.iter().all(|e| e.uidl.is_some());
    if has_uidl {
        let present: std::collections::HashSet<&str> =
            index.iter().filter_map(|e| e.uidl.as_deref()).collect();
        cache.retain(&|u| present.contains(u));
    }
    let mut summaries = std::collections::HashMap::with_capacity(index.len());
    // Only messages the cache does not know cost a TOP.
    let mut numbers = Vec::new();
    for e in &newest_first {
        match e
            .uidl
            .as_deref()
            .and_then(|u| cache.get(u))
            .filter(|_| has_uidl)
        {
            Some(s) => {
                summaries.insert(e.number, s.clone());
            }
            None => numbers.push(e.number),
        }
    }
    let uidl_of: std::collections::HashMap<u32, &str> = index
        .iter()
        .filter_map(|e| Some((e.number, e.uidl.as_deref()?)))
        .collect();
    client
        .headers(&numbers, |n, result| {
            let summary = match result {
                Ok(raw) => {
                    let s = std::sync::Arc::new(Summary::from_headers(&raw, decode));
                    if let (true, Some(u)) = (has_uidl, uidl_of.get(&n)) {
                        cache.insert((*u).into(), s.clone());
                    }
                    s
                }
                Err(e) => {
                    std::sync::Arc::new(Summary::note(&format!("(headers unavailable: {e})")))
                }
            };
            summaries.insert(n, summary);
            Flow::Continue
        })
        .await?;
    Ok(newest_first
        .into_iter()
        .map(|e| {
            let s = summaries.remove(&e.number).unwrap_or_default();
            ListedMessage {
                number: e.number,
                uidl: e.uidl.as_deref().map(str::to_string),
                size: e.size,
                list_date: s.list_date(),
                date: s.date_rfc3339(),
                from: s.from().to_string(),
                from_address: s.from_address().to_string(),
                subject: s.subject().to_string(),
            }
        })
        .collect())
}

/// The text table: `NUMBER  DATE  FROM  SUBJECT  SIZE`, aligned by display width.
pub fn format_listing(rows: &[ListedMessage]) -> String {
    const FROM_MAX: usize = 24;
    const SUBJECT_MAX: usize = 60;
    let num_w = rows
        .iter()
        .map(|r| r.number.to_string().len())
        .max()
        .unwrap_or(1);
    let date_w = rows
        .iter()
        .map(|r| width(&r.list_date).min(16))
        .max()
        .unwrap_or(0)
        .max(16);
    let from_w = rows
        .iter()
        .map(|r| width(&r.from))
        .max()
        .unwrap_or(0)
        .min(FROM_MAX);
    let subj_w = rows
        .iter()
        .map(|r| width(&r.subject))
        .max()
        .unwrap_or(0)
        .min(SUBJECT_MAX);
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{}  {}  {}  {}  {}\n",
            fit_right(&r.number.to_string(), num_w),
            fit(&r.list_date, date_w),
            fit(&r.from, from_w),
            fit(&r.subject, subj_w),
            fit_right(&human_size(r.size), 6),
        ));
    }
    out
}

pub async fn run_list(args: &SourceArgs, json: bool) -> Result<()> {
    let mut mailbox = open(args, true).await?;
    let rows = fetch_listing(
        &mut mailbox.client,
        &mailbox.index,
        &mailbox.decode,
        &mut mailbox.cache,
    )
    .await?;
    if let Err(e) = mailbox.cache.save() {
        eprintln!("postie: warning: cannot save the header cache: {e}");
    }
    mailbox.client.quit().await?;
    let text = if json {
        let mut s = serde_json::to_string_pretty(&rows)?;
        s.push('\n');
        s
    } else {
        format_listing(&rows)
    };
    write_stdout(text.as_bytes())
}

/// Which message `show` prints.
#[derive(Debug, Clone)]
pub enum Selector {
    Number(u32),
    Uidl(String),
    /// A saved message file, decoded exactly as a fetched one would be.
    File(PathBuf),
}

pub async fn run_show(args: &SourceArgs, which: &Selector, raw: bool) -> Result<()> {
    if let Selector::File(path) = which {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        if raw {
            return write_stdout(&bytes);
        }
        let decode = file_decode_options(args)?;
        return write_stdout(Rendered::from_message(&bytes, &decode).to_text().as_bytes());
    }
    let mut mailbox = open(args, false).await?;
    let index = std::mem::take(&mut mailbox.index);
    let number = match which {
        Selector::Number(n) if *n >= 1 && index.iter().any(|e| e.number == *n) => *n,
        Selector::Number(n) => return Err(anyhow!("no message {n} (mailbox has {})", index.len())),
        Selector::File(_) => return Err(anyhow!("internal: a file is not in the mailbox")),
        Selector::Uidl(u) => match index.iter().find(|e| e.uidl.as_deref() == Some(u.as_str())) {
            Some(e) => e.number,
            None if index.iter().all(|e| e.uidl.is_none()) => {
                return Err(anyhow!(
                    "the server does not support UIDL; select the message by number"
                ))
            }
            None => {
                return Err(anyhow!(
                    "no message with UIDL {:?}",
                    crate::mime::sanitize::sanitize_line(u)
                ))
            }
        },
    };
    if raw {
        let mut stdout = tokio::io::stdout();
        mailbox.client.retr_to(number, &mut stdout).await?;
        stdout.flush().await.context("cannot write to stdout")?;
        mailbox.client.quit().await?;
        return Ok(());
    }
    let bytes = mailbox.client.retr(number).await?;
    mailbox.client.quit().await?;
    let decode = mailbox.decode;
    let rendered =
        tokio::task::spawn_blocking(move || Rendered::from_message(&bytes, &decode)).await?;
    write_stdout(rendered.to_text().as_bytes())
}

/// Decoding options for `show --file`: the account's when one is configured, else the defaults.
fn file_decode_options(args: &SourceArgs) -> Result<DecodeOptions> {
    if args.demo {
        return Ok(DecodeOptions::default());
    }
    let Some(config) = Config::load(args.config.as_deref())? else {
        return Ok(DecodeOptions::default());
    };
    let (_, account) = config.account(args.account.as_deref())?;
    Ok(DecodeOptions::for_account(account))
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // `postie list | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow!("cannot write to stdout: {e}")),
    }
}
