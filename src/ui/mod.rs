//! Drawing: `draw(frame, &App)` reads the state and paints it. It cannot
//! change state, does no I/O and no decoding; the list draws only the rows on
//! screen. Colours are the 16 basic ones plus reverse video, so any terminal
//! (and any theme) stays readable.

mod complete;
mod compose;
mod popup;
pub mod status;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use rust_i18n::t;

use crate::app::desk::{side_account, Desk, SideAccount};
use crate::app::{App, BodyState, Connection, Prompt, View};
use crate::mime::Summary;
use crate::store::{Flags, Folder};
use crate::text::sanitize::sanitize_line;
use crate::text::{fit, fit_right, human_size, width};

/// Terminals this wide or wider show the folder sidebar.
pub const SIDEBAR_FROM: u16 = 100;
const SIDEBAR_WIDTH: u16 = 16;

pub fn bar() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

pub fn draw(frame: &mut Frame, app: &App) {
    draw_with(frame, app, &[side_account(app, true)]);
}

/// The reader with several accounts: the one shown, every one in the sidebar.
pub fn draw_desk(frame: &mut Frame, desk: &Desk) {
    draw_with(frame, desk.app(), &desk.sidebar());
}

fn draw_with(frame: &mut Frame, app: &App, sidebar: &[SideAccount]) {
    let area = frame.area();
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, app);
    match &app.view() {
        _ if app.compose().is_some() => {
            if let Some(c) = &app.compose() {
                compose::draw(frame, body, c);
            }
        }
        View::List if area.width >= SIDEBAR_FROM => {
            let [side, list] =
                Layout::horizontal([Constraint::Length(SIDEBAR_WIDTH), Constraint::Min(1)])
                    .areas(body);
            draw_sidebar(frame, side, sidebar);
            draw_list(frame, list, app);
        }
        View::List => draw_list(frame, body, app),
        View::Reader(r) => draw_reader(frame, body, app, r),
    }
    draw_status(frame, status, app);
    if let Some(c) = app.completion() {
        complete::draw(frame, status, c);
    }
    if let Some(p) = &app.popup() {
        popup::draw(frame, area, p, app);
    }
}

