//! The interactive reader's outer shell: terminal set-up and restore (normal
//! exit, error, panic, SIGTERM, Ctrl-C), the event loop over terminal events
//! and worker events, and the log file. The only code that uses crossterm.

use std::io::Stdout;
use std::time::Duration;

use anyhow::{Context as _, Result};
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event as TermEvent, EventStream, KeyCode, KeyEvent,
    KeyEventKind, KeyModifiers, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use crate::accounts::SourceArgs;
use crate::app::desk::{Desk, Steps};
use crate::app::keymap::Key;
use crate::app::{App, Effect, HeaderInfo, Mouse, Msg};
use crate::error::{ErrorClass, Failure};
use crate::store::StoreHandle;
use crate::worker::local::{self, LocalRequest};
use crate::worker::{Event, Request, Worker};

mod compose;

/// The terminal's key and mouse events. Stopped while another program has
/// the terminal (crossterm's reader would otherwise take its keys), and
/// started again on the next read.
#[derive(Default)]
pub struct Events(Option<EventStream>);

impl Events {
    pub async fn next(&mut self) -> Option<std::io::Result<TermEvent>> {
        self.0.get_or_insert_with(EventStream::new).next().await
    }

    /// Stops reading: the reader thread is woken and ends.
    pub fn stop(&mut self) {
        self.0 = None;
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped, whatever way the loop ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn setup_terminal() -> Result<(Term, TerminalGuard)> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Only the UI thread gives the terminal back: a task that panics on
        // another thread is reported through the loop, which then leaves
        // cleanly; restoring from under the running screen would break it.
        if std::thread::current().name() == Some("main") {
            restore_terminal();
            hook(info);
        } else {
            tracing::error!("panic: {info}");
        }
    }));
    enable_raw_mode().context("cannot put the terminal in raw mode (is this a terminal?)")?;
    let guard = TerminalGuard;
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
        .context("cannot set up the terminal")?;
    let terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .context("cannot set up the terminal")?;
    Ok((terminal, guard))
}

/// Logs go to `$XDG_STATE_HOME/postie/postie.log`, never to the terminal.
fn start_log() {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = crate::paths::xdg_dir("XDG_STATE_HOME", ".local/state").join("postie");
    // The log names accounts, servers and errors: 0700 and 0600, and a
    // symlink planted at its name is never followed.
    if crate::store::maildir::private_dir(&dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dir.join("postie.log"))
    else {
        return;
    };
    // A log an older postie made readable by others is made private.
    if let Ok(meta) = file.metadata() {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
    }
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("POSTIE_LOG").unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}

pub fn key_from(k: KeyEvent) -> Option<Key> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        _ => return None,
    })
}

fn msg_from(ev: TermEvent) -> Option<Msg> {
    match ev {
        TermEvent::Key(k) => key_from(k).map(Msg::Key),
        TermEvent::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Msg::Mouse(Mouse::ScrollDown)),
            MouseEventKind::ScrollUp => Some(Msg::Mouse(Mouse::ScrollUp)),
            MouseEventKind::Down(_) => Some(Msg::Mouse(Mouse::Click {
                column: m.column,
                row: m.row,
            })),
            _ => None,
        },
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// Who sends for the demo: nobody (drafts are kept, sending explains why not).
fn demo_sending() -> compose::Sending {
    Ok((
        crate::send::compose::Identity {
            from: "You <you@postie.demo>".into(),
            mine: vec!["you@postie.demo".into()],
            signature: None,
        },
        Err("the demo mailbox cannot send mail (the draft is kept in the demo's Drafts until you quit): add an account with an [accounts.NAME.smtp] table, see README.md, Sending mail".into()),
    ))
}

/// Who sends for `account`, and how (blocking: reads signature_file, may
/// run a password command). `password`: the account's, once known.
fn account_sending(
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
struct Running {
    id: u64,
    edge: Edge,
    worker: tokio::task::JoinHandle<()>,
    forward: tokio::task::JoinHandle<()>,
    _source: crate::accounts::Source,
}

/// Starts an account: its store, its worker (waiting for a password if it
/// has none), and the task that tags its events with `id` for the loop (an
/// id is never reused, so a replaced account's late events are dropped).
async fn start_account(
    id: u64,
    ra: crate::accounts::ReaderAccount,
    merged: &mpsc::UnboundedSender<(u64, Msg)>,
    (width, height): (u16, u16),
    shown: bool,
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
    let store = source.open_store().await;
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
    );
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
        sending: std::sync::Arc::new(std::sync::Mutex::new(sending)),
        tls: Default::default(),
        account: source.account.clone().map(|a| (source.label.clone(), a)),
        bell: source.bell_on_new,
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
    let app = app.starting(source.download_dir.clone(), ra.ask_password, shown);
    let running = Running {
        id,
        edge,
        worker,
        forward,
        _source: source,
    };
    (running, app)
}

