//! The compose screen: who the message goes to, its subject, attachments,
//! what happened to an earlier attempt, and the start of the text.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use rust_i18n::t;

use crate::app::Compose;
use crate::text::sanitize::sanitize_line;
use crate::text::{fit, human_size, wrap};

const LABEL: usize = 10;

fn field<'a>(label: &str, value: &str, inner: usize) -> Vec<Line<'a>> {
    let value = sanitize_line(value).into_owned();
    let room = inner.saturating_sub(LABEL).max(10);
    let mut out = Vec::new();
    for (i, part) in wrap(&value, room).into_iter().enumerate() {
        let head = if i == 0 {
            format!(" {}", fit(label, LABEL - 1))
        } else {
            " ".repeat(LABEL)
        };
        out.push(Line::from(vec![
            Span::styled(head, Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(part),
        ]));
    }
    if out.is_empty() {
        out.push(Line::from(Span::styled(
            format!(" {}", fit(label, LABEL - 1)),
            Style::default().add_modifier(Modifier::BOLD),
        )));
    }
    out
}

pub fn draw(frame: &mut Frame, area: Rect, c: &Compose) {
    let inner = area.width as usize;
    let d = &c.view.draft;
    let mut lines: Vec<Line> = vec![Line::from("")];
    lines.extend(field(&t!("field.from"), &d.from, inner));
    lines.extend(field(&t!("field.to"), &d.to, inner));
    if !d.cc.trim().is_empty() {
        lines.extend(field(&t!("field.cc"), &d.cc, inner));
    }
    if !d.bcc.trim().is_empty() {
        lines.extend(field(&t!("field.bcc"), &d.bcc, inner));
    }
    lines.extend(field(&t!("field.subject"), &d.subject, inner));
    let attach = t!("field.attach");
    if c.view.attachments.is_empty() {
        lines.extend(field(&attach, &t!("compose.no_attachments"), inner));
    } else {
        for (i, (name, size)) in c.view.attachments.iter().enumerate() {
            let size = size.map_or_else(|| t!("compose.unreadable").into_owned(), human_size);
            let label = if i == 0 { &*attach } else { "" };
            lines.extend(field(label, &format!("{}. {name} ({size})", i + 1), inner));
        }
    }
    let warn = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
    if let Some(e) = &c.error {
        for l in wrap(
            &t!("compose.not_sent", error = sanitize_line(e)),
            inner.saturating_sub(2),
        ) {
            lines.push(Line::from(Span::styled(format!(" {l}"), warn)));
        }
        lines.push(Line::from(format!(" {}", t!("compose.kept_in_drafts"))));
    } else if !d.status.is_empty() {
        for l in wrap(&sanitize_line(&d.status), inner.saturating_sub(2)) {
            lines.push(Line::from(Span::styled(format!(" {l}"), warn)));
        }
    }
    lines.push(Line::from(Span::styled(
        fit(&format!(" {}", "─".repeat(inner.saturating_sub(2))), inner),
        Style::default().add_modifier(Modifier::DIM),
    )));
    let room = (area.height as usize).saturating_sub(lines.len());
    for l in d.body.lines().take(room) {
        lines.push(Line::from(format!(
            " {}",
            fit(&sanitize_line(l), inner.saturating_sub(1))
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
