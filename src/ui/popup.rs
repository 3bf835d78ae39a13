//! Pop-ups over the screen: the quit confirmation, help (printed from the
//! keymap table itself) and errors that need the user (login, TLS).

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::keymap::BINDINGS;
use crate::app::Popup;
use crate::text::{fit, wrap};

/// Rows of a pick list, each fitted to `inner` cells, the selected one reversed.
fn pick_rows(
    texts: impl Iterator<Item = (usize, String)>,
    selected: usize,
    inner: usize,
) -> Vec<Line<'static>> {
    texts
        .map(|(i, text)| {
            let text = fit(&text, inner);
            if i == selected {
                Line::from(Span::styled(
                    text,
                    Style::default().add_modifier(Modifier::REVERSED),
                ))
            } else {
                Line::from(text)
            }
        })
        .collect()
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A wide (CJK) character just left of the pop-up covers its left border's
/// cell: the terminal update skips the cell under a wide character's second
/// half, so the border would not be drawn there. Such a character is blanked.
fn clear_straddling(buf: &mut ratatui::buffer::Buffer, rect: Rect) {
    if rect.x <= buf.area.x {
        return;
    }
    for y in rect.top()..rect.bottom() {
        let cell = &mut buf[(rect.x - 1, y)];
        if unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, popup: &Popup, app: &crate::app::App) {
    let (title, lines, w): (String, Vec<Line>, u16) = match popup {
        Popup::ConfirmQuit { count } => (
            " Quit ".into(),
            vec![
                Line::from(""),
                Line::from(Span::styled(
                    format!(
                        " Delete {count} message{} from the server? (y/n/c) ",
                        if *count == 1 { "" } else { "s" }
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(" y  delete them and quit"),
                Line::from(" n  quit, deleting nothing"),
                Line::from(" c  go back"),
            ],
            52,
        ),
        Popup::ConfirmPurge { .. } => (
            " Trash ".into(),
            vec![
                Line::from(""),
                Line::from(Span::styled(
                    " Delete this message for good? (y/n) ",
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(" y  delete the local copy for good"),
                Line::from(" n  keep it in Trash"),
            ],
            52,
        ),
        Popup::Attachments { selected } => {
            let list = match &app.view() {
                crate::app::View::Reader(r) => r
                    .body
                    .as_ref()
                    .map(|b| b.attachments.clone())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let w = 70u16.min(area.width);
            let inner = (w as usize).saturating_sub(4).max(10);
            let mut lines = pick_rows(
                list.iter().enumerate().map(|(i, a)| {
                    let size = crate::text::human_size(a.size);
                    (
                        i,
                        format!(" {}. {} ({}, {size})", a.part, a.name, a.mime_type),
                    )
                }),
                *selected,
                inner,
            );
            lines.push(Line::from(""));
            lines.push(Line::from(
                " s save · S save all · Enter open · | pipe · Esc back",
            ));
            (" Attachments ".into(), lines, w)
        }
        Popup::Links { items, selected } => {
            let w = 76u16.min(area.width);
            let inner = (w as usize).saturating_sub(4).max(10);
            // The rows around the selection, as many as fit.
            let room = area.height.saturating_sub(6).max(1) as usize;
            let first = selected.saturating_sub(room.saturating_sub(1));
            let mut lines = pick_rows(
                items
                    .iter()
                    .enumerate()
                    .skip(first)
                    .take(room)
                    .map(|(i, item)| (i, format!(" {}. {}", i + 1, item))),
                *selected,
                inner,
            );
            lines.push(Line::from(""));
            lines.push(Line::from(
                " Enter copy to your clipboard (OSC 52) · Esc back",
            ));
            (" Links and addresses ".into(), lines, w)
        }
        Popup::Help { scroll } => {
            let mut lines = vec![Line::from(Span::styled(
                format!(
                    " {} {} {}",
                    fit("key", 10),
                    fit("in the list", 30),
                    "in the reader"
                ),
                Style::default().add_modifier(Modifier::BOLD),
            ))];
            for b in BINDINGS {
                let list = b.list.map(|(_, d)| d).unwrap_or("—");
                let reader = b.reader.map(|(_, d)| d).unwrap_or("—");
                lines.push(Line::from(format!(
                    " {} {} {}",
                    fit(b.label, 10),
                    fit(list, 30),
                    reader
                )));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(
                " d only marks: the server deletes when you quit and answer y.",
            ));
            lines.push(Line::from(
                " Flags: N new, D marked, L kept only here, ! flagged, r answered, @ attachment.",
            ));
            lines.push(Line::from(
                " In Trash: d deletes for good, u restores to INBOX.",
            ));
            lines.push(Line::from(
                " j/k scroll this help; any other key closes it.",
            ));
            // On a short terminal the table scrolls, its title row staying put.
            let room = area.height.saturating_sub(2) as usize;
            let extra = lines.len().saturating_sub(room);
            let skip = (*scroll).min(extra);
            let mut shown = vec![lines[0].clone()];
            shown.extend(lines.into_iter().skip(1 + skip));
            (" Help ".into(), shown, 78)
        }
        Popup::ConfirmAbandon => (
            " Abandon ".into(),
            vec![
                Line::from(""),
                Line::from(Span::styled(
                    " Throw this message away? (y/n) ",
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(" y  delete the draft (and the files kept for it)"),
                Line::from(" n  go back (p keeps it in Drafts)"),
            ],
            56,
        ),
        Popup::ConfirmResend { status } => {
            let w = 70u16.min(area.width);
            let inner = (w as usize).saturating_sub(4).max(10);
            let mut lines = vec![
                Line::from(""),
                Line::from(Span::styled(
                    " This message may have been sent already. Send it again? (y/n) ",
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
            ];
            lines.extend(
                wrap(&crate::text::sanitize::sanitize_line(status), inner)
                    .into_iter()
                    .map(|l| Line::from(format!(" {l}"))),
            );
            lines.push(Line::from(""));
            lines.push(Line::from(
                " Check the recipient's mailbox or your provider's Sent folder first.",
            ));
            (" Send again? ".into(), lines, w)
        }
        Popup::ContinueDraft { drafts, selected } => {
            let w = 64u16.min(area.width);
            let inner = (w as usize).saturating_sub(6);
            let mut lines = vec![
                Line::from(format!(
                    " {} draft{} waiting. Enter: go on with it · n: a new message · Esc: cancel",
                    drafts.len(),
                    if drafts.len() == 1 { "" } else { "s" }
                )),
                Line::from(""),
            ];
            for (i, (_, subject)) in drafts.iter().enumerate().take(12) {
                let subject = if subject.is_empty() {
                    "(no subject)"
                } else {
                    subject.as_str()
                };
                let text = fit(&format!(" {subject}"), inner);
                let style = if i == *selected {
                    crate::ui::bar()
                } else {
                    Style::default()
                };
                lines.push(Line::from(Span::styled(text, style)));
            }
            (" Drafts ".into(), lines, w)
        }
        Popup::Error { title, text } => {
            let w = 70u16.min(area.width);
            let inner = (w as usize).saturating_sub(4).max(10);
            let lines = text
                .lines()
                .flat_map(|l| wrap(l, inner))
                .map(|l| Line::from(format!(" {l}")))
                .collect();
            (format!(" {title} "), lines, w)
        }
    };
    let h = lines.len() as u16 + 2;
    let rect = centered(area, w, h.max(5));
    frame.render_widget(Clear, rect);
    clear_straddling(frame.buffer_mut(), rect);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        title,
        Style::default().add_modifier(Modifier::BOLD),
    ));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
