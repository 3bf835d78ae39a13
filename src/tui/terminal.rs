//! The terminal: raw mode and the alternate screen (restored on every way
//! out), its events as keys and mouse messages, the title and the bell.

use super::*;
use rust_i18n::t;

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

pub(super) type Term = Terminal<CrosstermBackend<Stdout>>;

pub(super) fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped, whatever way the loop ends.
pub(super) struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

pub(super) fn setup_terminal() -> Result<(Term, TerminalGuard)> {
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
    enable_raw_mode().with_context(|| t!("tui.raw_mode").into_owned())?;
    let guard = TerminalGuard;
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
        .context("cannot set up the terminal")?;
    let terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .context("cannot set up the terminal")?;
    Ok((terminal, guard))
}

/// Logs go to `$XDG_STATE_HOME/postie/postie.log`, never to the terminal.
pub(super) fn start_log() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = crate::paths::xdg_dir("XDG_STATE_HOME", ".local/state").join("postie");
    // The log names accounts, servers and errors: 0700 and 0600, and a
    // symlink planted at its name is never followed.
    if crate::store::maildir::private_dir(&dir).is_err() {
        return None;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dir.join("postie.log"))
    else {
        return None;
    };
    // A log an older postie made readable by others is made private.
    if let Ok(meta) = file.metadata() {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
    }
    // POSTIE_LOG names a level (error, warn, info, debug, trace, off); a
    // plain level filter, not EnvFilter's directives, which would bring in
    // the regex engine (about 1 MB of the binary) for nothing else.
    let level = std::env::var("POSTIE_LOG")
        .ok()
        .and_then(|v| {
            v.trim()
                .parse::<tracing_subscriber::filter::LevelFilter>()
                .ok()
        })
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    // Lines are written by the appender's own thread: a task that logs
    // never waits on the file system. Its queue is made for 128,000 lines
    // by default, all allocated and touched at once (4 MB of memory for a
    // log of a few lines a minute); 1,024 are plenty, and lines beyond
    // them are dropped rather than waited for.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .lossy(true)
        .finish(file);
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_max_level(level)
        .try_init();
    Some(guard)
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

pub(super) fn msg_from(ev: TermEvent) -> Option<Msg> {
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

/// Writes OSC 2 (the window title); `text` is already `title_safe`.
pub(super) struct SetTitle<'a>(pub(super) &'a str);

impl crossterm::Command for SetTitle<'_> {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        write!(f, "\x1b]2;{}\x07", self.0)
    }
}

/// Saves the title on xterm's title stack at start, restores it at exit.
pub(super) struct TitleStack(pub(super) bool);

impl crossterm::Command for TitleStack {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str(if self.0 { "\x1b[22;0t" } else { "\x1b[23;0t" })
    }
}

/// The terminal bell.
pub(super) struct Bell;

impl crossterm::Command for Bell {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x07")
    }
}

/// Sets the terminal's title when the unread counts changed.
pub(super) fn retitle(desk: &Desk, shown: &mut String) {
    let title = desk.title();
    if title != *shown {
        let _ = execute!(std::io::stdout(), SetTitle(&title));
        *shown = title;
    }
}
