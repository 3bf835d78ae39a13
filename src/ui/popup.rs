//! Pop-ups over the screen: the quit confirmation, help (printed from the
//! keymap table itself) and errors that need the user (login, TLS).

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use rust_i18n::t;

use crate::app::keymap::{Context, BINDINGS};
use crate::app::Popup;
use crate::text::{fit, wrap};

/// Rows of a pick list, each fitted to `inner` cells, the selected one reversed.
pub(super) fn pick_rows(
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

/// A pop-up that asks: the question in bold, then each of `body`'s
/// paragraphs, then the advice (the keys), each wrapped to fit `w`.
fn question_lines(question: &str, body: &[&str], advice: &str, w: u16) -> Vec<Line<'static>> {
    let inner = (w as usize).saturating_sub(4).max(10);
    let mut lines = vec![Line::from("")];
    for l in wrap(question, inner) {
        lines.push(Line::from(Span::styled(
            format!(" {l}"),
            Style::default().add_modifier(Modifier::BOLD),
        )));
    }
    for paragraph in body.iter().chain(std::iter::once(&advice)) {
        lines.push(Line::from(""));
        lines.extend(
            wrap(paragraph, inner)
                .into_iter()
                .map(|l| Line::from(format!(" {l}"))),
        );
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, popup: &Popup, app: &crate::app::App) {
    let (title, lines, w): (String, Vec<Line>, u16) = match popup {
        Popup::ConfirmQuit { count, uncopied } => {
            let mut lines = vec![
                Line::from(""),
                Line::from(Span::styled(
                    format!(
                        " {} ",
                        crate::i18n::count("popup.quit.question", *count as u64)
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                )),
            ];
            if *uncopied > 0 {
                let fields = [
                    ("n", uncopied.to_string()),
                    ("limit", crate::text::human_size(app.trash_limit())),
                ];
                let words = if *uncopied == 1 {
                    crate::i18n::fill("popup.quit.uncopied.one", &fields)
                } else {
                    crate::i18n::fill("popup.quit.uncopied.other", &fields)
                };
                lines.push(Line::from(""));
                lines.extend(
                    wrap(&words, 48)
                        .into_iter()
                        .map(|l| Line::from(format!(" {l}"))),
                );
            }
            lines.extend([
                Line::from(""),
                Line::from(format!(" {}", t!("popup.quit.yes"))),
                Line::from(format!(" {}", t!("popup.quit.no"))),
                Line::from(format!(" {}", t!("popup.quit.cancel"))),
            ]);
            (format!(" {} ", t!("popup.quit.title")), lines, 52)
        }
        Popup::ConfirmCreateFolder { folder, .. } => {
            let w = 60u16.min(area.width);
            let question = t!(
                "popup.create_folder.question",
                name = crate::text::sanitize::sanitize_line(folder.name())
            );
            let lines = question_lines(&question, &[], &t!("popup.create_folder.advice"), w);
            (format!(" {} ", t!("popup.create_folder.title")), lines, w)
        }
        Popup::ConfirmDeleteFolder { folder, count } => {
            let w = 60u16.min(area.width);
            let question = crate::i18n::count("popup.delete_folder.question", *count as u64)
                .replace(
                    "%{name}",
                    &crate::text::sanitize::sanitize_line(folder.name()),
                );
            let lines = question_lines(&question, &[], &t!("popup.delete_folder.advice"), w);
            (format!(" {} ", t!("popup.delete_folder.title")), lines, w)
        }
        Popup::ConfirmPurge { uidls } => (
            format!(" {} ", t!("folder.trash")),
            vec![
                Line::from(""),
                Line::from(Span::styled(
                    format!(
                        " {} ",
                        if uidls.len() == 1 {
                            t!("popup.purge.question").into_owned()
                        } else {
                            crate::i18n::count("popup.purge.question_many", uidls.len() as u64)
                        }
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(format!(" {}", t!("popup.purge.yes"))),
                Line::from(format!(" {}", t!("popup.purge.no"))),
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
            lines.push(Line::from(format!(" {}", t!("popup.attachments.keys"))));
            (format!(" {} ", t!("popup.attachments.title")), lines, w)
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
            lines.push(Line::from(format!(" {}", t!("popup.links.keys"))));
            (format!(" {} ", t!("popup.links.title")), lines, w)
        }
        Popup::Help { scroll } => {
            // As wide as the terminal allows, up to 120 columns; each
            // description wraps within its column, so nothing is cut
            // (English and Chinese alike).
            let w = area.width.clamp(40, 120);
            let inner = w as usize - 2;
            let list_w = (inner - 13) / 2;
            let reader_w = inner - 13 - list_w;
            let mut lines = vec![Line::from(Span::styled(
                format!(
                    " {} {} {}",
                    fit(&t!("help.key"), 10),
                    fit(&t!("help.in_list"), list_w),
                    t!("help.in_reader")
                ),
                Style::default().add_modifier(Modifier::BOLD),
            ))];
            for b in BINDINGS {
                let none = std::borrow::Cow::Borrowed("—");
                let list = b.describe(Context::List).unwrap_or_else(|| none.clone());
                let reader = b.describe(Context::Reader).unwrap_or(none);
                let list = wrap(&list, list_w);
                let reader = wrap(&reader, reader_w);
                for i in 0..list.len().max(reader.len()) {
                    let cell = |v: &Vec<String>| v.get(i).cloned().unwrap_or_default();
                    lines.push(Line::from(format!(
                        " {} {} {}",
                        fit(if i == 0 { b.label } else { "" }, 10),
                        fit(&cell(&list), list_w),
                        cell(&reader)
                    )));
                }
            }
            lines.push(Line::from(""));
            for key in ["help.marks", "help.flags", "help.trash", "help.scroll"] {
                for l in wrap(&crate::i18n::text(key), inner - 2) {
                    lines.push(Line::from(format!(" {l}")));
                }
            }
            // On a short terminal the table scrolls, its title row staying
            // put, and the last row says when there is more below.
            let room = area.height.saturating_sub(2) as usize;
            let extra = lines.len().saturating_sub(room);
            let skip = (*scroll).min(extra);
            let mut shown = vec![lines[0].clone()];
            shown.extend(lines.into_iter().skip(1 + skip));
            if skip < extra && room > 2 {
                shown.truncate(room - 1);
                shown.push(Line::from(Span::styled(
                    format!(" {}", t!("help.more")),
                    Style::default().add_modifier(Modifier::BOLD),
                )));
            }
            (format!(" {} ", t!("help.title")), shown, w)
        }
        Popup::ConfirmAbandon => (
            format!(" {} ", t!("popup.abandon.title")),
            vec![
                Line::from(""),
                Line::from(Span::styled(
                    format!(" {} ", t!("popup.abandon.question")),
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(format!(" {}", t!("popup.abandon.yes"))),
                Line::from(format!(" {}", t!("popup.abandon.no"))),
            ],
            56,
        ),
        Popup::ConfirmReceipt { to, .. } => {
            let question = t!(
                "popup.receipt.question",
                to = crate::text::sanitize::sanitize_line(to)
            );
            let w = 64u16.min(area.width);
            let lines = question_lines(&question, &[], &t!("popup.receipt.advice"), w);
            (format!(" {} ", t!("popup.receipt.title")), lines, w)
        }
        Popup::ConfirmMarkAllRead { count } => {
            let w = 56u16.min(area.width);
            let question = crate::i18n::count("popup.mark_all_read.question", *count as u64);
            let lines = question_lines(&question, &[], &t!("popup.mark_all_read.advice"), w);
            (format!(" {} ", t!("popup.mark_all_read.title")), lines, w)
        }
        Popup::ConfirmNoSubject => {
            let w = 60u16.min(area.width);
            let lines = question_lines(
                &t!("popup.no_subject.question"),
                &[],
                &t!("popup.no_subject.advice"),
                w,
            );
            (format!(" {} ", t!("popup.no_subject.title")), lines, w)
        }
        Popup::ConfirmResend { status } => {
            let w = 70u16.min(area.width);
            let status = crate::text::sanitize::sanitize_line(status);
            let lines = question_lines(
                &t!("popup.resend.question"),
                &[status.as_ref()],
                &t!("popup.resend.advice"),
                w,
            );
            (format!(" {} ", t!("popup.resend.title")), lines, w)
        }
        Popup::ContinueDraft { drafts, selected } => {
            let w = 64u16.min(area.width);
            let inner = (w as usize).saturating_sub(6);
            let mut lines: Vec<Line> = wrap(
                &format!(
                    "{} {}",
                    crate::i18n::count("popup.drafts.waiting", drafts.len() as u64),
                    t!("popup.drafts.keys")
                ),
                inner + 2,
            )
            .into_iter()
            .map(|l| Line::from(format!(" {l}")))
            .collect();
            lines.push(Line::from(""));
            for (i, (_, subject)) in drafts.iter().enumerate().take(12) {
                let no_subject = t!("list.no_subject");
                let subject = if subject.is_empty() {
                    &*no_subject
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
            (format!(" {} ", t!("folder.drafts")), lines, w)
        }
        Popup::SignIn { code } => {
            let w = 70u16.min(area.width);
            let inner = (w as usize).saturating_sub(4).max(10);
            let text = match code {
                Some((url, code)) => t!("popup.signin.code", url = url, code = code),
                None => t!("popup.signin.starting"),
            };
            let mut lines: Vec<Line> = text
                .lines()
                .flat_map(|l| wrap(l, inner))
                .map(|l| Line::from(format!(" {l}")))
                .collect();
            lines.push(Line::from(""));
            lines.push(Line::from(format!(" {}", t!("popup.signin.hide"))));
            (format!(" {} ", t!("popup.signin.title")), lines, w)
        }
        Popup::Error { title, text, .. } => {
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