/// Each account, each of its folders with the unread count; the shown one
/// highlighted; an account's trouble (a refused login) under its name.
fn draw_sidebar(frame: &mut Frame, area: Rect, accounts: &[SideAccount]) {
    let w = SIDEBAR_WIDTH as usize - 1;
    let mut lines = Vec::new();
    for (k, a) in accounts.iter().enumerate() {
        if k > 0 {
            lines.push(Line::from(""));
        }
        lines.push(Line::from(Span::styled(
            fit(&format!(" {}", sanitize_line(&a.name)), w),
            Style::default().add_modifier(Modifier::BOLD),
        )));
        if let Some(t) = &a.trouble {
            lines.push(Line::from(Span::styled(
                fit(&format!(" ✗ {}", sanitize_line(t)), w),
                Style::default().fg(Color::Red),
            )));
        }
        for (f, unread) in &a.folders {
            // The user's folders by their last level, indented by depth.
            let name = match f {
                crate::store::Folder::Own(n) => n.rsplit('/').next().unwrap_or(n).to_string(),
                f => f.label().into_owned(),
            };
            let indent = "  ".repeat(f.depth());
            let name = sanitize_line(&name);
            let label = if *unread > 0 {
                format!("  {indent}{name} ({unread})")
            } else {
                format!("  {indent}{name}")
            };
            let mut style = Style::default();
            if *unread > 0 {
                style = style.add_modifier(Modifier::BOLD);
            }
            if a.shown.as_ref() == Some(f) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            lines.push(Line::from(Span::styled(fit(&label, w), style)));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let h = &app.header();
    let mode = match app.connection() {
        Connection::Offline | Connection::Lost => t!("header.offline"),
        _ => std::borrow::Cow::Borrowed(h.mode.as_str()),
    };
    let text = format!(
        " postie │ {} │ {} │ {} │ {}",
        h.account,
        app.folder().label(),
        h.server,
        mode
    );
    let line = fit(&sanitize_line(&text), area.width as usize);
    frame.render_widget(
        Paragraph::new(Span::styled(line, bar().add_modifier(Modifier::BOLD))),
        area,
    );
}

/// Column widths for the list at `total` cells: flags, date, from, subject, size.
pub struct Columns {
    pub date: usize,
    pub from: usize,
    pub subject: usize,
    pub size: usize,
}

pub fn columns(total: usize) -> Columns {
    let date = if total >= 100 { 16 } else { 11 };
    let size = 6;
    let from = if total >= 160 {
        30
    } else if total >= 100 {
        24
    } else {
        18
    };
    // flags (5) + four gaps of 1-2 cells between columns
    let others = 5 + 1 + date + 2 + 2 + 2 + size;
    let room = total.saturating_sub(others);
    // The subject has priority: when it would be narrower than the sender,
    // the sender gets a third of the room.
    let from = if room.saturating_sub(from) < from {
        room / 3
    } else {
        from
    };
    Columns {
        date,
        from,
        subject: room.saturating_sub(from).max(1),
        size,
    }
}

fn draw_list(frame: &mut Frame, area: Rect, app: &App) {
    let [titles, rows] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let c = columns(area.width as usize);
    let title = format!(
        "      {}  {}  {}  {}",
        fit(&t!("list.column.date"), c.date),
        fit(&t!("list.column.from"), c.from),
        fit(&t!("list.column.subject"), c.subject),
        fit_right(&t!("list.column.size"), c.size)
    );
    frame.render_widget(
        Paragraph::new(Span::styled(
            title,
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )),
        titles,
    );

    if (app.indexed() || *app.folder() != Folder::Inbox) && app.list().is_empty() {
        let text = if *app.folder() == Folder::Inbox {
            format!("  {}", t!("list.mailbox_empty"))
        } else {
            format!(
                "  {}",
                t!("list.folder_empty", folder = app.folder().label())
            )
        };
        frame.render_widget(Paragraph::new(Span::styled(text, dim())), rows);
        return;
    }
    let height = rows.height as usize;
    let row =
        |index: usize, summary: Option<&Summary>, size: Option<u64>, marked, flags: RowFlags| {
            let unread = flags.unread;
            // Dates are formatted here, for the rows on screen only.
            // Sent and Drafts show whom a message is to, not who wrote it.
            let to_folder = matches!(app.folder(), Folder::Sent | Folder::Drafts);
            let (date, from, subject, attach) = match summary {
                Some(s) => (
                    s.local_date(c.date < 16, app.zone()),
                    if to_folder {
                        t!("list.to", name = s.recipient()).into_owned()
                    } else {
                        s.from().to_string()
                    },
                    s.subject(),
                    s.maybe_attachment(),
                ),
                None => (String::new(), "…".to_string(), "", false),
            };
            // Threads: the tree before the subject; a folded thread says what it holds.
            let threaded;
            let subject = match app.list().tree_of(index) {
                Some(cell) => {
                    let prefix = &cell.prefix;
                    // A folded thread's count stays visible: the subject
                    // gives way to it, not the other way round.
                    let counted = |count: String| {
                        let count = format!(" ({count})");
                        let room = c
                            .subject
                            .saturating_sub(width(prefix) + width(&count))
                            .max(4);
                        format!(
                            "{prefix}{}{count}",
                            crate::text::truncate(&sanitize_line(subject), room)
                        )
                    };
                    threaded = match cell.folded {
                        Some((n, 0)) => counted(crate::i18n::count("count.messages", n as u64)),
                        Some((n, u)) => counted(format!(
                            "{}, {}",
                            crate::i18n::count("count.messages", n as u64),
                            t!("list.unread", n = u)
                        )),
                        None => format!("{prefix}{subject}"),
                    };
                    threaded.as_str()
                }
                None => subject,
            };
            let flags = Span::styled(
                format!(
                    "{}{}{}{}{}",
                    if unread { 'N' } else { ' ' },
                    if marked {
                        'D'
                    } else if flags.tagged {
                        '*'
                    } else if flags.local_only {
                        'L'
                    } else {
                        ' '
                    },
                    if flags.flagged { '!' } else { ' ' },
                    if flags.answered { 'r' } else { ' ' },
                    if attach { '@' } else { ' ' }
                ),
                if marked {
                    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
                } else if flags.tagged {
                    Style::default()
                        .fg(Color::Yellow)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::default().fg(Color::Cyan)
                },
            );
            // The gate to the terminal: the rows on screen are sanitised
            // here, whatever the store or a cache held.
            let rest = format!(
                " {}  {}  {}  {}",
                fit(&sanitize_line(&date), c.date),
                fit(&sanitize_line(&from), c.from),
                fit(&sanitize_line(subject), c.subject),
                fit_right(&size.map(human_size).unwrap_or_default(), c.size)
            );
            let mut style = Style::default();
            if unread {
                style = style.add_modifier(Modifier::BOLD);
            }
            if marked {
                style = style.fg(Color::Red).add_modifier(Modifier::CROSSED_OUT);
            }
            if index == app.list().selected {
                style = style.add_modifier(Modifier::REVERSED);
            }
            let flags = if index == app.list().selected {
                flags.patch_style(Style::default().add_modifier(Modifier::REVERSED))
            } else {
                flags
            };
            Line::from(vec![flags, Span::styled(rest, style)])
        };
    let lines: Vec<Line> = if app.indexed() || !app.list().is_empty() || app.preview().is_empty() {
        app.list()
            .visible(height)
            .iter()
            .enumerate()
            .map(|(i, e)| {
                row(
                    app.list().offset + i,
                    e.summary.as_deref(),
                    Some(e.size),
                    app.marks().contains(&*e.uidl),
                    RowFlags {
                        unread: !e.seen(),
                        flagged: e.flags.contains(Flags::FLAGGED),
                        answered: e.flags.contains(Flags::ANSWERED),
                        local_only: e.local_only(),
                        tagged: app.tags().contains(&e.uidl),
                    },
                )
            })
            .collect()
    } else {
        // The newest rows before the index: nothing is read or marked yet,
        // and sizes come with the index.
        app.preview()
            .iter()
            .take(height)
            .enumerate()
            .map(|(i, s)| row(i, Some(s), None, false, RowFlags::new_mail()))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), rows);
}

/// What the flag columns show for a row.
#[derive(Clone, Copy)]
struct RowFlags {
    unread: bool,
    flagged: bool,
    answered: bool,
    local_only: bool,
    /// Tagged (`T`, `*`): shown as `*`.
    tagged: bool,
}

impl RowFlags {
    fn new_mail() -> RowFlags {
        RowFlags {
            unread: true,
            flagged: false,
            answered: false,
            local_only: false,
            tagged: false,
        }
    }
}

/// How far a download is, 0 to 100 (a server that sends more than LIST
/// said is at 100, not at 340187517).
fn percent(received: u64, total: u64) -> u64 {
    (received.saturating_mul(100) / total.max(1)).min(100)
}

fn draw_reader(frame: &mut Frame, area: Rect, app: &App, r: &crate::app::Reader) {
    if r.body.is_none() {
        let text = match app.bodies().get(&r.uidl) {
            Some(BodyState::Loading {
                received, total, ..
            }) if *total > 0 && *received > 0 => {
                format!(
                    "  {}",
                    t!(
                        "reader.loading_progress",
                        received = human_size(*received),
                        total = human_size(*total),
                        percent = percent(*received, *total)
                    )
                )
            }
            Some(BodyState::Failed(e)) => format!("  {}", t!("reader.cannot_show", error = e)),
            _ => format!("  {}", t!("reader.loading")),
        };
        frame.render_widget(Paragraph::new(Span::styled(text, dim())), area);
        return;
    }
    let height = area.height as usize;
    let query = r.search.as_deref();
    let lines: Vec<Line> = r
        .lines
        .iter()
        .enumerate()
        .skip(r.scroll)
        .take(height)
        .map(|(i, text)| {
            let mut style = Style::default();
            if i < r.header_lines {
                style = style.add_modifier(Modifier::BOLD);
            }
            if query.is_some_and(|q| text.to_lowercase().contains(q)) {
                style = style.fg(Color::Black).bg(Color::Yellow);
            }
            Line::from(Span::styled(sanitize_line(text).into_owned(), style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let total = area.width as usize;
    let left = match (&app.input(), &app.prompt()) {
        (_, Some((Prompt::SaveTo { .. }, text))) => format!("{} {text}▏", t!("prompt.save_to")),
        (_, Some((Prompt::Pipe { .. }, text))) => format!("{} {text}▏", t!("prompt.pipe")),
        (_, Some((Prompt::Attach { .. }, text))) => format!("{} {text}▏", t!("prompt.attach")),
        (_, Some((Prompt::Limit, text))) => format!("{} {text}▏", t!("prompt.limit")),
        (_, Some((Prompt::PipeMessage { .. }, text))) => {
            format!("{} {text}▏", t!("prompt.pipe_message"))
        }
        (_, Some((Prompt::SaveTagged { uidls }, text))) => format!(
            "{} {text}▏",
            crate::i18n::count("prompt.save_tagged", uidls.len() as u64)
        ),
        (_, Some((Prompt::Folder(purpose), text))) => {
            use crate::app::filing::FolderPurpose;
            let ask = match purpose {
                FolderPurpose::Go if app.folder().is_own() => t!(
                    "prompt.folder_go_own",
                    name = sanitize_line(app.folder().name())
                )
                .into_owned(),
                FolderPurpose::Go => t!("prompt.folder_go").into_owned(),
                FolderPurpose::File { uidls, copy: false } => {
                    crate::i18n::count("prompt.folder_move", uidls.len() as u64)
                }
                FolderPurpose::File { uidls, copy: true } => {
                    crate::i18n::count("prompt.folder_copy", uidls.len() as u64)
                }
                FolderPurpose::Rename(f) => {
                    t!("prompt.folder_rename", name = sanitize_line(f.name())).into_owned()
                }
            };
            let found = app.folder_candidates(text);
            let hint = if found.is_empty() {
                t!("prompt.folder_new").into_owned()
            } else {
                found.iter().take(8).cloned().collect::<Vec<_>>().join("  ")
            };
            format!("{ask} {text}▏   {}", sanitize_line(&hint))
        }
        (_, Some((Prompt::Recipients(a), text))) => complete::recipients_line(a, text),
        (_, Some((Prompt::Password { reason }, text))) => {
            let why = reason
                .as_deref()
                .map(|r| format!("{r} · "))
                .unwrap_or_default();
            format!(
                " {why}{} {}▏",
                t!(
                    "prompt.password",
                    account = app.header().account,
                    server = app.header().server
                ),
                "*".repeat(text.chars().count())
            )
        }
        (None, None) if app.compose().is_some() => {
            let c = app
                .compose()
                .as_ref()
                .map(|c| c.prompt())
                .unwrap_or_default();
            match &app.notice() {
                Some(n) => format!(" {n} · {c}"),
                None => format!(" {c}"),
            }
        }
        (Some(text), None) => format!("/{text}▏"),
        // What just happened comes first: it is what the user is looking for.
        (None, None) => {
            let mut s = match &app.notice() {
                Some(n) => format!(" {n} · {}", status::status(app)),
                None => format!(" {}", status::status(app)),
            };
            if let Some(d) = &app.detail() {
                s.push_str(" · ");
                s.push_str(d);
            }
            // Too long for the line: the notice alone (its advice is what
            // the user needs), cut in the middle if it must be.
            match &app.notice() {
                Some(n) if width(&s) + 12 > total => format!(" {n}"),
                _ => s,
            }
        }
    };
    let right = match &app.view() {
        _ if app.compose().is_some() => String::new(),
        View::List => format!("{} ", t!("status.help")),
        View::Reader(r) => match (app.bodies().get(&r.uidl), &r.body) {
            // Nothing to scroll yet: the loading text says how far it is.
            (_, None) => format!("{} ", t!("status.help")),
            (
                Some(BodyState::Loading {
                    received,
                    total,
                    preview: Some(p),
                }),
                Some(_),
            ) => format!(
                "{} · {} ",
                t!(
                    "status.preview",
                    shown = human_size(p.shown),
                    percent = percent(*received, *total)
                ),
                t!("status.help")
            ),
            _ => {
                let pct = if r.lines.is_empty() {
                    100
                } else {
                    ((r.scroll + app.reader_height()).min(r.lines.len()) * 100 / r.lines.len())
                        .min(100)
                };
                format!("{pct}% · {} ", t!("status.help"))
            }
        },
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            status_line(&sanitize_line(&left), &right, total),
            bar(),
        )),
        area,
    );
}

fn status_line(left: &str, right: &str, total: usize) -> String {
    let right_w = width(right);
    if width(left) + right_w + 1 > total {
        return fit(&crate::text::truncate_middle(left, total), total);
    }
    format!("{}{right}", fit(left, total - right_w))
}

#[cfg(test)]
mod tests;
