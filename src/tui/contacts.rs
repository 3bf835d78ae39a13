//! The address book for the reader's completion: read on the store's
//! thread (after learning what this account's store holds that it has not
//! seen: recipients of sent mail, senders of read mail), and
//! `query_command` asked in a task of its own; the answers come back to
//! the app as messages.

use std::sync::Arc;

use rust_i18n::t;

use super::edge::Edge;
use crate::app::Msg;
use crate::contacts::{default_path, Book, ContactsError, Matcher};
use crate::store::Store;
use crate::text::sanitize::sanitize_line;

/// Reads the address book (`Msg::Contacts`).
pub(super) fn load(edge: &Edge) {
    let ui = edge.ui.clone();
    let key = edge.contacts_key.clone();
    let decode = edge.decode;
    let store = edge.store.clone().filter(|_| key.is_some());
    tokio::spawn(async move {
        let now = chrono::Utc::now().timestamp();
        let read = move |s: Option<&mut Store>| -> Result<Matcher, ContactsError> {
            let mut book = Book::open(&default_path())?;
            if let (Some(s), Some(key)) = (s, key.as_ref()) {
                book.learn_from_store(s, key, &decode)?;
            }
            book.matcher(now)
        };
        let result = match store {
            // The demo's throwaway store teaches the user's book nothing.
            Some(store) => store
                .run(move |s| read(Some(s)))
                .await
                .map_err(|_| t!("store.gone").into_owned()),
            None => tokio::task::spawn_blocking(move || read(None))
                .await
                .map_err(|e| e.to_string()),
        };
        let loaded = result
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map(Arc::new)
            .map_err(|e| sanitize_line(&e).into_owned());
        ui.send(Msg::Contacts(loaded));
    });
}

/// Asks `query_command`, when the config has one (`Msg::ContactsFound`).
pub(super) fn query(edge: &Edge, query: String) {
    let Some(path) = edge.config_path.clone() else {
        return;
    };
    let ui = edge.ui.clone();
    tokio::spawn(async move {
        let command = tokio::task::spawn_blocking(move || {
            crate::config::Config::load(Some(&path))
                .ok()
                .flatten()
                .and_then(|c| c.query_command)
        })
        .await
        .ok()
        .flatten();
        let Some(command) = command else {
            return;
        };
        match crate::contacts::external::query(&command, &query).await {
            Ok(found) => ui.send(Msg::ContactsFound { query, found }),
            Err(e) => ui.send(Msg::Notice(
                t!(
                    "contacts.query_failed",
                    error = sanitize_line(&e.to_string())
                )
                .into_owned(),
            )),
        }
    });
}