/// Writes OSC 2 (the window title); `text` is already `title_safe`.
struct SetTitle<'a>(&'a str);

impl crossterm::Command for SetTitle<'_> {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        write!(f, "\x1b]2;{}\x07", self.0)
    }
}

/// Saves the title on xterm's title stack at start, restores it at exit.
struct TitleStack(bool);

impl crossterm::Command for TitleStack {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str(if self.0 { "\x1b[22;0t" } else { "\x1b[23;0t" })
    }
}

/// The terminal bell.
struct Bell;

impl crossterm::Command for Bell {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x07")
    }
}

pub async fn run(args: &SourceArgs) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        anyhow::bail!("the interactive reader needs a terminal; use `postie list` or `postie show N` in scripts and pipes");
    }
    start_log();
    let (accounts, shown) = crate::accounts::resolve_all(args).await?;
    let demo = accounts.first().is_some_and(|a| a.source.demo.is_some());
    let (merged_tx, mut merged_rx) = mpsc::unbounded_channel::<(u64, Msg)>();
    let (mut terminal, _guard) = setup_terminal()?;
    let size = terminal.size().context("cannot read the terminal size")?;
    let dims = (size.width, size.height);
    let mut running = Vec::new();
    let mut apps = Vec::new();
    let mut next_id = 0u64;
    for (i, ra) in accounts.into_iter().enumerate() {
        next_id += 1;
        let (r, app) = start_account(next_id, ra, &merged_tx, dims, i == shown).await;
        running.push(r);
        apps.push(app);
    }
    let mut desk = Desk::new(apps);
    desk.current = shown;
    let mut demo = demo;
    let _ = execute!(std::io::stdout(), TitleStack(true));
    let mut title = String::new();
    let mut title_tick = tokio::time::interval(Duration::from_secs(1));
    let mut events = Events::default();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot watch SIGTERM")?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("cannot watch SIGHUP")?;
    let mut dirty = true;
    let mut fatal: Option<String> = None;
    let mut milestones = crate::timings::Once::default();
    loop {
        if dirty {
            terminal
                .draw(|f| crate::ui::draw_desk(f, &desk))
                .context("cannot draw")?;
            dirty = false;
            if crate::timings::enabled() {
                record_milestones(desk.app(), &mut milestones);
            }
        }
        let (msg, account) = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => (msg_from(ev), None),
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => (Some(Msg::Key(Key::Ctrl('c'))), None),
            },
            ev = merged_rx.recv() => match ev {
                Some((id, msg)) => match running.iter().position(|r| r.id == id) {
                    Some(i) => (Some(msg), Some(i)),
                    None => continue,
                },
                None => break,
            },
            // Killed or hung up: leave without deleting anything.
            _ = sigterm.recv() => (Some(Msg::Key(Key::Ctrl('c'))), None),
            _ = sighup.recv() => (Some(Msg::Key(Key::Ctrl('c'))), None),
            _ = title_tick.tick() => {
                retitle(&desk, &mut title);
                continue;
            }
        };
        let Some(msg) = msg else { continue };
        dirty = true;
        let mut work = Work::default();
        let mut exit = work.take(&running, desk.update(msg, account));
        // Take whatever else the workers have sent before drawing: one frame
        // for a burst of header batches instead of one frame each.
        for _ in 0..256 {
            match merged_rx.try_recv() {
                Ok((id, msg)) if !exit => {
                    if let Some(i) = running.iter().position(|r| r.id == id) {
                        exit = work.take(&running, desk.update(msg, Some(i)));
                    }
                }
                _ => break,
            }
        }
        if !work.new_mail.is_empty() {
            retitle(&desk, &mut title);
            if work
                .new_mail
                .iter()
                .any(|&i| running.get(i).is_some_and(|r| r.edge.bell))
            {
                let _ = execute!(std::io::stdout(), Bell);
            }
        }
        if exit {
            fatal = work.fatal.take();
            break;
        }
        // The editor needs the terminal: one request at a time, in order.
        while let Some((i, req)) = work.edits.pop() {
            let ev = compose::edit(&running[i].edge, &mut terminal, &mut events, req).await;
            let steps = desk.update(Msg::Compose(Box::new(ev)), Some(i));
            let mut more = Work::default();
            exit = more.take(&running, steps);
            work.edits.extend(more.edits);
            work.pipes.extend(more.pipes);
            if exit {
                break;
            }
        }
        if exit {
            break;
        }
        for (i, (what, command)) in std::mem::take(&mut work.pipes) {
            let result =
                pipe_to(&running[i].edge, &mut terminal, &mut events, what, &command).await;
            terminal.clear().context("cannot draw")?;
            let notice = match result {
                Ok(status) => format!("`{command}` {status}"),
                Err(e) => format!("cannot pipe: {e:#}"),
            };
            work.take(&running, desk.update(Msg::Notice(notice), Some(i)));
        }
        if work.setup {
            let added = setup_in_reader(args, &mut terminal, &mut events).await;
            terminal.clear().context("cannot draw")?;
            match added {
                Ok(Some(ra)) => {
                    let size = terminal.size().context("cannot read the terminal size")?;
                    let dims = (size.width, size.height);
                    next_id += 1;
                    if demo {
                        // The user's own account takes the demo's place.
                        let (r, app) = start_account(next_id, ra, &merged_tx, dims, true).await;
                        let old = std::mem::replace(&mut running[0], r);
                        old.forward.abort();
                        let _ = old.edge.req_tx.send(Request::QuitDiscard);
                        desk.replace(0, app);
                        demo = false;
                    } else {
                        let (r, app) = start_account(next_id, ra, &merged_tx, dims, true).await;
                        running.push(r);
                        desk.push(app);
                    }
                    let name = desk.app().header.account.clone();
                    let shown = Some(desk.current);
                    work.take(
                        &running,
                        desk.update(Msg::Notice(format!("added account {name}")), shown),
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    let shown = Some(desk.current);
                    work.take(
                        &running,
                        desk.update(Msg::Notice(format!("setup: {e:#}")), shown),
                    );
                }
            }
            retitle(&desk, &mut title);
        }
    }
    let _ = execute!(std::io::stdout(), TitleStack(false));
    drop(_guard);
    crate::timings::mark_peak_rss();
    // Give the workers a moment to RSET and QUIT cleanly; dropping the
    // connections instead would delete nothing either.
    for r in &running {
        let _ = r.edge.req_tx.send(Request::QuitDiscard);
    }
    let workers = running.iter_mut().map(|r| &mut r.worker);
    let _ = tokio::time::timeout(
        Duration::from_secs(3),
        futures_util::future::join_all(workers),
    )
    .await;
    for r in &running {
        if let Some(store) = &r.edge.store {
            store.close(Duration::from_secs(5)).await;
        }
    }
    match fatal {
        Some(why) => Err(anyhow::anyhow!(why)),
        None => Ok(()),
    }
}

