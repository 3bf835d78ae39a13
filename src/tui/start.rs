//! Starting an account in the reader: its store, its worker (waiting for a
//! password if it has none), its sending settings, and `A`'s wizard.

use super::*;
use rust_i18n::t;

/// Who sends for the demo: nobody (drafts are kept, sending explains why not).
pub(super) fn demo_sending() -> compose::Sending {
    Ok((
        crate::send::compose::Identity {
            from: "You <you@postie.demo>".into(),
            mine: vec!["you@postie.demo".into()],
            signature: None,
            attribution: None,
        },
        Err(t!("demo.cannot_send").into()),
    ))
}

/// Who sends for `account`, and how (blocking: reads signature_file, may
/// run a password command). `password`: the account's, once known.
pub(super) fn account_sending(
    name: &str,
    account: &crate::config::AccountConfig,
    password: Option<&crate::secret::Secret>,
) -> compose::Sending {
    let identity = crate::accounts::identity(account, name).map_err(|e| e.to_string())?;
    let smtp = match password {
        Some(p) => {
            crate::accounts::smtp_settings(account, name, Some(p)).map_err(|e| e.to_string())
        }
        None => Err(
            "log in to this account first (its password is asked for in the reader), then send"
                .into(),
        ),
    };
    Ok((identity, smtp))
}

/// One account's running parts: its edge (worker, store, sending), the
/// tasks behind it, and the source (which keeps the demo server alive).
pub(super) struct Running {
    pub(super) id: u64,
    pub(super) edge: Edge,
    pub(super) worker: tokio::task::JoinHandle<()>,
    pub(super) forward: tokio::task::JoinHandle<()>,
    pub(super) _source: crate::accounts::Source,
}

