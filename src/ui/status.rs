//! The status line's words: loading, counts, limits, downloads, marks, and
//! what to do when not logged in.

use crate::app::{App, Connection};
use crate::i18n::count;
use crate::store::Folder;
use rust_i18n::t;

/// The status line's own words (before any notice).
pub fn status(app: &App) -> String {
    // The preview exists only before the index (which replaces it).
    let base = if !app.preview().is_empty() {
        t!(
            "status.loading",
            done = app.preview().len(),
            total = app.preview_count()
        )
        .into_owned()
    } else if *app.folder() != Folder::Inbox {
        count("count.messages", app.list().len() as u64)
    } else if !app.indexed()
        && app.list().is_empty()
        && !app.needs_password()
        && app.trouble().is_none()
    {
        t!("status.connecting").into_owned()
    } else if !app.indexed() && app.trouble().is_some() {
        // Under a login or certificate pop-up: not "connecting…".
        count("status.stored_not_logged_in", app.list().len() as u64)
    } else if !app.indexed() {
        let n = app.list().len() as u64;
        if app.connection() == Connection::Offline || app.needs_password() {
            count("status.stored", n)
        } else {
            count("status.stored_connecting", n)
        }
    } else if app.list().loaded < app.list().len() {
        t!(
            "status.loading",
            done = app.list().loaded,
            total = app.list().len()
        )
        .into_owned()
    } else {
        count("count.messages", app.list().len() as u64)
    };
    let base = match &app.list().limit {
        Some(l) => t!(
            "status.limit",
            pattern = l.pattern.text,
            shown = app.list().shown(),
            total = app.list().len()
        )
        .into_owned(),
        None => base,
    };
    let base = match app.downloading() {
        Some((done, total)) if done < total => {
            format!(
                "{base}, {}",
                t!("status.downloading", done = done, total = total)
            )
        }
        _ => base,
    };
    let base = if app.marks().is_empty() {
        base
    } else {
        format!(
            "{base}, {}",
            count("status.marked", app.marks().len() as u64)
        )
    };
    let base = if app.tags().is_empty() {
        base
    } else {
        format!(
            "{base}, {}",
            count("status.tagged", app.tags().len() as u64)
        )
    };
    // The reader of a message with a text and an HTML part says which is shown.
    let base = match app.view() {
        crate::app::View::Reader(r) if r.body.as_ref().is_some_and(|b| b.html.is_some()) => {
            if r.html {
                format!("{base} · {}", t!("status.html_part"))
            } else {
                format!("{base} · {}", t!("status.text_part"))
            }
        }
        _ => base,
    };
    if app.needs_password() && app.prompt().is_none() {
        format!("{base} · {}", t!("status.not_logged_in"))
    } else if app.header().mode == "demo" {
        format!("{base} · {}", t!("status.demo_add_account"))
    } else {
        base
    }
}