/// Sets the terminal's title when the unread counts changed.
fn retitle(desk: &Desk, shown: &mut String) {
    let title = desk.title();
    if title != *shown {
        let _ = execute!(std::io::stdout(), SetTitle(&title));
        *shown = title;
    }
}

/// `A`: the setup wizard on the plain terminal (the screen suspended and
/// key events not read, as for the editor); the account it added, ready to start.
async fn setup_in_reader(
    args: &SourceArgs,
    terminal: &mut Term,
    events: &mut Events,
) -> Result<Option<crate::accounts::ReaderAccount>> {
    let table = crate::accounts::load_table(None)?;
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
    let config = crate::config::Config::load(Some(&path))?
        .ok_or_else(|| anyhow::anyhow!("the config file {} is gone", path.display()))?;
    let (name, account) = config.account(Some(&name))?;
    Ok(Some(
        crate::accounts::ReaderAccount::new(name.to_string(), account.clone()).await,
    ))
}

/// Where one account's effects go: its POP3 worker, its store thread, or
/// back to the UI.
struct Edge {
    req_tx: mpsc::UnboundedSender<Request>,
    ev_tx: mpsc::UnboundedSender<Event>,
    /// Results of work the edge runs itself, as messages for the app.
    ui: Reply,
    store: Option<StoreHandle>,
    decode: crate::mime::DecodeOptions,
    /// Who sends and how; replaced once a typed password is known.
    sending: std::sync::Arc<std::sync::Mutex<compose::Sending>>,
    /// Sending's TLS settings, built once.
    tls: std::sync::Arc<tokio::sync::OnceCell<crate::send::smtp::TlsSetup>>,
    /// The account's name and settings (None for the demo).
    account: Option<(String, crate::config::AccountConfig)>,
    /// `bell_on_new`.
    bell: bool,
}

