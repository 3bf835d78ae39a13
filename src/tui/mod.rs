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

use crate::app::keymap::Key;
use crate::app::{update, App, Effect, HeaderInfo, Mouse, Msg};
use crate::cli::{resolve, SourceArgs};
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
        restore_terminal();
        hook(info);
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
    let dir = crate::config::xdg_dir("XDG_STATE_HOME", ".local/state").join("postie");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("postie.log"))
    else {
        return;
    };
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

pub async fn run(args: &SourceArgs) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        anyhow::bail!("the interactive reader needs a terminal; use `postie list` or `postie show N` in scripts and pipes");
    }
    start_log();
    let source = resolve(args).await?;
    // Who sends, and how (a password_command runs here, before the screen).
    let sending: compose::Sending = match source.account.clone() {
        None => Ok((
            crate::send::compose::Identity {
                from: "You <you@postie.demo>".into(),
                mine: vec!["you@postie.demo".into()],
                signature: None,
            },
            Err("the demo mailbox cannot send mail (the draft is kept in the demo's Drafts until you quit): add an account with an [accounts.NAME.smtp] table, see README.md, Sending mail".into()),
        )),
        Some(account) => {
            let name = source.label.clone();
            let password = source.client.password.clone();
            tokio::task::spawn_blocking(move || {
                let identity = account.identity(&name).map_err(|e| e.to_string())?;
                let smtp = account
                    .smtp_settings(&name, Some(&password))
                    .map_err(|e| e.to_string());
                Ok((identity, smtp))
            })
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
    .with_policy(source.policy);
    let edge = Edge {
        req_tx: req_tx.clone(),
        ev_tx,
        store,
        decode: source.decode,
        sending,
        tls: Default::default(),
    };
    compose::prepare_tls(&edge);
    let worker_task = tokio::spawn(worker.run());

    let (mut terminal, _guard) = setup_terminal()?;
    let size = terminal.size().context("cannot read the terminal size")?;
    let mut app = App::new(
        HeaderInfo {
            account: source.label.clone(),
            server,
            mode: source.mode.clone(),
        },
        size.width,
        size.height,
    );
    app.download_dir = source.download_dir.clone();
    let mut events = Events::default();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot watch SIGTERM")?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("cannot watch SIGHUP")?;
    let mut dirty = true;
    let mut milestones = crate::timings::Once::default();
    loop {
        if dirty {
            terminal
                .draw(|f| crate::ui::draw(f, &app))
                .context("cannot draw")?;
            dirty = false;
            if crate::timings::enabled() {
                record_milestones(&app, &mut milestones);
            }
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => msg_from(ev),
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => Some(Msg::Key(Key::Ctrl('c'))),
            },
            ev = ev_rx.recv() => match ev {
                Some(ev) => Some(Msg::Worker(ev)),
                None => break,
            },
            // Killed or hung up: leave without deleting anything.
            _ = sigterm.recv() => Some(Msg::Key(Key::Ctrl('c'))),
            _ = sighup.recv() => Some(Msg::Key(Key::Ctrl('c'))),
        };
        let Some(msg) = msg else { continue };
        dirty = true;
        let mut pipes = Vec::new();
        let mut edits = Vec::new();
        let mut exit = edge.apply(&mut app, msg, &mut pipes, &mut edits);
        // Take whatever else the worker has sent before drawing: one frame
        // for a burst of header batches instead of one frame each.
        for _ in 0..256 {
            match ev_rx.try_recv() {
                Ok(ev) if !exit => {
                    exit = edge.apply(&mut app, Msg::Worker(ev), &mut pipes, &mut edits)
                }
                _ => break,
            }
        }
        if exit {
            break;
        }
        // The editor needs the terminal: one request at a time, in order.
        while let Some(req) = edits.pop() {
            let ev = compose::edit(&edge, &mut terminal, &mut events, req).await;
            let mut more = Vec::new();
            exit = edge.apply(
                &mut app,
                Msg::Worker(Event::Compose(Box::new(ev))),
                &mut pipes,
                &mut more,
            );
            edits.extend(more);
            if exit {
                break;
            }
        }
        if exit {
            break;
        }
        for (uidl, part, command) in pipes {
            let result =
                pipe_attachment(&edge, &mut terminal, &mut events, uidl, part, &command).await;
            terminal.clear().context("cannot draw")?;
            let notice = match result {
                Ok(status) => format!("`{command}` {status}"),
                Err(e) => format!("cannot pipe the attachment: {e:#}"),
            };
            app.notice = Some(crate::mime::sanitize::sanitize_line(&notice).into_owned());
        }
    }
    drop(_guard);
    crate::timings::mark_peak_rss();
    // Give the worker a moment to RSET and QUIT cleanly; dropping the
    // connection instead would delete nothing either.
    let _ = req_tx.send(Request::QuitDiscard);
    let _ = tokio::time::timeout(Duration::from_secs(3), worker_task).await;
    if let Some(store) = &edge.store {
        store.close(Duration::from_secs(5)).await;
    }
    Ok(())
}

/// Where effects go: the POP3 worker, the store thread, or back to the UI.
struct Edge {
    req_tx: mpsc::UnboundedSender<Request>,
    ev_tx: mpsc::UnboundedSender<Event>,
    store: Option<StoreHandle>,
    decode: crate::mime::DecodeOptions,
    sending: compose::Sending,
    /// Sending's TLS settings, built once.
    tls: std::sync::Arc<tokio::sync::OnceCell<crate::send::smtp::TlsSetup>>,
}

type Pipe = (crate::mime::Uidl, usize, String);

impl Edge {
    /// Runs `update` and carries out its effects; true when the reader
    /// should exit. Pipes (which need the terminal) are handed back.
    fn apply(
        &self,
        app: &mut App,
        msg: Msg,
        pipes: &mut Vec<Pipe>,
        edits: &mut Vec<crate::send::ComposeRequest>,
    ) -> bool {
        let mut exit = false;
        for effect in update(app, msg) {
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
                } => pipes.push((uidl, part, command)),
                Effect::Compose(
                    r @ (crate::send::ComposeRequest::Start { .. }
                    | crate::send::ComposeRequest::Edit { .. }),
                ) => edits.insert(0, r),
                Effect::Compose(r) => compose::spawn(self, r),
                Effect::Exit => exit = true,
            }
        }
        exit
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
        let _ = self.ev_tx.send(Event::Failed {
            kind: crate::worker::FailureKind::Local,
            error: "there is no local store (see the log for why)".into(),
        });
    }
}

/// Leaves the screen, runs `sh -c command` with the attachment's decoded
/// bytes on its standard input, waits for a key, and comes back.
async fn pipe_attachment(
    edge: &Edge,
    terminal: &mut Term,
    events: &mut Events,
    uidl: crate::mime::Uidl,
    part: usize,
    command: &str,
) -> Result<String> {
    let store = edge
        .store
        .clone()
        .ok_or_else(|| anyhow::anyhow!("there is no local store"))?;
    let decode = edge.decode;
    let bytes = store
        .run(move |s| local::attachment_bytes(s, &uidl, part, &decode))
        .await?
        .map_err(|e| anyhow::anyhow!(e))?
        .1;
    restore_terminal();
    println!("postie: piping attachment {part} to `{command}`\r");
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("cannot start sh")?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        // A command that does not read all of it is not an error.
        let _ = stdin.write_all(&bytes).await;
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
