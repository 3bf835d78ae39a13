//! The command-line edge: `postie list`, `search`, `show`, `save`, `send`
//! and `fetch`, one file a command, each a thin layer over `accounts` (what
//! to talk to), `sync` (what to do) and the tasks below; printing and exit
//! codes live here.

pub mod args;
pub mod contacts;
pub mod export;
mod fetch;
pub mod folders;
pub mod import;
mod list;
mod listing;
pub mod numbers;
pub mod send;
mod show;

pub use fetch::run as run_fetch;
pub use list::{format_listing, run_list, run_search, sync_listing, ListedMessage};
pub use show::{fetch_into, run_save, run_show, Selector};

use rust_i18n::t;
use std::io::Write;

use anyhow::{anyhow, Result};

use crate::accounts::Source;
use crate::error::{Classify, ErrorClass};
use crate::pop3::{Client, Pop3Error};
use crate::store::StoreHandle;

/// How long an exiting command waits for the store to close tidily.
const STORE_CLOSE: std::time::Duration = std::time::Duration::from_secs(10);

/// The store for a command-line run: what opening it had to do (an index
/// moved aside and rebuilt) is said on stderr.
async fn cli_store(source: &Source) -> Option<StoreHandle> {
    let store = source.open_store().await?;
    if let Ok(notes) = store.run(|s| std::mem::take(&mut s.notes)).await {
        for n in notes {
            eprintln!(
                "postie: {}",
                t!(
                    "out.warn.store_note",
                    note = crate::text::sanitize::sanitize_line(&n)
                )
            );
        }
    }
    Some(store)
}

/// QUIT for a session that marked nothing: its answer cannot lose anything,
/// so an `-ERR` (or a dropped link) is a warning, not a failure.
async fn quit_read_only(client: Client) {
    if let Err(e) = client.quit().await {
        eprintln!(
            "postie: {}",
            t!(
                "out.warn.quit_read_only",
                error = crate::text::sanitize::sanitize_line(&e.to_string())
            )
        );
    }
}

/// The class of a command's error: that of the first classified error in
/// its chain (under whatever context was added), else this machine's.
pub fn class_of(e: &anyhow::Error) -> ErrorClass {
    e.chain()
        .find_map(|c| {
            c.downcast_ref::<Pop3Error>()
                .map(Classify::class)
                .or_else(|| {
                    c.downcast_ref::<crate::send::smtp::SendError>()
                        .map(Classify::class)
                })
                .or_else(|| {
                    c.downcast_ref::<crate::store::StoreError>()
                        .map(Classify::class)
                })
                .or_else(|| {
                    c.downcast_ref::<crate::store::IndexError>()
                        .map(Classify::class)
                })
        })
        .unwrap_or(ErrorClass::Local)
}

/// An error and its causes on one line, each cause once: an error that
/// already names its source (`protocol error from HOST: CAUSE`) is not
/// followed by that cause again.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // `postie list | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow!("{}", t!("out.stdout", error = e))),
    }
}

#[cfg(test)]
mod error_line_tests {
    #[test]
    fn a_cause_already_named_is_not_repeated() {
        let source = std::io::Error::other("bad reply line");
        let e = anyhow::Error::new(source).context("protocol error from h:110: bad reply line");
        assert_eq!(
            super::error_line(&e),
            "protocol error from h:110: bad reply line"
        );
        let e = anyhow::Error::new(std::io::Error::other("disk full")).context("cannot save");
        assert_eq!(super::error_line(&e), "cannot save: disk full");
    }
}