/// Sends one account's app messages back to the loop.
#[derive(Clone)]
struct Reply {
    id: u64,
    tx: mpsc::UnboundedSender<(u64, Msg)>,
}

impl Reply {
    fn send(&self, msg: Msg) {
        // The loop may be gone already at exit; nothing to do about it then.
        let _ = self.tx.send((self.id, msg));
    }
}

/// What a pipe sends: an attachment's decoded bytes, or a message's raw bytes.
enum Piped {
    Attachment(crate::uidl::Uidl, usize),
    Message(crate::uidl::Uidl),
}

type Pipe = (Piped, String);

/// What a batch of effects leaves for the loop: things that need the
/// terminal (the editor, pipes, the wizard) and news for the title.
#[derive(Default)]
struct Work {
    pipes: Vec<(usize, Pipe)>,
    edits: Vec<(usize, crate::send::ComposeRequest)>,
    setup: bool,
    new_mail: Vec<usize>,
    /// A task crashed: the reader exits with this error.
    fatal: Option<String>,
}

impl Work {
    /// Carries out `steps`; true when the reader should exit.
    fn take(&mut self, running: &[Running], steps: Steps) -> bool {
        self.new_mail.extend(steps.new_mail);
        if steps.fatal.is_some() {
            self.fatal = steps.fatal;
        }
        for (i, effect) in steps.effects {
            let Some(r) = running.get(i) else { continue };
            r.edge.execute(i, effect, self);
        }
        steps.exit
    }
}

