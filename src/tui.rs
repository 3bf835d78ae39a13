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
use crate::worker::{Request, Worker};

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
    let server = source.client.endpoint.addr();
    tracing::info!(account = %source.label, %server, mode = %source.mode, "starting");
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let worker = Worker::new(
        source.client.clone(),
        source.decode,
        source.header_cache(),
        req_rx,
        ev_tx,
    );
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
    let mut events = EventStream::new();
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
        let mut exit = apply(&mut app, msg, &req_tx);
        // Take whatever else the worker has sent before drawing: one frame
        // for a burst of header batches instead of one frame each.
        for _ in 0..256 {
            match ev_rx.try_recv() {
                Ok(ev) if !exit => exit = apply(&mut app, Msg::Worker(ev), &req_tx),
                _ => break,
            }
        }
        if exit {
            break;
        }
    }
    drop(_guard);
    crate::timings::mark_peak_rss();
    // Give the worker a moment to RSET and QUIT cleanly; dropping the
    // connection instead would delete nothing either.
    let _ = req_tx.send(Request::QuitDiscard);
    let _ = tokio::time::timeout(Duration::from_secs(3), worker_task).await;
    Ok(())
}

/// Runs `update` and carries out its effects; true when the reader should exit.
fn apply(app: &mut App, msg: Msg, req_tx: &mpsc::UnboundedSender<Request>) -> bool {
    let mut exit = false;
    for effect in update(app, msg) {
        match effect {
            Effect::Worker(r) => {
                let _ = req_tx.send(r);
            }
            Effect::Exit => exit = true,
        }
    }
    exit
}

/// What the frame just drawn shows, for `POSTIE_TIMINGS` (see `timings`).
fn record_milestones(app: &App, done: &mut crate::timings::Once) {
    done.mark("first-frame");
    let height = app.list_height();
    if !app.indexed && app.preview_count > 0 && app.preview.len() >= height.min(app.preview_count) {
        // A first visit's newest rows, ahead of the index.
        done.mark("first-screen");
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
