//! The prompt line's completion list (a box just above the status line,
//! the chosen candidate reversed) and the addressing prompt's line.

use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use rust_i18n::t;

use crate::app::recipients::{Addressing, Field};
use crate::app::Completion;
use crate::text::sanitize::sanitize_line;
use crate::text::width;

/// How many candidates the box shows at once.
const ROWS: usize = 8;

/// `To: 张伟 <zhang.wei@corp.cn>, ▏   ↓ Cc · Tab: complete`.
pub(super) fn recipients_line(a: &Addressing, text: &str) -> String {
    let (label, hint) = match a.field {
        Field::To => (t!("prompt.to"), t!("prompt.to_hint")),
        Field::Cc => (t!("prompt.cc"), t!("prompt.cc_hint")),
        Field::Bcc => (t!("prompt.bcc"), t!("prompt.bcc_hint")),
    };
    format!("{label} {}▏   {hint}", sanitize_line(text))
}

/// The candidates above the status line `status` (two or more: one is put
/// in place without a list).
pub(super) fn draw(frame: &mut Frame, status: Rect, c: &Completion) {
    let labels: Vec<String> = c.labels().map(|l| sanitize_line(l).into_owned()).collect();
    if labels.len() < 2 || status.y < 3 {
        return;
    }
    let rows = labels.len().min(ROWS).min(status.y as usize - 1);
    let inner = labels.iter().map(|l| width(l)).max().unwrap_or(0).min(60);
    let w = (inner as u16 + 2).min(status.width);
    let h = rows as u16 + 2;
    let area = Rect {
        x: status.x,
        y: status.y - h,
        width: w,
        height: h,
    };
    // The chosen one stays in view.
    let first = c.selected().saturating_sub(rows - 1);
    let lines = super::popup::pick_rows(
        labels.into_iter().enumerate().skip(first).take(rows),
        c.selected(),
        w.saturating_sub(2) as usize,
    );
    let title = format!(" {}/{} ", c.selected() + 1, c.labels().count());
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