impl Edge {
    fn sending(&self) -> compose::Sending {
        match self.sending.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn execute(&self, i: usize, effect: Effect, work: &mut Work) {
        match effect {
            Effect::Worker(r) => {
                let _ = self.req_tx.send(r);
            }
            Effect::Local(r) => self.local(r),
            Effect::OpenAttachment { uidl, part } => match &self.store {
                Some(store) => {
                    local::open_attachment(store, self.decode, uidl, part, self.ev_tx.clone())
                }
                None => self.no_store(),
            },
            Effect::PipeAttachment {
                uidl,
                part,
                command,
            } => work
                .pipes
                .push((i, (Piped::Attachment(uidl, part), command))),
            Effect::PipeMessage { uidl, command } => {
                work.pipes.push((i, (Piped::Message(uidl), command)))
            }
            Effect::Clipboard(text) => copy_to_clipboard(&text),
            Effect::Compose(
                r @ (crate::send::ComposeRequest::Start { .. }
                | crate::send::ComposeRequest::Edit { .. }),
            ) => work.edits.insert(0, (i, r)),
            Effect::Compose(r) => compose::spawn(self, r),
            Effect::Password(p) => self.password_typed(p),
            Effect::Setup => work.setup = true,
            Effect::Thread { folder, job } => {
                let ui = self.ui.clone();
                tokio::task::spawn_blocking(move || {
                    let layout = std::sync::Arc::new(job.run());
                    ui.send(Msg::Threaded {
                        folder,
                        generation: job.generation,
                        layout,
                    });
                });
            }
            Effect::SearchIndex {
                folder,
                pattern,
                query,
            } => match &self.store {
                Some(store) => {
                    let (ui, ev_tx) = (self.ui.clone(), self.ev_tx.clone());
                    store.post(move |s| match s.index_hits(folder, query) {
                        Ok(hits) => ui.send(Msg::IndexHits {
                            folder,
                            pattern,
                            hits,
                        }),
                        Err(e) => {
                            let _ = ev_tx.send(Event::Failed(Failure::new(
                                ErrorClass::Local,
                                format!("cannot search the stored mail: {e}"),
                            )));
                        }
                    });
                }
                None => self.no_store(),
            },
            // The desk answers these itself.
            Effect::NextAccount { .. } | Effect::NewMail(_) | Effect::Exit | Effect::Fatal(_) => {}
        }
    }

    /// The password typed at the prompt: to the worker, and (off the async
    /// threads) into the sending settings that default to it.
    fn password_typed(&self, password: crate::secret::Secret) {
        let _ = self.req_tx.send(Request::Password(password.clone()));
        let Some((name, account)) = self.account.clone() else {
            return;
        };
        let cell = self.sending.clone();
        tokio::task::spawn_blocking(move || {
            let s = account_sending(&name, &account, Some(&password));
            if let Ok(mut slot) = cell.lock() {
                *slot = s;
            }
        });
    }

    fn local(&self, r: LocalRequest) {
        match (&self.store, r) {
            (Some(store), r) => local::execute(store, self.decode, r, self.ev_tx.clone()),
            // Without a store, a body comes from the server as before.
            (None, LocalRequest::LoadBody(u)) => {
                let _ = self.req_tx.send(Request::FetchBody(u));
            }
            (None, LocalRequest::SetFlags(..)) => {}
            (None, _) => self.no_store(),
        }
    }

    fn no_store(&self) {
        let _ = self.ev_tx.send(Event::Failed(Failure::new(
            ErrorClass::Local,
            "there is no local store (see the log for why)",
        )));
    }
}

/// OSC 52: the terminal puts `text` on the user's own clipboard, over SSH
/// too. Base64 keeps any byte of it from being a control sequence; bounded.
fn copy_to_clipboard(text: &str) {
    use base64::Engine as _;
    use std::io::Write;
    let mut end = text.len().min(8192);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&text.as_bytes()[..end]);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

/// Leaves the screen, runs `sh -c command` with an attachment's decoded
/// bytes or a stored message's raw bytes (streamed from its file) on its
/// standard input, waits for a key, and comes back.
async fn pipe_to(
    edge: &Edge,
    terminal: &mut Term,
    events: &mut Events,
    what: Piped,
    command: &str,
) -> Result<String> {
    let store = edge
        .store
        .clone()
        .ok_or_else(|| anyhow::anyhow!("there is no local store"))?;
    let decode = edge.decode;
    enum Source {
        Bytes(Vec<u8>),
        File(std::path::PathBuf),
    }
    let (source, label) = match what {
        Piped::Attachment(uidl, part) => {
            let bytes = store
                .run(move |s| local::attachment_bytes(s, &uidl, part, &decode))
                .await?
                .map_err(|e| anyhow::anyhow!(e))?
                .1;
            (Source::Bytes(bytes), format!("attachment {part}"))
        }
        Piped::Message(uidl) => {
            let path = store
                .run(move |s| s.path(&uidl))
                .await??
                .ok_or_else(|| anyhow::anyhow!("the message is not stored"))?;
            (Source::File(path), "the message".to_string())
        }
    };
    restore_terminal();
    println!("postie: piping {label} to `{command}`\r");
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("cannot start sh")?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        // A command that does not read all of it is not an error.
        match source {
            Source::Bytes(bytes) => {
                let _ = stdin.write_all(&bytes).await;
            }
            Source::File(path) => {
                if let Ok(mut file) = tokio::fs::File::open(&path).await {
                    let _ = tokio::io::copy(&mut file, &mut stdin).await;
                }
            }
        }
    }
    let status = child.wait().await.context("cannot wait for the command")?;
    println!("\r\npostie: press any key to go back\r");
    let _ = enable_raw_mode();
    while let Some(Ok(ev)) = events.next().await {
        if matches!(ev, TermEvent::Key(k) if k.kind != KeyEventKind::Release) {
            break;
        }
    }
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
        .context("cannot set up the terminal")?;
    terminal.clear().context("cannot draw")?;
    Ok(match status.code() {
        Some(0) => "finished".to_string(),
        Some(c) => format!("exited with status {c}"),
        None => "was stopped by a signal".to_string(),
    })
}

/// What the frame just drawn shows, for `POSTIE_TIMINGS` (see `timings`).
fn record_milestones(app: &App, done: &mut crate::timings::Once) {
    done.mark("first-frame");
    let height = app.list_height();
    if !app.indexed && app.preview_count > 0 && app.preview.len() >= height.min(app.preview_count) {
        // A first visit's newest rows, ahead of the index.
        done.mark("first-screen");
    }
    if !app.indexed && !app.list.is_empty() {
        // The list from the local store, before any server reply.
        let visible = app.list.visible(height);
        if visible.iter().all(|e| e.summary.is_some()) {
            done.mark("stored-screen");
        }
    }
    if app.indexed {
        done.mark("indexed");
        let visible = app.list.visible(height);
        if !visible.is_empty() && visible.iter().all(|e| e.summary.is_some()) {
            done.mark("first-screen");
        }
        if app.list.loaded == app.list.len() {
            done.mark("list-complete");
        }
    }
}
