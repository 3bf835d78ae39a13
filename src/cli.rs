//! `postie list`, `show` and `save`: the local store first, then the
//! minimum of POP3 round trips (one session, planned by `sync`), decoded,
//! sanitised text out, and QUIT having marked nothing. When the server
//! cannot be reached, `list` prints what the store knows.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::config::Config;
use crate::demo::{demo_messages, DemoServer};
use crate::mime::{DecodeOptions, Rendered, Summary};
use crate::pop3::{
    AuthPreference, Client, ClientConfig, Endpoint, Flow, Pop3Error, Timeouts, TlsMode,
};
use crate::secret::Secret;
use crate::store::{Flags, Folder, Store, StoreHandle};
use crate::sync::{self, Known, ListRow};
use crate::text::{fit, fit_right, human_size, width};
use crate::uidl::Uidl;

/// Where the mail comes from, as chosen on the command line.
#[derive(Debug, Clone, Default)]
pub struct SourceArgs {
    pub config: Option<PathBuf>,
    pub account: Option<String>,
    pub demo: bool,
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
        Config::load(args.config.as_deref())?
    };
    let Some(config) = config else {
        if let Some(name) = &args.account {
            return Err(anyhow!(
                "no config file at {}, so there is no account {name:?} (see README.md)",
                crate::paths::config_file().display()
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
pub async fn reader_sources(args: &SourceArgs) -> Result<(Vec<ReaderAccount>, usize)> {
    let config = if args.demo {
        None
    } else {
        Config::load(args.config.as_deref())?
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
        let client = account.client_config(password);
        Source {
            label: name.to_string(),
            mode: mode.into(),
            store_key: crate::store::account_key(&client.endpoint.host, &client.user),
            store_root: crate::store::default_root(name),
            download_dir: crate::paths::download_dir(account.download_dir.as_deref()),
            background_download: account.background_download(),
            policy: account.leave_policy(),
            decode: account.decode_options(),
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
        let (root, key, decode) = (self.store_root.clone(), self.store_key.clone(), self.decode);
        let opened = tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&root, &key, decode)?;
            let settled = crate::send::outbox::settle_sent(&mut store);
            store.notes.extend(settled);
            Ok::<_, crate::store::StoreError>(store)
        })
        .await;
        match opened {
            Ok(Ok(store)) => Some(StoreHandle::start(store)),
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

/// The store for a command-line run: what opening it had to do (an index
/// moved aside and rebuilt) is said on stderr.
async fn cli_store(source: &Source) -> Option<StoreHandle> {
    let store = source.open_store().await?;
    if let Ok(notes) = store.run(|s| std::mem::take(&mut s.notes)).await {
        for n in notes {
            eprintln!(
                "postie: warning: local store: {}",
                crate::text::sanitize::sanitize_line(&n)
            );
        }
    }
    Some(store)
}

/// One row of `postie list`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListedMessage {
    /// None for a message no longer on the server (or when offline).
    pub number: Option<u32>,
    pub uidl: Option<String>,
    pub size: u64,
    pub date: Option<String>,
    pub from: String,
    pub from_address: String,
    pub subject: String,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub stored: bool,
    pub on_server: bool,
    #[serde(skip)]
    pub list_date: String,
}

impl ListedMessage {
    fn new(r: &ListRow) -> ListedMessage {
        let s = r.summary.clone().unwrap_or_default();
        // The gate to the terminal: whatever the index holds (a damaged or
        // planted one included), nothing printed can be a control sequence.
        let clean = |t: &str| crate::text::sanitize::sanitize_line(t).into_owned();
        ListedMessage {
            number: r.number,
            uidl: r.uidl.durable().map(clean),
            size: r.size,
            list_date: clean(&s.list_date()),
            date: s.date_rfc3339(),
            from: clean(s.from()),
            from_address: clean(s.from_address()),
            subject: clean(s.subject()),
            seen: r.flags.contains(Flags::SEEN),
            flagged: r.flags.contains(Flags::FLAGGED),
            answered: r.flags.contains(Flags::ANSWERED),
            stored: r.stored,
            on_server: r.on_server,
        }
    }
}

/// What the store knows of INBOX: its rows and the planner's view of them.
async fn local_rows(store: Option<&StoreHandle>) -> Result<Vec<crate::store::Row>> {
    let Some(store) = store else {
        return Ok(Vec::new());
    };
    let rows = store.run(|s| s.load(Folder::Inbox)).await?;
    Ok(rows?)
}

/// One session: login + index, the planned `TOP`s, recorded in the store.
/// Returns the list (newest first, stored messages gone from the server
/// merged in) and the session, still open.
pub async fn sync_listing(
    source: &Source,
    store: Option<&StoreHandle>,
) -> Result<(Vec<ListRow>, Client), Pop3Error> {
    let local = local_rows(store)
        .await
        .map_err(|e| Pop3Error::Local(e.to_string()))?;
    let known: std::collections::HashMap<Uidl, Known> = local
        .iter()
        .map(|r| (r.uidl.clone(), Known::from(r)))
        .collect();
    let (mut client, index) = Client::open(&source.client).await?;
    let id = sync::identify(index);
    let mut plan = sync::plan(&id, &known, &Default::default());
    let mut summaries: std::collections::HashMap<u32, std::sync::Arc<Summary>> =
        std::collections::HashMap::with_capacity(plan.headers.len());
    let mut keep: Vec<(Uidl, std::sync::Arc<Summary>)> = Vec::new();
    let uidl_of: std::collections::HashMap<u32, &Uidl> =
        id.messages.iter().map(|m| (m.number, &m.uidl)).collect();
    client
        .headers(&plan.headers, |n, result| {
            let summary = match result {
                Ok(raw) => {
                    let s = std::sync::Arc::new(Summary::from_headers(&raw, &source.decode));
                    if let Some(u) = uidl_of.get(&n) {
                        keep.push(((*u).clone(), s.clone()));
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
    for r in &mut plan.rows {
        if let Some(s) = r.number.and_then(|n| summaries.remove(&n)) {
            r.summary = Some(s);
        }
    }
    if let Some(store) = store {
        let (new, gone) = (plan.new.clone(), plan.gone.clone());
        let recorded = store
            .run(move |s| {
                s.apply_server_index(&new, &gone)?;
                s.put_summaries(&keep)
            })
            .await;
        match recorded {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("postie: warning: cannot update the local store: {e}"),
            Err(e) => eprintln!("postie: warning: cannot update the local store: {e}"),
        }
    }
    if id.unusable > 0 {
        eprintln!(
            "postie: warning: the server's UIDL listing was unusable for {} message(s); they are listed without one and never kept",
            id.unusable
        );
    }
    if id.duplicated > 0 {
        eprintln!(
            "postie: warning: the server gave {} messages a UIDL another message also has; they are listed without one and never kept",
            id.duplicated
        );
    }
    Ok((plan.rows, client))
}

/// A failure that means "the server is not there now" rather than "wrong".
pub fn is_temporary(e: &Pop3Error) -> bool {
    matches!(
        e,
        Pop3Error::Connect { .. } | Pop3Error::Timeout { .. } | Pop3Error::ConnectionLost { .. }
    ) || e.code() == Some(&crate::pop3::ResponseCode::InUse)
}

/// The message number, or `-` for a message not (known to be) on the server.
fn number_text(r: &ListedMessage) -> String {
    r.number.map_or("-".to_string(), |n| n.to_string())
}

/// The text table: `NUMBER  DATE  FROM  SUBJECT  SIZE`, aligned by display width.
pub fn format_listing(rows: &[ListedMessage]) -> String {
    const FROM_MAX: usize = 24;
    const SUBJECT_MAX: usize = 60;
    let num_w = rows.iter().map(|r| number_text(r).len()).max().unwrap_or(1);
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
            fit_right(&number_text(r), num_w),
            fit(&r.list_date, date_w),
            fit(&r.from, from_w),
            fit(&r.subject, subj_w),
            fit_right(&human_size(r.size), 6),
        ));
    }
    out
}

pub async fn run_list(args: &SourceArgs, json: bool, offline: bool) -> Result<()> {
    let source = resolve(args).await?;
    let store = cli_store(&source).await;
    let mut session = None;
    let rows: Vec<ListRow> = if offline {
        local_only(store.as_ref()).await?
    } else {
        match sync_listing(&source, store.as_ref()).await {
            Ok((rows, client)) => {
                // QUIT after printing: what was fetched is never lost to it.
                session = Some(client);
                rows
            }
            Err(e) if is_temporary(&e) => {
                let why = crate::text::sanitize::sanitize_line(&e.to_string()).into_owned();
                if e.code() == Some(&crate::pop3::ResponseCode::InUse) {
                    eprintln!("postie: the mailbox is in use by another session ({why}); showing the local store");
                } else {
                    eprintln!("postie: offline ({why}); showing the local store");
                }
                local_only(store.as_ref()).await?
            }
            Err(e) => return Err(e.into()),
        }
    };
    if let Some(s) = &store {
        s.close(STORE_CLOSE).await;
    }
    let rows: Vec<ListedMessage> = rows.iter().map(ListedMessage::new).collect();
    let printed = print_listing(&rows, json);
    if let Some(client) = session {
        quit_read_only(client).await;
    }
    printed
}

/// QUIT for a session that marked nothing: its answer cannot lose anything,
/// so an `-ERR` (or a dropped link) is a warning, not a failure.
async fn quit_read_only(client: Client) {
    if let Err(e) = client.quit().await {
        eprintln!(
            "postie: warning: {} (this session marked nothing for deletion)",
            crate::text::sanitize::sanitize_line(&e.to_string())
        );
    }
}

/// Prints rows as `list` does: aligned text, or one JSON array.
fn print_listing(rows: &[ListedMessage], json: bool) -> Result<()> {
    let text = if json {
        let mut s = serde_json::to_string_pretty(rows)?;
        s.push('\n');
        s
    } else {
        format_listing(rows)
    };
    write_stdout(text.as_bytes())
}

/// An error and its causes on one line, each cause once: an error that
/// already names its source (`protocol error from HOST: CAUSE`) is not
/// followed by that cause again.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}

/// An account's source for work on the local store alone: no password is
/// looked up (nothing goes to the server).
async fn resolve_offline(args: &SourceArgs) -> Result<Source> {
    let config = if args.demo {
        None
    } else {
        Config::load(args.config.as_deref())?
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

/// `postie search QUERY`: the stored mail (subjects, senders, recipients,
/// bodies, attachment names) and the subjects and senders of every message
/// the store knows, each word (or `"quoted phrase"`) taken literally; printed
/// as `list` prints, newest first. Works offline.
pub async fn run_search(args: &SourceArgs, query: &str, json: bool) -> Result<()> {
    let words = crate::app::limit::words(query);
    if words.is_empty() {
        return Err(anyhow!(
            "nothing to search for: give a word or a \"phrase\""
        ));
    }
    let source = resolve_offline(args).await?;
    let store = cli_store(&source)
        .await
        .ok_or_else(|| anyhow!("there is no local store to search (see the warning above)"))?;
    let q = crate::store::index::TextQuery {
        any: words,
        ..Default::default()
    };
    let found = store
        .run(
            move |s| -> Result<Vec<crate::store::Row>, crate::store::StoreError> {
                let found = s.search_text(&q)?;
                let mut rows: std::collections::HashMap<String, crate::store::Row> =
                    std::collections::HashMap::new();
                for folder in Folder::ALL {
                    for r in s.load(folder)? {
                        rows.insert(r.uidl.to_string(), r);
                    }
                }
                Ok(found
                    .into_iter()
                    .filter_map(|f| rows.remove(&f.uidl))
                    .collect())
            },
        )
        .await??;
    store.close(STORE_CLOSE).await;
    let rows: Vec<ListedMessage> = found
        .iter()
        .map(|r| ListedMessage::new(&ListRow::from_store(r)))
        .collect();
    print_listing(&rows, json)
}

/// INBOX as the store alone knows it (no message numbers: no session).
async fn local_only(store: Option<&StoreHandle>) -> Result<Vec<ListRow>> {
    Ok(local_rows(store)
        .await?
        .iter()
        .map(ListRow::from_store)
        .collect())
}

/// Which message `show` prints.
#[derive(Debug, Clone)]
pub enum Selector {
    Number(u32),
    Uidl(String),
    /// A saved message file, decoded exactly as a fetched one would be.
    File(PathBuf),
}

/// A message's bytes, from a file, the store, or the server (then kept).
enum Bytes {
    File(PathBuf),
    /// Downloaded into a private temp file that nothing keeps (removed on drop).
    Temp(tempfile::TempPath),
}

/// A message file to read: a regular file (not a device, a FIFO or a
/// directory, which could be endless), opened.
fn open_message_file(p: &std::path::Path) -> Result<std::fs::File> {
    let f = std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("cannot read {}", p.display()))?;
    if !meta.is_file() {
        return Err(anyhow!("{} is not a regular file", p.display()));
    }
    Ok(f)
}

impl Bytes {
    /// The whole message in memory (for saving attachments), at most
    /// `MAX_MESSAGE_IN_MEMORY`.
    fn read(self) -> Result<Vec<u8>> {
        use std::io::Read;
        let p = self.path();
        let f = open_message_file(p)?;
        let limit = crate::pop3::client::MAX_MESSAGE_IN_MEMORY as u64;
        let mut buf = Vec::new();
        f.take(limit + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("cannot read {}", p.display()))?;
        if buf.len() as u64 > limit {
            return Err(anyhow!(
                "{} is larger than {} MB: too large to read whole",
                p.display(),
                limit >> 20
            ));
        }
        Ok(buf)
    }

    /// The message decoded for reading; a large file is never read whole.
    fn render(self, decode: &DecodeOptions) -> Result<Rendered> {
        let p = self.path();
        let mut f = open_message_file(p)?;
        crate::mime::render_file(&mut f, decode)
            .with_context(|| format!("cannot read {}", p.display()))
    }

    fn path(&self) -> &Path {
        match self {
            Bytes::File(p) => p,
            Bytes::Temp(t) => t,
        }
    }
}

/// Finds the message `which` names: the stored copy when there is one (a
/// UIDL that is stored needs no network at all), else RETR — the message is
/// then kept in the store. Marks it seen when `seen`.
async fn message_bytes(source: &Source, which: &Selector, seen: bool) -> Result<Bytes> {
    if let Selector::File(path) = which {
        return Ok(Bytes::File(path.clone()));
    }
    let store = cli_store(source).await;
    let found = message_bytes_with(source, store.clone(), which, seen).await;
    if let Some(s) = &store {
        s.close(STORE_CLOSE).await;
    }
    found
}

/// Retrieves a message into `store` (if it is not there already).
pub async fn fetch_into(source: &Source, store: StoreHandle, uidl: &Uidl) -> Result<()> {
    message_bytes_with(
        source,
        Some(store),
        &Selector::Uidl(uidl.to_string()),
        false,
    )
    .await
    .map(|_| ())
}

/// How long an exiting command waits for the store to close tidily.
const STORE_CLOSE: std::time::Duration = std::time::Duration::from_secs(10);

async fn message_bytes_with(
    source: &Source,
    store: Option<StoreHandle>,
    which: &Selector,
    seen: bool,
) -> Result<Bytes> {
    let stored_path = |u: Uidl| {
        let store = store.clone();
        async move {
            match store {
                Some(s) => s
                    .run(move |s| s.path(&u))
                    .await
                    .ok()
                    .and_then(|r| r.ok())
                    .flatten(),
                None => None,
            }
        }
    };
    // Marking seen renames the stored file (its flags are in its name), so
    // the path is asked for again afterwards.
    let mark_seen = |u: Uidl| {
        let store = store.clone();
        async move {
            let s = store?;
            if seen {
                let v = u.clone();
                let marked = s
                    .run(move |s| {
                        let flags = s
                            .index()
                            .get(&v)
                            .ok()
                            .flatten()
                            .map_or(Flags::default(), |r| r.flags);
                        s.set_flags(&v, flags.with(Flags::SEEN))
                    })
                    .await;
                if let Ok(Err(e)) = marked {
                    eprintln!("postie: warning: cannot mark the message seen: {e}");
                }
            }
            s.run(move |s| s.path(&u))
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten()
        }
    };
    if let Selector::Uidl(u) = which {
        if stored_path(Uidl::from(u.as_str())).await.is_some() {
            if let Some(path) = mark_seen(Uidl::from(u.as_str())).await {
                return Ok(Bytes::File(path));
            }
        }
    }
    let (mut client, index) = Client::open(&source.client).await?;
    let id = sync::identify(index);
    let count = id.messages.len();
    let message = match which {
        Selector::Number(n) => id
            .messages
            .iter()
            .find(|m| m.number == *n)
            .ok_or_else(|| anyhow!("no message {n} (mailbox has {count})"))?,
        Selector::File(_) => return Err(anyhow!("internal: a file is not in the mailbox")),
        Selector::Uidl(u) => match id.messages.iter().find(|m| m.uidl == u.as_str()) {
            Some(m) => m,
            None if !id.has_uidl => {
                return Err(anyhow!(
                    "the server does not support UIDL; select the message by number"
                ))
            }
            None => {
                return Err(anyhow!(
                    "no message with UIDL {:?}{}",
                    crate::text::sanitize::sanitize_line(u),
                    if id.duplicated > 0 {
                        " (or the server gave that UIDL to several messages: select by number)"
                    } else {
                        ""
                    }
                ))
            }
        },
    }
    .clone();
    if stored_path(message.uidl.clone()).await.is_some() {
        quit_read_only(client).await;
        return mark_seen(message.uidl.clone())
            .await
            .map(Bytes::File)
            .ok_or_else(|| anyhow!("the stored copy of the message has just gone; try again"));
    }
    let keep = store.as_ref().filter(|_| !message.uidl.is_session());
    let max = source.max_message();
    if message.size > max {
        quit_read_only(client).await;
        return Err(anyhow!(
            "message {} is {}: {}",
            message.number,
            crate::text::human_size(message.size),
            crate::pop3::client::too_large(max)
        ));
    }
    // Streamed into a file (the store's tmp/ when it is kept, else a private
    // temp file), never whole in memory whatever LIST said, and cut at
    // `max_message_size`; read back (a large one only in part) to be shown.
    let (dir, prefix) = match keep {
        Some(store) => (
            store.run(|s| s.tmp_dir()).await?,
            crate::store::maildir::retr_prefix(),
        ),
        None => (std::env::temp_dir(), "postie-retr-".to_string()),
    };
    let tmp = tokio::task::spawn_blocking(move || {
        tempfile::Builder::new()
            .prefix(&prefix)
            .tempfile_in(&dir)
            .with_context(|| format!("cannot write in {}", dir.display()))
    })
    .await??;
    let mut out = tokio::fs::File::from_std(tmp.reopen()?);
    client
        .retr_to_capped(message.number, &mut out, max)
        .await
        .with_context(|| format!("cannot download message {}", message.number))?;
    out.flush().await.context("cannot write the message")?;
    drop(out);
    quit_read_only(client).await;
    let Some(store) = keep else {
        return Ok(Bytes::Temp(tmp.into_temp_path()));
    };
    let u = message.uidl.clone();
    let (kept, tmp) = store
        .run(move |s| {
            let r = s.deliver_tmp(&u, &tmp, Flags::default());
            (r, tmp)
        })
        .await?;
    if let Err(e) = kept {
        eprintln!("postie: warning: cannot keep the message: {e}");
        return Ok(Bytes::Temp(tmp.into_temp_path()));
    }
    mark_seen(message.uidl.clone())
        .await
        .map(Bytes::File)
        .ok_or_else(|| anyhow!("the stored message has gone"))
}

pub async fn run_show(args: &SourceArgs, which: &Selector, raw: bool) -> Result<()> {
    let decode = match which {
        Selector::File(_) => file_settings(args)?.0,
        _ => DecodeOptions::default(),
    };
    let (source, decode) = match which {
        Selector::File(_) => (None, decode),
        _ => {
            let s = resolve(args).await?;
            let d = s.decode;
            (Some(s), d)
        }
    };
    let bytes = match &source {
        Some(s) => message_bytes(s, which, true).await?,
        None => message_bytes_file(which)?,
    };
    if raw {
        let p = bytes.path();
        let mut f = tokio::fs::File::open(p)
            .await
            .with_context(|| format!("cannot read {}", p.display()))?;
        let meta = f
            .metadata()
            .await
            .with_context(|| format!("cannot read {}", p.display()))?;
        if !meta.is_file() {
            return Err(anyhow!("{} is not a regular file", p.display()));
        }
        let mut stdout = tokio::io::stdout();
        match tokio::io::copy(&mut f, &mut stdout).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(anyhow!("cannot write to stdout: {e}")),
        }
        stdout.flush().await.context("cannot write to stdout")?;
        return Ok(());
    }
    let rendered = tokio::task::spawn_blocking(move || bytes.render(&decode)).await??;
    write_stdout(rendered.to_text().as_bytes())
}

fn message_bytes_file(which: &Selector) -> Result<Bytes> {
    match which {
        Selector::File(p) => Ok(Bytes::File(p.clone())),
        _ => Err(anyhow!("internal: not a file")),
    }
}

/// `postie save`: the message's attachments (all, or the `parts` listed by
/// `show`) into `dir` (default: `download_dir`); prints each saved path.
pub async fn run_save(
    args: &SourceArgs,
    which: &Selector,
    parts: &[usize],
    dir: Option<PathBuf>,
) -> Result<()> {
    let (bytes, decode, default_dir) = match which {
        Selector::File(_) => {
            let (decode, dir) = file_settings(args)?;
            (message_bytes_file(which)?, decode, dir)
        }
        _ => {
            let source = resolve(args).await?;
            let bytes = message_bytes(&source, which, false).await?;
            (bytes, source.decode, source.download_dir.clone())
        }
    };
    let dir = dir.unwrap_or(default_dir);
    let parts = parts.to_vec();
    let saved = tokio::task::spawn_blocking(move || -> Result<Vec<PathBuf>> {
        let raw = bytes.read()?;
        Ok(crate::store::names::save_attachments(
            &raw, &decode, &dir, &parts,
        )?)
    })
    .await??;
    let mut out = String::new();
    for p in saved {
        out.push_str(&crate::text::sanitize::sanitize_line(
            &p.display().to_string(),
        ));
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}

/// How a file given with `--file` is read, and where its attachments go:
/// the account's settings when one is configured, else the defaults.
fn file_settings(args: &SourceArgs) -> Result<(DecodeOptions, PathBuf)> {
    let defaults = || (DecodeOptions::default(), crate::paths::download_dir(None));
    if args.demo {
        return Ok(defaults());
    }
    let Some(config) = Config::load(args.config.as_deref())? else {
        return Ok(defaults());
    };
    let (_, account) = config.account(args.account.as_deref())?;
    Ok((
        account.decode_options(),
        crate::paths::download_dir(account.download_dir.as_deref()),
    ))
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

#[cfg(test)]
mod error_line_tests {
    #[test]
    fn a_cause_already_named_is_not_repeated() {
        let source = std::io::Error::other("bad reply line");
        let e = anyhow::Error::new(source).context("protocol error from h:110: bad reply line");
        assert_eq!(
            super::error_line(&e),
            "protocol error from h:110: bad reply line"
        );
        let e = anyhow::Error::new(std::io::Error::other("disk full")).context("cannot save");
        assert_eq!(super::error_line(&e), "cannot save: disk full");
    }
}
