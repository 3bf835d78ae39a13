//! The interactive reader's outer shell: terminal set-up and restore (normal
//! exit, error, panic, SIGTERM, Ctrl-C), the event loop over terminal events
//! and worker events, and the log file. The only code that uses crossterm.

use rust_i18n::t;
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
mod contacts;
mod edge;
mod signin;
mod start;
mod terminal;

use edge::*;
use start::*;
use terminal::*;

pub async fn run(args: &SourceArgs) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        anyhow::bail!("{}", t!("tui.needs_terminal"));
    }
    // Opened off the async threads; kept until the reader ends, so the
    // last lines reach the file.
    let _log = tokio::task::spawn_blocking(start_log).await.ok().flatten();
    let (accounts, shown) = crate::accounts::resolve_all(args).await?;
    let config_path = Some(
        args.config
            .clone()
            .unwrap_or_else(crate::paths::config_file),
    );
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
        let (r, app) = start_account(
            next_id,
            ra,
            &merged_tx,
            dims,
            i == shown,
            config_path.clone(),
        )
        .await;
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
                Err(e) => t!("notice.cannot_pipe", error = format!("{e:#}")).into(),
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
                        let (r, app) =
                            start_account(next_id, ra, &merged_tx, dims, true, config_path.clone())
                                .await;
                        let old = std::mem::replace(&mut running[0], r);
                        old.forward.abort();
                        let _ = old.edge.req_tx.send(Request::QuitDiscard);
                        desk.replace(0, app);
                        demo = false;
                    } else {
                        let (r, app) =
                            start_account(next_id, ra, &merged_tx, dims, true, config_path.clone())
                                .await;
                        running.push(r);
                        desk.push(app);
                    }
                    let name = desk.app().header().account.clone();
                    let shown = Some(desk.current);
                    work.take(
                        &running,
                        desk.update(
                            Msg::Notice(t!("notice.account_added", name = name).into()),
                            shown,
                        ),
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

/// What the frame just drawn shows, for `POSTIE_TIMINGS` (see `timings`).
fn record_milestones(app: &App, done: &mut crate::timings::Once) {
    done.mark("first-frame");
    let height = app.list_height();
    if !app.indexed()
        && app.preview_count() > 0
        && app.preview().len() >= height.min(app.preview_count())
    {
        // A first visit's newest rows, ahead of the index.
        done.mark("first-screen");
    }
    if !app.indexed() && !app.list().is_empty() {
        // The list from the local store, before any server reply.
        let visible = app.list().visible(height);
        if visible.iter().all(|e| e.summary.is_some()) {
            done.mark("stored-screen");
        }
    }
    if app.indexed() {
        done.mark("indexed");
        let visible = app.list().visible(height);
        if !visible.is_empty() && visible.iter().all(|e| e.summary.is_some()) {
            done.mark("first-screen");
        }
        if app.list().loaded == app.list().len() {
            done.mark("list-complete");
        }
    }
}