/// Starts an account: its store, its worker (waiting for a password if it
/// has none), and the task that tags its events with `id` for the loop (an
/// id is never reused, so a replaced account's late events are dropped).
pub(super) async fn start_account(
    id: u64,
    ra: crate::accounts::ReaderAccount,
    merged: &mpsc::UnboundedSender<(u64, Msg)>,
    (width, height): (u16, u16),
    shown: bool,
    config_path: Option<std::path::PathBuf>,
) -> (Running, App) {
    let source = ra.source;
    let needs_password = ra.ask_password.is_some();
    let sending: compose::Sending = match source.account.clone() {
        None => demo_sending(),
        Some(account) => {
            let name = source.label.clone();
            let password = (!needs_password).then(|| source.client.password.clone());
            tokio::task::spawn_blocking(move || account_sending(&name, &account, password.as_ref()))
                .await
                .unwrap_or_else(|e| Err(format!("cannot read the sending settings: {e}")))
        }
    };
    let server = source.client.endpoint.addr();
    tracing::info!(account = %source.label, %server, mode = %source.mode, "starting");
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let store = source.open_store_indexing().await;
    let trash_limit = source
        .account
        .as_ref()
        .map_or(crate::config::TRASH_DOWNLOAD_LIMIT, |a| a.trash_download());
    let filer = std::sync::Arc::new(source.filer());
    let worker = Worker::new(
        source.client.clone(),
        source.decode,
        store.clone(),
        req_rx,
        ev_tx.clone(),
    )
    .with_background_download(source.background_download)
    .with_policy(source.policy)
    .with_check_interval(source.check_every)
    .with_max_message_size(
        source
            .account
            .as_ref()
            .map_or(crate::config::MAX_MESSAGE_SIZE, |a| a.max_message()),
    )
    .with_trash_download_limit(trash_limit)
    .with_filer(filer.clone());
    let worker = if needs_password {
        worker.waiting_for_password()
    } else {
        worker
    };
    let edge = Edge {
        req_tx,
        ev_tx,
        ui: Reply {
            id,
            tx: merged.clone(),
        },
        store,
        decode: source.decode,
        filer: filer.clone(),
        sending: std::sync::Arc::new(std::sync::Mutex::new(sending)),
        tls: Default::default(),
        account: source.account.clone().map(|a| (source.label.clone(), a)),
        bell: source.bell_on_new,
        config_path: source.account.is_some().then_some(config_path).flatten(),
        login: std::sync::Arc::new(std::sync::Mutex::new(source.account.clone())),
        views: source
            .account
            .is_some()
            .then(|| std::sync::Arc::new(std::sync::Mutex::new(views_path(&source.label)))),
        contacts_key: source.account.is_some().then(|| source.store_key.clone()),
    };
    compose::prepare_tls(&edge);
    // A panic in the worker is caught and reported, not silently ending
    // the account (the reader then exits non-zero).
    let crash_tx = edge.ev_tx.clone();
    let worker = tokio::spawn(async move {
        use futures_util::FutureExt;
        if let Err(p) = std::panic::AssertUnwindSafe(worker.run())
            .catch_unwind()
            .await
        {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            tracing::error!("the POP3 worker panicked: {why}");
            let _ = crash_tx.send(Event::Crashed(format!("the POP3 task stopped: {why}")));
        }
    });
    let tx = merged.clone();
    let forward = tokio::spawn(async move {
        while let Some(ev) = ev_rx.recv().await {
            if tx.send((id, Msg::Worker(ev))).is_err() {
                break;
            }
        }
    });
    let app = App::new(
        HeaderInfo {
            account: source.label.clone(),
            server,
            mode: source.mode.clone(),
        },
        width,
        height,
    );
    // The folders' sorts and threads as they were left (a missing or
    // unreadable file: the defaults).
    let views = match source.account.is_some() {
        true => {
            let path = views_path(&source.label);
            tokio::task::spawn_blocking(move || std::fs::read_to_string(path).unwrap_or_default())
                .await
                .map(|t| crate::app::ViewPrefs::read_all(&t))
                .unwrap_or_default()
        }
        false => Default::default(),
    };
    let app = app
        .starting(source.download_dir.clone(), ra.ask_password, shown)
        .with_trash_download_limit(trash_limit)
        .with_views(views)
        .with_oauth(source.account.as_ref().is_some_and(|a| a.oauth.is_some()))
        .with_receipts(
            source
                .account
                .as_ref()
                .map(|a| a.receipt_policy())
                .unwrap_or_default(),
        );
    let running = Running {
        id,
        edge,
        worker,
        forward,
        _source: source,
    };
    (running, app)
}

/// `A`: the setup wizard on the plain terminal (the screen suspended and
/// key events not read, as for the editor); the account it added, ready to start.
pub(super) async fn setup_in_reader(
    args: &SourceArgs,
    terminal: &mut Term,
    events: &mut Events,
) -> Result<Option<crate::accounts::ReaderAccount>> {
    let table = tokio::task::spawn_blocking(|| crate::accounts::load_table(None)).await??;
    let path = args
        .config
        .clone()
        .unwrap_or_else(crate::paths::config_file);
    events.stop();
    restore_terminal();
    let rt = tokio::runtime::Handle::current();
    let wizard_path = path.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        use crate::accounts::wizard::{self, Io as _};
        let mut io = wizard::Terminal;
        let outcome = wizard::run(&mut io, &table, rt, &wizard_path);
        let _ = io.ask("\nPress Enter to go back to postie. ");
        outcome
    })
    .await;
    let _ = enable_raw_mode();
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
        .context("cannot set up the terminal")?;
    terminal.clear().context("cannot draw")?;
    let crate::accounts::wizard::Outcome::Added { name, .. } = outcome? else {
        return Ok(None);
    };
    let config = crate::config::Config::load_async(Some(&path))
        .await?
        .ok_or_else(|| anyhow::anyhow!("{}", t!("config.gone", path = path.display())))?;
    let (name, account) = config.account(Some(&name))?;
    Ok(Some(
        crate::accounts::ReaderAccount::new(name.to_string(), account.clone()).await,
    ))
}
