//! The status line's words: loading, counts, limits, downloads, marks, and
//! what to do when not logged in.

use crate::app::{App, Connection};
use crate::store::Folder;

/// The status line's own words (before any notice).
pub fn status(app: &App) -> String {
    // The preview exists only before the index (which replaces it).
    let base = if !app.preview().is_empty() {
        format!("loading {}/{}", app.preview().len(), app.preview_count())
    } else if app.folder() != Folder::Inbox {
        let n = app.list().len();
        format!("{n} message{}", if n == 1 { "" } else { "s" })
    } else if !app.indexed()
        && app.list().is_empty()
        && !app.needs_password()
        && app.trouble().is_none()
    {
        "connecting…".to_string()
    } else if !app.indexed() && app.trouble().is_some() {
        // Under a login or certificate pop-up: not "connecting…".
        let n = app.list().len();
        format!(
            "{n} message{} stored here, not logged in",
            if n == 1 { "" } else { "s" }
        )
    } else if !app.indexed() {
        let n = app.list().len();
        let how = if app.connection() == Connection::Offline || app.needs_password() {
            "stored here"
        } else {
            "stored here, connecting…"
        };
        format!("{n} message{} {how}", if n == 1 { "" } else { "s" })
    } else if app.list().loaded < app.list().len() {
        format!("loading {}/{}", app.list().loaded, app.list().len())
    } else {
        let n = app.list().len();
        format!("{n} message{}", if n == 1 { "" } else { "s" })
    };
    let base = match &app.list().limit {
        Some(l) => format!(
            "limit: {} ({} of {})",
            l.pattern.text,
            app.list().shown(),
            app.list().len()
        ),
        None => base,
    };
    let base = match app.downloading() {
        Some((done, total)) if done < total => format!("{base}, downloading {done}/{total}"),
        _ => base,
    };
    let base = if app.marks().is_empty() {
        base
    } else {
        format!("{base}, {} marked for deletion", app.marks().len())
    };
    if app.needs_password() && app.prompt().is_none() {
        format!("{base} · not logged in: press R to type the password")
    } else if app.header().mode == "demo" {
        format!("{base} · press A to add your account")
    } else {
        base
    }
}
